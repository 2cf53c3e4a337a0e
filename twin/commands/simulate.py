"""``twin simulate LAYOUT --scenario NAME --duration 30m -o run.h5``: run a simulated
scenario flat out and write it as a recording."""

from __future__ import annotations

import argparse
import math

#: Samples per second: telemetry arrives every 30 s by default (dcgm-exporter), and faster
#: than 100 a second the recording only repeats itself.
MAX_RATE_HZ = 100.0
#: Frames one recording may hold: 11.6 days at one a second. The simulator makes about a
#: thousand frames a second on the demo hall, so this is a run of a quarter of an hour there.
MAX_FRAMES = 1_000_000
#: What one recording may take before compression (GB): every sample is stored twice (the
#: frames and the per-item history); compression takes it to about a third on disk.
MAX_RECORDING_GB = 50.0
#: Scenarios that fail nothing (``ScenarioPlayer.events``): --fail-at means nothing to them.
NO_FAILURE = ("normal", "hot-spot")


def parse_duration(text: str) -> float:
    """``"30m"``, ``"1h30m"``, ``"90s"``, ``"45"`` (seconds) -> seconds, for argparse."""
    from twin.recording.times import parse_duration as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_time(text: str) -> float:
    """ISO 8601 (UTC when no zone) or seconds since the epoch -> seconds since the epoch."""
    import datetime as dt

    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (ISO 8601 or epoch)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()


def register(sub: argparse._SubParsersAction) -> None:
    from twin.telemetry.scenarios import SCENARIOS

    p = sub.add_parser(
        "simulate",
        help="simulate a scenario into a recording",
        description="Simulate workloads and a failure scenario on a layout and record it.",
        epilog="scenarios: " + "; ".join(f"{k}: {v}" for k, v in SCENARIOS.items()),
    )
    p.add_argument("layout", metavar="LAYOUT")
    p.add_argument("--scenario", default="normal", choices=list(SCENARIOS))
    p.add_argument("--duration", type=parse_duration, default=1800.0, help="e.g. 30m (default)")
    p.add_argument(
        "--rate", type=float, default=1.0, help="samples per second (default 1; at most 100)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (0 or more)")
    p.add_argument("--start", type=parse_time, help="start time, ISO 8601 UTC (default now)")
    p.add_argument(
        "--fail-at", type=parse_duration, help="failure time after the start (within the run)"
    )
    p.add_argument("--recover-at", type=parse_duration, help="recovery time after the start")
    p.add_argument(
        "--physics",
        action="store_true",
        help="rack inlets and point sensors from the airflow physics (slower: a field step "
        "per frame)",
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE.h5")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing recording (only once the new one has data)",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=run)


def check_options(args: argparse.Namespace) -> None:
    """Refuse, before the layout is read, a value that is no finite number in range (``--rate
    1e308`` was a traceback at the frame count) and a run shorter than one frame (reported as
    10^9 s simulated). Raises ``OptionError``."""
    from twin.commands.argtypes import OptionError, number, whole

    number("--duration", args.duration, 0.0, math.inf, "s", lo_open=True)
    number("--rate", args.rate, 0.0, MAX_RATE_HZ, "samples per second", lo_open=True)
    if args.duration * args.rate < 1:
        raise OptionError(
            f"--duration {args.duration:g} s is shorter than one frame at --rate {args.rate:g} "
            f"(a frame every {1 / args.rate:g} s): give a longer --duration or a higher --rate"
        )
    whole("--seed", args.seed, 0, 2**32 - 1)
    _check_start(args.start, args.duration)
    for option, value in (("--fail-at", args.fail_at), ("--recover-at", args.recover_at)):
        number(option, value, 0.0, math.inf, "s")
        if value is not None and args.scenario in NO_FAILURE:
            raise OptionError(
                f"{option} goes with a failure scenario ({args.scenario} fails nothing)"
            )


def recording_bytes_per_frame(fac) -> int:
    """What one frame of this layout takes in a recording before compression: every metric
    of every item in its integer type, twice (the frames and the history)."""
    from twin.model.frame import METRICS
    from twin.recording.format import storage_dtype

    counts = fac.counts()
    return 2 * sum(
        counts.get(kind, 0) * sum(storage_dtype(kind, *m).itemsize for m in metrics)
        for kind, metrics in METRICS.items()
    )


