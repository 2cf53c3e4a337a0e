"""A hall cooled only by supplies that state their own flow and temperature (tiles fed from a
plenum the layout does not model, as layouts/test-room.yaml and the CFD validation rooms are):
the simulator's heat balance and its airflow physics both take their air. Before, the heat
balance saw no air at all in such a hall and put the racks' inlets at 165 C."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.telemetry.simulator import Simulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def room():
    fac = load_layout(ROOT / "layouts" / "test-room.yaml")
    assert len(fac.air_unit_ids) == 0  # the tiles' own 16 m3/s at 18 C are all the air
    return fac


def test_the_heat_balance_takes_the_supplies_air(room):
    sim = Simulator(room, "normal", seed=1, start_s=0)
    frames = [sim.step() for _ in range(30)]
    inlet = frames[-1].rack["inlet_c"]
    exhaust = frames[-1].rack["exhaust_c"]
    # 16 m3/s for racks drawing less: inlets are the 18 C supply plus a little recirculation
    assert np.all(inlet >= 18.0) and np.all(inlet < 22.0)
    assert np.all(exhaust > inlet + 5.0) and np.all(exhaust < 45.0)
    assert not any("above 32 degC" in e.message for f in frames for e in f.events)


def test_the_physics_models_such_a_hall(room):
    sim = Simulator(room, "normal", seed=1, start_s=0, physics=True)
    frame = sim.step()
    assert sim.physics.halls == [0]
    assert not [e.message for e in frame.events if "heat balance for" in e.message]
    inlet = frame.rack["inlet_c"]
    # the airflow's signature: the row ends draw warmer air than the middles
    ends = inlet[[0, 5, 6, 11]]
    middles = inlet[[2, 3, 8, 9]]
    assert ends.min() > middles.max() + 2.0
    assert np.all(middles < 19.0)
