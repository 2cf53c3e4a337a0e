"""The buoyant march stops when a chunk moved no rack's mean inlet by ``SETTLED_K``
(0.02 K): the two contained validation rooms' first chunk moves them by 0.011-0.015 K,
the 100k-GPU factory's liquid-cooled hall's and the GB200 pod's by 0.002 K, and the
remaining chunk then buys nothing; every room whose air wanders moves 0.68-5.3 K and is
marched whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics import ThermalModel, buoyant_march
from twin.physics.buoyant_march import BUOYANCY_CHUNK, SETTLED_K
from twin.physics.heat import PR_T, HeatModel
from twin.physics.model import FLOW_ITERATIONS
from twin.physics.params import PhysicsParams

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
WHOLE = FLOW_ITERATIONS + FLOW_ITERATIONS // 3  # 48 plain steps, then 16 buoyant


@pytest.mark.parametrize(
    ("layout", "steps"),
    [
        (ROOMS / "cold-containment-leaky.yaml", FLOW_ITERATIONS + BUOYANCY_CHUNK),
        (ROOMS / "hot-aisle-ducted-45kw.yaml", FLOW_ITERATIONS + BUOYANCY_CHUNK),
        (LAYOUTS / "gb200-pod.yaml", FLOW_ITERATIONS + BUOYANCY_CHUNK),
        (ROOMS / "open-aisle-85.yaml", WHOLE),
        (ROOMS / "wall-crah-perimeter.yaml", WHOLE),
    ],
)
def test_a_settled_march_stops_after_its_first_buoyant_chunk(layout, steps):
    res = ThermalModel(load_layout(layout), 0, 0.2).solve()
    assert res.flow.iterations == steps
    if steps < WHOLE:
        assert res.march_change_k < SETTLED_K


def test_the_chunk_it_saves_would_move_no_inlet_by_more(monkeypatch):
    """The contained room marched whole (no stop) and stopped: every rack's mean inlet
    within SETTLED_K (0.011 K at most measured), the flow divergence-free to the same
    tolerance."""
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    stopped = ThermalModel(fac, 0, 0.2).solve()
    monkeypatch.setattr(buoyant_march, "SETTLED_K", -1.0)  # never settled: every chunk marched
    whole = ThermalModel(fac, 0, 0.2).solve()
    assert whole.flow.iterations == WHOLE > stopped.flow.iterations
    assert np.nanmax(np.abs(stopped.rack_inlet_mean_c - whole.rack_inlet_mean_c)) < SETTLED_K
    assert stopped.flow.div_rel < 1e-5 and whole.flow.div_rel < 1e-5


@pytest.mark.parametrize(
    ("room", "pr_t"),
    [("cold-containment-leaky", PR_T), ("cold-containment-leaky", 2.0), ("open-aisle-85", PR_T)],
)
def test_the_steady_solve_is_the_heat_of_the_flow_it_reports(room, pr_t):
    """A settled march hands its last heat model (and temperatures) to the steady solve
    instead of building them again: the answer is still the heat of the returned flow,
    within the steady solve's tolerance (HEAT_TOL 1e-6: a few 1e-4 K) of a fresh, tight
    solve of it, where the chunk before (the flow that drove it) is 0.011 K off; the
    flow divergence-free to the buoyancy projections' 1e-5 (a mass error of about 1e-8
    of the air moved). With a calibrated turbulent Prandtl number
    (a layout's ``physics:`` block) that heat model mixes as the layout says."""
    fac = load_layout(ROOMS / f"{room}.yaml")
    tm = ThermalModel(fac, 0, 0.2, params=PhysicsParams(turbulent_prandtl=pr_t))
    res = tm.solve()
    fresh = HeatModel(fac, tm.grid, tm.flow, pr_t)
    state, _, _ = fresh.solve(fac.air_heat_w(), tol=1e-10)
    inlets = fresh.W_rack @ state.t_cells
    assert np.nanmax(np.abs(inlets - res.rack_inlet_mean_c[tm.grid.rack_ids])) < 1e-3
    assert res.flow.div_rel < 1e-10


def test_a_calibrated_prandtl_number_drives_the_whole_march():
    """Every heat solve of the march mixes with the layout's turbulent Prandtl number: a
    first one at the default would differ from the next by the parameter, not the march
    (the contained room's inlets move by more than SETTLED_K between Pr 0.9 and 2), and
    the march would never read as settled."""
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    res = ThermalModel(fac, 0, 0.2, params=PhysicsParams(turbulent_prandtl=2.0)).solve()
    assert res.flow.iterations == FLOW_ITERATIONS + BUOYANCY_CHUNK
    assert res.march_change_k < SETTLED_K


def test_a_last_chunk_shorter_than_the_others():
    """30 plain steps leave 10 buoyant ones: a chunk of 8, then one of 2 (the open aisle
    never settles, so both run)."""
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    res = ThermalModel(fac, 0, 0.2, flow_iterations=30).solve()
    assert res.flow.iterations == 30 + 10
