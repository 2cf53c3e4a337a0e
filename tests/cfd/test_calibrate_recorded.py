"""Calibration from a recording solves the hall as the recording ran (air units off, fan
speeds, supply temperatures, server fans at part load) and refuses a span over which the
hall did not hold steady, naming what moved and when."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import calibrate, recorded_hall
from twin.model.frame import AIR_READING_C, Frame
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.fan_follow import rack_flow_scale
from twin.recording.reader import open_recording
from twin.recording.recorder import Recorder

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "wall-crah-plenum-mixed.yaml"
CELL = 0.3
T0 = 1.8e9  # the recordings' first frame
STEP_S = 5.0


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


def _record(path, fac, n, fill, filled_by_model=()) -> Path:
    """A recording of ``n`` frames ``STEP_S`` apart; ``fill(i, frame)`` sets frame i."""
    with Recorder(path, fac, filled_by_model=filled_by_model) as rec:
        for i in range(n):
            fr = Frame.empty(T0 + STEP_S * i, fac.counts())
            fill(i, fr)
            rec.append(fr)
    return path


def _steady(fac, inlet_c, power_w, state=(1, 1), flow_share=(0.8, 0.8), supply_c=(19.0, 19.0)):
    rated = np.asarray(fac.air_unit_airflow_m3s)

    def fill(i, fr):
        fr.rack["inlet_c"][:] = inlet_c
        fr.rack["power_w"][:] = power_w
        fr.air_unit["state"][:] = state
        fr.air_unit["flow_m3s"][:] = np.asarray(flow_share) * rated
        fr.air_unit["supply_c"][:] = supply_c

    return fill


def _targets(path, fac, t_from=None):
    with open_recording(path) as rec:
        t0 = rec.parse_time(t_from) if t_from else None
        return calibrate.targets_from_recording(rec, fac, t0)


def test_the_fit_solves_the_hall_as_the_recording_ran(fac, tmp_path):
    """Readings made by the model itself with CRAH-1 off, CRAH-2 at 90 % of its rated flow
    supplying 19 C and the racks at 60 % load: the fit's starting error is that model's
    recording rounding only, where a solve at the layout's nominal state is kelvins off."""
    power = 0.6 * fac.rack_power_w
    racks = rack_flow_scale(fac, power)
    from twin.physics.setpoints import with_set_points

    warm = with_set_points(fac, air_supply_c={"CRAH-2": 19.0})  # the supply measured
    truth = ThermalModel(
        warm,
        0,
        CELL,
        failed=["CRAH-1"],
        unit_flow_scale=np.array([1.0, 0.9]),
        rack_flow_scale=racks,
    ).solve(power)
    fill = _steady(fac, truth.rack_inlet_mean_c, power, (0, 1), (0.0, 0.9), (31.0, 19.0))
    t = _targets(_record(tmp_path / "site.h5", fac, 12, fill), fac)
    c = t.conditions
    assert c.failed == ("CRAH-1",) and c.running == ("CRAH-2",)
    assert c.facility(fac).air_unit_supply_c.tolist() == [18.0, 19.0]  # the layout's: 18 C
    assert c.unit_flow_scale == pytest.approx([0.0, 0.9], abs=1.1e-3)  # flows to 0.01 m3/s
    assert c.rack_flow_scale == pytest.approx(racks, abs=1e-4)
    assert c.supply_c == pytest.approx({"CRAH-2": 19.0})  # not the off unit's return air
    assert c.describe(fac) == "CRAH-1 off; fans at 90% of rated; supply 19.0 C"
    assert t.min_gain_k == pytest.approx(0.05)  # half the inlets' 0.1 K resolution
    assert t.source.endswith("site.h5 0:00-0:55")
    f = calibrate.fit(fac, 0, CELL, t, budget_s=3)
    assert f.before["rack_rms_k"] < 0.05  # the inlets stored to 0.1 K
    nominal = ThermalModel(fac, 0, CELL).solve(power)
    off = nominal.rack_inlet_mean_c - truth.rack_inlet_mean_c
    assert np.sqrt(np.mean(off**2)) > 0.5


