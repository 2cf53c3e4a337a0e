"""An overloaded hall (its racks send more heat to the air than its running units can remove)
has no steady state: its figures hold the units at their set supply. ``twin thermal`` and the
Thermal dock say so with the heat and the running units' capacity; the dock said nothing, and
read "Heat in 150 kW = out 150 kW" like any settled hall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.physics.test_unit_loss import top_intake_room
from twin.cli import main
from twin.model.loader import facility_from_text
from twin.physics import ThermalModel, solve_steady
from twin.physics.results import overload_note

pytestmark = pytest.mark.timeout(300)

CELL_M = 0.4


@pytest.fixture(scope="module")
def room(tmp_path_factory) -> Path:
    """Three 77 kW CRAHs and 150 kW of rack heat: one CRAH alone is overloaded, two are not."""
    tmp = tmp_path_factory.mktemp("overload")
    path = tmp / "room.yaml"
    path.write_text(top_intake_room(tmp, 20.0))
    return path


def test_the_note_names_the_heat_and_the_running_units_capacity(room):
    fac = facility_from_text(room.read_text(), "room.yaml")
    one = solve_steady(fac, 0, CELL_M, failed=["C1", "C2"])
    heat_kw = fac.air_heat_w(fac.rack_power_w)[fac.rack_hall == 0].sum() / 1e3
    assert one.overloaded and heat_kw == pytest.approx(150.2, abs=0.05)
    assert overload_note(fac, one) == (
        f"no steady state: the racks send {heat_kw:,.1f} kW to the air and the running air "
        "units (C3) can remove 77.0 kW; the figures hold their set supply, which they cannot, "
        "so the hall runs hotter than shown and keeps warming"
    )
    two = solve_steady(fac, 0, CELL_M, failed=["C2"])
    assert not two.overloaded and overload_note(fac, two) is None
    # a unit whose fans run slower still runs and counts; one stopped by its fans does not
    slowed = ThermalModel(fac, 0, CELL_M, ["C2"], unit_flow_scale=[0.5, 1.0, 0.0]).solve()
    assert slowed.overloaded
    assert "running air units (C1) can remove 77.0 kW;" in overload_note(fac, slowed)


def test_twin_thermal_prints_and_returns_it(room, capsys):
    args = ["thermal", "--cell", str(CELL_M), "--fail", "C1", "--fail", "C2", str(room)]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("WARNING: no steady state: the racks send 150.2 kW to the air")
    assert main([*args, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["overloaded"] and d["overload_note"] == out[-1].removeprefix("WARNING: ")
    assert main(["thermal", "--cell", str(CELL_M), "--fail", "C1", "--json", str(room)]) == 0
    assert json.loads(capsys.readouterr().out)["overload_note"] is None


def test_the_dock_says_it(room):
    from twin.ui.thermal_panel import summarise

    fac = facility_from_text(room.read_text(), "room.yaml")
    text = summarise(fac, solve_steady(fac, 0, CELL_M, failed=["C1", "C2"]), {"C1", "C2"})
    assert (
        "<span style='color:#e0603a'>No steady state: the racks send 150.2 kW to the air and "
        "the running air units (C3) can remove 77.0 kW;"
    ) in text
    assert "No steady state" not in summarise(fac, solve_steady(fac, 0, CELL_M), set())
