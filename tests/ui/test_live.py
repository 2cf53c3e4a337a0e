"""Watching live data in a real window under Xvfb: connect through the dialog to a real
DCGM-format exporter on 127.0.0.1 (bearer token from an environment variable), see the right
values on the right GPUs, lose the server (stale, not frozen), get it back, record while
watching, and check that the secret is never stored."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "live"))

from dcgm_exporter import Exporter, ExporterState, Host, power_of, temp_of  # noqa: E402

SECRET = "s3cr3t-t0ken-d0-not-st0re"
TOKEN_ENV = "TWIN_TEST_LIVE_TOKEN"
#: (layout host, exporter host index) served by the exporter; ghost-01 matches no GPU.
SERVED = [("A01-01", 0), ("A02-02", 1)]


class AuthExporter:
    """The tests/live exporter, answering only with the bearer token, and switchable to
    HTTP 503 (a broken server) without closing its port."""

    def __init__(self, token: str):
        hosts = [
            Host("A01-01", 0, host_label="Hostname"),
            Host("A02-02", 1, host_label="hostname"),
            Host("ghost-01", 2),
        ]
        self.exporter = Exporter(ExporterState(hosts=hosts))
        self.broken = False
        self.auth_seen: list[str | None] = []
        handler = self.exporter.server.RequestHandlerClass
        serve = handler.do_GET
        outer = self

        def do_get(h):
            got = h.headers.get("Authorization")
            outer.auth_seen.append(got)
            if got != f"Bearer {token}":
                h.send_error(401)
            elif outer.broken:
                h.send_error(503)
            else:
                serve(h)

        handler.do_GET = do_get
        self.url = self.exporter.url + "/metrics"

    def start(self) -> AuthExporter:
        self.exporter.start()
        return self

    def stop(self) -> None:
        self.exporter.stop()


@pytest.fixture
def exporter():
    exp = AuthExporter(SECRET).start()
    yield exp
    exp.stop()


def connect_scrape(window, qtbot, url: str, monkeypatch):
    """Fill File › Connect to DCGM Exporter… like a user and press Connect."""
    from PySide6.QtWidgets import QDialogButtonBox

    monkeypatch.setenv(TOKEN_ENV, SECRET)
    live = window.extensions["live"]
    assert live.act_scrape.isEnabled()
    live.act_scrape.trigger()
    dialog = live.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.verify_tls.isChecked() and not dialog.tls_warning.isVisible()
    dialog.url.setText(url)
    dialog.auth.setCurrentIndex(dialog.auth.findData("bearer"))
    dialog.secret_from.setCurrentIndex(dialog.secret_from.findData("env"))
    dialog.secret_env.setText(TOKEN_ENV)
    dialog.interval.setValue(0.2)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert not dialog.isVisible(), dialog.error.text()
    return live


def gpu_colours(window) -> np.ndarray:
    values = np.asarray(window.scene.gpu_mesh.cell_data["gpu_value"])
    return values.reshape(window.facility.n_gpus, -1)[:, 0]


def check_served_values(facility, temps: np.ndarray, power: np.ndarray | None = None) -> None:
    want = np.full(facility.n_gpus, np.nan)
    for host, h in SERVED:
        for g in range(8):
            want[facility.gpu_of(host, g)] = temp_of(h, g)
    np.testing.assert_array_equal(temps, want)
    if power is not None:
        i = facility.gpu_of("A02-02", 5)
        assert power[i] == pytest.approx(power_of(1, 5), abs=0.51)


class Heartbeat:
    """Counts a 50 ms GUI timer, to show the event loop never stalls."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.times: list[float] = []
        self.timer = QTimer(interval=50)
        self.timer.timeout.connect(lambda: self.times.append(time.monotonic()))
        self.timer.start()

    def max_gap_s(self) -> float:
        self.timer.stop()
        return float(np.diff(self.times).max()) if len(self.times) > 1 else float("inf")


