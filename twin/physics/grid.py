"""The voxelised hall: which cells hold air, which faces are open, and where air enters and
leaves the room (the "ports").

The grid is regular with cubic cells of side ``cell_m``; cell (i, j, k) has its centre at
``origin_m + (i + 0.5, j + 0.5, k + 0.5) * cell_m`` in hall-local metres (z up from the floor
surface). Velocities live on the cell faces (a staggered "MAC" grid): ``x`` faces have shape
(nx + 1, ny, nz), face i lies between cells i - 1 and i; likewise for y and z.

Racks, air units and CDUs are solid blocks. Air crosses solid or boundary faces only through
ports, each with a fixed volume flow: rack fronts (out of the room), rack rears (back in,
heated), floor tiles and ceiling diffusers, air-unit discharges, air-unit intakes and return
grilles. Containment panels close faces between two air cells; they leak a little (conductance
``PANEL_LEAK``), as real panels do, so that an aisle sealed by panels stays solvable whatever
its racks draw. Walls are adiabatic and closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse.csgraph import connected_components

from twin.model.containment import ducted_to_ceiling
from twin.model.facility import Facility
from twin.physics.cells import DEFAULT_CELL_M, cell_problem, grid_shape

#: Relative conductance of a containment panel (share of an open face's): real panels leak.
PANEL_LEAK = 0.02
#: Discharge coefficient of a thin sharp-edged orifice (a panel's seams and cut-outs).
ORIFICE_CD = 0.61
#: Velocity through a panel at which its linear resistance matches the orifice's loss
#: (a contained aisle's leak: 1.7 m3/s through 9 m2 of doors and roof is 0.19 m/s).
PANEL_U_REF_MS = 0.2


def panel_faces(conductance: np.ndarray) -> np.ndarray:
    """Which faces of one axis' conductances (``Grid.gx`` and kin) are containment panels:
    partly open (0 < g < 1), where open faces are 1 and closed ones 0."""
    return (conductance > 0) & (conductance < 1)


def panel_loss_k(open_fraction: float | np.ndarray = PANEL_LEAK) -> float | np.ndarray:
    """The loss coefficient K of a thin plate ``open_fraction`` open (a sharp-edged orifice):
    it drops K (1/2) u^2 (kinematic) at u through the plate, linearised at ``PANEL_U_REF_MS``
    to K u_ref u / 2. The CFD references' porous panels and Twin's march both use it."""
    return 1.0 / (ORIFICE_CD * np.asarray(open_fraction, dtype=float)) ** 2


#: A cell belongs to a rack, unit, tile or vent when its centre, moved this far up the x and
#: y axes, lies inside the footprint: a footprint covers the cells of the half-open span
#: [x0, x1) whatever its rotation, and a panel standing at x closes the face before the first
#: cell past x (``first_cell_from``). Where edges fall on cell centres (a 0.6 m rack at
#: x = 1.5-2.1 m in 0.2 m cells) they used to count as inside at both ends, so a rack took
#: four cells (0.8 m), a 2.4 m tile run thirteen, and a containment door, placed by rounding
#: half to even, stood one cell inside the racks' row at one end and at its end at the other.
EDGE_NUDGE_M = 1e-7

# port kinds
RACK_FRONT, RACK_REAR, SUPPLY, UNIT_OUT, UNIT_IN, GRILLE = range(6)
PORT_KINDS = ("rack_front", "rack_rear", "supply", "unit_out", "unit_in", "grille")


class GridError(ValueError):
    """The hall cannot be voxelised as asked (bad cell size, no return path, too many cells)."""


@dataclass
class Ports:
    """Faces through which air enters (q > 0) or leaves (q < 0) the room, m3/s each.

    ``owner`` indexes racks (rack ports), supply regions (SUPPLY) or air units (UNIT_*);
    grille ports carry the grille index.
    """

    axis: np.ndarray  # (P,) 0, 1, 2
    face: np.ndarray  # (P,) flat index into that axis' face array
    cell: np.ndarray  # (P,) flat index of the air cell the port opens into
    sign: np.ndarray  # (P,) +1 when the face's positive axis direction points into the air cell
    kind: np.ndarray  # (P,) port kind
    owner: np.ndarray  # (P,) owner index within its kind
    q: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (P,) m3/s into the room


@dataclass
class Grid:
    """A voxelised hall. ``owner`` labels solids: -1 air, r < R rack r, R + a air unit a,
    R + A + c CDU c, R + A + C return ducts. See the module docstring for the face layout."""

    hall: int
    cell_m: float
    shape: tuple[int, int, int]
    origin_m: np.ndarray  # hall-local corner of cell (0, 0, 0): always (0, 0, 0)
    site_origin_m: np.ndarray  # where the hall's origin lies in the site
    owner: np.ndarray  # (nx, ny, nz) int32
    gx: np.ndarray  # (nx+1, ny, nz) face conductance in [0, 1]; 0 closed
    gy: np.ndarray
    gz: np.ndarray
    ports: Ports
    rack_ids: np.ndarray  # racks of this hall (facility indices)
    unit_ids: np.ndarray  # air units of this hall (facility indices)
    n_racks: int  # facility totals, for owner decoding
    n_units: int
    unit_flow_m3s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (A,) running flow
    unit_underfloor: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # (A,)
    uses_grilles: bool = False

    @property
    def fluid(self) -> np.ndarray:
        return self.owner < 0

    @property
    def n_cells(self) -> int:
        nx, ny, nz = self.shape
        return nx * ny * nz

    def centers(self, axis: int) -> np.ndarray:
        """Cell-centre coordinates along one axis, hall-local metres."""
        n = self.shape[axis]
        return self.origin_m[axis] + (np.arange(n) + 0.5) * self.cell_m

    def face_shape(self, axis: int) -> tuple[int, int, int]:
        s = list(self.shape)
        s[axis] += 1
        return tuple(s)  # type: ignore[return-value]

    def cell_at(self, xyz: np.ndarray) -> np.ndarray:
        """(N, 3) hall-local points -> (N, 3) clamped cell indices."""
        ijk = np.floor((np.asarray(xyz, float) - self.origin_m) / self.cell_m).astype(np.int64)
        return np.clip(ijk, 0, np.array(self.shape) - 1)


def _dominant(dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis (0 x, 1 y) and sign of the grid direction closest to each (dx, dy)."""
    ax = np.where(np.abs(dx) > np.abs(dy), 0, 1)
    sg = np.where(ax == 0, np.sign(dx), np.sign(dy)).astype(np.int64)
    sg[sg == 0] = 1
    return ax, sg


