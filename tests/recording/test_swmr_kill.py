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

    # the same file damaged: SWMR readers retry bad metadata, and must still fail fast
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
            with open_recording(bad) as rec:
                for i in range(rec.n_frames):
                    rec.frame(i)
                rec.history("gpu", 3)
        except RecordingError as exc:
            assert str(bad) in str(exc)
        assert time.monotonic() - t0 < 20
