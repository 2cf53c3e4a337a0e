"""Undoable edits of a ``LayoutDocument``, and the undo stack that runs them.

Each command captures what it needs to restore exactly (old positions, removed items as they
were, old field values) the first time it runs, so ``undo`` puts the layout back bit for bit.
Commands refer to items by id, not index, because indices shift when racks are added or
deleted. No Qt here: the editor wraps these in ``QUndoCommand``s (``text``, ``merge_with``
and ``id`` follow Qt's ``QUndoStack`` semantics).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from twin.model.errors import EditError
from twin.model.schema import Feeds, Rack, RackLoad, ServerGroup

if TYPE_CHECKING:
    from twin.model.document import LayoutDocument


class Command:
    """One undoable edit. Subclasses implement ``_do`` and ``_undo``."""

    text = "Edit"
    merge_key: Any = None  # commands with equal non-None keys may merge (e.g. drags)

    def do(self, doc: LayoutDocument) -> None:
        self._do(doc)

    def undo(self, doc: LayoutDocument) -> None:
        self._undo(doc)

    def merge_with(self, other: Command) -> bool:
        """Absorb ``other`` (the next command) into this one; True if done."""
        return False

    def merge_id(self) -> int:
        """``QUndoCommand.id()`` for a Qt wrapper: equal for commands that may merge, -1 for
        none (Qt then calls ``mergeWith``, which should call ``merge_with``)."""
        if self.merge_key is None:
            return -1
        return hash(self.merge_key) & 0x3FFFFFFF

    def _do(self, doc: LayoutDocument) -> None:
        raise NotImplementedError

    def _undo(self, doc: LayoutDocument) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------- poses
class _RackPoses(Command):
    def __init__(self, rack_ids: Sequence[str], xy=None, rotation_deg=None):
        self.ids = tuple(rack_ids)
        if len(set(self.ids)) != len(self.ids):
            raise EditError("a rack is listed twice")
        self.new_xy = None if xy is None else _tidy(np.asarray(xy, dtype=float).reshape(-1, 2))
        self.new_rot = (
            None
            if rotation_deg is None
            else _tidy(np.broadcast_to(np.asarray(rotation_deg, dtype=float), (len(self.ids),)))
        )
        self.old_xy: list[tuple[float, float]] | None = None
        self.old_rot: list[float] | None = None

    def _do(self, doc):
        if self.old_xy is None:
            racks = [doc.rack(r) for r in self.ids]
            self.old_xy = [r.position_m for r in racks]
            self.old_rot = [r.rotation_deg for r in racks]
        doc.set_rack_poses(list(self.ids), self.new_xy, self.new_rot)

    def _undo(self, doc):
        doc.set_rack_poses(
            list(self.ids),
            self.old_xy if self.new_xy is not None else None,
            self.old_rot if self.new_rot is not None else None,
        )

    def merge_with(self, other):
        if (
            self.merge_key is None
            or type(other) is not type(self)
            or other.merge_key != self.merge_key
        ):
            return False
        if other.new_xy is not None:
            self.new_xy = other.new_xy
        if other.new_rot is not None:
            self.new_rot = other.new_rot
        return True


class MoveRacks(_RackPoses):
    """Move racks to new centre positions (hall-local metres). Consecutive moves of the same
    selection merge into one command, so a whole drag undoes in one step."""

    def __init__(self, rack_ids: Sequence[str], xy):
        super().__init__(rack_ids, xy=xy)
        self.text = f"Move {_names(self.ids)}"
        self.merge_key = ("move", self.ids)


class RotateRacks(_RackPoses):
    """Set racks' rotation (any angle, degrees CCW); with ``pivot_m`` the selection turns as a
    block about that point (positions change too), otherwise each rack turns in place."""

    def __init__(self, doc: LayoutDocument, rack_ids: Sequence[str], rotation_deg, pivot_m=None):
        ids = tuple(rack_ids)
        rot = np.broadcast_to(np.asarray(rotation_deg, dtype=float), (len(ids),))
        xy = None
        if pivot_m is not None:
            cur = np.array([doc.rack(r).position_m for r in ids], dtype=float)
            cur_rot = np.array([doc.rack(r).rotation_deg for r in ids], dtype=float)
            d = np.deg2rad(rot - cur_rot)
            p = np.asarray(pivot_m, dtype=float)
            v = cur - p
            xy = p + np.stack(
                [
                    v[:, 0] * np.cos(d) - v[:, 1] * np.sin(d),
                    v[:, 0] * np.sin(d) + v[:, 1] * np.cos(d),
                ],
                axis=1,
            )
        super().__init__(ids, xy=xy, rotation_deg=rot)
        self.text = f"Rotate {_names(self.ids)}"
        self.merge_key = ("rotate", self.ids) if pivot_m is None else None


def rotate_by(doc: LayoutDocument, rack_ids: Sequence[str], delta_deg: float, pivot_m=None):
    """A ``RotateRacks`` turning each rack by ``delta_deg`` from where it is now."""
    rot = [(doc.rack(r).rotation_deg + delta_deg) % 360.0 for r in rack_ids]
    return RotateRacks(doc, rack_ids, rot, pivot_m)


def translate(doc: LayoutDocument, rack_ids: Sequence[str], dxy) -> MoveRacks:
    """A ``MoveRacks`` shifting racks by ``dxy`` from where they are now."""
    cur = np.array([doc.rack(r).position_m for r in rack_ids], dtype=float)
    return MoveRacks(rack_ids, cur + np.asarray(dxy, dtype=float))


class PlaceRacks(_RackPoses):
    """Set positions and rotations of racks together (align, distribute, paste...)."""

    def __init__(self, rack_ids: Sequence[str], xy, rotation_deg, text: str = "Place racks"):
        super().__init__(rack_ids, xy=xy, rotation_deg=rotation_deg)
        self.text = text


def align_in_row(doc: LayoutDocument, rack_ids: Sequence[str], gap_m: float = 0.0) -> PlaceRacks:
    """Line racks up side by side behind the first one: same rotation, fronts in one plane,
    ordered by where they stand along the first rack's width axis, ``gap_m`` apart."""
    if not rack_ids:
        raise EditError("nothing to align")
    fac = doc.facility
    idx = np.array([doc._rack_index(r) for r in rack_ids])
    first = idx[0]
    t = np.deg2rad(fac.rack_rotation_deg[first])
    axis = np.array([np.cos(t), np.sin(t)])  # the width direction of the first rack
    c0 = fac.rack_center_m[first, :2]
    along = (fac.rack_center_m[idx, :2] - c0) @ axis
    order = np.argsort(along, kind="stable")
    widths = fac.rack_size_m[idx[order], 0]
    start = along[order][0]
    # centres: each rack half its width past the previous one's edge
    offsets = start + np.concatenate([[0.0], np.cumsum((widths[:-1] + widths[1:]) / 2 + gap_m)])
    xy = np.empty((len(idx), 2))
    xy[order] = c0 + offsets[:, None] * axis
    rot = np.full(len(idx), fac.rack_rotation_deg[first])
    return PlaceRacks(list(rack_ids), xy, rot, text=f"Align {_names(tuple(rack_ids))}")


