"""A hall whose solve has no possible figures (its one air unit moves 0.001 m3/s: the air
reads 100,000 C) is judged without them: the design check gives one error for the hall, the
N+1 rule and the set-point optimiser name why, and the window's solver says so rather than
colouring a hall at 102,000 C. ``twin thermal`` refused such a solve already
(``plausible.check_result``)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.physics.conftest import possible_figures
from tests.physics.test_unit_loss import top_intake_room
from twin.cli import main
from twin.model.loader import facility_from_text, load_layout
from twin.physics import ThermalError
from twin.physics.hall_jobs import HallSolver, ThermalRequest
from twin.physics.solver_service import CancelToken
from twin.physics.thermal_checks import thermal_violations
from twin.physics.unit_loss import survival

pytestmark = pytest.mark.timeout(300)

CELL_M = 0.4
AIR = "air temperatures from 1.022e+05 to 1.022e+05 °C, outside the physical range -40..150 °C"


def _one_unit(tmp_path: Path, capacity_kw: float | None) -> Path:
    """The unit-loss tests' room with C1 alone, moving 0.001 m3/s (``capacity_kw``: none is
    its 77 kW catalog rating, under the racks' 122 kW: overloaded)."""
    text = top_intake_room(tmp_path, 16.0)
    lines = [ln for ln in text.splitlines() if "id: C2" not in ln and "id: C3" not in ln]
    text = "\n".join(lines).replace("airflow_m3s: 3.0", "airflow_m3s: 0.001")
    if capacity_kw is not None:
        text = text.replace("supply_c: 18.0,", f"supply_c: 18.0, capacity_kw: {capacity_kw},")
    path = tmp_path / "starved.yaml"
    path.write_text(text + "\n")
    return path


def _stand_in(fac, overloaded: bool, air_c: float):
    """A hand-made result: every rack at 40 C (outside A1), the hall's air at ``air_c``."""
    figures = possible_figures(fac.n_gpus)
    figures["air_c"] = np.array([air_c])
    return SimpleNamespace(
        **figures,
        grid=SimpleNamespace(rack_ids=np.arange(fac.n_racks), hall=0),
        rack_inlet_max_c=np.full(fac.n_racks, 40.0),
        overloaded=overloaded,
        gpu_throttled=np.ones(fac.n_gpus, bool),
        air_unit_at_capacity=np.ones(len(fac.air_unit_ids), bool),
        air_unit_capacity_w=np.full(len(fac.air_unit_ids), 77_000.0),
        air_unit_supply_c=np.full(len(fac.air_unit_ids), 25.0),
    )


@pytest.mark.parametrize(
    ("overloaded", "air_c", "messages", "problems"),
    [
        (
            False,
            150.0,
            None,
            ["8 rack(s) above A1 allowable (worst 'A0' 40.0 C)", "8 GPU(s) at slowdown"],
        ),
        (
            False,
            150.5,
            [
                "hall 'H': no possible steady state, so no figures (air temperatures from 150.5 "
                "to 150.5 °C, outside the physical range -40..150 °C)"
            ],
            [
                "no possible steady state (air temperatures from 150.5 to 150.5 °C, outside "
                "the physical range -40..150 °C)"
            ],
        ),
        (
            True,
            150.5,
            [
                "hall 'H': its racks send more heat to the air than its running air units can "
                "remove; no steady state"
            ],
            ["its running air units cannot remove the heat (no steady state)"],
        ),
    ],
    ids=["at-the-bound", "past-it", "past-it-overloaded"],
)
def test_the_rules_judge_impossible_figures_without_them(
    tmp_path: Path, overloaded, air_c, messages, problems
):
    fac = facility_from_text(top_intake_room(tmp_path, 16.0), "room.yaml")
    res = _stand_in(fac, overloaded, air_c)
    found = thermal_violations(fac, res)
    if messages is None:  # 150 C is possible: every rule reads the figures
        assert len(found) == 8 + 3 + 1  # racks past 32 C, units at capacity, GPU rack A0
    else:
        assert [(v.severity, v.message, v.items) for v in found] == [
            ("error", m, ("H",)) for m in messages
        ]
    judged = survival(fac, res)
    assert judged.problems == problems
    assert judged.full_units == ([] if messages else ["C1", "C2", "C3"])


def test_the_design_check_of_a_starved_hall_shows_no_figures(tmp_path: Path, capsys):
    path = _one_unit(tmp_path, capacity_kw=500)
    assert main(["validate", "--design", "--thermal", "--cell", str(CELL_M), str(path)]) == 1
    err = capsys.readouterr().err
    thermal = [ln for ln in err.splitlines() if "steady state" in ln]
    assert thermal == [
        f"{path}:21: cooling.air_units: error: hall 'H': no possible steady state, so no "
        f"figures ({AIR.replace('1.022e+05 to', '1.02e+05 to')})",
        f"{path}:22: cooling.air_units[0]: error: hall 'H' does not survive the loss of 'C1' "
        "(N+1): no air supply is left (no steady state)",
    ]
    assert "reaches" not in err and "hottest" not in err  # no rack or GPU figure lines


