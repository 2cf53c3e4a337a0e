"""View › Thermal › Write OpenFOAM Case…: the open hall's OpenFOAM case, meshed from Twin's
grid at the dock's cell as ``twin cfd case`` writes it (``twin.cfd.case_dir``), written off
the GUI thread into a new folder. Running OpenFOAM takes minutes to hours, so the window
writes the case, says so in the status bar and puts the command that runs it (``twin cfd
case ... --run``) on the clipboard; Compare with CFD… then reads the result back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from twin.ui.actions import Action

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

#: The write's key on the window's solver.
CASE_KEY = "cfd.case"


class CfdCaseWriter(QObject):
    """The action and its background write."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.message: str | None = None  # what was written and the command that runs it
        self.command: str | None = None  # that command (also put on the clipboard)
        self.error: str | None = None
        self._job = None
        self._path: Path | None = None
        window.solver.done.connect(self._done)
        self.action = window.action_registry.add(
            Action(
                "view.thermal.write_cfd_case",
                "Write OpenFOAM &Case…",
                "View/Thermal",
                "3_compare",
                1,
                self.choose,
                tip="Write the hall's OpenFOAM case (Twin's own grid: the same racks, tiles "
                "and ports) to run with OpenFOAM and compare back",
            )
        )

    def _hall_cell(self) -> tuple[int, float]:
        tv = self.window.extensions.get("thermal_view")
        return (tv.hall, tv.effective_cell_m()) if tv is not None else (0, 0.2)

    def choose(self) -> None:
        fac = self.window.facility
        if fac is None:
            return
        hall, _ = self._hall_cell()
        start = Path.home() / f"{fac.layout.name}-{fac.hall_ids[hall]}-case"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Write OpenFOAM Case (a new folder)", str(start)
        )
        if not path:
            return
        p = Path(path)
        force = False
        if p.is_dir() and any(p.iterdir()):
            answer = QMessageBox.question(
                self.window,
                "Write OpenFOAM Case",
                f"{p} holds files already. Replace everything in it with the case?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            force = True
        self.write(p, force)

    def write(self, path: str | Path, force: bool = False):
        """Write the open hall's case to ``path`` on the window's solver; the status bar
        says what was written, or why not (``message``, ``error``)."""
        from twin.cfd.case_dir import refuse_existing, write_whole

        path = Path(path)
        self.message = self.error = None
        refused = refuse_existing(path, force)
        if refused:
            self.error = refused
            self.window.statusBar().showMessage(f"OpenFOAM case not written: {self.error}")
            return None
        fac = self.window.facility
        hall, cell = self._hall_cell()
        self._path = path
        self._job = self.window.solver.submit(
            CASE_KEY, lambda _token: write_whole(fac, hall, path, cell)
        )
        self.window.statusBar().showMessage(f"Writing the OpenFOAM case to {path}…")
        return self._job

    def _done(self, outcome) -> None:
        if outcome.key != CASE_KEY or outcome.job is not self._job:
            return
        self._job = None
        if outcome.error:  # shown, not raised: the layout or the folder is the user's to fix
            self.error = outcome.error.split(": ", 1)[-1]
            self.window.statusBar().showMessage(f"OpenFOAM case not written: {self.error}")
            return
        from twin.cfd.case_dir import describe

        desc = outcome.value
        fac = self.window.facility
        layout = fac.path if fac is not None and fac.path is not None else "LAYOUT"
        hall = "" if desc["hall"] == fac.hall_ids[0] else f" --hall {desc['hall']}"
        self.command = (
            f"twin cfd case {layout} {self._path} --cell {desc['cell_m']:g}{hall} --force --run"
        )
        self.message = f"{describe(desc, self._path)}. Run it: {self.command}"
        QApplication.clipboard().setText(self.command)
        self.window.statusBar().showMessage(
            f"OpenFOAM case written: {self._path}, {desc['n_cells']:,} cells of "
            f"{desc['cell_m']:g} m; the command that runs it is on the clipboard, then "
            "Compare with CFD…"
        )


def install(window: MainWindow) -> CfdCaseWriter:
    return CfdCaseWriter(window)
