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


def test_a_hall_whose_worker_is_killed_fails_alone_and_the_others_answer(
    small_factory, monkeypatch
):
    """A worker the out-of-memory killer ends (SIGKILL) fails its hall, after one more try
    alone; the other halls' answers come as before (``ProcessPoolExecutor`` broke whole)."""
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1]))
    import pool_jobs

    from twin.physics.factory import hall_brief, solve_halls
    from twin.worker_pool import KILLED_TEXT

    fac = load_layout(small_factory)
    jobs = plan(fac, 0.8, None)
    done = {d.hall_id: d for d in solve_halls(str(small_factory), jobs, pool_jobs.brief_or_die, 2)}
    assert sorted(done) == sorted(fac.hall_ids)
    air = next(h for h in fac.hall_ids if h.startswith("AH"))
    assert done[air].error == KILLED_TEXT and done[air].retried and done[air].summary is None
    for hid, d in done.items():
        if hid != air:
            assert d.error is None and not d.retried
            alone = hall_brief(fac, solve_steady(fac, hall=fac.hall_index[hid], cell_m=0.8))
            assert d.summary.pop("seconds") > 0 and alone.pop("seconds") > 0
            assert d.summary == alone and alone["racks"] > 0


def test_a_cancel_stops_every_hall_at_once(small_factory):
    """The window's Cancel: the solves running are killed, not waited for."""
    import time

    from twin.physics.factory import hall_brief, solve_halls

    fac = load_layout(small_factory)
    t0 = time.monotonic()
    got = list(solve_halls(str(small_factory), plan(fac, 0.1, None), hall_brief, 2, lambda: True))
    assert got == [] and time.monotonic() - t0 < 5


def test_a_hall_solved_again_alone_says_so(small_factory, monkeypatch, capsys):
    import twin.physics.factory as factory

    def solve(path, jobs, summarise, workers, cancelled=None):
        fac = load_layout(path)
        for job in jobs:
            res = solve_steady(fac, hall=job.hall, cell_m=job.cell_m)
            yield factory.HallDone(job, job.hall_id, summarise(fac, res), None, job.hall == 0)

    monkeypatch.setattr(factory, "solve_halls", solve)
    assert main(["thermal", str(small_factory), "--all", "--cell", "0.8"]) == 0
    out = capsys.readouterr().out
    fac = load_layout(small_factory)
    note = f"note: hall {fac.hall_ids[0]}: {factory.RETRIED_NOTE}"
    assert out.count(note) == 1 and f"note: hall {fac.hall_ids[1]}" not in out
    assert main(["thermal", str(small_factory), "--all", "--cell", "0.8", "--json"]) == 0
    halls = json.loads(capsys.readouterr().out)["passes"][0]["halls"]
    assert [h["retried_alone"] for h in halls] == [True, False]


def test_halls_without_an_answer_are_counted_and_listed(small_factory, monkeypatch, capsys):
    """A hall that failed (here: as a worker out of memory fails) is a line on stderr, a
    ``failed`` entry of its pass in the JSON, and missing from the site's count."""
    import twin.physics.factory as factory

    fac = load_layout(small_factory)
    first = fac.hall_ids[0]
    why = "MemoryError: Unable to allocate 44.7 MiB for an array"

    def solve(path, jobs, summarise, workers, cancelled=None):
        for job in jobs:
            if job.hall == 0:
                yield factory.HallDone(job, job.hall_id, error=why, retried=True)
            else:
                res = solve_steady(fac, hall=job.hall, cell_m=job.cell_m)
                yield factory.HallDone(job, job.hall_id, summarise(fac, res))

    monkeypatch.setattr(factory, "solve_halls", solve)
    assert main(["thermal", str(small_factory), "--all", "--cell", "0.8"]) == 1
    out, err = capsys.readouterr()
    assert err == f"twin thermal: hall {first} at 0.8 m: {why}\n"
    site = out.strip().split("\n")[-1]
    assert site.startswith("site: 1 of 2 halls (1 failed, said above), ")
    assert main(["thermal", str(small_factory), "--all", "--cell", "0.8", "--json"]) == 1
    (p,) = json.loads(capsys.readouterr().out)["passes"]
    assert p["stage"] == "fine" and [h["hall"] for h in p["halls"]] == [fac.hall_ids[1]]
    assert p["failed"] == [{"hall": first, "error": why, "retried_alone": True}]


@pytest.mark.parametrize(
    ("change", "overloaded", "tail"),
    [
        (None, False, ""),
        (0.09, False, ""),
        (0.34, False, ", air unsettled (0.3 K)"),
        (None, True, ", NO STEADY STATE: its air units cannot remove its heat"),
        (
            0.34,
            True,
            ", air unsettled (0.3 K), NO STEADY STATE: its air units cannot remove its heat",
        ),
    ],
)
def test_a_hall_line_says_when_its_air_had_not_settled(change, overloaded, tail):
    from twin.commands.thermal import hall_line

    d = {
        "hall": "H1",
        "grid": {"cell_m": 0.2},
        "racks": [{"inlet_max_c": 24.0}, {"inlet_max_c": 33.5}],
        "metrics": {"rci_hi": 98.0},
        "balance": {"heat_in_kw": 1500.0},
        "seconds": 2.5,
        "march_change_k": change,
        "overloaded": overloaded,
    }
    assert hall_line(d) == (
        "hall H1     at 0.2 m: 2 racks, hottest inlet  33.5 C, 1 outside A1 allowable, "
        f"RCI_HI  98.0 %, heat 1.50 MW, 2.5 s{tail}"
    )


def test_unknown_failed_unit_is_refused(small_factory, capsys):
    assert main(["thermal", str(small_factory), "--all", "--fail", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err


def test_a_hall_with_no_air_supply_is_said_once_a_pass_and_the_site_names_no_inlet(
    tmp_path, capsys
):
    """ "twin thermal: hall H: hall H has no air supply ..." said the hall twice, and the site
    line read "hottest inlet nan C"."""
    from tests.physics.test_unsolvable_halls import NO_COOLING

    path = tmp_path / "nocool.yaml"
    path.write_text(NO_COOLING)
    assert main(["thermal", str(path), "--all", "--cell", "0.4"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "twin thermal: hall H at 0.4 m has no air supply (no running air unit, no supply "
        "region with flow): it has no steady state, its air warms without end\n"
    )
    assert out.startswith("site: 0 of 1 halls (1 failed, said above), 0 racks, hottest inlet n/a, ")
