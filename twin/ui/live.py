"""Watching live data in the window: File › Connect to Prometheus… / Connect to DCGM
Exporter…, a status-bar light with freshness and coverage, stale marking when a source lags
or drops, and File › Record Live Data… (every frame the window shows, into an HDF5 recording).

All I/O stays on the sources' own threads; the window's ``Session`` polls and records, and
this module shows its status and drives its recording.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from twin.model.units import count_text
from twin.ui.actions import Action
from twin.ui.connect_dialog import ConnectDialog, ConnectError, ConnectionSpec
from twin.ui.live_fill import LiveAirFill
from twin.ui.status_widgets import RecordingIndicator, SourceStatusWidget, describe_status

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

STALE_TITLE = " [STALE]"
#: How far the GPU colours are pulled towards grey while the data is stale.
STALE_GREY_MIX = 0.65
STATUS_INTERVAL_MS = 500


class LiveExtension(QObject):
    """State of the live features for one window (returned by ``install``)."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.dialog: ConnectDialog | None = None
        self.record_started: float | None = None
        self._session = None
        self.stale = False
        self.last_error = ""
        self._last_error_source = None
        self._gpus_with_data: int | None = None
        self._dim: tuple[Any, np.ndarray, np.ndarray] | None = None  # (scene, original, dimmed)

        self.status_widget = SourceStatusWidget(window)
        self.status_widget.setObjectName("live_status")
        self.status_widget.setVisible(False)
        self.rec_indicator = RecordingIndicator(window)
        self.rec_indicator.setObjectName("live_recording")
        sb = window.statusBar()
        sb.addPermanentWidget(self.rec_indicator)
        sb.addPermanentWidget(self.status_widget)
        window.status_source.setVisible(False)  # this widget says the same, and more

        self._build_actions()
        self.air_fill = LiveAirFill(window, order=4)
        self.status_timer = QTimer(self, interval=STATUS_INTERVAL_MS)
        self.status_timer.timeout.connect(self.refresh_status)
        self.status_timer.start()

        window.frame_shown.connect(self._on_frame)
        window.layout_loaded.connect(self._on_layout)
        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_recording)
        self._update_actions()

    # ------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        reg = self.window.action_registry
        self.act_prometheus, self.act_scrape, self.act_record, self.act_stop_record = (
            reg.add(Action(f"file.{aid}", title, "File", "5_live", order, slot, tip=tip))
            for order, (aid, title, slot, tip) in enumerate(
                (
                    (
                        "connect_prometheus",
                        "Connect to &Prometheus…",
                        lambda: self.open_connect("prometheus"),
                        "Watch live GPU telemetry from a Prometheus server",
                    ),
                    (
                        "connect_scrape",
                        "Connect to &DCGM Exporter…",
                        lambda: self.open_connect("scrape"),
                        "Scrape dcgm-exporter /metrics endpoints directly",
                    ),
                    (
                        "record",
                        "&Record Live Data…",
                        self.record_dialog,
                        "Append every frame to an HDF5 recording",
                    ),
                    ("stop_recording", "S&top Recording", self.stop_recording, ""),
                )
            )
        )

    @property
    def recorder(self):
        """The session's recorder (None when not recording)."""
        session = self.window.session
        return session.recorder if session is not None else None

    @property
    def record_skipped(self) -> int:
        """Frames not recorded because time did not move forward (a replay seek)."""
        session = self.window.session
        return session.skipped_records if session is not None else 0

    def _update_actions(self) -> None:
        has_layout = self.window.facility is not None
        self.act_prometheus.setEnabled(has_layout)
        self.act_scrape.setEnabled(has_layout)
        self.act_record.setEnabled(has_layout and self.recorder is None)
        self.act_stop_record.setEnabled(self.recorder is not None)

    # ------------------------------------------------------------------ connecting
    def open_connect(self, kind: str) -> ConnectDialog | None:
        """Show the connect dialog (non-blocking); on OK the window gets the new source."""
        w = self.window
        if w.facility is None:
            w.statusBar().showMessage("Open a layout first: live data maps onto its GPUs", 4000)
            return None
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
        dialog = ConnectDialog(kind, w.facility, w.settings, w)
        dialog.accepted.connect(lambda d=dialog: self._connected(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _connected(self, dialog: ConnectDialog) -> None:
        source, dialog.source = dialog.source, None
        if source is None:
            return
        if dialog.facility is not self.window.facility:  # the layout changed meanwhile
            source.stop()
            return
        self.attach(source)

    def attach(self, source) -> None:
        """Show ``source`` in the window (stops the previous one)."""
        self.last_error = ""
        self._last_error_source = source
        self.window.set_source(source)  # stops the previous one without waiting for it
        self.air_fill.attach(source)
        url = source.status().url
        self.window.statusBar().showMessage(f"Connecting to {url}…" if url else "", 4000)
        self.refresh_status()

    def connect_spec(self, spec: ConnectionSpec, env: dict[str, str] | None = None):
        """Build a source from ``spec`` for the current layout and show it (used by
        ``twin run --prometheus/--scrape``); raises ``ConnectError``."""
        if self.window.facility is None:
            raise ConnectError("no layout is open")
        source = spec.build(self.window.facility, env)
        self.attach(source)
        return source

    def connect_when_loaded(self, spec: ConnectionSpec, env: dict[str, str] | None = None) -> None:
        """Connect once the layout being opened has loaded; errors go to a message box."""

        def go(_facility) -> None:
            self.window.layout_loaded.disconnect(go)
            try:
                self.connect_spec(spec, env)
            except ConnectError as exc:
                QMessageBox.warning(self.window, "Cannot connect", str(exc))

        self.window.layout_loaded.connect(go)

    # ------------------------------------------------------------------ status
    def refresh_status(self) -> None:
        self._show_recording()
        self.air_fill.refresh()
        w = self.window
        source = w.source
        if source is None:
            self.status_widget.show_view(None)
            self._set_stale(False)
            return
        # through the session's guard: a source plugin whose status() raises or answers
        # with something else reads as failed (ERROR, with why), never as a traceback
        status = w.session.source_status()
        if status is None:
            return
        if source is not self._last_error_source:
            self._last_error_source, self.last_error = source, ""
        state = str(status.state)
        if state in ("disconnected", "error") and status.message:
            self.last_error = status.message
        view = describe_status(
            status,
            paused=w.view.live_paused,
            has_data=w.last_frame is not None,
            gpus_with_data=self._gpus_with_data,
            gpus_total=w.facility.n_gpus if w.facility is not None else None,
            last_error=self.last_error,
            air=self.air_fill.status(),
        )
        self.status_widget.show_view(view)
        self._set_stale(view.stale)

    def _on_frame(self, frame) -> None:
        temps = frame.gpu.get("temp_c")
        if temps is not None:
            self._gpus_with_data = int(np.count_nonzero(np.isfinite(temps)))
        if self._dim is not None:  # a new frame re-titles the legend; keep it marked
            scene = self._dim[0]
            bar = getattr(scene, "gpu_bar", None)
            if bar is not None and scene is self.window.scene:
                bar.SetTitle(f"{scene.gpu_colouring.name}\nSTALE DATA")
        self.refresh_status()

    def _on_layout(self, _facility) -> None:
        self._dim = None  # that scene is gone
        self._gpus_with_data = None
        session = self.window.session
        if session is not self._session:  # the window made its session with the first layout
            self._session = session
            session.recording_started.connect(self._recording_started)
            session.recording_stopped.connect(self._recording_stopped)
        self._update_actions()
        self.refresh_status()

    # ------------------------------------------------------------------ stale marking
    def _set_stale(self, stale: bool) -> None:
        w = self.window
        title = w.windowTitle()
        if stale and not title.endswith(STALE_TITLE):
            w.setWindowTitle(title + STALE_TITLE)
        elif not stale and title.endswith(STALE_TITLE):
            w.setWindowTitle(title[: -len(STALE_TITLE)])
        self.stale = stale
        if stale:
            self._dim_gpus()
        elif self._dim is not None:
            self._undim()
            w.plotter.render()

    def _gpu_lut(self):
        scene = self.window.scene
        actor = getattr(scene, "gpu_actor", None) if scene is not None else None
        if actor is None:
            return None, None
        return scene, actor.mapper.lookup_table

    def _dim_gpus(self) -> None:
        """Pull the GPU colour map towards grey (values stay, so picking and the legend still
        read them) and title the legend STALE."""
        scene, lut = self._gpu_lut()
        if lut is None:
            return
        current = np.asarray(lut.values)
        if (
            self._dim is not None
            and self._dim[0] is scene
            and np.array_equal(current, self._dim[2])
        ):
            return  # already dimmed
        dimmed = current.copy()
        rgb = dimmed[:, :3].astype(np.float32)
        dimmed[:, :3] = (rgb * (1 - STALE_GREY_MIX) + 128.0 * STALE_GREY_MIX).astype(np.uint8)
        lut.values = dimmed
        self._dim = (scene, current.copy(), dimmed)
        bar = getattr(scene, "gpu_bar", None)
        if bar is not None:
            bar.SetTitle(f"{scene.gpu_colouring.name}\nSTALE DATA")
        self.window.plotter.render()

    def _undim(self) -> None:
        scene, lut = self._gpu_lut()
        dim, self._dim = self._dim, None
        if lut is None or dim is None or dim[0] is not scene:
            return
        if np.array_equal(np.asarray(lut.values), dim[2]):  # not rebuilt meanwhile
            lut.values = dim[1]
        bar = getattr(scene, "gpu_bar", None)
        if bar is not None:
            bar.SetTitle(scene.gpu_colouring.name)

    # ------------------------------------------------------------------ recording
    def record_dialog(self) -> None:
        w = self.window
        if w.facility is None:
            return
        stem = w.facility.layout.name.replace(" ", "-") or "twin"
        default = f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.h5"
        path, _ = QFileDialog.getSaveFileName(
            w, "Record Live Data", default, "Twin recordings (*.h5);;All files (*)"
        )
        if path:
            if not path.lower().endswith((".h5", ".hdf5")):
                path += ".h5"
            self.start_recording(path)

    def start_recording(self, path: str | Path) -> bool:
        """Record every frame the session pumps from now on into a new file at ``path``."""
        from twin.recording import RecordingError

        w = self.window
        if w.session is None:
            return False
        try:
            w.session.record(path)
        except (RecordingError, OSError, ValueError) as exc:
            QMessageBox.warning(w, "Cannot record", str(exc))
            return False
        return True

    def _recording_started(self, path: Path) -> None:
        self.record_started = time.monotonic()
        self._show_recording()
        self._update_actions()
        self.window.statusBar().showMessage(f"Recording to {path}", 4000)

    def _recording_stopped(self, path: Path, frames: int, reason: str) -> None:
        self.rec_indicator.show_elapsed(None)
        self._update_actions()
        if reason:
            self.window.statusBar().showMessage(f"{path.name}: {reason}", 8000)
            if "layout changed" not in reason:
                QMessageBox.warning(self.window, "Recording stopped", f"{path}: {reason}")
            return
        self.window.statusBar().showMessage(
            f"Recorded {count_text(frames, 'frame')} to {path}", 6000
        )

    def _show_recording(self) -> None:
        rec = self.recorder
        if rec is None or self.record_started is None:
            self.rec_indicator.show_elapsed(None)
            return
        self.rec_indicator.show_elapsed(
            time.monotonic() - self.record_started, rec.n_frames, str(rec.path)
        )

    def stop_recording(self) -> Path | None:
        """Close the recording (flushing it); returns its path, None if none was running."""
        rec = self.recorder
        if rec is None:
            return None
        self.window.session.stop_recording()
        return Path(rec.path)

    # ------------------------------------------------------------------ closing
    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        self.status_timer.stop()
        self.stop_recording()
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None


def install(window: MainWindow) -> LiveExtension:
    return LiveExtension(window)


def run_live_app(layout: str | Path | None, spec: ConnectionSpec) -> int:
    """``twin run LAYOUT --prometheus URL`` / ``--scrape URL``: open the window and connect as
    soon as the layout has loaded."""
    from twin.ui.app import application
    from twin.ui.main_window import MainWindow

    app = application()
    win = MainWindow()
    win.show()
    live: LiveExtension = win.extensions["live"]
    if layout is not None:
        live.connect_when_loaded(spec)
        win.open_layout(layout)
    return int(app.exec())
