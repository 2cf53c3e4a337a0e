"""Each scenario's physics, not just its events: where the heat goes, where the load goes.

Expected values are derived here from the layout and the catalog figures (efficiencies,
thresholds), and the comparisons are between places (near/far, this rack/the others) or
against a run of the ``normal`` scenario with the same seed, so the workload is identical
and only the scenario's failure differs.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import EventKind
from twin.model.loader import facility_from_text
from twin.telemetry.scenarios import Scenario
from twin.telemetry.simulator import THERMAL_MASK, Simulator


def run(fac, name, steps, *, fail_at_s=20.0, recover_at_s=None, seed=7):
    sim = Simulator(fac, Scenario(name, fail_at_s=fail_at_s, recover_at_s=recover_at_s), seed=seed)
    return sim, [sim.step() for _ in range(steps)]


def events(frames, kind):
    return [e for f in frames for e in f.events if e.kind == kind]


# A long hall, a CRAH at each end, a row of four air-cooled racks next to each CRAH. The two
# CRAHs together have twice the capacity and airflow the racks need, so one alone still
# covers the hall: what a trip changes is the local supply near the tripped unit.
LONG_HALL = (
    """\
format: twin-layout/1
name: long hall
halls: [{id: H1, size_m: [30, 8, 4]}]
rows:
  - id: W
    hall: H1
    racks:
"""
    + "\n".join(
        f"      - {{id: W{i}, position_m: [{3.0 + 0.6 * i:.1f}, 4], load: {{power_kw: 12, delta_t_k: 12}}}}"
        for i in range(4)
    )
    + """
  - id: E
    hall: H1
    racks:
"""
    + "\n".join(
        f"      - {{id: E{i}, position_m: [{25.2 + 0.6 * i:.1f}, 4], load: {{power_kw: 12, delta_t_k: 12}}}}"
        for i in range(4)
    )
    + """
cooling:
  air_units:
    - {id: CRAH-W, type: crah-150kw, hall: H1, position_m: [1.5, 4], rotation_deg: 90}
    - {id: CRAH-E, type: crah-150kw, hall: H1, position_m: [28.5, 4], rotation_deg: 270}
