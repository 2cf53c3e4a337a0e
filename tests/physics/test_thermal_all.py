"""``twin thermal LAYOUT --all``: every hall solved in worker processes, coarse pass first,
each hall's answer the same as solving it alone."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin.cli import main
from twin.model.generate import ai_factory
from twin.model.loader import load_layout
from twin.physics import solve_steady
from twin.physics.factory import plan


@pytest.fixture(scope="module")
def small_factory(tmp_path_factory):
    """A two-hall factory: one liquid hall of two short NVL72 rows, one air hall."""
    path = tmp_path_factory.mktemp("factory") / "small.yaml"
    path.write_text(
        ai_factory(
            liquid_halls=1, racks_per_row=6, rows_per_hall=2, air_hall_rows=2, air_racks_per_row=4
        )
    )
    return path


def test_plan_puts_the_coarse_pass_first_and_large_halls_first(small_factory):
    fac = load_layout(small_factory)
    jobs = plan(fac, 0.2, 0.4)
    assert [j.cell_m for j in jobs] == [0.4, 0.4, 0.2, 0.2]
    assert [j.stage for j in jobs] == ["coarse", "coarse", "fine", "fine"]
    volume = np.prod(fac.hall_size_m, axis=1)
    assert volume[jobs[0].hall] >= volume[jobs[1].hall]
    assert [j.cell_m for j in plan(fac, 0.4, 0.4)] == [0.4, 0.4]  # one pass when equal


@pytest.mark.slow
def test_all_halls_match_single_solves(small_factory, capsys):
    assert (
        main(
            [
                "thermal",
                str(small_factory),
                "--all",
                "--cell",
                "0.4",
                "--coarse",
                "0.8",
                "--jobs",
                "2",
                "--json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert [p["stage"] for p in data["passes"]] == ["coarse", "fine"]
    fac = load_layout(small_factory)
    for p, cell in zip(data["passes"], (0.8, 0.4), strict=True):
        assert [h["hall"] for h in p["halls"]] == fac.hall_ids
        assert all(h["grid"]["cell_m"] == cell for h in p["halls"])
    for h, got in enumerate(data["passes"][1]["halls"]):
        res = solve_steady(fac, hall=h, cell_m=0.4)  # in this process, on its own
        sel = np.flatnonzero(fac.rack_hall == h)
        assert [r["id"] for r in got["racks"]] == [fac.rack_ids[i] for i in sel]
        np.testing.assert_allclose(
            [r["inlet_max_c"] for r in got["racks"]], res.rack_inlet_max_c[sel], atol=0.006
        )
        assert got["balance"]["heat_in_kw"] == pytest.approx(res.heat_in_w / 1e3, abs=1e-3)
        assert got["march_change_k"] == pytest.approx(res.march_change_k, abs=0.006)


@pytest.mark.parametrize(
    ("change", "tail"), [(None, ""), (0.09, ""), (0.34, ", air unsettled (0.3 K)")]
)
def test_a_hall_line_says_when_its_air_had_not_settled(change, tail):
    from twin.commands.thermal import hall_line

    d = {
        "hall": "H1",
        "grid": {"cell_m": 0.2},
        "racks": [{"inlet_max_c": 24.0}, {"inlet_max_c": 33.5}],
        "metrics": {"rci_hi": 98.0},
        "balance": {"heat_in_kw": 1500.0},
        "seconds": 2.5,
        "march_change_k": change,
    }
    assert hall_line(d) == (
        "hall H1     at 0.2 m: 2 racks, hottest inlet  33.5 C, 1 outside A1 allowable, "
        f"RCI_HI  98.0 %, heat 1.50 MW, 2.5 s{tail}"
    )


def test_unknown_failed_unit_is_refused(small_factory, capsys):
    assert main(["thermal", str(small_factory), "--all", "--fail", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err
