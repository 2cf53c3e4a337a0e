"""The Thermal dock's widgets: hall, cell size, slice height and vertical slice position, the
air units to fail, following replay frames, and a summary of the last solve. It shows and
reads values; ``ThermalView`` decides what they do."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from twin.physics.cells import momentum_note
from twin.physics.params import provenance_line

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: Slider resolution for slice positions (m).
SLIDER_STEP_M = 0.05
IDLE_TEXT = "Turn on an overlay under View › Thermal to solve the hall."


class ThermalPanel(QWidget):
    """The dock's contents (object name ``thermal_panel``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("thermal_panel")
        box = QVBoxLayout(self)
        box.addLayout(self._build_form())
        group = QGroupBox("Failed air units (tick to fail, then re-solve)")
        gl = QVBoxLayout(group)
        self.units_list = QListWidget()
        self.units_list.setObjectName("thermal_failed_units")
        self.units_list.setMinimumHeight(110)
        # it takes the room left over, and gives it up first when the dock is short: the
        # summary below it stays in view (its own rows scroll)
        self.units_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        gl.addWidget(self.units_list)
        box.addWidget(group, 1)
        self.follow = QCheckBox("Follow replay / live rack power (transient steps)")
        self.follow.setChecked(True)
        self.follow.setToolTip(
            "Each frame steps the air temperatures with the frame's rack powers and the air "
            "units it reports off"
        )
        box.addWidget(self.follow)
        self.summary = QLabel(IDLE_TEXT)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self.summary)

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        self.hall_combo = QComboBox()
        form.addRow("Hall", self.hall_combo)
        self.cell_spin = QDoubleSpinBox()
        self.cell_spin.setRange(0.0, 1.0)
        self.cell_spin.setSingleStep(0.05)
        self.cell_spin.setDecimals(2)
        self.cell_spin.setSuffix(" m")
        self.cell_spin.setSpecialValueText("auto")
        self.cell_spin.setToolTip("Grid cell size; auto keeps the hall under 1 M cells")
        form.addRow("Cell", self.cell_spin)
        self.height_slider = QSlider(Qt.Orientation.Horizontal)
        self.height_label = QLabel("")
        form.addRow("Slice height", _pair(self.height_slider, self.height_label))
        self.axis_combo = QComboBox()
        self.axis_combo.addItem("across x (y–z plane)", "x")
        self.axis_combo.addItem("across y (x–z plane)", "y")
        form.addRow("Vertical slice", self.axis_combo)
        self.pos_slider = QSlider(Qt.Orientation.Horizontal)
        self.pos_label = QLabel("")
        form.addRow("Position", _pair(self.pos_slider, self.pos_label))
        return form

    # ------------------------------------------------------------------ values
    @property
    def axis(self) -> str:
        return self.axis_combo.currentData()

    @staticmethod
    def slider_m(slider: QSlider) -> float:
        return slider.value() * SLIDER_STEP_M

    def fill_halls(self, facility: Facility) -> None:
        self.hall_combo.blockSignals(True)
        self.hall_combo.clear()
        for h in facility.layout.halls:
            self.hall_combo.addItem(h.name or h.id)
        self.hall_combo.setCurrentIndex(0)
        self.hall_combo.blockSignals(False)

    def show_hall(self, hall: int) -> None:
        self.hall_combo.blockSignals(True)
        self.hall_combo.setCurrentIndex(hall)
        self.hall_combo.blockSignals(False)

    def fill_units(self, facility: Facility | None, hall: int) -> None:
        """One checkable row per air unit of the hall; units off in the layout are greyed."""
        self.units_list.blockSignals(True)
        self.units_list.clear()
        if facility is not None:
            for a in np.flatnonzero(facility.air_unit_hall == hall):
                item = QListWidgetItem(facility.air_unit_ids[a])
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                if not bool(facility.air_unit_on[a]):  # already supplies nothing
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip("Off in the layout")
                self.units_list.addItem(item)
        self.units_list.blockSignals(False)

    def check_units(self, failed: set[str]) -> None:
        self.units_list.blockSignals(True)
        for i in range(self.units_list.count()):
            item = self.units_list.item(i)
            on = item.text() in failed
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.units_list.blockSignals(False)

    def fill_sliders(self, size_m) -> None:
        """Slider ranges for a hall of ``size_m`` (w, d, h): the slice at 1.2 m (or half the
        height), the vertical slice through the middle."""
        w, d, h = (float(v) for v in size_m)
        self.height_slider.blockSignals(True)
        self.height_slider.setRange(0, int(h / SLIDER_STEP_M))
        self.height_slider.setValue(int(round(min(1.2, h / 2) / SLIDER_STEP_M)))
        self.height_slider.blockSignals(False)
        self.fill_position(w if self.axis == "x" else d)

    def fill_position(self, along_m: float) -> None:
        self.pos_slider.blockSignals(True)
        self.pos_slider.setRange(0, int(along_m / SLIDER_STEP_M))
        self.pos_slider.setValue(int(round(along_m / 2 / SLIDER_STEP_M)))
        self.pos_slider.blockSignals(False)

    def show_positions(self, z_m: float, pos_m: float) -> None:
        self.height_label.setText(f"{z_m:.2f} m")
        self.pos_label.setText(f"{self.axis} = {pos_m:.2f} m")


