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


@pytest.fixture
def no_solving(monkeypatch):
    """Any optimisation that starts fails the test: refusals must come before solving."""
    from twin.physics import setpoints

    def solve(self, halls=None):
        raise AssertionError("the optimisation started")

    monkeypatch.setattr(setpoints.SetPointOptimiser, "run", solve)


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--failure-inlet-max", "nan", "from 15 to 45 C"),
        ("--failure-inlet-max", "inf", "from 15 to 45 C"),
        ("--inlet-max", "-100", "from 15 to 45 C"),
        ("--inlet-max", "99", "from 15 to 45 C"),
        ("--gpu-margin", "-50", "from 0 to 40 K"),
        ("--gpu-margin", "nan", "from 0 to 40 K"),
        ("--cell", "nan", "from 0.05 to 1 m"),
        ("--cell", "0", "from 0.05 to 1 m"),
        ("--cell", "-1", "from 0.05 to 1 m"),
    ],
)
def test_bad_limits_are_refused_before_solving(no_solving, capsys, option, value, allowed):
    """A NaN limit switched the failure check off (every margin NaN, exit 0); ``--cell 0``
    solved at the finest cell for a minute; ``--cell nan`` was a traceback."""
    rc = main(["energy", DEMO, "--optimise", "--cell", "0.5", option, value])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith(f"twin energy: {option} must be")
    assert allowed in err


def test_out_goes_with_optimise(capsys):
    assert main(["energy", DEMO, "-o", "x.yaml"]) == 2
    assert "-o" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["nodir/x.yaml", "ro.yaml", "folder"])
def test_an_unwritable_output_is_refused_before_solving(
    no_solving, tmp_path, capsys, monkeypatch, target
):
    """``-o`` into a missing folder, over a read-only file or a folder: refused at once, not
    a ``SaveError`` traceback after the whole optimisation."""
    import os

    (tmp_path / "ro.yaml").write_text("x: 1\n")
    os.chmod(tmp_path / "ro.yaml", 0o444)
    (tmp_path / "folder").mkdir()
    if os.geteuid() == 0:  # root (CI) may write anything: ask as a user would be answered
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, m: os.stat(p).st_mode & 0o222 != 0 and real(p, m)
        )
    rc = main(["energy", DEMO, "--optimise", "-o", str(tmp_path / target)])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("twin energy: ") and err.count("\n") == 1
    assert target.split("/")[0] in err


def _roomy(tmp_path):
    src = tmp_path / "roomy.yaml"
    src.write_text(ROOMY)
    return src


def test_a_layout_edited_during_the_run_is_not_overwritten(tmp_path, monkeypatch, capsys):
    """``-o LAYOUT`` writes the set points into the file it read; a colleague's edit made
    while it solved is kept (the command refuses), not silently replaced."""
    from twin.physics import setpoints

    src = _roomy(tmp_path)
    edited = ROOMY.replace("roomy hall", "roomy hall, edited meanwhile")
    solve = setpoints.SetPointOptimiser.run

    def edit_then_solve(self, halls=None):
        src.write_text(edited)
        return solve(self, halls)

    monkeypatch.setattr(setpoints.SetPointOptimiser, "run", edit_then_solve)
    rc = main(["energy", str(src), "--optimise", "--cell", "0.5", "-o", str(src)])
    err = capsys.readouterr().err
    assert rc == 1 and src.read_text() == edited
    assert "changed on disk" in err and "-o" in err
    # the same run written elsewhere is the optimised version of what was read at the start
    other = tmp_path / "other.yaml"
    src.write_text(ROOMY)
    assert main(["energy", str(src), "--optimise", "--cell", "0.5", "-o", str(other)]) == 0
    assert "roomy hall  # a comment" in other.read_text()


