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

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from psygnal import Signal
from scipy import sparse
from scipy.spatial import cKDTree

from twin.model.errors import Problem, field_path
from twin.model.facility import Facility
from twin.model.geometry import _separated, footprints

if TYPE_CHECKING:
    from twin.model.document import Change, LayoutDocument

TOL_M = 1e-6
_OVER = 1 + 1e-9  # capacity comparisons forgive rounding only
RACK, AIR, CDU = 0, 1, 2


@dataclass(frozen=True)
class Violation:
    """One broken constraint: what (kind, message), how bad (``error`` or ``warning``), which
    items (ids), and where in the layout file (``field``, e.g. ``rows[0].racks[3].position_m``)."""

    kind: str
    severity: str
    message: str
    items: tuple[str, ...]
    field: str

    def to_problem(self, file: str | None = None) -> Problem:
        return Problem(self.message, self.field, None, file, self.severity)


@dataclass(frozen=True)
class CheckOptions:
    """What to check and how. Clearances default to each hall's ``clearance_front_m`` and
    ``clearance_rear_m``. ``aisle_m`` is how far behind a rack another rack's intake counts as
    facing its exhaust. ``failure_kinds``: power devices whose single failure 2N/N+1 must
    survive (utility feeds are taken as backed by generators)."""

    clearance: bool = True
    clearance_front_m: float | None = None
    clearance_rear_m: float | None = None
    aisle_m: float = 2.4
    orientation: bool = True
    power: bool = True
    cooling: bool = True
    floor_load: bool = True
    failure_kinds: tuple[str, ...] = ("switchgear", "transformer", "ups", "pdu", "rpp", "busway")


def _rack_locs(fac: Facility) -> list[tuple]:
    return [
        ("rows", ri, "racks", k)
        for ri, row in enumerate(fac.layout.rows)
        for k in range(len(row.racks))
    ]


def _kw(w: float) -> str:
    return f"{w / 1e3:.1f} kW"


def _rack_boxes(center, width, front, along, depth) -> np.ndarray:
    """(k, B, 4, 2) corners of B boxes per rack, each as wide as the rack, centred ``along[k, b]``
    in front of its centre (negative: behind) and ``depth[k, b]`` deep; corners in the order
    ``footprints`` gives (counter-clockwise from front-left)."""
    fx, fy = front[:, 0:1], front[:, 1:2]
    wx, wy = -fy, fx  # width axis (cos, sin) from the front vector (sin, -cos)
    cx = center[:, 0:1] + fx * along
    cy = center[:, 1:2] + fy * along
    hw = (width / 2)[:, None]
    hd = depth / 2
    # depth axis towards the rear is -front
    out = np.empty(along.shape + (4, 2))
    for k, (sw, sd) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
        out[..., k, 0] = cx + sw * hw * wx - sd * hd * fx
        out[..., k, 1] = cy + sw * hw * wy - sd * hd * fy
    return out


def _rect_quads(rects: np.ndarray) -> np.ndarray:
    r = np.asarray(rects, dtype=float).reshape(-1, 4)
    return np.stack(
        [r[:, [0, 1]], r[:, [2, 1]], r[:, [2, 3]], r[:, [0, 3]]],
        axis=1,
    )


