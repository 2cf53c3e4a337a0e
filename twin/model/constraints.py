"""Design checks of a layout, vectorised and incremental: what an edit breaks.

Checks: footprint overlap (racks and units), front/rear service clearance, items outside their
hall, hot-/cold-aisle orientation (a rack exhausting into another rack's intake, into a
cold-aisle containment, drawing from a hot aisle, or facing against its row), power (feeds A and
B each able to carry the rack, every device within rating in normal operation and, for 2N/N+1,
after any single failure), CDU and air-unit capacity (per hall, N+1/2N as declared) and floor
load.

Why incremental: a drag in a 100,000-GPU layout must re-check in a few milliseconds. Moves only
change geometry, so power and cooling results are kept, and the geometric checks of the moved
items are redone against their neighbourhood only (``update_geometry``). ``check_all`` is the
reference; the tests assert both give the same problems.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal

# the families of checks; their public names are re-exported here, where callers import them
from twin.model.checks.base import TOL_M as TOL_M
from twin.model.checks.base import CheckOptions as CheckOptions
from twin.model.checks.base import Violation as Violation
from twin.model.checks.cooling import cooling_violations as cooling_violations
from twin.model.checks.floor import floor_violations as floor_violations
from twin.model.checks.geometry import FloorItems, geometry_findings, row_orientation
from twin.model.checks.power import failure_loads as failure_loads
from twin.model.checks.power import power_violations as power_violations
from twin.model.facility import Facility

if TYPE_CHECKING:
    from twin.model.document import Change, LayoutDocument


class ConstraintChecker:
    """All checks of one facility, kept up to date incrementally.

    ``check_all()`` recomputes everything; ``update_geometry(racks, air_units, cdus)`` redoes
    only the geometric checks of the moved items against their neighbourhood;
    ``update_power()`` and ``update_cooling()`` redo those families. ``problems`` is the
    current list. ``attach(doc)`` follows a ``LayoutDocument`` and emits ``problems_changed``.
    """

    problems_changed = Signal()

    def __init__(self, facility: Facility, options: CheckOptions | None = None):
        self.options = options or CheckOptions()
        self._problems: list[Violation] | None = None
        self._static: tuple[list[Violation], list[Violation]] | None = None
        self._doc: LayoutDocument | None = None
        self.check_all(facility)

    # ------------------------------------------------------------ full
    def check_all(self, facility: Facility | None = None) -> list[Violation]:
        if facility is not None:
            self.fac = facility
        self._items = FloorItems(self.fac, self.options)
        self._geo: dict[tuple, tuple[Violation, tuple[int, ...]]] = {}
        self._by_item: dict[int, set[tuple]] = {}
        n = len(self._items.ids)
        if n:
            self._geometry_of(np.arange(n), full=True)
        self._row_orient = row_orientation(self._items)
        self.update_power(emit=False)
        self.update_cooling(emit=False)
        self._floor = floor_violations(self.fac) if self.options.floor_load else []
        self._static = None
        return self._publish()

    @property
    def problems(self) -> list[Violation]:
        """Errors first, then warnings; within each, geometry, then power, cooling, floor."""
        if self._problems is None:
            if self._static is None:
                rest = self._power + self._cooling + self._floor
                self._static = (
                    [v for v in rest if v.severity == "error"],
                    [v for v in rest if v.severity != "error"],
                )
            geo = [v for v, _ in self._geo.values()] + self._row_orient
            self._problems = [v for v in geo if v.severity == "error"] + self._static[0]
            self._problems += [v for v in geo if v.severity != "error"] + self._static[1]
        return self._problems

    def _publish(self) -> list[Violation]:
        self._problems = None
        self.problems_changed.emit()
        return self.problems

    # ------------------------------------------------------------ geometry
    def update_geometry(
        self,
        racks: np.ndarray | None = None,
        air_units: np.ndarray | None = None,
        cdus: np.ndarray | None = None,
    ) -> list[Violation]:
        """Redo the geometric checks of moved items (facility indices) against all others."""
        parts = []
        n_rack, n_air = self._items.n_rack, self._items.n_air
        if racks is not None:
            parts.append(np.asarray(racks, dtype=np.int64))
        if air_units is not None:
            parts.append(np.asarray(air_units, dtype=np.int64) + n_rack)
        if cdus is not None:
            parts.append(np.asarray(cdus, dtype=np.int64) + n_rack + n_air)
        moved = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        if len(moved):
            self._items.refresh(moved)
            for i in moved.tolist():
                for key in list(self._by_item.get(i, ())):
                    self._drop(key)
            self._geometry_of(moved, full=False)
            if self.options.orientation and np.any(moved < n_rack):
                self._row_orient = row_orientation(self._items)
        return self._publish()

    def _drop(self, key: tuple) -> None:
        _, items = self._geo.pop(key)
        for j in items:
            s = self._by_item.get(j)
            if s is not None:
                s.discard(key)

    def _add(self, key: tuple, v: Violation, items: tuple[int, ...]) -> None:
        self._geo[key] = (v, items)
        for j in items:
            self._by_item.setdefault(j, set()).add(key)

    def _geometry_of(self, subject: np.ndarray, full: bool) -> None:
        for key, v, items in geometry_findings(self._items, subject, full):
            self._add(key, v, items)

    # ------------------------------------------------------------ power, cooling
    def update_power(self, emit: bool = True) -> list[Violation]:
        lay = self.fac.layout
        self._power = (
            power_violations(self.fac, lay.power_redundancy, self.options.failure_kinds)
            if self.options.power
            else []
        )
        self._static = None
        return self._publish() if emit else self._power

    def update_cooling(self, emit: bool = True) -> list[Violation]:
        self._cooling = (
            cooling_violations(self.fac, self.fac.layout.cooling_redundancy)
            if self.options.cooling
            else []
        )
        self._static = None
        return self._publish() if emit else self._cooling

    # ------------------------------------------------------------ following a document
    def attach(self, doc: LayoutDocument) -> ConstraintChecker:
        """Follow a document: every change re-checks what it can have broken."""
        self.detach()
        self._doc = doc
        doc.changed.connect(self._on_change)
        if doc.facility is not self.fac:
            self.check_all(doc.facility)
        return self

    def detach(self) -> None:
        if self._doc is not None:
            self._doc.changed.disconnect(self._on_change)
            self._doc = None

    def _on_change(self, change: Change) -> None:
        doc = self._doc
        if doc is None:
            return
        if change.kind == "structure" or doc.facility is not self.fac:
            self.check_all(doc.facility)
        elif change.kind == "geometry":
            self.update_geometry(change.racks, change.air_units, change.cdus)
        elif change.kind == "power":
            self.update_power()
        elif change.kind == "cooling":
            self.update_cooling()
        elif change.kind == "layout" and change.collection == "containment":
            self.check_all()
        elif change.kind == "layout" and change.collection == "supplies":
            self.update_cooling()  # a supply with its own flow adds airflow and capacity
