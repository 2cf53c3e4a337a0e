"""The cold aisles' air budget that ``twin cfd compare`` prints beside the rack table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_case
from twin.cfd import aisles
from twin.model.loader import load_layout
from twin.physics import solve_steady

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"


@pytest.fixture(scope="module")
def perimeter():
    """The perimeter validation room: one tiled aisle between two rows, a gap in row A."""
    fac = load_layout(ROOMS / "wall-crah-perimeter.yaml")
    return fac, solve_steady(fac, 0, 0.2)


def test_the_box_is_the_tiles_up_to_the_tallest_rack_beside_them(perimeter):
    fac, res = perimeter
    (box,) = aisles.aisle_boxes(fac, res.grid)
    tiles = fac.layout.cooling.supplies[0]
    h = res.grid.cell_m
    assert box.supply_id == tiles.id
    assert np.allclose(np.array([*box.lo[:2], *box.hi[:2]]) * h, tiles.rect_m)
    tallest = np.round(fac.rack_size_m[:, 2].max() / h) * h  # the grid rounds to its layers
    assert box.hi[2] * h == pytest.approx(tallest)
    assert box.hi[2] * h > np.round(fac.rack_size_m[:, 2].min() / h) * h  # not the shorter


@pytest.mark.parametrize("room", ["wall-crah-perimeter", "cold-containment-leaky"])
def test_what_crosses_the_sides_is_what_the_ports_inside_take(room, perimeter):
    """Twin's flow conserves mass: the net inflow over the box's open sides (row gaps, ends,
    top, containment panels) must equal what the ports opening into it draw, less what the
    tiles blow in; the ports are counted from the grid's own port list."""
    fac = load_layout(ROOMS / f"{room}.yaml")
    res = perimeter[1] if room == "wall-crah-perimeter" else solve_steady(fac, 0, 0.2)
    g = res.grid
    (box,) = aisles.aisle_boxes(fac, g)
    sides = aisles.side_flows(g, box, (res.flow.u, res.flow.v, res.flow.w), res.air_c)
    net_in = sum(s["in_m3s"] - s["out_m3s"] for s in sides)
    ijk = np.array(np.unravel_index(g.ports.cell, g.shape))
    inside = np.all((ijk >= np.array(box.lo)[:, None]) & (ijk < np.array(box.hi)[:, None]), 0)
    ports_in = g.ports.q[inside].sum()  # tiles blow in (> 0), rack fronts draw (< 0)
    assert sum(s["in_m3s"] + s["out_m3s"] for s in sides) > 1.0  # a balance of something
    assert net_in == pytest.approx(-ports_in, abs=1e-3 * np.abs(g.ports.q).sum())


def test_a_uniform_draft_crosses_the_ends_only(perimeter):
    """A field of 1 m/s along x at a temperature equal to x: each end passes one cell's
    area per open face, in at the near end at the temperature of the cells outside it."""
    fac, res = perimeter
    g = res.grid
    vel = np.zeros((*g.shape, 3))
    vel[..., 0] = np.where(g.fluid, 1.0, np.nan)
    air = np.where(g.fluid, g.centers(0)[:, None, None] + 0.0 * g.fluid, np.nan)
    (a,) = aisles.compare(fac, res, vel, air)
    (box,) = aisles.aisle_boxes(fac, g)
    (i0, j0, _), (i1, j1, k1) = box.lo, box.hi
    area = g.cell_m**2
    west_open = (g.fluid[i0 - 1, j0:j1, :k1] & g.fluid[i0, j0:j1, :k1]).sum()
    east_open = (g.fluid[i1 - 1, j0:j1, :k1] & g.fluid[i1, j0:j1, :k1]).sum()
    west, east, south, north, top = (s["cfd"] for s in a["sides"])
    assert west["in_m3s"] == pytest.approx(west_open * area) and west["out_m3s"] == 0
    assert east["out_m3s"] == pytest.approx(east_open * area) and east["in_m3s"] == 0
    assert west["in_c"] == pytest.approx((i0 - 0.5) * g.cell_m)
    for s in (south, north, top):
        assert s["in_m3s"] == s["out_m3s"] == 0 and s["in_c"] is None


