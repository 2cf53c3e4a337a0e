"""The inspector shows the selected rack's elevation, GPUs coloured by the metric from the
frame shown, drawn on selection change and cached per rack and frame."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps


def _pixels(label) -> np.ndarray:
    """The drawing at its own size (the label may show it scaled down)."""
    img = label.original.toImage().convertToFormat(label.original.toImage().Format.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h)
    px = buf.reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).astype(int)
    return px[:, : w - 100]  # the drawing, without the legend on the right


def _near(px: np.ndarray, rgb) -> int:
    """How many pixels are within a few levels of colour ``rgb`` (0..1)."""
    target = np.round(np.asarray(rgb[:3]) * 255)
    return int((np.abs(px - target).max(axis=2) <= 6).sum())


def _frame(f, temp_c: float, t: float):
    from twin.model.frame import Frame

    fr = Frame.empty(t, f.counts())
    fr.gpu["temp_c"] = np.full(f.n_gpus, temp_c, np.float32)
    return fr


def test_selected_rack_shows_its_elevation_in_the_metric_colours(opened, qtbot):
    win = opened
    f = win.facility
    el = win.extensions["inspector_elevation"]
    scale = __import__("twin.model.metrics", fromlist=["gpu_metric"]).gpu_metric("temp_c")
    lo, hi = scale.scale(f).clim
    cmap = colormaps[scale.scale(f).cmap]
    assert not el.panel.isVisible()

    win.show_frame(_frame(f, hi, 1.8e9))
    g = int(np.flatnonzero(f.gpu_rack == f.gpu_rack[0])[0])
    rack = int(f.gpu_rack[g])
    win.select("gpu", g)  # a GPU selects its rack's elevation
    qtbot.waitUntil(lambda: el.panel.isVisible(), timeout=10000)
    assert el.rack == rack and f.rack_ids[rack] in el.caption.text()
    hot = _pixels(el.image)
    n_gpus = int((f.gpu_rack == rack).sum())
    assert _near(hot, cmap(1.0)) > 10 * n_gpus  # front and rear boxes, several px each
    assert _near(hot, cmap(0.0)) == 0

    win.show_frame(_frame(f, lo, 1.8e9 + 1))
    assert el.renders == 1  # frames alone do not redraw
    el.refresh()
    cold = _pixels(el.image)
    assert _near(cold, cmap(0.0)) > 10 * n_gpus and _near(cold, cmap(1.0)) == 0
    assert el.renders == 2

    # another rack, then back: the first is drawn again only if its frame changed
    other = next(r for r in range(f.n_racks) if r != rack and (f.gpu_rack == r).any())
    win.select("rack", other)
    qtbot.waitUntil(lambda: el.rack == other and el.renders == 3, timeout=10000)
    win.select("server", int(np.flatnonzero(f.server_rack == rack)[0]))
    qtbot.waitUntil(lambda: el.rack == rack, timeout=10000)
    qtbot.wait(50)
    assert el.renders == 3  # from the cache

    win.select("row", 0)
    assert not el.panel.isVisible()