def _hits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs of quads a[k], b[k] that overlap by more than the tolerance (bounding boxes first,
    the separating-axis test only where those meet)."""
    out = np.zeros(len(a), dtype=bool)
    if len(a) == 0:
        return out
    lo_a, hi_a = a.min(axis=1), a.max(axis=1)
    lo_b, hi_b = b.min(axis=1), b.max(axis=1)
    meet = np.all((lo_a < hi_b - TOL_M) & (lo_b < hi_a - TOL_M), axis=1)
    k = np.flatnonzero(meet)
    if len(k):
        out[k] = ~_separated(a[k], b[k], TOL_M)
    return out


def _bbox(q: np.ndarray) -> np.ndarray:
    return np.concatenate([q.min(axis=-2), q.max(axis=-2)], axis=-1)


def _hits_idx(qa, bba, ia, qb, bbb, ib) -> np.ndarray:
    """``_hits(qa[ia], qb[ib])`` with precomputed bounding boxes, gathering quads only where
    the boxes meet."""
    out = np.zeros(len(ia), dtype=bool)
    if len(ia) == 0:
        return out
    a, b = bba[ia], bbb[ib]
    meet = (
        (a[:, 0] < b[:, 2] - TOL_M)
        & (b[:, 0] < a[:, 2] - TOL_M)
        & (a[:, 1] < b[:, 3] - TOL_M)
        & (b[:, 1] < a[:, 3] - TOL_M)
    )
    k = np.flatnonzero(meet)
    if len(k):
        out[k] = ~_separated(qa[ia[k]], qb[ib[k]], TOL_M)
    return out


# ---------------------------------------------------------------------- power
def power_violations(
    fac: Facility, redundancy: str, failure_kinds: tuple[str, ...] = CheckOptions.failure_kinds
) -> list[Violation]:
    """Feeds and device ratings, in normal operation and after any single failure (2N, N+1)."""
    if len(fac.power_ids) == 0:
        return []
    out = _feed_violations(fac, redundancy)
    normal = fac.power_load_w()
    cap = fac.power_capacity_w
    over = normal > cap * _OVER
    for d in np.flatnonzero(over):
        out.append(
            Violation(
                "power",
                "error",
                f"{fac.power_ids[d]!r} carries {_kw(normal[d])} in normal operation, over its "
                f"{_kw(cap[d])} rating",
                (fac.power_ids[d],),
                field_path(("power", int(d), "capacity_kw")),
            )
        )
    if redundancy != "N":
        out += _failover_violations(fac, redundancy, failure_kinds, over)
    return out


def _feed_violations(fac: Facility, redundancy: str) -> list[Violation]:
    """Racks without a feed, with one feed or both on one device (where redundancy asks for
    two), and feeds that cannot carry their rack alone."""
    out: list[Violation] = []
    locs = _rack_locs(fac)
    ids = fac.rack_ids
    a, b = fac.rack_feed_a, fac.rack_feed_b
    p = fac.rack_power_w
    cap = fac.power_capacity_w
    powered = p > 0

    def feed(r: int, message: str, items: tuple[str, ...], side: str = "") -> None:
        where = locs[r] + (("feeds", side) if side else ("feeds",))
        out.append(Violation("feed", "error", message, items, field_path(where)))

    for r in np.flatnonzero((a < 0) & (b < 0) & powered):
        feed(r, f"rack {ids[r]!r} has no power feed", (ids[r],))
    if redundancy != "N":
        for r in np.flatnonzero(((a < 0) ^ (b < 0)) & powered):
            have = "A" if a[r] >= 0 else "B"
            feed(
                r,
                f"rack {ids[r]!r} has only feed {have}; {redundancy} needs feeds A and B",
                (ids[r],),
            )
        for r in np.flatnonzero((a >= 0) & (a == b)):
            dev = fac.power_ids[a[r]]
            feed(r, f"rack {ids[r]!r} has feeds A and B on the same device {dev!r}", (ids[r], dev))
    for side, arr in (("A", a), ("B", b)):
        bad = (arr >= 0) & (p > cap[np.maximum(arr, 0)] * _OVER)
        for r in np.flatnonzero(bad):
            dev = fac.power_ids[arr[r]]
            feed(
                r,
                f"feed {side} of rack {ids[r]!r} ({dev!r}, {_kw(cap[arr[r]])}) cannot carry "
                f"its full {_kw(p[r])} alone",
                (ids[r], dev),
                side.lower(),
            )
    return out


def _failover_violations(
    fac: Facility, redundancy: str, failure_kinds: tuple[str, ...], over: np.ndarray
) -> list[Violation]:
    """After each single failure of a device of ``failure_kinds``: devices over their rating
    (not already over in normal operation) and dual-fed racks that still go dark."""
    out: list[Violation] = []
    cap = fac.power_capacity_w
    ids = fac.rack_ids
    a, b = fac.rack_feed_a, fac.rack_feed_b
    kinds = np.array([k in failure_kinds for k in fac.power_kind], dtype=bool)
    cand = np.flatnonzero(kinds & fac.power_on)
    if len(cand) == 0:
        return out
    loads, alive = failure_loads(fac, cand)
    over_f = (loads > cap[None, :] * _OVER) & ~over[None, :]
    over_f[np.arange(len(cand)), cand] = False
    for d in np.flatnonzero(over_f.any(axis=0)):
        worst = int(np.argmax(np.where(over_f[:, d], loads[:, d], -np.inf)))
        f = int(cand[worst])
        out.append(
            Violation(
                "power-failover",
                "error",
                f"{fac.power_ids[d]!r} would carry {_kw(loads[worst, d])} if "
                f"{fac.power_ids[f]!r} failed, over its {_kw(cap[d])} rating ({redundancy})",
                (fac.power_ids[d], fac.power_ids[f]),
                field_path(("power", int(d), "capacity_kw")),
            )
        )
    # racks with two distinct feeds that still go dark: a common device upstream of both
    dual = (a >= 0) & (b >= 0) & (a != b) & (fac.rack_power_w > 0)
    dark = dual[None, :] & ~alive[:, np.maximum(a, 0)] & ~alive[:, np.maximum(b, 0)]
    for k in np.flatnonzero(dark.any(axis=1)):
        racks = np.flatnonzero(dark[k])
        f = int(cand[k])
        names = ", ".join(ids[r] for r in racks[:5]) + (" ..." if len(racks) > 5 else "")
        out.append(
            Violation(
                "power-failover",
                "error",
                f"a failure of {fac.power_ids[f]!r} leaves {len(racks)} rack(s) without power "
                f"({names}): their A and B feeds both depend on it ({redundancy})",
                (fac.power_ids[f], *(ids[r] for r in racks)),
                field_path(("power", f)),
            )
        )
    return out


def failure_loads(fac: Facility, failed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, P) load on every device and (F, P) alive mask with device ``failed[k]`` failed, for
    all k at once; row k equals ``fac.power_load_w(failed=[failed[k]])``.

    Racks with the same (A, B) feeds are summed first, and upstream losses go through one
    sparse propagation matrix, so the cost is about F x (feed pairs + devices x depth)."""
    n_dev = len(fac.power_ids)
    up, depth = fac.power_upstream, fac.power_depth
    max_depth = int(depth.max(initial=0))
    has_up = np.flatnonzero(up >= 0)
    step = sparse.csr_matrix(
        (1.0 / fac.power_efficiency[has_up], (has_up, up[has_up])), shape=(n_dev, n_dev)
    )
    reach = sparse.identity(n_dev, format="csr")  # reach[d, u]: share of d's load seen at u
    term = reach
    for _ in range(max_depth):
        term = term @ step
        reach = reach + term
    above = (reach > 0).toarray()  # above[d, u]: u is d or upstream of d
    alive = fac.power_alive()[None, :] & ~above[:, failed].T
    n_f = len(failed)
    pairs, inv = np.unique(
        np.stack([fac.rack_feed_a, fac.rack_feed_b], axis=1), axis=0, return_inverse=True
    )
    p = np.bincount(inv.ravel(), fac.rack_power_w, minlength=len(pairs))
    a, b = pairs[:, 0], pairs[:, 1]
    a_ok = (a >= 0)[None, :] & alive[:, np.maximum(a, 0)]
    b_ok = (b >= 0)[None, :] & alive[:, np.maximum(b, 0)]
    both = a_ok & b_ok
    share_a = np.where(both, 0.5, a_ok.astype(float))
    share_b = np.where(both, 0.5, b_ok.astype(float))
    rows = np.arange(n_f)[:, None] * n_dev
    direct = np.zeros(n_f * n_dev)
    direct += np.bincount(
        (rows + np.maximum(a, 0)[None, :])[a_ok],
        (p[None, :] * share_a)[a_ok],
        minlength=n_f * n_dev,
    )
    direct += np.bincount(
        (rows + np.maximum(b, 0)[None, :])[b_ok],
        (p[None, :] * share_b)[b_ok],
        minlength=n_f * n_dev,
    )
    return (reach.T @ direct.reshape(n_f, n_dev).T).T * alive, alive


