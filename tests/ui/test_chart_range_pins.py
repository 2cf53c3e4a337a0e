"""The Charts dock as Grafana users expect it, in a real window (Xvfb): zooming or panning a
chart's time axis shows the same range as a band on the timeline (one ``view.time_range``),
a scrub outside it pans it along, a double-click or View › Chart › Fit brings back the whole
span; several racks pinned on one chart each draw their own recorded (or live) history."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from twin.cli import main

pytestmark = pytest.mark.gui


@pytest.fixture
def recording(small_layout, tmp_path):
    """60 s of the small hall at 1 Hz (its CRAH trips at +20 s)."""
    out = tmp_path / "run.h5"
    args = ["simulate", str(small_layout), "--scenario", "crah-trip", "--duration", "60s"]
    assert main([*args, "--fail-at", "20s", "--seed", "3", "-o", str(out), "-q"]) == 0
    return out


@pytest.fixture
def replaying(opened, qtbot, recording):
    rp = opened.extensions["replay"]
    # room for the plots: the zoom and drag below land in a plot's data area
    opened.resize(1400, 1000)
    rp.charts_dock.raise_()  # the Charts tab in front of the Inspector and Events tabs
    opened.resizeDocks([rp.charts_dock], [480], Qt.Orientation.Vertical)
    assert rp.open_recording(recording, autoplay=False)
    rec = opened.source.recording
    qtbot.waitUntil(lambda: opened.last_frame is not None, timeout=5000)
    return opened, rp, rec


def _plot_centre(charts, k=0) -> QPoint:
    """Viewport pixel at the centre of plot ``k``'s data area."""
    rect = charts.plots[k].getViewBox().sceneBoundingRect()
    return charts.graphics.mapFromScene(rect.center())


def _wheel(charts, pos: QPoint, clicks: int) -> None:
    """Real wheel turns over the chart (positive: zoom in)."""
    vp = charts.graphics.viewport()
    ev = QWheelEvent(
        QPointF(pos),
        QPointF(vp.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, 120 * clicks),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(vp, ev)


def _send(charts, kind, pos: QPoint, buttons) -> None:
    vp = charts.graphics.viewport()
    ev = QMouseEvent(
        kind,
        QPointF(pos),
        QPointF(vp.mapToGlobal(pos)),
        Qt.MouseButton.LeftButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, ev)


def _double_click(charts, pos: QPoint) -> None:
    """What a double-click delivers: press, release, double-click, release."""
    held, free = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, held),
        (QEvent.Type.MouseButtonRelease, free),
        (QEvent.Type.MouseButtonDblClick, held),
        (QEvent.Type.MouseButtonRelease, free),
    ):
        _send(charts, kind, pos, buttons)


def _drag(charts, start: QPoint, end: QPoint, qtbot) -> None:
    """A left-button drag across the chart's viewport (pans the time axis)."""

    def send(kind, pos, buttons):
        _send(charts, kind, pos, buttons)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, start, held)
    for u in np.linspace(0.0, 1.0, 8):
        p = QPoint(round(start.x() + u * (end.x() - start.x())), start.y())
        send(QEvent.Type.MouseMove, p, held)
        qtbot.wait(5)
    send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def _shows_whole_span(charts, rec, qtbot) -> None:
    """The plots (once drawn) show the whole recording and no more than its padding."""

    def whole() -> bool:
        t0, t1 = charts.shown_time_range()
        pad = 0.15 * (rec.end_s - rec.start_s)  # the plots pad their data range
        return rec.start_s - pad <= t0 <= rec.start_s and rec.end_s <= t1 <= rec.end_s + pad

    qtbot.waitUntil(whole, timeout=3000)


