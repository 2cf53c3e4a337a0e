"""``twin thermal`` from the command line: ``--fail`` with real units (once and repeated) and
``--hall`` by index, checked against what the failure must do to the air."""

from __future__ import annotations

import json

import pytest

from tests.physics.conftest import ENERGY_TOL
from tests.physics.test_steady import _crah_row
from twin.cli import main

# the CRAH row of test_steady in hall H, and a second hall with one rack on its own tiles
SECOND_HALL = """  - id: Q
    hall: H2
    racks:
      - {id: Q1, position_m: [2.0, 2.0], load: {power_kw: 6, delta_t_k: 12}}
"""


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    text = _crah_row().replace(
        "halls: [{id: H, size_m: [10, 6, 3]}]",
        "halls: [{id: H, size_m: [10, 6, 3]}, {id: H2, size_m: [5, 4, 3]}]",
    )
    text = text.replace("cooling:\n", SECOND_HALL + "cooling:\n")
    text += (
        "  supplies: [{id: T2, hall: H2, rect_m: [1.5, 0.6, 2.5, 1.2], flow_m3s: 1.0, "
        "supply_c: 20}]\n"
        "  returns: [{id: G2, hall: H2, rect_m: [1.5, 3.0, 2.5, 3.6]}]\n"
    )
    path = tmp_path_factory.mktemp("thermal") / "two-halls.yaml"
    path.write_text(text)
    return path


def thermal(capsys, *args: str) -> dict:
    assert main(["thermal", *args, "--json", "--cell", "0.25"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_fail_one_unit_then_both(layout, capsys):
    base = thermal(capsys, str(layout))
    west = thermal(capsys, str(layout), "--fail", "WEST")
    assert base["hall"] == west["hall"] == "H"
    units = {u["id"]: u for u in west["air_units"]}
    # the failed unit removes nothing; the other takes all 64 kW of the racks' heat
    assert units["WEST"]["load_kw"] == pytest.approx(0.0, abs=1e-3)
    assert units["EAST"]["load_kw"] == pytest.approx(64.0, rel=ENERGY_TOL * 10)
    hottest = {r["id"]: r["inlet_max_c"] for r in west["racks"]}
    before = {r["id"]: r["inlet_max_c"] for r in base["racks"]}
    assert max(hottest.values()) > max(before.values()) + 1.0
    # --fail repeated fails both: the hall has no air supply left, which has no steady state
    rc = main(["thermal", str(layout), "--fail", "WEST", "--fail", "EAST", "--cell", "0.25"])
    assert rc == 1
    assert "hall H has no air supply" in capsys.readouterr().err


def test_hall_by_index_solves_that_hall_only(layout, capsys):
    second = thermal(capsys, str(layout), "--hall", "1")
    by_id = thermal(capsys, str(layout), "--hall", "H2")
    assert second["hall"] == "H2" and [r["id"] for r in second["racks"]] == ["Q1"]
    assert second["racks"] == by_id["racks"]
    # 6 kW into 1 m3/s of 20 C supply: the return is 20 + 6e3 / (1.19 * 1005 * 1.0) C
    assert second["return_mean_c"] == pytest.approx(20 + 6e3 / (1.19 * 1005 * 1.0), abs=0.01)
    assert second["balance"]["error"] < ENERGY_TOL
    assert main(["thermal", str(layout), "--hall", "2"]) == 2
    assert "no hall '2' (halls: H, H2)" in capsys.readouterr().err
