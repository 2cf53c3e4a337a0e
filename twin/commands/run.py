"""``twin run``: open the desktop window on a layout."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_LAYOUT = Path("layouts/demo-air-hall.yaml")
#: ``twin run FILE`` with one of these replays it (the desktop entry opens files this way).
RECORDING_SUFFIXES = (".h5", ".hdf5")


def default_layout() -> Path | None:
    """The demo hall: from the current directory, else from the checkout Twin runs from."""
    if DEFAULT_LAYOUT.exists():
        return DEFAULT_LAYOUT
    from twin.model.catalog import assets_dir

    shipped = assets_dir().parent / DEFAULT_LAYOUT
    return shipped if shipped.exists() else None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="open the 3D window on a layout",
        description="Open the Twin window. Needs a display; use `twin render` without one.",
    )
    p.add_argument(
        "layout",
        nargs="?",
        help=f"layout file (default: {DEFAULT_LAYOUT} when it exists), or a recording (.h5) "
        "to replay with its own layout",
    )
    live = p.add_mutually_exclusive_group()
    live.add_argument(
        "--prometheus", metavar="URL", help="watch live GPU telemetry from this Prometheus"
    )
    live.add_argument(
        "--scrape", metavar="URL", nargs="+", help="watch dcgm-exporter /metrics URLs directly"
    )
    p.add_argument("--interval", type=float, default=5.0, help="live poll interval, s (5)")
    p.add_argument("--ca-file", help="CA bundle to verify the live server's TLS certificate")
    p.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (not advised)"
    )
    p.add_argument(
        "--source",
        help="telemetry to show: simulated (the default), replay (with --recording), none, or "
        "a plugin source's name; live servers: --prometheus / --scrape",
    )
    p.add_argument(
        "--source-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option for a plugin source, e.g. --source nvml --source-option host=gpu-01 "
        "(repeatable; numbers are read as numbers)",
    )
    p.add_argument(
        "--scenario", default="normal", help="simulated scenario (default normal), e.g. crah-trip"
    )
    p.add_argument(
        "--recording",
        metavar="FILE.h5",
        help="replay a recording (with no LAYOUT, the layout embedded in it)",
    )
    p.set_defaults(func=run)


def telemetry_choice(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(source name or None, error message or None) from --source/--recording/--scenario."""
    from twin.telemetry.registry import available
    from twin.telemetry.scenarios import SCENARIOS

    source = getattr(args, "source", None)
    recording = getattr(args, "recording", None)
    if recording is not None:
        if source not in (None, "replay"):
            return None, f"--recording replays a file; it cannot go with --source {source}"
        if not Path(recording).is_file():
            return None, f"no such recording file: {recording}"
        return "replay", None
    source = source or "simulated"
    if source == "none":
        return None, None
    if source == "replay":
        return None, "--source replay needs --recording FILE.h5"
    if source == "prometheus":
        return (
            None,
            "a prometheus source needs its URL: use --prometheus URL (or set TWIN_PROMETHEUS_URL)",
        )
    if source == "scrape":
        return None, "a scrape source needs its URL: use --scrape URL"
    if source not in available():
        return None, f"no telemetry source {source!r}; available: none, {', '.join(available())}"
    if source == "simulated" and args.scenario not in SCENARIOS:
        return None, f"unknown scenario {args.scenario!r}; choose from: {', '.join(SCENARIOS)}"
    return source, None


def _prometheus_from_env(args: argparse.Namespace) -> None:
    """``--source prometheus`` without ``--prometheus URL``: the URL TWIN_PROMETHEUS_URL names
    (as ``PrometheusSource`` reads it from Python), if set."""
    import os

    from twin.telemetry.live_http import ENV_URL

    url = os.environ.get(ENV_URL, "").strip()
    if getattr(args, "source", None) == "prometheus" and not args.prometheus and url:
        args.prometheus, args.source = url, None


def live_spec(args: argparse.Namespace):
    """The live connection asked for on the command line (None: none). Credentials are named
    by environment variable (TWIN_PROMETHEUS_TOKEN, or _USER and _PASSWORD), never typed."""
    import os

    from twin.telemetry.live_http import ENV_PASSWORD, ENV_TOKEN, ENV_USER
    from twin.ui.connect_dialog import ConnectionSpec

    if not (getattr(args, "prometheus", None) or getattr(args, "scrape", None)):
        return None
    kind = "prometheus" if args.prometheus else "scrape"
    spec = ConnectionSpec(
        kind=kind,
        urls=[args.prometheus] if args.prometheus else list(args.scrape),
        verify_tls=not args.insecure,
        ca_file=args.ca_file or "",
        interval_s=args.interval,
    )
    if os.environ.get(ENV_TOKEN):
        spec.auth, spec.secret_env = "bearer", ENV_TOKEN
    elif os.environ.get(ENV_USER):
        spec.auth, spec.user, spec.secret_env = "basic", os.environ[ENV_USER], ENV_PASSWORD
    spec.source_options()  # check the URL, CA file and credentials before a window opens
    return spec


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.ui.app import has_display

    if args.layout and Path(args.layout).suffix.lower() in RECORDING_SUFFIXES:
        if args.recording:
            print("twin run: give one recording, not two", file=sys.stderr)
            return 2
        args.recording, args.layout = args.layout, None  # a double-clicked recording
    layout = Path(args.layout) if args.layout else default_layout()
    if layout is not None and not layout.exists():
        print(f"twin run: no such layout file: {layout}", file=sys.stderr)
        return 2
    _prometheus_from_env(args)
    try:
        spec = live_spec(args)
    except ValueError as exc:
        print(f"twin run: {exc}", file=sys.stderr)
        return 2
    source, problem = (None, None) if spec is not None else telemetry_choice(args)
    try:
        options = source_options(args.source_option)
    except ValueError as exc:
        problem = str(exc)
    if problem:
        print(f"twin run: {problem}", file=sys.stderr)
        return 2
    if not has_display():
        target = layout or DEFAULT_LAYOUT
        print(
            "twin run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window "
            "can open.\n"
            f"To get a picture without a display: twin render {target} -o twin.png\n"
            "To open the window on a headless machine: xvfb-run -a twin run",
            file=sys.stderr,
        )
        return 3
    if spec is not None:
        from twin.ui.live import run_live_app

        return run_live_app(layout, spec)
    from twin.ui.replay import run_replay_app

    if args.recording and not args.layout:
        layout = None  # the recording's own layout
    return run_replay_app(
        layout, source, scenario=args.scenario, recording=args.recording, options=options
    )


def source_options(pairs: list[str]) -> dict[str, object]:
    """``["host=gpu-01", "interval_s=0.5"]`` -> ``{"host": "gpu-01", "interval_s": 0.5}``."""
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"--source-option wants KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = float(value) if "." in value or "e" in value else int(value)
        except ValueError:
            out[key.strip()] = value
    return out
