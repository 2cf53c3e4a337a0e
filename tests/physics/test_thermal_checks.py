"""Thermal design rules: inlets against ASHRAE A1, GPUs at slowdown, the loss of each air
unit in an N+1 hall; and ``twin validate --design --thermal``."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.physics.conftest import possible_figures
from twin.cli import main
from twin.model.loader import facility_from_text
from twin.physics import ThermalModel
from twin.physics.thermal_checks import thermal_violations, unit_loss_violations

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"
TEXT = HALL.read_text()
# A2 turned round in its row: it breathes its own row's hot aisle
TURNED = TEXT.replace(
    "  - id: A2\n    type: rack-600x1200-48u\n    position_m: [4.5, 2.4]\n    rotation_deg: 180.0",
    "  - id: A2\n    type: rack-600x1200-48u\n    position_m: [4.5, 2.4]\n    rotation_deg: 0.0",
)


def _check(text: str):
    fac = facility_from_text(text, "hall.yaml")
    model = ThermalModel(fac, 0, 0.4)
    return fac, model, thermal_violations(fac, model.solve())


def test_the_nominal_hall_breaks_no_thermal_rule():
    _, _, found = _check(TEXT)
    assert found == []


def test_a_rack_breathing_the_hot_aisle_is_flagged_with_its_inlet():
    assert TURNED != TEXT
    fac, model, found = _check(TURNED)
    inlet = [v for v in found if v.kind == "thermal-inlet"]
    assert [v.items for v in inlet] == [("A2",)]
    res = model.solve()
    t = res.rack_inlet_max_c[fac.rack_index["A2"]]
    assert t > 27.0
    assert f"{t:.1f} C" in inlet[0].message
    assert inlet[0].severity == ("error" if t > 32.0 else "warning")
    assert inlet[0].field == "rows[0].racks[1]"


def test_n_plus_1_hall_that_cannot_lose_a_crah():
    text = TEXT.replace("cooling_redundancy: N\n", "cooling_redundancy: N+1\n")
    fac, model, _ = _check(text)
    found = unit_loss_violations(fac, model)
    assert sorted(v.items for v in found) == [("CRAH-1",), ("CRAH-2",)]
    assert all("does not survive the loss of" in v.message for v in found)
    assert model.failed == ()  # fan states restored
    fac_n, model_n, _ = _check(TEXT)
    assert unit_loss_violations(fac_n, model_n) == []  # N: nothing promised


def test_validate_design_thermal(tmp_path, capsys):
    path = tmp_path / "turned.yaml"
    path.write_text(TURNED)
    assert main(["validate", "--design", "--thermal", "--cell", "0.4", str(path)]) in (0, 1)
    err = capsys.readouterr().err
    assert "inlet of rack 'A2' reaches" in err and f"{path}:" in err
    assert main(["validate", "--thermal", str(path)]) == 2
    assert "--thermal goes with --design" in capsys.readouterr().err


@pytest.mark.parametrize("rule", ["thermal-gpu"])
def test_gpus_at_slowdown_at_nominal_load(rule):
    # 44 C supply air: 44 + 0.065 K/W x 700 W = 89.5 C, past the 89 C slowdown
    text = TEXT.replace("supply_c: 18.0", "supply_c: 44.0")
    fac, _, found = _check(text)
    gpu = [v for v in found if v.kind == rule]
    assert gpu and all("reach slowdown at nominal load" in v.message for v in gpu)
    assert {v.items[0] for v in gpu} <= set(fac.rack_ids)


@pytest.mark.parametrize("cell", ["nan", "0", "-1", "2"])
def test_validate_refuses_a_bad_cell_before_solving(cell, capsys):
    """``validate --design --thermal --cell nan`` was a GridError traceback."""
    args = ["validate", "--design", "--thermal", "--cell", cell, "layouts/test-room.yaml"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin validate: --cell must be") and err.count("\n") == 1


def _four_racks():
    """Four one-server DGX H100 racks in a row of hall H, a second hall G with one more, and
    two air units; loaded without solving."""
    racks = ", ".join(
        f"{{id: R{i}, position_m: [{2.0 + 0.6 * i:.1f}, 2.4], servers: [{{type: dgx-h100, count: 1}}]}}"
        for i in range(1, 5)
    )
    text = "\n".join(
        [
            "format: twin-layout/1",
            "name: rules",
            "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}, {id: G, size_m: [8.4, 7.2, 3.0],"
            " origin_m: [20, 0]}]",
            "rows:",
            f"  - {{id: A, hall: H, racks: [{racks}]}}",
            "  - {id: B, hall: G, racks: [{id: G1, position_m: [3.3, 2.4],"
            " servers: [{type: dgx-h100, count: 1}]}]}",
            "cooling:",
            "  air_units:",
            "    - {id: U1, type: crah-77kw, hall: H, position_m: [1.5, 0.45]}",
            "    - {id: U2, type: crah-77kw, hall: H, position_m: [6.9, 0.45]}",
        ]
    )
    return facility_from_text(text, "rules.yaml")


def _result(fac, inlets, *, at_capacity=(False, False), overloaded=False, hot_gpus=()):
    """A hand-made steady result of hall H: the racks' hottest inlets, the units at their
    capacity (499.6 kW, supply 18.04 C), GPUs at slowdown (facility indices, 90.25 C)."""
    throttled = np.zeros(fac.n_gpus, bool)
    throttled[list(hot_gpus)] = True
    temp = np.where(throttled, 90.25, 60.0)
    return SimpleNamespace(
        **{**possible_figures(fac.n_gpus), "gpu_temp_c": temp},
        grid=SimpleNamespace(
            rack_ids=np.flatnonzero(fac.rack_hall == 0),
            hall=0,
            unit_ids=np.array([0, 1]),
            unit_flow_m3s=np.array([0.0, 3.0]),  # U1 stopped
        ),
        rack_inlet_max_c=np.append(np.asarray(inlets, float), 40.0),  # G1, not in the grid
        air_unit_at_capacity=np.array(at_capacity),
        air_unit_capacity_w=np.full(2, 499_600.0),
        air_unit_supply_c=np.full(2, 18.04),
        overloaded=overloaded,
        gpu_throttled=throttled,
    )


def test_each_rule_by_hand_at_its_bounds():
    fac = _four_racks()
    g = {r: np.flatnonzero(fac.gpu_rack == fac.rack_index[r]) for r in ("R2", "R4", "G1")}
    hot = [g["R2"][0], g["R4"][1], g["R4"][5], g["G1"][0]]  # G1's is in the other hall
    res = _result(fac, [27.0, 27.5, 32.0, 32.5], at_capacity=(False, True), hot_gpus=hot)
    res.gpu_temp_c[g["R4"][5]] = 91.0
    found = [
        (v.kind, v.severity, v.message, v.items, v.field) for v in thermal_violations(fac, res)
    ]
    assert found == [
        # 27.0 C is within A1 recommended; 32.0 C within allowable
        ("thermal-inlet", "warning",
         "inlet of rack 'R2' reaches 27.5 C, above ASHRAE A1 recommended (27 C)", ("R2",),
         "rows[0].racks[1]"),
        ("thermal-inlet", "warning",
         "inlet of rack 'R3' reaches 32.0 C, above ASHRAE A1 recommended (27 C)", ("R3",),
         "rows[0].racks[2]"),
        ("thermal-inlet", "error",
         "inlet of rack 'R4' reaches 32.5 C, above ASHRAE A1 allowable (32 C)", ("R4",),
         "rows[0].racks[3]"),
        ("thermal-air-unit", "error",
         "air unit 'U2' runs at its 500 kW capacity: its supply warms to 18.0 C", ("U2",),
         "cooling.air_units[1]"),
        ("thermal-gpu", "error",
         "1 GPU(s) of rack 'R2' reach slowdown at nominal load (hottest 90.2 C)", ("R2",),
         "rows[0].racks[1]"),
        ("thermal-gpu", "error",
         "2 GPU(s) of rack 'R4' reach slowdown at nominal load (hottest 91.0 C)", ("R4",),
         "rows[0].racks[3]"),
    ]  # fmt: skip


def test_an_inlet_just_above_a_limit_reads_above_it():
    """The factory's AH1-A16 read "reaches 32.0 C, above ASHRAE A1 allowable (32 C)"."""
    fac = _four_racks()
    res = _result(fac, [27.004, 32.04, 32.5, 20.0])
    assert [v.message for v in thermal_violations(fac, res)] == [
        "inlet of rack 'R1' reaches 27.004 C, above ASHRAE A1 recommended (27 C)",
        "inlet of rack 'R2' reaches 32.04 C, above ASHRAE A1 allowable (32 C)",
        "inlet of rack 'R3' reaches 32.5 C, above ASHRAE A1 allowable (32 C)",
    ]


