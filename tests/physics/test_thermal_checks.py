"""Thermal design rules: inlets against ASHRAE A1, GPUs at slowdown, the loss of each air
unit in an N+1 hall; and ``twin validate --design --thermal``."""

from __future__ import annotations

from pathlib import Path

import pytest

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
