"""Chen & Xu's length scale: the distance from an air cell's centre to the nearest solid
surface, checked against a brute-force distance to every solid cell's box and the hall's
six walls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics.airflow import wall_distance_m
from twin.physics.grid import build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "wall-crah-plenum-mixed.yaml"


@pytest.fixture(scope="module")
def grid():
    return build_grid(load_layout(ROOM), 0, 0.2)


def _true_distance_m(grid, cells: np.ndarray) -> np.ndarray:
    """Distance from the centres of ``cells`` (k, 3) to the nearest solid box or wall."""
    h = grid.cell_m
    centre = (cells + 0.5) * h
    size = np.array(grid.shape) * h
    walls = np.minimum(centre, size - centre).min(axis=1)
    solid = (np.argwhere(~grid.fluid) + 0.5) * h
    gap = np.maximum(np.abs(centre[:, None, :] - solid[None, :, :]) - h / 2, 0.0)
    boxes = np.sqrt((gap**2).sum(axis=2)).min(axis=1)
    return np.minimum(walls, boxes)


def test_wall_distance_is_the_distance_to_the_nearest_solid_surface(grid):
    h = grid.cell_m
    air = np.argwhere(grid.fluid)
    pick = air[np.random.default_rng(3).choice(len(air), 400, replace=False)]
    d = wall_distance_m(grid)[tuple(pick.T)]
    true = _true_distance_m(grid, pick)
    # exact where the nearest surface is a face straight across; over by at most
    # (sqrt(3) / 2 - 1 / 2) h where it is a solid's corner seen diagonally
    assert (d >= true - 1e-9).all()
    assert (d - true <= (np.sqrt(3) / 2 - 0.5) * h + 1e-9).all()
    assert np.mean(np.isclose(d, true)) > 0.8


def test_a_cell_against_a_wall_or_a_rack_is_half_a_cell_from_it(grid):
    h = grid.cell_m
    d = wall_distance_m(grid)
    fl = grid.fluid
    assert np.allclose(d[:, :, 0][fl[:, :, 0]], h / 2)  # on the floor
    assert np.allclose(d[:, :, -1][fl[:, :, -1]], h / 2)  # under the ceiling
    beside_solid = fl[1:-1] & ~fl[:-2]  # air with a solid cell on its -x side
    assert beside_solid.any()
    assert np.allclose(d[1:-1][beside_solid], h / 2)
