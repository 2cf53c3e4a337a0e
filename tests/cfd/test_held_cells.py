"""The air behind a rack's rear in a case Twin writes: the case puts the rack's heat one cell
further into the room (``foam_mesh._heat_zones``), so the cell the rear opens into holds the
rack's inlet temperature, not its exhaust. Read back, those cells are left out
(``foam_mesh.held_at_inlet``): compared as they were, they put 13 K strips behind every rack
in the difference slice and doubled the air field's RMS (0.86 -> 2.18 K on the contained
room's real 0.3 m run, ``test_openfoam_run``)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from twin.cfd.foam_mesh import _heat_zones, held_at_inlet
from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "cold-containment-leaky.yaml"
H = 0.2


def _behind_rears(text: str, grid) -> set[tuple[int, int, int]]:
    """The cells behind each rack's rear, from the layout's own figures: racks 0.6 m wide and
    1.2 m deep centred on ``position_m``, row A turned to blow towards -y, row B towards +y,
    over the height the rack fills in the cell next to its rear."""
    out = set()
    for x, y, turned in re.findall(
        r"position_m: \[([\d.]+), ([\d.]+)\](, rotation_deg: 180)?", text
    ):
        x, y = float(x), float(y)
        ii = range(round((x - 0.3) / H), round((x + 0.3) / H))
        j_rack, j_air = (
            (round((y - 0.6) / H), round((y - 0.6) / H) - 1)
            if turned
            else (round((y + 0.6) / H) - 1, round((y + 0.6) / H))
        )
        if not 0 <= j_air < grid.shape[1]:
            continue
        for i in ii:
            for k in range(grid.shape[2]):
                if not grid.fluid[i, j_rack, k] and grid.fluid[i, j_air, k]:
                    out.add((i, j_air, k))
    return out


def _held(grid) -> set[tuple[int, int, int]]:
    return {tuple(int(a) for a in c) for c in np.argwhere(_mask(grid))}


def _mask(grid) -> np.ndarray:
    m = np.zeros(grid.n_cells, bool)
    m[held_at_inlet(grid)] = True
    return m.reshape(grid.shape)


def test_the_cells_held_are_those_behind_every_rack_rear():
    text = ROOM.read_text()
    fac = load_layout(ROOM)
    grid = build_grid(fac, 0, H)
    expected = _behind_rears(text, grid)
    # ten racks, three cells wide, over the racks' 2.2 m in cells
    assert np.all(fac.rack_size_m[:, 2] == 2.2)
    assert len(expected) == 10 * 3 * 11
    assert _held(grid) == expected


def test_the_heat_of_each_rack_goes_into_the_cells_beyond_those_held():
    grid = build_grid(load_layout(ROOM), 0, H)
    cid = np.full(grid.n_cells, -1)
    cid[grid.fluid.ravel()] = np.arange(int(grid.fluid.sum()))
    heated = np.concatenate(list(_heat_zones(grid, cid).values()))
    flat = np.flatnonzero(grid.fluid.ravel())[heated]
    held = held_at_inlet(grid)
    assert len(flat) == len(held) and not np.isin(flat, held).any()
    # each heated cell lies one cell beyond a held one, away from the rack (along y)
    step = grid.shape[2]  # one cell in y, in flat (i, j, k) order
    assert np.isin(flat, np.concatenate([held + step, held - step])).all()


def test_a_rack_with_its_rear_at_the_wall_heats_and_holds_nothing_there(tmp_path):
    """A rear whose first air cell is the last before the wall has no cell beyond it: the
    rack's heat goes into that cell, which is then read as it is."""
    text = ROOM.read_text().replace("position_m: [2.1, 4.2]", "position_m: [2.1, 5.2]")
    path = tmp_path / ROOM.name
    path.write_text(text)
    grid = build_grid(load_layout(path), 0, H)
    held = _held(grid)
    assert not any(j == grid.shape[1] - 1 for _, j, _ in held)  # B1's rear cell, at the wall
    assert held == {c for c in _behind_rears(text, grid) if c[1] != grid.shape[1] - 1}
    assert len(held) == 9 * 3 * 11


def test_compare_leaves_the_held_cells_out_and_says_so(tmp_path, capsys):
    """Twin's own 0.3 m answer written as a case, its held cells at the supply's 18 C as a
    run holds them near a rack's inlet: compared with Twin at 0.3 m, nothing differs but
    them, so the air field agrees exactly once they are left out; the report, its JSON and
    the window's summary say how many were left out and why."""
    import json

    from tests.cfd.cases import write_case
    from twin.cfd.velocity import twin_velocity
    from twin.cli import main
    from twin.physics import solve_steady
    from twin.ui.cfd_compare import _summary_text

    fac = load_layout(ROOM)
    res = solve_steady(fac, 0, 0.3)
    air = res.air_c.copy()
    held = held_at_inlet(res.grid)
    air.reshape(-1)[held] = 18.0
    case = write_case(tmp_path / "case", res, air, twin_velocity(res))
    assert main(["cfd", "compare", str(ROOM), str(case), "--cell", "0.3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["held_at_inlet_cells"] == len(held) == 10 * 2 * 7
    assert out["source"]["coverage"] == 1.0
    # (to the nine digits the case's file holds)
    assert out["field_rms_k"] < 1e-6 and out["rms_k"] < 1e-6
    assert (
        f"; {len(held)} cells behind the rack rears left out (the case holds them at the "
        "rack's inlet temperature)"
    ) in _summary_text(out)
    assert main(["cfd", "compare", str(ROOM), str(case), "--cell", "0.3"]) == 0
    text = capsys.readouterr().out
    assert (
        f"{case}: {len(held)} air cells behind the rack rears are left out: the case holds "
        "them at the rack's inlet temperature (the rack's heat goes in one cell further), "
        "where the room has the rack's exhaust\n"
    ) in text
    assert "covers" not in text  # the held cells are not missing air
