"""Live air-unit states reach the physics: a unit reported off stops its fans in the model,
and the hall's airflow is re-solved only when the reported fan states change."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import Frame

pytest.importorskip("twin.physics")

#: The fill's cell where what is checked (which frames re-solve the airflow, the hall warming
#: when a unit stops) is the same on any grid: 0.4 m solves it in a quarter of the time.
CELL_M = 0.4


def _frame(fac, t: float, state: list[float]) -> Frame:
    f = Frame.empty(t, fac.counts())
    f.gpu["power_w"] = np.full(fac.n_gpus, 600.0, np.float32)
    f.air_unit["state"] = np.array(state, np.float32)
    return f


@pytest.mark.slow
def test_a_unit_reported_off_stops_its_fans_and_the_hall_warms(small_facility):
    from twin.telemetry.physics_air import PhysicsFill

    fac = small_facility
    fill = PhysicsFill(fac, cell_m=CELL_M)
    model = next(iter(fill.air.models.values()))
    fill.update(_frame(fac, 0.0, [1.0, 1.0]))
    flow_on = model.flow
    fill.update(_frame(fac, 1.0, [1.0, np.nan]))  # no reading: nothing changes
    assert model.flow is flow_on and model.failed == ()
    first = _frame(fac, 2.0, [0.0, 1.0])
    fill.update(first)
    assert model.failed == ("CRAH-1",)
    flow_off = model.flow
    assert flow_off is not flow_on  # re-solved once
    later = _frame(fac, 30.0, [0.0, 1.0])
    fill.update(later)
    assert model.flow is flow_off  # same states: the field is kept
    # the failed unit's load is gone; the racks' inlets warm frame by frame
    assert later.air_unit["load_w"][0] == pytest.approx(0.0, abs=1.0)
    assert np.nanmean(later.rack["inlet_c"]) > np.nanmean(first.rack["inlet_c"])
    fill.update(_frame(fac, 31.0, [1.0, 1.0]))
    assert model.failed == () and model.flow is not flow_off


def _flow_frame(fac, t: float, flow_m3s) -> Frame:
    """Racks at nominal power (their server fans at rated), air units at ``flow_m3s``."""
    f = _frame(fac, t, [1.0, 1.0])
    f.rack["power_w"] = fac.rack_power_w.astype(np.float32)
    f.air_unit["flow_m3s"] = np.asarray(flow_m3s, np.float32)
    return f


@pytest.mark.slow
def test_measured_fan_flows_move_the_model_fans_beyond_the_threshold_only(small_facility):
    """A live source's ``flow_m3s``: a 2 % wobble steps the heat only; CRAH-1 measured at
    60 % of rated re-solves the hall's field once, and the followed inlets settle on a
    separate steady solve with that fan speed."""
    from twin.physics.model import solve_steady
    from twin.telemetry.physics_air import PhysicsFill

    fac = small_facility
    rated = fac.air_unit_airflow_m3s.astype(float)
    fill = PhysicsFill(fac)  # at 0.4 m CRAH-1 at 60 % warms no rack by a kelvin
    ((hall, model),) = fill.air.models.items()
    fill.update(_flow_frame(fac, 0.0, rated))
    assert model.flow_solves == 1 and model.unit_flow_scale is None
    for k in range(1, 4):
        fill.update(_flow_frame(fac, 20.0 * k, rated * (1 + 0.02 * (-1) ** k)))
    assert model.flow_solves == 1  # wobbling: the same field
    steady = _flow_frame(fac, 100.0, rated)
    fill.update(steady)
    scale = np.array([0.6, 1.0])
    frames = [_flow_frame(fac, 100.0 + 60.0 * k, rated * scale) for k in range(1, 40)]
    for f in frames:
        fill.update(f)
    assert model.flow_solves == 2
    np.testing.assert_allclose(model.unit_flow_scale, scale, rtol=1e-6)
    target = solve_steady(
        fac, hall, model.cell_m, rack_power_w=fill.rack_power_w(frames[-1]), unit_flow_scale=scale
    )
    racks = fac.rack_hall == hall
    want = target.rack_inlet_mean_c[racks]
    got = frames[-1].rack["inlet_c"][racks]
    np.testing.assert_allclose(got, want, atol=0.05)
    # less air from CRAH-1: the racks it feeds take in warmer air, by more than a kelvin
    assert (got - steady.rack["inlet_c"][racks]).max() > 1.0


def _power_frame(fac, t: float, rack_power_w) -> Frame:
    f = _frame(fac, t, [1.0, 1.0])
    f.rack["power_w"] = np.asarray(rack_power_w, np.float32)
    return f


@pytest.mark.slow
def test_the_racks_fans_follow_their_power_beyond_the_threshold_only(small_facility):
    """The racks' server fans follow their measured powers (rated x (0.4 + 0.6 x load)): a
    +-6 % power wobble (3.6 % of rated flow) steps the heat only; the hall dropping to 40 %
    load re-solves its field once, with the racks at 64 % of their rated airflow."""
    from twin.telemetry.physics_air import PhysicsFill

    fac = small_facility
    nominal = fac.rack_power_w.astype(float)
    fill = PhysicsFill(fac, cell_m=CELL_M)
    ((hall, model),) = fill.air.models.items()
    fill.update(_power_frame(fac, 0.0, nominal))
    assert model.flow_solves == 1 and model.rack_flow_scale is None  # nominal: rated
    for k in range(1, 4):
        fill.update(_power_frame(fac, 20.0 * k, nominal * (1 + 0.06 * (-1) ** k)))
    assert model.flow_solves == 1
    low = [_power_frame(fac, 100.0 + 30.0 * k, nominal * 0.4) for k in range(5)]
    for f in low:
        fill.update(f)
    assert model.flow_solves == 2
    racks = fac.rack_hall == hall
    airflow = fac.rack_airflow_m3s[racks] * 0.64
    np.testing.assert_allclose(model.rack_flows()[racks], airflow, rtol=1e-6)
