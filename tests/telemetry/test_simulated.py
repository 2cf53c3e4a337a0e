"""The simulated hall: shapes, physics sanity, determinism, and every scenario's story."""

from __future__ import annotations

import time

import numpy as np
import pytest

from twin.model.frame import (
    METRICS,
    THROTTLE_SW_POWER_CAP,
    EventKind,
)
from twin.model.loader import facility_from_text
from twin.telemetry.scenarios import SCENARIOS, Scenario
from twin.telemetry.simulated import SimulatedSource
from twin.telemetry.simulator import THERMAL_MASK, Simulator
from twin.telemetry.source import SourceState


def run(fac, name, steps, **kw):
    sc = Scenario(name, fail_at_s=kw.pop("fail_at_s", 20), recover_at_s=kw.pop("recover_at_s", 200))
    sim = Simulator(fac, sc, seed=kw.pop("seed", 7), start_s=1_000_000.0, **kw)
    frames = [sim.step() for _ in range(steps)]
    return sim, frames


def events_of(frames, kind=None):
    out = [e for f in frames for e in f.events]
    return [e for e in out if kind is None or e.kind == kind]


def test_frame_has_every_metric_in_index_order(small_facility):
    fac = small_facility
    _, frames = run(fac, "normal", 3)
    f = frames[-1]
    counts = fac.counts()
    for kind, metrics in METRICS.items():
        for name, _, _ in metrics:
            arr = f.group(kind)[name]
            assert arr.shape == (counts[kind],), (kind, name)
            assert arr.dtype == np.float32
    assert f.time_s == 1_000_002.0


def test_values_are_physically_plausible(small_facility):
    fac = small_facility
    _, frames = run(fac, "normal", 120)
    g = frames[-1].gpu
    assert np.all(g["power_w"] >= fac.gpu_idle_w - 15)
    assert np.all(g["power_w"] <= fac.gpu_tdp_w + 1e-3)
    assert np.all((g["util_pct"] >= 0) & (g["util_pct"] <= 100))
    # power follows utilisation
    assert np.corrcoef(g["util_pct"], g["power_w"] / fac.gpu_tdp_w)[0, 1] > 0.8
    inlet = frames[-1].rack["inlet_c"]
    assert np.all(g["temp_c"] > inlet[fac.gpu_rack] - 1)
    assert np.all(g["temp_c"] < fac.gpu_shutdown_c)
    assert np.all((inlet > 15) & (inlet < 32))
    # exhaust above inlet; air units return warmer than they supply
    assert np.all(frames[-1].rack["exhaust_c"] > inlet)
    au = frames[-1].air_unit
    assert np.all(au["return_c"] > au["supply_c"])
    # power devices carry the racks' load (plus losses) on both paths
    rack_total = frames[-1].rack["power_w"].sum()
    pl = frames[-1].power["load_w"]
    ups = [fac.power_index["UPS-A"], fac.power_index["UPS-B"]]
    assert pl[ups].sum() == pytest.approx(rack_total, rel=0.1)


def test_jobs_take_whole_hosts_and_show_dynamics(small_facility):
    fac = small_facility
    sim, frames = run(fac, "normal", 300)
    job = frames[-1].gpu["job"]
    # a job id is constant within a host
    per_host_min = np.full(len(fac.host_names), np.inf)
    per_host_max = np.full(len(fac.host_names), -np.inf)
    np.minimum.at(per_host_min, fac.gpu_host, job)
    np.maximum.at(per_host_max, fac.gpu_host, job)
    has = fac.host_gpu_count > 0
    assert np.array_equal(per_host_min[has], per_host_max[has])
    assert len(np.unique(job[job > 0])) >= 2
    # utilisation changes over time (ramp-ups, checkpoints, inference load)
    util = np.stack([f.gpu["util_pct"] for f in frames])
    assert np.ptp(util.mean(axis=1)) > 2


