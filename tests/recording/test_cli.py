"""``twin simulate`` and ``twin info`` end to end, and their argument parsing."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from twin.cli import main
from twin.commands.simulate import parse_duration, parse_time


def test_parse_duration_and_time():
    assert parse_duration("30m") == 1800
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90s") == 90
    assert parse_duration("45") == 45
    assert parse_duration("1.5h") == 5400
    for bad in ("soon", "10 parsecs", "m"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_duration(bad)
    assert parse_time("2026-01-01T00:00:00") == 1767225600.0
    assert parse_time("1767225600") == 1767225600.0
    with pytest.raises(argparse.ArgumentTypeError):
        parse_time("yesterday")


def test_simulate_then_info(tmp_path, small_layout_file, capsys):
    out = tmp_path / "run.h5"
    rc = main(
        [
            "simulate", str(small_layout_file), "--scenario", "crah-trip", "--duration", "2m",
            "--fail-at", "30s", "--recover-at", "90s", "--start", "2026-01-01T12:00:00",
            "-o", str(out),
        ]
    )  # fmt: skip
    assert rc == 0
    assert "crah-trip, 120 frames" in capsys.readouterr().out
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2026-01-01T12:00:00+00:00 .. 2026-01-01T12:01:59+00:00" in text
    assert "120 frames" in text and "unit_failed" in text and "bytes per sample" in text
    assert main(["info", "--json", "--events", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["frames"] == 120 and info["rate_hz"] == pytest.approx(1.0)
    assert info["items"]["gpu"] == 336 and info["bytes_per_sample"] < 4
    assert any(e["kind"] == "unit_recovered" for e in info["event_list"])


def test_simulate_and_info_errors(tmp_path, small_layout_file, capsys):
    assert main(["info", str(tmp_path / "missing.h5")]) == 1
    assert "no such recording" in capsys.readouterr().err
    bare = tmp_path / "bare.yaml"
    bare.write_text("format: twin-layout/1\nname: bare\nhalls: [{id: H, size_m: [5, 5, 3]}]\n")
    rc = main(
        ["simulate", str(bare), "--scenario", "cdu-pump-failure", "-o", str(tmp_path / "x.h5")]
    )
    assert rc == 2 and "needs a layout with CDUs" in capsys.readouterr().err
    # the refusal alone: no note first on when the failure would fall in a run it refuses
    short = [*("simulate", str(bare), "--scenario", "cdu-pump-failure", "--duration", "30s")]
    assert main([*short, "-o", str(tmp_path / "x.h5")]) == 2
    assert capsys.readouterr().err == (
        "twin simulate: scenario cdu-pump-failure needs a layout with CDUs\n"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: twin-layout/1\n")
    assert main(["simulate", str(bad), "-o", str(tmp_path / "y.h5")]) == 2


def test_simulate_rate_sets_the_sample_spacing(tmp_path, small_layout_file, capsys):
    """--rate 4 for 5 s: 20 frames a quarter second apart; events at the requested times."""
    out = tmp_path / "fast.h5"
    args = ["simulate", str(small_layout_file), "--scenario", "crah-trip", "--duration", "5s"]
    args += ["--rate", "4", "--fail-at", "2s", "--start", "2026-01-01T00:00:00", "-o", str(out)]
    assert main(args) == 0
    assert "20 frames" in capsys.readouterr().out
    from twin.recording import open_recording

    with open_recording(out) as rec:
        assert rec.n_frames == 20
        np.testing.assert_allclose(np.diff(rec.times), 0.25, rtol=0, atol=1e-9)
        (failed,) = [e for e in rec.events if e.kind == "unit_failed"]
        assert failed.time_s - rec.times[0] == pytest.approx(2.0)
    assert main(["info", "--json", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["rate_hz"] == pytest.approx(4.0)


@pytest.mark.slow
def test_simulate_physics_records_the_airflow_models_inlets(tmp_path, small_layout_file, capsys):
    """--physics: rack inlets come from the airflow model, not the per-rack heat balance."""
    from twin.recording import open_recording

    plain, physics = tmp_path / "plain.h5", tmp_path / "physics.h5"
    args = ["simulate", str(small_layout_file), "--duration", "4s", "--seed", "1", "-q"]
    assert main([*args, "-o", str(plain)]) == 0
    assert main([*args, "--physics", "-o", str(physics)]) == 0
    with open_recording(plain) as a, open_recording(physics) as b:
        assert a.n_frames == b.n_frames == 4
        fa, fb = a.frame(3), b.frame(3)
        # the same workload (same seed) ...
        np.testing.assert_array_equal(fa.gpu["util_pct"], fb.gpu["util_pct"])
        # ... with other air temperatures, those of the airflow model stepped by those powers
        assert not np.allclose(fa.rack["inlet_c"], fb.rack["inlet_c"], atol=0.05)
        from twin.model.loader import load_layout
        from twin.physics.fan_follow import measured_flow_scale, rack_flow_scale
        from twin.telemetry.physics_air import PhysicsAir

        fac = load_layout(small_layout_file)
        air = PhysicsAir(fac)
        for i in range(4):  # as a replay: the frame's powers and fan speeds
            fr = b.frame(i)
            power = fr.rack["power_w"].astype(np.float64)
            fans = measured_flow_scale(fac, fr.air_unit["flow_m3s"])
            air.set_failed([], fans, rack_flow_scale(fac, power))
            want = air.step(1.0, power)
        # the inlets are stored to 0.1 K and the fans' flows to 0.01 m3/s: a field re-solved
        # at a fan flow 0.1 % off the simulator's moves this room's inlets by up to 0.10 K
        np.testing.assert_allclose(fb.rack["inlet_c"], want["rack_inlet_c"], atol=0.16)
