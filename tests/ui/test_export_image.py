"""File › Export Image: the view saved as a PNG at the path chosen, atomically; a target it
must not replace (a recording) or cannot write is said in the status bar, the file kept.
It called plotter.screenshot(path) straight: 'hall' became hall.png, and a recording chosen
by mistake was replaced."""

from __future__ import annotations

import h5py
import pytest

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.gui
def test_export_image_writes_the_exact_path_and_keeps_a_recording(opened, tmp_path):
    win = opened
    out = tmp_path / "hall"
    assert win.save_image(str(out))
    assert out.read_bytes().startswith(PNG)
    assert win.statusBar().currentMessage() == f"Saved {out}"
    rec = tmp_path / "run.h5"
    with h5py.File(rec, "w") as f:
        f["x"] = [1]
    data = rec.read_bytes()
    assert not win.save_image(str(rec))
    assert rec.read_bytes() == data
    assert win.statusBar().currentMessage().startswith(f"Image not saved: {rec} is an HDF5 file")
