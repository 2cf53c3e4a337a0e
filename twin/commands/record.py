"""``twin record``: turn a stretch of Prometheus history (or a live feed) into a recording."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "record",
        help="write Prometheus history or live DCGM telemetry to an HDF5 recording",
        description="With --start/--end: read that stretch of history from Prometheus "
        "(range queries, chunked to 11,000 points per series) into a recording that replays "
        "like any other. Without them: record the live feed (--prometheus or --scrape) for "
        "--duration. Credentials come from TWIN_PROMETHEUS_TOKEN, or TWIN_PROMETHEUS_USER and "
        "TWIN_PROMETHEUS_PASSWORD (prompted for when --user is given without it); they are "
        "never written to the recording.",
    )
    p.add_argument("layout", help="layout YAML the telemetry maps onto")
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--prometheus",
        metavar="URL",
        help="Prometheus (or compatible) base URL (default: TWIN_PROMETHEUS_URL when set)",
    )
    src.add_argument(
        "--scrape", metavar="URL", nargs="+", help="dcgm-exporter /metrics URLs (live only)"
    )
    p.add_argument("--start", metavar="T0", help="start: epoch seconds, ISO 8601, or --start=-2h")
    p.add_argument(
        "--end", metavar="T1", help="end: epoch seconds, ISO 8601, --end=-10m or now (default)"
    )
    p.add_argument("--step", default="15s", help="time between frames (default 15s)")
    p.add_argument("--duration", help="live mode: how long to record, e.g. 10m")
    p.add_argument("-o", "--output", required=True, help="recording to write (.h5)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing recording (only once the new one has data)",
    )
    p.add_argument("--user", help="basic-auth user (password from env or prompted)")
    p.add_argument("--ca-file", help="CA bundle to verify the server's TLS certificate")
    p.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (not advised)"
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    p.add_argument(
        "--physics",
        action="store_true",
        help="fill rack inlets and exhausts and air-unit supply, return and load that the "
        "telemetry does not measure from the airflow model, stepped by the frames' time (the "
        "recording names them as the model's; halls of more than 200 racks are not filled)",
    )
    p.set_defaults(func=run)


def parse_time(text: str, now: float) -> float:
    """Epoch seconds from ``1764150000``, ``2026-11-26T09:00:00Z``, ``now`` or ``-2h``."""
    import datetime as dt

    from twin.telemetry.prometheus import parse_duration

    s = text.strip()
    if s == "now":
        return now
    if s.startswith("-"):
        return now - parse_duration(s[1:])
    try:
        return float(s)
    except ValueError:
        pass
    try:
        t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (epoch seconds, ISO 8601, now or -2h)") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def _fail(msg: str) -> int:
    import sys

    print(f"twin record: {msg}", file=sys.stderr)
    return 2


def _plan(args: argparse.Namespace, now: float):
    """(history, step, t0, t1, duration) from the arguments: a stretch of history from
    ``t0`` to ``t1``, or ``duration`` seconds live; ``ValueError`` for a bad combination."""
    from twin.telemetry.prometheus import parse_duration

    if not (args.prometheus or args.scrape or _prometheus_from_env(args)):
        raise ValueError("give --prometheus URL or --scrape URL (or set TWIN_PROMETHEUS_URL)")
    t0 = t1 = duration = None
    history = args.start is not None or args.end is not None
    step = parse_duration(args.step)
    if step <= 0:
        raise ValueError("--step must be positive")
    if history:
        if args.scrape:
            raise ValueError("--start/--end need --prometheus (an exporter keeps no history)")
        if args.start is None:
            raise ValueError("--start is needed with --end")
        t0 = parse_time(args.start, now)
        t1 = parse_time(args.end or "now", now)
        if t1 <= t0:
            raise ValueError("--end must be after --start")
    else:
        if not args.duration:
            raise ValueError("give --start/--end (history) or --duration (live)")
        duration = parse_duration(args.duration)
    return history, step, t0, t1, duration


def _prometheus_from_env(args: argparse.Namespace) -> bool:
    """Neither --prometheus nor --scrape: the URL TWIN_PROMETHEUS_URL names, if set."""
    import os

    from twin.telemetry.live_http import ENV_URL

    args.prometheus = os.environ.get(ENV_URL, "").strip() or None
    return args.prometheus is not None


def run(args: argparse.Namespace) -> int:
    import sys
    import time

    from twin.commands.interrupt import graceful_interrupt
    from twin.model.loader import LayoutError, load_layout
    from twin.recording import Recorder, RecordingError
    from twin.recording.safe_output import OutputRefused, SafeOutput
    from twin.telemetry.live_http import LiveError

    try:
        facility = load_layout(args.layout)
    except LayoutError as exc:
        return _fail(str(exc))
    now = time.time()
    try:
        history, step, t0, t1, duration = _plan(args, now)
        auth = _auth(args)
    except ValueError as exc:
        return _fail(str(exc))

    try:
        out = SafeOutput(args.output, force=args.force, inputs=[args.layout])
    except OutputRefused as exc:
        return _fail(str(exc))
    fill, filled = _physics_fill(facility, history) if args.physics else (None, ())
    try:
        recorder = Recorder(out.path, facility, filled_by_model=filled)
    except (RecordingError, OSError) as exc:
        out.finish(0)
        return _fail(str(exc))
    frames = 0
    error = None
    interrupted = False
    try:
        # the first Ctrl-C ends the recording between frames (see graceful_interrupt)
        with graceful_interrupt() as stop:
            if history:
                frames = _record_history(args, facility, recorder, (t0, t1, step), auth, stop, fill)
            else:
                frames = _record_live(args, facility, recorder, duration, step, auth, stop, fill)
            interrupted = stop.is_set()
    except (LiveError, ValueError, RecordingError) as exc:  # RecordingError: a full disk
        error = str(exc)
    except KeyboardInterrupt:  # a second Ctrl-C
        interrupted = True
    finally:
        if interrupted:
            print("twin record: interrupted; keeping what was recorded", file=sys.stderr)
        recorder.close()
        # counted by the recorder: an interrupt leaves the local count unassigned
        frames = recorder.n_frames
        what = out.finish(frames)
    note = f" ({what})" if frames == 0 or out.replacing else ""
    print(f"wrote {frames} frames to {args.output}{note}", file=sys.stderr)
    if error is not None:
        return _fail(error)
    if frames == 0:
        return _fail("no DCGM data matched the layout in that time range")
    return 0


def _auth(args: argparse.Namespace) -> dict:
    import getpass
    import os

    from twin.telemetry.live_http import ENV_PASSWORD

    auth: dict = {"verify_tls": not args.insecure, "ca_file": args.ca_file}
    if args.user:
        password = os.environ.get(ENV_PASSWORD)
        if password is None:
            password = getpass.getpass(f"Password for {args.user}: ")
        auth.update(user=args.user, password=password)
    return auth


def _physics_fill(facility, history: bool):
    """The airflow model that fills the frames' gaps, its halls solved now, with what it
    leaves unfilled said once here (and in the recording's first frame), and the metrics it
    fills, as the recording names them. ``history``: frames fetched from the past wait for
    the fill, so every hall is modelled, however large; live, only halls small enough for a
    field step per frame (``MAX_RACKS_PER_HALL``)."""
    import sys
    import time

    from twin.telemetry import physics_air

    t = time.perf_counter()
    limit = None if history else physics_air.MAX_RACKS_PER_HALL
    fill = physics_air.PhysicsFill(facility, max_racks_per_hall=limit)
    print(fill.summary(time.perf_counter() - t), file=sys.stderr)
    for why in fill.air.problems:
        print(f"  not filled: {why}", file=sys.stderr)
    return fill, fill.filled_by_model


def _record_history(args, facility, recorder, span, auth, stop, fill=None) -> int:
    import sys

    from twin.telemetry.dcgm import ResponseError
    from twin.telemetry.prometheus import PrometheusClient, PrometheusQueries, fetch_range

    client = PrometheusClient.connect(args.prometheus, timeout_s=args.timeout, **auth)
    queries = PrometheusQueries(facility)
    frames = 0
    try:
        for frame in fetch_range(client, queries, *span):
            if fill is not None:
                fill.update(frame)
            recorder.append(frame)
            frames += 1
            if stop.is_set():
                break
            if frames % 500 == 0:
                print(f"  {frames} frames", file=sys.stderr, flush=True)
    except ResponseError as exc:
        raise ValueError(f"Prometheus answered something unexpected: {exc}") from None
    return frames


def _record_live(args, facility, recorder, duration, step, auth, stop, fill=None) -> int:
    import sys

    from twin.telemetry.live_http import LiveError

    if args.prometheus:
        from twin.telemetry.prometheus import PrometheusSource

        source = PrometheusSource(
            facility, args.prometheus, interval_s=step, timeout_s=args.timeout, **auth
        )
    else:
        from twin.telemetry.scrape import ScrapeSource

        source = ScrapeSource(
            facility, args.scrape, interval_s=step, timeout_s=args.timeout, **auth
        )
    from twin.recording import RecordingError
    from twin.session import Session

    # the same pump as the window: de-duplication, back-fill and the 1 s flush live there
    session = Session(facility, source, physics=fill)
    session.record(args.output, recorder=recorder)
    session.start()

    def ended() -> bool:  # the recording stops itself on a full disk: nothing left to do
        return stop.is_set() or session.recorder is None

    try:
        session.run_for(duration, interval_s=min(0.2, step / 4), should_stop=ended)
        st = session.source_status()
        print(f"  {st.state}: {st.gpus_with_data}/{st.gpus_total} GPUs", file=sys.stderr)
    finally:
        frames = session.recorded
        session.recorder = None  # the caller closes the recorder it made
        source.stop()
    if session.record_error:
        raise RecordingError(session.record_error)
    why = st.last_error or st.message  # the failure itself, not "...; retrying in 15 s"
    if frames == 0 and why:  # say why: 401, no answer, a broken answer...
        raise LiveError(f"no DCGM data recorded: {why}")
    if frames and not st.gpus_with_data:  # frames came, but none for this layout's GPUs
        seen = ", ".join(st.unmatched_examples) or "none"
        raise LiveError(
            f"no GPU of the layout had data: {st.unmatched_series} series match no GPU "
            f"(e.g. {seen}); check the host names and telemetry.host_labels"
        )
    return frames
