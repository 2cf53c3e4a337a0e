"""A rack whose front (or rear) meets no air moves none. Placed flush against a wall, its
rear used to blow the air its front could not draw, out of nothing: the solve failed its own
mass balance (0.26) and `twin thermal` refused it as impossible. Now the rack moves no air,
the hall solves, and the reports name the rack and the heat the air model cannot place."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin.cli import main
from twin.physics import ThermalModel
from twin.physics.grid import RACK_FRONT, RACK_REAR
from twin.physics.results import airless_note, racks_without_air

# A1 (1.2 m deep, centred 0.6 m from the wall it faces) has its front on the wall; A2 is
# free. Each 20 kW at a 12 K rise.
ROOM = """\
format: twin-layout/1
name: a rack against the wall
halls: [{id: ROOM, size_m: [6.0, 6.0, 3.0]}]
rows:
  - id: A
    hall: ROOM
    racks:
      - {id: A1, position_m: [2.4, 0.6], load: {power_kw: 20.0, delta_t_k: 12}}
      - {id: A2, position_m: [3.0, 3.6], load: {power_kw: 20.0, delta_t_k: 12}}
cooling:
  supplies:
    - {id: TILES, hall: ROOM, rect_m: [1.8, 1.8, 4.2, 3.0], kind: floor, flow_m3s: 4.0,
       supply_c: 18.0}
  returns:
    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 4.8, 4.2, 6.0], kind: ceiling}
"""


def test_a_rack_against_the_wall_moves_no_air_and_is_named(write_layout):
    fac = write_layout(ROOM)
    model = ThermalModel(fac, 0, 0.2)
    ports = model.grid.ports
    a1 = fac.rack_index["A1"]
    for kind in (RACK_FRONT, RACK_REAR):
        assert np.abs(ports.q[(ports.kind == kind) & (ports.owner == a1)]).sum() == 0.0
    res = model.solve()
    air = fac.layout.air
    a2_flow = 20e3 / (air.density_kg_m3 * air.cp_j_kgk * 12.0)
    assert res.rack_airflow_m3s[fac.rack_index["A2"]] == pytest.approx(a2_flow, rel=1e-12)
    assert res.mass_error < 1e-6 and res.energy_error < 1e-5
    assert res.heat_in_w == pytest.approx(20e3, rel=1e-9)  # A2's only
    assert list(racks_without_air(fac, res)) == [a1]
    assert airless_note(fac, res) == (
        "A1 (20.0 kW) moves no air (fans stopped, or a front or rear against a wall): any "
        "GPUs in it read at shutdown, and its 20.0 kW is not in the air's heat balance"
    )


def test_twin_thermal_solves_it_and_says_so(write_layout, tmp_path, capsys):
    path = tmp_path / "wall.yaml"
    path.write_text(ROOM)
    assert main(["thermal", str(path), "--cell", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["racks_without_air"] == ["A1"]
    assert len(d["notes"]) == 1 and d["notes"][0].startswith("A1 (20.0 kW) moves no air")
    assert main(["thermal", str(path), "--cell", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "note: A1 (20.0 kW) moves no air" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["A1"][-1] == "air" and rows["A1"][-2] == "no"  # the table's A1 column
    assert rows["A2"][-1] == "ok"


def test_several_racks_are_named_together(write_layout):
    """Every rack of the demo-like room with its fans stopped: named together, the first six
    then a count."""
    text = ROOM.replace("[2.4, 0.6]", "[2.4, 2.4]")  # A1 off the wall
    fac = write_layout(text)
    stopped = np.zeros(fac.n_racks)
    res = ThermalModel(fac, 0, 0.2, rack_flow_scale=stopped).solve()
    assert airless_note(fac, res) == (
        "A1 (20.0 kW), A2 (20.0 kW) move no air (fans stopped, or a front or rear against a "
        "wall): any GPUs in them read at shutdown, and their 40.0 kW is not in the air's heat "
        "balance"
    )
    assert airless_note(fac, res, shown=1).startswith("A1 (20.0 kW) and 1 more move no air")


def test_the_dock_counts_it_apart_and_says_why(write_layout):
    """The Thermal dock's A1 classes count the racks that draw air; the one against the wall
    is counted apart, and the line below names it (it used to count as "outside")."""
    from twin.ui.thermal_panel import summarise

    fac = write_layout(ROOM)
    text = summarise(fac, ThermalModel(fac, 0, 0.2).solve(), set())
    assert "A1 recommended 1, allowable 0, outside 0 racks, 1 drawing no air" in text
    assert "A1 (20.0 kW) moves no air" in text
