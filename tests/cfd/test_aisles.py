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
