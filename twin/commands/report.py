"""``twin report RUN.h5 -o incident.html``: a self-contained incident report."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write a self-contained HTML incident report of a recording")
    p.add_argument("recording", metavar="RUN.h5")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="HTML file to write")
    p.add_argument("--layout", metavar="LAYOUT", help="layout to use instead of the embedded one")
    p.add_argument("--no-snapshots", action="store_true", help="leave out the 3D snapshots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.model.atomic import OutputError, check_target
    from twin.model.errors import LayoutError
    from twin.recording import RecordingError
    from twin.report import build_report

    try:  # before reading anything: the report must not land on its recording or layout
        check_target(args.output, inputs=[args.recording, args.layout])
    except OutputError as exc:
        print(f"twin report: {exc}", file=sys.stderr)
        return 2
    try:
        fac = None
        if args.layout:
            from twin.model.loader import load_layout

            fac = load_layout(args.layout)
        from twin.render.offscreen import png_snapshot

        snap = None if args.no_snapshots else png_snapshot()
        info = build_report(args.recording, args.output, snap, fac)
    except LayoutError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (RecordingError, ValueError, OSError) as exc:
        print(f"twin report: {exc}", file=sys.stderr)
        return 1
    for note in info.warnings:
        print(f"twin report: warning: {args.recording}: {note}", file=sys.stderr)
    print(
        f"{info.path}: {info.bytes / 1e6:.2f} MB, {info.snapshots} snapshots, {info.seconds:.1f} s"
    )
    return 0
