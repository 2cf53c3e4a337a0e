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
    # the inlets are the airflow model's, fed the frames' rack powers, failed units and fan
    # speeds (the units' as recorded, the racks' following their power): what a replay runs
    from twin.physics.fan_follow import measured_flow_scale, rack_flow_scale
    from twin.telemetry.physics_air import PhysicsAir

    air = PhysicsAir(fac)
    failed: list[str] = []
    for f in a:
        failed += [e.item for e in f.events if e.kind == EventKind.UNIT_FAILED]
        power = f.rack["power_w"].astype(np.float64)
        fans = measured_flow_scale(fac, f.air_unit["flow_m3s"])
        air.set_failed(failed, fans, rack_flow_scale(fac, power))
        want = air.step(1.0, power)
    assert fans is not None and np.nanmax(np.abs(fans - 1.0)) > 0.05  # not at rated
    np.testing.assert_allclose(inlet, want["rack_inlet_c"], atol=1e-3)
    # the workload is the same; only the air model differs
    np.testing.assert_array_equal(a[-1].gpu["util_pct"], b[-1].gpu["util_pct"])
    assert EventKind.UNIT_FAILED in [e.kind for f in a for e in f.events]


@pytest.mark.slow
def test_the_physics_starts_at_the_fans_the_first_frame_records(small_facility):
    """The first frame's fans are not at rated (the units follow the load): the hall's field
    is solved once, at them, not at rated and again (a steady solve each)."""
    pytest.importorskip("twin.physics")
    from twin.physics.fan_follow import measured_flow_scale

    sim = Simulator(small_facility, "normal", seed=5, start_s=0, physics=True)
    frames = [sim.step() for _ in range(3)]
    model = sim.physics.models[0]
    fans = measured_flow_scale(small_facility, frames[0].air_unit["flow_m3s"])
    assert np.abs(fans - 1.0).max() > 0.05
    assert model.flow_solves == 1
    assert model.unit_flow_scale == pytest.approx(fans, abs=1e-6)


@pytest.mark.slow
def test_the_physics_racks_move_the_air_their_recorded_power_says(small_facility):
    """The racks' server fans follow the power each frame records (a rack's airflow share
    0.4 + 0.6 x its load, ``server_fans``): as the day's jobs start, the model's racks speed up
    with them, re-solved whenever one moved by more than ``FLOW_RESOLVE_FRACTION`` from the
    speeds its field has, so the field's never trail a frame's by more than that."""
    pytest.importorskip("twin.physics")
    from twin.physics.fan_follow import FLOW_RESOLVE_FRACTION

    fac = small_facility
    racks = fac.rack_hall == 0
    sim = Simulator(fac, "normal", seed=5, start_s=0, rate_hz=0.05, physics=True)
    implied = []
    for _ in range(5):
        frame = sim.step()
        load = frame.rack["power_w"].astype(np.float64) / fac.rack_power_w
        implied.append((0.4 + 0.6 * np.clip(load, 0.0, 1.5))[racks])
        field = np.asarray(sim.physics.models[0].rack_flow_scale)[racks]
        assert np.abs(field - implied[-1]).max() <= FLOW_RESOLVE_FRACTION
    assert np.abs(implied[-1] - implied[0]).max() > 0.15  # the jobs moved the fans
    assert sim.physics.models[0].flow_solves >= 2


# ---------------------------------------------------------------------- details of the simulator
def test_rate_sets_the_sample_period(small_facility):
    with pytest.raises(ValueError, match="rate_hz must be positive"):
        Simulator(small_facility, rate_hz=0)
    sim = Simulator(small_facility, rate_hz=4, start_s=100.0)
    assert [sim.step().time_s for _ in range(3)] == [100.0, 100.25, 100.5]


def test_a_normal_day_raises_and_clears_no_unit_alarm(small_facility):
    # the CDU returns well under 45 degC on a normal day: nothing to raise, nothing to clear
    _, frames = run(small_facility, "normal", 30)
    cdu = [e for e in events_of(frames) if e.item == "CDU-1"]
    assert cdu == []