def test_a_write_that_fails_at_the_end_is_one_line(tmp_path, monkeypatch, capsys):
    """A disk that fills during the run: one line naming the file, exit 1, no traceback."""
    import errno

    from twin.model import save

    def full(path, text, verify=None):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(save, "atomic_write", full)
    src = _roomy(tmp_path)
    out = tmp_path / "out.yaml"
    rc = main(["energy", str(src), "--optimise", "--json", "--cell", "0.5", "-o", str(out)])
    err = capsys.readouterr().err  # --json: no progress lines
    assert rc == 1 and not out.exists()
    assert err.startswith("twin energy: ") and "out.yaml" in err and "No space" in err
    assert err.count("\n") == 1


def test_an_all_liquid_hall_has_no_gpu_margin_to_print(capsys):
    """Every GPU of the pod is liquid-cooled: its air GPU margin is none, not 'nan K'."""
    pod = str(assets_dir().parent / "layouts" / "gb200-pod.yaml")
    assert main(["energy", pod, "--optimise", "--cell", "0.5"]) == 0
    checks = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("  check ")]
    assert checks and all(ln.endswith("GPU margin n/a (no air-cooled GPUs)") for ln in checks)


def test_a_refused_layout_exits_2_naming_the_problem(capsys):
    bad = assets_dir().parent / "tests" / "model" / "bad_layouts" / "overlap.yaml"
    assert main(["energy", str(bad)]) == 2
    assert f"{bad}:18: rows[0].racks[1].position_m:" in capsys.readouterr().err


def _strict_json(text: str) -> dict:
    """JSON as a strict reader takes it: a bare NaN is refused."""

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_a_hall_with_no_it_load_reads_no_pue(tmp_path, capsys):
    """Every rack at 0 kW (a hall built, not yet loaded): the PUE has nothing to divide by.
    The breakdown printed "PUE nan", the optimiser "PUE nan -> nan" and a bare NaN in its
    --json, which strict JSON readers refuse."""
    src = tmp_path / "unloaded.yaml"
    src.write_text(ROOMY.replace("power_kw: 10", "power_kw: 0"))
    assert main(["energy", str(src)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("roomy hall: IT 0.0 kW, facility ")
    assert out[0].endswith(" kW, PUE n/a (no IT load) (outdoor 20.0 C)")
    assert out[9].endswith(", partial PUE n/a (no IT load)") and "nan" not in "".join(out)
    assert main(["energy", str(src), "--optimise", "--cell", "0.5", "--json"]) == 0
    found = _strict_json(capsys.readouterr().out)
    assert found["pue_before"] is None and found["pue_after"] is None
    assert main(["energy", str(src), "--optimise", "--cell", "0.5"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert " kW, PUE n/a (no IT load) (4 thermal solves, " in last and "nan" not in last


def test_a_recording_with_no_it_load_reads_no_pue(tmp_path, capsys):
    """A recording of racks at 0 W: `twin energy --recording`, `twin info` and the incident
    report read "PUE None", "PUE from None (-) to None (-)" and "(frames None..None)"."""
    src = tmp_path / "unloaded.yaml"
    src.write_text(ROOMY.replace("power_kw: 10", "power_kw: 0"))
    rec, html = tmp_path / "run.h5", tmp_path / "run.html"
    assert main(["simulate", str(src), "--duration", "20s", "-o", str(rec), "-q"]) == 0
    assert main(["energy", str(src), "--recording", str(rec)]) == 0
    energy = capsys.readouterr().out.splitlines()
    assert energy[1].endswith(" kWh; PUE n/a (no IT load)") and len(energy) == 2
    assert main(["info", str(rec)]) == 0
    (line,) = [ln for ln in capsys.readouterr().out.splitlines() if "energy" in ln]
    assert line.startswith("  energy   IT 0.0 kWh, ") and line.endswith(", PUE n/a (no IT load)")
    assert main(["report", str(rec), "-o", str(html), "--no-snapshots"]) == 0
    text = html.read_text()
    assert " kWh: PUE n/a (no IT load).</p>" in text and "None" not in text