# ---------------------------------------------------------------------- cooling and floor
def cooling_violations(fac: Facility, redundancy: str) -> list[Violation]:
    """CDU capacity and liquid racks without a CDU; air-unit capacity and airflow per hall."""
    out: list[Violation] = []
    locs = _rack_locs(fac)
    ids = fac.rack_ids
    load = fac.cdu_load_w()
    cap = fac.cdu_capacity_w
    for c in np.flatnonzero(load > cap * _OVER):
        out.append(
            Violation(
                "cdu",
                "error",
                f"CDU {fac.cdu_ids[c]!r} takes {_kw(load[c])} of liquid heat, over its "
                f"{_kw(cap[c])} capacity",
                (fac.cdu_ids[c],),
                field_path(("cooling", "cdus", int(c), "capacity_kw")),
            )
        )
    for c in np.flatnonzero(~fac.cdu_on & (load > 0)):
        out.append(
            Violation(
                "cdu",
                "error",
                f"CDU {fac.cdu_ids[c]!r} is off but cools racks",
                (fac.cdu_ids[c],),
                field_path(("cooling", "cdus", int(c), "state")),
            )
        )
    liquid = fac.rack_power_w * fac.rack_liquid_fraction
    for r in np.flatnonzero((liquid > 0) & (fac.rack_cdu < 0)):
        out.append(
            Violation(
                "cdu",
                "error",
                f"rack {ids[r]!r} is liquid-cooled ({_kw(liquid[r])}) but has no CDU",
                (ids[r],),
                field_path(locs[r] + ("cdu",)),
            )
        )
    n_h = len(fac.hall_ids)
    heat = np.bincount(fac.rack_hall, fac.air_heat_w(), minlength=n_h)
    on = fac.air_unit_on
    unit_cap = fac.air_unit_capacity_w * on
    cap_h = np.bincount(fac.air_unit_hall, unit_cap, minlength=n_h)
    if redundancy == "N+1":
        biggest = np.zeros(n_h)
        np.maximum.at(biggest, fac.air_unit_hall, unit_cap)
        cap_h = cap_h - biggest
    elif redundancy == "2N":
        cap_h = cap_h / 2
    note = {"N": "", "N+1": " with the largest unit off (N+1)", "2N": " with half the units (2N)"}
    # Supply regions with their own flow and temperature stand for a plant outside the model
    # (a test room, a chilled-air main): their flow counts, and they carry their own capacity.
    plant_flow = np.zeros(n_h)
    for sup in fac.layout.cooling.supplies:
        if sup.flow_m3s is not None and sup.supply_c is not None:
            plant_flow[fac.hall_index[sup.hall]] += sup.flow_m3s
    external = plant_flow > 0
    for h in np.flatnonzero((heat > cap_h * _OVER) & ~external):
        out.append(
            Violation(
                "air",
                "error",
                f"hall {fac.hall_ids[h]!r}: racks send {_kw(heat[h])} to the air, its air units "
                f"remove {_kw(cap_h[h])}{note[redundancy]}",
                (fac.hall_ids[h],),
                "cooling.air_units",
            )
        )
    flow = np.bincount(fac.rack_hall, fac.rack_airflow_m3s, minlength=n_h)
    supply = np.bincount(fac.air_unit_hall, fac.air_unit_airflow_m3s * on, minlength=n_h)
    supply = supply + plant_flow
    for h in np.flatnonzero(flow > supply * _OVER):
        out.append(
            Violation(
                "air",
                "warning",
                f"hall {fac.hall_ids[h]!r}: racks draw {flow[h]:.1f} m3/s, its cooling supplies "
                f"{supply[h]:.1f} m3/s (hot air will recirculate)",
                (fac.hall_ids[h],),
                "cooling.air_units",
            )
        )
    return out


