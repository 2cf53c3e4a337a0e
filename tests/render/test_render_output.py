"""Where `twin render` puts its picture: at the exact path asked for (VTK made `-o noext`
into noext.png while the command said it wrote noext), never over a recording, and
atomically (rendered in place, a full disk cut an existing picture to a fragment)."""

from __future__ import annotations

import h5py
import pytest

from twin.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def _render(layout, out, *more):
    return main(["render", str(layout), "--size", "160", "120", "-o", str(out), *more])


def test_the_picture_is_written_at_the_exact_path(small_layout, tmp_path, capsys):
    out = tmp_path / "noext"
    assert _render(small_layout, out) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (160x120")
    assert out.read_bytes().startswith(PNG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noext", "small.yaml"]
    elevation = tmp_path / "rack.picture"
    assert _render(small_layout, elevation, "--view", "rack:A01") == 0
    assert elevation.read_bytes().startswith(PNG)


def test_a_recording_is_not_written_over(small_layout, tmp_path, capsys):
    rec = tmp_path / "run.h5"
    with h5py.File(rec, "w") as f:
        f["x"] = [1]
    data = rec.read_bytes()
    assert _render(small_layout, rec) == 2  # refused before any work, as a bad option
    assert capsys.readouterr().err == (
        f"twin render: {rec} is an HDF5 file (a recording?); it is not written over: choose "
        "another output file\n"
    )
    assert rec.read_bytes() == data


def test_its_own_layout_or_recording_is_never_the_output(small_layout, tmp_path, capsys):
    """`-o` naming the layout drawn (or the recording replayed) replaced it with a PNG."""
    text = small_layout.read_bytes()
    assert _render(small_layout, small_layout) == 2
    assert capsys.readouterr().err == (
        f"twin render: {small_layout} is also an input of this command; choose another output "
        "file\n"
    )
    assert small_layout.read_bytes() == text
    rec = tmp_path / "run.h5"  # refused as the recording, before it is opened
    rec.write_bytes(b"not even HDF5")
    assert _render(small_layout, rec, "--recording", str(rec)) == 2
    assert "is also an input of this command" in capsys.readouterr().err
    assert rec.read_bytes() == b"not even HDF5"
    assert _render(small_layout, tmp_path) == 2
    assert capsys.readouterr().err == f"twin render: {tmp_path} is a folder; give a file name\n"


def test_a_failed_render_leaves_the_old_picture(small_layout, tmp_path, monkeypatch, capsys):
    out = tmp_path / "hall.png"
    out.write_bytes(PNG + b"old picture")
    import pyvista as pv

    def full(self, filename=None, *a, **k):  # a disk that fills half-way through the PNG
        with open(filename, "wb") as f:
            f.write(PNG + b"fragm")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pv.Plotter, "screenshot", full)
    assert _render(small_layout, out) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == PNG + b"old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.png", "small.yaml"]


@pytest.mark.parametrize("pos", ["nan", "inf", "-inf"])
def test_a_vertical_slice_not_at_a_number_of_metres_is_refused(small_layout, tmp_path, pos, capsys):
    out = tmp_path / "t.png"
    assert _render(small_layout, out, "--thermal", "vslice", "--vslice", f"x:{pos}") == 2
    assert capsys.readouterr().err == (
        f"twin render: vertical slice position must be a finite number of metres, got {pos!r}\n"
    )
    assert not out.exists()


def test_without_a_display_nothing_but_the_result_is_printed(small_layout, tmp_path):
    """With no DISPLAY, VTK tried an X window first and printed a coloured 'bad X server
    connection' WARN line before drawing with EGL anyway: read as the failure."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "VTK_DEFAULT_OPENGL_WINDOW")}
    out = tmp_path / "hall.png"
    argv = ["render", str(small_layout), "--size", "160", "120", "-o", str(out)]
    code = "import sys; from twin.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"wrote {out} (160x120")
    assert out.read_bytes().startswith(PNG)


@pytest.mark.parametrize("name", ["hall.jpg", "hall.JPEG", "hall.tif", "hall.svg", "hall.pdf"])
def test_a_name_of_another_image_format_is_refused(small_layout, tmp_path, capsys, name):
    """`-o hall.jpg` wrote PNG bytes under a JPEG name; now refused before any work, as a
    bad option, and nothing is written."""
    out = tmp_path / name
    assert _render(small_layout, out) == 2
    kind = out.suffix.lower()
    assert capsys.readouterr().err == (
        f"twin render: {out}: writes PNG images only, and a {kind} name would hold PNG bytes; "
        "name the file .png\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]