def test_twin_and_cfd_are_read_alike(perimeter):
    """Twin's own flow handed in as the CFD's reads the same on every side, and its
    temperatures the same (both go through the cell centres)."""
    fac, res = perimeter
    vel = np.stack(res.flow.cell_velocity(), -1)
    (a,) = aisles.compare(fac, res, vel, res.air_c)
    for s in a["sides"]:
        assert s["twin"] == s["cfd"]
    assert a["sides"][0]["twin"]["in_m3s"] > 0.5  # the west end takes room air in


def test_where_the_cfd_has_no_air_neither_side_is_read(perimeter):
    """A damaged CFD file (every other x-slab's velocity left out as not room air) must not
    read as still air: Twin and the CFD are read on the same faces only, and each side says
    what share of its open faces that was (counted here from the grid and the mask)."""
    fac, res = perimeter
    g = res.grid
    vel = np.stack(res.flow.cell_velocity(), -1)
    vel[::2] = np.nan
    (a,) = aisles.compare(fac, res, vel, res.air_c)
    (box,) = aisles.aisle_boxes(fac, g)
    (i0, j0, _), (i1, j1, k1) = box.lo, box.hi
    known = g.fluid & np.isfinite(vel).all(-1)
    top = g.fluid[i0:i1, j0:j1, k1 - 1] & g.fluid[i0:i1, j0:j1, k1]
    top_read = top & known[i0:i1, j0:j1, k1 - 1] & known[i0:i1, j0:j1, k1]
    west, _, _, _, up = a["sides"]
    assert west["read"] == 0.0 and west["cfd"]["in_m3s"] == west["twin"]["in_m3s"] == 0.0
    assert up["read"] == pytest.approx(top_read.sum() / top.sum()) and 0 < up["read"] < 1
    for s in a["sides"]:
        assert s["twin"] == s["cfd"]  # the same air, read on the same faces
    assert "(where the CFD has the air)" in aisles.summary_line(a)
    assert "% of it)" in aisles.text_lines([a])[1]


def test_compare_prints_the_aisle(perimeter, tmp_path, capsys):
    from twin.cli import main

    fac, res = perimeter
    vel = np.stack(res.flow.cell_velocity(), -1)
    vel[..., 0] += 0.5  # a CFD whose air drifts east: more in at the west end, out at the east
    case = write_case(tmp_path / "case", res, res.air_c, vel)
    assert main(["cfd", "compare", str(ROOMS / "wall-crah-perimeter.yaml"), str(case)]) == 0
    text = capsys.readouterr().out
    lines = text[text.index("aisle over TILES") :].splitlines()
    assert "x 2.40-5.40 m, y 3.00-4.20 m, up to 2.20 m" in lines[0]
    west = lines[1].split("|")
    assert west[0].split()[:2] == ["x", "="] and float(west[1].split()[0]) > float(
        west[0].split()[4]
    )


# ------------------------------------------------------------------ the box's height
def _ring_grid(owner_at: tuple[int, int, int], owner: int):
    """A stand-in grid of 6 x 8 x 6 cells, 2 racks (owners 0 and 1; 2 and up are units),
    one solid cell ``owner_at`` owned by ``owner``, air elsewhere."""
    import types

    own = np.full((6, 8, 6), -1)
    own[owner_at] = owner
    return types.SimpleNamespace(owner=own, shape=own.shape, n_racks=2)


@pytest.mark.parametrize(
    ("lo", "hi", "cell", "owner", "top"),
    [
        ((1, 2, 0), (3, 5), (0, 1, 3), 0, 4),  # a rack at the ring's low corner counts
        ((1, 1, 0), (3, 5), (0, 0, 3), 1, 4),  # the other rack, at the grid's corner
        ((1, 2, 0), (3, 5), (3, 5, 2), 0, 3),  # the ring's high corner
        ((1, 2, 0), (3, 5), (4, 3, 2), 0, 0),  # two cells beyond the rectangle in x
        ((1, 2, 0), (3, 5), (2, 6, 2), 0, 0),  # two cells beyond in y
        ((2, 3, 0), (4, 5), (0, 3, 2), 0, 0),  # two cells before it in x
        ((2, 2, 0), (4, 5), (2, 0, 2), 0, 0),  # two cells before it in y
        ((1, 2, 0), (3, 5), (0, 1, 4), 2, 0),  # an air unit beside the tiles is no rack
        ((1, 2, 0), (3, 5), (2, 3, 0), -1, 0),  # no rack at all
    ],
)
def test_the_box_reaches_the_top_of_the_racks_within_a_cell_of_the_tiles(lo, hi, cell, owner, top):
    assert aisles._rack_top(_ring_grid(cell, owner), lo, hi) == top


