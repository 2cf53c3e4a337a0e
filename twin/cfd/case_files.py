"""The two files a Twin-written OpenFOAM case carries so that its results can be read back:
``twin_case.json`` (its hall, cell and what each patch is) and ``twin_cells.npy`` (the grid
cell each mesh cell is), read with the checks that keep a case from being compared with a
room it is not of.

A case is read back onto the layout's grid at the case's cell, cell by cell. A case of
another hall, or written before a rack was moved or turned, put its values into the wrong
cells with nothing said: a rack moved since read "+16.24 K" against its old neighbour's air.
Such a case is refused, with what differs and the command that writes it again."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from twin.physics.cells import MAX_CELL_M, MIN_CELL_M
from twin.physics.grid import Grid

DESCRIPTION, CELL_MAP = "twin_case.json", "twin_cells.npy"


class CaseFilesError(ValueError):
    """A Twin-written case whose own files cannot be read, or that is not of the room it is
    compared with."""


def _again(case: Path, cell_m: float) -> str:
    return f"write its case again (twin cfd case LAYOUT {case} --cell {cell_m:g} --run --force)"


def description(case: str | Path) -> dict:
    """``twin_case.json``: a JSON object with the hall (a string) and the cell (metres)."""
    case = Path(case)
    path = case / DESCRIPTION
    try:
        desc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CaseFilesError(f"{path}: not a case description Twin can read ({e})") from None
    if not isinstance(desc, dict):
        raise CaseFilesError(f"{path}: not a case description Twin wrote (not a JSON object)")
    cell = desc.get("cell_m")
    if isinstance(cell, bool) or not isinstance(cell, (int, float)) or not math.isfinite(cell):
        raise CaseFilesError(f"{path}: its cell_m is {cell!r}, not a cell size in metres")
    if not MIN_CELL_M <= cell <= MAX_CELL_M:
        raise CaseFilesError(
            f"{path}: its cell_m is {cell:g} m, outside the {MIN_CELL_M:g}-{MAX_CELL_M:g} m a "
            "case is written at"
        )
    if not isinstance(desc.get("hall"), str):
        raise CaseFilesError(f"{path}: its hall is {desc.get('hall')!r}, not a hall id")
    _check_patches(path, desc)
    return desc


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_patches(path: Path, desc: dict) -> None:
    """The patch list (what the loads are read from, ``case_loads``): objects with a kind
    and an owner (strings) and a flow (a number), a rack rear's rise too, and the air's
    rho cp a number where there are patches (cases the tests write by hand have none); the
    mean supply, where given, a number."""
    patches = desc.get("patches")
    if patches is None:
        return
    if not isinstance(patches, list):
        raise CaseFilesError(f"{path}: its patches are {type(patches).__name__}, not a list")
    for n, pp in enumerate(patches):
        if not isinstance(pp, dict):
            raise CaseFilesError(f"{path}: patches[{n}] is {pp!r}, not a patch")
        for key in ("kind", "owner_id"):
            if not isinstance(pp.get(key), str):
                raise CaseFilesError(f"{path}: patches[{n}].{key} is {pp.get(key)!r}, not a name")
        keys = ("flow_m3s", "rise_k") if pp["kind"] == "rack_rear" else ("flow_m3s",)
        for key in keys:
            if not _number(pp.get(key)):
                raise CaseFilesError(
                    f"{path}: patches[{n}].{key} ({pp['owner_id']}) is {pp.get(key)!r}, not a number"
                )
    if patches and not _number(desc.get("rho_cp")):
        raise CaseFilesError(f"{path}: its rho_cp is {desc.get('rho_cp')!r}, not a number")
    if desc.get("supply_mean_c") is not None and not _number(desc["supply_mean_c"]):
        raise CaseFilesError(
            f"{path}: its supply_mean_c is {desc['supply_mean_c']!r}, not a number"
        )


def check_hall(case: str | Path, desc: dict, hall_ids: list[str], hall: int | None) -> int:
    """The index in ``hall_ids`` of the case's hall; refused when it is another than
    ``hall`` (None: any of the layout's)."""
    have = desc["hall"]
    if have in hall_ids and (hall is None or have == hall_ids[hall]):
        return hall_ids.index(have)
    if have in hall_ids:
        raise CaseFilesError(
            f"{case} is a case of hall {have}, not {hall_ids[hall]}: compare it with --hall {have}"
        )
    raise CaseFilesError(
        f"{case} is a case of hall {have}, a hall this layout does not have (its halls: "
        f"{', '.join(hall_ids)})"
    )


def cell_map(case: str | Path, grid: Grid) -> np.ndarray:
    """``twin_cells.npy``: the flat cell of ``grid`` each mesh cell is (integers, increasing,
    within the grid); no pickled objects are loaded."""
    path = Path(case) / CELL_MAP
    try:
        cells = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise CaseFilesError(f"{path}: not the cell map Twin wrote ({e})") from None
    if cells.ndim != 1 or not np.issubdtype(cells.dtype, np.integer):
        raise CaseFilesError(
            f"{path}: not the cell map Twin wrote ({cells.dtype} values of shape "
            f"{cells.shape}, not a list of cell numbers)"
        )
    if len(cells) and (cells[0] < 0 or cells[-1] >= grid.n_cells or np.any(np.diff(cells) <= 0)):
        raise CaseFilesError(
            f"{path}: not the cell map Twin wrote (its cell numbers are not increasing within "
            f"the hall's {grid.n_cells:,} cells at {grid.cell_m:g} m)"
        )
    return cells.astype(np.int64)


def port_digest(grid: Grid) -> str:
    """A fingerprint of where the grid's ports are and what each is (kind, cell, face): the
    same for the same racks, tiles, grilles and units, whatever their ids or flows."""
    p = grid.ports
    rows = np.stack([p.kind, p.cell, p.axis, p.sign], 1).astype(np.int64)
    rows = rows[np.lexsort(rows.T[::-1])]
    return hashlib.sha256(rows.tobytes()).hexdigest()[:16]


def check_room(case: str | Path, desc: dict, cells: np.ndarray, grid: Grid, hall_id: str) -> None:
    """Refuse a case whose mesh is not ``grid``'s air (a rack, unit or panel moved since it
    was written) or whose ports are not ``grid``'s (a rack turned, a tile or grille moved;
    cases written before the fingerprint was kept are checked by their cells alone)."""
    air = np.flatnonzero(grid.fluid.ravel())
    if len(cells) != len(air) or not np.array_equal(cells, air):
        gone = int(np.count_nonzero(~np.isin(cells, air)))
        new = int(np.count_nonzero(~np.isin(air, cells)))
        raise CaseFilesError(
            f"{case} was written from another layout of hall {hall_id}: {gone:,} of its "
            f"{len(cells):,} mesh cells are not air in this layout at {grid.cell_m:g} m, and "
            f"{new:,} of the layout's air cells are not in the mesh (a rack, air unit or "
            f"containment panel has moved since); {_again(Path(case), grid.cell_m)}"
        )
    digest = desc.get("port_digest")
    if digest is not None and digest != port_digest(grid):
        raise CaseFilesError(
            f"{case} was written from another layout of hall {hall_id}: its mesh is this "
            "layout's air, but its ports are not (a rack turned, or a tile, grille or air "
            f"unit moved or changed, since); {_again(Path(case), grid.cell_m)}"
        )


def checked(case: str | Path, fac, hall: int | None = None) -> tuple[dict, Grid, np.ndarray]:
    """(description, the hall's grid at the case's cell, the cell map) of a Twin-written case
    that is of ``fac``'s hall ``hall`` (None: its own hall, which the layout must have) as
    the layout is now; refused otherwise."""
    from twin.physics.grid import build_grid

    desc = description(case)
    hall = check_hall(case, desc, fac.hall_ids, hall)
    own = build_grid(fac, hall, desc["cell_m"])
    cells = cell_map(case, own)
    check_room(case, desc, cells, own, fac.hall_ids[hall])
    return desc, own, cells
