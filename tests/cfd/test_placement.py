"""``twin.cfd.placement`` on hand-made points and fields: where a foreign field reaches past
the hall's walls, where its coldest air leaves the hall's supply set points, and which
supply temperatures a hall has. Every expected figure is worked out here."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from twin.cfd.placement import cold_air_note, extent_note, hall_supply_c
from twin.model.loader import facility_from_text

# a hall whose corner is not at the origin, so that x and y cannot stand in for each other:
# x 10..13, y 20..22, z 0..1.5 (cells of 0.25 m)
GRID = SimpleNamespace(origin_m=np.array([10.0, 20.0, 0.0]), shape=(12, 8, 6), cell_m=0.25)
SPAN = "the hall's air x 10.00..13.00, y 20.00..22.00, z 0.00..1.50 m"


def _box(lo, hi) -> np.ndarray:
    """The eight corners of a box of points."""
    return np.array(
        [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
    )


INSIDE = ((10.125, 20.125, 0.125), (12.875, 21.875, 1.375))  # cell centres


def test_points_within_the_hall_say_nothing():
    assert extent_note(None, GRID, None) == ""
    assert extent_note(np.zeros((0, 3)), GRID, None) == ""
    assert extent_note(_box(*INSIDE), GRID, None) == ""
    # past the floor or the ceiling: a plenum or a void the CFD models
    assert extent_note(_box((10.1, 20.1, -0.6), (12.9, 21.9, 3.0)), GRID, None) == ""


@pytest.mark.parametrize(
    ("lo", "hi", "past", "wall"),
    [
        ((9.5, 20.125, 0.125), (12.875, 21.875, 1.375), 0.5, "x = 10.00"),
        ((10.125, 19.7, 0.125), (12.875, 21.875, 1.375), 0.3, "y = 20.00"),
        ((10.125, 20.125, 0.125), (13.4, 21.875, 1.375), 0.4, "x = 13.00"),
        ((10.125, 20.125, 0.125), (12.875, 22.2, 1.375), 0.2, "y = 22.00"),
    ],
)
def test_points_past_a_wall_name_the_wall_and_how_far(lo, hi, past, wall):
    note = extent_note(_box(lo, hi), GRID, None)
    span = ", ".join(f"{a} {x:.2f}..{y:.2f}" for a, x, y in zip("xyz", lo, hi, strict=True))
    assert note == (
        f"its points span {span} m, {SPAN} (its own axes, from its corner on the floor): they "
        f"reach {past:.2f} m past the hall's wall at {wall} m. A field moved, of another room "
        "or in other axes is compared as if in place"
    )


def test_the_furthest_wall_is_named():
    note = extent_note(_box((9.8, 19.0, 0.0), (13.1, 22.0, 1.5)), GRID, None)
    assert "reach 1.00 m past the hall's wall at y = 20.00 m" in note


@pytest.mark.parametrize(
    ("beyond", "spacing", "noted"),
    [
        (0.125, None, False),  # half of Twin's 0.25 m cell: a mesh point on the wall's cell
        (0.126, None, True),
        (0.2, 0.5, False),  # half the CFD's own 0.5 m spacing
        (0.26, 0.5, True),
        (0.2, 0.1, True),  # a finer CFD: Twin's cell sets the tolerance
    ],
)
def test_the_tolerance_is_half_the_coarser_of_the_two_spacings(beyond, spacing, noted):
    pts = np.array([[13.0 + beyond, 21.0, 1.0]])  # a single point past x = 13
    assert (extent_note(pts, GRID, spacing) != "") == noted


FLUID = np.ones((2, 2, 1), bool)


def test_air_near_the_supply_says_nothing_and_the_boundary_is_five_kelvin():
    air = np.full((2, 2, 1), 23.0)
    assert cold_air_note(air, FLUID, [18.0, 20.0]) == ""  # exactly 5 K above
    assert cold_air_note(np.full((2, 2, 1), 13.0), FLUID, [18.0]) == ""  # 5 K below


def test_air_far_from_the_supply_says_how_far():
    air = np.array([[[64.4], [80.0]], [[75.0], [np.nan]]])
    expected_cold = float(np.percentile([64.4, 80.0, 75.0], 1))
    assert cold_air_note(air, FLUID, [np.nan, 20.0, 18.0]) == (
        f"its coldest air reads {expected_cold:.1f} C, the hall's coldest supply is set to "
        f"18.0 C: a field in Fahrenheit, or run with other supply temperatures, differs by "
        f"{expected_cold - 18.0:+.1f} K everywhere"
    )
    assert "differs by -10.0 K everywhere" in cold_air_note(np.full((2, 2, 1), 8.0), FLUID, [18])


def test_without_supply_or_air_there_is_nothing_to_say():
    assert cold_air_note(np.full((2, 2, 1), 70.0), FLUID, []) == ""
    assert cold_air_note(np.full((2, 2, 1), 70.0), FLUID, [np.nan]) == ""
    assert cold_air_note(np.full((2, 2, 1), np.nan), FLUID, [18.0]) == ""
    assert cold_air_note(np.full((2, 2, 1), 70.0), ~FLUID, [18.0]) == ""


TWO_HALLS = """\
format: twin-layout/1
name: two halls
halls:
  - {id: H1, size_m: [12, 8, 4], floor: raised}
  - {id: H2, size_m: [12, 8, 4]}
rows: []
cooling:
  air_units:
    - {id: CRAH-1, type: crah-150kw, hall: H1, position_m: [6, 0.45], rotation_deg: 180,
       supply_c: 16.5, discharge: underfloor, intake: top}
    - {id: CRAH-2, type: crah-150kw, hall: H2, position_m: [6, 0.45], rotation_deg: 180,
       supply_c: 14.0}
  supplies:
    - {id: T1, hall: H1, rect_m: [3, 3, 6, 4], kind: floor}
    - {id: T2, hall: H1, rect_m: [7, 3, 9, 4], kind: floor, flow_m3s: 1.0, supply_c: 19.5}
    - {id: T3, hall: H2, rect_m: [3, 3, 6, 4], kind: floor, flow_m3s: 1.0, supply_c: 12.0}
"""


def test_a_halls_supply_temperatures_are_its_units_and_its_own_tiles():
    from twin.physics.grid import build_grid

    fac = facility_from_text(TWO_HALLS)
    got = hall_supply_c(fac, build_grid(fac, 0, 0.5))
    # CRAH-1's set point and T2's own temperature; not T1 (none), not H2's
    np.testing.assert_array_equal(got, [16.5, 19.5])
    np.testing.assert_array_equal(hall_supply_c(fac, build_grid(fac, 1, 0.5)), [14.0, 12.0])
