"""The GPU colouring toolbar: a combo bound to ``ViewState.gpu_metric`` (every metric of the
registry, over its fixed range) and the throttling / alarm outline toggles bound to
``show_throttling`` / ``show_alarms``; applies each shown frame's alerts to the scene."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QLabel

from twin.model.metrics import GPU_METRICS
from twin.render.overlays import AlertLayer, throttling
from twin.ui.actions import Action


class OverlayControls(QObject):
    """Owns the alert outlines while frames arrive; ``apply(frame, alarmed)`` per frame."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        view = window.view
        self.alerts: AlertLayer | None = None
        self.frame = None
        self.alarmed: dict[str, int] = {}
        reg = window.action_registry
        bar = reg.toolbar("Overlay")
        bar.addWidget(QLabel(" Colour GPUs by "))
        self.combo = QComboBox()
        self.combo.setObjectName("gpu_metric_combo")
        self.combo.setToolTip("GPU colouring: a metric over a fixed colour range, or the job")
        for name, metric in GPU_METRICS.items():
            self.combo.addItem(metric.menu_title, name)
        self.combo.setCurrentIndex(self.combo.findData(view.gpu_metric))
        self.combo.currentIndexChanged.connect(
            lambda i: view.set_gpu_metric(self.combo.itemData(i))
        )
        bar.addWidget(self.combo)
        bar.addSeparator()
        self.act_throttle = reg.add(
            Action(
                "view.outline_throttling",
                "Throttling",
                toolbar="Overlay",
                toolbar_order=1,
                tip="Outline GPUs slowed by heat or a power cap (magenta)",
                checkable=True,
                checked=view.show_throttling,
                on_toggle=lambda on: setattr(view, "show_throttling", on),
            )
        )
        self.act_alarms = reg.add(
            Action(
                "view.outline_alarms",
                "Alarms",
                toolbar="Overlay",
                toolbar_order=2,
                tip="Outline alarmed racks and failed units (amber/red)",
                checkable=True,
                checked=view.show_alarms,
                on_toggle=lambda on: setattr(view, "show_alarms", on),
            )
        )
        view.events.gpu_metric.connect(self._follow_metric)
        view.events.show_throttling.connect(lambda on: self._set_layer("throttling", on))
        view.events.show_alarms.connect(lambda on: self._set_layer("alarms", on))
        window.layout_loaded.connect(self._on_layout)
        if window.scene is not None:
            self._on_layout(window.facility)

    def _follow_metric(self, name: str) -> None:
        i = self.combo.findData(name)
        if i != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(i)
            self.combo.blockSignals(False)

    def _on_layout(self, _facility) -> None:
        scene = self.window.scene
        self.frame = None
        self.alarmed = {}
        self.alerts = None
        if scene is None:
            return
        self.alerts = AlertLayer(scene)
        self._set_layer("throttling", self.window.view.show_throttling)
        self._set_layer("alarms", self.window.view.show_alarms)

    def _set_layer(self, name: str, on: bool) -> None:
        act = self.act_throttle if name == "throttling" else self.act_alarms
        if act.isChecked() != on:
            act.blockSignals(True)
            act.setChecked(on)
            act.blockSignals(False)
        scene = self.window.scene
        if scene is not None and name in scene.layers:
            scene.set_visible(name, on)
            if self.alerts is not None and self.frame is not None:
                self.alerts.update(throttling(self.frame), self.alarmed)
            self.window.plotter.render()

    def set_metric(self, metric: str) -> None:
        """Colour GPUs by ``metric`` from now on (the view state's choice)."""
        self.window.view.set_gpu_metric(metric)

    def apply(self, frame, alarmed: dict[str, int]) -> None:
        """Outline throttling GPUs and alarmed items of ``frame`` (the window colours it)."""
        if self.window.scene is None or frame is None:
            return
        self.frame, self.alarmed = frame, alarmed
        if self.alerts is not None:
            self.alerts.update(throttling(frame), alarmed)
