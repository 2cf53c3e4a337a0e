"""`twin bench --json` prints a list of figures with name, value and unit, and the same-run
baseline and ratio where a figure has one."""

from __future__ import annotations

import json

from twin.bench import selected
from twin.cli import main


def test_every_area_registers_benchmarks():
    prefixes = [p for p, _ in selected(None)]
    for area in ("layout", "scene", "physics", "replay", "record", "live", "edit", "energy"):
        assert any(p.startswith(area) for p in prefixes), area


def test_bench_json(capsys):
    assert main(["bench", "--only", "layout.load_100k_s", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    names = {r["name"]: r for r in results}
    load = names["layout.load_100k_s"]
    assert load["unit"] == "s" and load["value"] > 0
    # the baseline is libyaml's parse events alone, a part of the whole load: smaller, ratio
    # above 1
    assert 0 < load["baseline"] < load["value"] and load["ratio"] > 1
    assert all(r["name"].startswith("layout.") for r in results)
    # a figure's name runs its own group only: not the 20 MB big-file group beside it
    assert not any(r["name"].startswith("layout.big") for r in results)


def test_only_a_figure_runs_the_group_with_the_longest_matching_prefix():
    groups = {p for p, _ in selected("physics.factory_steady_s")}
    assert groups == {"physics.factory"}
    assert {p for p, _ in selected("physics.steady_200k_s")} == {"physics"}
    assert {p for p, _ in selected("physics")} >= {"physics", "physics.factory"}