def _boxes(
    owner: np.ndarray,
    h: float,
    center: np.ndarray,
    size: np.ndarray,
    rot_deg: np.ndarray,
    labels: np.ndarray,
) -> None:
    """Mark the cells whose centres fall in each oriented box (footprint x height).

    Runs once per geometry; the loop is over blocks, each touching only its bounding box."""
    nx, ny, nz = owner.shape
    for c, s, r, lab in zip(center, size, rot_deg, labels, strict=True):
        t = np.deg2rad(r)
        ct, st = np.cos(t), np.sin(t)
        hw, hd = s[0] / 2, s[1] / 2
        ex = abs(hw * ct) + abs(hd * st)
        ey = abs(hw * st) + abs(hd * ct)
        i0, i1 = max(int(np.floor((c[0] - ex) / h)), 0), min(int(np.ceil((c[0] + ex) / h)), nx)
        j0, j1 = max(int(np.floor((c[1] - ey) / h)), 0), min(int(np.ceil((c[1] + ey) / h)), ny)
        k1 = min(max(int(round(s[2] / h)), 1), nz)
        if i1 <= i0 or j1 <= j0:
            continue
        xs = (np.arange(i0, i1) + 0.5) * h + EDGE_NUDGE_M - c[0]
        ys = (np.arange(j0, j1) + 0.5) * h + EDGE_NUDGE_M - c[1]
        lx = xs[:, None] * ct + ys[None, :] * st
        ly = -xs[:, None] * st + ys[None, :] * ct
        inside = (np.abs(lx) < hw) & (np.abs(ly) < hd)
        if not inside.any():  # smaller than a cell: keep the cell holding its centre
            ii = min(max(int(c[0] / h), 0), nx - 1)
            jj = min(max(int(c[1] / h), 0), ny - 1)
            owner[ii, jj, :k1] = lab
            continue
        sub = owner[i0:i1, j0:j1, :k1]
        sub[inside] = lab


