"""``twin cfd case``: the OpenFOAM case of a layout's hall, written whole or not at all. What
OpenFOAM makes of it is ``test_openfoam_run.py``'s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from twin.cfd import foam_run
from twin.cli import main

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
ROOM = ROOMS / "cold-containment-leaky.yaml"


def _files(case: Path) -> dict[str, bytes]:
    return {str(p.relative_to(case)): p.read_bytes() for p in case.rglob("*") if p.is_file()}


def test_the_case_is_the_layouts_hall(tmp_path, capsys):
    case = tmp_path / "case"
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "0.3"]) == 0
    out = capsys.readouterr().out
    desc = json.loads((case / "twin_case.json").read_text())
    # the room's own figures, read from its YAML: ten 25 kW racks in a 7.2 x 6.0 x 3.0 m hall
    room = yaml.safe_load(ROOM.read_text())
    racks = [r for row in room["rows"] for r in row["racks"]]
    heat_w = 1e3 * sum(r["load"]["power_kw"] for r in racks)
    assert desc["heat_w"] == pytest.approx(heat_w)
    assert desc["shape"] == [24, 20, 10]  # 7.2, 6.0 and 3.0 m in 0.3 m cells
    assert desc["cell_m"] == 0.3 and desc["turbulence"] == "kEpsilon"
    fronts = [p["owner_id"] for p in desc["patches"] if p["kind"] == "rack_front"]
    assert sorted(fronts) == sorted(r["id"] for r in racks)
    assert (case / "system" / "controlDict").read_text().count("endTime         4000;") == 1
    first = out.splitlines()[0]
    assert first == (
        f"{case}: OpenFOAM case of hall ROOM of cold-containment-leaky, "
        f"{desc['n_cells']:,} cells of 0.3 m (24 x 20 x 10), 10 racks (250.0 kW into the air), "
        "3 supply and return patches, buoyantBoussinesqSimpleFoam with kEpsilon"
    )
    assert f"twin cfd compare {ROOM} {case}" in out
    # 4,240 cells of air, 4,000 + 1,500 iterations at 2.5 us: 58 s, said as a minute
    assert out.splitlines()[1] == (
        f"a run costs at most about 1 CPU minutes (5,500 iterations of {desc['n_cells']:,} cells "
        "at the 2.5 us per cell and iteration of the validation rooms' runs; one that settles "
        "stops sooner)"
    )


def test_what_a_run_costs_is_said_in_minutes_or_hours():
    """A factory hall meshes to 857,730 cells at 0.2 m: about 3.3 CPU hours, which a user
    should know before ``--run``. The rate is the validation runs' (open-aisle-85: 33,600
    cells, 4,000 + 1,500 iterations, 460 s of CPU: 2.49 us)."""
    assert 460.3 / (33_600 * 5_500) == pytest.approx(foam_run.CPU_S_PER_CELL_ITERATION, rel=0.01)
    hall = foam_run.cpu_estimate_text(857_730, 5_500)
    assert hall.startswith("a run costs at most about 3.3 CPU hours (5,500 iterations of 857,730")
    assert foam_run.cpu_estimate_text(33_600, 5_500).startswith(
        "a run costs at most about 8 CPU minutes"
    )
    # from 1.5 hours up in hours; under a minute reads one minute
    assert "about 90 CPU minutes" in foam_run.cpu_estimate_text(2_159_999, 1_000)
    assert "about 1.5 CPU hours" in foam_run.cpu_estimate_text(2_160_000, 1_000)
    assert "about 1 CPU minutes" in foam_run.cpu_estimate_text(10, 10)


def test_the_rate_is_the_stored_validation_runs():
    """Read from every stored reference, not typed: the rate lies within their spread and
    within 5 % of their median (each run's CPU time over its cells and all its iterations)."""
    import statistics

    refs = [
        *ROOMS.parent.glob("references/*.json"),
        *ROOMS.parent.glob("holdout/references/*.json"),
    ]
    rates = []
    for path in refs:
        ref = json.loads(path.read_text())
        iterations = ref["iterations"] + (ref.get("seed") or {}).get("iterations", 0)
        rates.append(ref["cpu_s"] / (ref["n_cells"] * iterations))
    assert len(rates) == 13
    rate = foam_run.CPU_S_PER_CELL_ITERATION
    assert min(rates) <= rate <= max(rates)
    assert rate == pytest.approx(statistics.median(rates), rel=0.05)


def test_its_options_reach_the_case(tmp_path):
    case = tmp_path / "sst"
    args = ["--cell", "0.4", "--turbulence", "kOmegaSST", "--max-iter", "1200"]
    assert main(["cfd", "case", str(ROOM), str(case), *args]) == 0
    desc = json.loads((case / "twin_case.json").read_text())
    assert (desc["cell_m"], desc["turbulence"]) == (0.4, "kOmegaSST")
    assert "RASModel        kOmegaSST;" in (case / "constant" / "turbulenceProperties").read_text()
    assert (case / "0" / "omega").exists()
    assert "endTime         1200;" in (case / "system" / "controlDict").read_text()


def test_a_case_already_there_is_kept_unless_forced(tmp_path, capsys):
    case = tmp_path / "case"
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "0.3"]) == 0
    before = _files(case)
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "0.4"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"twin cfd case: {case} exists and is not empty: give a new directory, "
        "or --force to replace it"
    )
    assert _files(case) == before
    # a layout the grid refuses leaves the old case whole, even when forced
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "3", "--force"]) == 1
    assert "cell size 3.0 m is outside 0.05-1 m" in capsys.readouterr().err
    assert _files(case) == before
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "0.4", "--force"]) == 0
    assert json.loads((case / "twin_case.json").read_text())["cell_m"] == 0.4
    # nothing of the writes is left beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def test_an_empty_directory_is_written_into(tmp_path):
    case = tmp_path / "empty"
    case.mkdir()
    assert main(["cfd", "case", str(ROOM), str(case), "--cell", "0.4"]) == 0
    assert (case / "constant" / "polyMesh" / "owner").exists()


