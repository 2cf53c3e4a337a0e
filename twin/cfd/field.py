"""A CFD temperature (and velocity) field brought onto Twin's grid, and the rack and return
figures read from it exactly as Twin reads its own (front port cells, return port cells)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from twin.cfd.compare import sample_field
from twin.model.frame import AIR_READING_C
from twin.physics.grid import GRILLE, RACK_FRONT, UNIT_IN, Grid

if TYPE_CHECKING:
    from twin.cfd.foam_read import Results

#: Temperatures above this are taken to be kelvin (CFD fields often are).
KELVIN_ABOVE = 150.0
#: Air temperatures outside this range (C) are not room air: a fill value, a unit mix-up or a
#: diverged cell. Taken as missing (the band sensor readings are held to as well).
AIR_RANGE_C = AIR_READING_C
#: Air faster than this (m/s) is not room air (floor tiles and supply grilles blow 2-10 m/s,
#: a duct's jet 30): taken as missing, as a non-finite value is.
MAX_AIR_SPEED_MS = 100.0
#: A Twin cell takes its nearest CFD value only when that lies within this many of the
#: coarser spacing (Twin's cell or the CFD's own point spacing). Inside the CFD's domain the
#: nearest point is within a spacing (half a cell's diagonal, plus half a cell where the two
#: meshes draw a solid's edge differently); beyond that the field is simply not there, and a
#: file in millimetres, in site axes or covering half the hall was read as if it filled it.
REACH_SPACINGS = 1.5
#: The finest cell a foreign CFD's rack inlets and return are read at (m; see
#: ``read_cell_m``) ...
MIN_READ_CELL_M = 0.05
#: ... and the most cells that grid may have: a factory hall (42 x 37 x 5 m) at 0.1 m is
#: 7.8 million cells, 1.6 GB and 4.6 s to build; at 0.05 m it would not fit in memory.
MAX_READ_CELLS = 2_000_000
#: How many CFD points ``point_spacing_m`` measures (evenly through the file).
SPACING_SAMPLE = 4096
#: ... and the most a CFD's spacing counts for there (m): no CFD of a data hall is coarser,
#: and a file in millimetres has a "spacing" of hundreds.
MAX_CFD_SPACING_M = 1.0
#: A rack's inlet (or the return) is read from a field only where the cells with a value
#: carry at least this share of its flow.
MIN_READ_SHARE = 0.5


class TwinCaseField(NamedTuple):
    """A Twin-written case's field on its own grid (``read_twin_case``)."""

    grid: Grid  # the grid its mesh was written from
    temp_c: np.ndarray  # the temperature field, NaN in solids
    velocity_ms: np.ndarray | None  # (nx, ny, nz, 3) at the same time, or None
    results: Results  # the time read (``foam_read.Results``): its face flux is read there too


def read_twin_case(case: str | Path, fac, hall: int, field: str = "T") -> TwinCaseField:
    """The latest ``field`` (T, or TMean: the running mean a case that never settles keeps)
    of a case that ``twin.cfd.foam_case`` wrote, on the case's own grid (the one its mesh
    was written from), and its U (UMean beside TMean) at that time when it has one, NaN in
    solids. ``_onto`` brings either onto another grid; what else is read of the case (its
    face flux) is read at the same ``results``, so a run still writing cannot pair two
    times."""
    from twin.cfd import case_files, foam_read
    from twin.cfd.reference import field_on_grid, temperature_on_grid

    case = Path(case)
    own = case_files.checked(case, fac, hall)[1]
    try:  # the newest time that has it (a run still writing the newest: said by its note)
        latest = foam_read.latest_time(case, field)
    except foam_read.FoamReadError:
        newest = foam_read.latest_time(case, "T")  # refuses an unrun case in its own words
        raise foam_read.FoamReadError(
            f"{case}: its latest time ({newest.name}) has no field {field!r}; it has "
            f"{', '.join(twin_case_fields(case)) or 'no temperature'}"
        ) from None
    t = temperature_on_grid(case, own, field, latest)
    u = None
    u_name = "UMean" if field.endswith("Mean") and latest.has("UMean") else "U"
    if latest.has(u_name):
        u = field_on_grid(case, own, u_name, latest)
        if u.ndim != 4 or u.shape[-1] != 3:
            raise foam_read.FoamReadError(f"{case}: its {u_name} is not a vector field")
    return TwinCaseField(own, t, u, latest)


