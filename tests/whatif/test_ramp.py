"""``--ramp``: a lost air unit's hall runs its other running units at their rated flow from the
loss on, as their controllers ramp them: the assumption of the N+1 design check and the
set-point optimiser (``physics.unit_loss``), so that a what-if can follow the case they judge.
Without it the other units keep their set flow (the default, the pessimistic end)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tests.physics.test_unit_loss import top_intake_room
from twin.model.loader import facility_from_text
from twin.physics import solve_steady
from twin.whatif import run_whatif
from twin.whatif.export import whatif_text
from twin.whatif.sweep import run_case

from .conftest import FAST

RAMP_SCALE = 1.5  # 3.0 m3/s set, 4.72 rated (crah-77kw): 1.57 x, and a grid takes 1.5 x
LONG = dataclasses.replace(FAST, duration_s=7200.0, dt_s=120.0)  # long enough to settle


@pytest.fixture(scope="module")
def room_text(tmp_path_factory):
    """The optimiser tests' room, CRAHs drawing at the top, 16 kW racks: three 77 kW CRAHs
    set at 3.0 m3/s, any two of which hold the room (the design check's room that survives)."""
    return top_intake_room(tmp_path_factory.mktemp("ramp"), 16.0)


@pytest.fixture(scope="module")
def room(room_text):
    return facility_from_text(room_text, "room.yaml")


def _end_inlets(res) -> np.ndarray:
    """The hall's racks' hottest inlets at the run's last step (facility order)."""
    return res.series["rack_inlet_max_c"][-1]


def test_the_other_units_ramp_and_the_hall_settles_where_the_design_check_looks(room):
    ramped = run_whatif(room, ["C1"], options=dataclasses.replace(LONG, ramp=True))
    as_set = run_whatif(room, ["C1"], options=LONG)
    assert ramped.ramped_units == ("C2", "C3") and as_set.ramped_units == ()
    # the steady states a plain solve gives, C2 and C3 at 1.5 x and at their set flow
    at_rated = solve_steady(room, 0, FAST.cell_m, failed=["C1"], unit_flow_scale=[RAMP_SCALE] * 3)
    at_set = solve_steady(room, 0, FAST.cell_m, failed=["C1"])
    assert not at_rated.overloaded and not at_set.overloaded
    ids = np.flatnonzero(room.rack_hall == 0)
    want_rated, want_set = at_rated.rack_inlet_max_c[ids], at_set.rack_inlet_max_c[ids]
    assert np.max(np.abs(want_rated - want_set)) > 1.0  # the two cases differ
    assert _end_inlets(ramped) == pytest.approx(want_rated, abs=0.02)
    assert _end_inlets(as_set) == pytest.approx(want_set, abs=0.02)
    assert ramped.summary()["ramped_units"] == ["C2", "C3"]
    assert ramped.summary()["ramp_applied"] and not as_set.summary()["ramp_applied"]
    assert "  ramped to their rated flow after the loss: C2, C3\n" in whatif_text(ramped)
    assert "ramped" not in whatif_text(as_set)


def test_nothing_ramps_without_a_lost_air_unit_or_below_the_rating(fac):
    opts = dataclasses.replace(FAST, ramp=True)
    pdu = run_whatif(fac, ["PDU-A"], options=opts)  # power only: every rack on its B feed
    assert pdu.ramped_units == () and pdu.summary()["ramped_units"] == []
    assert not pdu.summary()["ramp_applied"] and "ramped" not in whatif_text(pdu)
    at_rated = run_whatif(fac, ["CRAH-1"], options=opts)  # the shipped hall: CRAH-2 at 10 m3/s
    plain = run_whatif(fac, ["CRAH-1"], options=FAST)
    assert at_rated.ramped_units == ()
    assert np.array_equal(_end_inlets(at_rated), _end_inlets(plain))
    # asked for and applicable, but nothing below its rating: said, not left out
    assert at_rated.summary()["ramp_applied"]
    assert (
        "  ramped none after the loss: the hall's other running units already run at their "
        "rated flow\n"
    ) in whatif_text(at_rated)


def test_a_sweep_case_carries_the_option(room_text):
    opts = dataclasses.asdict(dataclasses.replace(FAST, ramp=True))
    assert run_case(room_text, None, ("C2",), opts)["ramped_units"] == ["C1", "C3"]


def test_a_sweep_with_the_option_says_so_above_its_table(room_text):
    from twin.whatif.export import sweep_text
    from twin.whatif.sweep import run_sweep

    fac = facility_from_text(room_text, "room.yaml")
    opts = dataclasses.replace(FAST, ramp=True, duration_s=60.0)
    sweep = run_sweep(fac, [("C1",), ("C2",)], opts, workers=1)
    assert sweep.options["ramp"] is True
    assert [c["ramped_units"] for c in sorted(sweep.cases, key=lambda c: c["failed"])] == [
        ["C2", "C3"],
        ["C1", "C3"],
    ]
    line = "an air unit's loss ramps the hall's other units to their rated flow (--ramp)"
    assert sweep_text(sweep).splitlines()[1] == line
    plain = run_sweep(fac, [("C1",)], dataclasses.replace(opts, ramp=False), workers=1)
    assert line not in sweep_text(plain)
