"""OpenFOAM cases for the tests, written as ``twin.cfd.foam_case`` leaves them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def write_case(path: Path, res, air: np.ndarray, vel: np.ndarray) -> Path:
    """A case as ``twin.cfd.foam_case`` leaves it, reduced to what is read back: its cell
    map, description and one time with T and U."""
    g = res.grid
    cells = np.flatnonzero(g.fluid.ravel())
    path.mkdir()
    np.save(path / "twin_cells.npy", cells)
    (path / "twin_case.json").write_text(json.dumps({"cell_m": g.cell_m, "hall": "ROOM"}))
    write_fields(path, "500", {"T": air.ravel()[cells], "U": vel.reshape(-1, 3)[cells]})
    return path


def read_back(grid) -> np.ndarray:
    """The air cells whose temperature a Twin-written case on ``grid`` is read back at: all
    but those behind the rack rears that the case holds at the rack's inlet
    (``foam_mesh.held_at_inlet``)."""
    from twin.cfd.foam_mesh import held_at_inlet

    kept = grid.fluid.copy()
    kept.reshape(-1)[held_at_inlet(grid)] = False
    return kept


def write_fields(case: Path, time: str, fields: dict[str, np.ndarray]) -> None:
    """Cell fields (N,) scalars or (N, 3) vectors into time directory ``time``, as the
    solver writes them (ASCII internalField lists)."""
    from twin.cfd.foam_mesh import foam_header

    t = case / time
    t.mkdir(exist_ok=True)
    for name, vals in fields.items():
        vals = np.asarray(vals, float)
        if vals.ndim == 1:
            kind, rows = "Scalar", (f"{x:.9g}" for x in vals)
        else:
            kind, rows = "Vector", (f"({a:.9g} {b:.9g} {c:.9g})" for a, b, c in vals)
        (t / name).write_text(
            foam_header(f"vol{kind}Field", name, time)
            + f"internalField nonuniform List<{kind.lower()}> {len(vals)}(\n"
            + "\n".join(rows)
            + "\n);\n"
        )


def write_monitor(case: Path, name: str, it: np.ndarray, vals: np.ndarray) -> None:
    """A surfaceFieldValue monitor ``name`` (``mon_<patch>``) as the solver writes it."""
    d = case / "postProcessing" / name / "0"
    d.mkdir(parents=True, exist_ok=True)
    rows = "\n".join(f"{i}\t{v:.10e}" for i, v in zip(it, vals, strict=True))
    (d / "surfaceFieldValue.dat").write_text(
        f"# Region type : patch {name}\n# Time\tvalue\n{rows}\n"
    )