def throttle_story_ok(frames) -> None:
    """Per item, throttling events alternate start, stop, start... beginning with a start."""
    last: dict[str, EventKind] = {}
    for e in events_of(frames):
        if e.kind in (EventKind.THROTTLE_START, EventKind.THROTTLE_END):
            prev = last.get(e.item, EventKind.THROTTLE_END)
            assert e.kind != prev, f"{e.item}: {e.kind} twice"
            verb = "started" if e.kind == EventKind.THROTTLE_START else "stopped"
            assert f" {verb} throttling" in e.message
            last[e.item] = e.kind


def test_throttle_events_pair_up(small_facility):
    _, frames = run(small_facility, "cdu-pump-failure", 200, fail_at_s=20, recover_at_s=150)
    assert events_of(frames, EventKind.THROTTLE_START)
    throttle_story_ok(frames)
    _, frames = run(small_facility, "normal", 60)
    throttle_story_ok(frames)


@pytest.mark.parametrize("above_k", [0.0, 0.5])
def test_a_gpu_at_slowdown_is_braked_at_once(small_facility, above_k):
    # a GPU reported at (or just over) its 89 degC slowdown on cool air: the integral governor
    # alone would take 1 % per kelvin and second off its clock factor (to 0.99 or 0.985); the
    # hardware brake takes it to 0.97 at once
    fac = small_facility
    sim = Simulator(fac, "normal", seed=1, start_s=0)
    sim.step()
    sim.gpu_temp_c[:] = np.float32(fac.gpu_slowdown_c[0] + above_k)
    sim.step()
    f = sim.thermal_factor
    np.testing.assert_allclose(f, 0.97, rtol=1e-6)


def test_power_cap_slows_the_clock_by_the_root_of_the_cap(small_facility):
    # on one power path the GPUs are capped at 75 % of TDP: a capped GPU's clock is the boost
    # clock times sqrt(clock factor) times sqrt(cap / demand), below sqrt(f) x boost and (its
    # demand being at most its TDP) at least sqrt(0.75 f) x boost
    fac = small_facility
    sim, frames = run(fac, "ups-failover", 40, fail_at_s=20, recover_at_s=None)
    g = frames[-1].gpu
    capped = (g["throttle"].astype(int) & THROTTLE_SW_POWER_CAP) != 0
    assert capped.sum() > 0.3 * fac.n_gpus
    f = sim.thermal_factor[capped]
    clock = g["sm_clock_mhz"][capped]
    assert np.all(clock <= 1980.0 * np.sqrt(f) - 1.0)
    assert np.all(clock >= 1980.0 * np.sqrt(0.75 * f) - 0.5)


def test_a_rack_on_one_path_goes_dark_and_comes_back(small_layout_file):
    # A03 on PDU-A alone: when UPS-A (above PDU-A, feeding all eight racks) fails, A03 has no
    # power and its 32 GPUs report nothing; the seven dual-fed racks (5 x 32 + 2 x 72 = 304
    # GPUs) move to PDU-B, capped
    text = small_layout_file.read_text().replace(
        "id: A03, position_m: [4.2, 4], servers: [{type: dgx-h100, count: 4}], "
        "feeds: {a: PDU-A, b: PDU-B}",
        "id: A03, position_m: [4.2, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A}",
    )
    # PDU-A now carries A03 whole: 274.8 kW, over its 270 kW catalog rating
    text = text.replace(
        "{id: PDU-A, type: pdu-300kva,", "{id: PDU-A, type: pdu-300kva, capacity_kw: 300,"
    )
    fac = facility_from_text(text, "one-cord.yaml")
    _, frames = run(fac, "ups-failover", 60, fail_at_s=20, recover_at_s=40)
    msgs = [(e.kind, e.item, e.message) for e in events_of(frames) if e.item == "UPS-A"]
    assert msgs == [
        (EventKind.UNIT_FAILED, "UPS-A", "UPS-A failed"),
        (EventKind.FAILOVER, "UPS-A", "7 racks transferred to their other feed"),
        (EventKind.ALARM, "UPS-A", "single power path: 304 GPUs capped at 75 % of TDP"),
        (EventKind.UNIT_RECOVERED, "UPS-A", "UPS-A back online, both feeds restored"),
        (EventKind.ALARM_CLEARED, "UPS-A", "power caps lifted"),
    ]
    dark = fac.gpu_rack == fac.rack_index["A03"]
    assert dark.sum() == 32
    names = ("temp_c", "mem_temp_c", "power_w", "util_pct", "sm_clock_mhz", "throttle")
    for i, lit in ((10, True), (30, False), (50, True)):
        g = frames[i].gpu
        for name in names:
            assert np.all(np.isnan(g[name][dark]) != lit), (i, name)
            assert np.all(np.isfinite(g[name][~dark])), (i, name)


