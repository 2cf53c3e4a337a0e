"""``twin energy`` end to end: the breakdown adds up, a recording's energy is the integral of
what it recorded, and ``twin info`` reports the same."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin.cli import main
from twin.model.catalog import assets_dir

DEMO = str(assets_dir().parent / "layouts" / "demo-air-hall.yaml")


def test_energy_json_adds_up(capsys):
    assert main(["energy", DEMO, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    parts = out["breakdown_kw"]
    assert sum(parts.values()) == pytest.approx(out["total_kw"], abs=0.01)
    assert out["pue"] == pytest.approx(out["total_kw"] / out["it_kw"], abs=1e-4)
    assert parts["it"] == pytest.approx(16 * 40.8)  # sixteen DGX H100 racks
    assert out["plants"][0]["id"] == "CHW" and out["notes"] == []


def test_energy_over_a_recording(tmp_path, capsys):
    from twin.recording import open_recording

    rec_path = tmp_path / "run.h5"
    args = ["simulate", DEMO, "--scenario", "crah-trip", "--duration", "90s", "-o", str(rec_path)]
    assert main(args) == 0
    capsys.readouterr()
    assert main(["energy", DEMO, "--recording", str(rec_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    with open_recording(rec_path) as rec:
        t = rec.times
        it_w = np.array([np.nansum(rec.frame(i, ("rack",)).rack["power_w"]) for i in range(len(t))])
        off = [rec.frame(i, ("air_unit",)).air_unit["state"] for i in range(len(t))]
    # the IT energy is the trapezoid of the recorded rack powers
    expected_kwh = float(np.sum(0.5 * (it_w[1:] + it_w[:-1]) * np.diff(t))) / 3.6e6
    assert out["it_kwh"] == pytest.approx(expected_kwh, abs=5e-4)  # printed to 1 Wh
    assert len(out["series"]["pue"]) == len(t)
    # a CRAH tripped: its fan stops drawing power once the recording says it is off
    cooling = np.array(out["series"]["cooling_kw"])
    tripped = np.array([np.nanmin(s) < 0.5 for s in off])
    if tripped.any() and (~tripped).any():
        assert cooling[tripped].min() < cooling[~tripped].max()
    assert main(["info", str(rec_path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["energy"]["it_kwh"] == pytest.approx(out["it_kwh"], rel=1e-6)
