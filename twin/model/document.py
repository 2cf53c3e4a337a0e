"""An editable layout: the pydantic ``Layout``, its ``Facility`` and an undo history, with
psygnal signals so views and checks follow every change.

Why a document and not just a ``Layout``: a drag in a 100,000-GPU layout must not re-validate
the file and rebuild the facility on every mouse move. Moves and rotations therefore update the
facility's arrays in place (racks, GPUs, units); feed and CDU changes patch their index arrays;
only edits that change what exists (add, delete, contents) rebuild the ``Facility``, after
checking references so a bad edit is refused with a clear error and nothing changes.

The primitives here are not undoable on their own; ``twin.model.edits`` wraps them in commands.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from psygnal import Signal
from pydantic import BaseModel, ValidationError

from twin.model.catalog import Catalog, shipped_catalog
from twin.model.errors import EditError, LayoutError, field_path
from twin.model.facility import Facility
from twin.model.geometry import front_vectors
from twin.model.history import UndoStack
from twin.model.loader import check_before_build, facility_from_text, parse_layout_placed
from twin.model.schema import Layout, Rack

#: Collections of id'd items that edits can add to, remove from and change, by layout path.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "halls": ("halls",),
    "rows": ("rows",),
    "power": ("power",),
    "air_units": ("cooling", "air_units"),
    "cdus": ("cooling", "cdus"),
    "supplies": ("cooling", "supplies"),
    "returns": ("cooling", "returns"),
    "containment": ("cooling", "containment"),
    "sensors": ("sensors",),
}

_POSE_FIELDS = {"position_m", "rotation_deg"}


@dataclass(frozen=True)
class Change:
    """What one document change touched, so listeners can update only that.

    ``kind``: ``geometry`` (racks/units moved or rotated; facility arrays patched in place),
    ``power`` (rack feeds patched in place), ``cooling`` (rack CDUs patched in place),
    ``structure`` (the facility was rebuilt: indices may have changed), ``layout`` (something
    the facility does not mirror, e.g. supply tiles or labels).
    """

    kind: str
    racks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    air_units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cdus: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    collection: str | None = None


def _as_float_pair(xy: Any) -> tuple[float, float]:
    x, y = xy
    return (float(x), float(y))


class _FieldEdit:
    """New values for fields of a layout item, set so that they can be put back exactly: the
    old values (deep copies, returned for undo) and which fields the file had set."""

    def __init__(self, obj: BaseModel, values: dict[str, Any]):
        fields = type(obj).model_fields
        for name in values:
            if name not in fields:
                raise EditError(f"{type(obj).__name__} has no field {name!r}")
        if "id" in values and values["id"] != obj.id:
            raise EditError("ids cannot be changed by an edit")
        self.obj = obj
        self.values = values
        self.old = {name: copy.deepcopy(getattr(obj, name)) for name in values}
        self.was_set = {name: name in obj.model_fields_set for name in values}

    def apply(self) -> None:
        """Set the new values; on a value the schema refuses, put all back and raise
        ``EditError``."""
        try:
            for name, value in self.values.items():
                setattr(self.obj, name, copy.deepcopy(value))
        except ValidationError as exc:
            self.revert()
            err = exc.errors()[0]
            raise EditError(f"{field_path(tuple(err['loc']))}: {err['msg']}") from None

    def revert(self) -> None:
        for name, value in self.old.items():
            setattr(self.obj, name, value)
            if not self.was_set[name]:
                self.obj.model_fields_set.discard(name)


class LayoutDocument:
    """A layout being edited. ``layout`` is the truth; ``facility`` mirrors it.

    Signals: ``changed(Change)`` after every change; ``dirty_changed(bool)`` when the document
    starts or stops differing from its saved file; ``path_changed(Path | None)``.
    """

    changed = Signal(object)
    dirty_changed = Signal(bool)
    path_changed = Signal(object)

    def __init__(
        self,
        layout: Layout,
        catalog: Catalog | None = None,
        path: str | Path | None = None,
        source_text: str | None = None,
        facility: Facility | None = None,
    ):
        """``facility``: adopt one already built from this very ``layout`` object (e.g. the
        window's), so it is patched in place by edits instead of building a second one."""
        self.base_catalog = catalog or shipped_catalog()
        self.layout = layout
        self.path = Path(path) if path is not None else None
        #: The text the document was read from (or last saved as): the base of round-trip saves.
        self.source_text = source_text
        #: Round-trip YAML tree of ``source_text``, parsed on first save (see ``twin.model.save``).
        self.roundtrip_tree: Any = None
        #: Counts changes; autosave and views compare it to know whether anything happened.
        self.revision = 0
        #: Recovery bookkeeping (``twin.model.recovery``): key of an untitled document, and the
        #: key of the recovery file last written for it.
        self.recovery_key: str | None = None
        self.recovery_written: str | None = None
        if facility is not None and facility.layout is not layout:
            raise ValueError("the facility must be built from the document's layout object")
        self._rebuild(facility)
        self.history = UndoStack(self)

    # ------------------------------------------------------------------ opening
    @classmethod
    def from_text(
        cls,
        text: str,
        path: str | Path | None = None,
        catalog: Catalog | None = None,
        strict: bool = True,
    ) -> LayoutDocument:
        """Open layout text. ``strict`` runs the loader's full validation (what ``load_layout``
        accepts); otherwise only the schema and references must hold, so a layout with overlaps
        or overloads can be opened to fix them. Raises ``LayoutError``."""
        if strict:
            fac = facility_from_text(text, path, catalog)
            return cls(fac.layout, catalog, path, text)
        layout, place = parse_layout_placed(text, path)
        doc_catalog = catalog or shipped_catalog()
        problems = check_before_build(layout, doc_catalog.with_items(layout.catalog))
        if problems:
            from twin.model.errors import Problem

            lines = place([loc for loc, _ in problems])
            raise LayoutError(
                [
                    Problem(msg, field_path(loc), line, str(path) if path else None)
                    for (loc, msg), line in zip(problems, lines, strict=True)
                ],
                path,
            )
        return cls(layout, catalog, path, text)

    @classmethod
    def open(
        cls, path: str | Path, catalog: Catalog | None = None, strict: bool = True
    ) -> LayoutDocument:
        """Open a layout file (see ``from_text``). Raises ``LayoutError``."""
        from twin.model.errors import Problem

        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems = [Problem(f"cannot read file: {exc}", "", None, str(path))]
            raise LayoutError(problems, path) from None
        return cls.from_text(text, path, catalog, strict)

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        return not self.history.is_clean

    def set_path(self, path: str | Path | None) -> None:
        new = Path(path) if path is not None else None
        if new != self.path:
            self.path = new
            self.path_changed.emit(new)

    def _rebuild(self, facility: Facility | None = None) -> None:
        self.catalog = self.base_catalog.with_items(self.layout.catalog)
        self.facility = facility or Facility(self.layout, self.catalog, self.path)
        fac = self.facility
        count = fac.rack_gpu_count.astype(np.int64)
        self._rack_first_gpu = np.cumsum(count) - count
        # GPU offsets in their rack's frame, so moves and rotations place them exactly
        r = fac.gpu_rack
        t = np.deg2rad(fac.rack_rotation_deg[r])
        d = fac.gpu_position_m[:, :2] - fac.rack_center_m[r, :2]
        self._gpu_local_xy = np.stack(
            [d[:, 0] * np.cos(t) + d[:, 1] * np.sin(t), -d[:, 0] * np.sin(t) + d[:, 1] * np.cos(t)],
            axis=1,
        )
        self._rack_loc_cache: dict[str, tuple[int, int]] | None = None

    def _emit(self, change: Change) -> None:
        self.revision += 1
        self.facility.edits += 1
        self.changed.emit(change)

    # ------------------------------------------------------------------ lookups
    def rack(self, rack_id: str) -> Rack:
        return self.facility.racks[self._rack_index(rack_id)]

    def _rack_index(self, rack_id: str) -> int:
        i = self.facility.rack_index.get(rack_id)
        if i is None:
            raise EditError(f"no rack {rack_id!r} in the layout")
        return i

    def rack_loc(self, rack_id: str) -> tuple[int, int]:
        """(row index, position in the row) of a rack."""
        if self._rack_loc_cache is None:
            self._rack_loc_cache = {
                rack.id: (ri, k)
                for ri, row in enumerate(self.layout.rows)
                for k, rack in enumerate(row.racks)
            }
        loc = self._rack_loc_cache.get(rack_id)
        if loc is None:
            raise EditError(f"no rack {rack_id!r} in the layout")
        return loc

    def items(self, collection: str) -> list:
        """The live list of one collection (see ``COLLECTIONS``)."""
        if collection not in COLLECTIONS:
            raise EditError(f"unknown collection {collection!r}: one of {sorted(COLLECTIONS)}")
        obj: Any = self.layout
        for part in COLLECTIONS[collection]:
            obj = getattr(obj, part)
        return obj

    def item_index(self, collection: str, item_id: str) -> int:
        for i, item in enumerate(self.items(collection)):
            if item.id == item_id:
                return i
        raise EditError(f"no {collection} item {item_id!r} in the layout")

    def all_ids(self) -> set[str]:
        """Every id in the layout (ids share one namespace)."""
        ids = {r.id for row in self.layout.rows for r in row.racks}
        for name in COLLECTIONS:
            ids.update(item.id for item in self.items(name))
        return ids

    def new_id(self, base: str) -> str:
        """A fresh id derived from ``base`` (``A01`` -> ``A01-2``, ``A01-3``...)."""
        taken = self.all_ids()
        if base not in taken:
            return base
        stem = base
        n = 2
        while f"{stem}-{n}" in taken:
            n += 1
        return f"{stem}-{n}"

    # ------------------------------------------------------------------ checks
    def _check_refs(self) -> None:
        problems = check_before_build(
            self.layout, self.base_catalog.with_items(self.layout.catalog)
        )
        if problems:
            raise EditError("; ".join(f"{field_path(loc)}: {msg}" for loc, msg in problems))

    def _guarded(self, apply, revert) -> None:
        """Apply a structural change, check references and rebuild; on any failure revert and
        raise ``EditError`` so the document is unchanged."""
        apply()
        try:
            self._check_refs()
            self._rebuild()
        except Exception as exc:
            revert()
            self._rebuild()
            if isinstance(exc, EditError):
                raise
            raise EditError(f"edit refused: {exc}") from exc
        self._emit(Change("structure"))

    # ------------------------------------------------------------------ primitives: poses
    def set_rack_poses(
        self,
        rack_ids: list[str],
        positions_m: np.ndarray | list | None = None,
        rotations_deg: np.ndarray | list | None = None,
    ) -> None:
        """Move and/or rotate racks; patches the facility's rack and GPU arrays in place."""
        idx = np.array([self._rack_index(r) for r in rack_ids], dtype=np.int64)
        fac = self.facility
        xy = None if positions_m is None else np.asarray(positions_m, dtype=float).reshape(-1, 2)
        rot = None if rotations_deg is None else np.asarray(rotations_deg, dtype=float).ravel()
        for arr in (xy, rot):
            if arr is not None and (len(arr) != len(idx) or not np.all(np.isfinite(arr))):
                raise EditError("need one finite position/rotation per rack")
        for k, i in enumerate(idx):
            rack = fac.racks[i]
            if xy is not None:
                rack.position_m = (float(xy[k, 0]), float(xy[k, 1]))
            if rot is not None:
                rack.rotation_deg = float(rot[k])
        if xy is not None:
            fac.rack_center_m[idx, :2] = xy
        if rot is not None:
            fac.rack_rotation_deg[idx] = rot
            fac.rack_front_xy[idx] = front_vectors(rot).reshape(-1, 2)
        self._place_gpus(idx)
        self._emit(Change("geometry", racks=idx))

    def _place_gpus(self, racks: np.ndarray) -> None:
        fac = self.facility
        count = fac.rack_gpu_count[racks].astype(np.int64)
        if count.sum() == 0:
            return
        first = self._rack_first_gpu[racks]
        g = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
        r = fac.gpu_rack[g]
        t = np.deg2rad(fac.rack_rotation_deg[r])
        lx, ly = self._gpu_local_xy[g, 0], self._gpu_local_xy[g, 1]
        fac.gpu_position_m[g, 0] = fac.rack_center_m[r, 0] + lx * np.cos(t) - ly * np.sin(t)
        fac.gpu_position_m[g, 1] = fac.rack_center_m[r, 1] + lx * np.sin(t) + ly * np.cos(t)

    def set_unit_pose(
        self,
        collection: str,
        item_id: str,
        position_m: tuple[float, float] | None = None,
        rotation_deg: float | None = None,
    ) -> None:
        """Move/rotate an air unit or CDU in place (facility arrays patched)."""
        if collection not in ("air_units", "cdus"):
            raise EditError("only air units and CDUs have a pose patched in place")
        i = self.item_index(collection, item_id)
        item = self.items(collection)[i]
        kind = "air_unit" if collection == "air_units" else "cdu"
        fac = self.facility
        try:
            if position_m is not None:
                item.position_m = _as_float_pair(position_m)
                getattr(fac, f"{kind}_center_m")[i, :2] = item.position_m
            if rotation_deg is not None:
                item.rotation_deg = float(rotation_deg)
                getattr(fac, f"{kind}_rotation_deg")[i] = item.rotation_deg
                if kind == "air_unit":
                    fac.air_unit_front_xy[i] = front_vectors(np.array([item.rotation_deg]))[0]
        except ValidationError as exc:
            raise EditError(f"bad pose for {item_id!r}: {exc.errors()[0]['msg']}") from None
        arr = np.array([i], dtype=np.int64)
        self._emit(
            Change(
                "geometry",
                air_units=arr if kind == "air_unit" else np.zeros(0, np.int64),
                cdus=arr if kind == "cdu" else np.zeros(0, np.int64),
            )
        )

    # ------------------------------------------------------------------ primitives: racks
    def insert_rack(self, row_id: str, index: int | None, rack: Rack) -> None:
        """Insert a rack into a row (at the end when ``index`` is None)."""
        rows = [r for r in self.layout.rows if r.id == row_id]
        if not rows:
            raise EditError(f"no row {row_id!r} in the layout")
        row = rows[0]
        if rack.id in self.all_ids():
            raise EditError(f"id {rack.id!r} is already used")
        at = len(row.racks) if index is None else index
        self._guarded(lambda: row.racks.insert(at, rack), lambda: row.racks.remove(rack))

    def remove_rack(self, rack_id: str) -> tuple[str, int, Rack]:
        """Remove a rack; returns (row id, position, rack) so it can be put back exactly."""
        ri, k = self.rack_loc(rack_id)
        row = self.layout.rows[ri]
        rack = row.racks[k]
        self._guarded(lambda: row.racks.pop(k), lambda: row.racks.insert(k, rack))
        return row.id, k, rack

    def update_rack(self, rack_id: str, **values: Any) -> dict[str, Any]:
        """Set fields of a rack (servers, load, feeds, cdu, type, label, pose...); returns the old
        values (deep copies) for undo. Feeds and CDU are patched in place; contents rebuild."""
        return self._update(self.rack(rack_id), values, rack_id=rack_id)

    # ------------------------------------------------------------------ primitives: items
    def insert_item(self, collection: str, index: int | None, item: BaseModel) -> None:
        items = self.items(collection)
        item_id = getattr(item, "id", None)
        if item_id in self.all_ids():
            raise EditError(f"id {item_id!r} is already used")
        at = len(items) if index is None else index
        self._guarded(lambda: items.insert(at, item), lambda: items.remove(item))

    def remove_item(self, collection: str, item_id: str) -> tuple[int, BaseModel]:
        items = self.items(collection)
        i = self.item_index(collection, item_id)
        item = items[i]
        self._guarded(lambda: items.pop(i), lambda: items.insert(i, item))
        return i, item

    def update_item(self, collection: str, item_id: str, **values: Any) -> dict[str, Any]:
        """Set fields of an item of a collection; returns the old values for undo."""
        item = self.items(collection)[self.item_index(collection, item_id)]
        return self._update(item, values, collection=collection)

    # ------------------------------------------------------------------ primitives: physics
    def set_physics(self, physics: Any) -> Any:
        """Set the layout's ``physics:`` block (a ``schema.Physics``, or None: the model's
        defaults); returns the old one for undo. The facility is rebuilt (a structure change):
        every solve after it runs with the new parameters."""
        layout, old = self.layout, self.layout.physics
        try:
            self._guarded(
                lambda: setattr(layout, "physics", physics),
                lambda: setattr(layout, "physics", old),
            )
        except ValidationError as exc:  # refused before anything was set
            err = exc.errors()[0]
            raise EditError(f"{field_path(tuple(err['loc']))}: {err['msg']}") from None
        return old

    # ------------------------------------------------------------------ shared update
    def _update(
        self,
        obj: BaseModel,
        values: dict[str, Any],
        rack_id: str | None = None,
        collection: str | None = None,
    ) -> dict[str, Any]:
        edit = _FieldEdit(obj, values)
        names = set(values)
        # poses of racks and units are patched in place, without a rebuild
        if rack_id is not None and names <= _POSE_FIELDS:
            self.set_rack_poses(
                [rack_id],
                [values["position_m"]] if "position_m" in values else None,
                [values["rotation_deg"]] if "rotation_deg" in values else None,
            )
            return edit.old
        if collection in ("air_units", "cdus") and names <= _POSE_FIELDS:
            self.set_unit_pose(
                collection, obj.id, values.get("position_m"), values.get("rotation_deg")
            )
            return edit.old
        edit.apply()
        try:
            self._check_refs()
        except EditError:
            edit.revert()
            raise
        if rack_id is not None and names <= {"feeds", "cdu", "label"}:
            self._patch_rack_refs(rack_id, names)
            return edit.old
        if collection in ("supplies", "returns", "containment", "sensors"):
            self._emit(Change("layout", collection=collection))
            return edit.old
        try:
            self._rebuild()
        except Exception as exc:
            edit.revert()
            self._rebuild()
            raise EditError(f"edit refused: {exc}") from exc
        self._emit(Change("structure"))
        return edit.old

    def _patch_rack_refs(self, rack_id: str, names: set[str]) -> None:
        fac = self.facility
        i = self._rack_index(rack_id)
        rack = fac.racks[i]
        arr = np.array([i], dtype=np.int64)
        fac.__dict__.pop("graph", None)  # the topology graph is derived from feeds and CDUs
        if "feeds" in names:
            fac.rack_feed_a[i] = fac.power_index[rack.feeds.a] if rack.feeds.a else -1
            fac.rack_feed_b[i] = fac.power_index[rack.feeds.b] if rack.feeds.b else -1
            self._emit(Change("power", racks=arr))
        if "cdu" in names:
            fac.rack_cdu[i] = fac.cdu_index[rack.cdu] if rack.cdu else -1
            self._emit(Change("cooling", racks=arr))
        if names == {"label"}:
            self._emit(Change("layout", racks=arr))

    def restore_fields(self, obj_kind: str, ref: str, old: dict[str, Any]) -> None:
        """Put back values returned by ``update_rack``/``update_item`` (used by undo)."""
        if obj_kind == "rack":
            self.update_rack(ref, **old)
        else:
            self.update_item(obj_kind, ref, **old)