def test_deterministic_for_a_seed(small_facility):
    _, a = run(small_facility, "crah-trip", 40, seed=3)
    _, b = run(small_facility, "crah-trip", 40, seed=3)
    _, c = run(small_facility, "crah-trip", 40, seed=4)
    for fa, fb in zip(a, b, strict=True):
        for name in ("temp_c", "power_w", "util_pct", "job"):
            np.testing.assert_array_equal(fa.gpu[name], fb.gpu[name])
        assert [e.message for e in fa.events] == [e.message for e in fb.events]
    assert not np.array_equal(a[-1].gpu["power_w"], c[-1].gpu["power_w"])


def test_crah_trip(small_facility):
    fac = small_facility
    sim, frames = run(fac, "crah-trip", 240, fail_at_s=30, recover_at_s=150)
    (failed,) = events_of(frames, EventKind.UNIT_FAILED)
    (back,) = events_of(frames, EventKind.UNIT_RECOVERED)
    assert failed.item == back.item and failed.severity == 2
    k = fac.air_unit_index[failed.item]
    assert frames[29].air_unit["state"][k] == 1 and frames[31].air_unit["state"][k] == 0
    assert frames[31].air_unit["flow_m3s"][k] == 0
    assert frames[-1].air_unit["state"][k] == 1
    # the other unit takes more air; the nearest racks warm
    other = 1 - k
    assert frames[100].air_unit["flow_m3s"][other] > frames[25].air_unit["flow_m3s"][other]
    assert frames[100].rack["inlet_c"].max() > frames[25].rack["inlet_c"].max() + 0.5


def test_cdu_pump_failure_heats_and_throttles_liquid_gpus(small_facility):
    fac = small_facility
    sim, frames = run(fac, "cdu-pump-failure", 200, fail_at_s=20, recover_at_s=150)
    assert events_of(frames, EventKind.UNIT_FAILED)[0].item == "CDU-1"
    assert frames[40].cdu["flow_lps"][0] < 0.2 * frames[10].cdu["flow_lps"][0]
    liquid = fac.gpu_liquid
    assert frames[120].gpu["temp_c"][liquid].mean() > frames[15].gpu["temp_c"][liquid].mean() + 10
    # air-cooled GPUs are unaffected
    air = ~liquid
    air_change = frames[120].gpu["temp_c"][air].mean() - frames[15].gpu["temp_c"][air].mean()
    assert abs(air_change) < 8
    starts = events_of(frames, EventKind.THROTTLE_START)
    assert starts, "hot liquid-cooled GPUs must throttle"
    thr = frames[120].gpu["throttle"].astype(int)
    assert np.any(thr[liquid] & THERMAL_MASK)
    assert any(e.kind == EventKind.ALARM and e.item == "CDU-1" for e in events_of(frames))
    assert events_of(frames, EventKind.UNIT_RECOVERED)


def test_ups_failover_caps_power(small_facility):
    fac = small_facility
    sim, frames = run(fac, "ups-failover", 80, fail_at_s=20, recover_at_s=60)
    kinds = [e.kind for e in events_of(frames)]
    for k in (EventKind.UNIT_FAILED, EventKind.FAILOVER, EventKind.ALARM, EventKind.UNIT_RECOVERED):
        assert k in kinds
    ups = events_of(frames, EventKind.UNIT_FAILED)[0].item
    p = fac.power_index[ups]
    mid = frames[40]
    assert mid.power["state"][p] == 0 and mid.power["load_w"][p] == 0
    assert np.all(mid.gpu["power_w"] <= 0.75 * fac.gpu_tdp_w + 1e-3)
    capped = (mid.gpu["throttle"].astype(int) & THROTTLE_SW_POWER_CAP) != 0
    assert capped.sum() > 0.3 * fac.n_gpus
    # the surviving path carries everything
    other = "UPS-B" if ups == "UPS-A" else "UPS-A"
    assert mid.power["load_w"][fac.power_index[other]] == pytest.approx(
        mid.rack["power_w"].sum(), rel=0.1
    )
    assert frames[-1].power["state"][p] == 1


