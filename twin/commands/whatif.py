"""``twin whatif LAYOUT``: what failing devices does, or an N-1 sweep of every device."""

from __future__ import annotations

import argparse
import math

#: Time steps a what-if may take. The engine's default follows 30 min in 10 s steps (180);
#: 3600 is 20 times that (10 h at the default step, or the default half hour at 0.5 s): more
#: than a failure's transient needs (the air settles in minutes, a GPU's die in seconds), and
#: at a few ms a step on a hall the size of the demo's still well under a minute. Every
#: step keeps a row of rack inlets, so an unbounded count could also exhaust the memory.
MAX_STEPS = 3600
#: The longest transient followed (s): a failure has settled, or been acted on, within a day.
MAX_DURATION_S = 24 * 3600.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "whatif",
        help="fail devices and see who goes dark, what overloads and how long GPUs ride through",
        description="Fail one or more devices (utility feed, UPS, PDU, CRAH or fan wall, CDU) "
        "from nominal load or an instant of a recording, and follow the power chain and the "
        "thermal transient; or fail every power and cooling device in turn and rank them.",
    )
    p.add_argument("layout", metavar="LAYOUT")
    p.add_argument(
        "--fail", action="append", default=[], metavar="ID", help="device to fail (repeatable)"
    )
    p.add_argument(
        "--all-single-failures",
        action="store_true",
        help="N-1 sweep: fail every power and cooling device of the hall in turn",
    )
    p.add_argument("--hall", default=None, help="hall id or index to follow")
    p.add_argument("--recording", metavar="F", help="start from an instant of this recording")
    p.add_argument(
        "--at", metavar="T", help="time in the recording (mm:ss, 5m, ISO; default: its end)"
    )
    p.add_argument(
        "--duration", default="30m", help="how long to follow the transient (30m; at most 24h)"
    )
    p.add_argument(
        "--dt",
        type=float,
        default=10.0,
        metavar="S",
        help=f"time step in seconds (10; at most the duration and {MAX_STEPS:,} steps)",
    )
    p.add_argument(
        "--cell",
        type=float,
        default=None,
        metavar="M",
        help="grid cell in metres (default 0.25, coarser where the cell policy coarsens the hall)",
    )
    p.add_argument(
        "--ramp",
        action="store_true",
        help="a lost air unit's hall runs its other units at their rated flow, as their "
        "controllers ramp them (the N+1 design check's assumption); default: as set",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--csv", metavar="FILE", help="also write the ranked rows as CSV")
    p.add_argument(
        "--dask", metavar="ADDR", help="run the sweep on a Dask cluster (tcp://HOST:8786)"
    )
    p.add_argument(
        "--workers", type=int, default=None, help="local worker processes for a sweep (1 or more)"
    )
    p.set_defaults(func=run)


def _fail(msg: str, code: int = 1) -> int:
    import sys

    print(f"twin whatif: {msg}", file=sys.stderr)
    return code


def check_options(args: argparse.Namespace) -> float:
    """The duration in seconds, once every numeric option is a finite value in range and the
    step count is bounded (``--dt 1e-9`` over a minute allocated 447 GiB). Raises
    ``OptionError``, or ``OutputError`` for a ``--csv`` that must not be written (the layout
    itself, a recording)."""
    from twin.commands import argtypes
    from twin.model.atomic import check_target
    from twin.recording.times import parse_duration

    try:
        duration = parse_duration(args.duration)
    except ValueError as exc:
        raise argtypes.OptionError(f"--duration: {exc}") from None
    argtypes.number("--duration", duration, 0.0, MAX_DURATION_S, "s", lo_open=True, why="24h")
    argtypes.number("--dt", args.dt, 0.0, duration, "s", lo_open=True, why="the --duration")
    steps = duration / args.dt  # as the engine counts them; a float, as 60 / 5e-324 is inf
    if math.ceil(min(steps, 1e18) - 1e-9) > MAX_STEPS:
        raise argtypes.OptionError(
            f"--duration {args.duration} at --dt {args.dt:g} s is {steps:,.0f} steps; at most "
            f"{MAX_STEPS:,}: give a larger --dt or a shorter --duration"
        )
    argtypes.cell("--cell", args.cell)
    argtypes.workers("--workers", args.workers)
    if args.csv:
        check_target(args.csv, inputs=[args.layout, args.recording])
    return duration


def _hall(fac, text: str | None) -> int | None:
    if text is None:
        return None
    if text in fac.hall_index:
        return fac.hall_index[text]
    if text.isdigit() and int(text) < len(fac.hall_ids):
        return int(text)
    raise ValueError(f"no hall {text!r} (halls: {', '.join(fac.hall_ids)})")


def _start(fac, args):
    from twin.whatif import StartState

    if not args.recording:
        if args.at:
            raise ValueError("--at needs --recording")
        return StartState.nominal(fac)
    from twin.recording.reader import open_recording
    from twin.recording.times import parse_at

    with open_recording(args.recording) as rec:
        rec.check_layout(fac)
        t = parse_at(args.at, rec.start_s) if args.at else rec.end_s
        if not rec.start_s <= t <= rec.end_s:
            raise ValueError(
                f"--at {args.at} is outside the recording ({rec.duration_s:.0f} s long)"
            )
        frame = rec.frame_at(t)
        label = f"{args.recording} at +{t - rec.start_s:.0f} s"
        return StartState.from_frame(fac, frame, label)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.commands.argtypes import OptionError, refuse
    from twin.model.atomic import OutputError
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout
    from twin.physics import GridError, ThermalError
    from twin.recording import RecordingError
    from twin.whatif import WhatIfError, WhatIfOptions

    try:
        duration = check_options(args)
    except (OptionError, OutputError) as exc:
        return refuse("whatif", exc)
    try:
        fac = load_layout(args.layout)
    except LayoutError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2  # a refused layout, as for validate, thermal, render and simulate
    if bool(args.fail) == bool(args.all_single_failures):
        return _fail("give --fail ID (repeatable) or --all-single-failures", 2)
    try:
        opts = WhatIfOptions(duration, args.dt, args.cell, _hall(fac, args.hall), args.ramp)
        if args.all_single_failures:
            if args.recording:
                raise ValueError("the sweep starts from nominal load; drop --recording")
            data = _sweep(fac, opts, args)
        else:
            if args.dask:
                raise ValueError("--dask is for --all-single-failures")
            data = _single(fac, opts, args)
    except (WhatIfError, ValueError, GridError, ThermalError, RecordingError, OSError) as exc:
        return _fail(str(exc))
    if args.csv:
        from twin.whatif.export import write_csv

        try:
            write_csv(args.csv, data["rows"])
        except OSError as exc:  # the disk filled, the folder went away during the run
            return _fail(str(exc) if str(args.csv) in str(exc) else f"{args.csv}: {exc}")
    if args.json:
        print(json.dumps(data["json"], indent=2))
    else:
        print(data["text"])
    return 0


def _single(fac, opts, args) -> dict:
    from twin.whatif import run_whatif
    from twin.whatif.export import whatif_text

    res = run_whatif(fac, args.fail, _start(fac, args), opts)
    return {"json": res.to_dict(), "rows": res.racks_ranked(), "text": whatif_text(res)}


def _sweep(fac, opts, args) -> dict:
    import sys

    from twin.whatif.export import sweep_text
    from twin.whatif.sweep import run_sweep, single_failures

    cases = single_failures(fac, opts.hall)
    if not cases:
        raise ValueError("no power or cooling device to fail in that hall")

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"\r{done}/{total} cases", end="", file=sys.stderr, flush=True)

    try:
        res = run_sweep(fac, cases, opts, dask=args.dask, workers=args.workers, progress=progress)
    finally:  # the progress line ends before the table, or before why the sweep stopped
        if not args.json:
            print(file=sys.stderr)
    rows = [
        {k: (v if not isinstance(v, list) else "; ".join(map(str, v))) for k, v in c.items()}
        for c in res.cases
    ]
    for r, c in zip(rows, res.cases, strict=True):
        r["overloaded"] = "; ".join(
            f"{o['id']} {o['load_kw']}/{o['capacity_kw']} kW" for o in c["overloaded"]
        )
    return {"json": res.to_dict(), "rows": rows, "text": sweep_text(res)}
