"""The set-point optimiser's paths that its room tests do not take: CDU set points applied as
an edit, a hall whose air has no headroom while its CDUs have, the fan-speed floor, how far
the fan search goes, and the check's correction when a fresh solve finds less headroom than
the search predicted (driven here by scripted margins, since real rooms rarely overshoot)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.physics.test_setpoints import LIQUID_ROOM, room
from twin.model.loader import facility_from_text, load_layout
from twin.physics import setpoints, solve_steady
from twin.physics.setpoints import Limits, Margin, SetPointOptimiser, as_edit

pytestmark = pytest.mark.timeout(600)

CELL_M = 0.25


@pytest.fixture(scope="module")
def liquid(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("liquid") / "liquid.yaml"
    path.write_text(LIQUID_ROOM)
    return path


def _cdu_limit_c(fac, limits: Limits) -> float:
    """CDU1's highest supply by hand: its liquid GPUs' smallest headroom to max operating less
    the margin and the check's 0.01 K, rounded down to the step, added to its 25 C (capped at
    the limit)."""
    base = solve_steady(fac, 0, CELL_M)
    head = (fac.gpu_max_operating_c - limits.gpu_margin_k - base.gpu_temp_c)[fac.gpu_liquid]
    rise = math.floor((float(head.min()) - 0.01) / 0.1 + 1e-6) * 0.1
    return min(25.0 + rise, limits.cdu_supply_max_c)


@pytest.mark.slow
def test_cdus_move_when_the_air_has_no_headroom_and_the_edit_carries_them(liquid):
    from twin.model.document import LayoutDocument

    fac = load_layout(liquid)
    hottest = float(np.nanmax(solve_steady(fac, 0, CELL_M).rack_inlet_max_c))
    # the rack inlet limit just above today's hottest inlet: no air headroom
    # the CDU's own limit out of the way (45 C would cap it): its GPUs' headroom decides
    limits = Limits(inlet_max_c=hottest + 0.05, cdu_supply_max_c=80.0)
    want = _cdu_limit_c(fac, limits)
    assert want < 80.0
    result = SetPointOptimiser(fac, CELL_M, limits).run()
    hall = result.halls[0]
    assert hall.binding.startswith("no headroom (normal: rack inlet")
    assert hall.supply_after_c.tolist() == [18.0] and hall.flow_after_m3s.tolist() == [
        fac.air_unit_airflow_m3s[0]
    ]
    assert hall.cdu_supply_after_c.tolist() == [pytest.approx(want, abs=1e-9)]
    assert want > 25.0 and hall.checks[0].case == "normal"  # the CDUs' own check
    assert hall.checks[0].liquid_k >= limits.check_margin_k
    assert result.changes() == [("cdus", "CDU1", {"supply_c": pytest.approx(want, abs=1e-9)})]
    assert result.facility_after.path == fac.path
    doc = LayoutDocument.open(liquid)
    doc.history.push(as_edit(result))
    assert doc.facility.cdu_supply_c.tolist() == [pytest.approx(want, abs=1e-9)]
    doc.history.undo()
    assert doc.facility.cdu_supply_c.tolist() == [25.0]


def _two_halls(hall_h_racks_m3s: float) -> str:
    """Hall H: two 77 kW CRAHs set at 4.0 m3/s, racks drawing ``hall_h_racks_m3s`` in all;
    hall G: a 150 kW CRAH running, another stopped, and racks drawing 9.0 m3/s."""
    each = hall_h_racks_m3s / 2
    return "\n".join(
        [
            "format: twin-layout/1",
            "name: floors",
            "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}, {id: G, size_m: [8.4, 7.2, 3.0],"
            " origin_m: [20, 0]}]",
            "rows:",
            f"  - {{id: A, hall: H, racks: [{{id: A0, position_m: [3.3, 2.4], load: {{power_kw: 5,"
            f" airflow_m3s: {each}}}}}, {{id: A1, position_m: [3.9, 2.4], load: {{power_kw: 5,"
            f" airflow_m3s: {each}}}}}]}}",
            "  - {id: B, hall: G, racks: [{id: B0, position_m: [3.3, 2.4], load: {power_kw: 30,"
            " airflow_m3s: 9.0}}]}",
            "cooling:",
            "  air_units:",
            "    - {id: C1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], airflow_m3s: 4.0}",
            "    - {id: C2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], airflow_m3s: 4.0}",
            "    - {id: D1, type: crah-150kw, hall: G, position_m: [1.5, 0.45], rotation_deg: 180,"
            " airflow_m3s: 10.0}",
            "    - {id: D2, type: crah-150kw, hall: G, position_m: [5.5, 0.45], rotation_deg: 180,"
            " airflow_m3s: 10.0, state: off}",
        ]
    )


@pytest.mark.parametrize(
    ("racks_m3s", "want"),
    [
        (2.0, 0.3 * 4.72 / 4.0),  # the fans' minimum speed (30 % of 4.72 m3/s) binds
        (3.2, 3.2 / 8.0),  # the racks' draw binds; hall G's 9 m3/s is not this hall's
        (12.0, 1.0),  # racks drawing more than the units move: never above today's flow
    ],
    ids=["fan-minimum", "racks-draw", "capped"],
)
def test_the_lowest_fan_speed(racks_m3s, want):
    fac = facility_from_text(_two_halls(racks_m3s), "floors.yaml")
    opt = SetPointOptimiser(fac, CELL_M)
    units = np.flatnonzero(fac.air_unit_hall == fac.hall_ids.index("H"))
    assert opt._lowest_speed(fac.hall_ids.index("H"), units) == pytest.approx(want, abs=1e-12)


@pytest.mark.slow
def test_the_fan_search_spends_its_solves(tmp_path: Path):
    """The search solves today's speed, the lowest and half-way, then the speeds its fitted
    model calls best until ``speed_solves`` are spent or it picks one already solved; the
    dock's optimiser (no cell given) solves at 0.25 m."""
    fac = load_layout(room(tmp_path, rack_kw=8.0))
    assert SetPointOptimiser(fac).cell_for(0) == 0.25
    heard: list[str] = []
    SetPointOptimiser(fac, CELL_M, progress=heard.append).run()
    speeds = [t for t in heard if ": fans at " in t]
    assert len(speeds) == len(set(speeds))  # never the same speed twice
    assert 3 <= len(speeds) <= Limits().speed_solves
    heard.clear()
    SetPointOptimiser(fac, CELL_M, Limits(speed_solves=2), progress=heard.append).run()
    assert len([t for t in heard if ": fans at " in t]) == 2  # the lowest and half-way only