def frame_count(args: argparse.Namespace, fac) -> int:
    """The frames to simulate, once they fit ``MAX_FRAMES`` and ``MAX_RECORDING_GB`` for this
    layout and the failure comes within them. Raises ``OptionError``."""
    from twin.commands.argtypes import OptionError

    frames = args.duration * args.rate  # a float: 1e308 s at 100 a second is inf
    per_frame = recording_bytes_per_frame(fac)
    by_size = int(MAX_RECORDING_GB * 1e9 // per_frame) if per_frame else MAX_FRAMES
    limit = max(1, min(MAX_FRAMES, by_size))
    if frames >= limit + 0.5:
        raise OptionError(
            f"--duration {_count(args.duration)} s at --rate {args.rate:g} is {_count(frames)} "
            f"frames: {_count(frames * per_frame / 1e9)} GB of recording before compression "
            f"for this layout's {sum(fac.counts().values()):,} items ({per_frame / 1e3:,.1f} kB a "
            f"frame); at most {limit:,} frames: a shorter --duration or a lower --rate"
        )
    return max(1, int(round(frames)))


def _count(x: float) -> str:
    """A large number as people read it: with thousands separators up to 10^15, then as a
    power of ten."""
    if not math.isfinite(x):
        return "more than 1e308"
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"


def _check_start(start_s: float | None, duration_s: float) -> None:
    """The run must end by 2200, the last date a recording holds (``reader.LATEST_S``): past
    it every frame was dropped and the recording read as 0 frames without a word."""
    from twin.commands.argtypes import OptionError, number
    from twin.recording.reader import LATEST_S

    number("--start", start_s, 0.0, LATEST_S, "s since the epoch", why="1970 to 2200")
    if start_s is not None and start_s + duration_s > LATEST_S:
        raise OptionError(
            f"--start: a run of {duration_s:g} s from then ends after 2200-01-01, the last date "
            "a recording holds; give an earlier --start"
        )


def failure_time_note(args: argparse.Namespace, last_s: float) -> str | None:
    """A failure after the last frame records none: refused when asked for (``OptionError``),
    a note to print when it is the scenario's default (printed once the scenario is known to
    play on the layout); a recovery must come after the failure."""
    from twin.commands.argtypes import OptionError
    from twin.telemetry.scenarios import Scenario

    if args.scenario in NO_FAILURE:
        return None
    default = Scenario(args.scenario)
    fail = default.fail_at_s if args.fail_at is None else args.fail_at
    recover = default.recover_at_s if args.recover_at is None else args.recover_at
    if recover is not None and recover <= fail:
        told = "" if args.recover_at is not None else " (the default)"
        raise OptionError(
            f"--recover-at must come after --fail-at ({fail:g} s), not {recover:g} s{told}"
        )
    if fail <= last_s:
        return None
    where = f"after the run's last frame at {last_s:g} s (--duration {args.duration:g} s)"
    if args.fail_at is not None:
        raise OptionError(
            f"--fail-at {fail:g} s is {where}: no failure would be recorded; give an earlier "
            "--fail-at or a longer --duration"
        )
    return (
        f"{args.scenario} fails at {fail:g} s (the default --fail-at), {where}: the recording "
        "holds no failure"
    )


def _simulator(args: argparse.Namespace, fac):
    """The simulator of the chosen scenario, failure and recovery times; ``ValueError`` for
    a scenario the layout cannot play."""
    from twin.telemetry.scenarios import Scenario
    from twin.telemetry.simulator import Simulator

    kw = {}
    if args.fail_at is not None:
        kw["fail_at_s"] = args.fail_at
    if args.recover_at is not None:
        kw["recover_at_s"] = args.recover_at
    scenario = Scenario(args.scenario, **kw)
    return Simulator(
        fac,
        scenario,
        seed=args.seed,
        rate_hz=args.rate,
        start_s=args.start,
        physics=args.physics,
    )


def _record(session, out, n: int, quiet: bool) -> str | None:
    """Tick ``session`` ``n`` times recording into ``out``. On failure the partial recording is
    discarded and the reason returned; None when all went well."""
    import sys

    from twin.recording import RecordingError

    try:
        session.record(out.path)
        session.start()
        for i in range(n):
            session.tick()
            if session.recorder is None:  # stopped (a full disk): nothing left to make
                break
            if not quiet and sys.stderr.isatty() and i % 50 == 0:
                print(f"\r{i / n:6.1%}", end="", file=sys.stderr, flush=True)
        stopped = session.record_error
        session.close()
    except (RecordingError, OSError) as exc:
        session.close()
        out.discard()
        return str(exc)
    except BaseException:
        session.close()
        out.discard()
        raise
    if stopped:
        out.discard()
        return str(stopped)
    return None


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from twin.commands.argtypes import OptionError, refuse
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout
    from twin.recording.safe_output import OutputRefused, SafeOutput
    from twin.session import Session
    from twin.telemetry.simulated import SteppedSource

    try:
        check_options(args)
    except OptionError as exc:
        return refuse("simulate", exc)
    try:
        fac = load_layout(args.layout)
    except LayoutError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        n = frame_count(args, fac)
        note = failure_time_note(args, (n - 1) / args.rate)
        sim = _simulator(args, fac)
    except ValueError as exc:  # OptionError among them
        return refuse("simulate", exc)
    if note:  # after the scenario is known to play on the layout: moot otherwise
        print(f"twin simulate: note: {note}", file=sys.stderr)
    t0 = time.perf_counter()
    events: list = []
    session = Session(fac, SteppedSource(sim, n))
    session.events.connect(events.extend)
    try:
        out = SafeOutput(args.output, force=args.force, inputs=[args.layout])
    except OutputRefused as exc:
        print(f"twin simulate: {exc}", file=sys.stderr)
        return 2
    error = _record(session, out, n, args.quiet)
    if error is not None:
        print(f"twin simulate: {error}", file=sys.stderr)
        return 1
    out.finish(n)
    n_events = len(events)
    wall = time.perf_counter() - t0
    if not args.quiet:
        print(
            f"\r{args.output}: {sim.scenario.name}, {n} frames ({n / args.rate:.0f} s simulated) "
            f"of {fac.n_gpus} GPUs, {n_events} events, in {wall:.1f} s "
            f"({n / args.rate / max(wall, 1e-9):.0f}x real time)"
        )
    return 0