def test_hot_spot_rack_breathes_hot_air(small_facility):
    fac = small_facility
    sim, frames = run(fac, "hot-spot", 150)
    note = events_of(frames, EventKind.NOTE)[0]
    r = fac.rack_index[note.item]
    inlet = frames[-1].rack["inlet_c"]
    assert int(np.argmax(inlet)) == r and inlet[r] > 32
    alarms = [e for e in events_of(frames, EventKind.ALARM) if e.item == note.item]
    assert alarms and max(e.severity for e in alarms) == 2
    gpus = fac.gpu_rack == r
    others = ~gpus & ~fac.gpu_liquid
    g = frames[-1].gpu
    air_part = g["temp_c"] - fac.gpu_r_th_k_per_w * g["power_w"]  # what the cooling air adds
    assert air_part[gpus].mean() > air_part[others].mean() + 10


def test_scenario_errors():
    with pytest.raises(ValueError, match="unknown scenario"):
        Scenario("meteor")
    with pytest.raises(ValueError, match="after"):
        Scenario("crah-trip", fail_at_s=100, recover_at_s=50)
    bare = facility_from_text(
        "format: twin-layout/1\nname: bare\nhalls: [{id: H, size_m: [5, 5, 3]}]\n"
        "rows: [{id: A, hall: H, racks: [{id: A1, position_m: [2, 2], load: {power_kw: 10, delta_t_k: 12}}]}]\n"
    )
    for name in ("crah-trip", "cdu-pump-failure", "ups-failover"):
        with pytest.raises(ValueError, match=name):
            Simulator(bare, name)
    sim = Simulator(bare, "normal", start_s=0)
    f = sim.step()
    assert f.gpu["temp_c"].shape == (0,) and f.rack["power_w"][0] > 0
    assert set(SCENARIOS) == {"normal", "crah-trip", "cdu-pump-failure", "ups-failover", "hot-spot"}


def test_simulated_source_runs_off_thread_and_ends(small_facility):
    src = SimulatedSource(
        small_facility,
        scenario="crah-trip",
        speed=200,
        physics=False,
        duration_s=40,
        fail_at_s=10,
        recover_at_s=30,
        start_s=0,
    )
    assert src.poll() is None
    src.start()
    t0 = time.monotonic()
    seen = []
    while src.status().state != SourceState.ENDED and time.monotonic() - t0 < 10:
        f = src.poll()  # never blocks
        if f is not None:
            seen.append(f)
        time.sleep(0.005)
    src.stop()
    last = src.poll()
    if last is not None:
        seen.append(last)
    assert src.status().frames >= 40
    events = [e.kind for f in seen for e in f.events]
    # frames dropped between polls still deliver their events
    assert EventKind.UNIT_FAILED in events and EventKind.UNIT_RECOVERED in events
    times = [f.time_s for f in seen]
    assert times == sorted(times)


@pytest.mark.slow
def test_physics_drives_rack_inlets(small_facility):
    pytest.importorskip("twin.physics")
    fac = small_facility
    sc = Scenario("crah-trip", fail_at_s=3, recover_at_s=None)
    with_physics = Simulator(fac, sc, seed=5, start_s=0, physics=True)
    plain = Simulator(fac, sc, seed=5, start_s=0)
    a = [with_physics.step() for _ in range(12)]
    b = [plain.step() for _ in range(12)]
    assert with_physics.physics is not None and with_physics.physics.halls == [0]
    inlet = a[-1].rack["inlet_c"]
    assert not np.allclose(inlet, b[-1].rack["inlet_c"])
    # the inlets are the airflow model's, fed the frames' rack powers and failed units
    from twin.telemetry.physics_air import PhysicsAir

    air = PhysicsAir(fac)
    failed: list[str] = []
    for f in a:
        failed += [e.item for e in f.events if e.kind == EventKind.UNIT_FAILED]
        air.set_failed(failed)
        want = air.step(1.0, f.rack["power_w"].astype(np.float64))
    np.testing.assert_allclose(inlet, want["rack_inlet_c"], atol=1e-3)
    # the workload is the same; only the air model differs
    np.testing.assert_array_equal(a[-1].gpu["util_pct"], b[-1].gpu["util_pct"])
    assert EventKind.UNIT_FAILED in [e.kind for f in a for e in f.events]
