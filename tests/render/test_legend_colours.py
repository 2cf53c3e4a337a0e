"""Legends that cannot be misread: the rack-inlet scale is red outside ASHRAE A1 allowable on
both sides, and air temperature has a colour map of its own (not the GPUs')."""

from __future__ import annotations

import numpy as np

from twin.render import style
from twin.render.thermal_inlets import A1_ALLOWABLE_C, A1_RECOMMENDED_C, inlet_lookup_table


def _rgb(lut, t):
    c = [0.0, 0.0, 0.0]
    lut.GetColor(float(t), c)
    return np.round(c, 3)


def test_inlet_scale_is_red_outside_allowable_on_both_sides():
    lut = inlet_lookup_table()
    red = _rgb(lut, A1_ALLOWABLE_C[1] + 3)
    assert red[0] > 0.8 and red[1] < 0.35 and red[2] < 0.35
    np.testing.assert_array_equal(_rgb(lut, A1_ALLOWABLE_C[0] - 3), red)
    inside = [_rgb(lut, t) for t in (16.0, 22.0, 30.0)]
    assert all(not np.array_equal(c, red) for c in inside)
    assert not np.array_equal(_rgb(lut, 16.0), _rgb(lut, A1_RECOMMENDED_C[0] + 1))


def test_air_and_gpu_temperatures_use_different_maps():
    assert style.CMAP_AIR != style.CMAP_TEMPERATURE