def test_connect_watch_lose_and_regain_the_exporter(opened, qtbot, exporter, monkeypatch):
    win = opened
    live = connect_scrape(win, qtbot, exporter.url, monkeypatch)
    source = win.source
    assert source is not None and type(source).__name__ == "ScrapeSource"

    # frames reach the scene with the exporter's values at the mapped GPUs
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=10000)
    check_served_values(win.facility, gpu_colours(win), win.last_frame.gpu["power_w"])
    assert all(a == f"Bearer {SECRET}" for a in exporter.auth_seen)

    qtbot.waitUntil(lambda: live.status_widget.view.state == "connected", timeout=5000)
    text = live.status_widget.text
    assert text.startswith("connected")
    assert "16/64 GPUs with data" in text
    assert re.search(r"\b8 unmatched series", text), text
    assert live.status_widget.light.state == "connected"
    assert not live.status_widget.badge.isVisible() and not win.windowTitle().endswith("[STALE]")
    assert "ghost-01" in live.status_widget.toolTip()
    assert not win.status_source.isVisible()  # replaced by the live widget

    # the server breaks: disconnected, stale marked, last data kept, GUI responsive
    shown = gpu_colours(win).copy()
    lut = win.scene.gpu_actor.mapper.lookup_table
    fresh_lut = np.asarray(lut.values).copy()
    beat = Heartbeat()
    exporter.broken = True
    qtbot.waitUntil(lambda: live.status_widget.view.state == "disconnected", timeout=10000)
    qtbot.waitUntil(lambda: live.status_widget.badge.isVisible(), timeout=2000)
    assert win.windowTitle().endswith("[STALE]")
    assert "503" in live.status_widget.toolTip()
    np.testing.assert_array_equal(gpu_colours(win), shown)
    dimmed = np.asarray(lut.values)
    assert not np.array_equal(dimmed, fresh_lut)
    assert (
        np.ptp(dimmed[:, :3].astype(int), axis=1).max()
        < np.ptp(fresh_lut[:, :3].astype(int), axis=1).max()
    )
    assert "STALE" in win.scene.gpu_bar.GetTitle()

    # and comes back: fresh again, colours restored
    exporter.broken = False
    qtbot.waitUntil(lambda: live.status_widget.view.state == "connected", timeout=15000)
    qtbot.waitUntil(lambda: not live.status_widget.badge.isVisible(), timeout=2000)
    assert not win.windowTitle().endswith("[STALE]")
    np.testing.assert_array_equal(np.asarray(lut.values), fresh_lut)
    assert "STALE" not in win.scene.gpu_bar.GetTitle()
    assert "503" in live.status_widget.toolTip()  # the last error stays in the tooltip

    # the exporter goes away for good
    exporter.stop()
    qtbot.waitUntil(lambda: live.status_widget.view.state == "disconnected", timeout=10000)
    qtbot.waitUntil(lambda: win.windowTitle().endswith("[STALE]"), timeout=2000)
    assert beat.max_gap_s() < 2.0  # no freeze while the server failed and came back

    win.stop_source()
    qtbot.waitUntil(lambda: not live.status_widget.isVisible(), timeout=2000)
    assert not win.windowTitle().endswith("[STALE]")


def test_hanging_server_never_freezes_the_window(opened, qtbot):
    from twin.ui.connect_dialog import ConnectionSpec

    hung = Exporter(ExporterState(hosts=[Host("A01-01", 0)]), hang=True).start()
    try:
        live = opened.extensions["live"]
        beat = Heartbeat()
        live.connect_spec(ConnectionSpec("scrape", [hung.url + "/metrics"], interval_s=0.2))
        qtbot.wait(1500)  # the scrape is stuck in its request all this time
        assert live.status_widget.view.state == "connecting"
        assert live.status_widget.light.state == "connecting"
        assert opened.last_frame is None and not live.status_widget.badge.isVisible()
        assert beat.max_gap_s() < 1.0
        # switching to a good exporter does not wait for the stuck request
        good = Exporter(ExporterState(hosts=[Host("A01-01", 0)])).start()
        try:
            t0 = time.monotonic()
            live.connect_spec(ConnectionSpec("scrape", [good.url], interval_s=0.2))
            assert time.monotonic() - t0 < 1.0
            qtbot.waitUntil(lambda: live.status_widget.view.state == "connected", timeout=10000)
            opened.stop_source()
        finally:
            good.stop()
    finally:
        hung.stop()  # releases the stuck request


