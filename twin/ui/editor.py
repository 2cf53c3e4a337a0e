"""Edit mode of the main window: select, drag, rotate, add, delete, duplicate and align racks in
the 3D view, with undo/redo, live constraint checks, a background thermal re-solve, atomic
saves, autosave and crash recovery.

The edits themselves are the model's (``twin.model.edits`` on a ``LayoutDocument``); this
module turns mouse and keys into those commands and shows what they change. ``install(window)``
is called by the window (``twin.ui.extensions``) and returns the ``Editor``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoGroup
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from twin.model import edits as E
from twin.model.constraints import ConstraintChecker
from twin.model.document import Change, LayoutDocument
from twin.model.errors import EditError, LayoutError
from twin.model.recovery import Autosaver, Recovery, RecoveryStore
from twin.model.save import ChangedOnDisk, SaveError
from twin.model.save import save as save_document
from twin.physics import cells
from twin.render.edit_layer import EditLayer, snap_delta, snap_point
from twin.ui.actions import Action
from twin.ui.describe import Loads
from twin.ui.palette import CatalogPalette
from twin.ui.problems import ProblemsPanel
from twin.ui.undo import UndoAdapter

log = logging.getLogger(__name__)

THERMAL_DEBOUNCE_MS = 300
AUTOSAVE_TICK_MS = 5000
SNAP_CHOICES = (0.0, 0.1, 0.3, 0.6, 1.2)
Button = QMessageBox.StandardButton


def _vtk_xy(widget, pos) -> tuple[float, float]:
    """VTK display pixel (origin bottom-left) of a Qt widget position, as the interactor
    converts it."""
    r = widget.devicePixelRatioF()
    return round(pos.x() * r), round((widget.height() - pos.y() - 1) * r)


# ---------------------------------------------------------------------- thermal job
class _ThermalSignals(QObject):
    done = Signal(int, object, str)  # generation, result (or None), error


class _ThermalJob(QRunnable):
    """One steady solve of a snapshot of the layout (the GUI keeps editing the original)."""

    def __init__(self, generation: int, layout, catalog, hall: int, signals: _ThermalSignals):
        super().__init__()
        self.generation, self.layout, self.catalog, self.hall = generation, layout, catalog, hall
        self.signals = signals
        #: the previous result of this hall: the solve warm-starts from it (same grid)
        self.warm = None

    def run(self) -> None:
        try:
            from twin.model.facility import Facility
            from twin.physics import solve_steady  # imported by the GUI thread already

            fac = Facility(self.layout, self.catalog)
            res = solve_steady(
                fac, self.hall, cells.choose_cell_m(fac, self.hall), warm_start=self.warm
            )
            inlet = {
                rid: float(v)
                for rid, v in zip(fac.rack_ids, res.rack_inlet_max_c, strict=True)
                if np.isfinite(v)
            }
            from twin.physics.thermal_checks import thermal_violations

            found = thermal_violations(fac, res)
            self.signals.done.emit(self.generation, (inlet, res, found), "")
        except Exception as exc:  # the window must survive a solver failure: report it
            self.signals.done.emit(self.generation, None, f"{type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------- edit dock
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


# ---------------------------------------------------------------------- the editor
class Editor(QObject):
    """Edit mode state of one window. ``doc`` is the document being edited (created when
    edit mode is first turned on for a layout, or by recovery)."""

    thermal_updated = Signal(object)  # ThermalResult of the latest edit
    problems_updated = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        s = window.settings
        root = s.value("editor/recovery_dir", "") or None
        self.store = RecoveryStore(root)
        self.autosave_s = float(s.value("editor/autosave_s", 30.0))
        self.thermal_enabled = str(s.value("editor/thermal", "true")).lower() not in (
            "false",
            "0",
        )
        self.doc: LayoutDocument | None = None
        self.checker: ConstraintChecker | None = None
        self.undo: UndoAdapter | None = None
        self.layer: EditLayer | None = None
        self.autosaver: Autosaver | None = None
        self.active = False
        self.selected: list[str] = []
        self.pitch_m: float | None = None  # None: the hall's tile pitch
        self.thermal_before: dict[str, float] | None = None
        self.thermal_after: dict[str, float] | None = None
        self.thermal_error = ""
        self.thermal_off = ""
        #: thermal design rules of the latest solve (twin.physics.thermal_checks)
        self.thermal_problems: list = []
        self.recovery_box: QMessageBox | None = None
        self.save_error_box: QMessageBox | None = None
        self._drag: dict | None = None
        self._box: tuple[float, float] | None = None
        self._rebuilding = False
        self._selecting = False
        self._docks_sized = False
        self._thermal_gen = 0
        self._thermal_running = False
        self._thermal_warm = None  # last result: the next re-solve starts from it
        self._thermal_pending = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._thermal_signals = _ThermalSignals()
        self._thermal_signals.done.connect(self._thermal_done)
        self._thermal_timer = QTimer(self, singleShot=True, interval=THERMAL_DEBOUNCE_MS)
        self._thermal_timer.timeout.connect(self._start_thermal)
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_TICK_MS)
        self._autosave_timer.timeout.connect(self.autosave_tick)
        self.group = QUndoGroup(self)

        self._build_docks()
        self._build_actions()
        window.plotter.installEventFilter(self)
        window.plotter.setAcceptDrops(True)
        window.installEventFilter(self)
        window.layout_loaded.connect(self._on_layout_loaded)
        window.selection_changed.connect(self._on_window_selection)
        window.open_guards.append(self.confirm_discard)  # ask about unsaved edits first
        self._update_actions()
        QTimer.singleShot(0, self.offer_crashed)

    # ------------------------------------------------------------------ UI
    def _build_docks(self) -> None:
        w = self.window
        area = Qt.DockWidgetArea
        self.problems = ProblemsPanel(w)
        self.problems.activated.connect(self.select_ids)
        self.problems_dock = w.add_dock(self.problems, "Problems", area.BottomDockWidgetArea)
        self.history_view = QUndoView(self.group, w)
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = w.add_dock(self.history_view, "History", area.RightDockWidgetArea)
        self.palette = CatalogPalette(w)
        self.palette_dock = w.add_dock(self.palette, "Catalog", area.LeftDockWidgetArea)
        self.panel = EditPanel(w)
        self.panel_dock = w.add_dock(self.panel, "Edit", area.RightDockWidgetArea)
        self.panel.x.valueChanged.connect(lambda _v: self._apply_panel_xy())
        self.panel.y.valueChanged.connect(lambda _v: self._apply_panel_xy())
        self.panel.rotation.valueChanged.connect(self.set_rotation)
        self.panel.snap.valueChanged.connect(self.set_pitch)
        for dock in (self.problems_dock, self.history_dock, self.palette_dock, self.panel_dock):
            dock.hide()

    def _build_actions(self) -> None:
        w = self.window
        menu = w.menus["Edit"]
        S = QKeySequence.StandardKey

        def act(text, slot, shortcut=None, tip="", checkable=False) -> QAction:
            a = QAction(text, w)
            if shortcut is not None:
                if isinstance(shortcut, list):
                    a.setShortcuts([QKeySequence(k) for k in shortcut])
                else:
                    a.setShortcut(QKeySequence(shortcut))
            a.setStatusTip(tip)
            a.setCheckable(checkable)
            a.triggered.connect(slot)
            return a

        first = menu.actions()[0] if menu.actions() else None
        self.act_undo = self.group.createUndoAction(w, "&Undo")
        self.act_undo.setShortcut(S.Undo)
        self.act_redo = self.group.createRedoAction(w, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_edit = act(
            "&Edit Layout", self.set_active, "Ctrl+E", "Move, add and remove racks", True
        )
        for a in (self.act_undo, self.act_redo, self.act_edit):
            menu.insertAction(first, a)
        menu.insertSeparator(first)
        self.act_rotate = act("&Rotate 90°", lambda: self.rotate_selection(90.0), "R")
        self.act_rotate_back = act("Rotate −90°", lambda: self.rotate_selection(-90.0), "Shift+R")
        self.act_delete = act("&Delete Racks", self.delete_selection, S.Delete)
        self.act_duplicate = act("D&uplicate Racks", self.duplicate_selection, "Ctrl+D")
        self.act_align = act("&Align in Row", self.align_selection, "Ctrl+L")
        menu.addSeparator()
        for a in (
            self.act_rotate,
            self.act_rotate_back,
            self.act_delete,
            self.act_duplicate,
            self.act_align,
        ):
            menu.addAction(a)
        self.snap_menu = menu.addMenu("S&nap To")
        group = QActionGroup(self)
        self.snap_actions: dict[float | None, QAction] = {}
        for pitch in (None, *SNAP_CHOICES):
            title = (
                "Floor tile pitch"
                if pitch is None
                else ("Off" if pitch == 0 else f"{pitch:g} m grid")
            )
            a = QAction(title, w, checkable=True)
            a.triggered.connect(lambda _c=False, p=pitch: self.set_pitch(p))
            group.addAction(a)
            self.snap_menu.addAction(a)
            self.snap_actions[pitch] = a
        self.snap_actions[None].setChecked(True)

        reg = w.action_registry
        self.act_save = reg.add(
            Action(
                "file.save",
                "&Save Layout",
                "File",
                "2_save",
                0,
                self.save,
                S.Save,
                "Save the edited layout",
            )
        )
        self.act_save_as = reg.add(
            Action(
                "file.save_as",
                "Save Layout &As…",
                "File",
                "2_save",
                1,
                self.save_as_dialog,
                "Ctrl+Shift+S",
            )
        )

        bar = w.add_toolbar("Edit")
        for a in (
            self.act_edit,
            self.act_undo,
            self.act_redo,
            self.act_rotate,
            self.act_duplicate,
            self.act_delete,
            self.act_align,
            self.act_save,
        ):
            bar.addAction(a)

    def _update_actions(self) -> None:
        has_layout = self.window.facility is not None
        self.act_edit.setEnabled(has_layout)
        self.act_edit.setChecked(self.active)
        sel = self.active and bool(self.selected)
        for a in (
            self.act_rotate,
            self.act_rotate_back,
            self.act_delete,
            self.act_duplicate,
        ):
            a.setEnabled(sel)
        self.act_align.setEnabled(self.active and len(self.selected) > 1)
        self.act_save.setEnabled(self.doc is not None)
        self.act_save_as.setEnabled(self.doc is not None or has_layout)

    def _update_title(self, *_args) -> None:
        w, doc = self.window, self.doc
        if doc is None or w.facility is None:
            return
        name = doc.layout.name
        file = f" ({doc.path.name})" if doc.path else " (unsaved)"
        w.setWindowTitle(f"{name}[*] — Twin{file}")
        w.setWindowModified(doc.dirty)

    def _status(self, text: str, ms: int = 4000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ edit mode
    def set_active(self, on: bool = True) -> None:
        """Turn edit mode on or off (the document and its history stay)."""
        on = bool(on)
        if on and self.window.facility is None:
            on = False
        if on:
            try:
                self._ensure_document()
            except (LayoutError, EditError, OSError) as exc:
                QMessageBox.warning(self.window, "Cannot edit", str(exc))
                on = False
        self.active = on
        for dock in (self.problems_dock, self.history_dock, self.palette_dock, self.panel_dock):
            dock.setVisible(on)
        if on and not self._docks_sized:
            self._docks_sized = True
            self.window.resizeDocks([self.problems_dock], [150], Qt.Orientation.Vertical)
        if not on:
            self._drag = self._box = None
            if self.layer is not None:
                self.layer.clear_box()
                self.layer.set_problems([])
        self._refresh_problems()
        self._refresh_panel()
        self._update_actions()
        if self.window.scene is not None:
            self.window.plotter.render()
        if on and self.thermal_after is None and self.thermal_enabled:
            self._start_thermal()  # at once: the baseline the first edit is compared with

    def _ensure_document(self) -> None:
        w = self.window
        fac = w.facility
        if self.doc is not None and self.doc.facility is fac:
            return
        # the text the window loaded, not the file now: a change another program made since
        # must be noticed when saving, not taken as what the user opened
        text = fac.source_text
        if text is None and fac.path is not None and Path(fac.path).is_file():
            text = Path(fac.path).read_text(encoding="utf-8")
        doc = LayoutDocument(fac.layout, path=fac.path, source_text=text)
        # the window's facility was built from the same layout and catalog: edit it in place,
        # so the scene already drawn follows the edits (no second scene build)
        doc.facility = fac
        self._attach(doc)

    def _attach(self, doc: LayoutDocument) -> None:
        self._detach()
        self.doc = doc
        self.checker = ConstraintChecker(doc.facility).attach(doc)
        self.checker.problems_changed.connect(self._on_problems)
        doc.changed.connect(self._on_doc_changed)
        doc.dirty_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        self.undo = UndoAdapter(doc, self)
        self.undo.failed.connect(self._edit_refused)
        self.group.addStack(self.undo.stack)
        self.group.setActiveStack(self.undo.stack)
        self.autosaver = Autosaver(doc, self.store, self.autosave_s)
        self._autosave_timer.start()
        self.palette.set_catalog(doc.catalog)
        self.layer = EditLayer(self.window.scene) if self.window.scene is not None else None
        self.thermal_before = self.thermal_after = None
        self.thermal_problems = []
        self._thermal_gen += 1
        self._update_pitch_ui()
        self._update_title()

    def _detach(self) -> None:
        if self.doc is None:
            return
        doc = self.doc
        if self.checker is not None:
            self.checker.detach()
            self.checker.problems_changed.disconnect(self._on_problems)
        doc.changed.disconnect(self._on_doc_changed)
        doc.dirty_changed.disconnect(self._update_title)
        doc.path_changed.disconnect(self._update_title)
        if self.undo is not None:
            self.group.removeStack(self.undo.stack)
            self.undo.detach()
            self.undo.deleteLater()
        self._autosave_timer.stop()
        self.doc = self.checker = self.undo = self.autosaver = None
        self.layer = None
        self.selected = []

    # ------------------------------------------------------------------ layouts
    def _on_layout_loaded(self, facility) -> None:
        if self._rebuilding:
            return
        was_active = self.active
        if self.doc is not None and self.doc.facility is not facility:
            if not self.doc.dirty:
                self.store.discard(self.doc)
            self._detach()
        self.active = False
        if was_active:
            self.set_active(True)
        self._update_actions()
        if facility.path is not None and self.recovery_box is None:
            entry = self.store.pending(facility.path)
            if entry is not None:
                self._offer_recovery(entry)

    def offer_crashed(self) -> None:
        """At start: offer the newest recovery left by a process that is gone."""
        if self.window.facility is not None or self.recovery_box is not None:
            return
        entries = self.store.crashed()
        if entries:
            self._offer_recovery(entries[0])

    def _offer_recovery(self, entry: Recovery) -> None:
        import time

        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))
        what = entry.layout_path.name if entry.layout_path else (entry.name or "an untitled layout")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved changes?",
            f"Twin stopped with unsaved changes to {what} (autosaved {when}).",
            Button.NoButton,
            self.window,
        )
        box.setInformativeText("Recover them, or discard the recovery file?")
        box.setObjectName("recovery_box")
        self.recover_button = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.recover_button)

        def finished(_result: int) -> None:
            clicked = box.clickedButton()
            self.recovery_box = None
            role = box.buttonRole(clicked) if clicked is not None else None
            if role == QMessageBox.ButtonRole.AcceptRole:
                self.recover(entry)
            elif role == QMessageBox.ButtonRole.DestructiveRole:
                self.store.discard(entry)
            box.deleteLater()

        box.finished.connect(finished)
        self.recovery_box = box
        box.open()

    def recover(self, entry: Recovery) -> bool:
        """Show a recovered document (dirty, in edit mode)."""
        try:
            doc = self.store.recover(entry)
        except (LayoutError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot recover", str(exc))
            return False
        self._detach()
        self._show_facility(doc.facility)
        self._attach(doc)
        self.set_active(True)
        self._status(f"Recovered unsaved changes to {doc.layout.name}")
        return True

    def _show_facility(self, facility) -> None:
        """Put a (rebuilt) facility on screen keeping the camera."""
        w = self.window
        cam = None
        if w.scene is not None:
            c = w.plotter.renderer.camera
            cam = (c.position, c.focal_point, c.up, c.parallel_projection, c.parallel_scale)
        self._rebuilding = True
        try:
            w.set_facility(facility, Loads.of(facility), same_layout=True)
        finally:
            self._rebuilding = False
        if cam is not None:
            c = w.plotter.renderer.camera
            c.position, c.focal_point, c.up = cam[0], cam[1], cam[2]
            c.parallel_projection, c.parallel_scale = cam[3], cam[4]
            w.plotter.renderer.ResetCameraClippingRange()
        self.layer = EditLayer(w.scene)
        self._update_title()

    # ------------------------------------------------------------------ document changes
    def _on_doc_changed(self, change: Change) -> None:
        w = self.window
        if change.kind == "structure":
            sel = list(self.selected)
            self._show_facility(self.doc.facility)
            self.selected = [r for r in sel if r in self.doc.facility.rack_index]
            self._show_selection()
            self._refresh_problems()
        elif change.kind == "geometry" and self.layer is not None:
            self.layer.sync_racks()
            if self._drag is None:  # a drag re-routes its links once, when it ends
                self.layer.refresh_links()
            if self.selected and self._drag is None:
                self._show_selection()  # the inspector shows the new place (draws once)
            else:
                with w.scene.quiet():
                    if self.selected:
                        self._highlight_selection()
                w.plotter.render()
        elif change.kind in ("power", "cooling"):
            w.loads = Loads.of(self.doc.facility)
        if self._drag is None:
            self._refresh_panel()
        self._schedule_thermal()

    def _on_problems(self) -> None:
        self._refresh_problems()

    def _refresh_problems(self) -> None:
        if not self.active or self.checker is None:
            self.problems.set_problems(None if not self.active else [])
            return
        problems = self.checker.problems + self.thermal_problems
        self.problems.set_problems(problems)
        if self.layer is not None and self.layer.scene.facility is self.doc.facility:
            # (after a rebuild of the facility the scene catches up first, then this runs)
            self.layer.sync_racks()  # the checks run before the scene hears of a move
            fac = self.doc.facility
            err, warn = [], []
            for v in problems:
                out = err if v.severity == "error" else warn
                for item in v.items:
                    found = fac.find(item)
                    if found is not None and found[0] in ("rack", "air_unit", "cdu", "power"):
                        out.append(found)
            self.layer.set_problems(err, warn)
        self.problems_updated.emit()

    def _edit_refused(self, message: str) -> None:
        self._status(f"Edit refused: {message}", 6000)

    def push(self, cmd: E.Command) -> bool:
        """Run one model command through the undo stack (False if refused)."""
        if self.undo is None:
            return False
        ok = self.undo.push(cmd)
        self._update_actions()
        return ok

    # ------------------------------------------------------------------ selection
    def _rack_index(self, rack_id: str) -> int:
        return self.doc.facility.rack_index[rack_id]

    def select_ids(self, ids: list[str]) -> None:
        """Select items by id (a problem's items): racks become the edit selection, and the
        first item is selected in the window (tree, inspector)."""
        if self.window.facility is None:
            return
        fac = self.window.facility
        racks = [i for i in ids if i in fac.rack_index]
        if racks:
            self.set_selection(racks)
        elif ids:
            self.window.select_id(ids[0])

    def set_selection(self, rack_ids: list[str]) -> None:
        self.selected = list(dict.fromkeys(rack_ids))
        self._show_selection()

    def _show_selection(self) -> None:
        w = self.window
        if w.scene is None:
            return
        self._selecting = True
        try:
            with w.scene.quiet():  # one draw at the end, not one per step (100k GPUs)
                if not self.selected:
                    w.clear_selection()
                else:
                    w.select("rack", self._rack_index(self.selected[-1]), origin="editor")
                    self._highlight_selection()
        finally:
            self._selecting = False
        w.plotter.render()
        self._refresh_panel()
        self._update_actions()

    def _highlight_selection(self) -> None:
        if self.window.scene is not None and self.doc is not None:
            idx = [self._rack_index(r) for r in self.selected]
            self.window.scene.highlight("rack", idx)

    def _on_window_selection(self, kind: str, index: int) -> None:
        if self.window.facility is None:
            return
        fac = self.window.facility
        if not self._selecting:
            self.selected = [fac.rack_ids[index]] if kind == "rack" and index >= 0 else []
            self._refresh_panel()
            self._update_actions()
        if kind == "rack" and index >= 0:
            self._inspector_thermal(fac.rack_ids[index])

    def _inspector_thermal(self, rack_id: str) -> None:
        """The inlet change of the last edit, under the inspector's own sections."""
        after = self.thermal_after
        if not self.active or after is None or rack_id not in after:
            return
        before = (self.thermal_before or {}).get(rack_id)
        rows = [("Inlet (max)", f"{after[rack_id]:.1f} °C", None)]
        if before is not None:
            d = after[rack_id] - before
            rows = [("Inlet (max)", f"{before:.1f} → {after[rack_id]:.1f} °C ({d:+.1f} K)", None)]
        self.window.inspector.add_section("After the last edit", rows)

    # ------------------------------------------------------------------ edit operations
    def rotate_selection(self, delta_deg: float = 90.0) -> bool:
        if not (self.active and self.selected):
            return False
        pivot = None
        if len(self.selected) > 1:  # a block turns about its centre
            fac = self.doc.facility
            idx = [self._rack_index(r) for r in self.selected]
            pivot = fac.rack_center_m[idx, :2].mean(axis=0)
        ok = self.push(E.rotate_by(self.doc, self.selected, delta_deg, pivot))
        self.undo.seal()
        return ok

    def set_rotation(self, rotation_deg: float) -> bool:
        """Any angle, from the edit dock: every selected rack turns in place to it."""
        if not (self.active and self.selected):
            return False
        ok = self.push(E.RotateRacks(self.doc, self.selected, float(rotation_deg) % 360.0))
        self.undo.seal()
        return ok

    def _apply_panel_xy(self) -> None:
        if not (self.active and len(self.selected) == 1):
            return
        xy = (self.panel.x.value(), self.panel.y.value())
        self.push(E.MoveRacks(self.selected, [xy]))
        self.undo.seal()

    def delete_selection(self) -> bool:
        if not (self.active and self.selected):
            return False
        ids = list(self.selected)
        self.selected = []
        ok = self.push(E.DeleteRacks(ids))
        if not ok:
            self.selected = ids
        self._show_selection()
        return ok

    def duplicate_selection(self) -> bool:
        """Copies one rack pitch to the side of the originals (along their width)."""
        if not (self.active and self.selected):
            return False
        fac = self.doc.facility
        i = self._rack_index(self.selected[0])
        t = np.deg2rad(fac.rack_rotation_deg[i])
        step = float(fac.rack_size_m[i, 0])
        cmd = E.DuplicateRacks(self.selected, (step * np.cos(t), step * np.sin(t)))
        if not self.push(cmd):
            return False
        self.selected = list(cmd.new_ids)
        self._show_selection()
        return True

    def align_selection(self) -> bool:
        if not (self.active and len(self.selected) > 1):
            return False
        try:
            cmd = E.align_in_row(self.doc, self.selected)
        except EditError as exc:
            self._edit_refused(str(exc))
            return False
        ok = self.push(cmd)
        self.undo.seal()
        return ok

    def add_rack(self, kind: str, type_id: str, site_xy, count: int | None = None) -> str | None:
        """Add a rack of a catalog type at a floor point (site metres), snapped to the grid,
        into the nearest row of the hall it lands in (turned like that row's nearest rack,
        with its feeds). Returns the new rack's id."""
        doc = self.doc
        fac = doc.facility
        p = np.asarray(site_xy, dtype=float)
        lo, hi = fac.hall_origin_m, fac.hall_origin_m + fac.hall_size_m[:, :2]
        inside = np.flatnonzero(np.all((p >= lo) & (p <= hi), axis=1)).tolist()
        if not inside:
            self._status("Drop racks inside a hall", 4000)
            return None
        h = inside[0]
        local = snap_point(p - fac.hall_origin_m[h], self.pitch(h))
        racks = np.flatnonzero(fac.rack_hall == h)
        rotation, feeds, row_id, index = 0.0, (None, None), None, None
        if racks.size:
            near = racks[np.argmin(np.linalg.norm(fac.rack_center_m[racks, :2] - local, axis=1))]
            ref = fac.racks[near]
            rotation = float(fac.rack_rotation_deg[near])
            feeds = (ref.feeds.a, ref.feeds.b)
            row_id = fac.row_ids[fac.rack_row[near]]
            _, k = doc.rack_loc(ref.id)
            index = k + 1
        n = count if count is not None else self.palette.count.value()
        try:
            rack = E.rack_from_catalog(
                doc,
                type_id if kind == "server" else None,
                local,
                rotation,
                count=n,
                rack_type=type_id if kind == "rack" else None,
                feeds=feeds,
            )
            if row_id is None:
                from twin.model.schema import Row

                row = Row(id=doc.new_id("ROW"), hall=fac.hall_ids[h], racks=[rack])
                cmd: E.Command = E.AddItem("rows", row)
                cmd.text = f"Add {rack.id}"
            else:
                cmd = E.AddRack(row_id, rack, index)
        except EditError as exc:
            self._edit_refused(str(exc))
            return None
        if not self.push(cmd):
            return None
        self.set_selection([rack.id])
        return rack.id

    # ------------------------------------------------------------------ snapping
    def pitch(self, hall: int = 0) -> float:
        """Snap pitch in metres (0: off): the chosen one, or the hall's floor tile."""
        if self.pitch_m is not None:
            return self.pitch_m
        lay = self.doc.layout if self.doc is not None else None
        if lay is None and self.window.facility is not None:
            lay = self.window.facility.layout
        if lay is None or not lay.halls:
            return 0.6
        return float(lay.halls[min(hall, len(lay.halls) - 1)].tile_m)

    def set_pitch(self, pitch_m: float | None) -> None:
        self.pitch_m = None if pitch_m is None else max(float(pitch_m), 0.0)
        self._update_pitch_ui()

    def _update_pitch_ui(self) -> None:
        key = self.pitch_m if self.pitch_m in self.snap_actions else None
        if self.pitch_m is not None and self.pitch_m not in self.snap_actions:
            for a in self.snap_actions.values():
                a.setChecked(False)
        else:
            self.snap_actions[key].setChecked(True)
        self.panel.snap.blockSignals(True)
        self.panel.snap.setValue(self.pitch())
        self.panel.snap.blockSignals(False)

    # ------------------------------------------------------------------ mouse and drops
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        t = event.type()
        if obj is self.window:
            if t == QEvent.Type.Close:
                return self._on_close(event)
            return False
        if obj is not self.window.plotter:
            return False
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self.active and CatalogPalette.parse(event.mimeData()) is not None:
                event.acceptProposedAction()
                return True
            return False
        if t == QEvent.Type.Drop:
            return self._on_drop(event)
        if not self.active or self.window.scene is None or self.layer is None:
            return False
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            return self._on_press(event)
        if t == QEvent.Type.MouseMove and (self._drag is not None or self._box is not None):
            return self._on_move(event)
        if t == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            return self._on_release(event)
        return False

    def _rack_under(self, x: float, y: float):
        """(rack index, world point) under a display point, or (None, None)."""
        hit = self.layer.pick_rack(x, y)
        return (None, None) if hit is None else hit

    def _on_press(self, event) -> bool:
        x, y = _vtk_xy(self.window.plotter, event.position())
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self._box = (x, y)
            return True
        rack, hit = self._rack_under(x, y)
        if rack is None:
            return False  # the camera moves; a click on empty floor clears the selection
        rid = self.doc.facility.rack_ids[rack]
        if mods & Qt.KeyboardModifier.ControlModifier:
            sel = [r for r in self.selected if r != rid]
            self.set_selection(sel if rid in self.selected else sel + [rid])
            return True
        if rid not in self.selected:
            self.set_selection([rid])
        z = float(hit[2])
        start = self.layer.floor_point(x, y, z)
        if start is None:
            return True
        fac = self.doc.facility
        idx = [self._rack_index(r) for r in self.selected]
        self._drag = {
            "ids": list(self.selected),
            "start": start,
            "z": z,
            "orig": fac.rack_center_m[idx, :2].copy(),
            "last": np.zeros(2),
            "pitch": self.pitch(int(fac.rack_hall[idx[0]])),
        }
        self.undo.seal()
        return True

    def _on_move(self, event) -> bool:
        x, y = _vtk_xy(self.window.plotter, event.position())
        if self._box is not None:
            self.layer.set_box(*self._box, x, y)
            self.window.plotter.render()
            return True
        d = self._drag
        p = self.layer.floor_point(x, y, d["z"])
        if p is None:
            return True
        delta = snap_delta(p - d["start"], d["pitch"])
        if np.allclose(delta, d["last"], atol=1e-9):
            return True
        d["last"] = delta
        self.push(E.MoveRacks(d["ids"], d["orig"] + delta))
        return True

    def _on_release(self, event) -> bool:
        if self._box is not None:
            x, y = _vtk_xy(self.window.plotter, event.position())
            x0, y0 = self._box
            self._box = None
            self.layer.clear_box()
            racks = self.layer.racks_in_box(x0, y0, x, y)
            ids = [self.doc.facility.rack_ids[i] for i in racks]
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                ids = self.selected + ids
            self.set_selection(ids)
            return True
        if self._drag is not None:
            moved = bool(np.any(self._drag["last"] != 0))
            self._drag = None
            self.undo.seal()
            if moved:
                self.layer.refresh_links()
                self._show_selection()  # the inspector shows the new place
            return True
        return False

    def _on_drop(self, event) -> bool:
        what = CatalogPalette.parse(event.mimeData())
        if what is None or not self.active or self.layer is None:
            return False
        x, y = _vtk_xy(self.window.plotter, event.position())
        p = self.layer.floor_point(x, y, 0.0)
        if p is None:
            return False
        event.acceptProposedAction()
        self.add_rack(what[0], what[1], p)
        return True

    # ------------------------------------------------------------------ edit dock
    def _refresh_panel(self) -> None:
        panel = self.panel
        if not self.active or self.doc is None:
            panel.selection.setText("Edit mode off (Edit › Edit Layout, Ctrl+E)")
            panel.show_pose(None, None)
            panel.thermal.setText("")
            return
        if not self.selected:
            panel.selection.setText("No rack selected: click a rack, shift-drag to box-select")
            panel.show_pose(None, None)
        else:
            fac = self.doc.facility
            i = [self._rack_index(r) for r in self.selected]
            more = f" (+{len(i) - 1} more)" if len(i) > 1 else ""
            panel.selection.setText(f"Selected: {self.selected[-1]}{more}")
            xy = tuple(fac.rack_center_m[i[-1], :2]) if len(i) == 1 else None
            panel.show_pose(xy, float(fac.rack_rotation_deg[i[-1]]))
        panel.thermal.setText(self.thermal_text())

    def thermal_text(self) -> str:
        if not self.thermal_enabled:
            return "Thermal re-solve off"
        if self.thermal_off:
            return self.thermal_off
        if self.thermal_error:
            return f"Thermal solve failed: {self.thermal_error}"
        busy = self._thermal_running or self._thermal_timer.isActive()
        after = self.thermal_after
        if after is None:
            return "Solving airflow and heat…" if busy else ""
        rid = self.selected[-1] if self.selected else None
        lines = []
        if rid is not None and rid in after:
            before = (self.thermal_before or {}).get(rid)
            if before is None:
                lines.append(f"Inlet of {rid}: {after[rid]:.1f} °C")
            else:
                d = after[rid] - before
                lines.append(f"Inlet of {rid}: {before:.1f} → {after[rid]:.1f} °C ({d:+.1f} K)")
        elif rid is not None:
            lines.append(f"No inlet figure for {rid} (outside the solved hall, or inside a solid)")
        if after:
            hottest = max(after, key=after.get)
            lines.append(f"Hottest inlet: {hottest} {after[hottest]:.1f} °C")
        if busy:
            lines.append("Re-solving…")
        return "\n".join(lines)

    # ------------------------------------------------------------------ thermal re-solve
    def _schedule_thermal(self) -> None:
        if not self.thermal_enabled or self.doc is None:
            return
        self._thermal_gen += 1
        self._thermal_timer.start()

    def _thermal_hall(self) -> int | None:
        fac = self.doc.facility
        h = 0
        if self.selected and self.selected[-1] in fac.rack_index:
            h = int(fac.rack_hall[fac.rack_index[self.selected[-1]]])
        if not len(fac.hall_ids):
            return None
        return h if cells.resolves_per_edit(fac, h, cells.choose_cell_m(fac, h)) else None

    def _start_thermal(self) -> None:
        if self.doc is None:
            return
        if self._thermal_running:
            self._thermal_pending = True
            return
        hall = self._thermal_hall()
        if hall is None:
            self.thermal_error = ""
            self.thermal_off = "Thermal re-solve off: this hall is too large to re-solve per edit"
            self._refresh_panel()
            return
        # import the solver here, on the GUI thread: a first import on the pool thread can
        # deadlock on the import lock against the GUI thread importing something lazily
        import twin.physics.model  # noqa: F401

        self.thermal_off = ""
        self._thermal_running = True
        self._thermal_pending = False
        layout = self.doc.layout.model_copy(deep=True)
        job = _ThermalJob(self._thermal_gen, layout, self.doc.catalog, hall, self._thermal_signals)
        job.warm = self._thermal_warm
        self._pool.start(job)
        self._refresh_panel()

    def _thermal_done(self, generation: int, result, error: str) -> None:
        self._thermal_running = False
        if generation != self._thermal_gen or self._thermal_pending:
            # superseded by a later edit: solve the newest layout; this older state is still
            # the "before" of that edit when there is none yet
            self._thermal_pending = False
            if result is not None and self.thermal_after is None:
                self.thermal_after = result[0]
            if not self._thermal_timer.isActive():
                self._start_thermal()
            return
        if result is None:
            self.thermal_error = error
        else:
            inlet, res, found = result
            self._thermal_warm = res
            self.thermal_error = ""
            if self.thermal_after is not None:
                self.thermal_before = self.thermal_after
            self.thermal_after = inlet
            # the thermal rules of this solve join the design checks in Problems and in 3D
            self.thermal_problems = list(found)
            self._refresh_problems()
            self.thermal_updated.emit(res)
            if self.thermal_before is not None:
                self._status("Thermal re-solve done", 3000)
            if self.active and self.selected and self._drag is None:
                self._show_selection()  # the inspector shows the new inlet
        self._refresh_panel()

    def wait_thermal(self, msecs: int = 60000) -> bool:
        return self._pool.waitForDone(msecs)

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        """Save to the document's file (Save As when it has none)."""
        if self.doc is None:
            if self.window.facility is None:
                return False
            self._ensure_document()
        if self.doc.path is None:
            return self.save_as_dialog()
        return self.save_as(None)

    def save_as_dialog(self) -> bool:
        if self.doc is None and self.window.facility is not None:
            self._ensure_document()
        if self.doc is None:
            return False
        start = str(self.doc.path) if self.doc.path else "layout.yaml"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save Layout As", start, "Twin layouts (*.yaml *.yml)"
        )
        return self.save_as(path) if path else False

    def save_as(self, path) -> bool:
        """Save atomically (``None``: the current file). On failure the file is unchanged and
        the reasons are shown."""
        doc = self.doc
        try:
            try:
                target = save_document(doc, path)
            except ChangedOnDisk as exc:
                if not self.ask_overwrite_changed(str(exc)):
                    self._status("Not saved: the file was changed on disk", 6000)
                    return False
                target = save_document(doc, path, overwrite_changed=True)
        except SaveError as exc:
            detail = "\n".join(str(p) for p in exc.problems[:20])
            box = QMessageBox(
                QMessageBox.Icon.Warning, "Layout not saved", str(exc), Button.Ok, self.window
            )
            box.setObjectName("save_error_box")
            if detail:
                box.setDetailedText(detail)
                box.setInformativeText(detail if len(detail) < 800 else detail[:800] + "…")
            box.open()
            self.save_error_box = box
            self._status(str(exc), 6000)
            return False
        doc.facility.path = target
        self.undo.set_clean()
        self.store.discard(doc)
        self._update_title()
        self._update_actions()
        self._status(f"Saved {target}")
        return True

    def autosave_tick(self) -> bool:
        """Write the recovery file if due (the timer calls this every few seconds)."""
        if self.autosaver is None:
            return False
        try:
            return self.autosaver.tick()
        except OSError as exc:
            self._status(f"Autosave failed: {exc}", 6000)
            return False

    def ask_overwrite_changed(self, message: str) -> bool:
        """The file changed on disk since it was opened: replace it with ours? (modal)"""
        answer = QMessageBox.question(
            self.window,
            "File changed on disk",
            message.replace("not saved: ", "").capitalize()
            + "\n\nReplace the file on disk with your version?",
            Button.Save | Button.Cancel,
            Button.Cancel,
        )
        return answer == Button.Save

    # ------------------------------------------------------------------ closing
    def ask_unsaved(self) -> Button:
        """Save, Discard or Cancel (a modal question)."""
        name = self.doc.path.name if self.doc and self.doc.path else "the layout"
        return QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save your changes to {name}?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )

    def confirm_discard(self) -> bool:
        """True when the current edits may go (saved, discarded or none)."""
        if self.doc is None or not self.doc.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == Button.Cancel:
            return False
        if answer == Button.Save:
            return self.save()
        self.store.discard(self.doc)
        return True

    def _on_close(self, event) -> bool:
        if not self.confirm_discard():
            event.ignore()
            return True
        if self.doc is not None and not self.doc.dirty:
            self.store.discard(self.doc)
        self._autosave_timer.stop()
        self._thermal_timer.stop()
        self._thermal_gen += 1
        self._pool.waitForDone(60000)
        for box in (self.recovery_box, self.save_error_box):
            if box is not None:
                box.close()
        return False


def install(window) -> Editor:
    """Add edit mode to a main window (called from ``twin.ui.extensions``)."""
    return Editor(window)
