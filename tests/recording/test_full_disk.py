"""A recording whose disk fills, or whose file reaches a size limit, stops whole and says why.

HDF5 cannot survive a failed write: ``twin simulate`` onto a full disk (a 600 kB tmpfs)
ended with a segmentation fault (exit 139) after pages of h5py tracebacks, and so would the
window. Now the recorder looks before each batch of writes and closes the file while it
still can; a write that fails anyway is a ``RecordingError``, its file is never touched
again, and ``twin`` ends with its own exit code instead of HDF5's crash at exit. Runs that
would leave HDF5 so are made in child processes (``RLIMIT_FSIZE``: a write past it fails
with EFBIG as a full disk's does with ENOSPC, with no file system to fill)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from collections import namedtuple
from pathlib import Path

import numpy as np
import pytest

from twin.model.atomic import HDF5_SIGNATURE
from twin.recording import Recorder, RecordingError, open_recording
from twin.recording import recorder as recorder_module
from twin.recording.format import EVENT_DTYPE
from twin.session import Session
from twin.telemetry.simulator import Simulator

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "layouts" / "demo-air-hall.yaml"
Usage = namedtuple("Usage", "total used free")
MB = 2**20


class Disk:
    """``shutil.disk_usage`` of a disk with ``free`` bytes, set by the test as it goes."""

    def __init__(self, free: int):
        self.free = free

    def __call__(self, _path):
        return Usage(1 << 40, (1 << 40) - self.free, self.free)


def _need_bytes(rec: Recorder, pending: int, events: int = 0) -> int:
    """What the recorder must find free before it writes ``pending`` frames and ``events``:
    those frames, one history block and the spare, counted from the layout's items."""
    frame_row = sum(m.block.shape[1] * m.block.dtype.itemsize for m in rec._metrics)
    block = sum(
        rec.counts[kind] * rec.block_frames * h.dtype.itemsize
        for kind, (h, _) in rec._history.items()
    )
    event_bytes = events * EVENT_DTYPE.itemsize
    return pending * frame_row + block + event_bytes + recorder_module.SPARE_BYTES


def _with_events(frame):
    """``frame`` with three more alarms (their rows count in the room needed)."""
    from twin.model.frame import Event, EventKind

    for i in range(3):
        frame.events.append(Event(frame.time_s, EventKind.ALARM, f"A0{i}", "hot", 2))
    return frame


def test_a_recording_stops_whole_when_its_disk_is_nearly_full(
    tmp_path, small_facility, monkeypatch
):
    disk = Disk(1 << 40)
    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk)
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    path = tmp_path / "r.h5"
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    kept = [sim.step() for _ in range(30)]
    for f in kept:
        rec.append(f)
    last = _with_events(sim.step())
    need = _need_bytes(rec, 1, len(last.events))
    disk.free = need - 1  # one byte short: alike in MB, so said in kB
    with pytest.raises(RecordingError) as e:
        rec.append(last)
    kept.append(last)
    assert str(e.value) == (
        f"{path}: only {(need - 1) / 1024:,.0f} kB free on its disk, less than the "
        f"{need / 1024:,.0f} kB its next writes and closing need; the recording was closed "
        "with its 31 frames"
    )
    with pytest.raises(RecordingError, match="is closed"):
        rec.append(sim.step())
    rec.close()  # already closed: nothing to do
    with open_recording(path) as r:
        assert r.n_frames == 31 and r.closed_frames == 31
        assert r.times.tolist() == [f.time_s for f in kept]
        np.testing.assert_allclose(
            r.frame(30).gpu["temp_c"], kept[30].gpu["temp_c"], atol=0.05 + 1e-6
        )


def test_one_byte_more_and_it_goes_on(tmp_path, small_facility, monkeypatch):
    disk = Disk(1 << 40)
    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk)
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    with Recorder(tmp_path / "r.h5", small_facility, flush_interval_s=0.0) as rec:
        for _ in range(30):
            rec.append(sim.step())
        last = _with_events(sim.step())
        disk.free = _need_bytes(rec, 1, len(last.events))
        rec.append(last)
    with open_recording(tmp_path / "r.h5") as r:
        assert r.n_frames == 31


def test_a_full_block_is_looked_before_as_a_flush_is(tmp_path, small_facility, monkeypatch):
    """No flush due (an hour's interval): the block of 64 frames that fills is the next
    write, and the disk is looked at before it."""
    disk = Disk(1 << 40)
    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk)
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    path = tmp_path / "r.h5"
    rec = Recorder(path, small_facility, flush_interval_s=3600.0)
    disk.free = 1 * MB
    with pytest.raises(RecordingError, match="closed with its 64 frames$"):
        for _ in range(200):
            rec.append(sim.step())
    with open_recording(path) as r:
        assert r.n_frames == r.closed_frames == 64


