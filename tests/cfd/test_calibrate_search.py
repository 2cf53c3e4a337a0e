"""The fit's search, on a stand-in model whose rack inlets are a known function of the two
parameters (and of the loads solved at): where it starts, which loads it solves at, which
Prandtl number the march of each eddy viscosity uses, and what it reports of its work."""

from __future__ import annotations

import math
import time
import types
import warnings

import numpy as np
import pytest

from tests.cfd.test_calibrate import ROOM
from twin.cfd import calibrate
from twin.model.loader import load_layout
from twin.physics.params import PhysicsParams

CELL = 0.3
N_RACKS = 4
TARGET_C = 20.0


class Bowl:
    """Rack inlets ``TARGET_C + 0.3 - 0.3 * bump``: the bump (1 at its centre) is centred on
    ``at_loads`` when solved at the loads given, on ``at_nominal`` when solved at nominal
    loads (``power`` None), so a search that solved the wrong loads lands elsewhere."""

    def __init__(self, nu, pr, at_loads, at_nominal=None):
        self.nu, self.pr = nu, pr
        self.at_loads, self.at_nominal = at_loads, at_nominal or at_loads

    def solve(self, power=None):
        cnu, cpr = self.at_nominal if power is None else self.at_loads
        bump = math.exp(-(math.log(self.nu / cnu) ** 2) - math.log(self.pr / cpr) ** 2)
        inlets = np.full(N_RACKS, TARGET_C + 0.3 - 0.3 * bump)
        return types.SimpleNamespace(rack_inlet_mean_c=inlets)


def _search(monkeypatch, at_loads, at_nominal=None):
    """Calibration's model swapped for a ``Bowl``; returns its call log."""
    log: list[tuple[float, float]] = []

    def model(f, h, c, p, t):
        log.append((p.eddy_viscosity_scale, p.turbulent_prandtl))
        return Bowl(p.eddy_viscosity_scale, p.turbulent_prandtl, at_loads, at_nominal)

    def with_prandtl(m, pr, power):
        return Bowl(m.nu, pr, m.at_loads, m.at_nominal).solve(power)

    monkeypatch.setattr(calibrate, "_model", model)
    monkeypatch.setattr(calibrate, "_with_prandtl", with_prandtl)
    return log


def _targets(power=None) -> calibrate.Targets:
    return calibrate.Targets(np.arange(N_RACKS), np.full(N_RACKS, TARGET_C), rack_power_w=power)


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


@pytest.fixture(scope="module")
def set_by_hand(tmp_path_factory):
    """The room with parameters set in its layout (1.6 / 1.4)."""
    path = tmp_path_factory.mktemp("hand") / "room.yaml"
    path.write_text(
        ROOM.read_text() + "physics: {eddy_viscosity_scale: 1.6, turbulent_prandtl: 1.4}\n"
    )
    return load_layout(path)


def test_the_search_solves_at_the_loads_the_targets_were_taken_at(fac, monkeypatch):
    _search(monkeypatch, at_loads=(0.5, 0.4), at_nominal=(3.0, 2.0))
    f = calibrate.fit(fac, 0, CELL, _targets(power=0.6 * fac.rack_power_w))
    assert f.params.eddy_viscosity_scale == pytest.approx(0.5, rel=0.15)
    assert f.params.turbulent_prandtl == pytest.approx(0.4, rel=0.15)
    assert f.after["rack_rms_k"] < 0.01 and not f.kept


def test_it_starts_from_the_layouts_own_parameters(set_by_hand, monkeypatch):
    """A layout already at the best parameters keeps them: every other point is worse."""
    log = _search(monkeypatch, at_loads=(1.6, 1.4))
    f = calibrate.fit(set_by_hand, 0, CELL, _targets())
    assert log[0] == (1.6, 1.4)
    assert f.params == PhysicsParams(1.6, 1.4) and not f.kept
    assert f.before["rack_rms_k"] == pytest.approx(0.0, abs=1e-12) == f.after["rack_rms_k"]
    assert all(c > 0.0 for _, _, c in f.history)


def test_each_march_uses_the_best_prandtl_number_found_so_far(fac, monkeypatch):
    """The march's buoyancy comes from a heat field: every model after the first is marched
    with the Prandtl number of the best point found before it was built."""
    log = _search(monkeypatch, at_loads=(2.0, 0.5))
    f = calibrate.fit(fac, 0, CELL, _targets())
    marched = log[1:-1]  # the first: the layout's; the last: the check of the result
    assert len(marched) >= 4
    for nu, pr in marched:
        first = next(i for i, h in enumerate(f.history) if h[0] == nu)
        best_before = min(f.history[:first], key=lambda h: h[2])
        assert pr == best_before[1], (nu, pr)
    assert log[-1] == f.params.as_tuple()


