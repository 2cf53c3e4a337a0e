"""A recording in the window whose disk fills: it stops whole and says why, the telemetry
keeps coming, and the window stays (before, a failed HDF5 write left a file HDF5 crashes
closing: the window ended with a segmentation fault, at once or when it closed)."""

from __future__ import annotations

from collections import namedtuple

import pytest

pytestmark = pytest.mark.gui

Usage = namedtuple("Usage", "total used free")


def test_a_full_disk_stops_the_recording_and_the_window_goes_on(
    opened, qtbot, monkeypatch, tmp_path
):
    from PySide6.QtWidgets import QMessageBox

    from twin.recording import open_recording
    from twin.recording import recorder as recorder_module

    free = {"bytes": 1 << 40}
    monkeypatch.setattr(
        recorder_module.shutil,
        "disk_usage",
        lambda _p: Usage(1 << 41, (1 << 41) - free["bytes"], free["bytes"]),
    )
    said: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _w, title, text: said.append((title, text)))
    win = opened
    live = win.extensions["live"]
    assert win.extensions["replay"].start_source("simulated", scenario="normal", speed=20.0)
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=30000)
    path = tmp_path / "live.h5"
    assert live.start_recording(path)
    qtbot.waitUntil(
        lambda: live.recorder is not None and live.recorder.n_frames >= 3, timeout=20000
    )
    free["bytes"] = 2**20  # 1 MB left: less than one history block and the spare
    qtbot.waitUntil(lambda: live.recorder is None, timeout=20000)
    assert not live.rec_indicator.isVisible() and live.act_record.isEnabled()
    assert len(said) == 1 and said[0][0] == "Recording stopped"
    text = said[0][1]
    assert text.startswith(f"{path}: recording stopped: only 1.0 MB free on its disk, less than")
    frames = int(text.rsplit("closed with its ", 1)[1].split()[0])
    shown = win.session.frames
    qtbot.waitUntil(lambda: win.session.frames > shown + 2, timeout=20000)  # still live
    with open_recording(path) as rec:
        assert rec.n_frames == rec.closed_frames == frames >= 3
