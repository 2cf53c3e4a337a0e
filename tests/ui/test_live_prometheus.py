"""The window watching a real Prometheus (which scrapes our DCGM-format exporter on 127.0.0.1),
connected through File › Connect to Prometheus…; then Prometheus stops and the view goes
stale without freezing."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "live"))

from dcgm_exporter import Exporter, ExporterState, Host, temp_of  # noqa: E402
from live_support import PrometheusServer, needs_prometheus  # noqa: E402

pytestmark = [needs_prometheus, pytest.mark.integration]


@pytest.fixture
def prometheus(tmp_path):
    hosts = [Host("A01-01", 0), Host("B01-02", 1, host_label="hostname"), Host("ghost-01", 2)]
    exporter = Exporter(ExporterState(hosts=hosts)).start()
    (tmp_path / "prom").mkdir()
    server = PrometheusServer(tmp_path / "prom", [f"127.0.0.1:{exporter.port}"])
    try:
        server.start()
        server.wait_for_samples(count=24)
        yield server
    finally:
        server.stop()
        exporter.stop()


def test_watch_prometheus_through_the_dialog(opened, qtbot, prometheus, monkeypatch):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialogButtonBox

    win = opened
    live = win.extensions["live"]
    live.act_prometheus.trigger()
    dialog = live.dialog
    dialog.url.setText(prometheus.url)
    dialog.interval.setValue(0.5)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible(), dialog.error.text()
    assert type(win.source).__name__ == "PrometheusSource"

    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=15000)
    f = win.facility
    temps = np.asarray(win.scene.gpu_mesh.cell_data["gpu_value"]).reshape(f.n_gpus, -1)[:, 0]
    for host, h in (("A01-01", 0), ("B01-02", 1)):
        idx = [f.gpu_of(host, g) for g in range(8)]
        np.testing.assert_array_equal(temps[idx], [temp_of(h, g) for g in range(8)])
    qtbot.waitUntil(lambda: live.status_widget.view.state == "connected", timeout=5000)
    assert "16/64 GPUs with data" in live.status_widget.text
    assert "8 unmatched series" in live.status_widget.text

    ticks: list[float] = []
    beat = QTimer(interval=50)
    beat.timeout.connect(lambda: ticks.append(time.monotonic()))
    beat.start()
    prometheus.stop()
    qtbot.waitUntil(lambda: live.status_widget.view.state == "disconnected", timeout=15000)
    qtbot.waitUntil(lambda: live.status_widget.badge.isVisible(), timeout=2000)
    beat.stop()
    assert win.windowTitle().endswith("[STALE]")
    assert np.diff(ticks).max() < 1.0
    win.stop_source()