def floor_violations(fac: Facility) -> list[Violation]:
    """Rack and unit weight over footprint against the hall's rated floor load, racks loaded
    beyond their enclosure's static rating, and racks taller than their hall."""
    out: list[Violation] = []
    locs = _rack_locs(fac)
    tall = fac.rack_size_m[:, 2] > fac.hall_size_m[fac.rack_hall, 2] + TOL_M
    for r in np.flatnonzero(tall):
        out.append(
            Violation(
                "outside",
                "error",
                f"rack {fac.rack_ids[r]!r} ({fac.rack_size_m[r, 2]:.2f} m) is taller than hall "
                f"{fac.hall_ids[fac.rack_hall[r]]!r}",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("type",)),
            )
        )
    rated = np.array([h.floor_load_kg_m2 for h in fac.layout.halls], dtype=float)
    area = fac.rack_size_m[:, 0] * fac.rack_size_m[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_m2 = np.where(area > 0, fac.rack_weight_kg / area, 0.0)
    for r in np.flatnonzero(per_m2 > rated[fac.rack_hall] * _OVER):
        out.append(
            Violation(
                "floor-load",
                "error",
                f"rack {fac.rack_ids[r]!r} puts {per_m2[r]:.0f} kg/m² on a floor rated "
                f"{rated[fac.rack_hall[r]]:.0f} kg/m²",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("servers",)),
            )
        )
    enclosure = np.array([fac.catalog[r.type].weight_kg for r in fac.racks])
    inside = fac.rack_weight_kg - enclosure
    for r in np.flatnonzero(inside > fac.rack_max_load_kg * _OVER):
        out.append(
            Violation(
                "floor-load",
                "error",
                f"rack {fac.rack_ids[r]!r} holds {inside[r]:.0f} kg, over its enclosure's "
                f"{fac.rack_max_load_kg[r]:.0f} kg rating",
                (fac.rack_ids[r],),
                field_path(locs[r] + ("servers",)),
            )
        )
    for kind, key in (("air_unit", "air_units"), ("cdu", "cdus")):
        items = getattr(fac.layout.cooling, key)
        if not items:
            continue
        size = getattr(fac, f"{kind}_size_m")
        weight = np.array([fac.catalog[u.type].weight_kg for u in items])
        hall = getattr(fac, f"{kind}_hall")
        per = weight / (size[:, 0] * size[:, 1])
        for i in np.flatnonzero(per > rated[hall] * _OVER):
            out.append(
                Violation(
                    "floor-load",
                    "error",
                    f"{items[i].id!r} puts {per[i]:.0f} kg/m² on a floor rated "
                    f"{rated[hall[i]]:.0f} kg/m²",
                    (items[i].id,),
                    field_path(("cooling", key, int(i), "type")),
                )
            )
    return out


