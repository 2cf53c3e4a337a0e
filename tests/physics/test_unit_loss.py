"""The loss of one air unit, judged alike by the design check (``twin validate --design
--thermal``, the editor's N+1 check) and the set-point optimiser: the hall's other running
units ramp to their rated flow, and the hall survives unless a rack passes A1 allowable, a GPU
reaches slowdown or no steady state exists; a unit driven to its capacity is said beside it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.physics.conftest import possible_figures
from tests.physics.test_setpoints import room
from twin.model.loader import facility_from_text, load_layout
from twin.physics import ThermalModel, solve_steady
from twin.physics.setpoints import SetPointOptimiser
from twin.physics.thermal_checks import thermal_violations, unit_loss_violations
from twin.physics.unit_loss import ramped_flow_scale, survival

CELL_M = 0.25
RATED_77KW_M3S = 4.72  # assets/catalog/cooling.yaml, crah-77kw
RATED_150KW_M3S = 10.0  # crah-150kw


def two_halls() -> str:
    """Hall H with a 77 kW CRAH set below its rating, one set above it and one off; hall G
    with a 150 kW CRAH at 8 m3/s."""
    return "\n".join(
        [
            "format: twin-layout/1",
            "name: ramp",
            "cooling_redundancy: N+1",
            "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}, {id: G, size_m: [8.4, 7.2, 3.0],"
            " origin_m: [20, 0]}]",
            "rows:",
            "  - {id: A, hall: H, racks: [{id: A0, position_m: [3.3, 2.4], load: {power_kw: 5, airflow_m3s: 0.4}}]}",
            "  - {id: B, hall: G, racks: [{id: B0, position_m: [3.3, 2.4], load: {power_kw: 5, airflow_m3s: 0.4}}]}",
            "cooling:",
            "  air_units:",
            "    - {id: C1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], airflow_m3s: 3.5}",
            "    - {id: C2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], airflow_m3s: 6.0}",
            "    - {id: C3, type: crah-77kw, hall: H, position_m: [4.2, 6.75], airflow_m3s: 2.0,"
            " state: off}",
            "    - {id: C4, type: crah-77kw, hall: H, position_m: [4.2, 3.75], airflow_m3s: 1.0}",
            "    - {id: D1, type: crah-150kw, hall: G, position_m: [1.5, 0.45], airflow_m3s: 8.0}",
        ]
    )


def test_the_hall_s_running_units_ramp_to_their_rating_and_never_down():
    fac = facility_from_text(two_halls(), "ramp.yaml")
    assert fac.air_unit_rated_m3s.tolist() == [RATED_77KW_M3S] * 4 + [RATED_150KW_M3S]
    scale = ramped_flow_scale(fac, fac.hall_ids.index("H"))
    # C1 3.5 -> 4.72; C2 above its rating stays; C3 is off (no controller ramps it);
    # C4 1.0 -> 4.72 is past what a grid takes (1.5 x): 1.5; D1 is in the other hall
    assert scale == pytest.approx([RATED_77KW_M3S / 3.5, 1.0, 1.0, 1.5, 1.0], abs=1e-12)
    set_flow = np.array([4.0, 5.0, 2.0, 1.2, 3.0])  # an optimiser's trial set points
    scale = ramped_flow_scale(fac, fac.hall_ids.index("G"), set_flow)
    # over the layout's flow: H's units at their set flows (C2 slowed), D1 3 -> 10 m3/s
    assert scale == pytest.approx(
        [4.0 / 3.5, 5.0 / 6.0, 1.0, 1.2, RATED_150KW_M3S / 8.0], abs=1e-12
    )
    set_flow[-1] = 11.0  # above its rating: kept
    scale = ramped_flow_scale(fac, fac.hall_ids.index("G"), set_flow)
    assert scale[-1] == pytest.approx(11.0 / 8.0, abs=1e-12)


def top_intake_room(tmp_path: Path, rack_kw: float, capacity_kw: float | None = None) -> str:
    """The optimiser tests' room with its CRAHs drawing their air at the top (no return
    grilles), so that their loads differ: at 20 kW a rack, losing C1 or C3 drives another unit
    to its 77 kW capacity, and losing C2 leaves racks above A1 allowable."""
    text = room(tmp_path, rack_kw=rack_kw).read_text().split("  returns:")[0]
    text = text.replace(" airflow_m3s: 3.0}", " airflow_m3s: 3.0, intake: top}")
    if capacity_kw is not None:
        text = text.replace(
            "position_m: [4.2, 6.75],", f"position_m: [4.2, 6.75], capacity_kw: {capacity_kw},"
        )
    return text


def _judged_by_hand(fac, uid: str) -> tuple[str, list[str]]:
    """The verdict on one loss from a plain solve at hand-built fan speeds: every running unit
    of the hall at 4.72 / 3.0 of its set flow, which a grid takes only up to 1.5 x."""
    res = solve_steady(fac, 0, CELL_M, failed=[uid], unit_flow_scale=np.full(3, 1.5))
    bad = np.nanmax(res.rack_inlet_max_c) > 32.0 or res.overloaded or res.gpu_throttled.any()
    full = [fac.air_unit_ids[a] for a in np.flatnonzero(res.air_unit_at_capacity)]
    return ("error" if bad else "warning" if full else "none"), full


@pytest.mark.slow
def test_the_design_check_ramps_the_survivors_and_names_a_unit_at_capacity(tmp_path: Path):
    fac = facility_from_text(top_intake_room(tmp_path, 20.0), "room.yaml")
    scale = np.array([0.9, 1.0, 1.1])  # the model runs at some measured fan speeds
    model = ThermalModel(fac, 0, CELL_M, unit_flow_scale=scale)
    found = {v.items[0]: v for v in unit_loss_violations(fac, model)}
    assert model.failed == () and model.unit_flow_scale is scale  # its fan states put back
    expected = {uid: _judged_by_hand(fac, uid) for uid in fac.air_unit_ids}
    assert {uid: v for uid, (v, _) in expected.items()} == {
        "C1": "warning",
        "C2": "error",
        "C3": "warning",
    }
    assert set(found) == {"C1", "C2", "C3"}
    for uid, (severity, full) in expected.items():
        v = found[uid]
        assert v.severity == severity and v.kind == "thermal-redundancy"
        assert v.field == f"cooling.air_units[{fac.air_unit_ids.index(uid)}]"
        if severity == "warning":
            assert v.items == (uid, *full)  # the units at capacity highlighted with it
            assert v.message.startswith(f"hall 'H' survives the loss of '{uid}' (N+1) with ")
            assert [f"{u} at its 77 kW capacity" in v.message for u in full] == [True] * len(full)
        else:
            assert v.items == (uid,)
            assert v.message.startswith(f"hall 'H' does not survive the loss of '{uid}' (N+1): ")
            assert "2 rack(s) above A1 allowable (worst 'A3' " in v.message


@pytest.mark.slow
def test_no_steady_state_after_a_loss_is_an_error_and_leaves_no_headroom(tmp_path: Path):
    fac = facility_from_text(top_intake_room(tmp_path, 22.0), "room.yaml")
    found = unit_loss_violations(fac, ThermalModel(fac, 0, CELL_M))
    assert [v.severity for v in found] == ["error"] * 3
    assert all("cannot remove the heat (no steady state)" in v.message for v in found)
    hall = SetPointOptimiser(fac, CELL_M).run().halls[0]
    assert not hall.changed
    assert hall.binding == (
        "no headroom (C1 failed: no steady state (the running air units cannot remove the heat))"
    )


@pytest.mark.slow
def test_a_unit_at_capacity_in_normal_operation_leaves_no_headroom(tmp_path: Path):
    """C3 rated 40 kW takes about 45 kW of the 16 kW racks' heat: the design check's error,
    and so no set point the optimiser may move."""
    fac = facility_from_text(top_intake_room(tmp_path, 16.0, capacity_kw=40), "room.yaml")
    found = thermal_violations(fac, solve_steady(fac, 0, CELL_M))
    errors = [v for v in found if v.kind == "thermal-air-unit"]
    assert [(v.items, v.severity) for v in errors] == [(("C3",), "error")]
    assert errors[0].message.startswith("air unit 'C3' runs at its 40 kW capacity")
    hall = SetPointOptimiser(fac, CELL_M).run().halls[0]
    assert not hall.changed
    assert hall.binding == "no headroom (normal: C3 at capacity)"


@pytest.mark.slow
def test_what_the_optimiser_writes_passes_the_design_check(tmp_path: Path):
    """The optimiser slows an N+1 hall's fans; the design check of the layout it writes sees
    no error: its failure cases run the survivors at their rating, as the optimiser's do."""
    fac = load_layout(room(tmp_path, rack_kw=8.0))
    result = SetPointOptimiser(fac, CELL_M).run()
    after = result.facility_after
    assert np.all(after.air_unit_airflow_m3s < fac.air_unit_airflow_m3s)  # fans slowed
    model = ThermalModel(after, 0, CELL_M)
    problems = thermal_violations(after, model.solve()) + unit_loss_violations(after, model)
    assert [v.message for v in problems if v.severity == "error"] == []


