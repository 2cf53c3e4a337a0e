"""Halls the live physics fill leaves to the telemetry: one of more racks than a field solve
per frame keeps up with, and one no air unit ventilates. Before, both were dropped without a
word, their rack inlets left empty as if their sensors were missing; the simulator, which
covers them with its heat balance, says nothing of them still."""

from __future__ import annotations

import numpy as np

from twin.model.frame import EventKind, Frame
from twin.model.loader import facility_from_text
from twin.telemetry.physics_air import MAX_RACKS_PER_HALL, PhysicsAir, PhysicsFill

BIG = MAX_RACKS_PER_HALL + 1
RACKS = "\n".join(
    f"      - {{id: R{i:03d}, position_m: [{1 + 0.6 * (i % 100):.1f}, {2 + 3 * (i // 100)}]}}"
    for i in range(BIG)
)
LAYOUT = f"""\
format: twin-layout/1
name: two halls the fill leaves
halls: [{{id: BIG, size_m: [64, 12, 3]}}, {{id: BARE, size_m: [6, 6, 3]}}, {{id: EMPTY, size_m: [6, 6, 3]}}]
rows:
  - id: A
    hall: BIG
    racks:
{RACKS}
  - id: B
    hall: BARE
    racks:
      - {{id: B01, position_m: [2, 2]}}
cooling:
  air_units: [{{id: C1, type: crah-77kw, hall: BIG, position_m: [62, 10], rotation_deg: 180}}]
"""
SAID = [
    f"not filled from the airflow model: BIG: {BIG} racks, more than the 200 whose air a field "
    "solve per frame keeps up with",
    "not filled from the airflow model: BARE: no air unit and no supply of its own flow moves "
    "its air",
]


def test_the_fill_says_each_hall_it_leaves_once_in_the_first_frame():
    fac = facility_from_text(LAYOUT)
    fill = PhysicsFill(fac)
    assert fill.air.models == {}
    first, second = Frame.empty(10.0, fac.counts()), Frame.empty(11.0, fac.counts())
    fill.update(first)
    fill.update(second)
    assert [e.message for e in first.events] == SAID  # the hall with no racks is not named
    assert {(e.kind, e.item, e.severity, e.time_s) for e in first.events} == {
        (EventKind.NOTE, "physics", 1, 10.0)
    }
    assert second.events == []
    assert np.isnan(first.rack["inlet_c"]).all()


def test_the_simulator_s_physics_does_not_say_them():
    """It fills those halls from its heat balance: nothing is left unfilled to say."""
    air = PhysicsAir(facility_from_text(LAYOUT))
    assert air.take_problems() == []
    assert sorted(air.unmodelled) == [0, 1]


def test_a_limit_of_none_models_every_hall_a_number_leaves_larger_ones(small_layout):
    """History waits for the fill (``twin record --start/--end --physics``): no hall is too
    large there; a live fill leaves halls above its limit, saying the limit it used."""
    from twin.model.loader import load_layout

    fac = load_layout(small_layout)  # one hall of five racks, one CRAH
    assert PhysicsFill(fac, max_racks_per_hall=4).air.unmodelled == {
        0: "5 racks, more than the 4 whose air a field solve per frame keeps up with"
    }
    assert PhysicsFill(fac, max_racks_per_hall=4).air.models == {}
    for limit in (5, None):
        air = PhysicsFill(fac, max_racks_per_hall=limit).air
        assert air.unmodelled == {} and list(air.models) == [0]
