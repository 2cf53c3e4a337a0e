"""Mouse and drops on the 3D view in edit mode: click or Ctrl-click to select racks,
Shift-drag to box-select, drag racks along the floor (snapped), drop a Catalog type to add a
rack. Turns gestures into the editor's commands; the camera keeps every gesture it does not
take."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, Qt

from twin.model import edits as E
from twin.render.edit_layer import snap_delta
from twin.ui.palette import CatalogPalette

if TYPE_CHECKING:
    from twin.ui.editor import Editor


def vtk_xy(widget, pos) -> tuple[float, float]:
    """VTK display pixel (origin bottom-left) of a Qt widget position, as the interactor
    converts it."""
    r = widget.devicePixelRatioF()
    return round(pos.x() * r), round((widget.height() - pos.y() - 1) * r)


class EditMouse:
    """The plotter's events while editing (the editor's event filter hands them here)."""

    def __init__(self, editor: Editor):
        self.editor = editor
        self.drag: dict | None = None  # the racks being dragged, where from, last snap delta
        self.box: tuple[float, float] | None = None  # box selection's first corner

    @property
    def plotter(self):
        return self.editor.window.plotter

    def clear(self) -> None:
        self.drag = self.box = None

    def event(self, event) -> bool:
        """Handle one plotter event; True when it is used up."""
        ed, t = self.editor, event.type()
        if t in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if ed.active and CatalogPalette.parse(event.mimeData()) is not None:
                event.acceptProposedAction()
                return True
            return False
        if t == QEvent.Type.Drop:
            return self._on_drop(event)
        if not ed.active or ed.window.scene is None or ed.layer is None:
            return False
        left = Qt.MouseButton.LeftButton
        if t == QEvent.Type.MouseButtonPress and event.button() == left:
            return self._on_press(event)
        if t == QEvent.Type.MouseMove and (self.drag is not None or self.box is not None):
            return self._on_move(event)
        if t == QEvent.Type.MouseButtonRelease and event.button() == left:
            return self._on_release(event)
        return False

    def _on_press(self, event) -> bool:
        ed = self.editor
        x, y = vtk_xy(self.plotter, event.position())
        mods = event.modifiers()
        if mods & Qt.KeyboardModifier.ShiftModifier:
            self.box = (x, y)
            return True
        hit = ed.layer.pick_rack(x, y)
        if hit is None:
            return False  # the camera moves; a click on empty floor clears the selection
        rack, point = hit
        rid = ed.doc.facility.rack_ids[rack]
        if mods & Qt.KeyboardModifier.ControlModifier:
            sel = [r for r in ed.selected if r != rid]
            ed.set_selection(sel if rid in ed.selected else sel + [rid])
            return True
        if rid not in ed.selected:
            ed.set_selection([rid])
        self._start_drag(x, y, float(point[2]))
        return True

    def _start_drag(self, x: float, y: float, z: float) -> None:
        ed = self.editor
        start = ed.layer.floor_point(x, y, z)
        if start is None:
            return
        fac = ed.doc.facility
        idx = [fac.rack_index[r] for r in ed.selected]
        self.drag = {
            "ids": list(ed.selected),
            "start": start,
            "z": z,
            "orig": fac.rack_center_m[idx, :2].copy(),
            "last": np.zeros(2),
            "pitch": ed.pitch(int(fac.rack_hall[idx[0]])),
        }
        ed.undo.seal()

    def _on_move(self, event) -> bool:
        ed = self.editor
        x, y = vtk_xy(self.plotter, event.position())
        if self.box is not None:
            ed.layer.set_box(*self.box, x, y)
            self.plotter.render()
            return True
        d = self.drag
        p = ed.layer.floor_point(x, y, d["z"])
        if p is None:
            return True
        delta = snap_delta(p - d["start"], d["pitch"])
        if np.allclose(delta, d["last"], atol=1e-9):
            return True
        d["last"] = delta
        ed.push(E.MoveRacks(d["ids"], d["orig"] + delta))
        return True

    def _on_release(self, event) -> bool:
        ed = self.editor
        if self.box is not None:
            x, y = vtk_xy(self.plotter, event.position())
            x0, y0 = self.box
            self.box = None
            ed.layer.clear_box()
            racks = ed.layer.racks_in_box(x0, y0, x, y)
            ids = [ed.doc.facility.rack_ids[i] for i in racks]
            if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                ids = ed.selected + ids
            ed.set_selection(ids)
            return True
        if self.drag is not None:
            moved = bool(np.any(self.drag["last"] != 0))
            self.drag = None
            ed.undo.seal()
            if moved:
                ed.layer.refresh_links()
                ed.show_selection()  # the inspector shows the new place
            return True
        return False

    def _on_drop(self, event) -> bool:
        ed = self.editor
        what = CatalogPalette.parse(event.mimeData())
        if what is None or not ed.active or ed.layer is None:
            return False
        x, y = vtk_xy(self.plotter, event.position())
        p = ed.layer.floor_point(x, y, 0.0)
        if p is None:
            return False
        event.acceptProposedAction()
        ed.ops.add_rack(what[0], what[1], p)
        return True