class _Scripted(SetPointOptimiser):
    """The optimiser with its solves stood in for: each check's normal case answers the next
    (inlet headroom, liquid headroom) of ``script``; the facilities it was asked to solve are
    kept in ``asked``."""

    def __init__(self, fac, script):
        super().__init__(fac, CELL_M)
        self.script, self.asked = list(script), []

    def _solve(self, model, what):
        self.solves += 1
        return model

    def _margin(self, res, fac, hall, case, failure):
        inlet_k, liquid_k = self.script.pop(0)
        return Margin(case, inlet_k, math.inf, liquid_k)


@pytest.fixture
def scripted(liquid, monkeypatch):
    fac = load_layout(liquid)

    def model(after, hall, cell_m):
        opt.asked.append(after)
        return after

    monkeypatch.setattr(setpoints, "ThermalModel", model)
    opt = None

    def make(script):
        nonlocal opt
        opt = _Scripted(fac, script)
        return opt

    return fac, make


def test_the_check_takes_an_overshoot_off_the_supply_and_checks_again(scripted):
    fac, make = scripted
    opt = make([(-0.33, 5.0), (0.02, 5.0)])
    res, checks, supply, cdu = opt._check(
        0, np.array([0]), np.array([20.0]), np.array([3.0]), np.array([30.0]), []
    )
    # 20.0 - 0.33 short - 0.01 margin - 0.1 step = 19.56, down to the 0.1 K step: 19.5
    assert supply.tolist() == [pytest.approx(19.5, abs=1e-9)] and cdu.tolist() == [30.0]
    assert [a.air_unit_supply_c[0] for a in opt.asked] == [20.0, pytest.approx(19.5, abs=1e-9)]
    assert [a.air_unit_airflow_m3s[0] for a in opt.asked] == [3.0, 3.0]
    assert [a.cdu_supply_c[0] for a in opt.asked] == [30.0, 30.0]
    assert res is opt.asked[1] and [m.inlet_k for m in checks] == [0.02]
    assert fac.air_unit_supply_c[0] == 18.0


def test_the_check_takes_a_liquid_overshoot_off_the_cdus(scripted):
    _, make = scripted
    opt = make([(0.01, -0.25), (5.0, 0.01)])  # the air exactly at its margin: kept
    _, _, supply, cdu = opt._check(
        0, np.array([0]), np.array([20.0]), np.array([3.0]), np.array([30.0]), []
    )
    # 30.0 - 0.25 - 0.01 - 0.1 = 29.64: 29.6; the air's supply untouched
    assert cdu.tolist() == [pytest.approx(29.6, abs=1e-9)] and supply.tolist() == [20.0]
    assert [a.cdu_supply_c[0] for a in opt.asked] == [30.0, pytest.approx(29.6, abs=1e-9)]


