"""Compare with CFD › Calibrate to This CFD…: fit the airflow model's two free parameters to
the source just compared (``twin cfd calibrate``'s fit, off the interface thread), show the
rack and slice errors before and after, and store the fit in the layout's ``physics:``
block as one undoable edit, so that it is saved with the layout and every solve after it
uses it. A fit that does not pin the parameters down (``calibrate.Fit.kept``) is shown and
offers nothing to apply, as the command writes nothing then."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

#: The fit's key on the window's solver (a newer fit supersedes an older one).
CALIBRATE_KEY = "cfd.calibrate"
#: Seconds the fit may take (``twin cfd calibrate --budget``'s default).
BUDGET_S = 50.0


class CfdCalibrate(QObject):
    """The background fit and its result box."""

    def __init__(self, window: MainWindow, hall_cell, reader_for, on_applied=None):
        """``hall_cell()``: (hall, cell, z) the comparison was made at; ``reader_for(token)``:
        the foreign-file reader a job whose ``token`` is cancelled stops (``CfdCompare``'s);
        ``on_applied(path, field)``: called once a fit of that source is in the layout (the
        comparison is made again, so that its figures are the calibrated model's)."""
        super().__init__(window)
        self.window = window
        self.hall_cell = hall_cell
        self.reader_for = reader_for
        self.on_applied = on_applied
        self._source: tuple[str, str | None] | None = None
        self.error: str | None = None
        self.result = None  # (fit, targets, cell_m, facility) of the last fit
        self.box: QMessageBox | None = None
        self.apply_button = None  # the result box's, where a fit can be applied
        self._job = None
        self._asked = None  # layout_state of the facility the running fit was asked of
        window.solver.done.connect(self._check)

    def start(self, path: str, field: str | None = None, budget_s: float = BUDGET_S):
        """Fit to ``path`` (the compared source; its temperature ``field``, None: T or its
        first) on the window's solver."""
        from twin.physics.hall_jobs import Snapshot, layout_state

        fac = self.window.facility
        hall, cell, _ = self.hall_cell()
        self.error, self.result = None, None
        self._source = (path, field)
        self._asked = layout_state(fac)
        snap = Snapshot.of(fac)  # the editor may patch ``fac`` in place while it fits
        self._job = self.window.solver.submit(
            CALIBRATE_KEY,
            lambda token: _fit(
                snap.facility(), hall, cell, Path(path), field, budget_s, self.reader_for, token
            ),
            background=True,  # the thermal view's and the editor's solves go first
        )
        self.window.statusBar().showMessage(
            f"Calibrating the airflow model to {Path(path).name} (up to {budget_s:.0f} s)…"
        )
        return self._job

    def _check(self, outcome) -> None:
        if outcome.key != CALIBRATE_KEY or outcome.job is not self._job:
            return
        self._job = None
        if outcome.error:
            self.error = outcome.error.split(": ", 1)[-1]
            self.window.statusBar().showMessage(f"Calibration failed: {self.error}")
            self._show(QMessageBox.Icon.Warning, "Calibration failed", self.error, False)
            return
        fit, targets, cell_m, _copy = outcome.value
        fac, edits = self._asked  # the live facility it was asked of (the fit ran on a copy)
        self.result = (fit, targets, cell_m, fac)
        self.window.statusBar().showMessage("Calibration done")
        # the layout replaced, or edited in place, while it ran
        stale = fac is not self.window.facility or fac.edits != edits
        can_apply = _changes(fit, fac) and not stale
        text = describe(fit, targets, fac)
        if stale:
            text += "\n\nThe layout changed while the fit ran: compare and calibrate again."
        self._show(QMessageBox.Icon.Information, "Calibration", text, can_apply)

    def _show(self, icon, title: str, text: str, can_apply: bool) -> None:
        if self.box is not None:
            self.box.close()
        box = QMessageBox(icon, title, text, parent=self.window)
        box.setObjectName("cfd_calibrate_result")
        if can_apply:
            self.apply_button = box.addButton("Apply to Layout", QMessageBox.ButtonRole.AcceptRole)
            self.apply_button.clicked.connect(self.apply)
            box.addButton(QMessageBox.StandardButton.Discard)
        else:
            self.apply_button = None
            box.addButton(QMessageBox.StandardButton.Close)
        box.open()
        self.box = box

    def apply(self) -> bool:
        """Store the last fit in the layout as one undoable edit (the editor switched on, as
        the energy dock's set points are applied)."""
        from twin.cfd.calibrate import provenance, stored_params
        from twin.model.edits import SetPhysics
        from twin.model.schema import Calibration, Physics

        editor = self.window.extensions.get("editor")
        if self.result is None or editor is None:
            return False
        fit, targets, cell_m, fac = self.result
        if not _changes(fit, fac) or fac is not self.window.facility:
            return False
        block = Physics(
            **stored_params(fit.params),
            calibration=Calibration(**provenance(fit, targets, cell_m)),
        )
        editor.set_active(True)
        if not editor.push(SetPhysics(block)):
            return False
        self.result = None
        self.window.statusBar().showMessage(
            "Calibrated: the layout's physics block holds the fit (Save keeps it; Undo takes it "
            "back)"
        )
        if self.on_applied is not None and self._source is not None:
            self.on_applied(*self._source)
        return True


def _changes(fit, fac) -> bool:
    """Whether applying ``fit`` would change the layout's parameters."""
    from twin.physics.params import PhysicsParams

    return not fit.kept and fit.params != PhysicsParams.of(fac.layout)


def describe(fit, targets, fac) -> str:
    """The fit as the result box says it: the parameters, and the rack and slice RMS before
    and after (or why the layout keeps its own)."""
    p = fit.params if not fit.kept else fit.best[0]
    after = fit.after if not fit.kept else fit.best[1]
    lines = [
        f"{'Best fit found' if fit.kept else 'Fitted'}: eddy-viscosity scale "
        f"{p.eddy_viscosity_scale:.3f}, turbulent Prandtl number {p.turbulent_prandtl:.3f} "
        f"({fit.evaluations} solves, {fit.seconds:.1f} s)."
    ]
    for what, key, n in (
        ("Rack inlet", "rack_rms_k", len(targets.rack_c)),
        ("Slice points", "point_rms_k", len(targets.point_c)),
    ):
        if n:
            lines.append(f"{what} RMS {fit.before[key]:.2f} → {after[key]:.2f} K ({n})")
    from twin.cfd.calibrate import edge_note

    if note := edge_note(p):
        lines.append(f"Warning: {note}.")
    if not fit.kept and not _changes(fit, fac):
        lines.append("The layout's own parameters fit best: nothing to apply.")
    if fit.kept:
        lines.append(
            "It does not lower the rack or the point RMS by "
            f"{targets.min_gain_k:g} K without reading the racks worse, so the layout keeps "
            "its own parameters: nothing to apply."
        )
    return "\n".join(lines)


def _fit(fac, hall: int, cell_m: float, path: Path, field, budget_s: float, reader_for, token):
    """Off the GUI thread: the source's targets (a foreign file read in a child process, as
    the comparison reads it), then the fit, stopped between solves when superseded."""
    from twin.cfd import calibrate

    read = reader_for(token)
    targets = calibrate.targets_from_source(fac, hall, cell_m, path, read, field)
    check = token.check if token is not None else None
    clock = token.working_s if token is not None else None  # held at its checks: not counted
    fit = calibrate.fit(fac, hall, cell_m, targets, budget_s, check, clock)
    return fit, targets, cell_m, fac