def test_a_file_is_not_a_case(tmp_path, capsys):
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert main(["cfd", "case", str(ROOM), str(f), "--force"]) == 2
    assert capsys.readouterr().err.strip() == f"twin cfd case: {f} is a file, not a directory"
    assert f.read_text() == "mine"


def test_bad_hall_and_layout_are_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:  # as compare and calibrate say it
        main(["cfd", "case", str(ROOM), str(tmp_path / "a"), "--hall", "HALL-9"])
    assert e.value.code == "twin cfd: no hall 'HALL-9' (halls: ROOM)"
    assert main(["cfd", "case", str(tmp_path / "none.yaml"), str(tmp_path / "b")]) == 1
    assert "none.yaml" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--max-iter", "500"], "500 iterations: a run is judged from iteration 800 on"),
        (["--max-iter", "many"], "not a whole number of iterations: 'many'"),
        (["--cell", "nan"], "not a cell size in metres: 'nan'"),
        (["--turbulence", "laminar"], "invalid choice: 'laminar'"),
    ],
)
def test_options_out_of_reach_are_refused(tmp_path, capsys, option, words):
    with pytest.raises(SystemExit) as e:
        main(["cfd", "case", str(ROOM), str(tmp_path / "c"), *option])
    assert e.value.code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_an_even_draw_is_only_run_not_written_to_start_from_rest(tmp_path, capsys):
    case = tmp_path / "case"
    assert main(["cfd", "case", str(ROOM), str(case), "--outflow", "even"]) == 2
    assert capsys.readouterr().err.strip() == (
        "twin cfd case: an even draw diverges from air at rest: --run starts it from an "
        "extrapolated run's field (the case written without --run is extrapolated)"
    )
    assert not case.exists()
    # written without --run, the case is the one a run starts from
    assert main(["cfd", "case", str(ROOM), str(case), "--outflow", "extrapolated"]) == 0
    desc = json.loads((case / "twin_case.json").read_text())
    assert desc["outflow_u"] == "extrapolated"


def test_run_without_openfoam_says_so_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setattr(foam_run, "FOAM_BASHRC", str(tmp_path / "no-openfoam" / "bashrc"))
    case = tmp_path / "case"
    assert main(["cfd", "case", str(ROOM), str(case), "--run"]) == 2
    assert capsys.readouterr().err.strip() == (
        "twin cfd case: --run needs OpenFOAM's buoyantBoussinesqSimpleFoam "
        "(Debian: apt-get install -y openfoam); nothing written"
    )
    assert not case.exists()


NO_SUPPLY = """\
format: twin-layout/1
name: no-supply
halls:
  - id: ROOM
    size_m: [6.0, 6.0, 3.0]
rows:
  - id: A
    hall: ROOM
    racks:
      - {id: A1, position_m: [2.1, 1.8], load: {power_kw: 10, airflow_m3s: 0.8}}
"""


def test_a_hall_supplied_no_air_is_refused(tmp_path, capsys):
    # its case started the air at 4e12 C: the heat over no supply flow
    layout = tmp_path / "no-supply.yaml"
    layout.write_text(NO_SUPPLY)
    assert main(["cfd", "case", str(layout), str(tmp_path / "c"), "--cell", "0.3"]) == 1
    assert capsys.readouterr().err.strip() == (
        "twin cfd case: hall ROOM of no-supply is supplied no air (no tiles, diffusers or "
        "running air units blow into it): its racks' heat has nowhere to go, so a CFD of its "
        "air has no steady state to find"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-supply.yaml"]


def test_one_rack_is_said_so(tmp_path, capsys):
    one = NO_SUPPLY.replace("name: no-supply", "name: one-tile") + (
        "cooling:\n  supplies:\n    - {id: T, hall: ROOM, rect_m: [2.4, 3.0, 3.0, 3.6], "
        "kind: floor, open_fraction: 0.25, flow_m3s: 0.8, supply_c: 18.0}\n"
        "  returns:\n    - {id: G, hall: ROOM, rect_m: [2.4, 4.8, 3.0, 5.4], kind: ceiling}\n"
    )
    layout = tmp_path / "one.yaml"
    layout.write_text(one)
    assert main(["cfd", "case", str(layout), str(tmp_path / "c"), "--cell", "0.3"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(
        "cells of 0.3 m (20 x 20 x 10), 1 rack (10.0 kW into the air), 2 supply and return "
        "patches, buoyantBoussinesqSimpleFoam with kEpsilon"
    )
