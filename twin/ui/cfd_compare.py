"""Thermal dock › Compare with CFD…: Twin's solution of the open hall against an OpenFOAM
case or a VTK/VTU file (or a stored reference), as three horizontal slices (Twin, CFD,
difference) at the dock's slice height and a per-rack error table. Where the CFD has an air
velocity, both models' air is drawn as arrows on their slices and the summary says how far
the flows agree. The solve and the import run off the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from twin.cfd.aisles import summary_line
from twin.cfd.source import read_at_text
from twin.cfd.velocity import summary_text as velocity_summary
from twin.model import units
from twin.ui.actions import Action
from twin.ui.cfd_calibrate import CfdCalibrate
from twin.ui.compare_slices import Cuts, SlicePanel

#: The comparison's key on the window's solver (a newer comparison supersedes an older one).
COMPARE_KEY = "cfd.compare"

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

FILTERS = (
    "CFD results (controlDict *.vtk *.vtu *.vtp *.vti *.vtm *.case *.csv *.tsv *.txt *.json);;"
    "OpenFOAM case (controlDict);;VTK (*.vtk *.vtu *.vtp *.vti *.vtm);;EnSight Gold (*.case);;"
    "Table of points (*.csv *.tsv *.txt);;Twin CFD reference (*.json)"
)


def arrow_scale_ms(cfd_vel: np.ndarray) -> float:
    """The speed an arrow spanning its spacing stands for: the CFD's 90th-percentile
    horizontal speed on the slice, so that most arrows stay within their own spacing."""
    sp = np.hypot(cfd_vel[..., 0], cfd_vel[..., 1])
    sp = sp[np.isfinite(sp)]
    return float(np.percentile(sp, 90)) if sp.size and sp.max() > 0 else 1.0


def _summary_text(fig: dict) -> str:
    rc = fig.get("rank_corr")
    dropped = (fig.get("source") or {}).get("implausible_cells", 0)
    cells = "cell" if dropped == 1 else "cells"
    left_out = f"; {dropped} CFD {cells} left out (not room air values)" if dropped else ""
    changed = (fig.get("source") or {}).get("load_changes")
    if changed:
        left_out += f"; the case was run with other loads than Twin's now ({changed})"
    held = (fig.get("source") or {}).get("held_at_inlet_cells", 0)
    if held:
        left_out += (
            f"; {held} cells behind the rack rears left out (the case holds them at the "
            "rack's inlet temperature)"
        )
    if (fig.get("source") or {}).get("note"):
        left_out += f"; {fig['source']['note']}"
    for key in ("placement", "cold_air"):  # a field out of place or in other units
        if (fig.get("source") or {}).get(key):
            left_out += f"; WARNING: {fig['source'][key]}"
    outside = (fig.get("source") or {}).get("racks_outside") or []
    if outside:
        left_out += f"; {len(outside)} racks outside the CFD field left out"
    for u in fig.get("units_at_capacity") or []:
        left_out += (
            f"; {u['id']} out of capacity in Twin (supply {u['supply_c']:.2f} C, set point "
            f"{u['set_c']:.2f} C): not the CFD's room there"
        )
    read_m = (fig.get("source") or {}).get("read_cell_m")
    cell_m = (fig.get("twin") or {}).get("cell_m")
    if read_m is not None and cell_m is not None and abs(read_m - cell_m) > 1e-6:
        left_out += f"; {read_at_text(read_m, fig['source'].get('spacing_m'), cell_m)}"
    re = fig.get("return_error_k")
    aisles = "".join("\n" + summary_line(a) for a in fig.get("aisles") or [])
    return (
        f"Rack mean inlet: RMS {fig['rms_k']:.2f} K, max {fig['max_k']:.2f} K, bias "
        f"{units.signed_text(fig['bias_k'], 2)} K, rank correlation "
        f"{'n/a' if rc is None or rc != rc else f'{rc:.2f}'}; return error "
        f"{'n/a' if re is None or re != re else f'{units.signed_text(re, 2)} K'}{left_out}{aisles}"
    )


#: A rack's error (K) past which its row is marked: the validation's limits on a room's
#: RMS (amber) and on its worst rack (red).
ERROR_WARN_K, ERROR_BAD_K = 1.0, 2.0
WARN_RGB, BAD_RGB = (255, 224, 160), (255, 170, 160)


class _NumberItem(QTableWidgetItem):
    """A figure shown to two decimals that sorts by its value ("-1.16" before "-0.75",
    "10.50" after "9.00"), not by its text."""

    def __init__(self, value: float):
        super().__init__(f"{value:.2f}")
        self.value = value

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, _NumberItem):
            return self.value < other.value
        return super().__lt__(other)


def _rack_table(rows: list[dict]) -> QTableWidget:
    """One row per rack: mean and max inlet of Twin and CFD, and the error of the means;
    sorted by any column on a click of its header (numbers as numbers), racks past
    ``ERROR_WARN_K`` and ``ERROR_BAD_K`` marked."""
    table = QTableWidget(len(rows), 6)
    table.setObjectName("cfd_compare_table")
    table.setHorizontalHeaderLabels(
        ["rack", "Twin °C", "CFD °C", "error K", "Twin max °C", "CFD max °C"]
    )
    table.horizontalHeaderItem(3).setToolTip(
        f"Twin's mean inlet less the CFD's; amber past {ERROR_WARN_K:.0f} K, red past "
        f"{ERROR_BAD_K:.0f} K (the validation suite's limits on a room's RMS and worst rack)"
    )
    for i, r in enumerate(rows):
        vals = [
            r["id"],
            r["twin_mean_c"],
            r["cfd_mean_c"],
            r["error_k"],
            r["twin_max_c"],
            r["cfd_max_c"],
        ]
        for j, v in enumerate(vals):
            table.setItem(i, j, QTableWidgetItem(v) if j == 0 else _NumberItem(float(v)))
        err = abs(float(r["error_k"]))
        rgb = BAD_RGB if err > ERROR_BAD_K else WARN_RGB if err > ERROR_WARN_K else None
        if rgb is not None:
            table.item(i, 3).setBackground(QColor(*rgb))
    # no column sorted yet: the rows stay in the hall's rack order until a header is clicked
    table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    table.setSortingEnabled(True)
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    return table


def _field_row(fig: dict, on_field) -> tuple[QHBoxLayout | None, QComboBox | None]:
    """A "Temperature field" chooser where the source holds more than one (a run that never
    settles keeps its running mean, TMean, beside the last iteration's T): picking another
    calls ``on_field(name)``, which compares that one."""
    source = fig.get("source") or {}
    others = list(source.get("other_fields") or [])
    if not others or on_field is None:
        return None, None
    row = QHBoxLayout()
    row.addWidget(QLabel("Temperature field:"))
    combo = QComboBox()
    combo.setObjectName("cfd_compare_field")
    current = source.get("field", "T")
    combo.addItems([current, *others])
    combo.setToolTip(
        "TMean: the running mean a run that never settles keeps, the field to hold a steady "
        "model to; T: its last iteration"
    )

    def picked(name: str) -> None:
        if name != current:
            on_field(name)

    combo.currentTextChanged.connect(picked)
    row.addWidget(combo)
    row.addStretch(1)
    return row, combo


class CompareDialog(QDialog):
    """The figures, the three slices and the per-rack table of one comparison; a chooser of
    the source's temperature field where it holds several, and of the slices' height where
    the source is a field (a stored reference has one plane)."""

    def __init__(self, parent, fig: dict, cuts: Cuts | None, on_field=None, on_calibrate=None):
        super().__init__(parent)
        self.setWindowTitle(f"Twin against CFD — {Path(fig['source']['path']).name}")
        self.setObjectName("cfd_compare_dialog")
        self.cuts = cuts
        box = QVBoxLayout(self)
        row, self.field_choice = _field_row(fig, on_field)
        if row is not None:
            box.addLayout(row)
        self.summary = QLabel(_summary_text(fig))
        self.summary.setObjectName("cfd_compare_summary")
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        first = cuts.at(cuts.z_m) if cuts is not None else None
        self.velocity_summary = None
        scale = 1.0
        flow = fig.get("velocity") or fig.get("plane_velocity")
        if flow is not None:
            text = velocity_summary(flow)
            if "velocity" not in fig:
                text += " (on the reference's two planes)"
            if first is not None and first[3] is not None and first[4] is not None:
                scale = arrow_scale_ms(first[4])
                text += f". Arrows: the air across each slice; one spacing long is {scale:.1f} m/s"
            self.velocity_summary = QLabel(text)
            self.velocity_summary.setObjectName("cfd_compare_velocity")
            self.velocity_summary.setWordWrap(True)
            box.addWidget(self.velocity_summary)
        self.height = None
        self.slices = None
        if first is not None:
            held = bool((fig.get("source") or {}).get("held_at_inlet_cells"))
            self.height = _height_box(cuts)
            if self.height is not None:
                hrow = QHBoxLayout()
                hrow.addWidget(QLabel("Slice height:"))
                hrow.addWidget(self.height)
                hrow.addStretch(1)
                box.addLayout(hrow)
                self.height.valueChanged.connect(self.cut_at)
            self.slices = SlicePanel(scale, held)
            self.slices.show_cut(*first)
            box.addWidget(self.slices, 2)  # the slices take two thirds of the height
        self.table = _rack_table(fig["rows"])
        box.addWidget(self.table, 1)
        self.calibrate_button = None
        if on_calibrate is not None:
            self.calibrate_button = QPushButton("Calibrate to This CFD…")
            self.calibrate_button.setObjectName("cfd_calibrate_button")
            self.calibrate_button.setToolTip(
                "Fit the airflow model's eddy-viscosity scale and turbulent Prandtl number to "
                "this source's rack inlets and slices (as twin cfd calibrate does), then "
                "offer to store them in the layout"
            )
            self.calibrate_button.clicked.connect(on_calibrate)
            foot = QHBoxLayout()
            foot.addStretch(1)
            foot.addWidget(self.calibrate_button)
            box.addLayout(foot)
        self.resize(*dialog_size(parent))

    def cut_at(self, z_m: float) -> None:
        """Show the slices at height ``z_m`` (m), cut from the fields already compared."""
        self.slices.show_cut(*self.cuts.at(z_m))


def _height_box(cuts: Cuts) -> QDoubleSpinBox | None:
    """The slices' height, a cell a step between the lowest and highest cell centres, or
    None where the source has one plane."""
    span = cuts.heights_m
    if span is None:
        return None
    box = QDoubleSpinBox()
    box.setObjectName("cfd_compare_height")
    box.setDecimals(2)
    box.setSuffix(" m")
    box.setRange(*span)
    box.setSingleStep(cuts.cell_m)
    box.setValue(min(max(cuts.z_m, span[0]), span[1]))
    box.setKeyboardTracking(False)  # typing "1.5" cuts once, at 1.5, not at 1 first
    box.setToolTip("Height of the three slices above the floor (the Thermal dock's at first)")
    return box


#: The dialog's size against its window's: it opened at its layout's minimum, slices a
#: third of the screen and four of the table's rows in view.
DIALOG_SHARE = 0.85
DIALOG_MIN_PX = (900, 700)


def dialog_size(parent) -> tuple[int, int]:
    """Width and height to open the dialog at: ``DIALOG_SHARE`` of the window's, no less
    than ``DIALOG_MIN_PX`` (nor more than the window's own where that is smaller)."""
    if parent is None:
        return DIALOG_MIN_PX
    w, h = parent.width(), parent.height()
    return (
        min(max(int(DIALOG_SHARE * w), DIALOG_MIN_PX[0]), max(w, DIALOG_MIN_PX[0])),
        min(max(int(DIALOG_SHARE * h), DIALOG_MIN_PX[1]), max(h, DIALOG_MIN_PX[1])),
    )


class CfdCompare(QObject):
    """The action, the dock button and the background job."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.dialog: CompareDialog | None = None
        self.error: str | None = None
        self.error_box: QMessageBox | None = None
        self._job = None
        window.solver.done.connect(self._check)
        self.action = window.action_registry.add(
            Action(
                "view.thermal.compare_cfd",
                "Compare with &CFD…",
                "View/Thermal",
                "3_compare",
                0,
                self.choose,
                tip="Compare Twin's temperatures with an OpenFOAM case or a VTK file: slices "
                "and per-rack errors",
            )
        )
        tv = window.extensions.get("thermal_view") if hasattr(window, "extensions") else None
        if tv is not None:
            self.button = QPushButton("Compare with CFD…")
            self.button.setObjectName("thermal_compare_cfd_button")
            self.button.clicked.connect(self.action.trigger)
            tv.panel.layout().addWidget(self.button)
        self.thermal = tv
        self.calibration = CfdCalibrate(window, self._hall_cell, _reader, self.compare)

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Compare with CFD", "", FILTERS)
        if path:
            self.compare(path)

    def _hall_cell(self) -> tuple[int, float, float]:
        tv = self.thermal
        hall = tv.hall if tv is not None else 0
        cell = tv.effective_cell_m() if tv is not None else 0.2
        z = tv.panel.slider_m(tv.height_slider) if tv is not None else 1.2
        return hall, cell, z

    def compare(self, path: str, field: str | None = None):
        """Start a comparison with ``path`` (a case's controlDict or folder, a VTK file or a
        reference) on the window's solver; the dialog opens when it is done. ``field``: the
        source's temperature field (None: T, or its first)."""
        p = Path(path)
        if p.name == "controlDict":
            p = p.parent.parent
        fac = self.window.facility
        hall, cell, z = self._hall_cell()
        self.error = None
        self._job = self.window.solver.submit(
            COMPARE_KEY, lambda token: _job(fac, hall, cell, p, z, field, token)
        )
        self.window.statusBar().showMessage(f"Comparing with {p.name}…")
        return self._job

    def _show_error(self, text: str) -> None:
        """The whole reason, in a box that does not block (the status bar cuts a long one
        off at the window's width: what was wrong with the file came last)."""
        if self.error_box is not None:
            self.error_box.close()
        box = QMessageBox(
            QMessageBox.Icon.Warning, "CFD comparison failed", text, parent=self.window
        )
        box.setObjectName("cfd_compare_error")
        box.open()
        self.error_box = box

    def _check(self, outcome) -> None:
        if outcome.key != COMPARE_KEY or outcome.job is not self._job:
            return
        self._job = None
        if outcome.error:  # shown, not raised: a bad file is the user's to fix
            self.error = outcome.error.split(": ", 1)[-1]
            self.window.statusBar().showMessage(f"CFD comparison failed: {self.error}")
            self._show_error(self.error)
            return
        fig, cuts = outcome.value
        self.window.statusBar().showMessage(f"CFD comparison: rack RMS {fig['rms_k']:.2f} K")
        if self.dialog is not None:
            self.dialog.close()
        path = fig["source"]["path"]
        self.dialog = CompareDialog(
            self.window,
            fig,
            cuts,
            on_field=lambda f: self.compare(path, f),
            on_calibrate=lambda: self.calibration.start(path, fig["source"].get("field")),
        )
        self.dialog.show()


def _job(fac, hall: int, cell: float, path: Path, z_m: float, field: str | None = None, token=None):
    """Off the GUI thread: solve, import, compare (the source's temperature ``field``); (the
    figures, the ``Cuts`` the slices are cut from, first at ``z_m``). A file is read in a
    child process (``cfd_child``: a damaged one can crash VTK's reader), killed when
    ``token`` is cancelled (a newer comparison, the window closing)."""
    from twin.cfd.source import compare_source, recording_refusal
    from twin.cfd.velocity import twin_velocity
    from twin.recording.format import is_twin_recording

    if is_twin_recording(path):  # before the solve
        raise ValueError(recording_refusal(path))
    fig, res, cfd = compare_source(fac, hall, cell, path, _reader(token), field=field)
    if cfd is not None:
        vel = cfd.velocity_ms is not None
        cuts = Cuts(
            res.air_c,
            cfd.air_c,
            res.cell_m,
            z_m,
            twin_velocity(res) if vel else None,
            cfd.velocity_ms if vel else None,
        )
        return fig, cuts
    tw, cf, z_m, tw_vel, cf_vel, held = _reference_plane(fac, hall, res, path)
    fig["source"]["held_at_inlet_cells"] = held
    return fig, Cuts(tw, cf, res.cell_m, z_m, tw_vel, cf_vel)


def _reader(token):
    """``read_cfd_isolated`` whose child is killed when ``token`` (a ``CancelToken``, or
    None) is cancelled, the job then dropped as the solver drops a superseded one."""
    from twin.physics.solver_service import Cancelled
    from twin.render.cfd_child import ReadCancelled, read_cfd_isolated

    def read(path: Path, field: str | None):
        try:
            return read_cfd_isolated(
                path, field, None if token is None else lambda: token.cancelled
            )
        except ReadCancelled:
            raise Cancelled from None

    return read


def _reference_plane(fac, hall: int, res, path: Path) -> tuple:
    """(Twin sampled on a stored reference's horizontal plane, the plane, its height, the two
    air velocities on it or None, the plane's air cells without a value). Those (behind the
    rack rears, which its case held at the rack's inlet) show as beyond the CFD's field, not
    as solids: Twin's air is drawn there."""
    from twin.cfd.compare import sample_cells, sample_velocity
    from twin.physics.grid import build_grid

    pl = np.load(path.with_suffix(".npz"))
    cf = pl["horizontal_c"].astype(float)
    h, z_m = float(pl["cell_m"]), float(pl["horizontal_z_m"])
    ii, jj = np.meshgrid(*(np.arange(n) for n in cf.shape), indexing="ij")
    pts = np.stack([(ii + 0.5) * h, (jj + 0.5) * h, np.full(ii.shape, z_m)], -1).reshape(-1, 3)
    own = build_grid(fac, hall, h)
    k = min(max(int(round(z_m / h - 0.5)), 0), own.shape[2] - 1)
    air = own.fluid[:, :, k] if own.shape[:2] == cf.shape else np.isfinite(cf)
    tw = sample_cells(res, pts).reshape(cf.shape)
    tw[~air] = np.nan
    tw_vel = cf_vel = None
    if "horizontal_u" in pl.files:  # the reference's air on that plane, Twin's sampled
        cf_vel = pl["horizontal_u"][..., :2].astype(float)
        tw_vel = sample_velocity(res, pts)[:, :2].reshape(cf_vel.shape)
        tw_vel[~air] = np.nan
    return tw, cf, z_m, tw_vel, cf_vel, int((air & ~np.isfinite(cf)).sum())


def install(window: MainWindow) -> CfdCompare:
    return CfdCompare(window)