def test_no_steady_state_is_one_error_for_the_hall():
    """Its figures hold the units' set supply, which they cannot: the hall's error says so
    with the heat and the running capacity, and each rack or GPU it lists runs hotter still."""
    fac = _four_racks()
    res = _result(fac, [np.nan] * 4, overloaded=True)
    hall = (
        "thermal-air-unit",
        "error",
        "hall 'H': no steady state: the racks send 100.0 kW to the air and the running air "
        "units (U2) can remove 499.6 kW; the figures hold their set supply, which they cannot, "
        "so the hall runs hotter than shown and keeps warming",
        ("H",),
        "cooling.air_units",
    )
    found = [
        (v.kind, v.severity, v.message, v.items, v.field) for v in thermal_violations(fac, res)
    ]
    assert found == [hall]
    hot = np.flatnonzero(fac.gpu_rack == fac.rack_index["R2"])[:1]
    res = _result(fac, [20.0, 27.5, 20.0, 33.0], overloaded=True, hot_gpus=hot)
    found = [(v.severity, v.message) for v in thermal_violations(fac, res)]
    assert found == [
        ("warning", "inlet of rack 'R2' reaches 27.5 C or more (no steady state), above "
         "ASHRAE A1 recommended (27 C)"),
        ("error", "inlet of rack 'R4' reaches 33.0 C or more (no steady state), above "
         "ASHRAE A1 allowable (32 C)"),
        ("error", hall[2]),
        ("error", "1 GPU(s) of rack 'R2' reach slowdown at nominal load (hottest 90.2 C or "
         "more: no steady state)"),
    ]  # fmt: skip


