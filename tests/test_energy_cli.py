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


ROOMY = """\
format: twin-layout/1
name: roomy hall  # a comment the saved layout keeps
halls: [{id: H, size_m: [7.2, 6.0, 3.0]}]
rows:
  - id: A
    hall: H
    racks:
      - {id: A1, position_m: [3.0, 2.1], rotation_deg: 180, load: {power_kw: 10, airflow_m3s: 0.7}}
      - {id: A2, position_m: [3.6, 2.1], rotation_deg: 180, load: {power_kw: 10, airflow_m3s: 0.7}}
  - id: B
    hall: H
    racks:
      - {id: B1, position_m: [3.0, 3.9], load: {power_kw: 10, airflow_m3s: 0.7}}
      - {id: B2, position_m: [3.6, 3.9], load: {power_kw: 10, airflow_m3s: 0.7}}
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H, position_m: [5.8, 0.45], rotation_deg: 180}]
  supplies: [{id: T, hall: H, rect_m: [2.4, 2.7, 4.2, 3.3], open_fraction: 0.5}]
  returns: [{id: R, hall: H, rect_m: [2.4, 5.0, 4.2, 5.6]}]
"""


@pytest.mark.slow
def test_optimise_writes_the_layout(tmp_path, capsys):
    from twin.model.loader import load_layout

    src = tmp_path / "roomy.yaml"
    src.write_text(ROOMY)
    out = tmp_path / "optimised.yaml"
    assert main(["energy", str(src), "--optimise", "--json", "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    hall = report["halls"][0]
    assert hall["changed"] and report["saved_kw"] > 0
    assert hall["inlet_after_c"]["max"] <= 27.0
    saved = load_layout(out)
    assert saved.air_unit_supply_c.tolist() == hall["supply_after_c"]
    assert saved.air_unit_airflow_m3s.tolist() == hall["flow_after_m3s"]
    assert "a comment the saved layout keeps" in out.read_text()