class _StandInAir:
    """An airflow model with known answers: 30 degC inlets and 45 degC exhausts for every rack
    but the first (not modelled: NaN), and air units supplying 17 degC plus one kelvin per
    unit it was told is off, returning 33 degC with 50 kW each."""

    problems = ["H9: ValueError: no grid"]
    told = False

    def take_problems(self):
        new, self.told = ([] if self.told else list(self.problems)), True
        return new

    def __init__(self, fac, flow_scale=None, rack_scale=None):
        self.n_rack, self.n_unit = fac.n_racks, len(fac.air_unit_ids)
        self.n_sensor = len(fac.sensor_ids)
        self.off: list[str] = []

    def set_failed(self, ids, unit_scale=None, rack_scale=None):
        self.off = list(ids)

    def step(self, dt_s, rack_power_w):
        inlet, exhaust = np.full(self.n_rack, 30.0), np.full(self.n_rack, 45.0)
        inlet[0] = exhaust[0] = np.nan
        return {
            "rack_inlet_c": inlet,
            "rack_exhaust_c": exhaust,
            "air_unit_supply_c": np.full(self.n_unit, 17.0 + len(self.off)),
            "air_unit_return_c": np.full(self.n_unit, 33.0),
            "air_unit_load_w": np.full(self.n_unit, 50e3),
            "sensor_temp_c": np.full(self.n_sensor, 24.0),
        }


def _physics_notes(frame):
    return [(e.item, e.message, e.severity) for e in frame.events if e.kind == EventKind.NOTE]


def test_physics_values_replace_the_heat_balance_where_modelled(small_facility, monkeypatch):
    from twin.telemetry import physics_air

    monkeypatch.setattr(physics_air, "PhysicsAir", _StandInAir)
    fac = small_facility
    sc = Scenario("crah-trip", fail_at_s=3, recover_at_s=None)
    sim = Simulator(fac, sc, seed=5, start_s=0, physics=True)
    plain = Simulator(fac, sc, seed=5, start_s=0)
    a = [sim.step() for _ in range(6)]
    b0 = plain.step()
    assert _physics_notes(a[0]) == [("physics", "heat balance for H9: ValueError: no grid", 0)]
    assert all(e.time_s == a[0].time_s for e in a[0].events)
    assert all(_physics_notes(f) == [] for f in a[1:])
    # the unmodelled rack keeps the heat balance's value, the others take the model's
    assert a[0].rack["inlet_c"][0] == b0.rack["inlet_c"][0]
    for f in a:
        assert np.all(f.rack["inlet_c"][1:] == 30.0) and np.all(f.rack["exhaust_c"][1:] == 45.0)
        assert np.isfinite(f.rack["inlet_c"][0]) and f.rack["inlet_c"][0] != 30.0
    # before the trip both units take the model's values; after it the tripped unit (its fans
    # stopped, which the model was told: 18 degC) keeps the heat balance's
    (failed,) = events_of(a, EventKind.UNIT_FAILED)
    k = fac.air_unit_index[failed.item]
    assert np.all(a[2].air_unit["supply_c"] == 17.0) and np.all(a[2].air_unit["load_w"] == 50e3)
    on = np.arange(len(fac.air_unit_ids)) != k
    assert np.all(a[-1].air_unit["supply_c"][on] == 18.0)
    assert np.all(a[-1].air_unit["return_c"][on] == 33.0)
    assert a[-1].air_unit["load_w"][k] != 50e3 and a[-1].air_unit["supply_c"][k] != 18.0


