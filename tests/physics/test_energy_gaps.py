"""A recording with a gap in it (the recorder off for a night, a clock that jumped) does not
count energy across the gap: the power is unknown there, not held steady. The summary says
how many gaps and how long, and every command that prints energies says so."""

from __future__ import annotations

import numpy as np
import pytest

from twin.physics.energy import GAP_FACTOR, GAP_MIN_S, EnergySeries, gap_note


def _series(time_s, it_w=1e6, cooling_w=2e5) -> EnergySeries:
    t = np.asarray(time_s, float)
    one = np.ones_like(t)
    zero = np.zeros_like(t)
    return EnergySeries(
        t, it_w * one, (it_w + cooling_w) * one, zero, cooling_w * one, zero, zero, zero, zero
    )


def test_a_gap_counts_no_energy():
    t = np.concatenate([np.arange(100.0), 1e9 + np.arange(100.0)])
    s = _series(t).summary()
    # 99 + 99 one-second intervals at 1 MW IT, 1.2 MW in all
    assert s["it_kwh"] == pytest.approx(1e6 * 198 / 3.6e6, abs=1e-3)
    assert s["facility_kwh"] == pytest.approx(1.2e6 * 198 / 3.6e6, abs=1e-3)
    assert s["cooling_kwh"] == pytest.approx(0.2e6 * 198 / 3.6e6, abs=1e-3)
    assert s["pue"] == pytest.approx(1.2)
    assert (s["gaps"], s["gap_s"]) == (1, 1e9 - 99)
    assert gap_note(s) == " (not counted: 1 gap in the data, 11,574.1 days)"


@pytest.mark.parametrize(
    ("pause_s", "gaps"),
    [(GAP_MIN_S - 1, 0), (GAP_MIN_S + 1, 1)],
    ids=["59s-counted", "61s-a-gap"],
)
def test_at_one_hertz_a_pause_is_a_gap_from_a_minute(pause_s, gaps):
    t = np.concatenate([np.arange(50.0), 49 + pause_s + np.arange(50.0)])
    s = _series(t).summary()
    assert s["gaps"] == gaps
    counted = 98 + (pause_s if not gaps else 0)
    assert s["it_kwh"] == pytest.approx(1e6 * counted / 3.6e6, abs=1e-3)


def test_a_slow_poll_is_judged_by_its_own_interval():
    # 30 s polls: 10x is 300 s, past the one-minute floor
    t = np.concatenate([30.0 * np.arange(40), 30.0 * 39 + 290 + 30.0 * np.arange(40)])
    assert _series(t).summary()["gaps"] == 0
    t2 = np.concatenate([30.0 * np.arange(40), 30.0 * 39 + 310 + 30.0 * np.arange(40)])
    s = _series(t2).summary()
    assert (s["gaps"], s["gap_s"]) == (1, 310.0)
    assert gap_note(s) == " (not counted: 1 gap in the data, 5.2 min)"
    assert GAP_FACTOR * 30 == 300


def test_jitter_is_no_gap_and_no_gaps_read_as_before():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.5, 1.5, 500))
    s = _series(t).summary()
    assert s["gaps"] == 0 and s["gap_s"] == 0.0 and gap_note(s) == ""
    assert s["it_kwh"] == pytest.approx(1e6 * (t[-1] - t[0]) / 3.6e6, abs=5e-4)


def test_two_gaps_in_hours():
    t = np.concatenate([np.arange(10.0), 7210 + np.arange(10.0), 14420 + np.arange(10.0)])
    s = _series(t).summary()
    assert s["gaps"] == 2
    assert gap_note(s) == f" (not counted: 2 gaps in the data, {2 * 7201 / 3600:,.1f} h)"


def test_energy_and_info_of_a_recording_with_a_gap(
    small_facility, small_layout_file, tmp_path, capsys
):
    import h5py

    from twin.cli import main
    from twin.recording import Recorder
    from twin.telemetry.simulator import Simulator

    path = tmp_path / "gap.h5"
    sim = Simulator(small_facility, "normal", seed=2, start_s=1_800_000_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(40):
            rec.append(sim.step())
    assert main(["energy", str(small_layout_file), "--recording", str(path), "--json"]) == 0
    import json

    whole = json.loads(capsys.readouterr().out)
    with h5py.File(path, "r+") as f:  # the recorder off for a day after frame 19
        t = f["time_s"][()]
        f["time_s"][...] = np.where(np.arange(len(t)) >= 20, t + 86_400.0, t)
    assert main(["energy", str(small_layout_file), "--recording", str(path), "--json"]) == 0
    gapped = json.loads(capsys.readouterr().out)
    assert (gapped["gaps"], gapped["gap_s"]) == (1, 86_400.0 + t[20] - t[19])
    # the same frames but the one interval: the gap's energy is not counted
    dt = t[20] - t[19]
    it_w = np.asarray(gapped["series"]["it_kw"]) * 1e3
    lost = 0.5 * (it_w[19] + it_w[20]) * dt / 3.6e6
    assert gapped["it_kwh"] == pytest.approx(whole["it_kwh"] - lost, abs=2e-3)
    assert main(["energy", str(small_layout_file), "--recording", str(path)]) == 0
    assert "(not counted: 1 gap in the data, 1.0 days)" in capsys.readouterr().out
    assert main(["info", str(path)]) == 0
    assert "not counted: 1 gap in the data" in capsys.readouterr().out


def test_each_column_is_counted_by_the_same_rule():
    """``energy_kwh_each`` (the report's heat per air unit): a trapezoid per column, nothing
    across a gap, nothing for one frame alone; each column as ``energy_kwh`` counts it."""
    t = np.array([0.0, 10.0, 20.0, 1e6, 1e6 + 10.0])  # a gap between 20 s and 1e6 s
    power = np.array([[3.6e5, 0.0], [3.6e5, 7.2e5], [7.2e5, 7.2e5], [1e9, 1e9], [0.0, 3.6e5]])
    s = _series(t)
    # by hand, kWh: column 0: 3.6e5 x 10 + 5.4e5 x 10 + (gap) + 5e8 x 10, over 3.6e6
    want = np.array([(3.6e6 + 5.4e6 + 5e9) / 3.6e6, (3.6e6 + 7.2e6 + 5.0018e9) / 3.6e6])
    got = s.energy_kwh_each(power)
    assert got.shape == (2,)
    assert got == pytest.approx(want, rel=1e-12)
    assert [s.energy_kwh(power[:, k]) for k in range(2)] == pytest.approx(got, rel=1e-12)
    two = _series(t[:2]).energy_kwh_each(power[:2])  # two frames: one interval
    assert two == pytest.approx([1.0, 1.0], rel=1e-12)
    one = _series(t[:1]).energy_kwh_each(power[:1])
    assert one.shape == (2,) and not one.any()