def test_the_check_never_goes_below_today_and_gives_up_after_three(scripted):
    fac, make = scripted
    opt = make([(-5.0, -9.0)] * 3)  # far short: back to today's 18 C and 25 C, still short
    assert (
        opt._check(0, np.array([0]), np.array([20.0]), np.array([3.0]), np.array([30.0]), [])
        is None
    )
    assert [(a.air_unit_supply_c[0], a.cdu_supply_c[0]) for a in opt.asked] == [
        (20.0, 30.0),
        (18.0, 25.0),
        (18.0, 25.0),
    ]
    # exactly the margin left passes at once
    opt = make([(0.01, 0.01)])
    assert opt._check(0, np.array([0]), np.array([20.0]), np.array([3.0]), np.array([30.0]), [])
    assert len(opt.asked) == 1


MIXED = """\
format: twin-layout/1
name: mixed
halls: [{id: H, size_m: [7.2, 6.0, 3.0]}, {id: G, size_m: [7.2, 6.0, 3.0], origin_m: [20, 0]}]
rows:
  - id: L
    hall: H
    racks:
      - {id: L1, type: rack-nvl72, position_m: [3.3, 2.4], rotation_deg: 180,
         servers: [{type: gb200-nvl72, count: 1}], cdu: CDU1}
      - {id: D1, position_m: [4.5, 2.4], rotation_deg: 180, servers: [{type: dgx-h100, count: 1}]}
  - id: M
    hall: G
    racks:
      - {id: D2, position_m: [3.3, 2.4], rotation_deg: 180, servers: [{type: dgx-h100, count: 1}]}
cooling:
  air_units:
    - {id: C1, type: crah-150kw, hall: H, position_m: [3.6, 5.55], discharge: front}
    - {id: C2, type: crah-150kw, hall: G, position_m: [3.6, 5.55], discharge: front}
  cdus: [{id: CDU1, type: cdu-inrow-250kw, hall: H, position_m: [5.7, 2.4], rotation_deg: 180,
          supply_c: 25}]
"""


def _result(fac, inlet_c: dict[str, float], air_gpu_c: float, liquid_gpu_c: float, other_c=99.0):
    """A hand-made steady result of hall H: its racks' hottest inlets, its air-cooled GPUs at
    ``air_gpu_c``, its liquid ones at ``liquid_gpu_c``; hall G's GPUs at ``other_c``."""
    from types import SimpleNamespace

    from tests.physics.conftest import possible_figures

    gpu = np.where(fac.gpu_liquid, liquid_gpu_c, air_gpu_c)
    gpu = np.where(fac.gpu_hall == fac.hall_ids.index("H"), gpu, other_c)
    inlets = np.array([inlet_c.get(r, np.nan) for r in fac.rack_ids])
    return SimpleNamespace(
        **{**possible_figures(fac.n_gpus), "gpu_temp_c": gpu},
        rack_inlet_max_c=inlets,
        overloaded=False,
        air_unit_at_capacity=np.zeros(len(fac.air_unit_ids), bool),
    )


@pytest.mark.parametrize("failure", [False, True], ids=["normal", "failure"])
def test_a_case_s_headroom_by_hand(failure):
    fac = facility_from_text(MIXED, "mixed.yaml")
    limits = Limits()
    opt = SetPointOptimiser(fac, CELL_M, limits)
    h = fac.hall_ids.index("H")
    air = (fac.gpu_hall == h) & ~fac.gpu_liquid
    liquid = (fac.gpu_hall == h) & fac.gpu_liquid
    assert air.sum() == 8 and liquid.sum() == 72 and (fac.gpu_hall != h).sum() == 8
    res = _result(fac, {"L1": 22.4, "D1": 24.0, "D2": 31.0}, air_gpu_c=70.0, liquid_gpu_c=50.0)
    m = opt._margin(res, fac, h, "case", failure)
    inlet_max = 32.0 if failure else 27.0  # A1 allowable in a failure, recommended otherwise
    gpu_margin = 0.0 if failure else 5.0
    assert m.inlet_k == pytest.approx(inlet_max - 24.0, abs=1e-12)  # G's 31 C not counted
    assert m.gpu_k == pytest.approx(fac.gpu_max_operating_c[air][0] - gpu_margin - 70.0, abs=1e-12)
    assert m.liquid_k == pytest.approx(
        fac.gpu_max_operating_c[liquid][0] - gpu_margin - 50.0, abs=1e-12
    )
    assert m.refused == "" and m.case == "case"


