"""A writer killed with SIGKILL mid-run leaves a file readable up to its last flush."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from twin.recording import RecordingError, open_recording

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from twin.model.loader import load_layout
    from twin.recording import Recorder
    from twin.model.frame import Event, EventKind, Frame

    fac = load_layout(sys.argv[1])
    rec = Recorder(sys.argv[2], fac, flush_interval_s=1.0)
    i = 0
    while True:
        f = Frame.empty(1000.0 + i, fac.counts())
        f.gpu["temp_c"][:] = (np.arange(fac.n_gpus) % 50) + i * 0.1
        f.rack["inlet_c"][:] = 20 + i * 0.1
        if i % 10 == 0:
            f.events.append(Event(1000.0 + i, EventKind.NOTE, "A01", f"tick {i}"))
        rec.append(f)
        i += 1
        if i % 7 == 0:
            rec.flush()
            print(i, flush=True)
        time.sleep(0.002)
    """
)


def test_sigkilled_writer_leaves_readable_file(tmp_path, small_layout_file):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(small_layout_file), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    flushed = 0
    deadline = time.monotonic() + 60
    try:
        for line in proc.stdout:
            flushed = int(line)
            if flushed >= 140 or time.monotonic() > deadline:  # two history blocks and more
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert flushed >= 140, "writer too slow"

    with open_recording(out) as rec:
        assert rec.n_frames >= flushed
        n = rec.n_frames
        for i in (0, flushed // 2, flushed - 1):
            f = rec.frame(i)
            assert f.time_s == 1000.0 + i
            want = (np.arange(f.gpu["temp_c"].size) % 50) + i * 0.1
            assert np.abs(f.gpu["temp_c"] - want).max() < 0.051
        times, h = rec.history("rack", 0, ["inlet_c"])
        assert len(times) == n
        assert np.abs(h["inlet_c"][:flushed] - (20 + np.arange(flushed) * 0.1)).max() < 0.051
        notes = [e.message for e in rec.events]
        assert notes[: (flushed - 1) // 10 + 1] == [f"tick {k}" for k in range(0, flushed, 10)]
        # every frame present reads without error, even past the last flush
        for i in range(flushed, n):
            rec.frame(i)

    def read_all(path):
        with open_recording(path) as rec:
            rows = [rec.frame(i).gpu["temp_c"].tobytes() for i in range(rec.n_frames)]
            return rows, rec.history("gpu", 3)[1]["temp_c"].tobytes()

    intact = read_all(out)
    # the same file damaged: SWMR readers retry bad metadata, and must still fail fast, with
    # an error naming the file or (bytes in slack space) the same values as before
    data = bytearray(out.read_bytes())
    rng = np.random.default_rng(0)
    for where in (0.1, 0.5, 0.9):
        bad = tmp_path / f"bad{where}.h5"
        d = bytearray(data)
        at = int(len(d) * where)
        d[at : at + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
        bad.write_bytes(bytes(d))
        t0 = time.monotonic()
        try:
            got = read_all(bad)
        except RecordingError as exc:
            assert str(bad) in str(exc)
        else:
            assert got == intact
        assert time.monotonic() - t0 < 20


# A writer that never calls flush(): the recorder's own interval must put frames on disk.
AUTO_WRITER = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from twin.model.loader import load_layout
    from twin.recording import Recorder
    from twin.model.frame import Frame

    fac = load_layout(sys.argv[1])
    rec = Recorder(sys.argv[2], fac)
    i = 0
    while True:
        f = Frame.empty(2000.0 + i, fac.counts())
        f.rack["inlet_c"][:] = 20 + i * 0.1
        rec.append(f)
        print(i, time.monotonic(), flush=True)
        i += 1
        time.sleep(0.05)
    """
)


def test_sigkilled_writer_that_never_flushes_keeps_all_but_its_last_second(
    tmp_path, small_layout_file
):
    """README: recordings are flushed at least every second and survive SIGKILL up to the last
    flush. The writer appends 20 frames a second for 2.5 s and is killed without ever flushing
    by hand; every frame appended more than a second (plus scheduling slack) before the kill
    must read back."""
    script = tmp_path / "auto_writer.py"
    script.write_text(AUTO_WRITER)
    out = tmp_path / "auto.h5"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(small_layout_file), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    appended: list[float] = []  # monotonic time at which frame i was appended
    try:
        for line in proc.stdout:
            appended.append(float(line.split()[1]))
            if appended[-1] - appended[0] >= 2.5:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    # frames appended before this moment are older than the promised flush interval
    must_have = sum(1 for t in appended if t < killed_at - 1.3)
    assert must_have >= 20, "writer too slow to test anything"
    with open_recording(out) as rec:
        assert must_have <= rec.n_frames <= len(appended)
        times, h = rec.history("rack", 0, ["inlet_c"])
        np.testing.assert_array_equal(times, 2000.0 + np.arange(rec.n_frames))
        want = 20 + np.arange(rec.n_frames) * 0.1
        assert np.abs(h["inlet_c"] - want).max() < 0.05 + 1e-9  # 0.1 °C resolution


# A writer that holds its recording open (in SWMR mode) until it is killed.
HOLDING_WRITER = textwrap.dedent(
    """
    import sys, time
    from twin.model.loader import load_layout
    from twin.recording import Recorder
    from twin.model.frame import Frame

    fac = load_layout(sys.argv[1])
    rec = Recorder(sys.argv[2], fac)
    for i in range(3):
        rec.append(Frame.empty(3000.0 + i, fac.counts()))
    rec.flush()
    print("ready", flush=True)
    time.sleep(120)
    """
)


def test_a_file_held_by_a_writer_is_read_with_capped_metadata_retries(tmp_path, small_layout_file):
    """The reader opens a file another process writes in SWMR mode with its own access list:
    metadata read attempts capped at SWMR_READ_ATTEMPTS (HDF5's default of 100 with back-off
    makes a damaged file hang) and a strong close, so closing releases the file at once."""
    import ctypes

    import h5py

    from twin.recording import hdf5_capi
    from twin.recording.reader import SWMR_READ_ATTEMPTS

    lib = hdf5_capi._library()
    if lib is None:
        pytest.skip("the HDF5 library h5py loaded cannot be found")
    get_attempts = lib.H5Pget_metadata_read_attempts
    get_attempts.argtypes = (ctypes.c_int64, ctypes.POINTER(ctypes.c_uint))
    get_attempts.restype = ctypes.c_int
    script = tmp_path / "holding_writer.py"
    script.write_text(HOLDING_WRITER)
    out = tmp_path / "held.h5"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(small_layout_file), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        with open_recording(out) as rec:
            assert rec.n_frames == 3 and rec.start_s == 3000.0
            assert rec._file.swmr_mode
            fapl = rec._file.id.get_access_plist()
            attempts = ctypes.c_uint(0)
            assert get_attempts(fapl.id, ctypes.byref(attempts)) >= 0
            assert attempts.value == SWMR_READ_ATTEMPTS == 4
            assert fapl.get_fclose_degree() == h5py.h5f.CLOSE_STRONG
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_a_file_left_open_by_a_killed_non_swmr_writer_says_so(tmp_path):
    """HDF5 marks a file open for write; a writer killed outside SWMR mode leaves it marked,
    and the reader's SWMR attempt must then name the file and the reason."""
    script = tmp_path / "plain_writer.py"
    script.write_text(
        "import sys, time, h5py\n"
        "f = h5py.File(sys.argv[1], 'w', libver='latest')\n"
        "f['x'] = [1, 2, 3]\n"
        "f.flush()\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    out = tmp_path / "plain.h5"
    proc = subprocess.Popen([sys.executable, str(script), str(out)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "ready"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    with pytest.raises(RecordingError) as err:
        open_recording(out)
    assert str(err.value).startswith(f"{out}: cannot open the recording while it is written: ")
    assert "not already open for SWMR writing" in str(err.value)