def test_the_rule_reads_its_own_hall_s_gpus_and_passes_at_the_limit():
    """A hand-made result: hall G's racks at exactly A1 allowable survive; GPUs at slowdown in
    the other hall do not count; one unit at a 499.6 kW capacity is named with it rounded."""
    text = two_halls().replace(
        "load: {power_kw: 5, airflow_m3s: 0.4}", "servers: [{type: dgx-h100, count: 1}]"
    )
    fac = facility_from_text(text, "ramp.yaml")
    g, b0 = fac.hall_ids.index("G"), fac.rack_index["B0"]
    assert (fac.gpu_hall == g).sum() == 8 and (fac.gpu_hall != g).sum() == 8
    inlet = np.full(fac.n_racks, np.nan)
    inlet[b0] = 32.0
    res = SimpleNamespace(
        **possible_figures(fac.n_gpus),
        overloaded=False,
        grid=SimpleNamespace(rack_ids=np.array([b0]), hall=g),
        rack_inlet_max_c=inlet,
        gpu_throttled=fac.gpu_hall != g,
        air_unit_at_capacity=np.array([False, False, False, False, True]),
        air_unit_capacity_w=np.full(5, 499_600.0),
        air_unit_supply_c=np.full(5, 18.04),
    )
    judged = survival(fac, res)
    assert judged.survives and judged.problems == []
    assert judged.at_capacity == ["D1 at its 500 kW capacity (supply 18.0 C)"]
    inlet[b0] = 32.01
    res.gpu_throttled = fac.gpu_hall == g
    res.overloaded = True
    assert survival(fac, res).problems == [
        "its running air units cannot remove the heat (no steady state)",
        "1 rack(s) above A1 allowable (worst 'B0' 32.01 C)",  # not '32.0 C, above 32'
        "8 GPU(s) at slowdown",
    ]


def test_losing_a_hall_s_only_unit_is_an_error_not_a_crash(tmp_path: Path, capsys):
    """An N+1 hall with one air unit: its loss leaves no air supply, which the design check
    reports as not survived (it raised ThermalError out of `twin validate` before)."""
    from twin.cli import main

    text = top_intake_room(tmp_path, 16.0)
    path = tmp_path / "one.yaml"
    path.write_text(
        "\n".join(ln for ln in text.splitlines() if "id: C2" not in ln and "id: C3" not in ln)
    )
    assert main(["validate", "--design", "--thermal", "--cell", "0.4", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        "cooling.air_units[0]: error: hall 'H' does not survive the loss of 'C1' (N+1): "
        "no air supply is left (no steady state)"
    ) in err
    assert "Traceback" not in err