class _Case:
    """Stands in for ``ThermalModel`` in a failure case's check: its steady result is hall H's,
    its hottest inlet 30.0 C with the other units ramped (``scale``) and 33.0 C at their set
    flow, each warmer by the supply rise of the set points it was given; a model not of hall H
    with its unit failed at a float cell answers 40 C."""

    made: list = []

    def __init__(
        self, fac, hall, cell_m, failed=(), unit_flow_scale=None, *, base=None, scale=None
    ):
        self.fac, self.points, self.hall, self.cell_m = fac, fac, hall, cell_m
        self.failed, self.flow_scale = list(failed), unit_flow_scale
        self.base, self.scale = base or fac, scale
        _Case.made.append(self)

    def set_set_points(self, after):
        self.points = after

    def solve(self):
        h = self.base.hall_ids.index("H")
        ok = self.hall == h and isinstance(self.cell_m, float) and self.failed == ["C1"]
        ramped = self.flow_scale is not None and np.array_equal(self.flow_scale, self.scale)
        rise = float(self.points.air_unit_supply_c[0] - self.base.air_unit_supply_c[0])
        inlet = (30.0 if ramped else 33.0) + rise if ok else 40.0
        return _result(self.base, {"L1": inlet, "D1": inlet - 1.0}, 40.0, 40.0)


@pytest.mark.parametrize(
    ("m0_k", "kept_rise", "want_k", "fresh"),
    [
        (3.0, 0.5, 32.0 - 30.5, False),  # kept airflow: 1.5 K left, over fresh_below_k
        (3.0, 1.5, 32.0 - 30.0 - 1.5, True),  # kept: 0.5 K left: solved afresh, ramped
        (1.5, 1.0, 32.0 - 31.0, True),  # the headroom it had less the rise: 0.5 K: afresh
    ],
    ids=["kept", "kept-then-fresh", "fresh"],
)
def test_a_failure_case_s_check(monkeypatch, m0_k, kept_rise, want_k, fresh):
    from twin.physics.setpoints import with_set_points
    from twin.physics.unit_loss import ramped_flow_scale

    fac = facility_from_text(MIXED, "mixed.yaml")
    h = fac.hall_ids.index("H")
    scale = ramped_flow_scale(fac, h)
    _Case.made = []
    monkeypatch.setattr(
        setpoints,
        "ThermalModel",
        lambda *a, **k: _Case(*a, **k, base=fac, scale=scale),
    )
    kept = _Case(fac, h, CELL_M, ["C1"], scale, base=fac, scale=scale)
    after = with_set_points(fac, {"C1": 18.0 + kept_rise})
    m0 = Margin("C1 failed", m0_k, math.inf)
    opt = SetPointOptimiser(fac, CELL_M)
    m = opt._check_failure(h, after, ("C1", kept, m0), kept_rise, scale)
    assert m.case == "C1 failed" and m.inlet_k == pytest.approx(want_k, abs=1e-9)
    assert (len(_Case.made) == 2) is fresh  # the kept model, and a fresh one where solved


TWO_CDUS = MIXED.replace(
    "  - id: M\n",
    "      - {id: L2, type: rack-nvl72, position_m: [2.1, 2.4], rotation_deg: 180,\n"
    "         servers: [{type: gb200-nvl72, count: 1}], cdu: CDU2}\n  - id: M\n",
).replace(
    "  cdus: [",
    "  cdus: [{id: CDU2, type: cdu-inrow-250kw, hall: H, position_m: [1.5, 2.4], "
    "rotation_deg: 180, supply_c: 30},\n         ",
)


def test_each_cdu_rises_by_its_own_gpus_headroom():
    """By hand: CDU2 (first in the layout) feeds L2 at 60 C, CDU1 feeds L1 at 70 C; the
    air-cooled GPUs (85 C) are no CDU's; max operating 87 C less the 5 K margin."""
    from types import SimpleNamespace

    fac = facility_from_text(TWO_CDUS, "two.yaml")
    assert fac.cdu_ids == ["CDU2", "CDU1"] and fac.cdu_supply_c.tolist() == [30.0, 25.0]
    temp = np.where(fac.gpu_liquid, 0.0, 85.0)
    temp[fac.gpu_rack == fac.rack_index["L2"]] = 60.0
    temp[fac.gpu_rack == fac.rack_index["L1"]] = 70.0
    opt = SetPointOptimiser(fac, CELL_M, Limits(cdu_supply_max_c=50.0))
    out = opt._cdu_supply(SimpleNamespace(gpu_temp_c=temp), np.array([0, 1]))
    # CDU2: 30 + (87 - 5 - 60 - 0.01, down to 21.9) = 51.9, capped at 50; CDU1: 25 + 11.9
    assert out.tolist() == [50.0, pytest.approx(36.9, abs=1e-9)]
    fac.cdu_on[0] = False  # a stopped CDU keeps its set point
    assert opt._cdu_supply(SimpleNamespace(gpu_temp_c=temp), np.array([0, 1]))[0] == 30.0


