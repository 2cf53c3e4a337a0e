"""``twin run``: open the desktop window on a layout."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_LAYOUT = Path("layouts/demo-air-hall.yaml")


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
        "layout", nargs="?", help=f"layout file (default: {DEFAULT_LAYOUT} when it exists)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from twin.ui.app import has_display

    layout = Path(args.layout) if args.layout else default_layout()
    if layout is not None and not layout.exists():
        print(f"twin run: no such layout file: {layout}", file=sys.stderr)
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
    from twin.ui.app import run_app

    return run_app(layout)