@pytest.mark.parametrize(
    ("capacity_kw", "why"),
    [
        (500, f"no possible steady state ({AIR.replace('1.022e+05 to', '1.02e+05 to')})"),
        (None, "no steady state (the running air units cannot remove the heat)"),
    ],
    ids=["impossible", "overloaded"],
)
def test_the_optimiser_names_why_and_prints_no_figures(tmp_path: Path, capsys, capacity_kw, why):
    path = _one_unit(tmp_path, capacity_kw)
    args = ["energy", "--optimise", "--cell", str(CELL_M), str(path)]
    assert main([*args, "--json"]) == 0
    hall = json.loads(capsys.readouterr().out)["halls"][0]
    assert hall["limited_by"] == f"no headroom (normal: {why})"
    assert hall["inlet_before_c"] == hall["inlet_after_c"] == {}
    assert hall["gpu_max_before_c"] is hall["gpu_max_after_c"] is None
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "rack inlets" not in out and "hottest GPU" not in out
    assert f"limited by no headroom (normal: {why})" in out


def test_the_window_s_solver_refuses_impossible_figures(tmp_path: Path):
    fac = load_layout(_one_unit(tmp_path, capacity_kw=500))
    with pytest.raises(ThermalError, match=r"hall H: the solve gives impossible results, so none"):
        HallSolver().run(ThermalRequest(fac, 0, CELL_M), CancelToken())


def test_an_overloaded_hall_s_refusal_names_the_cause(tmp_path: Path):
    fac = load_layout(_one_unit(tmp_path, capacity_kw=None))
    with pytest.raises(ThermalError) as caught:
        HallSolver().run(ThermalRequest(fac, 0, CELL_M), CancelToken())
    assert str(caught.value).startswith(
        "hall H: no steady state: its racks send more heat to the air than its running air "
        "units can remove, and the solve gives impossible results, so none are shown: air "
        "temperatures from 1.02e+05"
    )


def test_a_what_if_does_not_start_from_an_impossible_state(tmp_path: Path, capsys):
    """The what-if's start (the steady state before the failure) was the 102,000 C hall: its
    table read 'peak 102199.2' and 'stopped at 0.2 min: the hall's air passed 150 C'."""
    path = _one_unit(tmp_path, capacity_kw=500)
    args = ["whatif", str(path), "--fail", "C1", "--cell", str(CELL_M), "--duration", "5m"]
    assert main(args) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(
        "twin whatif: before the failure: hall H: the solve gives impossible results, so none "
        f"are shown: {AIR.replace('1.022e+05 to', '1.02e+05 to')}"
    )
    assert "102" not in captured.out


def test_a_physics_simulation_keeps_the_heat_balance_for_an_impossible_hall(tmp_path: Path):
    """`twin simulate --physics` recorded the 100,000 C hall's air (saturating the stored
    int16 at 3276.7 C) without a word; the hall now keeps the heat balance, said as a note."""
    from twin.model.frame import EventKind
    from twin.telemetry.scenarios import Scenario
    from twin.telemetry.simulator import Simulator

    fac = load_layout(_one_unit(tmp_path, capacity_kw=500))
    with_physics = Simulator(fac, Scenario("normal"), seed=3, start_s=0, physics=True)
    plain = Simulator(fac, Scenario("normal"), seed=3, start_s=0)
    for k in range(2):
        a, b = with_physics.step(), plain.step()
        notes = [e.message for e in a.events if e.kind == EventKind.NOTE]
        if k == 0:  # at the simulated loads: another 100,000 C than the nominal solve's
            (note,) = notes
            assert note.startswith(
                "heat balance for H: no possible steady state (air temperatures from "
            )
            assert note.endswith("°C, outside the physical range -40..150 °C)")
        else:
            assert notes == []
        np.testing.assert_array_equal(a.rack["inlet_c"], b.rack["inlet_c"])


def test_the_live_physics_fill_says_which_hall_it_leaves_unfilled(tmp_path: Path):
    """A live session's physics (``Session.open(..., physics=True)``) dropped such a hall
    without a word: its rack inlets stayed empty, read as missing sensors. The first frame
    after now carries a note naming the hall and why, once."""
    from tests.test_session import ListSource
    from twin.model.frame import EventKind, Frame
    from twin.session import Session
    from twin.telemetry.physics_air import PhysicsFill

    fac = load_layout(_one_unit(tmp_path, capacity_kw=500))
    live = [Frame(time_s=t) for t in (100.0, 101.0)]
    session = Session(fac, ListSource(fac, live), physics=PhysicsFill(fac, cell_m=CELL_M))
    told: list = []
    session.events.connect(told.append)
    first, second = session.tick(), session.tick()
    ((note,),) = told  # one event, in the first frame only
    assert (note.kind, note.item, note.severity, note.time_s) == (EventKind.NOTE, "physics", 1, 100)
    assert note.message.startswith(
        "not filled from the airflow model: H: no possible steady state (air temperatures from "
    )
    assert note.message.endswith(" °C, outside the physical range -40..150 °C)")
    assert second.events == []
    assert np.isnan(first.rack["inlet_c"]).all() and np.isnan(second.rack["inlet_c"]).all()