def move_region(doc: LayoutDocument, collection: str, item_id: str, dxy) -> ChangeItem:
    """Shift a rectangle item (supply tiles, return grille, containment) by ``dxy``."""
    item = doc.items(collection)[doc.item_index(collection, item_id)]
    if not hasattr(item, "rect_m"):
        raise EditError(f"{item_id!r} has no rectangle to move")
    dx, dy = float(dxy[0]), float(dxy[1])
    x0, y0, x1, y1 = item.rect_m
    rect = tuple(round(v, 9) for v in (x0 + dx, y0 + dy, x1 + dx, y1 + dy))
    cmd = ChangeItem(collection, item_id, rect_m=rect)
    cmd.text = f"Move {item_id}"
    return cmd


class MoveUnit(Command):
    """Move/rotate an air unit or CDU. Consecutive moves of the same unit merge."""

    def __init__(self, collection: str, unit_id: str, xy=None, rotation_deg: float | None = None):
        self.collection, self.id = collection, unit_id
        self.new_xy = None if xy is None else (round(float(xy[0]), 9), round(float(xy[1]), 9))
        self.new_rot = None if rotation_deg is None else float(rotation_deg)
        self.old: tuple | None = None
        self.text = f"Move {unit_id}"
        self.merge_key = ("unit", collection, unit_id, xy is None, rotation_deg is None)

    def _do(self, doc):
        item = doc.items(self.collection)[doc.item_index(self.collection, self.id)]
        if self.old is None:
            self.old = (item.position_m, item.rotation_deg)
        doc.set_unit_pose(self.collection, self.id, self.new_xy, self.new_rot)

    def _undo(self, doc):
        doc.set_unit_pose(
            self.collection,
            self.id,
            self.old[0] if self.new_xy is not None else None,
            self.old[1] if self.new_rot is not None else None,
        )

    def merge_with(self, other):
        if not isinstance(other, MoveUnit) or other.merge_key != self.merge_key:
            return False
        self.new_xy, self.new_rot = other.new_xy, other.new_rot
        return True


