"""A supply region with no cell open to the air (tiles wholly under racks) is refused by name:
it used to be skipped, so its air went nowhere and the hall read 'no air supply (no running
air unit, no supply region with flow)' while the layout's check said it supplied 16 m3/s."""

from __future__ import annotations

import pytest

from twin.physics import GridError, ThermalModel

ROOM = """\
format: twin-layout/1
name: tiles under a rack
halls: [{id: ROOM, size_m: [6.0, 6.0, 3.0]}]
rows:
  - id: A
    hall: ROOM
    racks:
      - {id: A1, position_m: [3.0, 3.0], load: {power_kw: 10.0, delta_t_k: 12}}
cooling:
  supplies:
    - {id: TILES, hall: ROOM, rect_m: [RECT], kind: floor, flow_m3s: 2.0, supply_c: 18.0}
    - {id: SPARE, hall: ROOM, rect_m: [0.6, 0.6, 1.2, 1.2], kind: floor, flow_m3s: 0.5,
       supply_c: 18.0}
  returns:
    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 4.8, 4.2, 6.0], kind: ceiling}
"""


def test_tiles_wholly_under_a_rack_are_refused_by_name(write_layout):
    # A1 (0.6 x 1.2 m, centred at 3.0, 3.0) covers x 2.7-3.3, y 2.4-3.6
    fac = write_layout(ROOM.replace("RECT", "2.8, 2.6, 3.2, 3.4"))
    with pytest.raises(GridError) as e:
        ThermalModel(fac, 0, 0.2)
    assert str(e.value) == (
        "supply TILES: no cell of its floor rectangle [2.8, 2.6, 3.2, 3.4] m is open to the "
        "air at the floor (racks, air units or the hall's edge cover it): it could supply "
        "none; move it or what stands on it"
    )


def test_tiles_partly_under_a_rack_supply_through_the_rest(write_layout):
    fac = write_layout(ROOM.replace("RECT", "2.8, 2.6, 4.0, 3.4"))
    from twin.physics.grid import SUPPLY

    res = ThermalModel(fac, 0, 0.2).solve()
    ports = res.grid.ports
    assert ports.q[ports.kind == SUPPLY].sum() == pytest.approx(2.5)  # both regions' flow
    assert res.energy_error < 1e-5
