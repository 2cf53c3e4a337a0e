"""The docks of edit mode: Problems, History (the undo stack), Catalog (the palette racks are
dragged from) and the Edit panel. Built hidden and shown with edit mode; the Edit panel tells
what is selected, where it stands and what the last edit changed in the air."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QUndoView

from twin.ui.edit_panel import EditPanel
from twin.ui.palette import CatalogPalette
from twin.ui.problems import ProblemsPanel


class EditDocks:
    """The four docks of one ``Editor`` (``editor.docks``), wired to its operations."""

    def __init__(self, editor) -> None:
        self.editor = editor
        w = editor.window
        area = Qt.DockWidgetArea
        self.problems = ProblemsPanel(w)
        self.problems.activated.connect(editor.select_ids)
        self.problems_dock = w.add_dock(self.problems, "Problems", area.BottomDockWidgetArea)
        self.history_view = QUndoView(editor.group, w)
        self.history_view.setEmptyLabel("<opened>")
        self.history_dock = w.add_dock(self.history_view, "History", area.RightDockWidgetArea)
        self.palette = CatalogPalette(w)
        self.palette_dock = w.add_dock(self.palette, "Catalog", area.LeftDockWidgetArea)
        self.panel = EditPanel(w)
        self.panel_dock = w.add_dock(self.panel, "Edit", area.RightDockWidgetArea)
        # one tab group on the right: split three ways with a dock opened on demand (Energy,
        # Thermal), each part was too short for its figures
        w.tabifyDockWidget(self.panel_dock, self.history_dock)
        self._sized = False
        self._wire_panel()
        for dock in self.docks:
            dock.hide()

    def _wire_panel(self) -> None:
        """Typing a pose or a pitch in the Edit panel edits the selection or the snapping."""
        ed, panel = self.editor, self.panel
        xy = panel.x, panel.y
        for spin in xy:
            spin.valueChanged.connect(lambda _v: ed.ops.move_to((xy[0].value(), xy[1].value())))
        panel.rotation.valueChanged.connect(ed.ops.set_rotation)
        panel.snap.valueChanged.connect(ed.set_pitch)

    @property
    def docks(self) -> tuple:
        return (self.problems_dock, self.history_dock, self.palette_dock, self.panel_dock)

    def show(self, on: bool) -> None:
        """Show or hide every dock; the first time, Problems gets a sensible height and the
        Edit panel is the tab shown over History."""
        for dock in self.docks:
            dock.setVisible(on)
        if on and not self._sized:
            self._sized = True
            self.panel_dock.raise_()
            self.editor.window.resizeDocks([self.problems_dock], [150], Qt.Orientation.Vertical)

    def show_pitch(self, pitch_m: float) -> None:
        """The snap pitch in use, without it counting as the user's choice."""
        self.panel.snap.blockSignals(True)
        self.panel.snap.setValue(pitch_m)
        self.panel.snap.blockSignals(False)

    def refresh_panel(self) -> None:
        """The Edit panel for the editor's state: mode, selection, pose, thermal change."""
        ed, panel = self.editor, self.panel
        if not ed.active or ed.doc is None:
            panel.selection.setText("Edit mode off (Edit › Edit Layout, Ctrl+E)")
            panel.show_pose(None, None)
            panel.thermal.setText("")
            return
        if not ed.selected:
            panel.selection.setText("No rack selected: click a rack, shift-drag to box-select")
            panel.show_pose(None, None)
        else:
            fac = ed.doc.facility
            i = [fac.rack_index[r] for r in ed.selected]
            more = f" (+{len(i) - 1} more)" if len(i) > 1 else ""
            panel.selection.setText(f"Selected: {ed.selected[-1]}{more}")
            xy = tuple(fac.rack_center_m[i[-1], :2]) if len(i) == 1 else None
            panel.show_pose(xy, float(fac.rack_rotation_deg[i[-1]]))
        panel.thermal.setText(ed.thermal.text(ed.selected))