def test_units_at_capacity_are_named_together():
    from types import SimpleNamespace

    fac = facility_from_text(_two_halls(3.2), "floors.yaml")
    res = SimpleNamespace(
        **_result(fac, {}, 40.0, 40.0).__dict__,
    )
    res.air_unit_at_capacity = np.array([True, False, True, False])
    assert setpoints._refused(res, fac, False) == "C1, D1 at capacity"
    assert setpoints._refused(res, fac, True) == ""  # a failure case reads it in its inlets


def test_the_cdu_check_keeps_a_supply_exactly_at_its_margin(scripted):
    class _Points:
        def set_set_points(self, after):
            self.after = after

    _, make = scripted
    for liquid_k, want in ((0.01, 31.0), (0.0099, 25.0)):
        opt = make([(5.0, liquid_k)])
        _, checks, cdu = opt._check_cdus(_Points(), 0, np.array([0]), np.array([31.0]))
        assert cdu.tolist() == [want] and [m.liquid_k for m in checks] == [liquid_k]


@pytest.mark.slow
def test_a_two_unit_n_plus_1_hall_checks_both_losses(tmp_path: Path):
    text = room(tmp_path, rack_kw=4.0).read_text()
    lines = [ln for ln in text.splitlines() if "id: C3," not in ln]
    fac = facility_from_text("\n".join(lines), "two.yaml")
    assert fac.air_unit_ids == ["C1", "C2"]
    opt = SetPointOptimiser(fac, 0.4)
    cases = opt._failure_models(0, np.array([0, 1]))
    assert [uid for uid, _, _ in cases] == ["C1", "C2"]
    assert [m.case for _, _, m in cases] == ["C1 failed", "C2 failed"]


def test_one_hall_asked_is_the_one_solved():
    fac = facility_from_text(_two_halls(3.2), "floors.yaml")
    heard: list[str] = []
    result = SetPointOptimiser(fac, 0.4, progress=heard.append).run([1])
    assert [h.hall for h in result.halls] == ["G"]
    assert result.halls[0].air_units == ["D1"]  # neither H's units nor G's stopped D2
    assert heard and all(t.startswith("G: ") for t in heard)


class _Searched(SetPointOptimiser):
    """The optimiser with its search and check stood in for: the search answers ``found``,
    the check ``checked`` (its supply as given when ``checked`` is "as found")."""

    def __init__(self, fac, found, checked):
        super().__init__(fac, 0.4)
        self.found, self.checked = found, checked

    def _best_speed(self, model, hall, units, normal, failures):
        return self.found

    def _check(self, hall, units, supply, flow, cdu_supply, failures):
        if self.checked is None:
            return None
        return self.checked(supply, cdu_supply)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("found", "checked_rise", "binding"),
    [
        # the search's 0.5 K at 90 % fans fails its check even at today's supply
        ((0.9, 0.5, "normal: rack inlet"), None, "no headroom (the check failed at fans 90%)"),
        # the check takes the whole rise back at today's fans: nothing to save
        ((1.0, 0.5, "normal: rack inlet"), 0.0, "no headroom (normal: rack inlet)"),
        # ... but a rise it keeps, or slower fans, is a change
        ((1.0, 0.5, "normal: rack inlet"), 0.1, "normal: rack inlet"),
        ((0.9, 0.5, "normal: rack inlet"), 0.0, "normal: rack inlet"),
    ],
    ids=["check-failed", "rise-taken-back", "rise-kept", "fans-slower"],
)
def test_what_binds_after_the_check(tmp_path: Path, found, checked_rise, binding):
    fac = load_layout(room(tmp_path, rack_kw=4.0))
    today = fac.air_unit_supply_c.copy()

    def checked(supply, cdu):
        return _result(fac, {}, 40.0, 40.0), [], today + checked_rise, cdu

    opt = _Searched(fac, found, None if checked_rise is None else checked)
    hall = opt.run().halls[0]
    assert hall.binding == binding
