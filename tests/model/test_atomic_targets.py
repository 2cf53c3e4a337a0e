"""Where an output may land. As root, an atomic write over /dev/null replaced the device with
a regular file, and `twin report r.h5 -o r.h5` replaced the recording with HTML: a device or
FIFO is written through, a recording is never replaced by anything but HDF5, and a command
can refuse a bad target (its own input, a folder, a read-only place) before any work."""

from __future__ import annotations

import os
import stat
import threading

import h5py
import pytest

from twin.model.atomic import (
    OutputError,
    check_target,
    is_hdf5,
    write_bytes_atomic,
    write_text_atomic,
)

pytestmark = pytest.mark.timeout(30)


def _recording(path):
    with h5py.File(path, "w") as f:
        f["x"] = [1, 2, 3]
    return path


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text_atomic(fifo, "hello\n")
    reader.join(10)
    assert got == ["hello\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert check_target(fifo) == fifo
    assert list(tmp_path.iterdir()) == [fifo]  # no temp file left beside it


def test_dev_null_is_written_through(tmp_path):
    before = os.stat("/dev/null")
    write_text_atomic("/dev/null", "discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_recording_is_not_replaced_by_text(tmp_path):
    rec = _recording(tmp_path / "run.h5")
    data = rec.read_bytes()
    with pytest.raises(OutputError) as err:
        write_text_atomic(rec, "<html></html>")
    assert str(err.value) == (
        f"{rec} is an HDF5 file (a recording?); it is not written over: choose another output file"
    )
    assert rec.read_bytes() == data and is_hdf5(rec)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5"]
    # HDF5 over HDF5 (a recording written atomically) still replaces it
    write_bytes_atomic(rec, b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert rec.stat().st_size == 108


def test_a_folder_and_a_missing_folder_are_named(tmp_path):
    with pytest.raises(OutputError, match=f"^{tmp_path} is a folder; give a file name$"):
        write_text_atomic(tmp_path, "x")
    target = tmp_path / "nodir" / "out.yaml"
    with pytest.raises(OutputError) as err:
        write_text_atomic(target, "x")
    assert str(err.value).startswith(f"cannot write {target}: ")  # not the temp file's name
    assert ".tmp" not in str(err.value)
    with pytest.raises(OutputError, match=f"^{target}: no folder {target.parent}$"):
        check_target(target)


def test_check_target_refuses_inputs_recordings_and_read_only_places(tmp_path, monkeypatch):
    layout = tmp_path / "hall.yaml"
    layout.write_text("name: x\n")
    with pytest.raises(OutputError, match="is also an input of this command"):
        check_target(tmp_path / "." / "hall.yaml", inputs=[None, layout])
    with pytest.raises(OutputError, match="is an HDF5 file"):
        check_target(_recording(tmp_path / "r.h5"))
    assert check_target(layout) == layout  # an existing file that is no input: replaceable
    assert check_target(tmp_path / "new.html") == tmp_path / "new.html"
    # read-only as the user sees it (root, who runs CI, may write anything: os.access says
    # what the kernel would allow this process)
    layout.chmod(0o444)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    real = os.access
    if os.geteuid() == 0:
        monkeypatch.setattr(
            os, "access", lambda p, m: not os.stat(p).st_mode & 0o222 == 0 and real(p, m)
        )
    try:
        with pytest.raises(OutputError, match=f"^{layout} is read-only$"):
            check_target(layout)
        with pytest.raises(OutputError, match=f"^{ro / 'x.yaml'}: cannot write in folder {ro}$"):
            check_target(ro / "x.yaml")
    finally:
        ro.chmod(0o755)