def twin_case_fields(case: str | Path) -> tuple[str, ...]:
    """The temperature fields at a Twin-written case's latest time (T, and TMean where it
    keeps a running mean)."""
    from twin.cfd import foam_read

    latest = foam_read.latest_time(Path(case), "T")
    return tuple(n for n in ("T", "TMean") if latest.has(n))


def _onto(values: np.ndarray, own: Grid, grid: Grid) -> np.ndarray:
    """A field on the case's own grid (scalar, or vector in its last axis) onto ``grid``."""
    if own.shape == grid.shape:
        out = values.copy()
        out[~grid.fluid] = np.nan
        return out
    if values.ndim == 4:
        return np.stack([on_grid(values[..., a], own.cell_m, grid) for a in range(3)], -1)
    return on_grid(values, own.cell_m, grid)


def held_left_out(own: Grid, grid: Grid) -> np.ndarray:
    """``grid``'s air cells that get no value from a Twin-written case only because the
    cells the case holds at its rack's inlet are left out (``foam_mesh.held_at_inlet``)."""
    from twin.cfd.foam_mesh import held_at_inlet

    air = np.where(own.fluid, 0.0, np.nan)
    kept = air.copy()
    kept.reshape(-1)[held_at_inlet(own)] = np.nan
    return grid.fluid & np.isfinite(_onto(air, own, grid)) & np.isnan(_onto(kept, own, grid))


def on_grid(air: np.ndarray, cell_m: float, grid: Grid) -> np.ndarray:
    """Resample a cell-centred field of another cell size onto ``grid``'s air cells."""
    pts = _centres(grid)
    out = np.full(grid.n_cells, np.nan)
    fl = grid.fluid.ravel()
    out[fl] = sample_field(air, cell_m, pts[fl])
    return out.reshape(grid.shape)


def _centres(grid: Grid) -> np.ndarray:
    ii, jj, kk = np.meshgrid(*(np.arange(n) for n in grid.shape), indexing="ij")
    return (np.stack([ii, jj, kk], -1).reshape(-1, 3) + 0.5) * grid.cell_m + grid.origin_m


def from_points(points_m: np.ndarray, temp: np.ndarray, grid: Grid, tree=None) -> np.ndarray:
    """Scattered CFD cell values (hall-local points) onto ``grid``'s air cells by nearest
    CFD cell, NaN where none is within reach (``REACH_SPACINGS``); kelvin fields are turned
    into Celsius. ``tree``: the points' cKDTree when the caller has built one already."""
    return _nearest(points_m, _celsius(temp), grid, tree=tree)


def _celsius(temp: np.ndarray) -> np.ndarray:
    temp = np.asarray(temp, float)
    return temp - 273.15 if np.nanmedian(temp) > KELVIN_ABOVE else temp


def vectors_from_points(points_m: np.ndarray, vectors: np.ndarray, grid: Grid) -> np.ndarray:
    """Scattered CFD velocities (N, 3) onto ``grid``'s air cells (nx, ny, nz, 3) by nearest
    CFD cell, NaN where none is within reach."""
    vectors = np.asarray(vectors, float)
    if vectors.ndim != 2 or vectors.shape[1] != 3:
        raise ValueError(f"velocity must be (N, 3), not {vectors.shape}")
    return _nearest(points_m, vectors, grid)