def settings_text(settings) -> str:
    settings.sync()
    keys = settings.allKeys()
    return "\n".join(f"{k}={settings.value(k)}" for k in keys) + Path(
        settings.fileName()
    ).read_text(errors="replace")


def test_record_live_and_secret_never_stored(
    opened, qtbot, exporter, monkeypatch, tmp_path, settings
):
    from PySide6.QtWidgets import QFileDialog

    from twin.recording import open_recording

    win = opened
    live = connect_scrape(win, qtbot, exporter.url, monkeypatch)
    qtbot.waitUntil(lambda: win.last_frame is not None, timeout=10000)

    path = tmp_path / "live.h5"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    assert live.act_record.isEnabled() and not live.act_stop_record.isEnabled()
    live.act_record.trigger()
    assert live.recorder is not None and live.act_stop_record.isEnabled()
    assert live.rec_indicator.isVisible()
    assert re.fullmatch(r"● REC 00:0\d", live.rec_indicator.text())
    # the clock runs (a 1 s timer: allow for a loaded machine)
    qtbot.waitUntil(lambda: live.rec_indicator.text() == "● REC 00:02", timeout=6000)
    # flushed while still recording: a reader sees the frames now
    with open_recording(path) as rec:
        assert rec.n_frames >= 3
    live.act_stop_record.trigger()
    assert live.recorder is None and not live.rec_indicator.isVisible()

    with open_recording(path) as rec:
        n = rec.n_frames
        assert n >= 4  # 0.2 s polls over >2 s (generous for a loaded CI machine)
        assert np.all(np.diff(rec.times) > 0)
        frame = rec.frame(n - 1)
        check_served_values(win.facility, frame.gpu["temp_c"])
        assert rec.matches(win.facility)

    blob = path.read_bytes()
    assert SECRET.encode() not in blob
    stored = settings_text(settings)
    assert SECRET not in stored
    assert exporter.url.rsplit("/", 1)[0] in stored  # the URL is remembered
    assert TOKEN_ENV in stored  # and the variable's name

    # a recording running when the window closes is closed cleanly
    path2 = tmp_path / "closing.h5"
    assert live.start_recording(path2)
    qtbot.wait(700)
    win.close()
    assert live.recorder is None
    with open_recording(path2) as rec:
        assert rec.n_frames >= 1


def test_typed_secret_and_url_credentials_are_not_remembered(opened, qtbot, settings, exporter):
    from PySide6.QtWidgets import QDialogButtonBox

    live = opened.extensions["live"]
    dialog = live.open_connect("scrape")
    url = exporter.url.replace("http://", "http://admin:hunter2@")
    dialog.url.setText(url)
    dialog.auth.setCurrentIndex(dialog.auth.findData("bearer"))
    dialog.secret_from.setCurrentIndex(dialog.secret_from.findData("typed"))
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Password
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()  # no token typed yet: stays open and says what to fix
    assert dialog.isVisible() and "token" in dialog.error.text()
    dialog.secret.setText(SECRET)
    dialog.verify_tls.setChecked(False)
    assert dialog.tls_warning.isVisible()
    ok.click()
    assert not dialog.isVisible(), dialog.error.text()
    assert dialog.secret.text() == ""
    qtbot.waitUntil(lambda: opened.last_frame is not None, timeout=10000)
    stored = settings_text(settings)
    for secret in (SECRET, "hunter2", "admin:"):
        assert secret not in stored
    # reopening: URL back (without credentials), TLS verification back on, no secret
    again = live.open_connect("scrape")
    assert again.url.text() == exporter.url
    assert again.verify_tls.isChecked() and again.secret.text() == ""
    again.reject()