def test_a_disk_that_cannot_be_looked_at_is_recorded_to(tmp_path, small_facility, monkeypatch):
    def no_answer(_path):
        raise OSError("statvfs failed")

    monkeypatch.setattr(recorder_module.shutil, "disk_usage", no_answer)
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    with Recorder(tmp_path / "r.h5", small_facility, flush_interval_s=0.0) as rec:
        for _ in range(5):
            rec.append(sim.step())
    with open_recording(tmp_path / "r.h5") as r:
        assert r.n_frames == 5


def test_a_size_limit_reached_exactly_is_room_enough(tmp_path, small_facility, monkeypatch):
    """The file, its next writes and the spare may end exactly at the limit; a byte less
    stops it."""
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    path = tmp_path / "r.h5"
    limit = {"bytes": None}
    monkeypatch.setattr(recorder_module, "file_size_limit", lambda _p: (limit["bytes"], "why"))
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    for _ in range(10):
        rec.append(sim.step())
    frame = sim.step()
    limit["bytes"] = path.stat().st_size + _need_bytes(rec, 1, len(frame.events))
    rec.append(frame)
    frame = sim.step()
    size = path.stat().st_size
    need = _need_bytes(rec, 1, len(frame.events))
    limit["bytes"] = size + need - 1
    with pytest.raises(RecordingError) as e:
        rec.append(frame)
    assert str(e.value) == (
        f"{path}: it is {size / MB:,.1f} MB, its next writes and closing may add "
        f"{need / MB:,.1f} MB, and it may not grow past {(size + need - 1) / MB:,.1f} MB "
        "(why); the recording was closed with its 12 frames"
    )


def test_a_disk_without_room_for_one_block_is_refused_and_no_file_is_left(
    tmp_path, small_facility, monkeypatch
):
    monkeypatch.setattr(recorder_module.shutil, "disk_usage", Disk(3 * MB))
    path = tmp_path / "r.h5"
    with pytest.raises(RecordingError) as e:
        Recorder(path, small_facility)
    assert re.fullmatch(
        rf"cannot record to {re.escape(str(path))}: only 3.0 MB free on its disk, less than the "
        r"[\d.]+ MB its next writes and closing need",
        str(e.value),
    )
    assert not path.exists()


def test_a_session_whose_disk_fills_stops_recording_and_goes_on(
    tmp_path, small_facility, monkeypatch
):
    """The window's pump: the recording stops with the reason, the frames keep coming, and
    nothing is raised out of ``tick`` (its flush between frames included)."""
    disk = Disk(1 << 40)
    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk)
    sim = Simulator(small_facility, "normal", seed=5, start_s=1_800_000_000.0)

    class Source:
        def __init__(self):
            self.frames = [sim.step() for _ in range(12)]

        def start(self): ...

        def stop(self, timeout_s=5.0): ...

        def status(self):
            from twin.telemetry.source import SourceState, SourceStatus

            return SourceStatus(SourceState.PLAYING)

        def poll(self):
            return self.frames.pop(0) if self.frames else None

        def drain_backfill(self):
            return []

    s = Session(small_facility, Source())
    stopped = []
    s.recording_stopped.connect(lambda p, n, why: stopped.append((n, why)))
    s.record(tmp_path / "r.h5")
    s.flush_interval_s = 0.0
    for _ in range(5):
        s.tick()
    disk.free = 1 * MB
    for _ in range(10):
        s.tick()
    assert s.recorder is None and s.frames == 12
    assert len(stopped) == 1
    n, why = stopped[0]
    assert why.startswith("recording stopped: only 1.0 MB free on its disk, less than the ")
    assert why.endswith("; the recording was closed with its 6 frames")
    with open_recording(tmp_path / "r.h5") as r:
        assert r.n_frames == r.closed_frames == 6 == n


