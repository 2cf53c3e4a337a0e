"""Halls with nothing to solve: racks and no air supply at all (no air unit, no supply with a
flow: no steady state), and a hall with no racks. The design check and the set-point
optimiser met the first with a traceback (``ThermalError`` out of ``twin validate --design
--thermal`` and ``twin energy --optimise``) and printed "limited by " for the second."""

from __future__ import annotations

import json

from tests.test_energy_cli import ROOMY
from twin.cli import main

NO_COOLING = ROOMY.split("cooling:")[0]
NO_RACKS = """\
format: twin-layout/1
name: empty hall
halls: [{id: H, size_m: [7.2, 6.0, 3.0]}]
rows: []
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H, position_m: [5.8, 0.45], rotation_deg: 180}]
"""
NO_SUPPLY = (
    "hall 'H' has no air supply (no running air unit, no supply region with flow): it has no "
    "steady state, its air warms without end"
)


def test_the_design_check_gives_a_hall_with_no_air_supply_one_error(tmp_path, capsys):
    path = tmp_path / "nocool.yaml"
    path.write_text(NO_COOLING)
    assert main(["validate", "--design", "--thermal", "--cell", "0.4", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{path}:1: cooling.air_units: error: {NO_SUPPLY}" in err
    assert not any("Traceback" in line for line in err)


def test_the_optimiser_leaves_a_hall_it_cannot_solve_as_it_is(tmp_path, capsys):
    for name, text, why, solves in (
        ("nocool", NO_COOLING, f"nothing solved: {NO_SUPPLY.replace(chr(39), '')}", 1),
        ("empty", NO_RACKS, "nothing to keep within limits: no racks", 0),
    ):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        assert main(["energy", str(path), "--optimise", "--cell", "0.4", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        (hall,) = out["halls"]
        assert (hall["changed"], hall["limited_by"], hall["solves"]) == (False, why, solves)
        assert out["saved_kw"] == 0.0 and out["solves"] == solves
        assert main(["energy", str(path), "--optimise", "--cell", "0.4"]) == 0
        text_out = capsys.readouterr().out
        assert f"  limited by {why}\n" in text_out and "saved 0.0 kW" in text_out


def test_a_failed_solve_is_the_hall_s_one_violation():
    """Its kind, items and field are those of the hall's other air-side errors, so Problems
    and the 3D view highlight the hall and the editor jumps to its air units."""
    from twin.model.loader import facility_from_text
    from twin.physics import ThermalError
    from twin.physics.thermal_checks import solve_failure

    fac = facility_from_text(NO_COOLING, "nocool.yaml")
    v = solve_failure(fac, 0, ThermalError("hall H has no air supply (...)"))
    assert (v.kind, v.severity, v.message, v.items, v.field) == (
        "thermal-air-unit",
        "error",
        "hall 'H' has no air supply (...)",
        ("H",),
        "cooling.air_units",
    )
    other = solve_failure(fac, 0, ThermalError("grid of 0 cells"))  # not naming the hall
    assert other.message == "hall 'H': grid of 0 cells"
    colon = solve_failure(fac, 0, ThermalError("hall H: no steady state: x"))
    assert colon.message == "hall 'H': no steady state: x"
    # another hall's name, or one this hall's begins with, is not this hall's
    for said in ("hall HX has no air supply", "hall G: no steady state"):
        assert solve_failure(fac, 0, ThermalError(said)).message == f"hall 'H': {said}"


TWO_HALLS = """\
format: twin-layout/1
name: two halls
halls:
  - {id: H, size_m: [7.2, 6.0, 3.0]}
  - {id: G, size_m: [7.2, 6.0, 3.0], origin_m: [20, 0]}
rows:
  - id: A
    hall: H
    racks:
      - {id: A1, position_m: [3.0, 2.1], load: {power_kw: 10, airflow_m3s: 0.7}}
      - {id: A2, position_m: [3.6, 2.1], load: {power_kw: 10, airflow_m3s: 0.7}}
cooling:
  air_units:
    - {id: C-H, type: crah-77kw, hall: H, position_m: [5.8, 0.45], state: off}
    - {id: C-G, type: crah-77kw, hall: G, position_m: [5.8, 0.45]}
  cdus:
    - {id: CDU-H, type: cdu-row-1300kw, hall: H, position_m: [0.6, 5.0]}
"""


def test_a_hall_left_as_it_is_reads_its_own_units_racks_and_set_points():
    """H: racks, its one air unit off and a CDU (nothing solved); G: a running unit and no
    racks (nothing to keep within limits). Each is reported with its own items, unchanged."""
    import math

    import numpy as np

    from twin.model.loader import facility_from_text
    from twin.physics.setpoints import SetPointOptimiser

    fac = facility_from_text(TWO_HALLS, "two.yaml")
    opt = SetPointOptimiser(fac, cell_m=0.4)
    h, again, g = opt.run([0, 0, 1]).halls  # H twice: each reports its own one solve
    assert (h.hall, h.air_units, h.racks, h.cdus) == ("H", [], ["A1", "A2"], ["CDU-H"])
    assert h.binding.startswith("nothing solved: hall H has no air supply")
    assert (h.solves, again.solves, opt.solves) == (1, 1, 2)
    assert h.inlet_before_c.shape == h.inlet_after_c.shape == (2,)
    assert np.isnan(h.inlet_before_c).all() and np.isnan(h.inlet_after_c).all()
    assert math.isnan(h.gpu_max_before_c) and math.isnan(h.gpu_max_after_c)
    cdu_c = fac.cdu_supply_c[fac.cdu_index["CDU-H"]]
    assert h.cdu_supply_before_c.tolist() == h.cdu_supply_after_c.tolist() == [cdu_c]
    assert not h.changed and h.inlet_after_c is not h.inlet_before_c
    assert (g.hall, g.air_units, g.racks, g.cdus, g.solves) == ("G", ["C-G"], [], [], 0)
    assert g.binding == "nothing to keep within limits: no racks"
    c = fac.air_unit_index["C-G"]
    assert g.supply_after_c.tolist() == [fac.air_unit_supply_c[c]]
    assert g.flow_after_m3s.tolist() == [fac.air_unit_airflow_m3s[c]] and not g.changed