def test_a_misplaced_rack_keeps_the_heat_balance_inlet(small_facility, monkeypatch):
    # hot-spot: the turned rack and its row neighbours breathe recirculated air that the
    # grid (which has the rack facing the right way) does not see
    from twin.telemetry import physics_air

    monkeypatch.setattr(physics_air, "PhysicsAir", _StandInAir)
    fac = small_facility
    sim = Simulator(fac, "hot-spot", seed=5, start_s=0, physics=True)
    frame = sim.step()
    kept = sim.heat.extra_recirc > 0
    kept[0] = True  # the stand-in does not model rack 0
    assert kept.sum() >= 2
    inlet = frame.rack["inlet_c"]
    assert np.all(inlet[~kept] == 30.0) and np.all(inlet[kept] != 30.0)


def test_without_an_airflow_model_the_heat_balance_carries_on(small_facility, monkeypatch):
    from twin.telemetry import physics_air

    def broken(fac, **fans):
        raise RuntimeError("no grid here")

    monkeypatch.setattr(physics_air, "PhysicsAir", broken)
    sim = Simulator(small_facility, "normal", seed=5, start_s=0, physics=True)
    plain = Simulator(small_facility, "normal", seed=5, start_s=0)
    a = [sim.step() for _ in range(3)]
    b = [plain.step() for _ in range(3)]
    assert _physics_notes(a[0]) == [("physics", "airflow model unavailable: no grid here", 0)]
    assert [e.time_s for e in a[0].events if e.kind == EventKind.NOTE] == [a[0].time_s]
    assert _physics_notes(a[1]) == [] and not sim.physics_wanted
    for fa, fb in zip(a, b, strict=True):
        np.testing.assert_array_equal(fa.rack["inlet_c"], fb.rack["inlet_c"])


class _ScriptedInlets(_StandInAir):
    """The stand-in model with every modelled rack's inlet following a script, one value a
    step."""

    script = (27.0, 26.6, 26.4, 32.0, 31.6, 31.4, 32.5, 26.0)

    def __init__(self, fac, **fans):
        super().__init__(fac, **fans)
        self.steps = 0

    def step(self, dt_s, rack_power_w):
        out = super().step(dt_s, rack_power_w)
        out["rack_inlet_c"][1:] = self.script[self.steps]
        self.steps += 1
        return out


def test_inlet_alarms_at_the_ashrae_limits_with_half_a_kelvin_of_hysteresis(
    small_facility, monkeypatch
):
    # 27 degC (recommended) and 32 degC (allowable) raise the alarm when reached; an alarm
    # clears only 0.5 K below its limit. Step by step for one rack:
    # 27.0 warn | 26.6 still warn | 26.4 clear | 32.0 critical | 31.6 still critical |
    # 31.4 down to warn (no event) | 32.5 critical again | 26.0 clear
    from twin.telemetry import physics_air

    monkeypatch.setattr(physics_air, "PhysicsAir", _ScriptedInlets)
    sim = Simulator(small_facility, "normal", seed=5, start_s=0, physics=True)
    frames = [sim.step() for _ in range(len(_ScriptedInlets.script))]
    rid = small_facility.rack_ids[1]
    got = [
        (i, e.kind, e.severity, e.message)
        for i, f in enumerate(frames)
        for e in f.events
        if e.item == rid
    ]
    assert got == [
        (0, EventKind.ALARM, 1, f"{rid} inlet 27.0 degC above 27 degC"),
        (2, EventKind.ALARM_CLEARED, 0, f"{rid} inlet back to 26.4 degC"),
        (3, EventKind.ALARM, 2, f"{rid} inlet 32.0 degC above 32 degC"),
        (6, EventKind.ALARM, 2, f"{rid} inlet 32.5 degC above 32 degC"),
        (7, EventKind.ALARM_CLEARED, 0, f"{rid} inlet back to 26.0 degC"),
    ]