def _face_ports(
    owner: np.ndarray,
    blocks: np.ndarray,
    axis: np.ndarray,
    sign: np.ndarray,
    label_base: int,
    zmax_cells: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Faces where the given solid blocks touch air in their direction (axis, sign).

    Returns (axis, face flat index, air cell flat index, sign into air, block) per face."""
    shape = owner.shape
    out = [np.zeros(0, np.int64) for _ in range(5)]
    parts: list[list[np.ndarray]] = [[] for _ in range(5)]
    top = int(owner.max(initial=-1)) + 1
    for a in (0, 1, 2):
        for s in (-1, 1):
            pick = blocks[(axis == a) & (sign == s)] + label_base
            if len(pick) == 0:
                continue
            sel = np.zeros(max(top, int(pick.max()) + 1), dtype=bool)
            sel[pick] = True
            solid = (owner >= 0) & sel[np.maximum(owner, 0)]
            air_cells = _air_beside(owner, solid, a, s)
            if len(air_cells) == 0:
                continue
            ijk = np.array(np.unravel_index(air_cells, shape))
            solid_ijk = ijk.copy()
            solid_ijk[a] -= s
            blk = owner[tuple(solid_ijk)] - label_base
            if zmax_cells is not None and a != 2:
                keep = ijk[2] < zmax_cells[blk]
                ijk, blk, air_cells = ijk[:, keep], blk[keep], air_cells[keep]
            face_ijk = ijk.copy()
            if s < 0:  # air is at lower index; face between air (i) and solid (i+1) is i+1
                face_ijk[a] += 1
            fshape = list(shape)
            fshape[a] += 1
            parts[0].append(np.full(len(air_cells), a))
            parts[1].append(np.ravel_multi_index(tuple(face_ijk), fshape))
            parts[2].append(air_cells)
            parts[3].append(np.full(len(air_cells), s))
            parts[4].append(blk)
    for n in range(5):
        if parts[n]:
            out[n] = np.concatenate(parts[n]).astype(np.int64)
    return out[0], out[1], out[2], out[3], out[4]


def _air_beside(owner: np.ndarray, solid: np.ndarray, a: int, s: int) -> np.ndarray:
    """Flat indices of the air cells whose neighbour against ``s`` along axis ``a`` is one
    of the ``solid`` cells."""
    nb = np.zeros_like(solid)
    src = [slice(None)] * 3
    dst = [slice(None)] * 3
    if s > 0:
        src[a], dst[a] = slice(0, -1), slice(1, None)
    else:
        src[a], dst[a] = slice(1, None), slice(0, -1)
    nb[tuple(dst)] = solid[tuple(src)]
    return np.flatnonzero((nb & (owner < 0)).ravel())


def first_cell_from(x_m: float, h: float) -> int:
    """Index of the first cell whose centre lies past ``x_m`` by the rasterising rule (see
    ``EDGE_NUDGE_M``): the face a panel standing at ``x_m`` closes, the same face that ends
    or starts a rack or tile row standing there."""
    return int(np.floor((x_m - EDGE_NUDGE_M) / h - 0.5)) + 1


def _rect_cells(h: float, shape, rect) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) index ranges of the cells whose centres fall in a floor rectangle."""
    x0, y0, x1, y1 = rect
    i = np.arange(shape[0])
    j = np.arange(shape[1])
    xi = (i + 0.5) * h + EDGE_NUDGE_M
    yj = (j + 0.5) * h + EDGE_NUDGE_M
    ii = i[(xi > x0) & (xi < x1)]
    jj = j[(yj > y0) & (yj < y1)]
    if len(ii) == 0:  # narrower than a cell: the nearest column
        ii = np.array([min(max(int((x0 + x1) / 2 / h), 0), shape[0] - 1)])
    if len(jj) == 0:
        jj = np.array([min(max(int((y0 + y1) / 2 / h), 0), shape[1] - 1)])
    return ii, jj


def build_grid(
    facility: Facility,
    hall: int = 0,
    cell_m: float = DEFAULT_CELL_M,
    failed: Iterable[str] = (),
    rack_airflow_m3s: np.ndarray | None = None,
    unit_flow_scale: np.ndarray | None = None,
) -> Grid:
    """Voxelise one hall and set every port's flow.

    ``failed`` names air units that supply nothing (as do units whose state is off);
    ``rack_airflow_m3s`` overrides the racks' nominal flows (facility index order);
    ``unit_flow_scale`` (per air unit, 0-1) throttles the units' fans."""
    if not 0 <= hall < len(facility.hall_ids):
        raise GridError(f"hall index {hall} out of range (the layout has {len(facility.hall_ids)})")
    problem = cell_problem(facility, hall, cell_m)
    if problem is not None:
        raise GridError(problem)
    b = _GridBuilder(facility, hall, float(cell_m))
    b.solids()
    b.open_faces()
    b.rack_ports(rack_airflow_m3s)
    b.unit_flows(failed, unit_flow_scale)
    b.unit_out_ports()
    b.supply_ports()
    if b.grilles:
        b.grille_ports()
    else:
        b.unit_in_ports()
    return b.grid()


class _PortList:
    """Ports as they are found, concatenated once at the end (order kept)."""

    def __init__(self) -> None:
        self.parts: list[list[np.ndarray]] = [[] for _ in range(7)]

    def add(self, a, f, c, s, kind, own, q) -> None:
        ax_l, face_l, cell_l, sign_l, kind_l, own_l, q_l = self.parts
        ax_l.append(np.asarray(a, np.int64))
        face_l.append(np.asarray(f, np.int64))
        cell_l.append(np.asarray(c, np.int64))
        sign_l.append(np.asarray(s, np.int64))
        kind_l.append(np.full(len(c), kind, np.int64))
        own_l.append(np.asarray(own, np.int64))
        q_l.append(np.asarray(q, float))

    def supplied_m3s(self) -> float:
        """The flow of the supply and unit-discharge ports found so far."""
        return sum(
            float(q.sum())
            for q, k in zip(self.parts[6], self.parts[4], strict=True)
            if len(k) and k[0] in (SUPPLY, UNIT_OUT)
        )

    def ports(self) -> Ports:
        ports = Ports(*(np.concatenate(x) if x else np.zeros(0, np.int64) for x in self.parts[:6]))
        q_l = self.parts[6]
        ports.q = np.concatenate(q_l) if q_l else np.zeros(0)
        return ports


class _GridBuilder:
    """The steps of ``build_grid`` for one hall: solids, open faces, then the ports of the
    racks, the air units, the supply regions and the returns."""

    def __init__(self, facility: Facility, hall: int, h: float):
        self.f, self.hall, self.h = facility, hall, h
        self.shape = grid_shape(facility.hall_size_m[hall], h)
        self.nR, self.nA = facility.n_racks, len(facility.air_unit_ids)
        self.racks = np.flatnonzero(facility.rack_hall == hall)
        self.units = np.flatnonzero(facility.air_unit_hall == hall)
        self.cdus = np.flatnonzero(facility.cdu_hall == hall)
        self.hid = facility.hall_ids[hall]
        self.lay = facility.layout
        self.ports = _PortList()
        self.grilles: list = []

    def solids(self) -> None:
        """Racks, air units and CDUs as solid blocks; the ducts above hot-aisle roofs."""
        f, h, nR, nA = self.f, self.h, self.nR, self.nA
        owner = self.owner = np.full(self.shape, -1, dtype=np.int32)
        for centre, size, rot, index, base in (
            (f.rack_center_m, f.rack_size_m, f.rack_rotation_deg, self.racks, 0),
            (f.air_unit_center_m, f.air_unit_size_m, f.air_unit_rotation_deg, self.units, nR),
            (f.cdu_center_m, f.cdu_size_m, f.cdu_rotation_deg, self.cdus, nR + nA),
        ):
            _boxes(owner, h, centre[index], size[index], rot[index], base + index)
        self.grilles = self._return_vents()
        for v in self.grilles:
            if getattr(v, "top_k", self.shape[2]) < self.shape[2]:  # the duct above is solid
                ii, jj = _rect_cells(h, self.shape, v.rect_m)
                duct = owner[np.ix_(ii, jj, [v.top_k])]
                duct[duct < 0] = nR + nA + len(f.cdu_ids)
                owner[np.ix_(ii, jj, [v.top_k])] = duct

    def _return_vents(self) -> list:
        grilles: list = [g for g in self.lay.cooling.returns if g.hall == self.hid]
        if grilles:
            return grilles
        # a hall without return grilles but with roofed hot aisles: each roof is ducted to
        # the units' return (a ceiling plenum), as hot-aisle containment is built; without
        # this the aisle could shed its air only by leaking it back into the rack fronts
        h, nz = self.h, self.shape[2]
        return [
            _Vent(c.id, c.rect_m, "roof", min(max(int(round(c.height_m / h)), 1), nz))
            for c in self.lay.cooling.containment
            if c.hall == self.hid and c.kind == "hot-aisle" and c.roof
        ]

    def open_faces(self) -> None:
        """Open faces: interior faces between two air cells, less containment panels."""
        shape = self.shape
        fluid = self.fluid = self.owner < 0
        gx = self.gx = np.zeros((shape[0] + 1, shape[1], shape[2]))
        gy = self.gy = np.zeros((shape[0], shape[1] + 1, shape[2]))
        gz = self.gz = np.zeros((shape[0], shape[1], shape[2] + 1))
        gx[1:-1] = fluid[1:] & fluid[:-1]
        gy[:, 1:-1] = fluid[:, 1:] & fluid[:, :-1]
        gz[:, :, 1:-1] = fluid[:, :, 1:] & fluid[:, :, :-1]
        _containment(self.f, self.hall, self.h, shape, gx, gy, gz)

    def rack_ports(self, rack_airflow_m3s) -> None:
        """Each rack draws its flow through its front face and returns it at its rear. A rack
        whose front or rear meets no air (flush against a wall, or past the hall's edge) moves
        none: its rear used to blow the air its front could not draw, out of nothing (the
        solve then failed its own mass balance)."""
        f, nR = self.f, self.nR
        flow_r = (
            f.rack_airflow_m3s if rack_airflow_m3s is None else np.asarray(rack_airflow_m3s, float)
        )
        fr = f.rack_front_xy[self.racks]
        a_f, s_f = _dominant(fr[:, 0], fr[:, 1])
        rz = np.maximum(np.round(f.rack_size_m[:, 2] / self.h).astype(np.int64), 1)
        sides = []
        for kind, sgn in ((RACK_FRONT, 1), (RACK_REAR, -1)):
            a, fc, c, s, b = _face_ports(self.owner, self.racks, a_f, sgn * s_f, 0, rz)
            sides.append((kind, a, fc, c, s, b, np.bincount(b, minlength=nR).astype(float)))
        moves = (sides[0][-1] > 0) & (sides[1][-1] > 0)
        for kind, a, fc, c, s, b, cnt in sides:
            q = np.where(moves[b], flow_r[b] / np.maximum(cnt[b], 1), 0.0)
            self.ports.add(a, fc, c, s, kind, b, q if kind == RACK_REAR else -q)

    def unit_flows(self, failed: Iterable[str], unit_flow_scale) -> None:
        """Each air unit's flow (failed and off units none, fans scaled), how it discharges
        and takes air in."""
        f, units = self.f, self.units
        failed = set(failed)
        unknown = failed - set(f.air_unit_ids) - set(f.cdu_ids)
        if unknown:
            raise GridError(f"unknown unit(s) to fail: {', '.join(sorted(unknown))}")
        on = f.air_unit_on.copy()
        for u in failed:
            if u in f.air_unit_index:
                on[f.air_unit_index[u]] = False
        unit_flow = f.air_unit_airflow_m3s * on
        if unit_flow_scale is not None:
            scale = np.asarray(unit_flow_scale, float)
            if scale.shape != unit_flow.shape or not np.all((scale >= 0) & (scale <= 1.5)):
                raise GridError(
                    f"unit_flow_scale must hold {len(unit_flow)} fan speeds between 0 and 1.5"
                )
            unit_flow = unit_flow * scale
        self.unit_flow = unit_flow
        disc = np.array([f.air_unit_discharge[u] for u in units], dtype=object)
        self.intake = np.array([f.air_unit_intake[u] for u in units], dtype=object)
        self.supplies = [s for s in self.lay.cooling.supplies if s.hall == self.hid]
        # underfloor units without any tile to feed blow out of their front instead
        if not self.supplies:
            disc = np.where(disc == "underfloor", "front", disc)
        self.disc = disc
        self.uf = units[disc == "underfloor"]
        ufr = f.air_unit_front_xy[units]
        self.ua, self.us = _dominant(ufr[:, 0], ufr[:, 1])
        self.uz = np.maximum(np.round(f.air_unit_size_m[:, 2] / self.h).astype(np.int64), 1)

    def _unit_faces(self, m, sel_a, sel_s, kind: int, flow: np.ndarray) -> None:
        """Ports on the faces of the units ``m`` (axis, sign per unit), ``flow`` per unit
        shared over each unit's faces."""
        a, fc, c, s, b = _face_ports(
            self.owner, self.units[m], sel_a[m], sel_s[m], self.nR, self.uz
        )
        cnt = np.bincount(b, minlength=self.nA).astype(float)
        self.ports.add(a, fc, c, s, kind, b, flow[b] / np.maximum(cnt[b], 1))

    def unit_out_ports(self) -> None:
        n = len(self.units)
        for mode, sel_a, sel_s in (
            ("front", self.ua, self.us),
            ("ceiling", np.full(n, 2), np.ones(n, np.int64)),
        ):
            m = self.disc == mode
            if m.any():
                self._unit_faces(m, sel_a, sel_s, UNIT_OUT, self.unit_flow)

    def supply_ports(self) -> None:
        """Floor tiles and ceiling diffusers: their own flow, or the underfloor units' flow
        shared by open area."""
        shape, supplies = self.shape, self.supplies
        uf_flow = self.unit_flow[self.uf].sum()
        open_area = np.array(
            [
                (s.rect_m[2] - s.rect_m[0]) * (s.rect_m[3] - s.rect_m[1]) * s.open_fraction
                for s in supplies
            ]
        )
        shared = np.array([s.flow_m3s is None for s in supplies], dtype=bool)
        for n, s in enumerate(supplies):
            k = 0 if s.kind == "floor" else shape[2] - 1
            ci, cj = self._air_columns(s.rect_m, k)
            if len(ci) == 0:  # its air would go nowhere: 16 m3/s of tiles under racks once did
                where = "floor" if s.kind == "floor" else "ceiling"
                raise GridError(
                    f"supply {s.id}: no cell of its {where} rectangle {list(s.rect_m)} m is "
                    f"open to the air at the {where} (racks, air units or the hall's edge "
                    "cover it): it could supply none; move it or what stands on it"
                )
            if s.flow_m3s is not None:
                total = s.flow_m3s
            else:
                total = uf_flow * open_area[n] / max(open_area[shared].sum(), 1e-12)
            cells = np.ravel_multi_index((ci, cj, np.full(len(ci), k)), shape)
            fk = 0 if s.kind == "floor" else shape[2]
            faces = np.ravel_multi_index((ci, cj, np.full(len(ci), fk)), self.gz.shape)
            self.ports.add(
                np.full(len(ci), 2),
                faces,
                cells,
                np.full(len(ci), 1 if k == 0 else -1),
                SUPPLY,
                np.full(len(ci), n),
                np.full(len(ci), total / len(ci)),
            )

    def _air_columns(self, rect, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(i, j) of the air cells of layer ``k`` under a floor rectangle."""
        ii, jj = _rect_cells(self.h, self.shape, rect)
        ci, cj = np.meshgrid(ii, jj, indexing="ij")
        ci, cj = ci.ravel(), cj.ravel()
        air = self.fluid[ci, cj, np.full(len(ci), k)]
        return ci[air], cj[air]

    def grille_ports(self) -> None:
        """Return grilles take back what is supplied, shared by area."""
        grilles, shape = self.grilles, self.shape
        supply_total = self.ports.supplied_m3s()
        areas = np.array(
            [(g.rect_m[2] - g.rect_m[0]) * (g.rect_m[3] - g.rect_m[1]) for g in grilles]
        )
        for n, g in enumerate(grilles):
            if g.kind in ("ceiling", "roof"):
                top = shape[2] if g.kind == "ceiling" else g.top_k
                ci, cj = self._air_columns(g.rect_m, top - 1)
                ck = np.full(len(ci), top - 1)
                faces = np.ravel_multi_index((ci, cj, np.full(len(ci), top)), self.gz.shape)
                axes = np.full(len(ci), 2)
                signs = np.full(len(ci), -1)
            else:  # wall grille: the upper third of the nearest hall wall along the rect
                ii, jj = _rect_cells(self.h, shape, g.rect_m)
                ci, cj, ck, axes, faces, signs = _wall_grille(self.h, shape, self.fluid, ii, jj)
            if len(ci) == 0:
                raise GridError(f"return grille {g.id} covers no air cell")
            cells = np.ravel_multi_index((ci, cj, ck), shape)
            total = supply_total * areas[n] / areas.sum()
            self.ports.add(
                axes,
                faces,
                cells,
                signs,
                GRILLE,
                np.full(len(ci), n),
                np.full(len(ci), -total / len(ci)),
            )

    def unit_in_ports(self) -> None:
        """No grilles: the running units take back what is supplied, by their airflow."""
        units, n = self.units, len(self.units)
        supply_total = self.ports.supplied_m3s()
        run = self.unit_flow[units]
        if supply_total > 0 and run.sum() <= 0:
            raise GridError(
                f"hall {self.hid}: air is supplied but nothing takes it back (no return grille "
                "and no running air unit)"
            )
        share = np.zeros(self.nA)
        share[units] = run / max(run.sum(), 1e-12) * supply_total
        top = self.intake == "top"
        # a unit discharging through its top takes air in through its rear
        top &= self.disc != "ceiling"
        for m, sel_a, sel_s in (
            (top, np.full(n, 2), np.ones(n, np.int64)),
            (~top, self.ua, -self.us),
        ):
            if m.any():
                self._unit_faces(m, sel_a, sel_s, UNIT_IN, -share)

    def grid(self) -> Grid:
        ports = self.ports.ports()
        # a port face opens into the air cell: it must not be counted as an open interior face
        for a, g in enumerate((self.gx, self.gy, self.gz)):
            sel = ports.axis == a
            g.ravel()[ports.face[sel]] = 0.0
        f, hall = self.f, self.hall
        grid = Grid(
            hall=hall,
            cell_m=self.h,
            shape=self.shape,
            origin_m=np.zeros(3),
            site_origin_m=np.array([*f.hall_origin_m[hall], 0.0]),
            owner=self.owner,
            gx=self.gx,
            gy=self.gy,
            gz=self.gz,
            ports=ports,
            rack_ids=self.racks,
            unit_ids=self.units,
            n_racks=self.nR,
            n_units=self.nA,
        )
        grid.unit_flow_m3s = self.unit_flow
        grid.unit_underfloor = np.zeros(self.nA, dtype=bool)
        grid.unit_underfloor[self.uf] = True
        grid.uses_grilles = bool(self.grilles)
        _balance_components(grid)
        return grid


@dataclass
class _Vent:
    """A return opening the layout implies: the roof of a hot aisle, at face ``top_k``."""

    id: str
    rect_m: tuple
    kind: str
    top_k: int


def _wall_grille(h, shape, fluid, ii, jj):
    """Cells of the upper third of the hall wall nearest to a wall grille's rectangle."""
    nx, ny, nz = shape
    d = {"x0": ii.min(), "x1": nx - 1 - ii.max(), "y0": jj.min(), "y1": ny - 1 - jj.max()}
    side = min(d, key=d.get)
    ks = np.arange(nz - max(nz // 3, 1), nz)
    if side in ("x0", "x1"):
        i = 0 if side == "x0" else nx - 1
        cj, ck = np.meshgrid(jj, ks, indexing="ij")
        ci = np.full(cj.size, i)
        cj, ck = cj.ravel(), ck.ravel()
        axis, fi, sg = 0, (0 if side == "x0" else nx), (1 if side == "x0" else -1)
        fidx = (np.full(cj.size, fi), cj, ck)
        fshape = (nx + 1, ny, nz)
    else:
        j = 0 if side == "y0" else ny - 1
        ci, ck = np.meshgrid(ii, ks, indexing="ij")
        ci, ck = ci.ravel(), ck.ravel()
        cj = np.full(ci.size, j)
        axis, fj, sg = 1, (0 if side == "y0" else ny), (1 if side == "y0" else -1)
        fidx = (ci, np.full(ci.size, fj), ck)
        fshape = (nx, ny + 1, nz)
    air = fluid[ci, cj, ck]
    faces = np.ravel_multi_index(tuple(x[air] for x in fidx), fshape)
    return ci[air], cj[air], ck[air], np.full(air.sum(), axis), faces, np.full(air.sum(), sg)


def _containment(facility: Facility, hall: int, h: float, shape, gx, gy, gz) -> None:
    """Close the faces under each containment panel (to PANEL_LEAK). Long sides always,
    short ends if ``doors``, the top if ``roof``. A roofed hot aisle under a ceiling grille is
    ducted to it (walls up to the grille, no roof); in a hall without grilles its roof is
    the return (see ``build_grid``)."""
    hid = facility.hall_ids[hall]
    nx, ny, nz = shape
    returns = facility.layout.cooling.returns
    for c in facility.layout.cooling.containment:
        if c.hall != hid:
            continue
        x0, y0, x1, y1 = c.rect_m
        kz = min(max(int(round(c.height_m / h)), 1), nz)
        roof = c.roof
        if ducted_to_ceiling(c, returns):
            # a chimney whose walls reach the ceiling, open at the top to the grille
            kz, roof = nz, False

        i0, i1 = first_cell_from(x0, h), first_cell_from(x1, h)
        j0, j1 = first_cell_from(y0, h), first_cell_from(y1, h)
        i0, i1 = np.clip([i0, i1], 0, nx)
        j0, j1 = np.clip([j0, j1], 0, ny)
        long_x = (x1 - x0) >= (y1 - y0)
        walls_y = [j0, j1] if long_x else []
        walls_x = [] if long_x else [i0, i1]
        if c.doors:
            if long_x:
                walls_x = [i0, i1]
            else:
                walls_y = [j0, j1]
        for jf in walls_y:
            sub = gy[i0:i1, jf, :kz]
            sub[sub > 0] = PANEL_LEAK
        for i_f in walls_x:
            sub = gx[i_f, j0:j1, :kz]
            sub[sub > 0] = PANEL_LEAK
        if roof and kz < nz:
            sub = gz[i0:i1, j0:j1, kz]
            sub[sub > 0] = PANEL_LEAK


def _balance_components(grid: Grid) -> None:
    """Make every connected body of air take in what it gives out.

    By construction supplies equal returns and each rack's front equals its rear; but a pocket
    of air cut off by solids (a rack front against a wall) could hold a port with no way out.
    There the larger side is scaled down to the smaller (a blocked rack moves no air)."""
    nx, ny, nz = grid.shape
    n = nx * ny * nz
    rows, cols = [], []
    idx = np.arange(n).reshape(grid.shape)
    for a, g in enumerate((grid.gx, grid.gy, grid.gz)):
        sl_lo = [slice(None)] * 3
        sl_hi = [slice(None)] * 3
        sl_lo[a], sl_hi[a] = slice(0, -1), slice(1, None)
        inner = [slice(None)] * 3
        inner[a] = slice(1, -1)
        m = g[tuple(inner)] > 0
        rows.append(idx[tuple(sl_lo)][m])
        cols.append(idx[tuple(sl_hi)][m])
    from scipy.sparse import coo_matrix

    r = np.concatenate(rows)
    c = np.concatenate(cols)
    adj = coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
    ncomp, label = connected_components(adj, directed=False)
    p = grid.ports
    if len(p.q) == 0:
        return
    comp = label[p.cell]
    pos = np.bincount(comp, np.maximum(p.q, 0), minlength=ncomp)
    neg = np.bincount(comp, np.maximum(-p.q, 0), minlength=ncomp)
    scale_pos = np.where(pos > neg, neg / np.maximum(pos, 1e-300), 1.0)
    scale_neg = np.where(neg > pos, pos / np.maximum(neg, 1e-300), 1.0)
    p.q = np.where(p.q > 0, p.q * scale_pos[comp], p.q * scale_neg[comp])
