"""Baseline and what-if side by side: a window with two linked 3D views of the failed hall, the
GPUs coloured by their temperature before the failure (left) and at its peak after it (right)
on one colour range. The difference shows in the main view (What If › Colour 3D by)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget
from pyvistaqt import QtInteractor

from twin.render.compare_view import Side, draw_side_by_side, shared_clim
from twin.ui.interactor import close_interactor
from twin.whatif.compare import BASELINE, PEAK, gpu_view


class CompareWindow(QMainWindow):
    """One what-if's baseline and peak (``meshes``: the two GPU meshes drawn)."""

    def __init__(self, parent: QWidget, result, baseline) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        fac = result.facility
        hall_id = fac.hall_ids[result.hall]
        failed = " + ".join(result.failed)
        self.setWindowTitle(f"What if {failed} fail — {hall_id}: baseline | peak")
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        self.plotter = QtInteractor(body, shape=(1, 2), border=True)
        lay.addWidget(self.plotter, 1)
        base = gpu_view(result, baseline.gpu_temp_c, BASELINE)
        peak = gpu_view(result, baseline.gpu_temp_c, PEAK)
        self.sides = [
            Side(f"Baseline ({result.start_label})", base.values),
            Side(f"{failed} failed: peak in {result.duration_s / 60:.0f} min", peak.values),
        ]
        gpus = fac.gpu_hall == result.hall
        self.clim = shared_clim(self.sides, gpus)
        self.meshes = draw_side_by_side(
            self.plotter, fac, result.hall, self.sides, "GPU °C", clim=self.clim
        )
        note = QLabel(
            f"{hall_id}: GPU temperatures on one scale, {self.clim[0]:.1f}–{self.clim[1]:.1f} "
            "°C; grey GPUs are dark. Both views turn together.",
            body,
        )
        note.setContentsMargins(6, 2, 6, 4)
        lay.addWidget(note)
        self.setCentralWidget(body)
        self.resize(1200, 560)

    def closeEvent(self, event) -> None:  # noqa: N802
        close_interactor(self.plotter)
        super().closeEvent(event)
