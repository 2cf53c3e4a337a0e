"""A case whose room is the layout's but whose loads are not (``twin.cfd.case_loads``): a
rack's power, a rack's airflow, the air supplied or its temperature changed since the run.
Compared in silence before, every such change read as Twin's error; now it is said, by
rack, in the report, its JSON and the window's summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_fields
from twin.cfd import case_loads
from twin.cfd.foam_case import write_case
from twin.cli import main
from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
ROOM = ROOMS / "cold-containment-leaky.yaml"


@pytest.fixture(scope="module")
def desc(tmp_path_factory) -> dict:
    """The contained room's case at 0.3 m as ``twin cfd case`` writes it."""
    return write_case(load_layout(ROOM), tmp_path_factory.mktemp("c") / "case", cell_m=0.3)


def _changes(desc: dict, text: str, tmp_path: Path, failed: tuple[str, ...] = ()) -> str:
    layout = tmp_path / "room.yaml"
    layout.write_text(text)
    fac = load_layout(layout)
    return case_loads.changes(desc, fac, 0, build_grid(fac, 0, 0.2, failed=failed))


def test_the_layout_it_was_written_from_has_no_changes(desc, tmp_path):
    """At Twin's 0.2 m cell, not the case's 0.3 m: the same racks and supply."""
    assert _changes(desc, ROOM.read_text(), tmp_path) == ""


def test_a_racks_power_and_the_supply_temperature_changed_are_named(desc, tmp_path):
    text = (
        ROOM.read_text()
        .replace(
            "{id: A1, position_m: [2.1, 1.8], rotation_deg: 180, load: {power_kw: 25",
            "{id: A1, position_m: [2.1, 1.8], rotation_deg: 180, load: {power_kw: 50",
        )
        .replace("flow_m3s: 15.3, supply_c: 18.0", "flow_m3s: 15.3, supply_c: 20.0")
    )
    assert _changes(desc, text, tmp_path) == (
        "the racks' heat 250.00 -> 275.00 kW (A1 25.00 -> 50.00 kW); its supply temperature "
        "18.00 -> 20.00 C"
    )


def test_airflow_of_many_racks_is_counted_past_the_first_three(desc, tmp_path):
    """Row B at 2.0 m3/s instead of 1.7: five racks, three named; the heat is the power's."""
    text = ROOM.read_text()
    for n in range(1, 6):
        text = text.replace(
            f"{{id: B{n}, position_m: [{1.5 + 0.6 * n:.1f}, 4.2], load: {{power_kw: 25, "
            "airflow_m3s: 1.7}",
            f"{{id: B{n}, position_m: [{1.5 + 0.6 * n:.1f}, 4.2], load: {{power_kw: 25, "
            "airflow_m3s: 2.0}",
        )
    assert text.count("airflow_m3s: 2.0") == 5
    assert _changes(desc, text, tmp_path) == (
        "the racks' airflow 17.00 -> 18.50 m3/s (B1 1.70 -> 2.00 m3/s, B2 1.70 -> 2.00 m3/s, "
        "B3 1.70 -> 2.00 m3/s and 2 more)"
    )


def test_a_change_within_the_cases_rounding_is_none(desc, tmp_path):
    """0.4 % more power on one rack and 0.3 % more air from the tiles (0.05 of 15.3 m3/s;
    the note's threshold is 0.5 %, at least the last digit): not a change."""
    text = (
        ROOM.read_text()
        .replace(
            "{id: A2, position_m: [2.7, 1.8], rotation_deg: 180, load: {power_kw: 25",
            "{id: A2, position_m: [2.7, 1.8], rotation_deg: 180, load: {power_kw: 25.1",
        )
        .replace("flow_m3s: 15.3, supply_c: 18.0", "flow_m3s: 15.35, supply_c: 18.0")
    )
    assert _changes(desc, text, tmp_path) == ""


def test_a_small_supply_changed_in_temperature_is_named(tmp_path):
    """Tiles supplying 0.8 m3/s (under 1 m3/s) at 18 C, now 19 C."""
    small = ROOM.read_text().replace(
        "flow_m3s: 15.3, supply_c: 18.0", "flow_m3s: 0.8, supply_c: 18.0"
    )
    layout = tmp_path / "small.yaml"
    layout.write_text(small)
    desc = write_case(load_layout(layout), tmp_path / "case", cell_m=0.3)
    warmer = small.replace("flow_m3s: 0.8, supply_c: 18.0", "flow_m3s: 0.8, supply_c: 19.0")
    assert _changes(desc, warmer, tmp_path) == "its supply temperature 18.00 -> 19.00 C"


def test_an_air_unit_off_in_twin_is_a_change_of_the_air_supplied(tmp_path):
    """The perimeter room with one of its wall units failed, as a what-if leaves Twin."""
    room = ROOMS / "wall-crah-perimeter.yaml"
    fac = load_layout(room)
    desc = write_case(fac, tmp_path / "case", cell_m=0.3)
    unit = fac.air_unit_ids[0]
    got = _changes(desc, room.read_text(), tmp_path, failed=(unit,))
    was = sum(p["flow_m3s"] for p in desc["patches"] if p["kind"] in ("supply", "unit_out"))
    assert got.startswith(f"the air supplied {was:.2f} -> ")
    assert float(got.split(" -> ")[1].split()[0]) < was


