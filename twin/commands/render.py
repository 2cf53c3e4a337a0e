"""``twin render``: a screenshot of a layout with no display (off-screen VTK)."""

from __future__ import annotations

import argparse

COLOURS = ("none", "power", "airflow", "liquid", "weight", "row", "cdu", "tdp", "slowdown")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render",
        help="write a PNG of a layout in 3D, with no display needed",
        description="Render LAYOUT to a PNG off screen (no display, no window).",
    )
    p.add_argument("layout", help="layout file (.yaml)")
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="image to write")
    p.add_argument(
        "--size", nargs=2, type=int, default=(1600, 1000), metavar=("W", "H"), help="pixels"
    )
    p.add_argument(
        "--view", default="iso", help="camera: top, iso or row:ID (along a row's cold aisle)"
    )
    p.add_argument(
        "--color",
        "--colour",
        dest="color",
        default="none",
        choices=COLOURS,
        help="colour racks or GPUs by a design figure of the layout",
    )
    p.add_argument(
        "--show",
        default="",
        metavar="LAYERS",
        help="comma-separated layers to show, e.g. power_links,cooling_links",
    )
    p.add_argument("--hide", default="", metavar="LAYERS", help="comma-separated layers to hide")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.model.errors import LayoutError
    from twin.model.loader import load_layout

    w, h = args.size
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        print(
            f"twin render: --size must be between 16 and 8192 pixels, got {w} {h}", file=sys.stderr
        )
        return 2
    try:
        facility = load_layout(args.layout)
    except LayoutError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return 1
    from twin.render.offscreen import render_png

    split = lambda s: [x.strip() for x in s.split(",") if x.strip()]  # noqa: E731
    try:
        out = render_png(
            facility,
            args.output,
            size=(w, h),
            view=args.view,
            color=args.color,
            show=split(args.show),
            hide=split(args.hide),
        )
    except ValueError as exc:
        print(f"twin render: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"twin render: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({w}x{h}, {facility.n_racks} racks, {facility.n_gpus} GPUs)")
    return 0