def _pair(slider: QSlider, label: QLabel) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(slider, 1)
    label.setMinimumWidth(56)
    lay.addWidget(label)
    return w


def _balance_text(res) -> str:
    """Heat in = out + stored, and the solver's error: a share of the heat in, or watts in a
    hall without heat (its error is relative to 1 W there: "4.19 %" of nothing read as a
    fault), as ``twin thermal`` says it."""
    stored = getattr(res, "heat_stored_w", 0.0)

    def kw(w: float, sign: str = "") -> str:
        return f"{round(w / 1e3) + 0.0:{sign},.0f} kW"  # + 0.0: never "-0 kW"

    error = (
        f"solver error {100 * res.energy_error:.2f} %"
        if res.heat_in_w >= 1.0
        else f"no heat to balance: {res.energy_error:.2g} W"
    )
    return (
        f"Heat in {kw(res.heat_in_w)} = out {kw(res.heat_out_w)} + stored in the air "
        f"{kw(stored, '+')} ({error})"
    )


def summarise(facility: Facility, res, failed: set[str]) -> str:
    """The dock's rich-text summary of a result: grid, hottest inlet and ASHRAE classes,
    supply/return and RCI/RTI, heat balance, units at capacity, failed units."""
    f = facility
    racks = np.asarray(res.grid.rack_ids)
    nx, ny, nz = res.grid.shape
    lines = [f"<b>{f.hall_ids[res.grid.hall]}</b>: {nx}×{ny}×{nz} cells of {res.cell_m:g} m"]
    if racks.size and np.isfinite(res.rack_inlet_max_c[racks]).any():
        worst = racks[int(np.nanargmax(res.rack_inlet_max_c[racks]))]
        # a rack that draws no air has no inlet to class (``airless_note`` says why)
        drawn = np.isfinite(res.rack_inlet_max_c[racks])
        classes = res.rack_ashrae[racks][drawn]
        none = f", {int((~drawn).sum())} drawing no air" if not drawn.all() else ""
        lines.append(
            f"Hottest inlet {res.rack_inlet_max_c[worst]:.1f} °C at {f.rack_ids[worst]}; "
            f"A1 recommended {int((classes == 0).sum())}, allowable "
            f"{int((classes == 1).sum())}, outside {int((classes == 2).sum())} racks{none}"
        )
    m = res.metrics

    def pct(key: str) -> str:  # a hall without heat has no index: n/a, not "nan %"
        v = m.get(key, float("nan"))
        return f"{v:.0f} %" if np.isfinite(v) else "n/a"

    lines.append(
        f"Supply {res.supply_mean_c:.1f} °C, return {res.return_mean_c:.1f} °C; "
        f"RCI-HI {pct('rci_hi')}, RCI-LO {pct('rci_lo')}, RTI {pct('rti')}"
    )
    lines.append(f"{_balance_text(res)}; solved in {res.seconds:.1f} s")
    from twin.physics.results import airless_note, overload_note

    overload = overload_note(f, res)
    if overload:
        lines.append(
            f"<span style='color:#e0603a'>{html.escape(overload[0].upper() + overload[1:])}</span>"
        )
    at_cap = np.flatnonzero(res.air_unit_at_capacity)
    if at_cap.size:
        names = ", ".join(f.air_unit_ids[i] for i in at_cap[:6])
        lines.append(f"<span style='color:#e0603a'>At capacity: {names}</span>")
    if failed:
        lines.append("Failed: " + ", ".join(sorted(failed)))
    note = momentum_note(res.cell_m, res.flow_cell_m)
    if note:
        lines.append(f"<span style='color:#e0603a'>{note[0].upper()}{note[1:]}</span>")
    from twin.physics.model import unsettled_note  # the solver's module: loaded by then

    unsettled = unsettled_note(getattr(res, "march_change_k", None))
    if unsettled:
        lines.append(unsettled[0].upper() + unsettled[1:])
    airless = airless_note(f, res)
    if airless:
        lines.append(f"<span style='color:#e0603a'>{html.escape(airless)}</span>")
    model = provenance_line(f.layout)
    if model:
        lines.append(html.escape(model[0].upper() + model[1:]))
    return "<br>".join(lines)
