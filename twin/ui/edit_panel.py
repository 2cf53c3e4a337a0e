"""The Edit dock: the selection's pose (exact X/Y, any rotation), the snap pitch, and the
thermal consequence of the last edit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


class EditPanel(QWidget):
    """Pose of the selection (any angle), snap pitch, and the thermal consequence."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.selection = QLabel("Edit mode off (Edit › Edit Layout, Ctrl+E)", self)
        self.selection.setWordWrap(True)
        self.x = self._spin(-1e5, 1e5, 0.05, " m")
        self.y = self._spin(-1e5, 1e5, 0.05, " m")
        self.rotation = self._spin(-360.0, 360.0, 15.0, " °")
        self.rotation.setToolTip("Rotation of the selected racks (any angle; R turns by 90°)")
        self.snap = self._spin(0.0, 5.0, 0.05, " m")
        self.snap.setToolTip("Drag snapping pitch (0: off); the hall's tile pitch by default")
        self.thermal = QLabel("", self)
        self.thermal.setWordWrap(True)
        self.thermal.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("X", self.x)
        form.addRow("Y", self.y)
        form.addRow("Rotation", self.rotation)
        form.addRow("Snap pitch", self.snap)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.selection)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Thermal</b>", self))
        layout.addWidget(self.thermal)
        layout.addStretch(1)
        # as tall as its contents, no taller: the docks opened beside it get the column
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _spin(self, lo: float, hi: float, step: float, suffix: str) -> QDoubleSpinBox:
        s = QDoubleSpinBox(self)
        s.setRange(lo, hi)
        s.setDecimals(3)
        s.setSingleStep(step)
        s.setSuffix(suffix)
        s.setKeyboardTracking(False)
        return s

    def show_pose(self, xy: tuple[float, float] | None, rot: float | None) -> None:
        for spin, value in (
            (self.x, None if xy is None else xy[0]),
            (self.y, None if xy is None else xy[1]),
            (self.rotation, rot),
        ):
            spin.blockSignals(True)
            spin.setEnabled(value is not None)
            if value is not None:
                spin.setValue(value)
            spin.blockSignals(False)
