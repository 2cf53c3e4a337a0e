"""Live air-unit states reach the physics: a unit reported off stops its fans in the model,
and the hall's airflow is re-solved only when the reported fan states change."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import Frame

pytest.importorskip("twin.physics")


def _frame(fac, t: float, state: list[float]) -> Frame:
    f = Frame.empty(t, fac.counts())
    f.gpu["power_w"] = np.full(fac.n_gpus, 600.0, np.float32)
    f.air_unit["state"] = np.array(state, np.float32)
    return f


@pytest.mark.slow
def test_a_unit_reported_off_stops_its_fans_and_the_hall_warms(small_facility):
    from twin.telemetry.physics_air import PhysicsFill

    fac = small_facility
    fill = PhysicsFill(fac)
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
