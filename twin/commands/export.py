"""``twin export``: a layout (and optionally recorded telemetry) to another tool's format,
through a ``twin.exporters`` plugin: ``twin export usd hall.yaml -o hall.usda``."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a layout (and recorded telemetry) for another tool, e.g. OpenUSD",
        description="Write LAYOUT with the exporter FORMAT (see `twin plugins`). With "
        "--recording and --at, the telemetry at that instant goes with it; with --from/--to, "
        "every recorded frame in between (or one per --step) as time samples.",
    )
    p.add_argument("format", help="exporter name, e.g. usd")
    p.add_argument("layout", help="layout file (.yaml)")
    p.add_argument("-o", "--output", required=True, help="file to write, e.g. hall.usda")
    p.add_argument("--recording", metavar="FILE.h5", help="recording of this layout")
    p.add_argument("--at", metavar="T", help="one instant: mm:ss from the start, 90s, ISO time")
    p.add_argument("--from", dest="t_from", metavar="T", help="first instant of time samples")
    p.add_argument("--to", dest="t_to", metavar="T", help="last instant of time samples")
    p.add_argument("--step", metavar="DURATION", help="time between samples (default: every frame)")
    p.add_argument(
        "--option", action="append", default=[], metavar="KEY=VALUE", help="exporter option"
    )
    p.set_defaults(func=run)


#: Most time samples --step may ask for (a step of a microsecond over five minutes asked
#: for 3e8 and took 2.4 GB before a single frame was read).
MAX_SAMPLES = 1_000_000


def recorded_frames(args: argparse.Namespace, facility) -> list:
    """The frames ``--at`` or ``--from/--to/--step`` ask for; ValueError/RecordingError."""
    import numpy as np

    from twin.commands.recording_notes import warn_damage
    from twin.recording import open_recording
    from twin.recording.times import parse_duration

    if args.at and (args.t_from or args.t_to):
        raise ValueError("give --at for a snapshot or --from/--to for time samples, not both")
    if not (args.at or args.t_from or args.t_to):
        raise ValueError("--recording needs --at T (a snapshot) or --from T0 --to T1 (samples)")
    with open_recording(args.recording) as rec:
        rec.check_layout(facility)
        warn_damage(rec, "export")
        if rec.n_frames == 0:
            raise ValueError(f"{rec.path}: the recording has no frames")
        if args.at:
            t = rec.parse_time(args.at)
            if not rec.start_s - 1e-6 <= t <= rec.end_s + 1e-6:
                raise ValueError(
                    f"--at {args.at} is outside the recording ({rec.duration_s:.0f} s)"
                )
            return [rec.frame_at(t)]
        t0 = rec.parse_time(args.t_from) if args.t_from else rec.start_s
        t1 = rec.parse_time(args.t_to) if args.t_to else rec.end_s
        if t1 < t0:
            raise ValueError("--to is before --from")
        times = rec.times
        if args.step:
            step = parse_duration(args.step)
            samples = (t1 - t0) / step + 1 if step > 0 else math.inf
            if samples > MAX_SAMPLES:  # np.arange would fill memory before index_at ran
                raise ValueError(
                    f"--step {args.step} gives {samples:,.0f} samples between --from and --to, "
                    f"more than {MAX_SAMPLES:,} (the recording has {rec.n_frames:,} frames; "
                    "without --step every frame is one)"
                )
            wanted = np.arange(t0, t1 + 1e-9, step)
            index = sorted({rec.index_at(float(t)) for t in wanted})
        else:
            index = np.flatnonzero((times >= t0 - 1e-9) & (times <= t1 + 1e-9)).tolist()
        if not index:
            raise ValueError("no recorded frame between --from and --to")
        return [rec.frame(i) for i in index]


def run(args: argparse.Namespace) -> int:
    import sys

    from twin import plugins
    from twin.commands.run import source_options
    from twin.model.atomic import OutputError, check_target
    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout

    def fail(message: str, status: int = 1) -> int:
        print(f"twin export: {message}", file=sys.stderr)
        return status

    try:
        exporter = plugins.load(plugins.EXPORTERS, args.format)
    except plugins.PluginError as exc:
        return fail(str(exc), 2)
    if (args.at or args.t_from or args.t_to) and not args.recording:
        return fail("--at/--from/--to need --recording FILE.h5", 2)
    try:  # not over a folder, a recording or the command's own inputs
        check_target(args.output, inputs=[args.layout, args.recording])
    except OutputError as exc:
        return fail(str(exc), 2)
    try:
        options = source_options(args.option)
        facility = load_layout(args.layout)
    except (ValueError, LayoutError) as exc:
        return fail(str(exc), 2)
    frames = []
    if args.recording:
        if not exporter.takes_frames:
            return fail(f"the {args.format} exporter writes no telemetry; drop --recording", 2)
        from twin.recording import RecordingError

        try:
            frames = recorded_frames(args, facility)
        except (ValueError, RecordingError) as exc:
            return fail(str(exc), 2)
    out = Path(args.output)
    failed = _write(exporter, facility, out, frames, options, args.format, fail)
    if failed is not None:
        return failed
    what = f", {len(frames)} frame(s)" if frames else ""
    size = out.stat().st_size if out.exists() else math.nan
    print(f"wrote {out} ({exporter.title}: {facility.n_racks} racks{what}, {size:,} bytes)")
    return 0


def _write(exporter, facility, out: Path, frames: list, options: dict, name: str, fail):
    """Run the exporter into a file beside ``out`` (same suffix, which may choose its format)
    and put it in place only once it is whole: an exporter that fails half-way leaves the file
    that was there as it was. None when written, else ``fail``'s exit status."""
    from twin import plugins
    from twin.model.atomic import is_stream, write_bytes_atomic

    part = out.with_name(f".{out.stem}.partial-{os.getpid()}{out.suffix}")
    try:
        exporter.write(facility, part, frames, **options)
        if not part.is_file():
            raise OSError(f"the {name} exporter wrote no file")
        if is_stream(out):  # /dev/null, a pipe: written through, never replaced by a file
            write_bytes_atomic(out, part.read_bytes())
        else:
            os.replace(part, out)
    except (ValueError, TypeError) as exc:
        return fail(str(exc), 2)
    except OSError as exc:
        return fail(f"cannot write {out}: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - a plugin's crash is reported, and recorded
        plugins.registry.record_failure(plugins.EXPORTERS, name, exc)
        return fail(f"the {name} exporter failed: {type(exc).__name__}: {exc}")
    finally:
        part.unlink(missing_ok=True)
    return None
