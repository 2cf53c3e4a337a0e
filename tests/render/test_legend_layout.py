"""Legends: every colour bar has a background, at most two show by default (the GPU metric and
the thermal overlay), and the boxes of those shown never meet each other or the link key."""

from __future__ import annotations

import numpy as np
import pytest

from tests.render.test_thermal_layer import solved  # noqa: F401 (a module fixture)
from twin.render import legend_layout
from twin.render.legend_layout import stack
from twin.render.scene import Scene
from twin.render.thermal_layer import INLETS, SLICE, ThermalLayer


def _box_px(bar, renderer) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a bar's frame in pixels with its title above, as drawn."""
    w, h = renderer.GetSize()
    x, y = bar.GetPosition()
    bw = min(bar.GetWidth() * w, bar.GetMaximumWidthInPixels())
    bh = min(bar.GetHeight() * h, bar.GetMaximumHeightInPixels())
    return x * w, y * h, x * w + bw, y * h + bh + legend_layout.TITLE_PX


def _meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture
def busy(solved, plotter):  # noqa: F811
    """GPU values, a rack colouring, the air slice, the inlets and the power-link key at once."""
    f, nominal, _ = solved
    scene = Scene(f, plotter)
    lay = ThermalLayer(scene, slice_height_m=1.2, arrow_spacing_m=1.0)
    lay.update(nominal)
    scene.set_gpu_values(np.linspace(30, 80, f.n_gpus), "GPU temperature (°C)", (20, 95), "turbo")
    scene.set_rack_values(f.rack_power_w / 1e3, "Rack power (kW)", None, "viridis")
    for name in (SLICE, INLETS):
        lay.show(name, True)
    scene.set_visible("power_links", True)
    return scene, lay


def test_two_legends_by_default_with_backgrounds_apart(busy, plotter):
    scene, lay = busy
    bars = [scene.gpu_bar, scene.rack_bar, lay.air_bar, lay.inlet_bar]
    assert all(b.GetVisibility() for b in bars)  # all four are wanted
    img = plotter.screenshot(return_img=True)
    drawn = scene.labels.legends_drawn
    assert drawn == [scene.gpu_bar, lay.air_bar]  # the GPU metric and the air slice
    assert all(b.GetVisibility() for b in bars)  # what each overlay wants is kept
    # one background per legend shown, drawn by the scene's backdrop (notes included)
    assert len(scene.labels.backdrop.boxes) == len(drawn)
    assert scene.labels.backdrop.fill.GetProperty().GetOpacity() > 0.5
    boxes = [_box_px(b, plotter.renderer) for b in drawn]
    assert not _meet(*boxes)
    # the background is drawn: a strip inside the box, left of the labels, is the legend's
    # dark colour, not the view behind it (seen with the legends off)
    x0, y0, x1, y1 = (int(v) for v in boxes[0])
    y1 -= legend_layout.TITLE_PX
    h = img.shape[0]
    strip = (slice(h - y1 + 4, h - y0 - 4), slice(x0 + 1, x0 + 4))
    scene.set_visible("legend", False)
    lay.show(SLICE, True)  # the thermal legend follows the scene's legend layer
    plotter.render()
    bare = plotter.screenshot(return_img=True)
    dark = np.array([0x15, 0x19, 0x1E])
    with_bg = np.abs(img[strip][..., :3].astype(int) - dark).mean()
    without = np.abs(bare[strip][..., :3].astype(int) - dark).mean()
    assert with_bg < 15 < without


def test_show_all_stacks_without_overlap(busy, plotter):
    scene, lay = busy
    scene.labels.legend_limit = 8
    plotter.screenshot(return_img=True)
    drawn = scene.labels.legends_drawn
    assert len(drawn) == 4
    boxes = [_box_px(b, plotter.renderer) for b in drawn]
    for i in range(4):
        for j in range(i + 1, 4):
            assert not _meet(boxes[i], boxes[j]), (i, j, boxes)
    # the link key (three lines, bottom left) stays clear of the left stack
    w, h = plotter.renderer.GetSize()
    key_top = (legend_layout.KEY_ENTRY_H * 3 + legend_layout.KEY_PAD_H) * h
    for b, box in zip(drawn, boxes, strict=True):
        if b.GetPosition()[0] < 0.5:
            assert box[1] > key_top


def test_stack_by_hand():
    # two bars of at most 0.38 in the band 0.93..0.04: both full height, GAP apart
    (y1, h1), (y2, h2) = stack(2, 0.93, 0.04, [0.38, 0.38], legend_layout.GAP)
    assert (h1, h2) == (0.38, 0.38)
    assert y1 == pytest.approx(0.55) and y2 + h2 == pytest.approx(y1 - legend_layout.GAP)
    # three share the band equally
    places = stack(3, 0.93, 0.04, [0.38] * 3)
    share = (0.89 - 2 * legend_layout.GAP) / 3
    assert [h for _, h in places] == pytest.approx([share] * 3)
    assert places[-1][0] == pytest.approx(0.04)