def test_racks_one_layer_high_still_get_their_aisle_a_box():
    """A half-height rack at a coarse cell fills one layer: its tiles' box is that layer."""
    import types

    from twin.physics.grid import SUPPLY

    grid = _ring_grid((0, 1, 0), 0)  # the rack's one cell, beside the tile at (1, 2)
    tile = np.ravel_multi_index((1, 2, 0), grid.shape)
    grid.hall = 0
    grid.ports = types.SimpleNamespace(
        kind=np.array([SUPPLY]), owner=np.array([0]), cell=np.array([tile])
    )
    supply = types.SimpleNamespace(id="T", hall="H", kind="floor")
    fac = types.SimpleNamespace(
        hall_ids=["H"],
        layout=types.SimpleNamespace(cooling=types.SimpleNamespace(supplies=[supply])),
    )
    assert aisles.aisle_boxes(fac, grid) == [aisles.AisleBox("T", (1, 2, 0), (2, 3, 1))]


def test_only_floor_tiles_with_racks_beside_them_get_a_box(tmp_path):
    """Ceiling diffusers (listed first) and floor tiles in an empty corner get none."""
    text = (
        (ROOMS / "wall-crah-perimeter.yaml")
        .read_text()
        .replace(
            "  supplies:\n",
            "  supplies:\n"
            "    - {id: DIFFUSER, hall: ROOM, rect_m: [2.4, 3.0, 5.4, 4.2], kind: ceiling, "
            "flow_m3s: 1.0, supply_c: 18}\n"
            "    - {id: CORNER, hall: ROOM, rect_m: [0.0, 5.4, 1.2, 6.0], kind: floor}\n",
        )
    )
    (tmp_path / "room.yaml").write_text(text)
    fac = load_layout(tmp_path / "room.yaml")
    from twin.physics.grid import build_grid

    boxes = aisles.aisle_boxes(fac, build_grid(fac, 0, 0.2))
    assert [b.supply_id for b in boxes] == ["TILES"]


# ------------------------------------------------------------------ the sides
def _draft(res, u_ms: float, air=None):
    """Air moving ``u_ms`` along x everywhere, at a temperature equal to x (m) unless given."""
    g = res.grid
    vel = np.zeros((*g.shape, 3))
    vel[..., 0] = np.where(g.fluid, u_ms, np.nan)
    if air is None:
        air = np.where(g.fluid, g.centers(0)[:, None, None] + 0.0 * g.fluid, np.nan)
    return vel, air