def test_a_span_the_hall_did_not_hold_is_refused_naming_what_moved(fac, tmp_path):
    """CRAH-1 trips at 0:30, CRAH-2's fans ramp from 60 % to 85 % of rated until 0:55 and
    rack A1's inlet climbs 2 K and B1's 0.4 K with them; from 1:00 the hall holds again."""
    base = _steady(fac, 22.0, fac.rack_power_w, flow_share=(0.6, 0.6))
    rated = fac.air_unit_airflow_m3s

    def fill(i, fr):
        base(i, fr)
        after = min(max(i - 5, 0), 6) / 6  # 0 up to frame 5, 1 from frame 11 (0:55) on
        fr.air_unit["state"][0] = 0.0 if i >= 6 else 1.0
        fr.air_unit["flow_m3s"][:] = [0.0 if i >= 6 else 0.6 * rated[0], (0.6 + 0.25 * after)]
        fr.air_unit["flow_m3s"][1] *= rated[1]
        fr.rack["inlet_c"][fac.rack_index["A1"]] = 22.0 + 2.0 * after
        fr.rack["inlet_c"][fac.rack_index["B1"]] = 22.0 + 0.4 * after

    path = _record(tmp_path / "trip.h5", fac, 24, fill)
    with pytest.raises(ValueError) as err:
        _targets(path, fac)
    msg = str(err.value)
    assert msg.startswith("the hall did not hold steady from 0:00 to 1:55, so its mean")
    # CRAH-2's first third: six frames at 2.83 m3/s, then 3.03 and 3.23 (stored to 0.01)
    assert "CRAH-1 went off at 0:30; CRAH-2's fans moved 2.90 -> 4.01 m3/s (23% of rated); " in msg
    assert "rack A1's inlet moved +1.9 K. Pick a span where it held" in msg
    assert "B1" not in msg and "supply" not in msg  # under 0.5 K; supplies steady
    t = _targets(path, fac, "1:00")
    assert t.conditions.failed == ("CRAH-1",)
    assert t.conditions.unit_flow_scale == pytest.approx([0.0, 0.85], abs=1.1e-3)
    assert t.rack_c[list(t.rack_index).index(fac.rack_index["A1"])] == pytest.approx(24.0)
    assert t.source.endswith("trip.h5 1:00-1:55")


@pytest.mark.parametrize(
    ("inlet_k", "flow_share", "supply_k", "named"),
    [
        (0.4, 0.04, -0.4, []),
        (0.6, 0.0, 0.0, ["rack A1's inlet moved +0.6 K"]),
        (-0.6, 0.0, 0.0, ["rack A1's inlet moved -0.6 K"]),
        (0.0, 0.07, 0.0, ["CRAH-2's fans moved 3.78 -> 4.11 m3/s (7% of rated)"]),
        (0.0, 0.0, -0.6, ["CRAH-2's supply moved -0.6 K"]),
    ],
)
def test_what_counts_as_moved(fac, tmp_path, inlet_k, flow_share, supply_k, named):
    """Drift is the last third's mean less the first's, against ``STEADY_DRIFT_K`` for
    temperatures and ``STEADY_FLOW_FRACTION`` of rated for a fan's flow."""
    base = _steady(fac, 22.0, fac.rack_power_w)
    rated = fac.air_unit_airflow_m3s[1]

    def fill(i, fr):
        base(i, fr)
        last = 1.0 if i >= 6 else 0.0  # thirds of nine frames: 0-2, 3-5, 6-8
        fr.rack["inlet_c"][fac.rack_index["A1"]] += inlet_k * last
        fr.air_unit["supply_c"][1] += supply_k * last
        fr.air_unit["flow_m3s"][1] = (0.8 + flow_share * last) * rated

    with open_recording(_record(tmp_path / "r.h5", fac, 9, fill)) as rec:
        span = recorded_hall.SpanReadings(fac, 9)
        for i in range(9):
            span.add(rec.frame(i))
    assert recorded_hall.unsteady(span, 0, T0) == named


