"""The one cell-size policy of the voxel grid: the default cell, the sizes a grid may have,
and the cell chosen for a hall of a given size.

Everything that solves a hall (``twin thermal``, ``twin render --thermal``, the window's
thermal view, the editor's re-solve after each edit, the simulator's physics fill) asks here,
so the same hall gets the same grid everywhere. Three limits, each for its own reason:

- ``MAX_CELLS``: the largest grid ``build_grid`` builds at all (memory: about 1 kB a cell
  with the flow, heat and multigrid arrays, so 30 M cells is ~30 GB).
- ``VIEW_MAX_CELLS``: the most cells an automatic choice gives, so a hall shown in the window
  or rendered without ``--cell`` solves in seconds, not minutes.
- ``EDIT_MAX_CELLS``: halls larger than this at the chosen cell are not re-solved after every
  edit: the solve would take long and hold the GIL in long stretches while the user drags.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: The finest cell chosen by default (m): resolves a rack's front face in ~10 layers.
DEFAULT_CELL_M = 0.2
#: Cell sizes a grid may have (m); 0.1-0.25 m is typical (DESIGN.md).
MIN_CELL_M, MAX_CELL_M = 0.05, 1.0
#: Automatic choices are multiples of this (m), so they read well and repeat.
CELL_STEP_M = 0.05
MAX_CELLS = 30_000_000
VIEW_MAX_CELLS = 1_000_000
EDIT_MAX_CELLS = 400_000
#: Memory of a solve per cell (flow, heat and multigrid arrays), bytes.
BYTES_PER_CELL = 1_000
#: Environment variable that sets the memory a solve may use, GB (default: half the RAM).
ENV_MAX_SOLVE_GB = "TWIN_MAX_SOLVE_GB"


def solve_memory_budget_bytes() -> int:
    """What one solve may allocate: ``TWIN_MAX_SOLVE_GB``, else half the machine's memory."""
    import os

    try:
        return int(float(os.environ[ENV_MAX_SOLVE_GB]) * 1e9)
    except (KeyError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return MAX_CELLS * BYTES_PER_CELL


def grid_shape(size_m, cell_m: float) -> tuple[int, int, int]:
    """Cells along x, y and z of a hall of ``size_m`` (w, d, h) at ``cell_m``: each side
    rounded to whole cells, at least two."""
    h = float(cell_m)
    return tuple(max(int(round(float(v) / h)), 2) for v in size_m)  # type: ignore[return-value]


def hall_cells(facility: Facility, hall: int, cell_m: float) -> int:
    """How many cells the hall's grid has at ``cell_m`` (as ``build_grid`` makes it)."""
    return math.prod(grid_shape(facility.hall_size_m[hall], cell_m))


def cell_problem(facility: Facility, hall: int, cell_m: float) -> str | None:
    """Why a grid of this hall at ``cell_m`` cannot be built (None when it can)."""
    if not MIN_CELL_M <= cell_m <= MAX_CELL_M:
        return (
            f"cell size {cell_m} m is outside {MIN_CELL_M:g}-{MAX_CELL_M:g} m "
            f"(0.1-0.25 m is typical)"
        )
    n = hall_cells(facility, hall, cell_m)
    if n > MAX_CELLS:
        return (
            f"hall {facility.hall_ids[hall]} at {cell_m} m cells is {n:,} cells "
            f"(limit {MAX_CELLS:,}); choose a coarser cell, at least "
            f"{coarser_cell_m(facility, hall, MAX_CELLS, cell_m):g} m"
        )
    budget = solve_memory_budget_bytes()
    if n * BYTES_PER_CELL > budget:  # estimated before anything is allocated
        fits = max(1, budget // BYTES_PER_CELL)
        return (
            f"hall {facility.hall_ids[hall]} at {cell_m} m cells ({n:,} cells) needs about "
            f"{n * BYTES_PER_CELL / 1e9:.1f} GB, more than the {budget / 1e9:.1f} GB a solve may "
            f"use ({ENV_MAX_SOLVE_GB}); choose a coarser cell, at least "
            f"{coarser_cell_m(facility, hall, fits, cell_m):g} m"
        )
    return None


def coarser_cell_m(facility: Facility, hall: int, max_cells: int, than_m: float) -> float:
    """The finest cell coarser than ``than_m``, in ``CELL_STEP_M`` steps, whose grid of the
    hall has at most ``max_cells`` cells: what a refusal offers (``choose_cell_m`` starts at
    the default 0.2 m, so a hall too big at 0.05 m was told 0.2 m where 0.1 m would do)."""
    cell = choose_cell_m(facility, hall, max_cells, from_m=than_m)
    while hall_cells(facility, hall, cell) > max_cells and cell < MAX_CELL_M:
        cell = round(cell + CELL_STEP_M, 3)  # the volume estimate ignores per-axis rounding
    return cell


def choose_cell_m(
    facility: Facility,
    hall: int,
    max_cells: int = VIEW_MAX_CELLS,
    from_m: float = DEFAULT_CELL_M,
) -> float:
    """The finest cell, in ``CELL_STEP_M`` steps from ``from_m`` (``DEFAULT_CELL_M``), that
    keeps the hall's grid within ``max_cells`` by its volume (a 43 x 36 x 5 m hall of the 100k
    factory stays at 0.2 m, ~1 M)."""
    w, d, h = (float(v) for v in facility.hall_size_m[hall])
    cell = max(from_m, (w * d * h / max_cells) ** (1 / 3))
    return round(math.ceil(cell / CELL_STEP_M - 1e-9) * CELL_STEP_M, 3)


def resolves_per_edit(facility: Facility, hall: int, cell_m: float) -> bool:
    """Whether the hall is small enough at ``cell_m`` to re-solve after every edit."""
    return hall_cells(facility, hall, cell_m) <= EDIT_MAX_CELLS


#: Rack mean-inlet shift measured where a heat cell does not nest in the momentum grid: the
#: physics tests' 85 % aisle at 0.125 m against 0.2 m (0.43 K to 0.1 m, which nests).
UNNESTED_SHIFT_K = 0.73


def momentum_note(cell_m: float, flow_cell_m: float) -> str | None:
    """A warning where a heat cell finer than the momentum grid does not nest in it (None
    where it does, or where the momentum is marched on the heat grid itself): the marched
    velocity is then interpolated between faces that do not line up, which moves the racks'
    inlets by up to ``UNNESTED_SHIFT_K``, more than refining the grid gains."""
    if flow_cell_m <= cell_m * (1 + 1e-6):
        return None
    ratio = flow_cell_m / cell_m
    if abs(ratio - round(ratio)) < 1e-6:
        return None
    return (
        f"{cell_m:g} m cells do not nest in the {flow_cell_m:g} m momentum grid: the air "
        f"velocity is interpolated between faces that do not line up, which moved an aisle's "
        f"rack inlets by {UNNESTED_SHIFT_K:g} K in the physics tests; {flow_cell_m / 2:g} m or "
        f"{flow_cell_m:g} m cells nest"
    )
