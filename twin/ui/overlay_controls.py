"""The GPU overlay choice (metric or job, fixed colour ranges) and the throttling / alarm
outlines, as a toolbar and in View › Live GPU Metric; applies each shown frame to the scene
through ``twin.render.overlays``."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel

from twin.render.overlays import (
    GPU_OVERLAYS,
    OVERLAY_METRIC,
    AlertLayer,
    colour_gpus,
    throttling,
)


class OverlayControls(QObject):
    """Owns the GPU colouring while frames arrive; ``apply(frame, alarmed)`` per frame."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.metric = "temp_c"
        self.alerts: AlertLayer | None = None
        self.frame = None
        self.alarmed: dict[str, int] = {}
        bar = window.add_toolbar("Overlay")
        bar.addWidget(QLabel(" Colour GPUs by "))
        self.combo = QComboBox()
        self.combo.setToolTip("GPU overlay: a metric over a fixed colour range, or the job")
        for metric, title in GPU_OVERLAYS.items():
            self.combo.addItem(title, metric)
        self.combo.currentIndexChanged.connect(lambda i: self.set_metric(self.combo.itemData(i)))
        bar.addWidget(self.combo)
        bar.addSeparator()
        self.act_throttle = QAction("Throttling", window, checkable=True, checked=True)
        self.act_throttle.setToolTip("Outline GPUs slowed by heat or a power cap (magenta)")
        self.act_alarms = QAction("Alarms", window, checkable=True, checked=True)
        self.act_alarms.setToolTip("Outline alarmed racks and failed units (amber/red)")
        self.act_throttle.toggled.connect(lambda on: self._set_layer("throttling", on))
        self.act_alarms.toggled.connect(lambda on: self._set_layer("alarms", on))
        bar.addAction(self.act_throttle)
        bar.addAction(self.act_alarms)
        self._hook_menu()
        window.layout_loaded.connect(self._on_layout)
        if window.scene is not None:
            self._on_layout(window.facility)

    def _hook_menu(self) -> None:
        """Keep View › Live GPU Metric and the toolbar in step; add Throttle and Job there."""
        w = self.window
        actions = getattr(w, "live_actions", None)
        if actions is None:
            return
        group = getattr(w, "live_group", None)
        for metric, title in GPU_OVERLAYS.items():
            if metric not in actions:
                act = QAction(title, w, checkable=True)
                act.triggered.connect(lambda _c=False, m=metric: w.set_live_metric(m))
                if group is not None:
                    group.addAction(act)
                w.live_menu.addAction(act)
                actions[metric] = act
            actions[metric].triggered.connect(lambda _c=False, m=metric: self.set_metric(m))

    # ------------------------------------------------------------------ state
    def _on_layout(self, _facility) -> None:
        scene = self.window.scene
        self.frame = None
        self.alarmed = {}
        self.alerts = None
        if scene is None:
            return
        scene.gpu_metric = OVERLAY_METRIC  # frames colour GPUs through this overlay
        self.alerts = AlertLayer(scene)
        self._set_layer("throttling", self.act_throttle.isChecked())
        self._set_layer("alarms", self.act_alarms.isChecked())

    def _set_layer(self, name: str, on: bool) -> None:
        scene = self.window.scene
        if scene is not None and name in scene.layers:
            scene.set_visible(name, on)
            if self.alerts is not None and self.frame is not None:
                self.alerts.update(throttling(self.frame), self.alarmed)
            self.window.plotter.render()

    def set_metric(self, metric: str) -> None:
        """Colour GPUs by ``metric`` (a GPU metric, ``throttle`` or ``job``) from now on."""
        if metric not in GPU_OVERLAYS:
            raise ValueError(f"unknown GPU overlay {metric!r}")
        self.metric = metric
        i = self.combo.findData(metric)
        if i != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(i)
            self.combo.blockSignals(False)
        act = getattr(self.window, "live_actions", {}).get(metric)
        if act is not None and not act.isChecked():
            act.setChecked(True)
        scene = self.window.scene
        if scene is not None:
            scene.gpu_metric = OVERLAY_METRIC
            if self.frame is not None and colour_gpus(scene, self.frame, metric):
                self.window.plotter.render()

    def apply(self, frame, alarmed: dict[str, int]) -> None:
        """Colour the GPUs from ``frame`` and outline throttling GPUs and alarmed items."""
        scene = self.window.scene
        if scene is None or frame is None:
            return
        self.frame, self.alarmed = frame, alarmed
        scene.gpu_metric = OVERLAY_METRIC
        colour_gpus(scene, frame, self.metric)
        if self.alerts is not None:
            self.alerts.update(throttling(frame), alarmed)
