"""``twin record``: live recording from a direct scrape, time parsing, and clear errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from dcgm_exporter import Exporter, ExporterState, Host, temp_of
from live_support import layout_text

from twin.cli import main
from twin.commands.record import parse_time


@pytest.fixture
def layout(tmp_path):
    path = tmp_path / "live.yaml"
    path.write_text(layout_text())
    return path


def test_record_live_scrape_then_replay(layout, tmp_path, facility, capsys):
    from twin.recording import open_recording

    exp = Exporter(ExporterState(hosts=[Host("A01-01", 0), Host("A01-02", 1)])).start()
    out = tmp_path / "lab.h5"
    try:
        rc = main(
            [
                "record", "--scrape", exp.url, "--duration", "1.2s", "--step", "0.2s",
                "-o", str(out), str(layout),
            ]
        )  # fmt: skip
    finally:
        exp.stop()
    assert rc == 0, capsys.readouterr().err
    with open_recording(out) as rec:
        assert rec.n_frames >= 3
        assert (np.diff(rec.times) > 0).all()
        frame = rec.frame(rec.n_frames - 1)
        a = facility.gpu_of("A01-02", 0)
        np.testing.assert_allclose(
            frame.gpu["temp_c"][a : a + 8], [temp_of(1, g) for g in range(8)]
        )
        assert np.isnan(frame.gpu["temp_c"][facility.gpu_of("A01-03", 0)])


def test_parse_time():
    now = 1_800_000_000.0
    assert parse_time("now", now) == now
    assert parse_time("-2h", now) == now - 7200
    assert parse_time("1764150000.5", now) == 1764150000.5
    assert parse_time("2026-11-26T09:00:00Z", now) == 1795683600.0
    assert parse_time("2026-11-26T10:00:00+01:00", now) == 1795683600.0
    with pytest.raises(ValueError, match="not a time"):
        parse_time("yesterday", now)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--prometheus", "http://127.0.0.1:9", "--start", "10", "--end", "5"], "after --start"),
        (["--scrape", "http://127.0.0.1:9", "--start=-1h"], "need --prometheus"),
        (["--prometheus", "http://127.0.0.1:9"], "--duration"),
        (["--prometheus", "http://127.0.0.1:9", "--start=-1h", "--step", "0"], "positive"),
        (["--prometheus", "http://127.0.0.1:9", "--start", "soon"], "not a time"),
        (
            ["--prometheus", "http://127.0.0.1:9", "--start=-1h", "--timeout", "1"],
            "cannot reach",
        ),
    ],
)
def test_record_errors_are_clear(layout, tmp_path, capsys, args, message):
    rc = main(["record", *args, "-o", str(tmp_path / "x.h5"), str(layout)])
    assert rc == 2
    assert message in capsys.readouterr().err


def test_live_record_from_a_dead_server_says_why_and_not_that_it_retries(layout, tmp_path, capsys):
    out = tmp_path / "x.h5"
    rc = main(["record", "--prometheus", "http://127.0.0.1:1", "--duration", "1", "-o", str(out),
               str(layout)])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and not out.exists()
    assert "no DCGM data recorded: cannot reach http://127.0.0.1:1: connection refused" in err
    assert "retrying" not in err  # the command has given up: it must not promise a retry


ROOT = Path(__file__).resolve().parents[2]
TWIN = "import sys; from twin.cli import main; sys.exit(main(sys.argv[1:]))"


def twin_process(*args: str, **kw) -> subprocess.Popen:
    """``twin ARGS`` in a child process running this checkout's code."""
    # a child that hangs is sent SIGABRT, and faulthandler prints where each thread stood
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONFAULTHANDLER="1")
    return subprocess.Popen(
        [sys.executable, "-c", TWIN, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_record_with_no_frames_fails_and_says_so(layout, tmp_path):
    """Nothing answers at the exporter URL: zero frames is a failure (exit 2), not success."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "empty.h5"
    proc = twin_process(
        "record", "--scrape", f"http://127.0.0.1:{port}/metrics", "--duration", "1s",
        "--step", "0.2s", "--timeout", "0.5", "-o", str(out), str(layout),
    )  # fmt: skip
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "wrote 0 frames" in err and "no DCGM data" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_ctrl_c_keeps_what_was_recorded(layout, tmp_path):
    from twin.recording import open_recording

    exp = Exporter(ExporterState(hosts=[Host("A01-01", 0)])).start()
    out = tmp_path / "interrupted.h5"
    try:
        proc = twin_process(
            "record", "--scrape", exp.url, "--duration", "120s", "--step", "0.2s",
            "-o", str(out), str(layout),
        )  # fmt: skip
        # wait until the recording holds a few frames, then press Ctrl-C
        deadline = time.monotonic() + 60
        frames = 0
        while frames < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            try:
                with open_recording(out) as rec:
                    frames = rec.n_frames
            except Exception:  # not created yet, or mid-write
                frames = 0
        assert frames >= 3, "recorder too slow"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            _, err = proc.communicate(timeout=30)
            pytest.fail(f"the recorder did not stop 30 s after Ctrl-C:\n{err}")
        assert time.monotonic() - t0 < 10  # stops at once, not at the end of --duration
    finally:
        exp.stop()
    assert proc.returncode == 0, err
    assert "interrupted; keeping what was recorded" in err
    with open_recording(out) as rec:
        assert rec.n_frames >= frames
        assert f"wrote {rec.n_frames} frames" in err
        a = rec.frame(rec.n_frames - 1).gpu["temp_c"]
        np.testing.assert_allclose(a[:8], [temp_of(0, g) for g in range(8)])


def test_record_takes_the_prometheus_url_from_the_environment(
    layout, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "x.h5"
    monkeypatch.delenv("TWIN_PROMETHEUS_URL", raising=False)
    assert main(["record", "--duration", "1", "-o", str(out), str(layout)]) == 2
    assert capsys.readouterr().err == (
        "twin record: give --prometheus URL or --scrape URL (or set TWIN_PROMETHEUS_URL)\n"
    )
    monkeypatch.setenv("TWIN_PROMETHEUS_URL", "http://127.0.0.1:1")
    assert main(["record", "--duration", "1", "-o", str(out), str(layout)]) == 2
    err = capsys.readouterr().err
    assert "no DCGM data recorded: cannot reach http://127.0.0.1:1: connection refused" in err
    assert not out.exists()


def test_a_full_disk_stops_a_live_recording_whole_and_says_so(
    layout, tmp_path, capsys, monkeypatch
):
    """The disk fills after a few frames: ``twin record`` stops there (not at the end of its
    minute), keeps a closed recording of every frame so far and exits 2 saying why."""
    from collections import namedtuple

    from twin.recording import open_recording
    from twin.recording import recorder as recorder_module

    Usage = namedtuple("Usage", "total used free")
    checks = []

    def disk_usage(_path):
        checks.append(1)
        free = 1 << 40 if len(checks) <= 4 else 1 << 20  # the fifth look finds 1 MB
        return Usage(1 << 41, (1 << 41) - free, free)

    monkeypatch.setattr(recorder_module.shutil, "disk_usage", disk_usage)
    exp = Exporter(ExporterState(hosts=[Host("A01-01", 0), Host("A01-02", 1)])).start()
    out = tmp_path / "lab.h5"
    t0 = time.monotonic()
    try:
        rc = main(
            [
                "record", "--scrape", exp.url, "--duration", "60s", "--step", "0.2s",
                "-o", str(out), str(layout),
            ]
        )  # fmt: skip
    finally:
        exp.stop()
    assert rc == 2 and time.monotonic() - t0 < 30  # 2: as record says any failure
    err = capsys.readouterr().err.splitlines()
    n = int(err[-1].rsplit("closed with its ", 1)[1].split()[0])
    assert err[-2] == f"wrote {n} frames to {out}"
    assert err[-1].startswith(f"twin record: {out}: only 1.0 MB free on its disk, less than ")
    with open_recording(out) as rec:
        assert rec.n_frames == rec.closed_frames == n >= 3
