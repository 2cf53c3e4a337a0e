"""A plotter's picture saved as a PNG the way every Twin output is saved: atomically, at the
exact path asked for (VTK appends ".png" to a name without it), through a device or FIFO, and
never over a recording (``twin.model.atomic``). Rendered straight to the target, a full disk
left an existing picture cut to a fragment."""

from __future__ import annotations

import tempfile
from pathlib import Path

from twin.model.atomic import is_stream, write_bytes_atomic


def save_png(plotter, out: str | Path) -> Path:
    """Render ``plotter`` into ``out`` (PNG); a missing parent folder is made. Returns ``out``."""
    out = Path(out)
    if not is_stream(out):
        out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twin-png-") as folder:
        shot = Path(folder) / "shot.png"
        plotter.screenshot(str(shot))
        data = shot.read_bytes()
    write_bytes_atomic(out, data)
    return out