def test_fans_that_wander_about_a_steady_flow_are_steady(fac, tmp_path):
    """Fans following the load swing (here 60 % and 100 % of rated, frame by frame) about a
    mean that holds: the air's steady state is the mean's, and the fit solves at 80 %."""
    base = _steady(fac, 22.0, fac.rack_power_w)
    rated = np.asarray(fac.air_unit_airflow_m3s)

    def fill(i, fr):
        base(i, fr)
        fr.air_unit["flow_m3s"][:] = (0.6 if i % 2 else 1.0) * rated

    t = _targets(_record(tmp_path / "r.h5", fac, 12, fill), fac)
    assert t.conditions.unit_flow_scale == pytest.approx([0.8, 0.8], abs=1.1e-3)


def test_the_largest_movers_are_named_first_and_only_three(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)
    rise = {r: 0.6 + 0.1 * k for k, r in enumerate(fac.rack_ids[:5])}

    def fill(i, fr):
        base(i, fr)
        for r, k in rise.items():
            fr.rack["inlet_c"][fac.rack_index[r]] += k * (i >= 2)

    with open_recording(_record(tmp_path / "r.h5", fac, 3, fill)) as rec:
        span = recorded_hall.SpanReadings(fac, 3)
        for i in range(3):
            span.add(rec.frame(i))
    moved = recorded_hall.unsteady(span, 0, T0)
    assert moved == [f"rack {r}'s inlet moved +{rise[r]:.1f} K" for r in fac.rack_ids[4:1:-1]]