# ---------------------------------------------------------------------- racks
class AddRack(Command):
    """Add a rack to a row (at ``index``, or the end)."""

    def __init__(self, row_id: str, rack: Rack, index: int | None = None):
        self.row_id, self.rack, self.index = row_id, rack, index
        self.text = f"Add {rack.id}"

    def _do(self, doc):
        doc.insert_rack(self.row_id, self.index, copy.deepcopy(self.rack))

    def _undo(self, doc):
        doc.remove_rack(self.rack.id)


def rack_from_catalog(
    doc: LayoutDocument,
    server_type: str | None,
    position_m,
    rotation_deg: float = 0.0,
    count: int = 1,
    rack_type: str | None = None,
    rack_id: str | None = None,
    feeds: tuple[str | None, str | None] = (None, None),
    cdu: str | None = None,
) -> Rack:
    """A new rack of catalog parts: ``count`` servers of ``server_type`` in a ``rack_type``
    enclosure (by default the first rack type whose height fits). Raises ``EditError``."""
    cat = doc.catalog
    servers = []
    if server_type is not None:
        st = cat.get(server_type)
        if st is None or st.kind != "server":
            raise EditError(f"{server_type!r} is not a server type in the catalog")
        servers = [ServerGroup(type=server_type, count=count)]
        need_u = st.u * count
    else:
        need_u = 0
    if rack_type is None:
        fits = [t for t in cat.of_kind("rack") if t.u >= need_u]
        if not fits:
            raise EditError(f"no rack type in the catalog holds {need_u}U")
        rack_type = fits[0].id
    elif cat.get(rack_type) is None or cat[rack_type].kind != "rack":
        raise EditError(f"{rack_type!r} is not a rack type in the catalog")
    values: dict[str, Any] = {
        "id": rack_id or doc.new_id("R"),
        "type": rack_type,
        "position_m": (float(position_m[0]), float(position_m[1])),
    }
    if rotation_deg:
        values["rotation_deg"] = float(rotation_deg)
    if servers:
        values["servers"] = servers
    if feeds != (None, None):
        values["feeds"] = Feeds(**{k: v for k, v in zip("ab", feeds, strict=True) if v})
    if cdu:
        values["cdu"] = cdu
    return Rack(**values)


class DeleteRacks(Command):
    """Delete racks; undo puts each back at its place in its row."""

    def __init__(self, rack_ids: Sequence[str]):
        self.ids = tuple(rack_ids)
        self.removed: list[tuple[str, int, Rack]] = []
        self.text = f"Delete {_names(self.ids)}"

    def _do(self, doc):
        for r in self.ids:
            doc.rack(r)  # all must exist before anything changes
        removed = []
        try:
            for r in self.ids:
                removed.append(doc.remove_rack(r))
        except EditError:
            for row_id, k, rack in reversed(removed):
                doc.insert_rack(row_id, k, rack)
            raise
        self.removed = removed

    def _undo(self, doc):
        for row_id, k, rack in reversed(self.removed):
            doc.insert_rack(row_id, k, rack)


class DuplicateRacks(Command):
    """Copy racks (contents, feeds, CDU) offset by ``offset_m``, with fresh ids, each placed
    right after its original in the same row."""

    def __init__(self, rack_ids: Sequence[str], offset_m=(0.6, 0.0)):
        self.ids = tuple(rack_ids)
        self.offset = (float(offset_m[0]), float(offset_m[1]))
        self.new_ids: list[str] = []
        self.text = f"Duplicate {_names(self.ids)}"
        self._copies: list[tuple[str, int, Rack]] | None = None

    def _do(self, doc):
        if self._copies is None:
            taken = doc.all_ids()
            copies = []
            for r in self.ids:
                src = doc.rack(r)
                ri, k = doc.rack_loc(r)
                n, new_id = 2, f"{r}-copy"
                while new_id in taken:
                    new_id, n = f"{r}-copy{n}", n + 1
                taken.add(new_id)
                dup = src.model_copy(deep=True)
                dup.id = new_id
                dup.position_m = (
                    src.position_m[0] + self.offset[0],
                    src.position_m[1] + self.offset[1],
                )
                for grp in dup.servers:  # explicit host names must stay unique
                    if grp.hosts is not None:
                        grp.hosts = [f"{h}-{new_id}" for h in grp.hosts]
                copies.append((doc.layout.rows[ri].id, src.id, dup))
            self._copies = copies
            self.new_ids = [c[2].id for c in copies]
        done = []
        try:
            for row_id, after, dup in self._copies:
                _, k = doc.rack_loc(after)
                doc.insert_rack(row_id, k + 1, copy.deepcopy(dup))
                done.append(dup.id)
        except EditError:
            for rid in reversed(done):
                doc.remove_rack(rid)
            raise

    def _undo(self, doc):
        for rid in reversed(self.new_ids):
            doc.remove_rack(rid)