class _Model:
    """Stands in for ``ThermalModel``: records the fan states it is given, and answers each
    failure case with the hand-made result ``answers`` holds for the unit lost."""

    def __init__(self, answers, unit_flow_scale=None, rack_flow_scale=None):
        self.hall, self.failed = 0, ()
        self.unit_flow_scale, self.rack_flow_scale = unit_flow_scale, rack_flow_scale
        self.answers, self.calls = answers, []

    def set_failed(self, failed, unit_flow_scale=None, rack_flow_scale=None):
        self.failed = tuple(failed)
        self.unit_flow_scale, self.rack_flow_scale = unit_flow_scale, rack_flow_scale
        self.calls.append((self.failed, unit_flow_scale, rack_flow_scale))

    def solve(self):
        return self.answers[self.failed[-1]]


def test_each_unit_lost_in_turn_with_the_others_ramped_and_the_fans_put_back():
    """Three units in hall H (U3 off) and one in hall G: U1 and U2 are lost in turn, with
    the hall's running units at their rating (4.72 / 3.0 of their set flow, past the 1.5 x a
    grid takes); two problems and two units at capacity are listed whole; progress counts
    the two; the model's own fan speeds come back."""
    layout = (
        "format: twin-layout/1\nname: lost\ncooling_redundancy: N+1\n"
        "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}, {id: G, size_m: [8.4, 7.2, 3.0],"
        " origin_m: [20, 0]}]\n"
        "rows:\n  - {id: A, hall: H, racks: [{id: R1, position_m: [3.3, 2.4],"
        " load: {power_kw: 5, airflow_m3s: 0.4}}]}\n"
        "cooling:\n  air_units:\n"
        "    - {id: U1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], airflow_m3s: 3.0}\n"
        "    - {id: U2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], airflow_m3s: 4.0}\n"
        "    - {id: U3, type: crah-77kw, hall: H, position_m: [4.2, 6.75], state: off}\n"
        "    - {id: V1, type: crah-77kw, hall: G, position_m: [1.5, 0.45]}\n"
    )
    fac = facility_from_text(layout, "lost.yaml")

    def answer(inlet, overloaded=False, full=()):
        gpu = np.zeros(fac.n_gpus, bool)
        return SimpleNamespace(
            **possible_figures(fac.n_gpus),
            grid=SimpleNamespace(rack_ids=np.array([0]), hall=0),
            rack_inlet_max_c=np.array([inlet]),
            overloaded=overloaded,
            gpu_throttled=gpu,
            air_unit_at_capacity=np.isin(np.arange(4), full),
            air_unit_capacity_w=np.full(4, 77_000.0),
            air_unit_supply_c=np.array([19.0, 19.5, 18.0, 18.0]),
        )

    answers = {"U1": answer(33.0, overloaded=True), "U2": answer(30.0, full=(0, 1))}
    own_units, own_racks = np.array([0.9, 1.0, 1.0, 1.0]), np.array([0.8])
    model = _Model(answers, own_units, own_racks)
    progress = []
    found = unit_loss_violations(fac, model, lambda k, n: progress.append((k, n)))
    assert progress == [(1, 2), (2, 2)]
    ramped = [1.5, 4.72 / 4.0, 1.0, 1.0]  # U1 3.0 -> 4.72 is 1.57 x: 1.5; U2 4.0 -> 4.72
    assert [c[0] for c in model.calls] == [("U1",), ("U2",), ()]
    for _, scale, racks in model.calls[:2]:
        assert scale == pytest.approx(ramped, abs=1e-12) and racks is None
    assert model.calls[2][1] is own_units and model.calls[2][2] is own_racks
    assert model.unit_flow_scale is own_units and model.rack_flow_scale is own_racks
    assert [(v.severity, v.message, v.items, v.field) for v in found] == [
        (
            "error",
            "hall 'H' does not survive the loss of 'U1' (N+1): its running air units cannot "
            "remove the heat (no steady state); 1 rack(s) above A1 allowable (worst 'R1' "
            "33.0 C)",
            ("U1",),
            "cooling.air_units[0]",
        ),
        (
            "warning",
            "hall 'H' survives the loss of 'U2' (N+1) with U1 at its 77 kW capacity (supply "
            "19.0 C); U2 at its 77 kW capacity (supply 19.5 C)",
            ("U2", "U1"),  # the unit it strains shown with it (the lost one only once)
            "cooling.air_units[1]",
        ),
    ]