def test_cdu_return_alarm_with_a_kelvin_of_hysteresis(small_facility):
    # the alarm is raised in the first frame whose return reaches 45 degC and cleared in the
    # first frame after it whose return is under 44 degC, both read from the frames
    _, frames = run(small_facility, "cdu-pump-failure", 260, fail_at_s=20, recover_at_s=150)
    ret = np.array([f.cdu["return_c"][0] for f in frames], dtype=float)
    raised = int(np.argmax(ret >= 45.0))
    assert ret[raised] >= 45.0
    cleared = raised + int(np.argmax(ret[raised:] < 44.0))
    assert ret[cleared] < 44.0 and cleared > raised
    got = [(i, e.kind, e.item, e.message) for i, f in enumerate(frames) for e in f.events]
    cdu = [g for g in got if g[1] in (EventKind.ALARM, EventKind.ALARM_CLEARED) and "CDU" in g[3]]
    assert cdu == [
        (raised, EventKind.ALARM, "CDU-1", f"CDU-1 return {ret[raised]:.1f} degC above 45 degC"),
        (cleared, EventKind.ALARM_CLEARED, "CDU-1", "CDU-1 return temperature normal"),
    ]


def test_a_recording_says_when_its_air_passes_what_any_hall_reaches(tmp_path):
    """The tests' N+1 room left with its one 77 kW CRAH for 122 kW of racks, then that CRAH
    tripped: the heat balance's inlets climb past 150 C (no walls, nothing but the GPUs
    tripping). The frame where the first rack passes it carries one note, and only that one."""
    from tests.physics.test_unit_loss import top_intake_room

    text = top_intake_room(tmp_path, 16.0)
    one = "\n".join(ln for ln in text.splitlines() if "id: C2" not in ln and "id: C3" not in ln)
    fac = facility_from_text(one, "one.yaml")
    sc = Scenario("crah-trip", fail_at_s=10, recover_at_s=None)
    sim = Simulator(fac, sc, seed=2, rate_hz=0.2, start_s=0)
    notes, inlets = [], []
    for _ in range(240):
        frame = sim.step()
        inlets.append(frame.rack["inlet_c"].astype(float))
        notes += [(len(inlets) - 1, e) for e in frame.events if "no data hall" in e.message]
    ((k, note),) = notes
    hottest = [float(np.nanmax(v)) for v in inlets]
    assert hottest[k] > 150.0 >= max(hottest[:k])
    rid = fac.rack_ids[int(np.nanargmax(inlets[k]))]  # the hottest rack of that frame
    assert note.kind == EventKind.NOTE and note.severity == 2 and note.item == rid
    said = float(note.message.split(" inlet ")[1].split(" degC")[0])
    assert said == pytest.approx(hottest[k], abs=0.051)  # to 0.1 K (the frame holds float32)
    assert note.message == (
        f"{rid} inlet {said:.1f} degC, past the 150 degC no data hall reaches (its "
        "equipment trips and its walls take up heat first; the model has neither): the "
        "temperatures recorded from here on are not physical"
    )


@pytest.mark.parametrize(
    ("inlets", "said"),
    [
        ([151.0, 20.0, 30.0], "R0"),  # the first rack the hottest
        ([20.0, 150.0, 30.0], None),  # at the bound, not past it
        ([20.0, 150.5, np.nan], "R1"),
        ([np.nan, 40.0, 30.0], None),  # a rack with no air reading is not the hottest
        ([], None),  # no racks
    ],
    ids=["first-rack", "at-bound", "past", "nan", "none"],
)
def test_the_air_limit_note_by_hand(small_facility, inlets, said):
    from types import SimpleNamespace

    sim = Simulator(small_facility, seed=1, start_s=0)
    sim.facility = SimpleNamespace(rack_ids=["R0", "R1", "R2"])  # the note reads only the ids
    out = sim._air_limit_event(12.5, SimpleNamespace(rack_inlet_c=np.array(inlets, float)))
    if said is None:
        assert out == [] and not sim._air_limit_told
        return
    ((e,),) = (out,)
    assert (e.time_s, e.kind, e.item, e.severity) == (12.5, EventKind.NOTE, said, 2)
    assert e.message.startswith(f"{said} inlet {max(v for v in inlets if v == v):.1f} degC, past")
    assert sim._air_limit_event(13.5, SimpleNamespace(rack_inlet_c=np.array(inlets))) == []
