"""Legend notes and labels in a real render: the GPU bar's threshold notes ("shutdown 92",
"slowdown 89") lie on the legend's background, and no legend, note or caption shares a pixel
with a label of the 3D view (row, hall and rack labels, "FAILED" tags) however the camera
frames the hall.

The notes are read from the pixels VTK drew (what changes when their text is made
invisible); the labels from what each label actor is given to draw, placed on screen by
VTK's own coordinate transform."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from vtkmodules.vtkRenderingCore import vtkCoordinate

from tests.render.test_thermal_layer import solved  # noqa: F401 (a module fixture)
from twin.model.frame import Frame
from twin.render.legend_boxes import overlap, text_px
from twin.render.overlays import colour_gpus
from twin.render.scene import Scene
from twin.render.thermal_layer import INLETS, SLICE, ThermalLayer

LABEL_LAYERS = ("row_labels", "hall_labels", "rack_labels")


@pytest.fixture
def wide():
    p = pv.Plotter(off_screen=True, window_size=[900, 560])
    yield p
    p.close()


def _thermal_scene(solved, plotter):  # noqa: F811
    """GPUs coloured by temperature from a frame (thresholds noted), the air slice and the
    inlets on: three legends wanted, two shown, and the thermal caption line."""
    f, nominal, _ = solved
    scene = Scene(f, plotter, rack_labels=True)
    frame = Frame.empty(0.0, f.counts())
    frame.gpu["temp_c"] = np.linspace(30, 90, f.n_gpus).astype(np.float32)
    assert colour_gpus(scene, frame, "temp_c")
    lay = ThermalLayer(scene, slice_height_m=1.2, arrow_spacing_m=1.0)
    lay.update(nominal)
    for name in (SLICE, INLETS):
        lay.show(name, True)
    lay.mark_failed([1])  # CRAH-2's "FAILED" tag: a label too
    scene.set_view("iso")
    plotter.screenshot(return_img=True)  # a first render (pyvista's render() waits for one)
    return scene, lay


def _ink(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(row, col) of the pixels that differ between two screenshots, rows from the top."""
    return np.argwhere(np.abs(a[..., :3].astype(int) - b[..., :3].astype(int)).max(axis=2) > 24)


def _inside(pixels: np.ndarray, boxes, height: int) -> np.ndarray:
    """Which pixels (rows from the top) lie in any of ``boxes`` (display px, y up)."""
    x, y = pixels[:, 1] + 0.5, height - pixels[:, 0] - 0.5
    out = np.zeros(len(pixels), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        out |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return out


def test_threshold_notes_lie_on_the_legend_background(solved, wide):  # noqa: F811
    scene, lay = _thermal_scene(solved, wide)
    img = wide.screenshot(return_img=True)
    labels = scene.labels
    assert labels.legends_drawn == [scene.gpu_bar, lay.air_bar]  # at most two by default
    boxes = labels.backdrop.boxes
    assert len(boxes) == 2 and not overlap(*boxes)
    # every legend box and the caption line stand apart
    for i, a in enumerate(labels.legend_boxes):
        for b in labels.legend_boxes[i + 1 :]:
            assert not overlap(a, b), (a, b)
    # the same layout with the notes' text made invisible: what differs is their glyphs
    scene.gpu_bar.GetAnnotationTextProperty().SetOpacity(0.0)
    wide.render()
    plain = wide.screenshot(return_img=True)
    notes = _ink(img, plain)
    assert len(notes) > 100  # the two notes are drawn
    # all of them on the GPU legend's background (the bar's own frame leaves them out)
    assert _inside(notes, boxes[:1], img.shape[0]).all()
    # and that background is drawn there: without the glyphs, the legend's dark blue
    under = plain[notes[:, 0], notes[:, 1], :3].astype(int)
    assert np.median(np.abs(under - [0x15, 0x19, 0x1E]).max(axis=1)) < 20


def _anchor_px(renderer, point) -> tuple[float, float]:
    """A world point on screen by VTK's own coordinate transform (not the culling's)."""
    c = vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    c.SetValue(*point)
    return c.GetComputedDoubleDisplayValue(renderer)


def _pan(plotter, right_m: float, up_m: float) -> None:
    """Move the camera (and what it looks at) sideways and up in the view plane."""
    cam = plotter.camera
    view = np.subtract(cam.focal_point, cam.position)
    up = np.asarray(cam.up, float)
    right = np.cross(view, up)
    right /= np.linalg.norm(right)
    shift = right * right_m + up / np.linalg.norm(up) * up_m
    cam.position = tuple(np.add(cam.position, shift))
    cam.focal_point = tuple(np.add(cam.focal_point, shift))


def _labels_clear_of(scene, plotter, boxes) -> int:
    """Assert that no label drawn now reaches into ``boxes``; the number drawn."""
    dpi = plotter.render_window.GetDPI()
    drawn = 0
    assert set(scene.labels.culled) == {*LABEL_LAYERS, "failed_unit_tags"}
    for culled in scene.labels.culled.values():
        if not culled.actor.GetVisibility():
            continue
        prop = culled.hier.GetTextProperty()
        data = culled.hier.GetInputDataObject(0, 0)  # what the label actor draws now
        texts = data.GetPointData().GetAbstractArray("labels")
        for k in range(data.GetNumberOfPoints()):
            x, y = _anchor_px(plotter.renderer, data.GetPoint(k))
            w, h = text_px(prop, texts.GetValue(k), dpi)
            label = (x - w - 3, y - h - 3, x + w + 3, y + h + 3)  # any justification
            assert not any(overlap(label, b) for b in boxes), (texts.GetValue(k), label)
            drawn += 1
    return drawn


def test_no_label_is_drawn_on_a_legend_or_the_caption(solved, wide):  # noqa: F811
    """The camera swept across the hall at three zooms: wherever a label would fall on a
    legend or the caption it is left out, and it is some of the time."""
    scene, _lay = _thermal_scene(solved, wide)
    home = wide.camera_position
    left_out = drawn = 0
    for zoom in (1.0, 2.0, 3.0):
        for right_m in np.linspace(-5.0, 5.0, 5):
            for up_m in (-2.0, 0.0, 2.0):
                wide.camera_position = home
                wide.camera.zoom(zoom)
                _pan(wide, right_m, up_m)
                wide.render()
                boxes = list(scene.labels.legend_boxes)
                assert len(boxes) == 3  # two bars and the caption line
                drawn += _labels_clear_of(scene, wide, boxes)
                now = sum(int((~c.shown).sum()) for c in scene.labels.culled.values())
                if now and not left_out:  # left out only: with no legends they come back
                    scene.set_visible("legend", False)
                    wide.render()
                    assert all(c.shown.all() for c in scene.labels.culled.values())
                    scene.set_visible("legend", True)
                left_out += now
    assert drawn > 50 and left_out > 5
