"""Edit mode of the main window: select, drag, rotate, add, delete, duplicate and align racks in
the 3D view, with undo/redo, live constraint checks, a background thermal re-solve, atomic
saves, autosave and crash recovery.

The edits themselves are the model's (``twin.model.edits`` on a ``LayoutDocument``); this
module owns the document and the selection and shows what the edits change. Its parts:
``edit_actions`` (menus, shortcuts, toolbar), ``edit_mouse`` (gestures on the 3D view),
``edit_ops`` (the operations), ``edit_thermal`` (the re-solve), ``edit_files`` (saving and
recovery), ``edit_docks`` (Problems, History, Catalog and the Edit panel). ``install(window)``
is called by the window (``twin.ui.extensions``) and returns the ``Editor``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QUndoGroup
from PySide6.QtWidgets import QMessageBox

from twin.model import edits as E
from twin.model.constraints import ConstraintChecker
from twin.model.document import Change, LayoutDocument
from twin.model.errors import EditError, LayoutError
from twin.model.recovery import Autosaver, RecoveryStore
from twin.render.edit_layer import EditLayer
from twin.ui.describe import Loads
from twin.ui.edit_actions import EditActions
from twin.ui.edit_docks import EditDocks
from twin.ui.edit_files import EditFiles
from twin.ui.edit_mouse import EditMouse
from twin.ui.edit_ops import EditOps
from twin.ui.edit_thermal import EditThermal
from twin.ui.undo import UndoAdapter

log = logging.getLogger(__name__)

AUTOSAVE_TICK_MS = 5000
Button = QMessageBox.StandardButton


def _marked_items(facility, problems) -> tuple[list, list]:
    """The (kind, index) of the racks, units and power devices that problems name, errors
    and warnings apart, for the 3D marks."""
    err, warn = [], []
    for v in problems:
        out = err if v.severity == "error" else warn
        for item in v.items:
            found = facility.find(item)
            if found is not None and found[0] in ("rack", "air_unit", "cdu", "power"):
                out.append(found)
    return err, warn


@contextmanager
def _camera_kept(window):
    """The camera as it was, after the window shows a rebuilt facility."""
    if window.scene is None:
        yield
        return
    c = window.plotter.renderer.camera
    cam = (c.position, c.focal_point, c.up, c.parallel_projection, c.parallel_scale)
    yield
    c = window.plotter.renderer.camera
    c.position, c.focal_point, c.up = cam[0], cam[1], cam[2]
    c.parallel_projection, c.parallel_scale = cam[3], cam[4]
    window.plotter.renderer.ResetCameraClippingRange()


class Editor(QObject):
    """Edit mode state of one window. ``doc`` is the document being edited (created when
    edit mode is first turned on for a layout, or by recovery)."""

    problems_updated = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        s = window.settings
        self.store = RecoveryStore(s.value("editor/recovery_dir", "") or None)
        self.autosave_s = float(s.value("editor/autosave_s", 30.0))
        enabled = str(s.value("editor/thermal", "true")).lower() not in ("false", "0")
        self.doc: LayoutDocument | None = None
        self.checker: ConstraintChecker | None = None
        self.undo: UndoAdapter | None = None
        self.layer: EditLayer | None = None
        self.autosaver: Autosaver | None = None
        self.active = False
        self.selected: list[str] = []
        self.pitch_m: float | None = None  # None: the hall's tile pitch
        self._rebuilding = False
        self._selecting = False
        self._autosave_timer = QTimer(self, interval=AUTOSAVE_TICK_MS)
        self._autosave_timer.timeout.connect(self.autosave_tick)
        self.group = QUndoGroup(self)
        self.thermal = EditThermal(window, enabled)
        self.thermal.updated.connect(self._on_thermal)
        self.files = EditFiles(self)
        self.mouse = EditMouse(self)
        self.ops = EditOps(self)
        self.docks = EditDocks(self)
        d = self.docks  # its widgets and docks, also by their names here
        self.problems, self.palette, self.panel = d.problems, d.palette, d.panel
        self.history_view = d.history_view
        self.problems_dock, self.history_dock = d.problems_dock, d.history_dock
        self.palette_dock, self.panel_dock = d.palette_dock, d.panel_dock
        self.actions = EditActions(self)
        window.plotter.installEventFilter(self)
        window.plotter.setAcceptDrops(True)
        window.installEventFilter(self)
        window.layout_loaded.connect(self._on_layout_loaded)
        window.selection_changed.connect(self._on_window_selection)
        window.open_guards.append(self.files.confirm_discard)  # ask about unsaved edits first
        self.update_actions()
        QTimer.singleShot(0, self.files.offer_crashed)

    # ------------------------------------------------------------------ UI
    def update_actions(self) -> None:
        self.actions.update()

    def update_title(self, *_args) -> None:
        w, doc = self.window, self.doc
        if doc is None or w.facility is None:
            return
        file = f" ({doc.path.name})" if doc.path else " (unsaved)"
        w.setWindowTitle(f"{doc.layout.name}[*] — Twin{file}")
        w.setWindowModified(doc.dirty)

    def status(self, text: str, ms: int = 4000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------------ edit mode
    def set_active(self, on: bool = True) -> None:
        """Turn edit mode on or off (the document and its history stay)."""
        on = bool(on) and self.window.facility is not None
        if on:
            try:
                self.ensure_document()
            except (LayoutError, EditError, OSError) as exc:
                QMessageBox.warning(self.window, "Cannot edit", str(exc))
                on = False
        self.active = on
        self.docks.show(on)
        if not on:
            self.mouse.clear()
            if self.layer is not None:
                self.layer.clear_box()
                self.layer.set_problems([])
        self._refresh_problems()
        self.refresh_panel()
        self.update_actions()
        if self.window.scene is not None:
            self.window.plotter.render()
        if on and self.thermal.after is None:
            self.thermal.baseline(self.selected)  # what the first edit is compared with

    def ensure_document(self) -> None:
        fac = self.window.facility
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
        self.attach(doc)

    def attach(self, doc: LayoutDocument) -> None:
        self.detach()
        self.doc = doc
        self.checker = ConstraintChecker(doc.facility).attach(doc)
        self.checker.problems_changed.connect(self._refresh_problems)
        doc.changed.connect(self._on_doc_changed)
        doc.dirty_changed.connect(self.update_title)
        doc.path_changed.connect(self.update_title)
        self.undo = UndoAdapter(doc, self)
        self.undo.failed.connect(self.edit_refused)
        self.group.addStack(self.undo.stack)
        self.group.setActiveStack(self.undo.stack)
        self.autosaver = Autosaver(doc, self.store, self.autosave_s)
        self._autosave_timer.start()
        self.palette.set_catalog(doc.catalog)
        self.layer = EditLayer(self.window.scene) if self.window.scene is not None else None
        self.thermal.attach(doc)
        self._update_pitch_ui()
        self.update_title()

    def detach(self) -> None:
        if self.doc is None:
            return
        doc = self.doc
        if self.checker is not None:
            self.checker.detach()
            self.checker.problems_changed.disconnect(self._refresh_problems)
        doc.changed.disconnect(self._on_doc_changed)
        doc.dirty_changed.disconnect(self.update_title)
        doc.path_changed.disconnect(self.update_title)
        if self.undo is not None:
            self.group.removeStack(self.undo.stack)
            self.undo.detach()
            self.undo.deleteLater()
        self._autosave_timer.stop()
        self.thermal.detach()
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
            self.detach()
        self.active = False
        if was_active:
            self.set_active(True)
        self.update_actions()
        self.files.offer_pending(facility)

    def show_facility(self, facility) -> None:
        """Put a (rebuilt) facility on screen keeping the camera."""
        w = self.window
        self._rebuilding = True
        try:
            with _camera_kept(w):
                w.set_facility(facility, Loads.of(facility), same_layout=True)
        finally:
            self._rebuilding = False
        self.layer = EditLayer(w.scene)
        self.update_title()

    # ------------------------------------------------------------------ document changes
    def _on_doc_changed(self, change: Change) -> None:
        w = self.window
        dragging = self.mouse.drag is not None
        # first: a rebuilt scene makes the thermal view ask too, and it must ask for this state
        self.thermal.edited([r for r in self.selected if r in self.doc.facility.rack_index])
        if change.kind == "structure":
            sel = list(self.selected)
            self.show_facility(self.doc.facility)
            self.selected = [r for r in sel if r in self.doc.facility.rack_index]
            self.show_selection()
            self._refresh_problems()
        elif change.kind == "geometry" and self.layer is not None:
            self.layer.sync_racks()
            if not dragging:  # a drag re-routes its links once, when it ends
                self.layer.refresh_links()
            if self.selected and not dragging:
                self.show_selection()  # the inspector shows the new place (draws once)
            else:
                with w.scene.quiet():
                    if self.selected:
                        self._highlight_selection()
                w.plotter.render()
        elif change.kind in ("power", "cooling"):
            w.loads = Loads.of(self.doc.facility)
        if not dragging:
            self.refresh_panel()

    def _refresh_problems(self) -> None:
        if not self.active or self.checker is None:
            self.problems.set_problems(None if not self.active else [])
            return
        problems = self.checker.problems + self.thermal.problems
        self.problems.set_problems(problems)
        if self.layer is not None and self.layer.scene.facility is self.doc.facility:
            # (after a rebuild of the facility the scene catches up first, then this runs)
            self.layer.sync_racks()  # the checks run before the scene hears of a move
            self.layer.set_problems(*_marked_items(self.doc.facility, problems))
        self.problems_updated.emit()

    def edit_refused(self, message: str) -> None:
        self.status(f"Edit refused: {message}", 6000)

    def push(self, cmd: E.Command) -> bool:
        """Run one model command through the undo stack (False if refused)."""
        if self.undo is None:
            return False
        ok = self.undo.push(cmd)
        self.update_actions()
        return ok

    # ------------------------------------------------------------------ selection
    def select_ids(self, ids: list[str]) -> None:
        """Select items by id (a problem's items): racks become the edit selection, and the
        first item is selected in the window (tree, inspector)."""
        fac = self.window.facility
        if fac is None:
            return
        racks = [i for i in ids if i in fac.rack_index]
        if racks:
            self.set_selection(racks)
        elif ids:
            self.window.select_id(ids[0])

    def set_selection(self, rack_ids: list[str]) -> None:
        self.selected = list(dict.fromkeys(rack_ids))
        self.show_selection()

    def show_selection(self) -> None:
        w = self.window
        if w.scene is None:
            return
        self._selecting = True
        try:
            with w.scene.quiet():  # one draw at the end, not one per step (100k GPUs)
                if not self.selected:
                    w.clear_selection()
                else:
                    rack = self.doc.facility.rack_index[self.selected[-1]]
                    w.select("rack", rack, origin="editor")
                    self._highlight_selection()
        finally:
            self._selecting = False
        w.plotter.render()
        self.refresh_panel()
        self.update_actions()

    def _highlight_selection(self) -> None:
        if self.window.scene is not None and self.doc is not None:
            idx = [self.doc.facility.rack_index[r] for r in self.selected]
            self.window.scene.highlight("rack", idx)

    def _on_window_selection(self, kind: str, index: int) -> None:
        fac = self.window.facility
        if fac is None:
            return
        if not self._selecting:
            self.selected = [fac.rack_ids[index]] if kind == "rack" and index >= 0 else []
            self.refresh_panel()
            self.update_actions()
        if kind == "rack" and index >= 0:
            self._inspector_thermal(fac.rack_ids[index])

    def _inspector_thermal(self, rack_id: str) -> None:
        """The inlet change of the last edit, under the inspector's own sections."""
        text = self.thermal.change(rack_id) if self.active else None
        if text is not None:
            self.window.inspector.add_section("After the last edit", [("Inlet (max)", text, None)])

    # ------------------------------------------------------------------ thermal
    def _on_thermal(self, result) -> None:
        # the thermal rules of this solve join the design checks in Problems and in 3D
        self._refresh_problems()
        if result is not None and self.thermal.before is not None:
            self.status("Thermal re-solve done", 3000)
        if result is not None and self.active and self.selected and self.mouse.drag is None:
            self.show_selection()  # the inspector shows the new inlet
        self.refresh_panel()

    def wait_thermal(self, msecs: int = 60000) -> bool:
        return self.window.solver.service.wait(msecs / 1000)

    def refresh_panel(self) -> None:
        self.docks.refresh_panel()

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
        self.actions.show_pitch(self.pitch_m)
        self.docks.show_pitch(self.pitch())

    # ------------------------------------------------------------------ files
    def save(self) -> bool:
        return self.files.save()

    def autosave_tick(self) -> bool:
        return self.files.autosave_tick()

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

    # ------------------------------------------------------------------ events
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt name)
        if obj is self.window:
            return self._on_close(event) if event.type() == QEvent.Type.Close else False
        if obj is not self.window.plotter:
            return False
        return self.mouse.event(event)

    def _on_close(self, event) -> bool:
        if not self.files.confirm_discard():
            event.ignore()
            return True
        if self.doc is not None and not self.doc.dirty:
            self.store.discard(self.doc)
        self._autosave_timer.stop()
        self.files.close_boxes()
        return False


def install(window) -> Editor:
    """Add edit mode to a main window (called from ``twin.ui.extensions``)."""
    return Editor(window)
