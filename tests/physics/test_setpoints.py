"""The set-point optimiser: what it returns holds when the hall is solved again from scratch
(normal operation and every declared air-unit failure), and a hall without headroom is left
alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics import solve_steady
from twin.physics.energy import EnergyModel
from twin.physics.setpoints import Limits, SetPointOptimiser, as_edit

CELL_M = 0.25


def room(tmp_path: Path, supply_c: float = 18.0, rack_kw: float = 12.0) -> Path:
    """Two rows of four racks (one a DGX H100 rack of one server) round a cold aisle of tiles
    fed by three underfloor CRAHs (N+1), ceiling return grilles over the hot aisles."""
    lines = [
        "format: twin-layout/1",
        "name: setpoint room",
        "cooling_redundancy: N+1",
        "halls: [{id: H, size_m: [8.4, 7.2, 3.0]}]",
        "rows:",
        "  - id: A",
        "    hall: H",
        "    racks:",
        "      - {id: A0, position_m: [3.3, 2.4], rotation_deg: 180,"
        " servers: [{type: dgx-h100, count: 1}]}",
    ]
    for i in range(1, 4):
        lines.append(
            f"      - {{id: A{i}, position_m: [{3.3 + 0.6 * i:.1f}, 2.4], rotation_deg: 180, "
            f"load: {{power_kw: {rack_kw}, airflow_m3s: 0.8}}}}"
        )
    lines += ["  - id: B", "    hall: H", "    racks:"]
    for i in range(4):
        lines.append(
            f"      - {{id: B{i}, position_m: [{3.3 + 0.6 * i:.1f}, 4.8], "
            f"load: {{power_kw: {rack_kw}, airflow_m3s: 0.8}}}}"
        )
    lines += [
        "cooling:",
        "  air_units:",
        f"    - {{id: C1, type: crah-77kw, hall: H, position_m: [1.5, 0.45], rotation_deg: 180,"
        f" supply_c: {supply_c}, airflow_m3s: 3.0}}",
        f"    - {{id: C2, type: crah-77kw, hall: H, position_m: [6.9, 0.45], rotation_deg: 180,"
        f" supply_c: {supply_c}, airflow_m3s: 3.0}}",
        f"    - {{id: C3, type: crah-77kw, hall: H, position_m: [4.2, 6.75], supply_c: {supply_c},"
        " airflow_m3s: 3.0}",
        "  supplies:",
        "    - {id: T, hall: H, rect_m: [3.0, 3.0, 5.4, 4.2], open_fraction: 0.5}",
        "  returns:",
        "    - {id: RA, hall: H, rect_m: [3.0, 0.9, 5.4, 1.5]}",
        "    - {id: RB, hall: H, rect_m: [3.0, 5.7, 5.4, 6.3]}",
    ]
    path = tmp_path / "room.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _resolve_independently(fac, limits: Limits) -> list[tuple[str, float, float]]:
    """(case, hottest rack inlet, smallest GPU margin) of the hall solved from scratch: normal
    operation and each unit failed with the others at their catalog flow."""
    rated = np.array([fac.catalog[u.type].airflow_m3s for u in fac.layout.cooling.air_units])
    out = []
    res = solve_steady(fac, 0, CELL_M)
    margin = fac.gpu_max_operating_c - limits.gpu_margin_k - res.gpu_temp_c
    out.append(("normal", float(np.nanmax(res.rack_inlet_max_c)), float(margin.min())))
    scale = np.clip(rated / fac.air_unit_airflow_m3s, 0, 1.5)
    for uid in fac.air_unit_ids:
        res = solve_steady(fac, 0, CELL_M, failed=[uid], unit_flow_scale=scale)
        margin = fac.gpu_max_operating_c - limits.failure_gpu_margin_k - res.gpu_temp_c
        out.append((uid, float(np.nanmax(res.rack_inlet_max_c)), float(margin.min())))
    return out


@pytest.mark.slow
def test_optimised_set_points_hold_when_solved_again(tmp_path: Path):
    fac = load_layout(room(tmp_path))
    limits = Limits()
    result = SetPointOptimiser(fac, CELL_M, limits).run()
    hall = result.halls[0]
    assert hall.changed
    assert np.all(hall.supply_after_c > hall.supply_before_c)  # there was room to run warmer
    assert result.saved_w > 0
    assert result.after.pue < result.before.pue
    # one failure solve per unit, the search, the check: a handful
    assert 1 + 3 + 1 <= result.solves <= 1 + 3 + limits.speed_solves + 3 * 4
    for case, inlet_c, gpu_margin_k in _resolve_independently(result.facility_after, limits):
        limit = limits.inlet_max_c if case == "normal" else limits.failure_inlet_max_c
        assert inlet_c <= limit, case
        assert gpu_margin_k >= 0, case
    # the set points are the layout's after the edit, and the reported energy is theirs
    fac_after = result.facility_after
    assert fac_after.air_unit_supply_c.tolist() == hall.supply_after_c.tolist()
    assert fac_after.air_unit_airflow_m3s.tolist() == hall.flow_after_m3s.tolist()
    assert EnergyModel(fac_after).breakdown().total_w == pytest.approx(result.after.total_w)


@pytest.mark.slow
def test_a_user_limit_is_kept_too(tmp_path: Path):
    fac = load_layout(room(tmp_path))
    hottest = float(np.nanmax(solve_steady(fac, 0, CELL_M).rack_inlet_max_c))
    limits = Limits(inlet_max_c=hottest + 1.5, failure_inlet_max_c=hottest + 3.0, gpu_margin_k=10)
    result = SetPointOptimiser(fac, CELL_M, limits).run()
    assert result.halls[0].changed
    for case, inlet_c, gpu_margin_k in _resolve_independently(result.facility_after, limits):
        assert inlet_c <= (limits.inlet_max_c if case == "normal" else hottest + 3.0), case
        assert gpu_margin_k >= 0, case


@pytest.mark.slow
def test_a_hall_without_headroom_is_left_alone(tmp_path: Path):
    fac = load_layout(room(tmp_path))
    hottest = float(np.nanmax(solve_steady(fac, 0, CELL_M).rack_inlet_max_c))
    limits = Limits(inlet_max_c=hottest - 0.05)  # already (just) over the user's limit
    result = SetPointOptimiser(fac, CELL_M, limits).run()
    hall = result.halls[0]
    assert not hall.changed
    assert "no headroom" in hall.binding
    assert result.changes() == [] and as_edit(result) is None
    assert result.saved_w == pytest.approx(0.0, abs=1e-9)
    assert result.solves == 1 + 3  # the hall as it is and its three failures: no search


@pytest.mark.slow
def test_the_edit_applies_and_undoes(tmp_path: Path):
    from twin.model.document import LayoutDocument

    path = room(tmp_path)
    fac = load_layout(path)
    result = SetPointOptimiser(fac, CELL_M).run()
    doc = LayoutDocument.open(path)
    doc.history.push(as_edit(result))
    assert doc.facility.air_unit_supply_c.tolist() == result.halls[0].supply_after_c.tolist()
    doc.history.undo()
    assert doc.facility.air_unit_supply_c.tolist() == [18.0, 18.0, 18.0]


LIQUID_ROOM = """\
format: twin-layout/1
name: liquid room
halls: [{id: H, size_m: [7.2, 6.0, 3.0]}]
rows:
  - id: L
    hall: H
    racks:
      - {id: L1, type: rack-nvl72, position_m: [3.3, 2.4], rotation_deg: 180,
         servers: [{type: gb200-nvl72, count: 1}], cdu: CDU1}
