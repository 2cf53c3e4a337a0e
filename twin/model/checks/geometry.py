"""Geometric checks of floor items (racks, air units, CDUs): footprint overlap, front/rear
service clearance, items outside their hall, and hot-/cold-aisle orientation.

``FloorItems`` holds every item's shapes (footprint, clearance zones, the aisle behind a rack,
probes off its faces) and finds the pairs near enough to interact, so that a moved item is
checked against its neighbourhood only. The checks yield ``(key, violation, items)``: the key
names the finding, so that a re-check of a moved item can drop exactly its old findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from twin.model.checks.base import TOL_M, CheckOptions, Violation, rack_locs
from twin.model.checks.shapes import bbox, hits, hits_idx, rack_boxes, rect_quads
from twin.model.errors import field_path
from twin.model.geometry import footprints

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: (key, violation, indices of the floor items it concerns)
Finding = tuple[tuple, Violation, tuple[int, ...]]


def _clearances_m(fac: Facility, opt: CheckOptions) -> tuple[np.ndarray, np.ndarray]:
    """(H,) front and rear service clearance of each hall: the options', else the hall's."""
    halls = fac.layout.halls
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
    return cf, cr


class FloorItems:
    """Racks, then air units, then CDUs of a facility as one indexed set of floor items, with
    their poses and shapes (refreshed for moved items by ``refresh``)."""

    def __init__(self, fac: Facility, options: CheckOptions):
        self.fac = fac
        self.options = options
        self.n_rack = fac.n_racks
        self.n_air = len(fac.air_unit_ids)
        self.ids = list(fac.rack_ids) + list(fac.air_unit_ids) + list(fac.cdu_ids)
        self.loc = (
            rack_locs(fac)
            + [("cooling", "air_units", i) for i in range(self.n_air)]
            + [("cooling", "cdus", i) for i in range(len(fac.cdu_ids))]
        )
        self.hall = np.concatenate([fac.rack_hall, fac.air_unit_hall, fac.cdu_hall]).astype(int)
        self.wd = np.concatenate(
            [fac.rack_size_m[:, :2], fac.air_unit_size_m[:, :2], fac.cdu_size_m[:, :2]]
        ).reshape(-1, 2)
        self.radius = 0.5 * np.hypot(self.wd[:, 0], self.wd[:, 1])
        cf, cr = _clearances_m(fac, options)
        self.cf = cf[self.hall[: self.n_rack]]
        self.cr = cr[self.hall[: self.n_rack]]
        self.reach = max(float(cf.max(initial=0)), float(cr.max(initial=0)), options.aisle_m) + 0.01
        self.hall_rect = np.concatenate(
            [np.zeros_like(fac.hall_size_m[:, :2]), fac.hall_size_m[:, :2]], axis=1
        )
        cont = fac.layout.cooling.containment
        self.cont_quads = rect_quads(np.array([c.rect_m for c in cont], dtype=float))
        self.cont_kind = np.array([c.kind for c in cont], dtype=object)
        self.cont_hall = np.array([fac.hall_index[c.hall] for c in cont], dtype=int)
        n = len(self.ids)
        self.center = np.zeros((n, 2))
        self.rot = np.zeros(n)
        self.front = np.zeros((n, 2))
        self.corners = np.zeros((n, 4, 2))
        self.zones = np.full((3, self.n_rack, 4, 2), np.nan)  # front, rear, aisle behind
        self.bb = np.zeros((n, 4))
        self.zone_bb = np.zeros((3, self.n_rack, 4))
        self.probes = np.zeros((2, self.n_rack, 4, 2))  # 0.3 m off the rear and front faces
        self.refresh(np.arange(n))

    def refresh(self, items: np.ndarray) -> None:
        """Copy poses of floor items from the facility and recompute their shapes."""
        fac = self.fac
        nr, na = self.n_rack, self.n_air
        r = items[items < nr]
        a = items[(items >= nr) & (items < nr + na)] - nr
        c = items[items >= nr + na] - nr - na
        self.center[r] = fac.rack_center_m[r, :2]
        self.rot[r] = fac.rack_rotation_deg[r]
        self.front[r] = fac.rack_front_xy[r]
        self.center[a + nr] = fac.air_unit_center_m[a, :2]
        self.rot[a + nr] = fac.air_unit_rotation_deg[a]
        self.center[c + nr + na] = fac.cdu_center_m[c, :2]
        self.rot[c + nr + na] = fac.cdu_rotation_deg[c]
        u = items[items >= nr]
        if len(u):
            self.corners[u] = footprints(self.center[u], self.wd[u], self.rot[u])
        if len(r):
            self._rack_shapes(r)
        self.bb[items] = bbox(self.corners[items])

    def _rack_shapes(self, r: np.ndarray) -> None:
        """Every box of a rack lies along its depth axis: footprint, front and rear clearance,
        the aisle behind, and 0.3 m probes off the rear and front faces."""
        half = self.wd[r, 1] / 2
        aisle = np.full(len(r), self.options.aisle_m)
        probe = np.full(len(r), 0.3)
        along = np.stack(
            [
                np.zeros(len(r)),
                half + self.cf[r] / 2,
                -(half + self.cr[r] / 2),
                -(half + aisle / 2),
                -(half + 0.15),
                half + 0.15,
            ],
            axis=1,
        )
        depth = np.stack([2 * half, self.cf[r], self.cr[r], aisle, probe, probe], axis=1)
        boxes = rack_boxes(self.center[r], self.wd[r, 0], self.front[r], along, depth)
        self.corners[r] = boxes[:, 0]
        self.zones[:, r] = boxes[:, 1:4].transpose(1, 0, 2, 3)
        self.probes[:, r] = boxes[:, 4:6].transpose(1, 0, 2, 3)
        self.zone_bb[:, r] = bbox(self.zones[:, r])

    def candidates(self, subject: np.ndarray, full: bool) -> np.ndarray:
        """(K, 2) unordered pairs (i, j), i != j, close enough to interact, each pair once,
        every pair containing a subject item."""
        c, rad = self.center, self.radius
        if full:
            if len(c) < 2:
                return np.zeros((0, 2), dtype=np.int64)
            pairs = cKDTree(c).query_pairs(2 * rad.max() + self.reach, output_type="ndarray")
        else:
            d = np.hypot(c[subject, None, 0] - c[None, :, 0], c[subject, None, 1] - c[None, :, 1])
            near = d <= rad[subject, None] + rad[None, :] + self.reach
            si, j = np.nonzero(near)
            i = subject[si]
            is_subject = np.zeros(len(c), dtype=bool)
            is_subject[subject] = True
            keep = (i != j) & (~is_subject[j] | (i < j))  # a pair of two subjects once
            pairs = np.sort(np.stack([i[keep], j[keep]], axis=1), axis=1)
        pairs = pairs.astype(np.int64).reshape(-1, 2)
        same = self.hall[pairs[:, 0]] == self.hall[pairs[:, 1]]
        pairs = pairs[same]
        # exact radius filter so full and incremental see the same pairs
        d = np.hypot(*(c[pairs[:, 0]] - c[pairs[:, 1]]).T)
        return pairs[d <= rad[pairs[:, 0]] + rad[pairs[:, 1]] + self.reach]


# ---------------------------------------------------------------------- pairs of items
def geometry_findings(fl: FloorItems, subject: np.ndarray, full: bool) -> Iterator[Finding]:
    """Every geometric finding that involves a subject item: pairs first (overlap, clearance,
    exhaust into an intake), then the subject items on their own."""
    pairs = fl.candidates(subject, full)
    i, j = pairs[:, 0], pairs[:, 1]
    yield from _overlaps(fl, i, j)
    # directed pairs: a rack's zones against the other item's footprint
    di = np.concatenate([i, j])
    dj = np.concatenate([j, i])
    is_rack = di < fl.n_rack
    di, dj = di[is_rack], dj[is_rack]
    if fl.options.clearance:
        yield from _in_clearance(fl, di, dj)
    if fl.options.orientation:
        yield from _exhausts(fl, di, dj)
    yield from _item_findings(fl, subject)


def _overlaps(fl: FloorItems, i: np.ndarray, j: np.ndarray) -> Iterator[Finding]:
    ids, locs = fl.ids, fl.loc
    for k in np.flatnonzero(hits_idx(fl.corners, fl.bb, i, fl.corners, fl.bb, j)):
        a, b = int(i[k]), int(j[k])
        yield (
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


def _in_clearance(fl: FloorItems, di: np.ndarray, dj: np.ndarray) -> Iterator[Finding]:
    """Items standing in the front or rear service clearance of rack ``di``."""
    ids, locs = fl.ids, fl.loc
    for z, side, depth in ((0, "front", fl.cf), (1, "rear", fl.cr)):
        zone_ok = depth[di] > 0
        hit = np.zeros(len(di), dtype=bool)
        hit[zone_ok] = hits_idx(
            fl.zones[z], fl.zone_bb[z], di[zone_ok], fl.corners, fl.bb, dj[zone_ok]
        )
        for k in np.flatnonzero(hit):
            a, b = int(di[k]), int(dj[k])
            yield (
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


def _exhausts(fl: FloorItems, di: np.ndarray, dj: np.ndarray) -> Iterator[Finding]:
    """A rack behind ``a`` facing the same way draws in ``a``'s exhaust."""
    ids, locs = fl.ids, fl.loc
    both = dj < fl.n_rack
    pa, pb = di[both], dj[both]
    same_way = np.einsum("kj,kj->k", fl.front[pa], fl.front[pb]) > 0.5
    pa, pb = pa[same_way], pb[same_way]
    for k in np.flatnonzero(hits_idx(fl.zones[2], fl.zone_bb[2], pa, fl.corners, fl.bb, pb)):
        a, b = int(pa[k]), int(pb[k])
        yield (
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


# ---------------------------------------------------------------------- items on their own
def _outside_rect(bb: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """Bounding boxes ``bb`` that reach beyond rectangles ``rr`` (both ``[x0, y0, x1, y1]``)."""
    return (
        (bb[:, 0] < rr[:, 0] - TOL_M)
        | (bb[:, 1] < rr[:, 1] - TOL_M)
        | (bb[:, 2] > rr[:, 2] + TOL_M)
        | (bb[:, 3] > rr[:, 3] + TOL_M)
    )


def _item_findings(fl: FloorItems, subject: np.ndarray) -> Iterator[Finding]:
    """Subject items outside their hall; racks whose clearance runs into a wall or that
    exhaust into a cold aisle or draw from a hot aisle."""
    ids, locs = fl.ids, fl.loc
    rect = fl.hall_rect[fl.hall[subject]]
    b = np.concatenate([fl.corners[subject].min(axis=1), fl.corners[subject].max(axis=1)], axis=1)
    hall_ids = fl.fac.hall_ids
    for k in np.flatnonzero(_outside_rect(b, rect)):
        s = int(subject[k])
        yield (
            ("outside", s),
            Violation(
                "outside",
                "error",
                f"{ids[s]!r} lies outside hall {hall_ids[fl.hall[s]]!r}",
                (ids[s],),
                field_path(locs[s] + ("position_m",)),
            ),
            (s,),
        )
    racks = subject[subject < fl.n_rack]
    if not len(racks):
        return
    if fl.options.clearance:
        yield from _clearance_into_wall(fl, racks)
    if fl.options.orientation and len(fl.cont_quads):
        yield from _against_containment(fl, racks)


def _clearance_into_wall(fl: FloorItems, racks: np.ndarray) -> Iterator[Finding]:
    ids, locs = fl.ids, fl.loc
    rect = fl.hall_rect[fl.hall[racks]]
    for z, side, depth in ((0, "front", fl.cf), (1, "rear", fl.cr)):
        q = fl.zones[z, racks]
        zb = np.concatenate([q.min(axis=1), q.max(axis=1)], axis=1)
        bad = _outside_rect(zb, rect) & (depth[racks] > 0)
        for k in np.flatnonzero(bad):
            s = int(racks[k])
            yield (
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


def _against_containment(fl: FloorItems, racks: np.ndarray) -> Iterator[Finding]:
    """Racks exhausting into a cold-aisle containment or drawing from a hot-aisle one."""
    ids, locs = fl.ids, fl.loc
    rear, front = fl.probes[0, racks], fl.probes[1, racks]
    for box, bad_kind, verb in (
        (rear, "cold-aisle", "exhausts into"),
        (front, "hot-aisle", "draws its intake from"),
    ):
        cs = np.flatnonzero(fl.cont_kind == bad_kind)
        if not len(cs):
            continue
        rr, cc = np.meshgrid(np.arange(len(racks)), cs, indexing="ij")
        rr, cc = rr.ravel(), cc.ravel()
        keep = fl.cont_hall[cc] == fl.hall[racks[rr]]
        rr, cc = rr[keep], cc[keep]
        for k in np.flatnonzero(hits(box[rr], fl.cont_quads[cc])):
            s, c = int(racks[rr[k]]), int(cc[k])
            cid = fl.fac.layout.cooling.containment[c].id
            yield (
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


def row_orientation(fl: FloorItems) -> list[Violation]:
    """Racks facing against the clear majority of their row."""
    out: list[Violation] = []
    fac = fl.fac
    if not fl.options.orientation or fac.n_racks == 0:
        return out
    n_rows = len(fac.row_ids)
    front = fl.front[: fl.n_rack]
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
        out.append(
            Violation(
                "orientation",
                "warning",
                f"rack {fac.rack_ids[r]!r} faces the opposite way to its row "
                f"{fac.row_ids[row[r]]!r}",
                (fac.rack_ids[r],),
                field_path(fl.loc[r] + ("rotation_deg",)),
            )
        )
    return out
