"""OpenFOAM cases for the tests, written as ``twin.cfd.foam_case`` leaves them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_case(path: Path, res, air: np.ndarray, vel: np.ndarray) -> Path:
    """A case as ``twin.cfd.foam_case`` leaves it, reduced to what is read back: its cell
    map, description and one time with T and U."""
    from twin.cfd.foam_mesh import foam_header

    g = res.grid
    cells = np.flatnonzero(g.fluid.ravel())
    path.mkdir()
    np.save(path / "twin_cells.npy", cells)
    (path / "twin_case.json").write_text(json.dumps({"cell_m": g.cell_m, "hall": "ROOM"}))
    t = path / "500"
    t.mkdir()
    tv = air.ravel()[cells]
    uv = vel.reshape(-1, 3)[cells]
    (t / "T").write_text(
        foam_header("volScalarField", "T", "500")
        + f"internalField nonuniform List<scalar> {len(tv)}(\n"
        + "\n".join(f"{x:.9g}" for x in tv)
        + "\n);\n"
    )
    (t / "U").write_text(
        foam_header("volVectorField", "U", "500")
        + f"internalField nonuniform List<vector> {len(uv)}(\n"
        + "\n".join(f"({a:.9g} {b:.9g} {c:.9g})" for a, b, c in uv)
        + "\n);\n"
    )
    return path