# ---------------------------------------------------------------------- the checker
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
        self._build_floor()
        self._geo: dict[tuple, tuple[Violation, tuple[int, ...]]] = {}
        self._by_item: dict[int, set[tuple]] = {}
        n = len(self._ids)
        if n:
            self._geometry_of(np.arange(n), full=True)
        self._row_orientation()
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

    # ------------------------------------------------------------ floor items
    def _build_floor(self) -> None:
        fac = self.fac
        self._n_rack = fac.n_racks
        self._n_air = len(fac.air_unit_ids)
        self._ids = list(fac.rack_ids) + list(fac.air_unit_ids) + list(fac.cdu_ids)
        self._loc = (
            _rack_locs(fac)
            + [("cooling", "air_units", i) for i in range(self._n_air)]
            + [("cooling", "cdus", i) for i in range(len(fac.cdu_ids))]
        )
        self._kind = np.concatenate(
            [
                np.full(fac.n_racks, RACK),
                np.full(self._n_air, AIR),
                np.full(len(fac.cdu_ids), CDU),
            ]
        ).astype(np.int8)
        self._hall = np.concatenate([fac.rack_hall, fac.air_unit_hall, fac.cdu_hall]).astype(int)
        self._wd = np.concatenate(
            [fac.rack_size_m[:, :2], fac.air_unit_size_m[:, :2], fac.cdu_size_m[:, :2]]
        ).reshape(-1, 2)
        self._radius = 0.5 * np.hypot(self._wd[:, 0], self._wd[:, 1])
        halls = fac.layout.halls
        opt = self.options
        cf = np.array(
            [
                opt.clearance_front_m if opt.clearance_front_m is not None else h.clearance_front_m
                for h in halls
            ]
        )
        cr = np.array(
            [
                opt.clearance_rear_m if opt.clearance_rear_m is not None else h.clearance_rear_m
                for h in halls
            ]
        )
        self._cf = cf[self._hall[: self._n_rack]]
        self._cr = cr[self._hall[: self._n_rack]]
        self._reach = max(float(cf.max(initial=0)), float(cr.max(initial=0)), opt.aisle_m) + 0.01
        self._hall_rect = np.concatenate(
            [np.zeros_like(fac.hall_size_m[:, :2]), fac.hall_size_m[:, :2]], axis=1
        )
        cont = fac.layout.cooling.containment
        self._cont_quads = _rect_quads(np.array([c.rect_m for c in cont], dtype=float))
        self._cont_kind = np.array([c.kind for c in cont], dtype=object)
        self._cont_hall = np.array([fac.hall_index[c.hall] for c in cont], dtype=int)
        n = len(self._ids)
        self._center = np.zeros((n, 2))
        self._rot = np.zeros(n)
        self._front = np.zeros((n, 2))
        self._corners = np.zeros((n, 4, 2))
        self._zones = np.full((3, self._n_rack, 4, 2), np.nan)  # front, rear, aisle behind
        self._bb = np.zeros((n, 4))
        self._zone_bb = np.zeros((3, self._n_rack, 4))
        self._probes = np.zeros((2, self._n_rack, 4, 2))  # 0.3 m off the rear and front faces
        self._refresh(np.arange(n))

    def _refresh(self, items: np.ndarray) -> None:
        """Copy poses of floor items from the facility and recompute their shapes."""
        fac = self.fac
        nr, na = self._n_rack, self._n_air
        r = items[items < nr]
        a = items[(items >= nr) & (items < nr + na)] - nr
        c = items[items >= nr + na] - nr - na
        self._center[r] = fac.rack_center_m[r, :2]
        self._rot[r] = fac.rack_rotation_deg[r]
        self._front[r] = fac.rack_front_xy[r]
        self._center[a + nr] = fac.air_unit_center_m[a, :2]
        self._rot[a + nr] = fac.air_unit_rotation_deg[a]
        self._center[c + nr + na] = fac.cdu_center_m[c, :2]
        self._rot[c + nr + na] = fac.cdu_rotation_deg[c]
        u = items[items >= nr]
        if len(u):
            self._corners[u] = footprints(self._center[u], self._wd[u], self._rot[u])
        if len(r):
            # every box of a rack lies along its depth axis: footprint, front and rear
            # clearance, the aisle behind, and 0.3 m probes off the rear and front faces
            half = self._wd[r, 1] / 2
            aisle = np.full(len(r), self.options.aisle_m)
            probe = np.full(len(r), 0.3)
            along = np.stack(
                [
                    np.zeros(len(r)),
                    half + self._cf[r] / 2,
                    -(half + self._cr[r] / 2),
                    -(half + aisle / 2),
                    -(half + 0.15),
                    half + 0.15,
                ],
                axis=1,
            )
            depth = np.stack([2 * half, self._cf[r], self._cr[r], aisle, probe, probe], axis=1)
            boxes = _rack_boxes(self._center[r], self._wd[r, 0], self._front[r], along, depth)
            self._corners[r] = boxes[:, 0]
            self._zones[:, r] = boxes[:, 1:4].transpose(1, 0, 2, 3)
            self._probes[:, r] = boxes[:, 4:6].transpose(1, 0, 2, 3)
            self._zone_bb[:, r] = _bbox(self._zones[:, r])
        self._bb[items] = _bbox(self._corners[items])

    # ------------------------------------------------------------ geometry
    def update_geometry(
        self,
        racks: np.ndarray | None = None,
        air_units: np.ndarray | None = None,
        cdus: np.ndarray | None = None,
    ) -> list[Violation]:
        """Redo the geometric checks of moved items (facility indices) against all others."""
        parts = []
        if racks is not None:
            parts.append(np.asarray(racks, dtype=np.int64))
        if air_units is not None:
            parts.append(np.asarray(air_units, dtype=np.int64) + self._n_rack)
        if cdus is not None:
            parts.append(np.asarray(cdus, dtype=np.int64) + self._n_rack + self._n_air)
        moved = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        if len(moved):
            self._refresh(moved)
            for i in moved.tolist():
                for key in list(self._by_item.get(i, ())):
                    self._drop(key)
            self._geometry_of(moved, full=False)
            if self.options.orientation and np.any(moved < self._n_rack):
                self._row_orientation()
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

    def _candidates(self, subject: np.ndarray, full: bool) -> np.ndarray:
        """(K, 2) unordered pairs (i, j), i != j, close enough to interact, each pair once,
        every pair containing a subject item."""
        c, rad = self._center, self._radius
        if full:
            if len(c) < 2:
                return np.zeros((0, 2), dtype=np.int64)
            pairs = cKDTree(c).query_pairs(2 * rad.max() + self._reach, output_type="ndarray")
        else:
            d = np.hypot(c[subject, None, 0] - c[None, :, 0], c[subject, None, 1] - c[None, :, 1])
            near = d <= rad[subject, None] + rad[None, :] + self._reach
            si, j = np.nonzero(near)
            i = subject[si]
            is_subject = np.zeros(len(c), dtype=bool)
            is_subject[subject] = True
            keep = (i != j) & (~is_subject[j] | (i < j))  # a pair of two subjects once
            pairs = np.sort(np.stack([i[keep], j[keep]], axis=1), axis=1)
        pairs = pairs.astype(np.int64).reshape(-1, 2)
        same = self._hall[pairs[:, 0]] == self._hall[pairs[:, 1]]
        pairs = pairs[same]
        # exact radius filter so full and incremental see the same pairs
        d = np.hypot(*(c[pairs[:, 0]] - c[pairs[:, 1]]).T)
        return pairs[d <= rad[pairs[:, 0]] + rad[pairs[:, 1]] + self._reach]

    def _geometry_of(self, subject: np.ndarray, full: bool) -> None:
        ids, locs = self._ids, self._loc
        nr = self._n_rack
        pairs = self._candidates(subject, full)
        i, j = pairs[:, 0], pairs[:, 1]
        corners = self._corners
        # overlap
        for k in np.flatnonzero(_hits_idx(corners, self._bb, i, corners, self._bb, j)):
            a, b = int(i[k]), int(j[k])
            self._add(
                ("overlap", a, b),
                Violation(
                    "overlap",
                    "error",
                    f"{ids[b]!r} overlaps {ids[a]!r}",
                    (ids[a], ids[b]),
                    field_path(locs[b] + ("position_m",)),
                ),
                (a, b),
            )
        # directed pairs: a rack's zones against the other item's footprint
        di = np.concatenate([i, j])
        dj = np.concatenate([j, i])
        is_rack = di < nr
        di, dj = di[is_rack], dj[is_rack]
        if self.options.clearance:
            for z, side, depth in ((0, "front", self._cf), (1, "rear", self._cr)):
                zone_ok = depth[di] > 0
                hit = np.zeros(len(di), dtype=bool)
                hit[zone_ok] = _hits_idx(
                    self._zones[z], self._zone_bb[z], di[zone_ok], corners, self._bb, dj[zone_ok]
                )
                for k in np.flatnonzero(hit):
                    a, b = int(di[k]), int(dj[k])
                    self._add(
                        ("clearance", a, side, b),
                        Violation(
                            "clearance",
                            "error",
                            f"{ids[b]!r} stands in the {side} service clearance "
                            f"({depth[a]:.2f} m) of rack {ids[a]!r}",
                            (ids[a], ids[b]),
                            field_path(locs[a] + ("position_m",)),
                        ),
                        (a, b),
                    )
        if self.options.orientation:
            # a rack behind ``a`` facing the same way draws in ``a``'s exhaust
            both = dj < nr
            pa, pb = di[both], dj[both]
            same_way = np.einsum("kj,kj->k", self._front[pa], self._front[pb]) > 0.5
            pa, pb = pa[same_way], pb[same_way]
            for k in np.flatnonzero(
                _hits_idx(self._zones[2], self._zone_bb[2], pa, corners, self._bb, pb)
            ):
                a, b = int(pa[k]), int(pb[k])
                self._add(
                    ("exhaust", a, b),
                    Violation(
                        "orientation",
                        "error",
                        f"rack {ids[a]!r} exhausts into the intake of rack {ids[b]!r} "
                        f"(they face the same way across the aisle)",
                        (ids[a], ids[b]),
                        field_path(locs[a] + ("rotation_deg",)),
                    ),
                    (a, b),
                )
        self._item_checks(subject)

    def _item_checks(self, subject: np.ndarray) -> None:
        ids, locs = self._ids, self._loc
        rect = self._hall_rect[self._hall[subject]]
        b = np.concatenate(
            [self._corners[subject].min(axis=1), self._corners[subject].max(axis=1)], axis=1
        )

        def out_of(bb: np.ndarray, rr: np.ndarray) -> np.ndarray:
            return (
                (bb[:, 0] < rr[:, 0] - TOL_M)
                | (bb[:, 1] < rr[:, 1] - TOL_M)
                | (bb[:, 2] > rr[:, 2] + TOL_M)
                | (bb[:, 3] > rr[:, 3] + TOL_M)
            )

        hall_ids = self.fac.hall_ids
        for k in np.flatnonzero(out_of(b, rect)):
            s = int(subject[k])
            self._add(
                ("outside", s),
                Violation(
                    "outside",
                    "error",
                    f"{ids[s]!r} lies outside hall {hall_ids[self._hall[s]]!r}",
                    (ids[s],),
                    field_path(locs[s] + ("position_m",)),
                ),
                (s,),
            )
        racks = subject[subject < self._n_rack]
        if not len(racks):
            return
        rect = self._hall_rect[self._hall[racks]]
        if self.options.clearance:
            for z, side, depth in ((0, "front", self._cf), (1, "rear", self._cr)):
                q = self._zones[z, racks]
                zb = np.concatenate([q.min(axis=1), q.max(axis=1)], axis=1)
                bad = out_of(zb, rect) & (depth[racks] > 0)
                for k in np.flatnonzero(bad):
                    s = int(racks[k])
                    self._add(
                        ("wall", s, side),
                        Violation(
                            "clearance",
                            "warning",
                            f"the {side} service clearance ({depth[s]:.2f} m) of rack {ids[s]!r} "
                            f"runs into the hall wall",
                            (ids[s],),
                            field_path(locs[s] + ("position_m",)),
                        ),
                        (s,),
                    )
        if self.options.orientation and len(self._cont_quads):
            rear, front = self._probes[0, racks], self._probes[1, racks]
            for box, bad_kind, verb in (
                (rear, "cold-aisle", "exhausts into"),
                (front, "hot-aisle", "draws its intake from"),
            ):
                cs = np.flatnonzero(self._cont_kind == bad_kind)
                if not len(cs):
                    continue
                rr, cc = np.meshgrid(np.arange(len(racks)), cs, indexing="ij")
                rr, cc = rr.ravel(), cc.ravel()
                keep = self._cont_hall[cc] == self._hall[racks[rr]]
                rr, cc = rr[keep], cc[keep]
                for k in np.flatnonzero(_hits(box[rr], self._cont_quads[cc])):
                    s, c = int(racks[rr[k]]), int(cc[k])
                    cid = self.fac.layout.cooling.containment[c].id
                    self._add(
                        (bad_kind, s, c),
                        Violation(
                            "orientation",
                            "error",
                            f"rack {ids[s]!r} {verb} the {bad_kind} containment {cid!r}",
                            (ids[s], cid),
                            field_path(locs[s] + ("rotation_deg",)),
                        ),
                        (s,),
                    )

    def _row_orientation(self) -> None:
        """Racks facing against the clear majority of their row."""
        self._row_orient: list[Violation] = []
        fac = self.fac
        if not self.options.orientation or fac.n_racks == 0:
            return
        n_rows = len(fac.row_ids)
        front = self._front[: self._n_rack]
        sx = np.bincount(fac.rack_row, front[:, 0], minlength=n_rows)
        sy = np.bincount(fac.rack_row, front[:, 1], minlength=n_rows)
        cnt = np.bincount(fac.rack_row, minlength=n_rows)
        norm = np.hypot(sx, sy)
        clear = norm > 0.5 * cnt  # a clear majority direction
        with np.errstate(invalid="ignore", divide="ignore"):
            dx, dy = sx / norm, sy / norm
        row = fac.rack_row
        against = clear[row] & (front[:, 0] * dx[row] + front[:, 1] * dy[row] < -0.5)
        for r in np.flatnonzero(against):
            self._row_orient.append(
                Violation(
                    "orientation",
                    "warning",
                    f"rack {fac.rack_ids[r]!r} faces the opposite way to its row "
                    f"{fac.row_ids[row[r]]!r}",
                    (fac.rack_ids[r],),
                    field_path(self._loc[r] + ("rotation_deg",)),
                )
            )

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