cooling:
  air_units: [{id: C1, type: crah-150kw, hall: H, position_m: [3.6, 5.55], discharge: front}]
  cdus: [{id: CDU1, type: cdu-inrow-250kw, hall: H, position_m: [4.5, 2.4], rotation_deg: 180,
          supply_c: 25}]
"""


@pytest.mark.slow
def test_cdu_supply_rises_to_the_gpu_limit(tmp_path: Path):
    path = tmp_path / "liquid.yaml"
    path.write_text(LIQUID_ROOM)
    fac = load_layout(path)
    limits = Limits()
    base = solve_steady(fac, 0, CELL_M)
    liquid = fac.gpu_liquid
    # a liquid GPU sits at CDU supply + r_th P: the supply can rise by the smallest headroom
    headroom = float(np.min((fac.gpu_max_operating_c - 5.0 - base.gpu_temp_c)[liquid]))
    want = min(25.0 + np.floor(headroom * 10 + 1e-6) / 10, limits.cdu_supply_max_c)
    result = SetPointOptimiser(fac, CELL_M, limits).run()
    assert result.halls[0].cdu_supply_after_c.tolist() == [pytest.approx(want)]
    again = solve_steady(result.facility_after, 0, CELL_M)
    assert np.all(again.gpu_temp_c[liquid] <= fac.gpu_max_operating_c[liquid] - 5.0)
    # warmer air and water: the plant's chillers work less
    assert result.after.chillers_w < result.before.chillers_w
