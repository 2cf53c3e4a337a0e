"""The thermal-margin colour mode: values from the frame, unknown without one, and the
render path that draws it."""

from __future__ import annotations

import numpy as np
import pytest
from twin_margin.mode import mode

from twin.api import ColourMode, Frame, facility_from_text

LAYOUT = """
format: twin-layout/1
name: lab
halls: [{id: LAB, size_m: [6, 6, 3]}]
rows:
  - id: A
    hall: LAB
    racks:
      - {id: A01, position_m: [2, 2], servers: [{type: dgx-h100, count: 1}]}
"""


@pytest.fixture
def lab():
    return facility_from_text(LAYOUT, "lab.yaml")


def test_margin_is_slowdown_minus_temperature(lab):
    assert isinstance(mode, ColourMode)
    frame = Frame.empty(0.0, lab.counts())
    frame.gpu["temp_c"][:] = [50, 60, 70, 80, 85, 89, 92, np.nan]
    # H100 slows down at 89 degC (catalog): the margins by hand
    expected = [39, 29, 19, 9, 4, 0, -3, np.nan]
    assert np.allclose(mode.values(lab, frame), expected, equal_nan=True)


def test_no_frame_means_unknown_not_zero(lab):
    assert np.isnan(mode.values(lab, None)).all()
    assert mode.values(lab, None).shape == (8,)


def test_drawn_through_the_scene(lab):
    pv = pytest.importorskip("pyvista")
    from twin.render.colour_modes import apply_mode
    from twin.render.scene import Scene

    frame = Frame.empty(0.0, lab.counts())
    frame.gpu["temp_c"][:] = 79.0
    plotter = pv.Plotter(off_screen=True)
    try:
        scene = Scene(lab, plotter)
        apply_mode(scene, "thermal-margin", frame)
        assert np.allclose(scene._gpu_values, 10.0)  # 89 - 79 on every face of every GPU
    finally:
        plotter.close()