def test_it_reports_every_evaluation_it_made(fac, monkeypatch):
    """``history`` holds each Prandtl evaluation (nu, Pr, its cost, as errors() scores the
    stand-in against the errors it started from); ``evaluations`` counts them and the two
    full solves (start and check)."""
    _search(monkeypatch, at_loads=(2.0, 0.5))
    t = _targets()
    t0 = time.perf_counter()
    f = calibrate.fit(fac, 0, CELL, t)
    wall = time.perf_counter() - t0
    assert f.evaluations == len(f.history) + 2 and len(f.history) > 20
    for nu, pr, cost in f.history:
        got = calibrate.errors(Bowl(nu, pr, (2.0, 0.5)).solve(), t, f.before)["cost"]
        assert cost == pytest.approx(got)
    assert 0.0 <= f.seconds <= wall
    # each eddy viscosity gets at most 12 Prandtl evaluations, and at most 1 + 8 are tried
    per_nu = {nu: sum(1 for h in f.history if h[0] == nu) for nu, _, _ in f.history}
    assert max(per_nu.values()) <= 12 and len(per_nu) <= 9


def test_a_kept_fit_reports_its_evaluations_too(fac, monkeypatch):
    _search(monkeypatch, at_loads=(3.0, 2.0))
    t = _targets()
    t.min_gain_k = 1.0  # nothing can gain that much from 0.3 K
    f = calibrate.fit(fac, 0, CELL, t)
    assert f.kept and f.evaluations == len(f.history) + 2 and len(f.history) > 20


def test_the_search_runs_without_warnings(fac, monkeypatch):
    """A misspelt optimiser option is only a warning in scipy, and the search would then run
    to scipy's own limits: none may be raised."""
    _search(monkeypatch, at_loads=(2.0, 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calibrate.fit(fac, 0, CELL, _targets())


class Tug:
    """Rack inlets best at the start (nu 1): 0.1 K off there, 0.02 K more per unit of
    |log nu|; points 1 K off at the start and exact at (3, 0.5). The fit's cost falls towards
    (3, 0.5) though the racks read worse there."""

    def __init__(self, nu, pr):
        self.nu, self.pr = nu, pr

    def solve(self, power=None):
        rack_off = 0.1 + 0.02 * abs(math.log(self.nu))
        bump = math.exp(-(math.log(self.nu / 3.0) ** 2) - math.log(self.pr / 0.5) ** 2)
        return types.SimpleNamespace(
            rack_inlet_mean_c=np.full(N_RACKS, TARGET_C + rack_off),
            points=np.full(3, TARGET_C + 1.0 - bump),
        )


def test_a_fit_that_reads_the_racks_worse_is_not_kept(fac, monkeypatch, capsys):
    """Whatever it gains at the points: the layout keeps its own parameters, and the report
    says why."""
    from twin.commands.cfd import _print_kept

    monkeypatch.setattr(calibrate, "_model", lambda f, h, c, p, t: Tug(*p.as_tuple()))
    monkeypatch.setattr(calibrate, "_with_prandtl", lambda m, pr, power: Tug(m.nu, pr).solve())
    monkeypatch.setattr(calibrate, "sample_cells", lambda res, pts: res.points)
    t = calibrate.Targets(
        np.arange(N_RACKS), np.full(N_RACKS, TARGET_C), np.zeros((3, 3)), np.full(3, TARGET_C)
    )
    f = calibrate.fit(fac, 0, CELL, t)
    params, after = f.best
    assert f.kept and f.params == PhysicsParams.of(fac.layout)
    assert f.after == f.before
    assert after["point_rms_k"] < 0.5 * f.before["point_rms_k"]  # what it would have gained
    assert after["rack_rms_k"] > f.before["rack_rms_k"] + calibrate.MIN_GAIN_K
    assert calibrate.racks_worse(f.before, after)
    _print_kept({"params": params.__dict__, "after": after}, f.before, calibrate.MIN_GAIN_K)
    out = capsys.readouterr().out
    assert "it reads the racks' inlets worse, which are what Twin's figures are read from, " in out
    assert "so the layout keeps its own (nothing written)" in out


def test_a_recordings_coarser_resolution_lets_the_racks_move_within_it(fac, monkeypatch):
    """A recording's fit must gain half its 0.1 K resolution (``min_gain_k`` 0.05), and a
    rise of the racks' RMS within that is its readings' rounding: the same tug (racks
    0.022 K worse, points near exact) is kept, not refused."""
    monkeypatch.setattr(calibrate, "_model", lambda f, h, c, p, t: Tug(*p.as_tuple()))
    monkeypatch.setattr(calibrate, "_with_prandtl", lambda m, pr, power: Tug(m.nu, pr).solve())
    monkeypatch.setattr(calibrate, "sample_cells", lambda res, pts: res.points)
    t = calibrate.Targets(
        np.arange(N_RACKS), np.full(N_RACKS, TARGET_C), np.zeros((3, 3)), np.full(3, TARGET_C)
    )
    t.min_gain_k = 0.05
    f = calibrate.fit(fac, 0, CELL, t)
    assert not f.kept and f.params != PhysicsParams.of(fac.layout)
    assert 0.01 < f.after["rack_rms_k"] - f.before["rack_rms_k"] < 0.05


def test_racks_read_worse_only_past_the_resolution():
    before = {"rack_rms_k": 0.5}
    assert not calibrate.racks_worse(before, {"rack_rms_k": 0.509})
    assert calibrate.racks_worse(before, {"rack_rms_k": 0.512})
    assert not calibrate.racks_worse(before, {"rack_rms_k": float("nan")})  # no racks
