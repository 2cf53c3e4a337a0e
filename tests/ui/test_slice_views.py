"""The compare dialog's slices zoom and pan together (``twin.ui.slice_views``): a factory
hall's slice, 213 cells across, is drawn 4 pixels a cell and fitted to its view, and the
wheel looks closer at the same place in Twin, CFD and difference."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QWidget

from twin.ui.slice_views import MAX_ZOOM, WHEEL_STEP, SliceView, link


def _views(qtbot, w: int = 400, h: int = 200) -> tuple[QWidget, list[SliceView]]:
    """Three linked views of 400 x 200 images, and the widget holding them (kept by the
    test: the views go with it)."""
    host = QWidget()
    qtbot.addWidget(host)
    views = []
    for n in range(3):
        img = QImage(w, h, QImage.Format.Format_RGB888)
        img.fill(QColor(10 * n, 0, 0))
        v = SliceView(img, host)
        v.setGeometry(310 * n, 0, 300, 300)
        views.append(v)
    link(views)
    host.resize(930, 300)
    host.show()
    qtbot.waitExposed(host)
    return host, views


def _scale(v: SliceView) -> float:
    return v.transform().m11()


def test_a_slice_fits_its_view_until_zoomed(qtbot):
    _host, (v, *_) = _views(qtbot)
    assert v.zoom() == 1.0
    assert abs(_scale(v) - v.fit_scale()) < 1e-9
    # the whole image inside the viewport
    corner = v.mapFromScene(QPointF(400, 200))
    origin = v.mapFromScene(QPointF(0, 0))
    vp = v.viewport().rect()
    assert vp.contains(origin) and corner.x() <= vp.width() and corner.y() <= vp.height()


def test_zooming_one_zooms_all_and_panning_one_pans_all(qtbot):
    _host, views = _views(qtbot)
    views[1].set_zoom(4.0)
    assert [v.zoom() for v in views] == [4.0, 4.0, 4.0]
    assert all(abs(_scale(v) - 4.0 * v.fit_scale()) < 1e-9 for v in views)
    views[2].horizontalScrollBar().setValue(123)
    views[2].verticalScrollBar().setValue(45)
    assert [v.horizontalScrollBar().value() for v in views] == [123] * 3
    assert [v.verticalScrollBar().value() for v in views] == [45] * 3


def test_the_wheel_zooms_by_a_step_a_notch_within_its_bounds(qtbot):
    _host, views = _views(qtbot)
    v = views[0]

    def wheel(notches: int) -> None:
        centre = QPointF(v.viewport().rect().center())
        v.wheelEvent(
            QWheelEvent(
                centre,
                v.viewport().mapToGlobal(centre),
                QPoint(0, 0),
                QPoint(0, 120 * notches),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            )
        )

    wheel(2)
    assert abs(v.zoom() - WHEEL_STEP**2) < 1e-12 and views[2].zoom() == v.zoom()
    wheel(-5)  # not past the whole slice
    assert v.zoom() == 1.0
    wheel(40)  # nor past MAX_ZOOM
    assert v.zoom() == MAX_ZOOM


def test_a_double_click_shows_the_whole_slice_again(qtbot):
    _host, views = _views(qtbot)
    views[0].set_zoom(8.0)
    qtbot.mouseDClick(views[2].viewport(), Qt.MouseButton.LeftButton)
    assert [v.zoom() for v in views] == [1.0, 1.0, 1.0]


def test_a_factory_halls_slice_is_drawn_four_pixels_a_cell(qtbot):
    """213 x 183 cells (the 100k-GPU factory's LH1 at 0.2 m): 852 pixels across, not 213."""
    from twin.ui.compare_slices import SlicePanel

    rng = np.random.default_rng(0)
    twin = 25.0 + rng.standard_normal((213, 183))
    host = SlicePanel()
    qtbot.addWidget(host)
    host.show_cut(twin, twin + 0.5, 1.2)
    views = host.findChildren(SliceView)
    assert len(views) == 3
    assert {(v.image().width(), v.image().height()) for v in views} == {(852, 732)}
    views[0].set_zoom(3.0)
    assert [v.zoom() for v in views] == [3.0, 3.0, 3.0]


def test_dragging_one_pans_all(qtbot):
    """A drag 60 pixels left and 30 up on the zoomed Twin slice moves all three views by as
    much, with no scroll bars to take room from the slice."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    _host, views = _views(qtbot)
    views[0].set_zoom(4.0)
    vp = views[0].viewport()

    def send(kind, x: int, y: int, held) -> None:
        pos = QPointF(x, y)
        QApplication.sendEvent(
            vp,
            QMouseEvent(
                kind,
                pos,
                vp.mapToGlobal(pos),
                Qt.MouseButton.LeftButton,
                held,
                Qt.KeyboardModifier.NoModifier,
            ),
        )

    before = [(v.horizontalScrollBar().value(), v.verticalScrollBar().value()) for v in views]
    left = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, 150, 150, left)
    for step in range(1, 7):
        send(QEvent.Type.MouseMove, 150 - 10 * step, 150 - 5 * step, left)
    send(QEvent.Type.MouseButtonRelease, 90, 120, Qt.MouseButton.NoButton)
    after = [(v.horizontalScrollBar().value(), v.verticalScrollBar().value()) for v in views]
    assert len(set(before)) == 1 and len(set(after)) == 1
    (h0, v0), (h1, v1) = before[0], after[0]
    assert (h1 - h0, v1 - v0) == (60, 30)
    assert views[0].horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


def test_zoomed_in_the_arrows_are_as_many_across_what_the_view_shows(qtbot):
    """A factory-sized slice (213 x 183 cells, 4 px a cell): at the whole view an arrow
    every 9 cells (24 across), zoomed 8 times one every cell or two over the part shown,
    on the same lattice; the difference slice has none."""
    from twin.ui.compare_slices import SlicePanel
    from twin.ui.slice_views import arrow_stride

    vel = np.zeros((213, 183, 2))
    vel[..., 0] = 1.0
    twin = np.full((213, 183), 25.0)
    host = SlicePanel(1.0)
    qtbot.addWidget(host)
    host.show_cut(twin, twin + 0.5, 1.2, vel, vel)
    host.resize(1300, 500)
    host.show()
    qtbot.waitExposed(host)
    views = sorted(host.findChildren(SliceView), key=lambda v: v.objectName())
    twin_view, _, diff_view = views
    whole = twin_view.arrow_lines()
    assert arrow_stride(213, 1.0) == 9
    assert len(whole) == 3 * len(range(4, 213, 9)) * len(range(4, 183, 9))
    assert len(diff_view.arrow_lines()) == 0
    twin_view.set_zoom(8.0)
    near = twin_view.arrow_lines()[: len(twin_view.arrow_lines()) // 3]
    xs = np.unique(near[:, 0, 0])
    assert 4.0 <= np.diff(xs).min() <= 8.0  # an arrow every cell or two (4 px a cell)
    # only what the view shows: far fewer than one a cell over the whole slice
    assert len(near) < 213 * 183 / 10
    shown = twin_view.mapToScene(twin_view.viewport().rect()).boundingRect()
    assert shown.left() - 8 <= xs.min() and xs.max() <= shown.right() + 8
