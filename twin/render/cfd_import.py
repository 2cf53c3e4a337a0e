"""Read a CFD temperature field, and its air velocity when it has one, from an OpenFOAM case
(its latest time) or a VTK file (.vtk, .vtu, .vtp, .vti, .vtm) through PyVista: cell
centres and values, for ``twin.cfd.field`` to bring onto Twin's grid."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from twin.cfd.csv_points import TABLE_SUFFIXES
from twin.cfd.source import CfdPoints

#: Names a temperature field commonly has, tried in order.
FIELD_NAMES = ("T", "TMean", "temperature", "Temperature", "T_c", "air_c")
#: ... and a velocity field.
VELOCITY_NAMES = ("U", "UMean", "velocity", "Velocity", "U_ms", "air_velocity_ms")


class CfdImportError(ValueError):
    """A file or case without a readable temperature field (named in the message)."""


def _pick(data, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in data.keys()), None)


def _openfoam_block(case: Path, names: tuple[str, ...]):
    import pyvista as pv

    from twin.cfd import foam_read

    control = case / "system" / "controlDict"
    if not control.exists():
        raise CfdImportError(f"{case}: not an OpenFOAM case (no system/controlDict)")
    try:  # the newest results: a serial run's, or a decomposed run's not reconstructed
        latest = foam_read.latest_time(case, names)
    except foam_read.FoamReadError as e:
        raise CfdImportError(str(e)) from e
    with pv.VtkErrorCatcher(send_to_logging=False) as caught:
        reader = pv.POpenFOAMReader(str(control))
        if latest.decomposed:
            reader.case_type = "decomposed"
        reader.set_active_time_value(latest.time)
        reader.enable_all_cell_arrays()
        mesh = reader.read()
    block = mesh["internalMesh"] if "internalMesh" in mesh.keys() else mesh[0]
    # a field file cut short (a run still writing it) is otherwise left out in silence, and
    # the next name on the list (TMean for T) compared in its place
    names = [n for n in FIELD_NAMES + VELOCITY_NAMES if latest.files(n)]
    lost = [f for n in names if n not in block.cell_data.keys() for f in latest.files(n)]
    if lost or caught.error_events:
        why = caught.error_events[0].alert if caught.error_events else "cut short or damaged?"
        what = ", ".join(str(f) for f in lost) or "its latest time"
        raise CfdImportError(f"{case}: the case cannot be read: {what} ({why})")
    return block


def _mesh(path: Path, names: tuple[str, ...] = FIELD_NAMES):
    import pyvista as pv

    if not path.exists():
        raise CfdImportError(f"{path}: no such file or case")
    if path.is_dir():
        return _openfoam_block(path, names)
    try:
        with pv.VtkErrorCatcher(send_to_logging=False) as caught:
            mesh = pv.read(str(path))
    except Exception as e:  # VTK raises many kinds of errors for a bad file
        raise CfdImportError(f"{path}: cannot be read as VTK ({e})") from e
    if isinstance(mesh, pv.MultiBlock):
        mesh = _volume(mesh)
    # a file cut short reads as an empty mesh, a multi-block file missing a block as the rest
    # of it: VTK only logs why
    if mesh.n_points == 0 or caught.error_events:
        why = caught.error_events[0].alert if caught.error_events else "it holds no points"
        raise CfdImportError(f"{path}: cannot be read as VTK ({why})")
    return mesh


def _volume(blocks):
    """The air of a multi-block file as one mesh: its blocks of volume cells (``foamToVTK``
    writes the internal mesh beside each boundary patch's faces, whose values are the
    boundary conditions', not the air's), or every block where none has volume cells (a
    point cloud in blocks)."""
    import pyvista as pv

    leaves = [b for b in blocks.recursive_iterator() if b is not None and b.n_points > 0]
    solid = [b for b in leaves if b.GetMaxSpatialDimension() == 3]
    keep = solid or leaves
    if not keep:
        return pv.PolyData()
    return keep[0] if len(keep) == 1 else pv.MultiBlock(keep).combine()


def _array(mesh, names: tuple[str, ...], centres) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(points, values, name) of the first of ``names`` the mesh holds, cell data (at
    ``centres()``) first."""
    name = _pick(mesh.cell_data, names)
    if name is not None:
        return centres(), np.asarray(mesh.cell_data[name], float), name
    name = _pick(mesh.point_data, names)
    if name is not None:
        return np.asarray(mesh.points, float), np.asarray(mesh.point_data[name], float), name
    return None


def read_cfd(path: str | Path, field: str | None = None) -> CfdPoints:
    """A CFD file's temperature (``field``, else the first of ``FIELD_NAMES``) and, when it
    has one, its air velocity (the first of ``VELOCITY_NAMES`` it holds, refused with its name
    if that is not a 3-vector)."""
    path = Path(path)
    if path.suffix.lower() in TABLE_SUFFIXES:
        return _table(path, field)
    names = (field,) if field else FIELD_NAMES
    mesh = _mesh(path, names)
    centres = functools.cache(lambda: np.asarray(mesh.cell_centers().points, float))
    got = _array(mesh, names, centres)
    if got is None:
        have = sorted(set(mesh.cell_data.keys()) | set(mesh.point_data.keys()))
        raise CfdImportError(
            f"{path}: no temperature field ({', '.join(names)}); it has: {', '.join(have)}"
        )
    pts, vals, name = got
    if vals.ndim != 1:
        raise CfdImportError(f"{path}: field {name} is not a scalar")
    have = set(mesh.cell_data.keys()) | set(mesh.point_data.keys())
    out = CfdPoints(
        pts, vals, name, others=tuple(n for n in FIELD_NAMES if n in have and n != name)
    )
    vel = _array(mesh, VELOCITY_NAMES, centres)
    if vel is not None:
        if vel[1].ndim != 2 or vel[1].shape[1] != 3:
            raise CfdImportError(f"{path}: field {vel[2]} is not a velocity (3 components)")
        out.velocity_points_m, out.velocity_ms = vel[0], vel[1]
    return out


def _table(path: Path, field: str | None) -> CfdPoints:
    """A table of points (``twin.cfd.csv_points``)."""
    from twin.cfd.csv_points import CsvPointsError, read_csv_points

    if not path.exists():
        raise CfdImportError(f"{path}: no such file or case")
    try:
        got = read_csv_points(path, field)
    except CsvPointsError as e:
        raise CfdImportError(str(e)) from None
    vel = got["velocity_ms"]
    return CfdPoints(
        got["points_m"],
        got["temp"],
        got["name"],
        velocity_points_m=None if vel is None else got["points_m"],
        velocity_ms=vel,
        others=got["others"],
    )
