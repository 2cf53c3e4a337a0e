"""An OpenFOAM polyMesh written straight from Twin's voxel grid.

The CFD reference must see the same room as the model: the same racks, units, ports and
containment panels. Building the mesh from :func:`twin.physics.grid.build_grid` at the CFD
cell size guarantees that, and needs no blockMesh/topoSet/subsetMesh pipeline: every air cell
becomes a hexahedron, every face between two air cells an internal face, and every face where
air meets a solid or a wall a boundary face, grouped into patches by what it is (a rack's
front or rear, a supply region, an air unit's discharge or intake, a return grille, or wall).

Containment panels close faces between two air cells. Twin gives them a conductance of
``PANEL_LEAK`` of an open face. The mesh models them one of two ways:

- ``panels="porous"`` (the references'): every panel face stays open and the cells on both
  sides of it form a porous layer (cell zones ``panel_x``, ``panel_z``, ``panel_xz``... by
  the normals of the panel faces they touch) that resists flow along those normals only, as
  a plate that is ``PANEL_LEAK`` open does (``foam_case`` writes the resistance, and holds
  the layers' turbulence still so that no eddy mixes heat through them: ``PANEL_K``). A real
  panel leaks through door seams, joints and cut-outs a few millimetres wide, spread over
  it and spent within centimetres: evenly per unit area, because the panel's resistance
  (the contained room's aisle sits 90 Pa below the room) dwarfs the few pascals the air
  inside the aisle varies by.
- ``panels="slots"``: the same share of each panel's faces is left open (slots spread evenly
  over the panel's plane) and the rest become baffles (a wall face on each side). A slot is
  a whole mesh face: its jet (~10 m/s through a 0.15 m face) reaches metres into the aisle,
  and where the slots fall decides which racks it reaches. The contained room's two meshes
  ranked its racks at 0.12 against each other that way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twin.physics.grid import (
    GRILLE,
    RACK_FRONT,
    RACK_REAR,
    SUPPLY,
    UNIT_IN,
    UNIT_OUT,
    Grid,
    panel_faces,
)

#: Patch-name prefix per port kind (index = port kind).
PORT_PREFIX = {
    RACK_FRONT: "rf",
    RACK_REAR: "rr",
    SUPPLY: "sup",
    UNIT_OUT: "uo",
    UNIT_IN: "ui",
    GRILLE: "gr",
}
WALL = "wall"


@dataclass
class FoamMesh:
    """A polyMesh in memory: hexahedral cells, faces as 4 point labels, patches in order."""

    points: np.ndarray  # (P, 3) metres
    faces: np.ndarray  # (F, 4) point labels, internal faces first, then patch by patch
    owner: np.ndarray  # (F,)
    neighbour: np.ndarray  # (N_internal,)
    patches: list[tuple[str, str, int, int]]  # (name, type, nFaces, startFace)
    cell_flat: np.ndarray  # (C,) flat grid index of each OpenFOAM cell
    patch_ports: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (kind, owner)
    zones: dict[str, np.ndarray] = field(default_factory=dict)  # cell zone name -> cell labels

    @property
    def n_cells(self) -> int:
        return len(self.cell_flat)


def _quad(a: int, lat: tuple[int, int, int], i, j, k) -> np.ndarray:
    """Lattice point labels of the faces normal to axis ``a`` at (i, j, k), ordered so that
    the right-hand normal points along +a."""
    ny1, nz1 = lat[1], lat[2]

    def L(ii, jj, kk):
        return (ii * ny1 + jj) * nz1 + kk

    if a == 0:
        return np.stack([L(i, j, k), L(i, j + 1, k), L(i, j + 1, k + 1), L(i, j, k + 1)], 1)
    if a == 1:
        return np.stack([L(i, j, k), L(i, j, k + 1), L(i + 1, j, k + 1), L(i + 1, j, k)], 1)
    return np.stack([L(i, j, k), L(i + 1, j, k), L(i + 1, j + 1, k), L(i, j + 1, k)], 1)


def _spread_targets(n: int, w: float, h: float) -> np.ndarray:
    """``n`` points spread evenly over a ``w`` by ``h`` rectangle: near-square strata in rows
    (row counts differing by at most one), each point at its stratum's centre."""
    nu = min(max(int(round(np.sqrt(n * w / h))), 1), n)
    nv = -(-n // nu)
    counts = np.full(nv, n // nv) + (np.arange(nv) < n % nv)
    return np.array(
        [
            ((c + 0.5) * w / cnt, (r + 0.5) * h / nv)
            for r, cnt in enumerate(counts)
            for c in range(cnt)
        ]
    )


def _panel_open(g: np.ndarray, both: np.ndarray, a: int) -> np.ndarray:
    """Which panel faces (0 < g < 1 between two air cells, normal to axis ``a``) stay open
    as leaks: in each panel plane a share g of its faces (the panel's conductance, rounded
    to whole faces so that both doors of an aisle leak alike), spread evenly in space over
    the plane (at the centres of equal strata), as Twin spreads the same leak over every
    panel face."""
    panel = both & panel_faces(g)
    out = np.zeros_like(panel)
    ijk = np.nonzero(panel)
    if not len(ijk[0]):
        return out
    uv_axes = [b for b in range(3) if b != a]
    layers = np.unique(ijk[a])
    quota = [float(np.sum(g[panel & _layer_mask(panel.shape, a, k)])) for k in layers]
    n_open = np.rint(quota).astype(int)
    if n_open.sum() == 0:
        n_open[int(np.argmax(quota))] = 1
    for k, n in zip(layers, n_open, strict=True):
        m = ijk[a] == k
        u, v = (ijk[b][m] for b in uv_axes)
        if n == 0:
            continue
        u0, v0 = u.min(), v.min()
        targets = _spread_targets(int(n), u.max() - u0 + 1, v.max() - v0 + 1)
        d2 = (u[None, :] + 0.5 - u0 - targets[:, :1]) ** 2
        d2 = d2 + (v[None, :] + 0.5 - v0 - targets[:, 1:]) ** 2
        free = np.ones(len(u), bool)
        for row in d2:  # one face per target (n is a handful per panel)
            f = int(np.argmin(np.where(free, row, np.inf)))
            free[f] = False
            sel = [0, 0, 0]
            sel[a], sel[uv_axes[0]], sel[uv_axes[1]] = k, u[f], v[f]
            out[tuple(sel)] = True
    return out


def _layer_mask(shape: tuple[int, ...], a: int, k: int) -> np.ndarray:
    """Faces in plane ``k`` along axis ``a``."""
    m = np.zeros(shape, bool)
    sl = [slice(None)] * 3
    sl[a] = k
    m[tuple(sl)] = True
    return m


def _heat_cells(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(index of each rack-rear port, flat cell its rack's heat goes into): one cell beyond
    the cell the rear opens into (the port cell itself where that one is not air)."""
    p = grid.ports
    rear = np.flatnonzero(p.kind == RACK_REAR)
    ijk = np.array(np.unravel_index(p.cell[rear], grid.shape))
    nxt = ijk.copy()
    nxt[p.axis[rear], np.arange(len(rear))] += p.sign[rear]
    inside = np.all((nxt >= 0) & (nxt < np.array(grid.shape)[:, None]), axis=0)
    nxt_flat = np.ravel_multi_index(tuple(np.where(inside, nxt, ijk)), grid.shape)
    return rear, np.where(inside & grid.fluid.ravel()[nxt_flat], nxt_flat, p.cell[rear])


def _heat_zones(grid: Grid, cid: np.ndarray) -> dict[str, np.ndarray]:
    """Each rack's heat goes into the air one cell beyond the cells its rear opens into (the
    port cell where that one is not air): the port cell then stays at the inflow
    temperature, so the eddy diffusion across the fixed-temperature patch carries no heat
    back into the rack."""
    rear, use = _heat_cells(grid)
    own = grid.ports.owner[rear]
    return {f"heat_{int(r)}": np.unique(cid[use[own == r]]) for r in np.unique(own)}


def held_at_inlet(grid: Grid) -> np.ndarray:
    """Flat cells of ``grid`` (the case's own) whose temperature a case of this mesh holds
    at its rack's inlet by construction: the cells the rack rears open into, their heat
    added one cell further (``_heat_zones``). The room's air there is the rack's exhaust, so
    the case's value is no temperature a model or a room has, up to 13 K below both: read
    back, these cells are left out (the cells a rack inlet or a return is read from are
    kept)."""
    p = grid.ports
    rear, use = _heat_cells(grid)
    held = np.unique(p.cell[rear][use != p.cell[rear]])
    read = (p.kind == RACK_FRONT) | (p.kind == GRILLE) | (p.kind == UNIT_IN)
    return np.setdiff1d(held, p.cell[read])


def _panel_zones(panel_cells: list[np.ndarray], cid: np.ndarray) -> dict[str, np.ndarray]:
    """Porous-panel cell zones by the normals of the panel faces their cells touch (a cell in
    a door's corner under the roof touches two): ``panel_x``, ``panel_z``, ``panel_xz``..."""
    mask = np.zeros(len(cid), np.int64)
    for a, cells in enumerate(panel_cells):
        mask[cells] |= 1 << a
    zones = {}
    for m in np.unique(mask[mask > 0]):
        name = "panel_" + "".join(c for a, c in enumerate("xyz") if m >> a & 1)
        zones[name] = np.sort(cid[np.flatnonzero(mask == m)])
    return zones


def panel_axes(zone: str) -> list[int]:
    """The axes a porous panel zone resists flow along (``panel_xz`` -> [0, 2])."""
    return ["xyz".index(c) for c in zone.removeprefix("panel_")]


def _port_patches(grid: Grid) -> tuple[list[str], dict[str, int], np.ndarray]:
    """(port patch names in order, patch index by name with the wall first, patch index of
    each port face)."""
    p = grid.ports
    port_patch = [f"{PORT_PREFIX[int(k)]}_{int(o)}" for k, o in zip(p.kind, p.owner, strict=True)]
    names = sorted(set(port_patch), key=lambda s: (s.split("_")[0], int(s.split("_")[1])))
    patch_index = {WALL: 0, **{n: i + 1 for i, n in enumerate(names)}}
    port_pid = np.array([patch_index[n] for n in port_patch], np.int64)
    return names, patch_index, port_pid


class _Faces:
    """Faces collected axis by axis: interior (owner, neighbour, quad) and boundary (cell,
    outward quad, patch index)."""

    def __init__(self) -> None:
        self.int_own: list[np.ndarray] = []
        self.int_nb: list[np.ndarray] = []
        self.int_quad: list[np.ndarray] = []
        self.b_cell: list[np.ndarray] = []
        self.b_quad: list[np.ndarray] = []
        self.b_pid: list[np.ndarray] = []

    def add_axis(
        self, grid: Grid, cid: np.ndarray, a: int, port_pid: np.ndarray, porous: bool = False
    ) -> np.ndarray:
        """The faces normal to axis ``a``: open faces between two air cells, walls (air on one
        side only, or a closed panel), and ports. ``porous``: panel faces stay open (see the
        module docstring). Returns the flat grid indices of the cells either side of a panel
        face."""
        g = (grid.gx, grid.gy, grid.gz)[a]
        fluid, p = grid.fluid, grid.ports
        lat = tuple(n + 1 for n in grid.shape)
        fs = g.shape
        lo = np.zeros(fs, bool)
        hi = np.zeros(fs, bool)
        sl_lo = [slice(None)] * 3
        sl_hi = [slice(None)] * 3
        sl_lo[a], sl_hi[a] = slice(1, None), slice(0, -1)
        lo[tuple(sl_lo)] = fluid  # face i has its lower cell i-1 in air
        hi[tuple(sl_hi)] = fluid  # face i has its upper cell i in air
        is_port = np.zeros(fs, bool)
        sel = p.axis == a
        is_port.ravel()[p.face[sel]] = True
        both = lo & hi & ~is_port
        open_ = both & (g >= 1)
        panel = both & panel_faces(g)
        open_ |= panel if porous else _panel_open(g, both, a)
        panel_cells = np.zeros(0, np.int64)
        if porous:
            upper = np.nonzero(panel)
            lower = list(upper)
            lower[a] = lower[a] - 1
            panel_cells = np.ravel_multi_index(tuple(np.hstack([lower, upper])), grid.shape)
        fi, fj, fk = np.nonzero(open_)
        lo_ijk = [fi, fj, fk]
        lo_ijk[a] = lo_ijk[a] - 1
        self.int_own.append(cid[np.ravel_multi_index(tuple(lo_ijk), grid.shape)])
        self.int_nb.append(cid[np.ravel_multi_index((fi, fj, fk), grid.shape)])
        self.int_quad.append(_quad(a, lat, fi, fj, fk))
        # walls: a face with air on one side only (not a port), or a closed panel (both sides)
        for side, cond in ((+1, lo & ~open_ & ~is_port), (-1, hi & ~open_ & ~is_port)):
            fi, fj, fk = np.nonzero(cond)
            ijk = [fi, fj, fk]
            if side > 0:  # the air cell is below the face: outward normal +a
                ijk[a] = ijk[a] - 1
            q = _quad(a, lat, fi, fj, fk)
            self.b_cell.append(cid[np.ravel_multi_index(tuple(ijk), grid.shape)])
            self.b_quad.append(q if side > 0 else q[:, ::-1])
            self.b_pid.append(np.zeros(len(fi), np.int64))
        # ports
        pf = np.unravel_index(p.face[sel], fs)
        # the port's air cell is below the face when the cell index along a is face - 1
        cell_ijk = np.unravel_index(p.cell[sel], grid.shape)
        below = cell_ijk[a] == pf[a] - 1
        q = _quad(a, lat, *pf)
        self.b_cell.append(cid[p.cell[sel]])
        self.b_quad.append(np.where(below[:, None], q, q[:, ::-1]))
        self.b_pid.append(port_pid[sel])
        return panel_cells

    def ordered(self):
        """(interior owner, neighbour, quads) sorted by owner then neighbour; (boundary cells,
        quads, patch index) sorted by patch then cell, as OpenFOAM wants them."""
        own = np.concatenate(self.int_own)
        nb = np.concatenate(self.int_nb)
        quad = np.concatenate(self.int_quad)
        order = np.lexsort((nb, own))
        own, nb, quad = own[order], nb[order], quad[order]
        bc = np.concatenate(self.b_cell)
        bq = np.concatenate(self.b_quad)
        bp = np.concatenate(self.b_pid)
        order = np.lexsort((bc, bp))
        return (own, nb, quad), (bc[order], bq[order], bp[order])


def mesh_from_grid(grid: Grid, panels: str = "porous") -> FoamMesh:
    """Build the polyMesh of a grid's air cells (see the module docstring for ``panels``,
    "porous" or "slots")."""
    if panels not in ("porous", "slots"):
        raise ValueError(f"panels must be 'porous' or 'slots', not {panels!r}")
    nx, ny, nz = grid.shape
    h = grid.cell_m
    cid = np.full(grid.n_cells, -1, np.int64)
    cell_flat = np.flatnonzero(grid.fluid.ravel())
    cid[cell_flat] = np.arange(len(cell_flat))
    lat = (nx + 1, ny + 1, nz + 1)
    p = grid.ports
    names, patch_index, port_pid = _port_patches(grid)
    collected = _Faces()
    panel_cells = [
        collected.add_axis(grid, cid, a, port_pid, porous=panels == "porous") for a in range(3)
    ]
    (own, nb, quad), (bc, bq, bp) = collected.ordered()
    faces = np.concatenate([quad, bq])
    used, faces = np.unique(faces.ravel(), return_inverse=True)
    faces = faces.reshape(-1, 4)
    pi, pj, pk = np.unravel_index(used, lat)
    points = np.stack([pi, pj, pk], 1) * h + grid.origin_m
    counts = np.bincount(bp, minlength=len(patch_index))
    start = len(own) + np.concatenate([[0], np.cumsum(counts)[:-1]])
    patches = [(WALL, "wall", int(counts[0]), int(start[0]))]
    kinds = {
        f"{PORT_PREFIX[int(k)]}_{int(o)}": (int(k), int(o))
        for k, o in zip(p.kind, p.owner, strict=True)
    }
    for n in names:
        i = patch_index[n]
        patches.append((n, "patch", int(counts[i]), int(start[i])))
    zones = _heat_zones(grid, cid) | _panel_zones(panel_cells, cid)
    return FoamMesh(
        zones=zones,
        points=points,
        faces=faces,
        owner=np.concatenate([own, bc]),
        neighbour=nb,
        patches=patches,
        cell_flat=cell_flat,
        patch_ports={n: kinds[n] for n in names},
    )


def foam_header(cls: str, obj: str, location: str = "", note: str = "") -> str:
    """The FoamFile header every OpenFOAM dictionary and field starts with."""
    loc = f'    location    "{location}";\n' if location else ""
    nt = f'    note        "{note}";\n' if note else ""
    return (
        "FoamFile\n{\n    version     2.0;\n    format      ascii;\n"
        f"    class       {cls};\n{loc}{nt}    object      {obj};\n}}\n\n"
    )


def _write_list(path: Path, header: str, rows: list[str]) -> None:
    with open(path, "w") as f:
        f.write(header)
        f.write(f"{len(rows)}\n(\n")
        f.write("\n".join(rows))
        f.write("\n)\n")


def write_polymesh(mesh: FoamMesh, case: Path) -> None:
    """Write constant/polyMesh/{points,faces,owner,neighbour,boundary}."""
    d = Path(case) / "constant" / "polyMesh"
    d.mkdir(parents=True, exist_ok=True)
    loc = "constant/polyMesh"
    pts = [f"({x:.6g} {y:.6g} {z:.6g})" for x, y, z in mesh.points]
    _write_list(d / "points", foam_header("vectorField", "points", loc), pts)
    fc = [f"4({a} {b} {c} {e})" for a, b, c, e in mesh.faces]
    _write_list(d / "faces", foam_header("faceList", "faces", loc), fc)
    note = (
        f"nPoints:{len(mesh.points)}  nCells:{mesh.n_cells}  nFaces:{len(mesh.faces)}  "
        f"nInternalFaces:{len(mesh.neighbour)}"
    )
    _write_list(
        d / "owner", foam_header("labelList", "owner", loc, note), [str(x) for x in mesh.owner]
    )
    _write_list(
        d / "neighbour",
        foam_header("labelList", "neighbour", loc, note),
        [str(x) for x in mesh.neighbour],
    )
    with open(d / "cellZones", "w") as f:
        f.write(foam_header("regIOobject", "cellZones", loc))
        f.write(f"{len(mesh.zones)}\n(\n")
        for name, cells in mesh.zones.items():
            labels = " ".join(str(int(c)) for c in cells)
            f.write(
                f"{name}\n{{\n    type cellZone;\n"
                f"    cellLabels List<label> {len(cells)}({labels});\n}}\n"
            )
        f.write(")\n")
    with open(d / "boundary", "w") as f:
        f.write(foam_header("polyBoundaryMesh", "boundary", loc))
        f.write(f"{len(mesh.patches)}\n(\n")
        for name, typ, n, s in mesh.patches:
            grp = "\n        inGroups        1(wall);" if typ == "wall" else ""
            f.write(
                f"    {name}\n    {{\n        type            {typ};{grp}\n"
                f"        nFaces          {n};\n        startFace       {s};\n    }}\n"
            )
        f.write(")\n")
