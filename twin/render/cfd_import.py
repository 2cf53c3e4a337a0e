"""Read a CFD temperature field from an OpenFOAM case (its latest time) or a VTK file
(.vtk, .vtu, .vtp, .vti, .vtm) through PyVista: cell centres and values, for
``twin.cfd.field.from_points`` to bring onto Twin's grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Names a temperature field commonly has, tried in order.
FIELD_NAMES = ("T", "TMean", "temperature", "Temperature", "T_c", "air_c")


class CfdImportError(ValueError):
    """A file or case without a readable temperature field (named in the message)."""


def _pick(data, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in data.keys()), None)


def _openfoam_block(case: Path):
    import pyvista as pv

    control = case / "system" / "controlDict"
    if not control.exists():
        raise CfdImportError(f"{case}: not an OpenFOAM case (no system/controlDict)")
    reader = pv.OpenFOAMReader(str(control))
    times = [t for t in reader.time_values if t > 0] or list(reader.time_values)
    if not times:
        raise CfdImportError(f"{case}: the case has no time directory with fields")
    reader.set_active_time_value(times[-1])
    reader.enable_all_cell_arrays()
    mesh = reader.read()
    block = mesh["internalMesh"] if "internalMesh" in mesh.keys() else mesh[0]
    return block


def read_points(path: str | Path, field: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """(points (N, 3) in the file's metres, values (N,), field name) of a CFD temperature."""
    import pyvista as pv

    path = Path(path)
    if not path.exists():
        raise CfdImportError(f"{path}: no such file or case")
    if path.is_dir():
        mesh = _openfoam_block(path)
    else:
        try:
            mesh = pv.read(str(path))
        except Exception as e:  # VTK raises many kinds of errors for a bad file
            raise CfdImportError(f"{path}: cannot be read as VTK ({e})") from e
        if isinstance(mesh, pv.MultiBlock):
            mesh = mesh.combine()
    names = (field,) if field else FIELD_NAMES
    name = _pick(mesh.cell_data, names)
    if name is not None:
        pts = np.asarray(mesh.cell_centers().points, float)
        vals = np.asarray(mesh.cell_data[name], float)
    else:
        name = _pick(mesh.point_data, names)
        if name is None:
            have = sorted(set(mesh.cell_data.keys()) | set(mesh.point_data.keys()))
            raise CfdImportError(
                f"{path}: no temperature field ({', '.join(names)}); it has: {', '.join(have)}"
            )
        pts = np.asarray(mesh.points, float)
        vals = np.asarray(mesh.point_data[name], float)
    if vals.ndim != 1:
        raise CfdImportError(f"{path}: field {name} is not a scalar")
    return pts, vals, name
