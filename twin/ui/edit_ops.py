"""The edit operations on the selected racks: turn (by 90° or to any angle), move to exact
X/Y, delete, duplicate, line up in a row, and add a rack of a Catalog type where it is
dropped. Each is one model command (``twin.model.edits``) pushed through the undo stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model import edits as E
from twin.model.errors import EditError
from twin.render.edit_layer import snap_point

if TYPE_CHECKING:
    from twin.ui.editor import Editor


class EditOps:
    """Operations of one editor on its document and selection."""

    def __init__(self, editor: Editor):
        self.editor = editor

    def _ready(self, at_least: int = 1) -> bool:
        ed = self.editor
        return ed.active and len(ed.selected) >= at_least

    def _index(self, ids: list[str]) -> list[int]:
        return [self.editor.doc.facility.rack_index[r] for r in ids]

    def rotate(self, delta_deg: float = 90.0) -> bool:
        if not self._ready():
            return False
        ed = self.editor
        pivot = None
        if len(ed.selected) > 1:  # a block turns about its centre
            pivot = ed.doc.facility.rack_center_m[self._index(ed.selected), :2].mean(axis=0)
        ok = ed.push(E.rotate_by(ed.doc, ed.selected, delta_deg, pivot))
        ed.undo.seal()
        return ok

    def set_rotation(self, rotation_deg: float) -> bool:
        """Any angle, from the edit dock: every selected rack turns in place to it."""
        if not self._ready():
            return False
        ed = self.editor
        ok = ed.push(E.RotateRacks(ed.doc, ed.selected, float(rotation_deg) % 360.0))
        ed.undo.seal()
        return ok

    def move_to(self, xy: tuple[float, float]) -> None:
        """The one selected rack to hall-local ``xy`` (from the edit dock)."""
        ed = self.editor
        if not (ed.active and len(ed.selected) == 1):
            return
        ed.push(E.MoveRacks(ed.selected, [xy]))
        ed.undo.seal()

    def delete(self) -> bool:
        if not self._ready():
            return False
        ed = self.editor
        ids = list(ed.selected)
        ed.selected = []
        ok = ed.push(E.DeleteRacks(ids))
        if not ok:
            ed.selected = ids
        ed.show_selection()
        return ok

    def duplicate(self) -> bool:
        """Copies one rack pitch to the side of the originals (along their width)."""
        if not self._ready():
            return False
        ed = self.editor
        fac = ed.doc.facility
        i = self._index(ed.selected[:1])[0]
        t = np.deg2rad(fac.rack_rotation_deg[i])
        step = float(fac.rack_size_m[i, 0])
        cmd = E.DuplicateRacks(ed.selected, (step * np.cos(t), step * np.sin(t)))
        if not ed.push(cmd):
            return False
        ed.selected = list(cmd.new_ids)
        ed.show_selection()
        return True

    def align(self) -> bool:
        if not self._ready(2):
            return False
        ed = self.editor
        try:
            cmd = E.align_in_row(ed.doc, ed.selected)
        except EditError as exc:
            ed.edit_refused(str(exc))
            return False
        ok = ed.push(cmd)
        ed.undo.seal()
        return ok

    def add_rack(self, kind: str, type_id: str, site_xy, count: int | None = None) -> str | None:
        """Add a rack of a catalog type at a floor point (site metres), snapped to the grid,
        into the nearest row of the hall it lands in (turned like that row's nearest rack,
        with its feeds). Returns the new rack's id."""
        ed = self.editor
        fac = ed.doc.facility
        p = np.asarray(site_xy, dtype=float)
        lo, hi = fac.hall_origin_m, fac.hall_origin_m + fac.hall_size_m[:, :2]
        inside = np.flatnonzero(np.all((p >= lo) & (p <= hi), axis=1)).tolist()
        if not inside:
            ed.status("Drop racks inside a hall", 4000)
            return None
        h = inside[0]
        local = snap_point(p - fac.hall_origin_m[h], ed.pitch(h))
        n = count if count is not None else ed.palette.count.value()
        try:
            rack, cmd = self._add_command(h, local, kind, type_id, n)
        except EditError as exc:
            ed.edit_refused(str(exc))
            return None
        if not ed.push(cmd):
            return None
        ed.set_selection([rack.id])
        return rack.id

    def _add_command(self, h: int, local, kind: str, type_id: str, n: int):
        """The new rack and the command adding it: into the row of the hall's nearest rack
        (after it), or a new row of its own in an empty hall."""
        doc = self.editor.doc
        fac = doc.facility
        racks = np.flatnonzero(fac.rack_hall == h)
        rotation, feeds, row_id, index = 0.0, (None, None), None, None
        if racks.size:
            near = racks[np.argmin(np.linalg.norm(fac.rack_center_m[racks, :2] - local, axis=1))]
            ref = fac.racks[near]
            rotation = float(fac.rack_rotation_deg[near])
            feeds = (ref.feeds.a, ref.feeds.b)
            row_id = fac.row_ids[fac.rack_row[near]]
            index = doc.rack_loc(ref.id)[1] + 1
        rack = E.rack_from_catalog(
            doc,
            type_id if kind == "server" else None,
            local,
            rotation,
            count=n,
            rack_type=type_id if kind == "rack" else None,
            feeds=feeds,
        )
        if row_id is not None:
            return rack, E.AddRack(row_id, rack, index)
        from twin.model.schema import Row

        row = Row(id=doc.new_id("ROW"), hall=fac.hall_ids[h], racks=[rack])
        cmd: E.Command = E.AddItem("rows", row)
        cmd.text = f"Add {rack.id}"
        return rack, cmd