def test_chart_zoom_and_pan_stay_in_step_with_the_timeline(replaying, qtbot):
    win, rp, rec = replaying
    charts, scrub, view = rp.charts, rp.timeline.scrubber, win.view
    win.select_id("A01")
    qtbot.waitUntil(lambda: charts.n_points() > 0, timeout=5000)
    qtbot.waitUntil(
        lambda: charts.plots[0].getViewBox().sceneBoundingRect().height() > 40, timeout=3000
    )
    assert view.time_range is None and scrub.band is None
    # nothing zoomed: the chart shows the whole recording
    _shows_whole_span(charts, rec, qtbot)

    # zoom in with the wheel over the inlet plot: one range, in the view state, the chart
    # and the timeline's band
    _wheel(charts, _plot_centre(charts), 3)
    assert view.time_range is not None
    z0, z1 = view.time_range
    assert z1 - z0 < 0.9 * (rec.end_s - rec.start_s)
    assert charts.shown_time_range() == pytest.approx((z0, z1), abs=1e-6)
    assert all(p.viewRange()[0] == pytest.approx([z0, z1], abs=1e-6) for p in charts.plots)
    assert scrub.band == pytest.approx((z0, z1))
    band = scrub.band_rect()
    assert band.left() == pytest.approx(scrub.x_of(z0)) and band.width() < 0.9 * (
        scrub.x_of(rec.end_s) - scrub.x_of(rec.start_s)
    )
    assert rp.chart_controls.act_fit.isEnabled()

    # drag to pan: same width, moved, and the band follows
    c = _plot_centre(charts)
    _drag(charts, c, QPoint(c.x() + 60, c.y()), qtbot)
    p0, p1 = view.time_range
    assert p1 - p0 == pytest.approx(z1 - z0, rel=1e-6)
    assert p0 < z0 - 0.5  # dragging right shows earlier time
    assert scrub.band == pytest.approx((p0, p1))
    assert charts.shown_time_range() == pytest.approx((p0, p1), abs=1e-6)

    # a real click on the scrubber past the zoomed range: the chart pans, same width, to
    # keep the cursor in view
    width = p1 - p0
    target = min(p1 + width, rec.end_s - width / 2 - 1)
    x = round(scrub.x_of(target))
    QTest.mouseClick(scrub, Qt.MouseButton.LeftButton, pos=QPoint(x, scrub.height() // 2))
    t = win.source.position_s
    assert t > p1
    n0, n1 = view.time_range
    assert n1 - n0 == pytest.approx(width, rel=1e-6)
    assert n0 <= t <= n1 and n0 > p0
    assert charts.shown_time_range() == pytest.approx((n0, n1), abs=1e-6)
    assert scrub.band == pytest.approx((n0, n1))
    # a seek inside the range leaves it alone
    rp.seek((n0 + n1) / 2)
    assert view.time_range == (n0, n1)
    # playing past the range's end pans it along too
    rp.set_speed(25)
    rp.toggle_play()
    qtbot.waitUntil(lambda: win.last_frame.time_s > n1 + 0.5, timeout=5000)
    rp.toggle_play()
    qtbot.waitUntil(lambda: not win.source.playing, timeout=2000)
    qtbot.wait(100)
    n0, n1 = view.time_range
    assert n1 - n0 == pytest.approx(width, rel=1e-6)
    assert n0 <= win.last_frame.time_s <= n1
    # the chart keeps the range when it reloads (another rack)
    win.select_id("A02")
    assert charts.shown_time_range() == pytest.approx((n0, n1), abs=1e-6)

    # double-click in a plot: both back to the whole span
    _double_click(charts, _plot_centre(charts, 1))
    qtbot.waitUntil(lambda: view.time_range is None, timeout=2000)
    assert scrub.band is None and scrub.band_rect() is None
    _shows_whole_span(charts, rec, qtbot)
    # and View › Chart › Fit does the same after another zoom
    _wheel(charts, _plot_centre(charts), 2)
    assert view.time_range is not None and scrub.band is not None
    win.action_registry.actions["view.chart_fit"].trigger()
    assert view.time_range is None and scrub.band is None
    _shows_whole_span(charts, rec, qtbot)


def _rack_history(rec, rack: int, metric: str) -> np.ndarray:
    """One rack's recorded values frame by frame (not through ``history``)."""
    return np.array([rec.frame(i).rack[metric][rack] for i in range(rec.n_frames)])


def _lines(charts, title: str) -> dict:
    panel = next(p for p in charts.panels if p.title == title)
    return {line.label: line for line in panel.lines}


def test_pinned_racks_share_the_chart(replaying, qtbot):
    win, rp, rec = replaying
    charts, fac = rp.charts, win.facility
    a01, a02, a03 = (fac.rack_index[r] for r in ("A01", "A02", "A03"))
    pin = win.action_registry.actions["view.chart_pin"]
    win.select_id("A01")
    assert pin.isEnabled()
    pin.trigger()
    assert not pin.isEnabled()  # already on the chart
    # the selection moves on: A01 stays, A02 joins, each its own line with its own data
    win.select_id("A02")
    inlet = _lines(charts, "Inlet")
    assert list(inlet) == ["A01", "A02"]
    for name, rack in (("A01", a01), ("A02", a02)):
        np.testing.assert_array_equal(inlet[name].times, rec.times)
        np.testing.assert_allclose(inlet[name].values, _rack_history(rec, rack, "inlet_c"))
        power = _lines(charts, "Power")[name]
        np.testing.assert_allclose(power.values, _rack_history(rec, rack, "power_w") * 1e-3)
    assert not np.allclose(inlet["A01"].values, inlet["A02"].values)
    assert inlet["A01"].colour != inlet["A02"].colour
    assert len(charts.curves[0]) == 2
    # the legend above the plot and the read-out name the items
    assert "A01" in charts.plots[0].titleLabel.text and "A02" in charts.plots[0].titleLabel.text
    text = charts.readout_at(rec.times[10])
    assert f"Inlet A01 {_rack_history(rec, a01, 'inlet_c')[10]:,.1f} °C" in text
    assert f"Inlet A02 {_rack_history(rec, a02, 'inlet_c')[10]:,.1f} °C" in text
    # the A1 limits are drawn once, on the inlet only
    assert [r[1] for r in charts.panels[0].refs] == ["A1 recommended", "A1 allowable"]
    assert "A01 (pinned)" in charts.title.text()

    # a GPU is charted alone; the pinned rack waits for a rack
    win.select("gpu", 0)
    assert list(_lines(charts, "Temperature")) == ["GPU", "HBM"]
    assert "pinned rack" in charts.title.text()
    win.select_id("A03")
    assert list(_lines(charts, "Inlet")) == ["A01", "A03"]
    np.testing.assert_allclose(
        _lines(charts, "Inlet")["A03"].values, _rack_history(rec, a03, "inlet_c")
    )
    # the context menu unpins one item
    menu = rp.chart_controls.context_menu()
    unpin = next(a for a in menu.actions() if a.text() == "Unpin rack A01")
    unpin.trigger()
    assert list(_lines(charts, "Inlet")) == ["Inlet"]  # A03 alone, as a single-item chart
    assert not win.action_registry.actions["view.chart_unpin_all"].isEnabled()

    # Ctrl+click adds: the previous selection and the new one both stay
    b01 = fac.rack_index["B01"]
    tree = win.tree
    proxy = tree.proxy.mapFromSource(tree._items[("rack", b01)].index())
    tree.view.scrollTo(proxy)
    rect = tree.view.visualRect(proxy)
    QTest.mouseClick(
        tree.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rect.center(),
    )
    assert win.selection == ("rack", b01)
    assert rp.feed.pinned == [("rack", a03), ("rack", b01)]
    win.select_id("A01")
    assert list(_lines(charts, "Inlet")) == ["A03", "B01", "A01"]
    # Unpin All: the selection alone again
    win.action_registry.actions["view.chart_unpin_all"].trigger()
    assert rp.feed.pinned == [] and len(charts.panels[0].lines) == 1


def test_pinned_racks_chart_live_frames(opened, qtbot):
    win = opened
    rp = win.extensions["replay"]
    assert rp.start_source("simulated", scenario="normal", speed=20.0, physics=False)
    fac = win.facility
    a01, b02 = fac.rack_index["A01"], fac.rack_index["B02"]
    win.select_id("A01")
    win.action_registry.actions["view.chart_pin"].trigger()
    win.select_id("B02")
    qtbot.waitUntil(lambda: len(rp.feed.live_frames) >= 4, timeout=10000)
    rp.feed.reload()
    frames = list(rp.feed.live_frames)
    inlet = _lines(rp.charts, "Inlet")
    assert list(inlet) == ["A01", "B02"]
    for name, rack in (("A01", a01), ("B02", b02)):
        np.testing.assert_array_equal(inlet[name].times, [f.time_s for f in frames])
        np.testing.assert_allclose(inlet[name].values, [f.rack["inlet_c"][rack] for f in frames])
    assert "last frames" in rp.charts.title.text()


def test_two_units_tell_items_by_colour_and_lines_by_dash(small_layout):
    """An air unit has supply and return on one panel: merged, each unit keeps one colour
    for both and each metric one dash for both units."""
    from twin.model.loader import load_layout
    from twin.ui.chart_items import merge_items
    from twin.ui.charts import panels_for

    fac = load_layout(small_layout)
    times = np.arange(5.0)

    def fetch(kind, index, metrics):
        return times, {m: np.full(5, 10.0 * index + k) for k, m in enumerate(metrics)}

    items = [(f"U{i}", panels_for(fac, "air_unit", i, fetch)) for i in (0, 1)]
    air = merge_items(items)[0]
    assert air.title == "Air temperature"
    assert [line.label for line in air.lines] == [
        "U0 Supply",
        "U0 Return",
        "U1 Supply",
        "U1 Return",
    ]
    colours = [line.colour for line in air.lines]
    assert colours[0] == colours[1] != colours[2] == colours[3]
    assert [line.style for line in air.lines] == ["solid", "dash", "solid", "dash"]
    # each line keeps its own item's values (supply is the first metric asked: k = 0)
    np.testing.assert_array_equal(air.lines[2].values, np.full(5, 10.0))
    np.testing.assert_array_equal(air.lines[3].values, np.full(5, 11.0))


def test_ctrl_click_in_3d_adds_racks_to_the_chart(replaying, qtbot):
    win, rp, rec = replaying
    fac = win.facility
    win.scene.view_iso()
    win.plotter.render()

    def click(rack_id: str, mods) -> None:
        r = fac.rack_index[rack_id]
        top = fac.rack_center_m[r] + [0, 0, fac.rack_size_m[r, 2]]
        x, y = win.scene.world_to_display(top)
        ratio = win.plotter.devicePixelRatioF()
        pos = QPoint(round(x / ratio), round(win.plotter.height() - y / ratio))
        QTest.mouseClick(win.plotter, Qt.MouseButton.LeftButton, mods, pos)
        qtbot.wait(20)
        assert win.selection == ("rack", r)

    click("A01", Qt.KeyboardModifier.NoModifier)
    assert rp.feed.pinned == []
    click("A03", Qt.KeyboardModifier.ControlModifier)
    a01, a03 = fac.rack_index["A01"], fac.rack_index["A03"]
    assert rp.feed.pinned == [("rack", a01), ("rack", a03)]
    inlet = _lines(rp.charts, "Inlet")
    assert list(inlet) == ["A01", "A03"]
    np.testing.assert_allclose(inlet["A03"].values, _rack_history(rec, a03, "inlet_c"))