class ChangeRack(Command):
    """Change a rack's fields: ``servers``, ``load``, ``feeds``, ``cdu``, ``type``, ``label``.
    Plain dicts are accepted for the nested parts (``feeds={'a': 'PDU-1'}``)."""

    _BUILD = {"feeds": Feeds, "load": RackLoad}

    def __init__(self, rack_id: str, **values: Any):
        self.id = rack_id
        self.values = {k: self._coerce(k, v) for k, v in values.items()}
        self.old: dict[str, Any] | None = None
        self.text = f"Change {', '.join(values)} of {rack_id}"

    def _coerce(self, name: str, value: Any) -> Any:
        try:
            if name in self._BUILD and isinstance(value, dict):
                return self._BUILD[name](**value)
            if name == "servers" and isinstance(value, list):
                return [ServerGroup(**v) if isinstance(v, dict) else v for v in value]
        except Exception as exc:
            raise EditError(f"bad {name} for {self.id}: {exc}") from None
        return value

    def _do(self, doc):
        self.old = doc.update_rack(self.id, **self.values)

    def _undo(self, doc):
        doc.restore_fields("rack", self.id, self.old)


# ---------------------------------------------------------------------- other items
class AddItem(Command):
    """Add an air unit, CDU, supply tile region, containment, power device... (see
    ``twin.model.document.COLLECTIONS``)."""

    def __init__(self, collection: str, item: BaseModel, index: int | None = None):
        self.collection, self.item, self.index = collection, item, index
        self.text = f"Add {getattr(item, 'id', collection)}"

    def _do(self, doc):
        doc.insert_item(self.collection, self.index, copy.deepcopy(self.item))

    def _undo(self, doc):
        doc.remove_item(self.collection, self.item.id)


class DeleteItem(Command):
    def __init__(self, collection: str, item_id: str):
        self.collection, self.id = collection, item_id
        self.removed: tuple[int, BaseModel] | None = None
        self.text = f"Delete {item_id}"

    def _do(self, doc):
        self.removed = doc.remove_item(self.collection, self.id)

    def _undo(self, doc):
        i, item = self.removed
        doc.insert_item(self.collection, i, item)


class ChangeItem(Command):
    """Change fields of an item of a collection, e.g. a supply region's ``rect_m`` or an air
    unit's ``capacity_kw``. Consecutive changes of the same fields of one item merge."""

    def __init__(self, collection: str, item_id: str, **values: Any):
        self.collection, self.id, self.values = collection, item_id, values
        self.old: dict[str, Any] | None = None
        self.text = f"Change {', '.join(values)} of {item_id}"
        self.merge_key = ("item", collection, item_id, tuple(sorted(values)))

    def _do(self, doc):
        old = doc.update_item(self.collection, self.id, **self.values)
        if self.old is None:
            self.old = old

    def _undo(self, doc):
        doc.restore_fields(self.collection, self.id, self.old)

    def merge_with(self, other):
        if not isinstance(other, ChangeItem) or other.merge_key != self.merge_key:
            return False
        self.values = other.values
        return True


class SetPhysics(Command):
    """Set (or clear: None) the layout's calibrated airflow parameters, its ``physics:``
    block (``schema.Physics``), as a fit in the window found them."""

    def __init__(self, physics: Any):
        self.physics = physics
        self.old: Any = None
        self.text = "Calibrate the airflow model" if physics is not None else "Clear calibration"

    def _do(self, doc):
        self.old = doc.set_physics(copy.deepcopy(self.physics))

    def _undo(self, doc):
        doc.set_physics(self.old)


class Macro(Command):
    """Several commands as one undo step (e.g. align a selection into a row)."""

    def __init__(self, text: str, commands: Sequence[Command]):
        self.text, self.commands = text, list(commands)

    def _do(self, doc):
        done = []
        try:
            for c in self.commands:
                c.do(doc)
                done.append(c)
        except EditError:
            for c in reversed(done):
                c.undo(doc)
            raise

    def _undo(self, doc):
        for c in reversed(self.commands):
            c.undo(doc)


def _tidy(values: np.ndarray) -> np.ndarray:
    """New coordinates rounded to 1e-9 (a nanometre, a nano-degree) so that 5.4 - 0.3 saves
    as 5.1, not 5.1000000000000005. Only new values: undo restores the old ones untouched."""
    flat = [round(float(v), 9) for v in values.ravel()]
    return np.array(flat, dtype=float).reshape(values.shape)


def _names(ids: Sequence[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{len(ids)} racks"
