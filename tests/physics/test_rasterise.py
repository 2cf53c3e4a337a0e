"""Where racks, tiles and containment panels land on the grid when their edges fall on cell
centres (``grid.EDGE_NUDGE_M``): every footprint covers the cells of its half-open span, so a
rack keeps its width, a tile run its length, and a door stands where its row of racks ends.

The ducted hot-aisle validation room is laid out on the 0.3 m half-tile pitch: at the
default 0.2 m cell its rows (x = 1.5-3.9 m), its tiles and its containment all have their
ends on cell centres (1.5 = 7.5 cells)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "hot-aisle-ducted-45kw.yaml"
H = 0.2


@pytest.fixture(scope="module")
def room():
    fac = load_layout(ROOM)
    return fac, build_grid(fac, 0, H)


def _x_cells(g, label: int, j: int, k: int = 2) -> np.ndarray:
    return np.flatnonzero(g.owner[:, j, k] == label)


def test_a_rack_on_cell_centres_keeps_its_width(room):
    """A1 (x 1.5-2.1 m, turned 0) and B1 (the same x, turned 180) take three cells each,
    x 1.4-2.0 m; four racks side by side take twelve, not thirteen."""
    fac, g = room
    for rack in ("A1", "B1"):
        r = fac.rack_ids.index(rack)
        y = fac.rack_center_m[r, 1]
        cells = _x_cells(g, r, int(y / H))
        assert cells.tolist() == [7, 8, 9], rack
    row_a = [fac.rack_ids.index(f"A{n}") for n in range(1, 5)]
    j = int(fac.rack_center_m[row_a[0], 1] / H)
    in_row = np.isin(g.owner[:, j, 2], row_a)
    assert np.flatnonzero(in_row).tolist() == list(range(7, 19))  # 2.4 m: x 1.4-3.8


def test_a_door_stands_where_its_row_of_racks_ends(room):
    """The hot aisle's doors (its containment x 1.5-3.9 m) close the faces at both ends of
    the racks' rows: no pocket of the hot aisle opens into the room beside an end rack."""
    fac, g = room
    row_a = [fac.rack_ids.index(f"A{n}") for n in range(1, 5)]
    j_rack = int(fac.rack_center_m[row_a[0], 1] / H)
    racks = np.flatnonzero(np.isin(g.owner[:, j_rack, 2], row_a))
    j_aisle = int(3.6 / H)  # mid hot aisle
    doors = np.flatnonzero((g.gx[:, j_aisle, 2] > 0) & (g.gx[:, j_aisle, 2] < 1))
    assert doors.tolist() == [racks[0], racks[-1] + 1]


def test_a_tile_run_on_cell_centres_keeps_its_length(room):
    """The cold aisle's tiles (x 1.5-3.9 m, y 0.6-1.8 m) feed 12 x 6 floor cells, and share
    their flow among them."""
    fac, g = room
    sup = g.ports.kind == 2  # SUPPLY
    tiles_a = sup & (g.ports.owner == 0)
    i, j, k = np.unravel_index(g.ports.cell[tiles_a], g.shape)
    assert sorted(set(i.tolist())) == list(range(7, 19))
    assert sorted(set(j.tolist())) == list(range(3, 9))
    assert (k == 0).all()
    assert g.ports.q[tiles_a].sum() == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("x_m", "first"),
    [
        (1.5, 7),
        (1.45, 7),
        (1.55, 8),
        (1.4, 7),
        (1.6, 8),
        (0.0, 0),
        (1.7, 8),
        (1.70000001, 8),
        (1.7001, 9),
    ],
)
def test_the_first_cell_past_an_edge(x_m, first):
    """A cell is past an edge when its centre is at or beyond it: a centre on the edge counts
    (x = 1.5 m: cell 7, centre 1.5; float noise under ``EDGE_NUDGE_M`` too), a face on the
    edge starts the next cell (1.4 m: 7)."""
    from twin.physics.grid import first_cell_from

    assert first_cell_from(x_m, H) == first


def test_a_turned_rack_covers_the_same_cells():
    """The rule is in the hall's axes, so turning a rack on its centre by 180 degrees leaves
    its cells as they were (the test room's rows are turned 0 and 180)."""
    fac = load_layout(ROOM)
    base = build_grid(fac, 0, H).owner
    turned = fac.layout.model_copy(deep=True)
    for row in turned.rows:
        for rack in row.racks:
            rack.rotation_deg = (rack.rotation_deg + 180) % 360
    from twin.model.facility import Facility

    other = build_grid(Facility(turned, fac.catalog), 0, H).owner
    assert np.array_equal(base >= 0, other >= 0)