"""
)


def test_crah_trip_warms_the_racks_near_the_unit_more_than_the_far_ones():
    fac = facility_from_text(LONG_HALL, "long.yaml")
    sim, trip = run(fac, "crah-trip", 400, fail_at_s=60)
    _, normal = run(fac, "normal", 400)
    (failed,) = events(trip, EventKind.UNIT_FAILED)
    k = fac.air_unit_index[failed.item]
    dist = np.linalg.norm(fac.rack_center_m[:, :2] - fac.air_unit_center_m[k, :2], axis=1)
    near, far = dist < 8, dist > 20
    assert near.sum() == 4 and far.sum() == 4
    # same seed, same workload: the difference is the trip alone
    warming = trip[-1].rack["inlet_c"] - normal[-1].rack["inlet_c"]
    before = trip[55].rack["inlet_c"] - normal[55].rack["inlet_c"]
    np.testing.assert_allclose(before, 0.0, atol=1e-4)
    # every near rack warms by at least a kelvin and more than every far rack
    assert warming[near].min() > 1.0
    assert warming[near].min() > warming[far].max() + 1.0
    # the far racks keep their own unit: they barely notice (< a tenth of the near warming)
    assert np.abs(warming[far]).max() < 0.1 * warming[near].mean()
    # and the surviving unit takes the whole airflow the racks draw
    other = 1 - k
    rack_flow = trip[-1].rack["power_w"] / (fac.layout.air.density_kg_m3 * 1005.0 * 12.0)
    assert trip[-1].air_unit["flow_m3s"][k] == 0
    assert trip[-1].air_unit["flow_m3s"][other] > 0.95 * rack_flow.sum()


def test_ups_failover_moves_the_load_to_the_surviving_path_with_losses(small_facility):
    fac = small_facility
    sim, frames = run(fac, "ups-failover", 60, fail_at_s=20, recover_at_s=None)
    (failed,) = events(frames, EventKind.UNIT_FAILED)
    assert failed.item == "UPS-A"  # both UPSs serve all racks; the first is chosen
    # catalog: pdu-300kva 98 %, ups-1250kw 97 % efficient; a device carries its downstream
    # load divided by the efficiency of each device between it and the racks
    eff = dict(zip(fac.power_ids, fac.power_efficiency, strict=True))
    assert eff["PDU-A"] == eff["PDU-B"] == 0.98 and eff["UPS-A"] == eff["UPS-B"] == 0.97
    idx = fac.power_index
    before, after = frames[10], frames[-1]
    total = float(before.rack["power_w"].astype(np.float64).sum())
    load = before.power["load_w"]
    for side in "AB":  # 2N: each path carries half, plus its losses
        assert load[idx[f"PDU-{side}"]] == pytest.approx(total / 2, rel=1e-6)
        assert load[idx[f"UPS-{side}"]] == pytest.approx(total / 2 / 0.98, rel=1e-6)
        assert load[idx[f"UTIL-{side}"]] == pytest.approx(total / 2 / 0.98 / 0.97, rel=1e-6)
    total = float(after.rack["power_w"].astype(np.float64).sum())
    load = after.power["load_w"]
    for dev in ("UTIL-A", "UPS-A", "PDU-A"):
        assert load[idx[dev]] == 0 and after.power["state"][idx[dev]] == (dev == "UTIL-A")
    assert load[idx["PDU-B"]] == pytest.approx(total, rel=1e-6)
    assert load[idx["UPS-B"]] == pytest.approx(total / 0.98, rel=1e-6)
    assert load[idx["UTIL-B"]] == pytest.approx(total / 0.98 / 0.97, rel=1e-6)
    # the racks stay up (every rack has a B feed), GPUs capped at 75 % of TDP
    assert np.all(after.rack["power_w"] > 0)
    assert np.all(after.gpu["power_w"] <= 0.75 * fac.gpu_tdp_w + 1e-3)


def test_cdu_pump_failure_throttles_liquid_gpus_before_they_reach_shutdown(small_facility):
    fac = small_facility
    sim, frames = run(fac, "cdu-pump-failure", 240, fail_at_s=20)
    liquid = fac.gpu_liquid
    slowdown, shutdown = fac.gpu_slowdown_c[liquid], fac.gpu_shutdown_c[liquid]
    assert np.all(slowdown == 89.0) and np.all(shutdown == 92.0)  # GB200 catalog figures
    temps = np.stack([f.gpu["temp_c"][liquid] for f in frames])
    thermal = np.stack(
        [(f.gpu["throttle"][liquid].astype(int) & THERMAL_MASK) != 0 for f in frames]
    )
    # before the failure: cool, unthrottled
    assert temps[:20].max() < slowdown.min() - 15 and not thermal[:20].any()
    # the loop heats up until the busy GPUs reach slowdown and throttle ...
    assert thermal[-1].mean() > 0.5
    started = {e.item for e in events(frames, EventKind.THROTTLE_START)}
    assert len(started) > 0.5 * liquid.sum()
    # ... and the brake keeps every one of them clear of shutdown (0.15 K sensor noise)
    assert temps.max() < shutdown.min() - 2.0
    # each GPU is flagged throttling no later than the first sample at which it reads
    # at or above slowdown
    hot = temps >= slowdown
    first_hot = np.where(hot.any(axis=0), hot.argmax(axis=0), len(frames))
    first_thr = np.where(thermal.any(axis=0), thermal.argmax(axis=0), len(frames))
    reached = hot.any(axis=0)
    assert reached.sum() > 0.5 * liquid.sum()
    assert np.all(first_thr[reached] <= first_hot[reached] + 1)
    # air-cooled GPUs see none of it
    air = ~liquid
    assert abs(frames[-1].gpu["temp_c"][air].mean() - frames[15].gpu["temp_c"][air].mean()) < 3


def test_throttling_holds_gpus_at_or_just_below_slowdown(small_facility):
    """With coolant at ~68 C and a 0.03 K/W GB200 at 120 W idle, a GPU can be held anywhere
    above 68 + 0.03 * 120 = 71.6 C, so holding it just under slowdown (89 C) is physically
    possible: the governor must do it, neither overshooting nor throttling far below."""
    fac = small_facility
    sim, frames = run(fac, "cdu-pump-failure", 420, fail_at_s=20)
    liquid = fac.gpu_liquid
    slowdown = fac.gpu_slowdown_c[liquid]
    settled = frames[150:]
    coolant = sim.heat.state.rack_coolant_c[fac.gpu_rack[liquid]]
    assert np.all(coolant + 0.03 * 120 < slowdown - 10)
    temps = np.stack([f.gpu["temp_c"][liquid] for f in settled]) - slowdown
    thr = np.stack([(f.gpu["throttle"][liquid].astype(int) & THERMAL_MASK) != 0 for f in settled])
    held = temps[thr]
    assert held.size > 0.4 * thr.size
    # throttled samples sit within 2 K under slowdown (median within 1.5 K) ...
    assert np.percentile(held, 5) > -2.0 and -1.5 < np.median(held) < 0.0
    # ... and at most a sample in a hundred reads at or above it (sensor noise 0.15 K)
    assert (temps >= 0).mean() < 0.01 and temps.max() < 0.6


def test_hot_spot_stays_local(small_facility):
    fac = small_facility
    _, hot = run(fac, "hot-spot", 200)
    _, normal = run(fac, "normal", 200)
    (note,) = events(hot, EventKind.NOTE)
    r = fac.rack_index[note.item]
    rise = hot[-1].rack["inlet_c"] - normal[-1].rack["inlet_c"]
    row = fac.rack_row == fac.rack_row[r]
    neighbours = row & (np.abs(np.arange(fac.n_racks) - r) == 1)
    elsewhere = ~row
    assert neighbours.sum() >= 1 and elsewhere.sum() == 5
    # the rack facing the wrong way breathes its own row's hot aisle: many kelvin
    assert rise[r] > 10
    # its neighbours get part of its exhaust, less than half of its own rise
    assert np.all(rise[neighbours] > 1.0) and np.all(rise[neighbours] < 0.5 * rise[r])
    # other rows notice only the hall's slightly warmer hot aisle
    assert np.abs(rise[elsewhere]).max() < 0.1 * rise[r]
    assert np.abs(rise[elsewhere]).max() < rise[neighbours].min()