def test_air_coming_in_at_the_far_end_has_the_temperature_beyond_it(perimeter):
    """A slow draft westwards (0.1 m/s: under a cubic metre a second) comes in at the east
    end at the temperature of the cells east of the box; cells of unknown temperature
    beyond the west end carry no temperature into it."""
    fac, res = perimeter
    g = res.grid
    (box,) = aisles.aisle_boxes(fac, g)
    (_, j0, _), (i1, j1, k1) = box.lo, box.hi
    vel, air = _draft(res, -0.1)
    (a,) = aisles.compare(fac, res, vel, air)
    west, east = a["sides"][0]["cfd"], a["sides"][1]["cfd"]
    assert 0 < east["in_m3s"] < 1.0 and east["out_m3s"] == 0
    assert east["in_c"] == pytest.approx((i1 + 0.5) * g.cell_m)
    assert west["out_m3s"] > 0 and west["in_m3s"] == 0 and west["in_c"] is None
    # half the cells beyond the east end of unknown temperature: the rest set in_c
    air[i1, :, : k1 // 2] = np.nan
    hot = air.copy()
    hot[i1, j0:j1, k1 // 2 : k1] += 10.0
    (a,) = aisles.compare(fac, res, vel, hot)
    assert a["sides"][1]["cfd"]["in_c"] == pytest.approx((i1 + 0.5) * g.cell_m + 10.0)


def test_a_side_against_the_halls_wall_passes_nothing(perimeter, tmp_path):
    """Tiles reaching the west wall: that end is the wall (no air beyond it), read whole,
    and the sides after it are still read."""
    text = (
        (ROOMS / "wall-crah-perimeter.yaml")
        .read_text()
        .replace("rect_m: [2.4, 3.0, 5.4, 4.2]", "rect_m: [0.0, 3.0, 5.4, 4.2]")
    )
    (tmp_path / "room.yaml").write_text(text)
    fac = load_layout(tmp_path / "room.yaml")
    res = solve_steady(fac, 0, 0.4)
    vel = np.stack(res.flow.cell_velocity(), -1)
    (a,) = aisles.compare(fac, res, vel, res.air_c)
    west = a["sides"][0]
    assert west["at_m"] == 0.0 and west["read"] == 1.0
    assert west["twin"] == west["cfd"] == {"in_m3s": 0.0, "out_m3s": 0.0, "in_c": None}
    assert a["sides"][1]["twin"]["in_m3s"] + a["sides"][1]["twin"]["out_m3s"] > 0.05
    assert a["sides"][4]["twin"]["out_m3s"] > 0.05  # over the top


def test_every_side_of_a_field_known_everywhere_is_read_whole(perimeter):
    """Faces between an air cell and a rack or a tile are no side's: a row side against
    whole racks has nothing to read and still counts as read."""
    fac, res = perimeter
    vel = np.stack(res.flow.cell_velocity(), -1)
    (a,) = aisles.compare(fac, res, vel, res.air_c)
    assert [s["read"] for s in a["sides"]] == [1.0] * 5
    assert [s["at_m"] for s in a["sides"]] == [2.4, 5.4, 3.0, 4.2, 2.2]


# ------------------------------------------------------------------ the words
def _aisle(read=(1.0, 1.0, 1.0, 1.0, 1.0)):
    def figs(i, o, c):
        return {"in_m3s": i, "out_m3s": o, "in_c": c}

    sides = [
        {"plane": p, "at_m": at, "read": r, "twin": figs(*tw), "cfd": figs(*cf)}
        for p, at, r, tw, cf in zip(
            "xxyyz",
            (2.4, 5.4, 3.0, 4.2, 2.2),
            read,
            (
                (0.5, 0.0, 24.25),
                (0.0, 0.25, None),
                (0.1, 0.0, 30.0),
                (0.0, 0.0, None),
                (0, 1.5, None),
            ),
            (
                (0.75, 0.0, 26.5),
                (0.0, 0.5, None),
                (0.0, 0.0, None),
                (0.2, 0.0, 31.0),
                (0, 1.25, None),
            ),
            strict=True,
        )
    ]
    return {"supply": "TILES", "box_m": [2.4, 3.0, 5.4, 4.2, 2.2], "sides": sides}


def test_the_aisle_as_compare_prints_it():
    lines = aisles.text_lines([_aisle(read=(1.0, 0.995, 0.7, 1.0, 1.0))])
    assert lines == [
        "aisle over TILES (x 2.40-5.40 m, y 3.00-4.20 m, up to 2.20 m): air between air "
        "cells, m3/s in / out (C of what comes in), Twin | CFD",
        "  x =  2.40 m   0.50 /  0.00 ( 24.2) |  0.75 /  0.00 ( 26.5)",
        "  x =  5.40 m   0.00 /  0.25 (  -  ) |  0.00 /  0.50 (  -  )",
        "  y =  3.00 m   0.10 /  0.00 ( 30.0) |  0.00 /  0.00 (  -  )  (the CFD has 70 % of it)",
        "  y =  4.20 m   0.00 /  0.00 (  -  ) |  0.20 /  0.00 ( 31.0)",
        "  z =  2.20 m   0.00 /  1.50 (  -  ) |  0.00 /  1.25 (  -  )",
    ]


def test_the_aisle_in_a_sentence():
    whole = "Aisle over TILES: room air in at its ends and row gaps Twin 0.60, CFD 0.95 m3/s; "
    whole += "over its top Twin 1.50, CFD 1.25 m3/s"
    assert aisles.summary_line(_aisle()) == whole
    assert aisles.summary_line(_aisle(read=(1.0, 0.995, 1.0, 1.0, 1.0))) == whole
    part = aisles.summary_line(_aisle(read=(1.0, 1.0, 1.0, 1.0, 0.99)))
    assert part == whole + " (where the CFD has the air)"
