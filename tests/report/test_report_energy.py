"""The incident report's energy: the same PUE and energies as ``twin energy --recording``
(which reads every frame), and where the report reads every frame too, the same to the Wh."""

from __future__ import annotations

import json
from pathlib import Path

from twin.cli import main
from twin.report import build_report

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"


def test_report_energy_matches_twin_energy(tmp_path, capsys):
    run = tmp_path / "trip.h5"
    args = ["simulate", str(HALL), "--scenario", "crah-trip", "--duration", "2m"]
    assert main([*args, "--fail-at", "1m", "--seed", "3", "-o", str(run)]) == 0
    out = tmp_path / "incident.html"
    build_report(run, out)  # no snapshots
    html = out.read_text()
    capsys.readouterr()
    assert main(["energy", str(HALL), "--recording", str(run), "--json"]) == 0
    en = json.loads(capsys.readouterr().out)
    assert "<h2>Energy</h2>" in html
    # two minutes at 1 Hz: the report reads every frame, so the figures are the same
    assert f"<b>{en['pue']:.3f}</b>PUE" in html
    assert f"IT {en['it_kwh']:,.1f} kWh, facility {en['facility_kwh']:,.1f} kWh" in html
    assert f"from {en['pue_min']} to {en['pue_max']}" in html
