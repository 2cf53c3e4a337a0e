"""The cell-size policy: the same hall gets the same grid everywhere, and the limits say why."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from twin.physics import GridError, build_grid, cells
from twin.physics.cells import (
    DEFAULT_CELL_M,
    EDIT_MAX_CELLS,
    MAX_CELLS,
    VIEW_MAX_CELLS,
    cell_problem,
    choose_cell_m,
    grid_shape,
    hall_cells,
    resolves_per_edit,
)


def _hall(w: float, d: float, h: float) -> SimpleNamespace:
    return SimpleNamespace(hall_size_m=np.array([[w, d, h]]), hall_ids=["H1"])


def test_shape_rounds_each_side_and_keeps_two_cells():
    assert grid_shape((12.0, 10.0, 4.0), 0.2) == (60, 50, 20)
    assert grid_shape((12.1, 9.9, 0.1), 0.2) == (60, 50, 2)  # 60.5 -> 60 (half to even)
    assert hall_cells(_hall(12.0, 10.0, 4.0), 0, 0.5) == 24 * 20 * 8


def test_default_cell_for_a_small_hall_coarser_for_a_big_one():
    assert choose_cell_m(_hall(12.0, 10.0, 4.0), 0) == DEFAULT_CELL_M
    # 43 x 36 x 5 m at 0.2 m is 967,500 cells: within the view limit, stays at 0.2 m
    assert choose_cell_m(_hall(43.0, 36.0, 5.0), 0) == DEFAULT_CELL_M
    # 200 x 150 x 8 m: (240,000 / 1e6)^(1/3) = 0.6214 m, up to the next 0.05 m step
    big = _hall(200.0, 150.0, 8.0)
    assert choose_cell_m(big, 0) == pytest.approx(0.65)
    assert hall_cells(big, 0, 0.65) <= VIEW_MAX_CELLS
    assert hall_cells(big, 0, 0.6) > VIEW_MAX_CELLS  # one step finer would not fit
    assert choose_cell_m(big, 0, max_cells=MAX_CELLS) == pytest.approx(0.2)


def test_edit_limit_is_per_cell_count():
    # demo-sized hall: 16.8 x 12 x 3.6 m at 0.2 m is 84 x 60 x 18 = 90,720 cells
    assert resolves_per_edit(_hall(16.8, 12.0, 3.6), 0, 0.2)
    # 30 x 30 x 4 m at 0.2 m is 450,000 cells: too many for a re-solve per edit, fine at 0.25
    hall = _hall(30.0, 30.0, 4.0)
    assert hall_cells(hall, 0, 0.2) == 450_000 > EDIT_MAX_CELLS
    assert not resolves_per_edit(hall, 0, 0.2)
    assert resolves_per_edit(hall, 0, 0.25)


def test_problems_name_the_limit_and_a_cell_that_works_not_a_flag(monkeypatch):
    monkeypatch.setenv("TWIN_MAX_SOLVE_GB", "100")  # the cell limit, not this machine's memory
    hall = _hall(200.0, 200.0, 10.0)  # 800 x 800 x 40 = 25.6 M cells at 0.25 m
    assert cell_problem(hall, 0, 0.25) is None
    msg = cell_problem(hall, 0, 0.1)  # 2000 x 2000 x 100
    assert "400,000,000 cells" in msg and f"{MAX_CELLS:,}" in msg and "--" not in msg
    coarser = float(msg.rsplit("at least ", 1)[1].split()[0])
    assert cell_problem(hall, 0, coarser) is None
    assert "outside 0.05-1 m" in cell_problem(hall, 0, 0.01)
    assert "outside" in cell_problem(hall, 0, 1.5)


def test_a_refusal_offers_the_finest_cell_that_fits_not_the_default(monkeypatch):
    """60 x 60 x 5 m: 43.2 M cells at 0.05 m (over 30 M), 5.4 M at 0.1 m. The refusal said
    'at least 0.2 m' (the automatic choice's floor) where 0.1 m is accepted."""
    monkeypatch.setenv("TWIN_MAX_SOLVE_GB", "100")
    hall = _hall(60.0, 60.0, 5.0)
    assert hall_cells(hall, 0, 0.05) == 1200 * 1200 * 100 > MAX_CELLS
    assert cell_problem(hall, 0, 0.05).endswith("choose a coarser cell, at least 0.1 m")
    assert cell_problem(hall, 0, 0.1) is None
    monkeypatch.setenv("TWIN_MAX_SOLVE_GB", "6")  # about 6 M cells of 1 kB
    msg = cell_problem(hall, 0, 0.1)  # 600 x 600 x 50 = 18 M cells, 18 GB
    assert msg.endswith("choose a coarser cell, at least 0.15 m")  # 400 x 400 x 33 = 5.3 M
    assert hall_cells(hall, 0, 0.15) == 400 * 400 * 33


def test_build_grid_uses_the_policy(write_layout):
    from tests.physics.conftest import aisle_room

    fac = write_layout(aisle_room())
    g = build_grid(fac, 0, 0.25)
    assert g.shape == cells.grid_shape(fac.hall_size_m[0], 0.25)
    with pytest.raises(GridError, match="outside 0.05-1 m"):
        build_grid(fac, 0, 0.02)


@pytest.mark.parametrize(
    ("cell_m", "nests"),
    [
        (0.2, True),
        (0.1, True),
        (0.05, True),
        (0.25, True),
        (0.4, True),
        (0.15, False),
        (0.125, False),
        (0.17, False),
    ],
)
def test_a_heat_cell_that_does_not_nest_in_the_momentum_grid_is_named(cell_m, nests):
    """0.2 m momentum: 0.1 and 0.05 m split its cells; 0.25 and 0.4 m march on their own grid
    (a coarser heat cell is its own momentum cell); 0.15, 0.125 and 0.17 m (the bench hall's)
    take the flow through an interpolation, and the note says which cells would nest."""
    from twin.physics.cells import momentum_note

    note = momentum_note(cell_m, max(cell_m, 0.2))
    assert (note is None) == nests
    if not nests:
        assert f"{cell_m:g} m cells do not nest in the 0.2 m momentum grid" in note
        assert "0.1 m or 0.2 m cells nest" in note


def test_the_cli_says_when_the_cell_does_not_nest(capsys):
    """The table prints the note and --json carries it with the momentum cell; a cell that
    nests prints none."""
    import json

    from twin.cli import main

    assert main(["thermal", "layouts/test-room.yaml", "--cell", "0.3"]) == 0
    assert "nest" not in capsys.readouterr().out  # (other notes may be printed)
    assert main(["thermal", "layouts/test-room.yaml", "--cell", "0.15", "--json"]) == 0
    grid = json.loads(capsys.readouterr().out)["grid"]
    assert grid["cell_m"] == 0.15 and grid["momentum_cell_m"] == 0.2
    assert grid["note"].startswith("0.15 m cells do not nest in the 0.2 m momentum grid")