def test_compare_says_the_case_was_run_with_other_loads(desc, tmp_path, capsys):
    """End to end: the case given a result (uniform air), compared with the layout whose
    rack A1 now runs at 50 kW: the report's line, ``source.load_changes`` and the window's
    summary."""
    from twin.ui.cfd_compare import _summary_text

    case = tmp_path / "case"
    fac = load_layout(ROOM)
    write_case(fac, case, cell_m=0.3)
    n = len(np.load(case / "twin_cells.npy"))
    write_fields(case, "800", {"T": np.full(n, 20.0), "U": np.zeros((n, 3))})
    layout = tmp_path / "room.yaml"
    layout.write_text(
        ROOM.read_text().replace(
            "{id: A1, position_m: [2.1, 1.8], rotation_deg: 180, load: {power_kw: 25",
            "{id: A1, position_m: [2.1, 1.8], rotation_deg: 180, load: {power_kw: 50",
        )
    )
    changed = "the racks' heat 250.00 -> 275.00 kW (A1 25.00 -> 50.00 kW)"
    assert main(["cfd", "compare", str(layout), str(case), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["load_changes"] == changed
    assert f"; the case was run with other loads than Twin's now ({changed})" in _summary_text(out)
    assert main(["cfd", "compare", str(layout), str(case)]) == 0
    assert (
        f"{case}: was run with other loads than Twin solves the hall with now: {changed}. Every "
        "figure differs by that too; write and run its case again to compare like with like\n"
    ) in capsys.readouterr().out
    assert main(["cfd", "compare", str(ROOM), str(case), "--json"]) == 0
    assert "load_changes" not in json.loads(capsys.readouterr().out)["source"]


def _power(text: str, rack: str, kw: str) -> str:
    """``text`` with rack ``rack`` (row A, turned) at ``kw``."""
    n = int(rack[1:])
    old = f"{{id: {rack}, position_m: [{1.5 + 0.6 * n:.1f}, 1.8], rotation_deg: 180, load: {{power_kw: 25"
    assert old in text
    return text.replace(old, old.replace("power_kw: 25", f"power_kw: {kw}"))


def test_three_racks_changed_are_all_named_and_none_counted(desc, tmp_path):
    text = ROOM.read_text()
    for rack in ("A1", "A2", "A3"):
        text = _power(text, rack, "30")
    assert _changes(desc, text, tmp_path) == (
        "the racks' heat 250.00 -> 265.00 kW (A1 25.00 -> 30.00 kW, A2 25.00 -> 30.00 kW, "
        "A3 25.00 -> 30.00 kW)"
    )


def test_a_rack_switched_on_from_nothing_is_a_change_past_the_last_digit(tmp_path):
    """A rack at 0 kW in the case: 20 W now is a change (the report's last digit is 10 W),
    5 W is not."""
    off = _power(ROOM.read_text(), "A4", "0")
    layout = tmp_path / "off.yaml"
    layout.write_text(off)
    desc = write_case(load_layout(layout), tmp_path / "case", cell_m=0.3)
    assert _changes(desc, _power(ROOM.read_text(), "A4", "0.02"), tmp_path) == (
        "the racks' heat 225.00 -> 225.02 kW (A4 0.00 -> 0.02 kW)"
    )
    assert _changes(desc, _power(ROOM.read_text(), "A4", "0.005"), tmp_path) == ""


def test_every_unit_off_in_twin_leaves_no_air_supplied_and_no_supply_temperature(tmp_path):
    """The GB200 pod's three fan walls discharge into the room (unit_out patches): with all
    of them failed Twin supplies nothing, so there is no supply temperature to set against
    the case's."""
    pod = Path(__file__).resolve().parents[2] / "layouts" / "gb200-pod.yaml"
    fac = load_layout(pod)
    desc = write_case(fac, tmp_path / "case", cell_m=0.3)
    kinds = {p["kind"] for p in desc["patches"]}
    assert "unit_out" in kinds and "supply" not in kinds
    assert _changes(desc, pod.read_text(), tmp_path) == ""  # its fan walls' air counted
    was = sum(p["flow_m3s"] for p in desc["patches"] if p["kind"] == "unit_out")
    assert _changes(desc, pod.read_text(), tmp_path, failed=tuple(fac.air_unit_ids)) == (
        f"the air supplied {was:.2f} -> 0.00 m3/s"
    )


def test_a_description_without_patches_says_nothing(tmp_path):
    """As the tests' hand-written cases hold: no rack to set against."""
    fac = load_layout(ROOM)
    grid = build_grid(fac, 0, 0.3)
    assert case_loads.changes({"cell_m": 0.3, "hall": "ROOM"}, fac, 0, grid) == ""
