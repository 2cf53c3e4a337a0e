"""The hall as it was in a frame, as PNG bytes: the 3D snapshots of an incident report."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path


def png_snapshot(size: tuple[int, int] = (900, 560)) -> Callable[..., bytes]:
    """A ``snapshot(facility, frame, title) -> PNG bytes`` renderer (off screen)."""

    def snap(fac, frame, title: str) -> bytes:
        from twin.render.overlays import render_frame_png

        with tempfile.TemporaryDirectory() as d:
            out = render_frame_png(fac, frame, Path(d) / "snap.png", size=size, title=title)
            return Path(out).read_bytes()

    return snap