def test_a_unit_going_back_on_is_named_with_its_time(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.air_unit["state"][1] = 0.0 if i < 740 else 1.0  # back on at 1:01:40

    with open_recording(_record(tmp_path / "r.h5", fac, 750, fill)) as rec:
        span = recorded_hall.SpanReadings(fac, 750)
        for i in range(750):
            span.add(rec.frame(i, kinds=("rack", "sensor", "air_unit")))
    assert recorded_hall.unsteady(span, 0, T0)[0] == "CRAH-2 went on at 1:01:40"


def test_the_cli_reports_the_state_it_solved_under(fac, tmp_path, capsys):
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    path = _record(tmp_path / "site.h5", fac, 6, _steady(fac, 22.0, fac.rack_power_w, (1, 0)))
    args = ["cfd", "calibrate", str(layout), str(path), "--cell", "0.4", "--budget", "1"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  solved as the recording ran: CRAH-2 off; fans at 80% of rated; supply 19.0 C\n" in out
    assert main([*args, "--dry-run", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["conditions"]["failed"] == ["CRAH-2"]
    assert rep["conditions"]["unit_flow_scale"] == pytest.approx([0.8, 0.8], abs=1.1e-3)
    assert rep["conditions"]["supply_c"] == {"CRAH-1": 19.0}
    assert rep["conditions"]["summary"].startswith("CRAH-2 off")


def _sited(tmp_path) -> tuple:
    """The room with two point sensors, S1 and S2."""
    text = ROOM.read_text() + (
        "sensors:\n  - {id: S1, hall: ROOM, position_m: [3.0, 3.0, 1.2]}\n"
        "  - {id: S2, hall: ROOM, position_m: [5.0, 3.0, 1.2]}\n"
    )
    (tmp_path / "sited.yaml").write_text(text)
    return load_layout(tmp_path / "sited.yaml")


def test_sensors_that_drift_are_named(tmp_path):
    site = _sited(tmp_path)
    base = _steady(site, 22.0, site.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.sensor["temp_c"][:] = [24.0 + 0.6 * (i >= 6), 25.0]

    with pytest.raises(ValueError, match=r"fit: sensor S1 moved \+0.6 K. Pick a span"):
        _targets(_record(tmp_path / "r.h5", site, 9, fill), site)


def test_what_is_read_from_each_span(fac, tmp_path):
    """Readings outside what room air can take are skipped, the bounds themselves kept; a
    rack that read nothing is left out; a unit whose state is missing from some frames keeps
    the state read."""
    base = _steady(fac, 22.0, fac.rack_power_w)
    lo, hi = AIR_READING_C

    def fill(i, fr):
        base(i, fr)
        fr.rack["inlet_c"][0] = np.nan  # a rack with no inlet sensor
        fr.rack["inlet_c"][1] = (lo, hi, lo, hi, lo, hi)[i]
        fr.air_unit["supply_c"][0] = -999.0 if i == 3 else 19.0  # a probe's fault code
        fr.air_unit["state"][:] = [np.nan if i == 5 else 1.0, 1.0]

    t = _targets(_record(tmp_path / "r.h5", fac, 6, fill), fac)
    assert 0 not in t.rack_index and t.rack_c[list(t.rack_index).index(1)] == 50.0
    c = t.conditions
    assert c.failed == () and c.running == ("CRAH-1", "CRAH-2")
    assert c.supply_c == {"CRAH-1": 19.0, "CRAH-2": 19.0}


def test_a_span_of_one_frame_gives_its_readings(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.rack["inlet_c"][:] += i  # not steady over the whole recording

    t = _targets(_record(tmp_path / "r.h5", fac, 4, fill), fac, "0:15")
    assert t.rack_c == pytest.approx(np.full(fac.n_racks, 25.0))


def test_a_drift_of_exactly_the_limit_is_steady(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.rack["inlet_c"][:] += 0.5 * (i == 2)  # 22.5 C: exact in float32

    assert len(_targets(_record(tmp_path / "r.h5", fac, 3, fill), fac).rack_c) == fac.n_racks


def test_the_report_of_a_state(fac):
    c = calibrate.HallConditions(
        running=("CRAH-2",),
        failed=("CRAH-1",),
        unit_flow_scale=np.array([0.0, 0.912345678]),
        rack_flow_scale=np.linspace(0.5, 0.9, fac.n_racks),
        supply_c={"CRAH-2": 18.987654},
    )
    assert c.as_dict() == {
        "failed": ["CRAH-1"],
        "unit_flow_scale": [0.0, 0.9123],
        "rack_flow_scale": [round(x, 4) for x in np.linspace(0.5, 0.9, fac.n_racks)],
        "supply_c": {"CRAH-2": 18.99},
    }
    assert c.describe(fac) == "CRAH-1 off; fans at 91% of rated; supply 19.0 C"
    both = calibrate.HallConditions(running=(), failed=("CRAH-1", "CRAH-2"))
    assert both.describe(fac) == "CRAH-1, CRAH-2 off"
    assert both.facility(fac) is fac  # no supply measured: the layout's set points
    rated = calibrate.HallConditions(
        running=("CRAH-1", "CRAH-2"), supply_c={"CRAH-1": 17.5, "CRAH-2": 18.04}
    )
    assert rated.describe(fac) == "every air unit on; supply 17.5-18.0 C"
    spread = calibrate.HallConditions(
        running=("CRAH-1", "CRAH-2"), unit_flow_scale=np.array([0.854, 0.912])
    )
    assert spread.describe(fac) == "every air unit on; fans at 85%-91% of rated"
    assert rated.model_options() == {
        "failed": (),
        "unit_flow_scale": None,
        "rack_flow_scale": None,
    }


def test_a_state_of_one_half_is_on_as_a_replay_reads_it(fac):
    span = recorded_hall.SpanReadings(fac, 2)
    for i in range(2):
        fr = Frame.empty(T0 + i, fac.counts())
        fr.air_unit["state"][:] = [0.5, 0.49]
        span.add(fr)
    assert recorded_hall.conditions(span, 0).failed == ("CRAH-2",)


def test_a_span_outside_the_recording_says_what_it_holds(fac, tmp_path):
    path = _record(tmp_path / "r.h5", fac, 12, _steady(fac, 22.0, fac.rack_power_w))
    with pytest.raises(ValueError) as err:
        _targets(path, fac, "30:00")
    assert str(err.value) == (
        "the recording has no frame in the span asked for (it runs from 0:00 to 0:55)"
    )


def test_a_recording_with_no_frames_is_refused(fac, tmp_path, capsys):
    """It stopped on an IndexError."""
    from twin.cli import main

    Recorder(tmp_path / "empty.h5", fac).close()
    args = ["cfd", "calibrate", str(ROOM), str(tmp_path / "empty.h5"), "--dry-run"]
    assert main(args) == 1
    assert capsys.readouterr().err == "twin cfd calibrate: the recording has no frames yet\n"
