"""Incident replay in the window: File › Open Recording (and dropping a .h5), the timeline
dock driving a ReplaySource, the events list, GPU overlays with fixed ranges, throttling and
alarm outlines, and time-series plots of the selection. Installed on every main window by
``twin.ui.extensions``; also shows live sources (rolling charts, events as they come)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from twin.recording import RecordingError, open_recording
from twin.render.overlays import alarm_levels
from twin.telemetry.replay import ReplaySource
from twin.ui.actions import Action
from twin.ui.chart_controls import ChartControls
from twin.ui.chart_feed import ChartFeed
from twin.ui.chart_range import TimeRangeBinding
from twin.ui.charts import ChartPanel
from twin.ui.events_dock import EventsPanel
from twin.ui.overlay_controls import OverlayControls
from twin.ui.timeline import SPEEDS, TimelineWidget

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

RECORDING_SUFFIXES = (".h5", ".hdf5")


class ReplayController(QObject):
    """The replay experience of one main window (``window.extensions["replay"]``)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.source = None  # the source the docks were last set up for
        self.replay: ReplaySource | None = None
        self.error_box: QMessageBox | None = None
        self.live_alarms: dict[str, int] = {}
        self._event_times = np.zeros(0)
        self._events: list = []

        self.overlay = OverlayControls(window)
        self.timeline = TimelineWidget()
        self.events = EventsPanel()
        self.charts = ChartPanel()
        self.feed = ChartFeed(window, self.charts, lambda: self.replay, lambda: self.source)
        B = Qt.DockWidgetArea.BottomDockWidgetArea
        self.timeline_dock = window.add_dock(self.timeline, "Timeline", B, "timeline")
        self.events_dock = window.add_dock(self.events, "Events", B, "events")
        self.charts_dock = window.add_dock(self.charts, "Charts", B, "charts")
        window.splitDockWidget(self.timeline_dock, self.events_dock, Qt.Orientation.Vertical)
        window.splitDockWidget(self.events_dock, self.charts_dock, Qt.Orientation.Horizontal)
        window.resizeDocks(
            [self.events_dock, self.charts_dock], [560, 900], Qt.Orientation.Horizontal
        )
        window.resizeDocks(
            [self.timeline_dock, self.events_dock], [48, 330], Qt.Orientation.Vertical
        )
        self.timeline_dock.setFeatures(
            self.timeline_dock.features()
            & ~self.timeline_dock.DockWidgetFeature.DockWidgetFloatable
        )

        self._build_actions()
        self.time_range = TimeRangeBinding(
            window.view, self.charts, self.timeline.scrubber, self._replay_span
        )
        self.chart_controls = ChartControls(window, self.charts, self.feed, self.time_range)
        self.timeline.play_toggled.connect(self.toggle_play)
        self.timeline.step_requested.connect(self.step)
        self.timeline.speed_requested.connect(self.set_speed)
        self.timeline.seek_requested.connect(self.seek)
        self.timeline.event_jump_requested.connect(self.jump_event)
        self.events.event_activated.connect(self.go_to_event)
        self.charts.seek_requested.connect(self.seek)
        window.frame_shown.connect(self._on_frame)
        window.selection_changed.connect(self._on_selection)
        window.layout_loaded.connect(self._on_layout)
        window.installEventFilter(self)
        self._session = None

    # ------------------------------------------------------------------ menus
    def _build_actions(self) -> None:
        reg = self.window.action_registry
        self.act_open = reg.add(
            Action(
                "file.open_recording",
                "Open Re&cording…",
                "File",
                "1_open",
                1,
                self.open_dialog,
                "Ctrl+Shift+O",
                "Replay an HDF5 recording of the hall",
                toolbar="Main",
                toolbar_order=1,
            )
        )
        transport = (
            ("step_back", "Step &Back", lambda: self.step(-1), ",", 1),
            ("step_forward", "Step &Forward", lambda: self.step(1), ".", 2),
            ("slower", "&Slower", lambda: self.nudge_speed(-1), "[", 3),
            ("faster", "Fa&ster", lambda: self.nudge_speed(1), "]", 4),
            ("previous_event", "Pre&vious Event", lambda: self.jump_event(-1), "Ctrl+Left", 5),
            ("next_event", "&Next Event", lambda: self.jump_event(1), "Ctrl+Right", 6),
            ("start", "Jump to S&tart", self.jump_start, "Ctrl+Home", 7),
        )
        self._replay_actions = tuple(
            reg.add(Action(f"playback.{aid}", title, "Playback", "1_transport", order, slot, key))
            for aid, title, slot, key, order in transport
        )
        self.window.pause_handlers.append(self._play_pause)
        self._set_replay_actions(False)

    def _play_pause(self) -> bool:
        """Playback › Pause / Play (Space) plays or pauses a replay; False when none is open."""
        if self.replay is None:
            return False
        self.toggle_play()
        return True

    def _set_replay_actions(self, on: bool) -> None:
        for a in self._replay_actions:
            a.setEnabled(on)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        start = ""
        f = self.window.facility
        if f is not None and f.path is not None:
            start = str(f.path.parent)
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open Recording", start, "Twin recordings (*.h5 *.hdf5);;All files (*)"
        )
        if path:
            self.open_recording(path)

    def open_recording(self, path: str | Path, *, autoplay: bool = True) -> bool:
        """Replay ``path`` in the window. A recording of another layout asks first whether to
        open the layout embedded in it; a bad file says why in a message box. True if opened."""
        w = self.window
        path = Path(path)
        try:
            rec = open_recording(path)
        except RecordingError as exc:
            return self._fail(path, str(exc))
        except Exception as exc:  # a reader bug on an odd file must not take the window down
            return self._fail(path, f"{path}: unreadable recording ({type(exc).__name__}: {exc})")
        try:
            if rec.n_frames == 0:
                return self._fail(path, f"{path}: the recording has no frames yet")
            fac = w.facility
            if fac is None or not rec.matches(fac):
                if fac is not None:
                    answer = QMessageBox.question(
                        w,
                        "Recording of another layout",
                        f"{path.name} was recorded for the layout “{rec.layout_name}”, whose "
                        f"racks, units or GPUs differ from the open layout "
                        f"“{fac.layout.name}”.\n\nOpen the layout embedded in the recording?",
                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                        QMessageBox.StandardButton.Yes,
                    )
                    if answer != QMessageBox.StandardButton.Yes:
                        w.statusBar().showMessage(f"{path.name} not opened", 4000)
                        return False
                try:
                    embedded = rec.facility()
                except Exception as exc:  # LayoutError or a damaged layout dataset
                    return self._fail(path, f"the layout embedded in the recording: {exc}")
                w.set_facility(embedded)
            notes = list(rec.warnings)  # damage read past: said, so the replay is not trusted blind
        finally:
            rec.close()
        try:
            source = ReplaySource(w.facility, path, autoplay=autoplay)
        except RecordingError as exc:
            return self._fail(path, str(exc))
        except Exception as exc:
            return self._fail(path, f"{path}: unreadable recording ({type(exc).__name__}: {exc})")
        w.set_source(source)
        w.session.tick()
        if notes:
            w.statusBar().showMessage(f"Replaying {path} — damaged: {'; '.join(notes)}", 30000)
        else:
            w.statusBar().showMessage(f"Replaying {path}", 4000)
        return True

    def start_source(self, name: str, **options) -> bool:
        """Show a registered source (``simulated`` with ``scenario=...``, or a plugin) on the
        open layout; a source that cannot start says why in a message box."""
        from twin.telemetry.registry import SourceNotFound, create

        w = self.window
        if w.facility is None:
            return False
        if name != "simulated":
            options.pop("scenario", None)
        try:
            source = create(name, w.facility, **options)
        except (SourceNotFound, ValueError, TypeError, OSError) as exc:
            QMessageBox.warning(w, "Cannot start telemetry", f"{name}: {exc}")
            return False
        w.set_source(source)
        if w.session.source_failure:  # its start() failed: say that, not that it runs
            w.statusBar().showMessage(w.session.source_failure)
            return True
        w.statusBar().showMessage(
            f"Telemetry: {name}"
            + (f", scenario {options['scenario']}" if "scenario" in options else ""),
            5000,
        )
        return True

    def _fail(self, path: Path, message: str) -> bool:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Cannot open recording",
            f"{path.name} was not opened.",
            QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setInformativeText(message if len(message) < 1500 else message[:1500] + "…")
        box.setObjectName("recording_error_box")
        box.open()  # not exec(): the window keeps running
        self.error_box = box
        self.window.statusBar().showMessage(f"Cannot open {path.name}", 6000)
        return False

    # ------------------------------------------------------------------ drag and drop
    @staticmethod
    def dropped_recording(mime) -> str | None:
        if not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(RECORDING_SUFFIXES):
                return url.toLocalFile()
        return None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is not self.window:
            return False
        t = event.type()
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self.dropped_recording(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif t == QEvent.Type.Drop:
            path = self.dropped_recording(event.mimeData())
            if path:
                event.acceptProposedAction()
                QTimer.singleShot(0, self, lambda p=path: self.open_recording(p))
                return True
        return False

    # ------------------------------------------------------------------ transport
    def toggle_play(self) -> None:
        if self.replay is not None:
            self.replay.toggle()
            self.window.session.tick()

    def step(self, frames: int) -> None:
        if self.replay is not None:
            self.replay.step(frames)

    def set_speed(self, speed: float) -> None:
        if self.replay is not None:
            self.timeline.set_speed(self.replay.set_speed(speed))

    def nudge_speed(self, direction: int) -> None:
        if self.replay is None:
            return
        i = int(np.argmin([abs(s - self.replay.speed) for s in SPEEDS]))
        self.set_speed(SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)])

    def seek(self, t: float) -> None:
        if self.replay is not None:
            self.replay.seek(t)
            self.timeline.set_time(self.replay.position_s, *self._span())
            self.time_range.keep_in_view(self.replay.position_s)

    def jump_start(self) -> None:
        if self.replay is not None:
            self.seek(self.replay.start_s)

    def jump_event(self, direction: int) -> None:
        """Seek to the next (+1) or previous (-1) event and select its item."""
        if self.replay is None or not len(self._event_times):
            return
        now = self.replay.position_s
        if direction > 0:
            i = int(np.searchsorted(self._event_times, now + 1e-6, side="right"))
        else:
            i = int(np.searchsorted(self._event_times, now - 1e-6, side="left")) - 1
        if 0 <= i < len(self._events):
            event = self._events[i]
            row = self.events.row_of(event)
            if row >= 0:
                self.events.view.selectRow(row)
            self.go_to_event(event)

    def go_to_event(self, event, select: bool | None = None) -> None:
        """Jump the timeline to an event. Its item is selected when ``select`` (default: the
        Events dock's "Select its item" box) or when nothing is selected; otherwise the
        user's selection and its chart stay."""
        if self.replay is not None:
            self.seek(event.time_s)
        if select is None:
            select = self.events.select_item.isChecked() or self.window.selection is None
        if select and event.item and self.window.facility is not None:
            self.window.select_id(event.item)

    def _span(self) -> tuple[float, float]:
        r = self.replay
        return (r.start_s, r.end_s) if r is not None else (0.0, 1.0)

    def _replay_span(self) -> tuple[float, float] | None:
        return self._span() if self.replay is not None else None

    # ------------------------------------------------------------------ per tick
    def tick(self) -> None:
        """Keep the timeline in step with the replay (after every session tick): a seek shows
        within a tick, a growing recording extends the scrubber."""
        r = self.replay
        if r is None:
            return
        rec = r.recording
        if rec.n_frames and rec.end_s > self.timeline.scrubber.t1:  # a growing recording
            self.timeline.scrubber.set_span(rec.start_s, rec.end_s)
            self._load_events()
        self.timeline.set_playing(r.playing)
        self.timeline.set_speed(r.speed)
        self.timeline.set_time(r.position_s, *self._span())

    def _source_changed(self, source) -> None:
        self.source = source
        self.replay = source if isinstance(source, ReplaySource) else None
        self.feed.live_frames.clear()
        self.live_alarms = {}
        self.time_range.fit()  # a new time span: the charts and timeline show all of it
        self._set_replay_actions(self.replay is not None)
        if self.replay is not None:
            rec = self.replay.recording
            self.timeline.set_live(False)
            self.timeline.scrubber.set_span(rec.start_s, rec.end_s)
            self.timeline.set_speed(self.replay.speed)
            self._load_events()
            self.charts.set_time_origin(rec.start_s)  # mm:ss, as the timeline and events
            # damage read past stays in sight while the replay runs (the status bar's note
            # is gone in 30 s); its whole text in the tooltip
            damaged = " — damaged: see tooltip" if rec.warnings else ""
            self.timeline_dock.setWindowTitle(f"Timeline — {rec.path.name}{damaged}")
            self.timeline_dock.setToolTip("\n".join(rec.warnings))
        else:
            self.timeline.set_live(True if source is not None else None)
            self.timeline.scrubber.set_events([], [], [])
            self.events.clear()
            self._events, self._event_times = [], np.zeros(0)
            self.charts.set_time_origin(None)
            self.charts.set_events([], [])
            self.timeline_dock.setWindowTitle("Timeline")
            self.timeline_dock.setToolTip("")
        self.feed.reload()

    def _load_events(self) -> None:
        rec = self.replay.recording
        events = rec.events
        if len(events) == len(self._events):
            return
        self._events = events
        self._event_times = np.array([e.time_s for e in events])
        self.events.set_events(events, rec.start_s)
        self.charts.set_events(self._event_times, [e.severity for e in events])
        self.timeline.scrubber.set_events(
            self._event_times,
            [e.severity for e in events],
            [f"{e.item}: {e.message}" if e.message else e.item for e in events],
        )

    # ------------------------------------------------------------------ frames
    def _on_frame(self, frame) -> None:
        w = self.window
        if w.facility is None:
            return
        if self.replay is not None:
            rec = self.replay.recording
            alarmed = alarm_levels(w.facility, rec.events_between(-math.inf, frame.time_s))
            self.events.set_now(frame.time_s)
            self.time_range.keep_in_view(frame.time_s)  # playing past the zoomed range
        else:
            alarmed = alarm_levels(w.facility, frame.events, self.live_alarms)
            if frame.events:
                self.events.append(list(frame.events), frame.time_s)
            self.feed.buffer(frame)
            self.timeline.set_time(frame.time_s)
        self.overlay.apply(frame, alarmed)
        w.plotter.render()
        self.feed.update(frame.time_s)

    # ------------------------------------------------------------------ charts
    def _on_selection(self, kind: str, index: int) -> None:
        self.feed.follow((kind, index) if kind else None)

    def _on_layout(self, _facility) -> None:
        session = self.window.session
        if session is not self._session:  # the window made its session with the first layout
            self._session = session
            session.source_changed.connect(self._source_changed)
            session.status.connect(lambda _st: self.tick())
        self.live_alarms = {}
        self.feed.reset()
        self.chart_controls.refresh()  # the feed dropped its pins
        self.time_range.fit()


def install(window: MainWindow) -> ReplayController:
    return ReplayController(window)


def run_replay_app(
    layout: str | Path | None,
    source: str | None = "simulated",
    *,
    scenario: str = "normal",
    recording: str | Path | None = None,
    options: dict | None = None,
) -> int:
    """``twin run``: open the window on ``layout`` and show ``source`` once it has loaded
    (the simulated ``scenario`` by default), or replay ``recording`` (with no layout, the one
    embedded in it)."""
    from twin.ui.app import application
    from twin.ui.main_window import MainWindow

    app = application()
    win = MainWindow()
    win.show()
    controller: ReplayController = win.extensions["replay"]
    if recording is not None and layout is None:
        QTimer.singleShot(0, controller, lambda: controller.open_recording(recording))
    elif layout is not None:
        if recording is not None or source is not None:

            def go(_facility) -> None:
                win.layout_loaded.disconnect(go)
                if recording is not None:
                    controller.open_recording(recording)
                else:
                    controller.start_source(source, scenario=scenario, **(options or {}))

            win.layout_loaded.connect(go)
        win.open_layout(layout)
    return int(app.exec())