def test_dialog_errors_keep_it_open(opened, qtbot, monkeypatch):
    from PySide6.QtWidgets import QDialogButtonBox

    live = opened.extensions["live"]
    dialog = live.open_connect("prometheus")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    cases = [
        ("", "none", "enter a URL"),
        ("ftp://example.com", "none", "not an http(s) URL"),
        ("http://127.0.0.1:1", "bearer", "TWIN_NOT_SET_ANYWHERE is not set"),
    ]
    monkeypatch.delenv("TWIN_NOT_SET_ANYWHERE", raising=False)
    for url, auth, message in cases:
        dialog.url.setText(url)
        dialog.auth.setCurrentIndex(dialog.auth.findData(auth))
        dialog.secret_env.setText("TWIN_NOT_SET_ANYWHERE")
        ok.click()
        assert dialog.isVisible()
        assert message in dialog.error.text()
    dialog.ca_file.setText(str(Path("/nonexistent/ca.pem")))
    dialog.auth.setCurrentIndex(dialog.auth.findData("none"))
    ok.click()
    assert "CA file not found" in dialog.error.text()
    dialog.reject()
    assert opened.source is None


def test_status_text_for_other_sources(opened, qtbot):
    from twin.telemetry.simulated import SimulatedSource

    live = opened.extensions["live"]
    opened.set_source(SimulatedSource(opened.facility, rate_hz=10.0, speed=10.0))
    qtbot.waitUntil(lambda: opened.last_frame is not None, timeout=20000)
    qtbot.waitUntil(lambda: live.status_widget.view.state == "playing", timeout=5000)
    assert "64/64 GPUs with data" in live.status_widget.text
    opened.toggle_pause()
    qtbot.waitUntil(lambda: live.status_widget.view.state == "paused", timeout=2000)
    assert not live.status_widget.badge.isVisible()
    opened.stop_source()


def test_describe_status_live_fields():
    from twin.telemetry.source import SourceState, SourceStatus
    from twin.ui.status_widgets import describe_status, format_age

    st = SourceStatus(
        state=SourceState.DISCONNECTED,
        live=True,
        age_s=125.0,
        frames=3,
        errors=2,
        message="cannot reach http://x: refused; retrying in 4.0 s",
        url="http://x",
        gpus_with_data=10,
        gpus_total=64,
        unmatched_series=3,
        unmatched_examples=("a/gpu0",),
        stale=True,
        retry_in_s=3.6,
    )
    view = describe_status(st)
    assert view.state == "disconnected" and view.stale
    assert view.text == (
        "disconnected · 2 min old · 10/64 GPUs with data · 3 unmatched series · retry in 4 s"
    )
    assert "Last error: cannot reach http://x" in view.tooltip and "a/gpu0" in view.tooltip
    assert not describe_status(st, has_data=False).stale
    assert [format_age(a) for a in (None, 3.2, 600, 7200, 3 * 86400)] == [
        "—",
        "3 s",
        "10 min",
        "2.0 h",
        "3 d",
    ]


def test_twin_run_live_options_are_checked_before_a_window(small_layout, capsys, monkeypatch):
    from twin.cli import main

    assert main(["run", str(small_layout), "--scrape", "ftp://gpu-1:9400"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
    args = ["run", str(small_layout), "--prometheus", "https://p:9090", "--ca-file", "/no/ca.pem"]
    assert main(args) == 2
    assert "CA file not found" in capsys.readouterr().err
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["run", str(small_layout), "--scrape", "gpu-1:9400", "gpu-2:9400"]) == 3
