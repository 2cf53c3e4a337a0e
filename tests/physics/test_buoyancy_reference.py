"""Buoyancy acts on differences of temperature from the hall's mean air (the Boussinesq
reference the march takes from each heat solve), not on the temperature's level: air at one
temperature throughout lifts nothing, whatever that temperature."""

from __future__ import annotations

import numpy as np

from twin.model.facility import Facility
from twin.physics import ThermalModel

ROOM = """\
format: twin-layout/1
name: a room without heat
halls: [{id: ROOM, size_m: [6.0, 6.0, 3.0]}]
rows:
  - id: A
    hall: ROOM
    racks:
      - {id: A1, position_m: [2.4, 3.0], load: {power_kw: 0.0, delta_t_k: 12}}
cooling:
  supplies:
    - {id: TILES, hall: ROOM, rect_m: [1.8, 1.2, 4.2, 2.4], kind: floor, flow_m3s: 3.0,
       supply_c: 18.0}
  returns:
    - {id: GRILLE, hall: ROOM, rect_m: [1.8, 4.8, 4.2, 6.0], kind: ceiling}
"""


def test_air_at_one_temperature_lifts_nothing_whatever_the_temperature(write_layout):
    """No heat: the room's air is its supply's 18 C (within the heat solves' tolerance, 1e-4
    K), and the buoyant march is the same flow as with 20 C air, within 2e-5 m/s. Measured
    against a fixed 20 C reference instead, the 2 K would push every face alike, and what
    the buoyant steps' three CG iterations leave of that moved the flow by 2-5e-4 m/s."""
    fac = write_layout(ROOM)
    layout = fac.layout.model_copy(deep=True)
    layout.cooling.supplies[0].supply_c = 20.0
    warmer = Facility(layout, fac.catalog, fac.path)
    a = ThermalModel(fac, 0, 0.2).solve()
    b = ThermalModel(warmer, 0, 0.2).solve()
    assert np.nanmax(np.abs(a.air_c - 18.0)) < 1e-3
    assert a.flow.iterations == b.flow.iterations == 64  # marched under buoyancy
    for fa, fb in ((a.flow.u, b.flow.u), (a.flow.v, b.flow.v), (a.flow.w, b.flow.w)):
        assert np.abs(fa - fb).max() < 2e-5