def point_spacing_m(points_m: np.ndarray, tree=None) -> float:
    """The CFD's own spacing: the median distance from a point to its nearest other point
    (over ``SPACING_SAMPLE`` points taken evenly through the file); 0 for fewer than two.
    ``tree``: the points' cKDTree when the caller has built one already."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points_m, float)
    if len(pts) < 2:
        return 0.0
    tree = cKDTree(pts) if tree is None else tree
    sample = pts[:: max(len(pts) // SPACING_SAMPLE, 1)]
    d, _ = tree.query(sample, k=2)
    return float(np.median(d[:, 1]))


def drop_implausible(
    air_c: np.ndarray, velocity_ms: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Copies with what cannot be room air set to NaN (missing), and how many cells that
    touched: temperatures outside ``AIR_RANGE_C``, velocities with a non-finite component
    or faster than ``MAX_AIR_SPEED_MS``. A file with 1e30 in a few cells otherwise gave a
    velocity error of 2.5e29 m/s and, solved on, rack inlets 22 K off."""
    bad_t = np.isfinite(air_c) & ((air_c < AIR_RANGE_C[0]) | (air_c > AIR_RANGE_C[1]))
    air = np.where(bad_t, np.nan, air_c)
    bad = bad_t
    vel = None
    if velocity_ms is not None:
        # a cell with no value at all (a solid) is NaN in every component: not counted
        given = ~np.isnan(velocity_ms).all(-1)
        with np.errstate(over="ignore"):  # 1e300 squared: inf, and dropped
            speed = np.sqrt((velocity_ms**2).sum(-1))
        bad_u = given & ~(np.isfinite(speed) & (speed <= MAX_AIR_SPEED_MS))
        vel = np.where(bad_u[..., None], np.nan, velocity_ms)
        bad = bad | bad_u
    return air, vel, int(bad.sum())


def _nearest(
    points_m: np.ndarray,
    values: np.ndarray,
    grid: Grid,
    cells: np.ndarray | None = None,
    tree=None,
) -> np.ndarray:
    """``values`` of the nearest point within reach at ``grid``'s air cells (``cells``: only
    these flat cell indices; the others NaN; ``tree``: the points' cKDTree, if built)."""
    from scipy.spatial import cKDTree

    points_m = np.asarray(points_m, float)
    if tree is None:  # built once: the spacing and the lookup share it
        tree = cKDTree(points_m)
    spacing_m = min(point_spacing_m(points_m, tree), MAX_CFD_SPACING_M)
    reach_m = REACH_SPACINGS * max(grid.cell_m, spacing_m)
    fl = np.flatnonzero(grid.fluid.ravel())
    if cells is not None:
        fl = np.intersect1d(fl, cells)
    pts = _centres(grid)[fl]
    d, idx = tree.query(pts, distance_upper_bound=reach_m)
    near = np.isfinite(d)
    out = np.full((grid.n_cells,) + values.shape[1:], np.nan)
    out[fl[near]] = values[idx[near]]
    return out.reshape(grid.shape + values.shape[1:])


