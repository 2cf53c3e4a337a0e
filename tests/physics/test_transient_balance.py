"""Transient bookkeeping: over every step heat in = heat out + heat stored in the air, the
stored term is what the air temperatures say it is, and the balance error left is the
solver's (not the storage a user would read as a fault)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics import ThermalModel

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


@pytest.fixture(scope="module")
def model():
    fac = load_layout(ROOM)
    return fac, ThermalModel(fac, 0, 0.3)


def _stored_from_air(fac, before, after, dt):
    """rho cp V sum(dT) / dt over the air cells, from the two results' fields alone."""
    air = fac.layout.air
    v = before.cell_m**3
    return air.density_kg_m3 * air.cp_j_kgk * v * np.nansum(after.air_c - before.air_c) / dt


@pytest.mark.parametrize("method", ["step", "follow"])
def test_power_step_up_then_down(model, method):
    fac, m = model
    r0 = m.solve()
    assert r0.heat_stored_w == 0.0 and r0.energy_error < 1e-6
    go = getattr(m, method)
    dt = 30.0
    up = go(dt, fac.rack_power_w * 1.5)
    # the air warms: part of the added heat is stored, and that is not an error
    assert up.heat_stored_w > 0.05 * up.heat_in_w
    assert abs(up.heat_in_w - up.heat_out_w) / up.heat_in_w > 0.05
    assert up.energy_error < 1e-6
    assert up.heat_stored_w == pytest.approx(_stored_from_air(fac, r0, up, dt), rel=1e-9)
    down = go(dt, fac.rack_power_w * 0.5)
    assert down.heat_stored_w < 0 and down.energy_error < 1e-6
    assert down.heat_stored_w == pytest.approx(_stored_from_air(fac, up, down, dt), rel=1e-9)
    # held long enough, the storage dies away and in = out again
    for _ in range(20):
        last = go(120.0, fac.rack_power_w * 0.5)
    assert abs(last.heat_stored_w) < 0.01 * last.heat_in_w
    assert last.heat_out_w == pytest.approx(last.heat_in_w, rel=0.01)


def test_thermal_json_shows_the_storage_term(capsys):
    import json

    from twin.cli import main

    assert main(["thermal", str(ROOM), "--cell", "0.3", "--json"]) == 0
    bal = json.loads(capsys.readouterr().out)["balance"]
    assert bal["heat_stored_kw"] == 0.0
    assert bal["heat_in_kw"] == pytest.approx(150.0)
