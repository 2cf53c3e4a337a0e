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
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    write_text_atomic(fifo, "hello\n")
    reader.join(10)
    assert got == ["hello\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert check_target(fifo) == fifo
    assert list(tmp_path.iterdir()) == [fifo]  # no temp file left beside it


def test_a_device_is_written_through(tmp_path):
    """On a private twin of /dev/null (never the real one: a mutant of this module, run as
    root by `make mutate`, replaced the machine's /dev/null with a file)."""
    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    write_text_atomic(null, "discarded")
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == os.makedev(1, 3)
    assert check_target(null) == null
    assert list(tmp_path.iterdir()) == [null]


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
    if os.geteuid() == 0:  # writing asked of a place without write bits: refused, as for a user
        monkeypatch.setattr(
            os,
            "access",
            lambda p, m: (not m & os.W_OK or os.stat(p).st_mode & 0o222 != 0) and real(p, m),
        )
    try:
        with pytest.raises(OutputError, match=f"^{layout} is read-only$"):
            check_target(layout)
        with pytest.raises(OutputError, match=f"^{ro / 'x.yaml'}: cannot write in folder {ro}$"):
            check_target(ro / "x.yaml")
    finally:
        ro.chmod(0o755)


def _refusal(call, *args, **kw) -> tuple:
    with pytest.raises(OutputError) as err:
        call(*args, **kw)
    e = err.value
    return e.errno, e.filename, str(e)


def test_each_refusal_carries_its_errno_and_the_target(tmp_path):
    import errno
    import socket

    target = tmp_path / "nodir" / "x.yaml"
    assert _refusal(check_target, target) == (
        errno.ENOENT,
        str(target),
        f"{target}: no folder {target.parent}",
    )
    assert _refusal(check_target, tmp_path) == (
        errno.EISDIR,
        str(tmp_path),
        f"{tmp_path} is a folder; give a file name",
    )
    assert _refusal(write_text_atomic, tmp_path, "x") == _refusal(check_target, tmp_path)
    layout = tmp_path / "a.yaml"
    layout.write_text("x")
    assert _refusal(check_target, layout, [layout])[:2] == (errno.EEXIST, str(layout))
    rec = _recording(tmp_path / "r.h5")
    assert _refusal(check_target, rec)[:2] == (errno.EEXIST, str(rec))
    assert _refusal(write_text_atomic, rec, "x")[:2] == (errno.EEXIST, str(rec))
    sock_path = tmp_path / "s.sock"  # exists, not a file, not a stream
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock_path))
        assert _refusal(check_target, sock_path) == (
            errno.EEXIST,
            str(sock_path),
            f"{sock_path} exists and is not a file",
        )
    why = _refusal(write_text_atomic, target, "x")
    assert why == (errno.ENOENT, str(target), f"cannot write {target}: No such file or directory")


def test_read_only_refusals_carry_eacces(tmp_path, monkeypatch):
    import errno

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: False if m & os.W_OK else real(p, m))
    layout = tmp_path / "a.yaml"
    layout.write_text("x")
    assert _refusal(check_target, layout) == (errno.EACCES, str(layout), f"{layout} is read-only")
    new = tmp_path / "b.yaml"
    assert _refusal(check_target, new) == (
        errno.EACCES,
        str(new),
        f"{new}: cannot write in folder {tmp_path}",
    )


def test_the_temp_file_is_named_for_its_target_and_writer(tmp_path):
    """``clean_stale_temps`` finds a killed writer's temp file by this name."""
    import re

    seen = []
    write_text_atomic(tmp_path / "hall.yaml", "x", verify=seen.append)
    assert re.fullmatch(rf"\.hall\.yaml\.{os.getpid()}\.[^./]+\.tmp", seen[0].name)
    assert seen[0].parent == tmp_path


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_the_umasks_mode_and_an_old_one_keeps_its_own(tmp_path, umask, mode):
    out = tmp_path / "x.yaml"
    old = os.umask(umask)
    try:
        write_text_atomic(out, "a")
        assert stat.S_IMODE(out.stat().st_mode) == mode
        out.chmod(0o604)
        write_text_atomic(out, "b")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o604 and out.read_text() == "b"


def test_a_killed_writers_temp_is_cleaned_even_with_glob_characters_in_the_name(tmp_path):
    import subprocess
    import sys

    from twin.model.atomic import clean_stale_temps

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    dead = int(done.stdout)
    out = tmp_path / "hall[1]*?.yaml"
    stale = tmp_path / f".hall[1]*?.yaml.{dead}.abc123.tmp"
    live = tmp_path / f".hall[1]*?.yaml.{os.getpid()}.def456.tmp"  # a writer still running
    other = tmp_path / f".hall1x.yaml.{dead}.abc123.tmp"  # another file's, whatever [1]* match
    for p in (stale, live, other):
        p.write_text("half")
    assert clean_stale_temps(out) == [stale]
    write_text_atomic(out, "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name, other.name])


def test_is_hdf5_is_false_for_what_cannot_be_read(tmp_path):
    assert not is_hdf5(tmp_path)  # a folder
    assert not is_hdf5(tmp_path / "missing.h5")
    assert is_hdf5(_recording(tmp_path / "r.h5"))


def test_a_process_we_may_not_signal_counts_as_running(monkeypatch):
    from twin.model.atomic import process_alive

    def denied(pid, sig):
        assert sig == 0  # only asks; never sends a signal
        raise PermissionError

    monkeypatch.setattr(os, "kill", denied)
    assert process_alive(1)