def test_the_size_limits_a_file_can_reach(monkeypatch, tmp_path):
    """ulimit -f, and a file system that holds files up to 2^bits - 1 bytes (FAT32: 32)."""
    import resource

    bits = {"n": 64}

    def pathconf(p, name):
        assert Path(p) == tmp_path and name == "PC_FILESIZEBITS"
        if isinstance(bits["n"], Exception):
            raise bits["n"]
        return bits["n"]

    monkeypatch.setattr(resource, "getrlimit", lambda _r: (resource.RLIM_INFINITY,) * 2)
    monkeypatch.setattr(os, "pathconf", pathconf)
    for n in (64, 0, -1, OSError(22, "Invalid argument")):  # -1: no limit it knows of
        bits["n"] = n
        assert recorder_module.file_size_limit(tmp_path / "r.h5") == (None, "")
    for n in (32, 1):
        bits["n"] = n
        assert recorder_module.file_size_limit(tmp_path / "r.h5") == (
            2**n - 1,
            "the largest file its file system holds",
        )
    bits["n"] = 32
    monkeypatch.setattr(resource, "getrlimit", lambda _r: (20 * MB, resource.RLIM_INFINITY))
    assert recorder_module.file_size_limit(tmp_path / "r.h5") == (
        20 * MB,
        "the file-size limit of this process, ulimit -f",
    )


def _limited(limit_bytes: int):
    import resource

    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, resource.RLIM_INFINITY))

    return set_limit


def _python(code: str, args: list[str], limit_bytes: int) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS`` in a child whose files may grow to ``limit_bytes``."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=ROOT,
        preexec_fn=_limited(limit_bytes),
    )


def _twin(args: list[str], limit_bytes: int, prelude: str = "") -> subprocess.CompletedProcess:
    """``twin ARGS`` in a child whose files may grow to ``limit_bytes``, after ``prelude``."""
    code = prelude + "\nimport sys\nfrom twin.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return _python(code, args, limit_bytes)


def test_a_file_size_limit_stops_twin_simulate_with_a_whole_recording(tmp_path):
    out = tmp_path / "r.h5"
    run = _twin(["simulate", str(DEMO), "--duration", "24h", "-o", str(out), "-q"], 20 * MB)
    assert run.returncode == 1, run.stderr
    m = re.fullmatch(
        rf"twin simulate: {re.escape(str(out))}: it is [\d.]+ MB, its next writes and "
        r"closing may add [\d.]+ MB, and it may not grow past 20.0 MB \(the file-size limit "
        r"of this process, ulimit -f\); the recording was closed with its (\d+) frames\n",
        run.stderr,
    )
    assert m, run.stderr
    assert out.stat().st_size < 20 * MB
    with open_recording(out) as r:
        assert r.n_frames == r.closed_frames == int(m.group(1)) > 1000


#: The room check switched off: the child's writes run into the limit, as when another
#: program fills the disk between two checks.
NO_LOOKING = (
    "from twin.recording.recorder import Recorder\nRecorder._short_of_room = lambda self: ''\n"
)


def test_a_write_that_fails_anyway_ends_twin_with_its_own_code_not_a_crash(tmp_path):
    out = tmp_path / "r.h5"
    run = _twin(
        ["simulate", str(DEMO), "--duration", "24h", "-o", str(out), "-q"], 3 * MB, NO_LOOKING
    )
    assert run.returncode == 1 != -signal.SIGSEGV, run.stderr
    assert run.stderr.startswith(
        f"twin simulate: writing {out} failed (File too large); its first "
    )
    assert "Fatal Python error" not in run.stderr and "Traceback" not in run.stderr


def test_a_script_recording_on_its_own_ends_with_status_1_not_a_crash(tmp_path):
    """No ``twin`` entry point: a script that records through a ``Session`` of its own and
    carries on after the failed write ends with status 1 at its exit (HDF5 crashed it)."""
    out = tmp_path / "r.h5"
    script = textwrap.dedent(f"""
        {NO_LOOKING.strip().replace(chr(10), chr(10) + "        ")}
        import logging
        from twin.model.loader import load_layout
        from twin.session import Session
        from twin.telemetry.simulated import SteppedSource
        from twin.telemetry.simulator import Simulator
        logging.basicConfig(filename={str(tmp_path / "script.log")!r})
        fac = load_layout({str(DEMO)!r})
        s = Session(fac, SteppedSource(Simulator(fac, "normal", seed=1, start_s=1.8e9), 5000))
        s.record({str(out)!r})
        s.start()
        while s.recorder is not None:
            s.tick()
        print("stopped:", s.record_error, flush=True)
        logging.getLogger("script").warning("carried on")
    """)
    run = _python(script, [], 2 * MB)
    assert run.returncode == 1, run.stderr
    assert run.stdout.startswith(f"stopped: writing {out} failed (File too large); its first ")
    assert "carried on" in (tmp_path / "script.log").read_text()


