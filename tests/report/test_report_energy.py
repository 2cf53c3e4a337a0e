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
    assert (
        en["assumed"] == [] and "Assumed:" not in html
    )  # the simulator records every rack and unit


def test_every_energy_of_the_report_is_counted_one_way(tmp_path, capsys):
    """A recording of 12 frames 20 s apart spans 220 s, not 12 x 20 s: the summary's IT
    energy, the energy section's and the heat table's are one figure (that of ``twin energy
    --recording``), and each air unit's heat is its load integrated over the same 220 s."""
    import re

    import numpy as np

    from twin.recording.reader import open_recording

    run = tmp_path / "slow.h5"
    args = ["simulate", str(HALL), "--duration", "4m", "--rate", "0.05", "--seed", "5"]
    assert main([*args, "-o", str(run)]) == 0
    out = tmp_path / "incident.html"
    build_report(run, out)
    html = out.read_text()
    capsys.readouterr()
    assert main(["energy", str(HALL), "--recording", str(run), "--json"]) == 0
    en = json.loads(capsys.readouterr().out)
    with open_recording(run) as rec:
        t = rec.times - rec.start_s
        load = np.stack([rec.frame(i, ("air_unit",)).air_unit["load_w"] for i in range(12)])
        power = np.stack([rec.frame(i, ("rack",)).rack["power_w"] for i in range(12)])
    assert len(t) == 12 and t[-1] == 220.0
    it_kwh = float(np.sum((power[1:] + power[:-1]).sum(axis=1) / 2 * np.diff(t))) / 3.6e6
    assert round(en["it_kwh"], 1) == round(it_kwh, 1)
    assert abs(it_kwh * 12 / 11 - it_kwh) > 0.2  # the frames-times-interval count tells apart
    assert f"<b>{it_kwh:,.1f} kWh</b>IT energy" in html
    assert f"<p>IT energy {it_kwh:.1f} kWh; air units removed" in html
    unit_kwh = (0.5 * (load[1:] + load[:-1]) * np.diff(t)[:, None]).sum(axis=0) / 3.6e6
    table = re.findall(r'<tr><td>(CRAH-\d)</td><td class="n">([\d.]+)</td>', html)
    assert [float(v) for _, v in table] == [round(float(e), 1) for e in unit_kwh]
    total = f"air units removed {unit_kwh.sum():.1f} kWh"
    assert total in html
