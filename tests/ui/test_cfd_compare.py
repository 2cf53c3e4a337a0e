"""Thermal dock › Compare with CFD…: a CFD field of known error is imported in the background
and shown as slices and a per-rack table (Xvfb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


def test_compare_with_a_vtk_field_two_kelvin_warmer(window, qtbot, tmp_path):
    pv = pytest.importorskip("pyvista")
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    res = solve_steady(load_layout(ROOM), 0, 0.3)
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid] + 2.0
    src = tmp_path / "cfd.vtp"
    cloud.save(str(src))

    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    view = window.extensions["thermal_view"]
    view.cell_m = 0.3
    ext = window.extensions["cfd_compare"]
    # the action sits in View > Thermal and as a button at the foot of the dock
    assert ext.action in view.menu.actions()
    assert view.panel.layout().itemAt(view.panel.layout().count() - 1).widget() is ext.button
    ext.compare(str(src))
    qtbot.waitUntil(lambda: ext.dialog is not None or ext.error is not None, timeout=90_000)
    assert ext.error is None
    dlg = ext.dialog
    assert "RMS 2.00 K" in dlg.summary.text() and "bias -2.00 K" in dlg.summary.text()
    t = dlg.table
    assert t.rowCount() == 10
    assert {t.item(i, 3).text() for i in range(10)} == {"-2.00"}
    for col in range(3):
        assert not dlg.findChild(type(dlg.summary), f"cfd_slice_{col}").pixmap().isNull()
    dlg.close()


def test_a_bad_file_is_reported_not_raised(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    window.extensions["thermal_view"].cell_m = 0.3
    ext = window.extensions["cfd_compare"]
    bad = tmp_path / "broken.vtu"
    bad.write_text("not vtk")
    ext.compare(str(bad))
    qtbot.waitUntil(lambda: ext.error is not None, timeout=90_000)
    assert "broken.vtu" in ext.error and ext.dialog is None