def test_the_frames_to_the_last_flush_can_be_read_after_a_failed_write(tmp_path):
    """A full disk fails a write as the file-size limit does, but the file may still be
    lengthened (a hole takes no space): its superblock's end is restored and it reads to its
    last flush, every value as recorded. Here the limit is lifted just before that."""
    out = tmp_path / "r.h5"
    script = textwrap.dedent(f"""
        import resource, sys
        {NO_LOOKING.strip().replace(chr(10), chr(10) + "        ")}
        from twin.model.loader import load_layout
        from twin.recording import RecordingError, recorder
        from twin.telemetry.simulator import Simulator
        extend = recorder.extend_to_stored_eof
        def lift_then_extend(path):
            resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
            extend(path)
        recorder.extend_to_stored_eof = lift_then_extend
        fac = load_layout({str(DEMO)!r})
        sim = Simulator(fac, "normal", seed=1, start_s=1.8e9)
        rec = recorder.Recorder({str(out)!r}, fac, flush_interval_s=0.0)
        try:
            while True:
                rec.append(sim.step())
        except RecordingError as e:
            print(e)
        recorder.end_past_failed_writes(7)
    """)
    run = _python(script, [], 2 * MB)
    assert run.returncode == 7, run.stderr
    m = re.fullmatch(
        rf"writing {re.escape(str(out))} failed \(File too large\); its first (\d+) frames "
        r"\(to the last flush\) are on disk\n",
        run.stdout,
    )
    assert m, run.stdout + run.stderr
    flushed = int(m.group(1))
    from twin.model.loader import load_layout

    sim = Simulator(load_layout(DEMO), "normal", seed=1, start_s=1.8e9)
    expected = [sim.step() for _ in range(flushed)]
    with open_recording(out) as r:
        assert r.n_frames >= flushed > 100
        assert r.closed_frames is None  # never closed: read as a file its writer left
        for i in (0, flushed // 2, flushed - 1):
            assert r.times[i] == expected[i].time_s
            np.testing.assert_allclose(
                r.frame(i).gpu["power_w"], expected[i].gpu["power_w"], atol=0.5 + 1e-6
            )


# ---------------------------------------------------------------- the same paths in-process


def test_hdf5s_reason_is_read_out_of_its_long_message():
    long = OSError(
        "[Errno 28] Driver write request failed (file write failed: time = Sun Dec  6 "
        "15:14:21 2026\n, filename = '/mnt/r.h5', file descriptor = 3, errno = 28, error "
        "message = 'No space left on device', buf = 0x5647c0e0d460, total write size = 83)"
    )
    assert recorder_module._why(long) == "No space left on device"
    assert recorder_module._why(RuntimeError("Can't write data\nmore")) == "Can't write data"
    assert recorder_module._why(OSError()) == "OSError"
    assert recorder_module._why(OSError("x" * 300 + "\nmore")) == "x" * 200


def test_a_file_is_lengthened_to_the_end_its_superblock_records(tmp_path, small_facility):
    path = tmp_path / "r.h5"
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(5):
            rec.append(sim.step())
    whole = path.stat().st_size
    with open(path, "r+b") as f:  # the end its last flush recorded, never written
        f.truncate(whole - 100)
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == whole
    recorder_module.extend_to_stored_eof(path)  # already as long: left alone
    assert path.stat().st_size == whole
    with open(path, "ab") as f:  # longer than it records: never shortened
        f.write(b"\0" * 10)
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == whole + 10
    with open(path, "r+b") as f:  # one byte short
        f.truncate(whole - 1)
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == whole
    with open(path, "r+b") as f:  # an end more than 1 GiB away is not believed
        f.seek(recorder_module._EOF_AT)
        f.write(np.uint64(whole + (1 << 30) + 1).tobytes())
        f.truncate(whole - 100)
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == whole - 100
    with open(path, "r+b") as f:  # 1 GiB away exactly: believed (a hole, no space taken)
        f.seek(recorder_module._EOF_AT)
        f.write(np.uint64(whole - 100 + (1 << 30)).tobytes())
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == whole - 100 + (1 << 30)
    other = tmp_path / "notes.txt"  # not HDF5: never touched
    other.write_bytes(b"x" * 64)
    recorder_module.extend_to_stored_eof(other)
    assert other.read_bytes() == b"x" * 64


def _superblock(signature: bytes, version: int, offsets: int, lengths: int, eof: int) -> bytes:
    """The first bytes of a version 2/3 superblock, its end-of-file address ``eof``."""
    head = signature + bytes([version, offsets, lengths, 0]) + bytes(16)
    return head + eof.to_bytes(8, "little") + bytes(28)


@pytest.mark.parametrize(
    ("signature", "version", "offsets", "lengths", "lengthened"),
    [
        (HDF5_SIGNATURE, 2, 8, 8, True),
        (HDF5_SIGNATURE, 3, 8, 4, True),  # only the offsets' size is read
        (HDF5_SIGNATURE, 0, 8, 8, False),  # a superblock laid out otherwise
        (HDF5_SIGNATURE, 3, 4, 8, False),  # 4-byte addresses
        (b"\x89HDF\r\n\x1a\x00", 3, 8, 8, False),  # not HDF5
    ],
)
def test_only_a_superblock_read_as_written_is_lengthened(
    tmp_path, signature, version, offsets, lengths, lengthened
):
    path = tmp_path / "x.h5"
    head = _superblock(signature, version, offsets, lengths, 4096)
    path.write_bytes(head)
    recorder_module.extend_to_stored_eof(path)
    assert path.stat().st_size == (4096 if lengthened else len(head))


def test_a_file_system_size_limit_stops_it_whole(tmp_path, small_facility, monkeypatch):
    """A file system whose files hold 2^20 bytes (1 MiB), no spare: the recording stops when
    the file and its next writes would pass that, closed whole below it."""
    path = tmp_path / "r.h5"
    monkeypatch.setattr(recorder_module, "SPARE_BYTES", 0)
    real = os.pathconf
    monkeypatch.setattr(os, "pathconf", lambda p, n: 20 if Path(p) == tmp_path else real(p, n))
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    sizes = []
    with pytest.raises(RecordingError) as e:
        for _ in range(5000):
            sizes.append(path.stat().st_size)
            rec.append(sim.step())
    n = len(sizes)
    assert 10 < n < 5000
    assert re.fullmatch(
        rf"{re.escape(str(path))}: it is [\d.]+ MB, its next writes and closing may add "
        r"[\d.]+ MB, and it may not grow past 1.0 MB \(the largest file its file system "
        rf"holds\); the recording was closed with its {n} frames",
        str(e.value),
    )
    assert path.stat().st_size < 2**20
    with open_recording(path) as r:
        assert r.n_frames == r.closed_frames == n


class _Exit(Exception):
    pass


def test_a_failed_write_sets_the_file_aside_and_the_process_ends_with_its_code(
    tmp_path, small_facility, monkeypatch
):
    """A write that fails (here one made to fail, on a healthy file, so that this test's
    process can close it afterwards): ``RecordingError`` with HDF5's reason and the frames
    flushed, the file never touched again, and ``end_past_failed_writes`` ends the process
    with the code given, its streams flushed."""
    path = tmp_path / "r.h5"
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    for _ in range(10):
        rec.append(sim.step())
    h5 = rec._file

    def fail():
        raise OSError("Driver write request failed (error message = 'No space left on device')")

    monkeypatch.setattr(rec, "_write_pending", fail)
    exits = []

    def fake_exit(code):
        exits.append(code)
        raise _Exit

    monkeypatch.setattr(os, "_exit", fake_exit)
    recorder_module.end_past_failed_writes(3)  # nothing failed yet: returns
    recorder_module._end_at_exit()
    early = Recorder(tmp_path / "early.h5", small_facility, flush_interval_s=3600.0)
    early_h5 = early._file
    for _ in range(3):
        early.append(sim.step())
    monkeypatch.setattr(early, "_write_pending", fail)
    try:
        with pytest.raises(RecordingError) as e:
            early.flush()  # before any flush: none of its frames is on disk
        assert str(e.value) == (
            f"writing {tmp_path / 'early.h5'} failed (No space left on device); its first 0 "
            "frames (to the last flush) are on disk"
        )
        with pytest.raises(RecordingError) as e:
            rec.append(sim.step())
        assert str(e.value) == (
            f"writing {path} failed (No space left on device); its first 10 frames (to the "
            "last flush) are on disk"
        )
        assert rec._file is None and recorder_module._FAILED[-1][0] is h5
        with pytest.raises(RecordingError, match="is closed"):
            rec.append(sim.step())
        rec.close()  # set aside: not closed here
        assert h5.id.valid
        with pytest.raises(_Exit):
            recorder_module.end_past_failed_writes(3)
        with pytest.raises(_Exit):  # a script's exit: status 1
            recorder_module._end_at_exit()
        assert exits == [3, 1]
    finally:
        recorder_module._FAILED.clear()
        h5.close()
        early_h5.close()
