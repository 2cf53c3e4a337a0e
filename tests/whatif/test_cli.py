"""``twin whatif`` from the command line: JSON, CSV, text and clear refusals."""

from __future__ import annotations

import csv
import json

import pytest

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
    # nothing reached slowdown: no "(first after never)"
    assert "  GPUs reaching slowdown: 0; shut down by heat: 0\n" in text
    assert "  racks leaving A1 allowable (32 C): 0\n" in text


def test_text_says_when_the_first_gpu_slowed_down(capsys):
    assert main(["whatif", str(HALL), "--fail", "CRAH-2", "--json", *FAST]) == 0
    s = json.loads(capsys.readouterr().out)["summary"]
    assert main(["whatif", str(HALL), "--fail", "CRAH-2", *FAST]) == 0
    line = capsys.readouterr().out.splitlines()[2]
    assert line == (
        f"  GPUs reaching slowdown: {s['gpus_throttled']} (first after "
        f"{s['ride_through_min']:.1f} min); shut down by heat: {s['gpus_shut_down']}"
    )


def test_a_refused_layout_exits_2_naming_the_problem(capsys):
    bad = HALL.parents[1] / "model" / "bad_layouts" / "overlap.yaml"
    assert main(["whatif", str(bad), "--fail", "CRAH-1", *FAST]) == 2
    assert f"{bad}:18: rows[0].racks[1].position_m:" in capsys.readouterr().err


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


@pytest.fixture
def no_solving(monkeypatch):
    """Any what-if or sweep that starts fails the test: refusals come before solving."""
    import twin.whatif
    import twin.whatif.sweep

    def solve(*args, **kwargs):
        raise AssertionError("the what-if started")

    monkeypatch.setattr(twin.whatif, "run_whatif", solve)
    monkeypatch.setattr(twin.whatif.sweep, "run_sweep", solve)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--dt", "1e-9", "--duration", "1m"], "60,000,000,000 steps"),
        (["--dt", "0.001", "--duration", "1m"], "60,000 steps"),
        (["--duration", "100000h"], "--duration must be"),
        (["--dt", "1e308"], "--dt must be"),
        (["--dt", "nan"], "--dt must be"),
        (["--dt", "0"], "--dt must be"),
        (["--dt", "-1"], "--dt must be"),
        (["--duration", "nan"], "--duration must be"),
        (["--duration", "soon"], "--duration: not a duration"),
        (["--cell", "nan"], "--cell must be"),
        (["--cell", "0"], "--cell must be"),
    ],
)
def test_bad_steps_are_refused_before_solving(no_solving, capsys, args, says):
    """``--dt 1e-9`` allocated 447 GiB, ``--dt 0.001`` ran for minutes, ``--dt 1e308`` was an
    IndexError: the step count is bounded up front, one line, exit 2."""
    assert main(["whatif", str(HALL), "--fail", "CRAH-1", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin whatif: ") and err.count("\n") == 1 and says in err


@pytest.mark.parametrize("workers", ["0", "-2", "100000"])
def test_workers_below_one_are_refused_as_thermal_refuses_jobs(no_solving, capsys, workers):
    args = ["whatif", str(HALL), "--all-single-failures", "--workers", workers]
    assert main(args) == 2
    assert "--workers must be a whole number from 1" in capsys.readouterr().err


def test_csv_onto_the_layout_is_refused_before_solving(no_solving, tmp_path, capsys):
    """``--csv LAYOUT`` replaced the layout it had read with CSV."""
    layout = tmp_path / "wl.yaml"
    layout.write_text(HALL.read_text())
    assert main(["whatif", str(layout), "--fail", "CRAH-1", "--csv", str(layout)]) == 2
    err = capsys.readouterr().err
    assert "also an input" in err and err.count("\n") == 1
    assert layout.read_text() == HALL.read_text()
    assert main(["whatif", str(layout), "--fail", "CRAH-1", "--csv", str(tmp_path / "no/x")]) == 2
    assert "no folder" in capsys.readouterr().err


def test_a_csv_that_cannot_be_written_at_the_end_is_one_line(tmp_path, monkeypatch, capsys):
    """A disk that fills during the run: one line naming the file, exit 1, no traceback."""
    import errno

    from twin.model import atomic

    def full(path, data, verify=None):
        raise atomic.OutputError(errno.ENOSPC, f"cannot write {path}: disk full", str(path))

    monkeypatch.setattr(atomic, "write_bytes_atomic", full)
    out = tmp_path / "racks.csv"
    assert main(["whatif", str(HALL), "--fail", "CRAH-2", "--csv", str(out), *FAST]) == 1
    err = capsys.readouterr().err
    assert err == f"twin whatif: cannot write {out}: disk full\n"


def test_a_sweep_stopped_by_a_dead_worker_says_which_case_on_a_line_of_its_own(monkeypatch, capsys):
    """The progress line is ended before the reason (it ran on: "18/20 casestwin whatif:")."""
    import twin.whatif.sweep
    from twin.whatif import WhatIfError

    def sweep(fac, cases, opts, progress=None, **kwargs):
        progress(1, len(cases))
        raise WhatIfError(f"case {cases[1]}: the worker process running it ended (signal SIGSEGV)")

    monkeypatch.setattr(twin.whatif.sweep, "run_sweep", sweep)
    assert main(["whatif", str(HALL), "--all-single-failures"]) == 1
    lines = capsys.readouterr().err.split("\n")
    assert lines[0].startswith("\r1/") and lines[0].endswith(" cases")
    assert lines[1].startswith("twin whatif: case ") and lines[1].endswith("(signal SIGSEGV)")
    assert lines[2:] == [""]
