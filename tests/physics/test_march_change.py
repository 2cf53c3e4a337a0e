"""``ThermalResult.march_change_k``: how far the racks' mean inlets moved over the march's last
chunk, derived here from the march's own heat solves, and what the reports say of it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics import heat as heat_mod
from twin.physics.model import UNSETTLED_K, unsettled_note

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"


@pytest.fixture
def heat_solves(monkeypatch):
    """The rack inlets (grid rack order, NaN without front flow) of every heat solve run."""
    seen: list[np.ndarray] = []
    solve = heat_mod.HeatModel.solve

    def recording(self, *a, **k):
        out = solve(self, *a, **k)
        seen.append(np.where(self.front_flow > 0, self.W_rack @ out[0].t_cells, np.nan))
        return out

    monkeypatch.setattr(heat_mod.HeatModel, "solve", recording)
    return seen


@pytest.mark.parametrize(
    ("which", "last_driver", "lo", "hi"),
    [
        ("small", 1, 5.0, 20.0),
        ("cold-containment-leaky", 0, 0.0, 0.05),
        ("open-aisle-85", 1, 0.3, 3.0),  # racks of 1.0 m3/s: every one counts
    ],
)
def test_the_change_is_the_last_chunks(heat_solves, small_facility, which, last_driver, lo, hi):
    """The tests' small hall (two 10 m3/s CRAHs for eight racks) never settles: its inlets
    move by about 10 K per chunk, and both chunks are marched; so does the open aisle's
    (0.9 K). The contained room's first chunk moves them by about 0.01 K, under
    ``SETTLED_K``: the march stops there, and its last chunk is the first."""
    fac = small_facility if which == "small" else load_layout(ROOMS / f"{which}.yaml")
    res = ThermalModel(fac, 0, 0.2).solve()
    # three heat solves: before buoyancy, the one after the first chunk (which drove the
    # second, or found the march settled), the steady one
    assert len(heat_solves) == 3
    want = np.nanmax(np.abs(heat_solves[2] - heat_solves[last_driver]))
    assert res.march_change_k == pytest.approx(want, rel=1e-9)
    assert lo < res.march_change_k < hi


def test_no_figure_at_other_loads_or_from_a_coarse_march():
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    model = ThermalModel(fac, 0, 0.2)
    assert model.solve(0.8 * fac.rack_power_w).march_change_k is None
    assert model.solve(fac.rack_power_w.copy()).march_change_k is not None  # nominal again
    assert ThermalModel(fac, 0, 0.1).solve().march_change_k is None  # marched at 0.2 m
    assert ThermalModel(fac, 0, 0.2, buoyancy=False).solve().march_change_k is None


def test_the_reports_say_it_from_the_threshold_up(small_layout_file, capsys):
    from twin.cli import main

    assert unsettled_note(None) is None
    assert unsettled_note(UNSETTLED_K - 1e-9) is None
    assert unsettled_note(UNSETTLED_K) == (
        "air not settled: rack inlets still moved by up to 0.1 K over the march's last 8 "
        "steps; a difference smaller than that between two solves may be the march's, not "
        "the layout's"
    )
    assert main(["thermal", str(small_layout_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("note: air not settled: rack inlets still moved by up to 10.")
    assert main(["thermal", str(ROOMS / "cold-containment-leaky.yaml"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert 0.0 < d["march_change_k"] < 0.05
    assert main(["thermal", str(ROOMS / "cold-containment-leaky.yaml")]) == 0
    assert "not settled" not in capsys.readouterr().out
