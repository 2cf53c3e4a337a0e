"""The air through every face of a case Twin wrote, exactly as its solver carried it.

OpenFOAM's face flux ``phi`` (m3/s, positive from a face's owner cell to its neighbour) is
what the solver conserves; its cell-centred ``U`` is not a face flux, and inside porous
layers the two part: on the contained validation rooms' 0.15 m cases the porous panels pass
0.52, 0.52 and 0.66 m3/s (doors and roof, `phi`), while their cells' ``U``, averaged onto the
same faces, gives 0.31, 0.31 and 0.39, short of the 1.70 m3/s the racks draw beyond the
tiles' supply (the porosity's pressure jump sits on the face, not in the cells). An aisle's
air budget is therefore read from ``phi`` where the case has it (``twin.cfd.aisles``).

A Twin-written mesh is the grid's air cells (``twin_cells.npy``: each OpenFOAM cell's flat
grid index) with an internal face between every two neighbouring air cells, so each
internal face is one grid face, found from its owner and neighbour cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.physics.grid import Grid


class NoFaceFlux(LookupError):
    """The case has no face flux to read at that time (none written, or decomposed)."""


def flux_name(field: str) -> str:
    """The face flux that goes with a temperature field: ``phiMean`` beside the running mean
    ``TMean`` (kept since cases average it), ``phi`` beside ``T``."""
    return "phiMean" if field.endswith("Mean") else "phi"


def face_velocities(case: str | Path, grid: Grid, results, name: str = "phi") -> tuple:
    """(u, v, w) face velocities (m/s, shaped as ``Flow``'s: (nx+1, ny, nz) ...) of the case's
    ``name`` flux at ``results`` (a ``foam_read.Results``) on ``grid``, the grid its mesh
    was written from; 0 on faces that are no internal face. Raises ``NoFaceFlux`` where the
    case has none to read, ``foam_read.FoamReadError`` where its mesh or flux does not fit
    the grid (named in the message)."""
    from twin.cfd import foam_read
    from twin.cfd.case_files import cell_map

    case = Path(case)
    if results.decomposed or not results.has(name):
        raise NoFaceFlux(f"{case}: no {name} at time {results.name}")
    poly = case / "constant" / "polyMesh"
    owner = foam_read.read_label_list(poly / "owner")
    neigh = foam_read.read_label_list(poly / "neighbour")
    cells = cell_map(case, grid)
    n = len(neigh)
    labels = np.concatenate([owner[:n], neigh])
    if n > len(owner) or (labels.size and (labels.min() < 0 or labels.max() >= len(cells))):
        raise foam_read.FoamReadError(
            f"{poly}: its owner and neighbour lists are not of its {len(cells):,} cells"
        )
    phi = foam_read.read_internal_field(results.files(name)[0], n)
    if phi.ndim != 1 or len(phi) != n:
        raise foam_read.FoamReadError(
            f"{case}: its {name} at time {results.name} holds {len(phi):,} values, its mesh "
            f"{n:,} internal faces"
        )
    lo = np.array(np.unravel_index(cells[owner[:n]], grid.shape))
    hi = np.array(np.unravel_index(cells[neigh], grid.shape))
    step = hi - lo
    if not (np.abs(step).sum(axis=0) == 1).all():
        raise foam_read.FoamReadError(
            f"{poly}: a face joins cells that are not neighbours on the case's grid"
        )
    axis = np.argmax(np.abs(step), axis=0)
    sign = step[axis, np.arange(n)]  # +1 where the owner is the lower cell
    out = []
    for a in range(3):
        shape = list(grid.shape)
        shape[a] += 1
        vel = np.zeros(shape)
        m = axis == a
        face = [lo[b][m] for b in range(3)]
        face[a] = np.maximum(lo[a][m], hi[a][m])  # the higher cell's low face
        vel[tuple(face)] = phi[m] * sign[m] / grid.cell_m**2  # along +axis
        out.append(vel)
    return tuple(out)
