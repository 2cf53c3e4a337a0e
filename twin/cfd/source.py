"""Compare Twin's steady solution of a layout with a CFD source of any kind: a stored
reference (``.json``), a case written by ``twin.cfd.foam_case``, any other OpenFOAM case or
a VTK file (read through ``twin.render.cfd_import``). Temperatures always; air velocities
too where the source has them (a stored reference holds only its planes' temperatures)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from twin.cfd import aisles, compare, placement, velocity
from twin.cfd import field as cfd_field
from twin.cfd.csv_points import TABLE_SUFFIXES
from twin.cfd.foam_mesh import held_at_inlet


@dataclass
class CfdPoints:
    """What a reader found in a foreign CFD file: the temperature at its points (cell centres
    or mesh points, in the file's metres) and, when the file has one, the air velocity."""

    points_m: np.ndarray  # (N, 3)
    temp: np.ndarray  # (N,), Celsius or kelvin
    name: str
    velocity_points_m: np.ndarray | None = None  # (M, 3)
    velocity_ms: np.ndarray | None = None  # (M, 3)
    #: the file's other temperature fields (e.g. TMean, a running mean, beside T)
    others: tuple[str, ...] = ()


@dataclass
class CfdField:
    """A CFD temperature field on a Twin grid (NaN in solids), its air velocity where the
    source has one (nx, ny, nz, 3), and where it came from."""

    air_c: np.ndarray
    source: str
    kind: str  # "twin-case" | "openfoam" | "vtk" | "table" (``csv_points``)
    velocity_ms: np.ndarray | None = None
    #: cells whose value could not be room air, taken as missing (``field.drop_implausible``)
    implausible_cells: int = 0
    #: share of the hall's air cells the source gives a value (``field.REACH_SPACINGS``)
    coverage: float = 1.0
    #: the hall's racks whose inlet it does not reach (``field.rack_figures``), left out
    racks_outside: list[str] = field(default_factory=list)
    #: the temperature field compared, and the source's others
    field_name: str = "T"
    other_fields: tuple[str, ...] = ()
    #: the CFD's rack inlets (mean, max; in the grid's rack order, NaN where it does not
    #: reach) and flow-weighted return, read at ports rasterised at ``read_cell_m``, the
    #: CFD's own cell (``field.figures_on_own_grid``); None: read from ``air_c``
    rack_mean_c: np.ndarray | None = None
    rack_max_c: np.ndarray | None = None
    return_c: float = float("nan")
    read_cell_m: float | None = None
    #: the CFD's own spacing (a Twin case's cell; a file's median point spacing)
    spacing_m: float | None = None
    #: why an OpenFOAM case's newer results were not read (``foam_read.Results.skipped``)
    note: str = ""
    #: the grid's air cells left out behind the rack rears of a Twin-written case, which
    #: holds them at the rack's inlet (``foam_mesh.held_at_inlet``); not counted in coverage
    held_cells: int = 0
    #: what a Twin-written case was run with that Twin does not solve with now
    #: (``case_loads.changes``), or ""
    load_changes: str = ""
    #: a foreign field's points against the hall's air (``placement.extent_note``), and its
    #: coldest air against the hall's supply (``placement.cold_air_note``): "" when in place
    placement: str = ""
    cold_air: str = ""
    #: a Twin-written case's aisles read from its face flux (``aisles.case_sides``: the
    #: case's own grid and faces), or None: read through the cell-centred velocity
    aisle_faces: aisles.CaseFaces | None = None

    def figures(self, grid) -> tuple[np.ndarray, np.ndarray, float, float]:
        """(rack inlet means, maxima, return, the cell they were read at) of this field."""
        if self.rack_mean_c is not None:
            return self.rack_mean_c, self.rack_max_c, self.return_c, self.read_cell_m
        mean, mx, ret = cfd_field.rack_figures(grid, self.air_c)
        return mean, mx, ret, grid.cell_m


class CfdCoverageError(ValueError):
    """A CFD source that reaches none of the hall's rack inlets (named, with where its points
    lie against the hall: millimetres or another origin are the usual causes)."""


@dataclass
class _Read:
    """What a reader found, before ``load_field`` checks it and builds the ``CfdField``."""

    air_c: np.ndarray  # on Twin's grid, NaN where the source has no value
    velocity_ms: np.ndarray | None
    name: str  # the temperature field read
    others: tuple[str, ...]
    kind: str
    #: a foreign file's points (for saying where they lie when they miss the hall), or None
    points_m: np.ndarray | None
    #: the CFD's rack inlet means, maxima and return read on its own cell, or None: read
    #: from ``air_c`` by ``load_field``
    rack_mean_c: np.ndarray | None
    rack_max_c: np.ndarray | None
    return_c: float | None
    read_m: float
    spacing_m: float
    held: int  # air cells a Twin-written case holds at a rack's inlet (left out)
    nan: str  # ``nan_text`` of the source's own values
    #: why its newest results were not read (``foam_read.Results.skipped``), or ""
    results_note: str = ""
    faces: aisles.CaseFaces | None = None
    no_faces: str = ""  # why a case's face flux could not be read, or ""


def load_field(path: str | Path, fac, grid, reader=None, field: str | None = None) -> CfdField:
    """Bring a CFD source onto ``grid``. ``reader(path, field) -> CfdPoints`` reads foreign
    files (the render layer's PyVista reader, ``read_cfd``; passed in so that this module
    stays free of VTK). ``field``: the temperature field to read (None: T, or the reader's
    first)."""
    path = Path(path)
    twin_case = path.is_dir() and (path / "twin_case.json").exists()
    got = (_read_twin_case if twin_case else _read_points)(path, fac, grid, reader, field)
    air_c, vel = got.air_c, got.velocity_ms
    mean, mx, ret = got.rack_mean_c, got.rack_max_c, got.return_c
    clean_c, vel, dropped = cfd_field.drop_implausible(air_c, vel)
    note = "; ".join(filter(None, (got.results_note, got.no_faces)))
    if vel is not None and not np.isfinite(vel).all(-1).any():
        # every velocity NaN (or dropped): "RMS difference nan m/s" was printed as a figure
        vel = None
        note = "; ".join(filter(None, (note, "its velocity holds no number: not compared")))
    if mean is None:
        mean, mx, ret = cfd_field.rack_figures(grid, clean_c)
    air = grid.fluid & np.isfinite(air_c)
    coverage = float(air.sum() / max(grid.fluid.sum() - got.held, 1))
    if not air.any() or (mean.size and not np.isfinite(mean).any()):
        raise CfdCoverageError(
            _misplaced(path, fac, grid, coverage, got.points_m, dropped, got.nan)
        )
    outside = [fac.rack_ids[r] for r, m in zip(grid.rack_ids, mean, strict=True) if m != m]
    return CfdField(
        clean_c,
        str(path),
        got.kind,
        vel,
        dropped,
        coverage,
        outside,
        got.name,
        got.others,
        mean,
        mx,
        ret,
        got.read_m,
        got.spacing_m,
        note,
        got.held,
        _load_changes(path, fac, grid) if twin_case else "",
        placement.extent_note(got.points_m, grid, got.spacing_m),
        placement.cold_air_note(clean_c, grid.fluid, placement.hall_supply_c(fac, grid)),
        got.faces,
    )


def _load_changes(path: Path, fac, grid) -> str:
    """``case_loads.changes`` of a Twin-written case against Twin's grid of the hall."""
    from twin.cfd import case_files, case_loads

    return case_loads.changes(case_files.description(path), fac, grid.hall, grid)


def _results_note(path: Path, field: str) -> str:
    """Of an OpenFOAM case: why its newest results were not the ones its temperature field
    ``field`` was read from (a run still writing them; ``foam_read.Results.skipped``), or
    ""."""
    if not path.is_dir():
        return ""
    from twin.cfd.foam_read import latest_time

    return latest_time(path, field).skipped


def _read_twin_case(path: Path, fac, grid, reader, field: str | None) -> _Read:
    """``load_field`` of a case ``twin.cfd.foam_case`` wrote: read on its own grid, its racks
    and return read there (``field.figures_on_own_grid``), its aisles from its face flux at
    the same time."""
    name = field or "T"
    case = cfd_field.read_twin_case(path, fac, grid.hall, name)
    own, t_own = case.grid, case.temp_c
    vel = None if case.velocity_ms is None else cfd_field._onto(case.velocity_ms, own, grid)
    given = own.fluid.copy()  # not those it holds at the rack's inlet: NaN by construction
    given.reshape(-1)[held_at_inlet(own)] = False
    faces, no_faces = aisles.case_faces(path, own, t_own, name, case.results)
    return _Read(
        cfd_field._onto(t_own, own, grid),
        vel,
        name,
        tuple(n for n in cfd_field.twin_case_fields(path) if n != name),
        "twin-case",
        None,
        *cfd_field.figures_on_own_grid(own, t_own, grid),
        own.cell_m,
        own.cell_m,
        int(cfd_field.held_left_out(own, grid).sum()),
        nan_text(t_own[given]),
        case.results.skipped,
        faces,
        no_faces,
    )


def _read_points(path: Path, fac, grid, reader, field: str | None) -> _Read:
    """``load_field`` of a foreign file: its rack inlets and return read at the file's own
    spacing where that is finer than ``grid``'s cell (else left to ``load_field``), no cell
    held as a Twin-written case's are, velocities at cell centres only."""
    if reader is None:
        raise ValueError(f"{path}: reading this kind of CFD source needs a VTK reader")
    got = reader(path, field)
    nan = nan_text(got.temp)
    if not np.isfinite(np.asarray(got.temp, float)).any():
        raise CfdCoverageError(
            f"{path}: its temperature field {got.name!r} has no finite value. {nan}"
        )
    vel = None
    if got.velocity_ms is not None:
        vel = cfd_field.vectors_from_points(got.velocity_points_m, got.velocity_ms, grid)
    points_m = np.asarray(got.points_m, float)
    # one tree over the file's points: its spacing, the field and the racks' cells
    tree = cKDTree(points_m)
    air_c = cfd_field.from_points(points_m, got.temp, grid, tree)
    spacing_m = cfd_field.point_spacing_m(points_m, tree)
    read_m = cfd_field.read_cell_m(points_m, grid, spacing_m)
    figures = (None, None, None)  # read on Twin's grid by load_field, unless the file is finer
    if read_m < grid.cell_m:
        figures = cfd_field.figures_from_points(points_m, got.temp, fac, grid, read_m, tree)
    kind = "openfoam" if path.is_dir() else "vtk"
    if path.suffix.lower() in TABLE_SUFFIXES:
        kind = "table"
    return _Read(
        air_c,
        vel,
        got.name,
        tuple(got.others),
        kind,
        points_m,
        *figures,
        read_m,
        spacing_m,
        0,
        nan,
        _results_note(path, got.name),
    )


def nan_text(temp: np.ndarray) -> str:
    """How many of a source's temperature values are NaN (not a number) and infinite, or ''
    when none is. Why: they give no value, and a refusal that counted only the values that
    cannot be room air left a file of NaNs looking like one in the wrong place."""
    t = np.asarray(temp, float)
    parts = [
        f"{n:,} are {what}"
        for n, what in ((np.isnan(t).sum(), "NaN (not a number)"), (np.isinf(t).sum(), "infinite"))
        if n
    ]
    return f"Of its {t.size:,} temperature values, {' and '.join(parts)}." if parts else ""


def read_at_text(read_m: float, spacing_m: float | None, cell_m: float) -> str:
    """Where a CFD's rack inlets and return were read (``field.read_cell_m``), and why."""
    if spacing_m is None or abs(read_m - spacing_m) < 5e-4:
        where = f"at its own {read_m:g} m cells, where its mesh puts the rack fronts and returns"
    else:
        where = (
            f"on a {read_m:g} m grid (its own {spacing_m:.3g} m spacing would give the hall "
            f"more than {cfd_field.MAX_READ_CELLS:,} cells)"
        )
    return (
        f"its rack inlets and return are read {where}; the air field is compared on Twin's "
        f"{cell_m:g} m grid"
    )


def _misplaced(
    path: Path,
    fac,
    grid,
    coverage: float,
    points_m: np.ndarray | None,
    dropped: int = 0,
    nan: str = "",
) -> str:
    """Why a source reaches no rack: where its points lie against the hall's air, and the
    likely cause when the two differ by a factor of about 1000 or an offset; or that its
    values are NaN (``nan``: ``nan_text``) or there cannot be room air."""
    head = (
        f"{path}: its field reaches no rack inlet of hall {fac.hall_ids[grid.hall]} (it gives "
        f"{100 * coverage:.1f} % of the hall's air a value)."
    )
    if nan:
        head += f" {nan}"
    if dropped:
        head += (
            f" {dropped:,} of its cells in the hall hold values that cannot be room air "
            "(temperature outside -50..150 C: kelvin read as Celsius, or Fahrenheit? or "
            "velocity not finite or over 100 m/s)."
        )
    if points_m is None or len(points_m) == 0:
        return head
    lo_h, hi_h = placement.hall_air_box(grid)
    pts = np.asarray(points_m, float)
    lo_p, hi_p = pts.min(0), pts.max(0)
    span = placement.span_text
    msg = (
        f"{head} Its points span {span(lo_p, hi_p)} m; the hall's air {span(lo_h, hi_h)} m, in "
        "the hall's own axes (from its corner, on the floor)."
    )
    ratio = float(np.median((hi_p - lo_p) / (hi_h - lo_h)))
    if 100 <= ratio <= 10_000:
        msg += f" It is {ratio:.0f} times the hall's size: is it in millimetres? Give it in metres."
    elif 0.5 <= ratio <= 2 and np.abs(lo_p - lo_h).max() > 2 * grid.cell_m:
        off = ", ".join(f"{d:+.2f}" for d in lo_p - lo_h)
        msg += (
            f" It is about the hall's size but lies ({off}) m from it: give it in the hall's axes."
        )
    return msg


def compare_field(fac, res, cfd: CfdField, on_cfd_flow: bool = False) -> dict:
    """Per-rack table and figures of Twin's result against a CFD field on the same grid.
    ``on_cfd_flow``: also the figures of Twin's heat solved on the CFD's air velocity
    (``on_cfd_flow`` in the result; see ``twin.cfd.flow_split``)."""
    grid = res.grid
    mean, mx, ret, _ = cfd.figures(grid)
    racks = [
        {"id": fac.rack_ids[r], "inlet_mean_c": float(mean[i]), "inlet_max_c": float(mx[i])}
        for i, r in enumerate(grid.rack_ids)
        if np.isfinite(mean[i])
    ]
    rows = compare.rack_rows(fac, res, racks)
    out = compare.summary(rows, res.return_mean_c, ret)
    both = np.isfinite(res.air_c) & np.isfinite(cfd.air_c)
    d = (res.air_c - cfd.air_c)[both]
    out["field_rms_k"] = float(np.sqrt(np.mean(d**2))) if d.size else float("nan")
    if cfd.velocity_ms is not None:
        out["velocity"] = velocity.figures(velocity.twin_velocity(res), cfd.velocity_ms)
        out["aisles"] = aisles.compare(fac, res, cfd.velocity_ms, cfd.air_c, cfd.aisle_faces)
    out["cfd_return_c"] = ret
    if on_cfd_flow:
        out["on_cfd_flow"] = _on_cfd_flow(fac, res, cfd, racks, ret)
    out["rows"] = [
        {
            "id": r.id,
            "twin_mean_c": round(r.twin_mean_c, 2),
            "cfd_mean_c": round(r.cfd_mean_c, 2),
            "error_k": round(r.error_k, 2),
            "twin_max_c": round(r.twin_max_c, 2),
            "cfd_max_c": round(r.cfd_max_c, 2),
        }
        for r in rows
    ]
    return out


def _on_cfd_flow(fac, res, cfd: CfdField, racks: list[dict], cfd_return_c: float) -> dict:
    """Figures of Twin's heat on the CFD's air against the same CFD racks."""
    from twin.cfd.flow_split import heat_on_flow

    if cfd.velocity_ms is None:
        raise ValueError(
            f"{cfd.source}: has no air velocity (U), so Twin's heat cannot be solved on the "
            "CFD's flow"
        )
    split = heat_on_flow(fac, res.grid.hall, res.cell_m, cfd.velocity_ms)
    rows = compare.rack_rows(fac, split, racks)
    out = compare.summary(rows, split.return_mean_c, cfd_return_c)
    out["rows"] = [{"id": r.id, "error_k": round(r.error_k, 2)} for r in rows]
    flow_cell_m = res.warm.flow_cell_m if res.warm is not None else res.cell_m
    if flow_cell_m > res.cell_m * 1.001:  # the momentum is marched on a coarser grid
        out["held_on_momentum_grid"] = _held(fac, res, cfd, racks, cfd_return_c, flow_cell_m)
    return out


def _held(fac, res, cfd: CfdField, racks: list[dict], cfd_return_c: float, cell_m: float):
    """The same on the CFD's air held on Twin's momentum grid first: the best its march
    could do (``twin.cfd.flow_split``)."""
    from twin.cfd.flow_split import heat_on_flow
    from twin.physics.grid import build_grid

    hall = res.grid.hall
    held = cfd_field._onto(cfd.velocity_ms, res.grid, build_grid(fac, hall, cell_m))
    split = heat_on_flow(fac, hall, res.cell_m, held, through_m=cell_m)
    out = compare.summary(compare.rack_rows(fac, split, racks), split.return_mean_c, cfd_return_c)
    out["cell_m"] = cell_m
    return out


def recording_refusal(path) -> str:
    """Why a Twin recording given to compare is refused, and what takes one (the caller, above
    the recording layer, tells ``recording.format.is_twin_recording``)."""
    return (
        f"{path} is a Twin recording, not a CFD field (compare reads an OpenFOAM case, a VTK "
        "or EnSight file, a table of points or a stored reference); to fit the model to a "
        f"recording's sensors: twin cfd calibrate LAYOUT {path}"
    )


def compare_source(
    fac,
    hall: int,
    cell_m: float,
    path,
    reader=None,
    res=None,
    on_cfd_flow: bool = False,
    field: str | None = None,
):
    """Solve (unless ``res`` is given) and compare with any CFD source; returns (figures,
    Twin's result, the ``CfdField`` on Twin's grid or None for a stored reference, which
    holds only its planes). ``on_cfd_flow``: add Twin's heat on the CFD's air (a case or a
    VTK file with a velocity; see ``compare_field``); ``field``: the CFD's temperature field
    (see ``load_field``)."""
    from twin.cfd import case_files, compare, reference

    path = Path(path)
    if field and path.suffix == ".json":
        raise ValueError(
            f"{path}: a stored reference keeps its own figures; --field picks a temperature "
            "field of a case or a VTK file"
        )
    if on_cfd_flow and path.suffix == ".json":
        raise ValueError(
            f"{path}: a stored reference keeps its air velocity on two planes only; solving "
            "Twin's heat on the CFD's flow needs the case or a VTK file with U"
        )
    # refused before the solve when of another room: racks paired by id compare nothing
    ref = reference.load_for(path, fac.layout.name) if path.suffix == ".json" else None
    if res is None and path.is_dir() and (path / case_files.DESCRIPTION).exists():
        case_files.checked(path, fac, hall)  # a case of another hall or layout: before the solve
    if res is None:
        from twin.physics import solve_steady

        res = solve_steady(fac, hall, cell_m)
    if ref is not None:
        out = compare.compare_reference(fac, res, ref)
        out["source"] = {"path": str(path), "kind": "reference"}
        out["twin"] = _twin_figures(res)
        return out, res, None
    cfd = load_field(path, fac, res.grid, reader, field)
    out = compare_field(fac, res, cfd, on_cfd_flow)
    out["units_at_capacity"] = compare.units_at_capacity(fac, res)
    out["source"] = _source_figures(cfd)
    out["twin"] = _twin_figures(res)
    return out, res, cfd


def _source_figures(cfd: CfdField) -> dict:
    """What the comparison says of its source (``source`` in ``--json``)."""
    out = {
        "path": cfd.source,
        "kind": cfd.kind,
        "implausible_cells": cfd.implausible_cells,
        "coverage": round(cfd.coverage, 4),
        "racks_outside": cfd.racks_outside,
        "field": cfd.field_name,
        "other_fields": list(cfd.other_fields),
        "read_cell_m": cfd.read_cell_m,
        "spacing_m": None if cfd.spacing_m is None else round(cfd.spacing_m, 4),
        "held_at_inlet_cells": cfd.held_cells,
    }
    if cfd.load_changes:
        out["load_changes"] = cfd.load_changes
    if cfd.note:
        out["note"] = cfd.note
    for key in ("placement", "cold_air"):
        if getattr(cfd, key):
            out[key] = getattr(cfd, key)
    return out


def _twin_figures(res) -> dict:
    """Twin's side of a comparison: its cell (which the report and the window's summary
    set the CFD's read cell against), solve time and return."""
    return {"cell_m": res.cell_m, "seconds": res.seconds, "return_mean_c": res.return_mean_c}
