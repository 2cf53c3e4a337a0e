"""``twin simulate LAYOUT --scenario NAME --duration 30m -o run.h5``: run a simulated
scenario flat out and write it as a recording."""

from __future__ import annotations

import argparse


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
    p.add_argument("--rate", type=float, default=1.0, help="samples per second (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=parse_time, help="start time, ISO 8601 UTC (default now)")
    p.add_argument("--fail-at", type=parse_duration, help="failure time after the start")
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

    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout
    from twin.recording.safe_output import OutputRefused, SafeOutput
    from twin.session import Session
    from twin.telemetry.simulated import SteppedSource

    if args.rate <= 0 or args.duration <= 0:
        print("twin simulate: --rate and --duration must be positive", file=sys.stderr)
        return 2
    try:
        fac = load_layout(args.layout)
    except LayoutError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        sim = _simulator(args, fac)
    except ValueError as exc:
        print(f"twin simulate: {exc}", file=sys.stderr)
        return 2
    n = max(1, int(round(args.duration * args.rate)))
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
