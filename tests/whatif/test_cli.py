"""``twin whatif`` from the command line: JSON, CSV, text and clear refusals."""

from __future__ import annotations

import csv
import json

from twin.cli import main

from .conftest import HALL

FAST = ["--cell", "0.4", "--duration", "2m"]


def test_json_and_csv(tmp_path, capsys):
    out = tmp_path / "racks.csv"
    assert main(["whatif", str(HALL), "--fail", "CRAH-2", "--json", "--csv", str(out), *FAST]) == 0
    data = json.loads(capsys.readouterr().out)
    s = data["summary"]
    assert s["failed"] == ["CRAH-2"] and s["hall"] == "HALL-1"
    assert s["gpus_throttled"] > 0 and data["thermal_transient"]
    assert len(data["series"]["time_s"]) == 13  # 0..120 s in 10 s steps
    assert data["series"]["racks"] == ["A1", "A2", "A3", "B1", "B2", "B3"]
    rows = list(csv.DictReader(out.open()))
    assert [r["id"] for r in rows] == [r["id"] for r in data["racks"]]
    assert rows[0]["first_slowdown_min"] == str(data["racks"][0]["first_slowdown_min"])


def test_text_names_dark_racks(capsys):
    assert main(["whatif", str(HALL), "--fail", "PDU-A", "--fail", "PDU-B", *FAST]) == 0
    text = capsys.readouterr().out
    assert "dark: 6 racks, 192 GPUs" in text and "DARK" in text


def test_refusals(capsys):
    assert main(["whatif", str(HALL), *FAST]) == 2
    assert "--fail ID" in capsys.readouterr().err
    assert main(["whatif", str(HALL), "--fail", "A1", *FAST]) == 1
    assert "cannot fail 'A1' (a rack)" in capsys.readouterr().err
    assert main(["whatif", str(HALL), "--fail", "CRAH-1", "--at", "1m", *FAST]) == 1
    assert "--at needs --recording" in capsys.readouterr().err
    assert main(["whatif", str(HALL), "--fail", "CRAH-1", "--hall", "X", *FAST]) == 1
    assert "no hall 'X'" in capsys.readouterr().err


def test_from_an_instant_of_a_recording(tmp_path, capsys):
    rec = tmp_path / "trip.h5"
    sim = ["simulate", str(HALL), "--scenario", "crah-trip", "--duration", "3m", "--fail-at", "1m"]
    assert main([*sim, "-o", str(rec)]) == 0
    capsys.readouterr()
    args = ["whatif", str(HALL), "--recording", str(rec), "--fail", "UPS-A", *FAST]
    assert main([*args, "--at", "2:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["start"] == f"{rec} at +120 s"
    assert data["summary"]["racks_single_fed"] == 6
    # one CRAH tripped at 1:00 in the recording: the what-if starts with it off and follows
    # the hall (the UPS changes nothing thermal); at the recorded loads the other unit holds
    # it, so the inlets stay where the start's steady state put them
    inlet = data["series"]["rack_inlet_max_c"]
    assert data["thermal_transient"]
    assert max(abs(a - b) for a, b in zip(inlet[0], inlet[-1], strict=True)) < 0.5
    assert main([*args, "--at", "9:00"]) == 1
    assert "outside the recording" in capsys.readouterr().err