def rack_figures(grid: Grid, field: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(inlet mean per hall rack, inlet max per hall rack, flow-weighted mean return) of a
    field on ``grid``, read at the same port cells Twin uses. A rack (or the return) whose
    cells with a value carry less than ``MIN_READ_SHARE`` of its flow is NaN: a CFD field
    that ends across its face does not say what it breathes."""
    p = grid.ports
    t = field.ravel()
    racks = grid.rack_ids
    local = np.full(int(racks.max(initial=-1)) + 1, -1)
    local[racks] = np.arange(len(racks))
    fr = p.kind == RACK_FRONT
    w = -p.q[fr]
    rl = local[p.owner[fr]]
    tc = t[p.cell[fr]]
    ok = np.isfinite(tc)
    num = np.bincount(rl[ok], w[ok] * tc[ok], minlength=len(racks))
    den = np.bincount(rl[ok], w[ok], minlength=len(racks))
    read = (den > 0) & (den >= MIN_READ_SHARE * np.bincount(rl, w, minlength=len(racks)))
    mx = np.full(len(racks), -np.inf)
    np.maximum.at(mx, rl[ok], tc[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(read, num / den, np.nan)
    mx[~(np.isfinite(mx) & read)] = np.nan
    rt = (p.kind == GRILLE) | (p.kind == UNIT_IN)
    tr = t[p.cell[rt]]
    qr = -p.q[rt]
    ok = np.isfinite(tr)
    read = qr[ok].sum() > 0 and qr[ok].sum() >= MIN_READ_SHARE * qr.sum()
    ret = float((qr[ok] * tr[ok]).sum() / qr[ok].sum()) if read else np.nan
    return mean, mx, ret


# ------------------------------------------------------------- figures at the CFD's cells
def port_cells(grid: Grid) -> np.ndarray:
    """The flat cells ``rack_figures`` reads: rack fronts and return ports."""
    p = grid.ports
    return np.unique(p.cell[(p.kind == RACK_FRONT) | (p.kind == GRILLE) | (p.kind == UNIT_IN)])


def figures_on_own_grid(
    own: Grid, air_own: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray, float]:
    """``rack_figures`` of a CFD field read on ``own``, the grid at the CFD's own cell, with
    the racks in ``grid``'s order (NaN for one ``own`` lacks).

    Why not read them on Twin's grid: a port there lies where Twin's cell snaps it, up to half
    a cell from where the CFD's mesh put it. The ducted hot-aisle room's return grille at
    0.2 m takes in a 0.1 m strip that the 0.15 m CFD has outside its duct, at room air: read
    on Twin's 0.2 m grid its CFD return was 29.75 C, against 30.52 C through the CFD's own
    grille (its monitors, the stored reference's figure), and Twin's return error +0.79 K
    instead of +0.02 K."""
    air = drop_implausible(air_own, None)[0]
    mean, mx, ret = rack_figures(own, air)
    n = int(max(own.rack_ids.max(initial=-1), grid.rack_ids.max(initial=-1))) + 1
    by_rack = np.full((2, n), np.nan)
    by_rack[0, own.rack_ids] = mean
    by_rack[1, own.rack_ids] = mx
    return by_rack[0, grid.rack_ids], by_rack[1, grid.rack_ids], ret


def read_cell_m(points_m: np.ndarray, grid: Grid, spacing_m: float | None = None) -> float:
    """The cell a foreign CFD's figures are read at: its own point spacing (to 0.1 mm: a
    float32 file's 0.14999998 m would snap its ports apart from 0.15 m's), where that is finer
    than ``grid``'s cell; not finer than ``MIN_READ_CELL_M``, nor than gives the hall more
    than ``MAX_READ_CELLS`` cells. ``spacing_m``: ``point_spacing_m``, when measured already."""
    spacing = round(point_spacing_m(points_m) if spacing_m is None else spacing_m, 4)
    volume_m3 = float(np.prod(np.asarray(grid.shape) * grid.cell_m))
    # the cap rounded up to the millimetre (a report reads 0.158 m, not 0.157378 m; a cube
    # root a few ulps over a whole millimetre is that millimetre)
    cap_m = (volume_m3 / MAX_READ_CELLS) ** (1 / 3)
    floor_m = max(MIN_READ_CELL_M, np.ceil(1000 * cap_m - 1e-6) / 1000)
    cell = max(spacing, floor_m)
    return cell if 0 < spacing and cell < grid.cell_m - 1e-9 else grid.cell_m


def figures_from_points(
    points_m: np.ndarray, temp: np.ndarray, fac, grid: Grid, cell_m: float, tree=None
) -> tuple[np.ndarray, np.ndarray, float]:
    """A foreign CFD's rack inlets and return read on the hall's grid at ``cell_m`` (its own
    spacing: ``read_cell_m``), by the nearest CFD value at that grid's port cells only (see
    ``figures_on_own_grid`` for why; ``tree``: the points' cKDTree, if built)."""
    from twin.physics.grid import build_grid

    own = build_grid(fac, grid.hall, cell_m)
    air = _nearest(points_m, _celsius(temp), own, port_cells(own), tree)
    return figures_on_own_grid(own, air, grid)
