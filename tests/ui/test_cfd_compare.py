"""Thermal dock › Compare with CFD…: a CFD field of known error is imported in the background
and shown as slices and a per-rack table (Xvfb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.ui.slice_views import SliceView

pytestmark = pytest.mark.gui

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


def test_compare_with_a_vtk_field_two_kelvin_warmer(window, qtbot, tmp_path):
    pv = pytest.importorskip("pyvista")
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    res = solve_steady(load_layout(ROOM), 0, 0.3)
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    temp = res.air_c[g.fluid] + 2.0
    # one cell under the ceiling holds a fill value: left out, and said so
    temp[np.flatnonzero(np.argwhere(g.fluid)[:, 2] == g.shape[2] - 1)[0]] = 1e30
    cloud.point_data["T"] = temp
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
    assert "1 CFD cell left out" in dlg.summary.text()
    t = dlg.table
    assert t.rowCount() == 10
    assert {t.item(i, 3).text() for i in range(10)} == {"-2.00"}
    for col in range(3):
        assert not dlg.findChild(SliceView, f"cfd_slice_{col}").image().isNull()
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
    first = ext.error_box
    assert first.isVisible() and first.text() == ext.error
    ext.compare(str(bad))  # again: the one box, not two
    qtbot.waitUntil(lambda: ext.error_box is not first, timeout=90_000)
    assert not first.isVisible() and ext.error_box.isVisible()
    ext.error_box.close()


def test_a_file_that_crashes_vtks_reader_is_reported_and_the_window_lives_on(
    window, qtbot, tmp_path
):
    """A cell naming a point the file does not hold segfaults VTK's reader: read in the
    window's own process, it ended the window and its unsaved work (exit code 139)."""
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    window.extensions["thermal_view"].cell_m = 0.3
    ext = window.extensions["cfd_compare"]
    bad = tmp_path / "oob.vtk"
    bad.write_text(
        "# vtk DataFile Version 3.0\nhostile\nASCII\nDATASET UNSTRUCTURED_GRID\n"
        "POINTS 2 float\n0 0 0 1 1 1\nCELLS 1 9\n8 0 1 2000000000 5 6 7 8 9\n"
        "CELL_TYPES 1\n12\nCELL_DATA 1\nSCALARS T float 1\nLOOKUP_TABLE default\n300\n"
    )
    ext.compare(str(bad))
    qtbot.waitUntil(lambda: ext.error is not None, timeout=90_000)
    assert ext.error.startswith(
        f"{bad}: cannot be read as VTK: VTK's reader crashed (signal SIGSEGV)"
    )
    assert ext.dialog is None
    assert window.statusBar().currentMessage() == f"CFD comparison failed: {ext.error}"
    # the whole reason in a box (the status bar cuts it at the window's width), which does
    # not block the window
    box = ext.error_box
    assert box.isVisible() and box.windowTitle() == "CFD comparison failed"
    assert box.text() == ext.error
    assert window.isVisible()
    box.close()


def test_arrows_point_where_the_air_goes():
    from twin.ui.slice_views import arrow_segments

    vel = np.zeros((12, 12, 2))
    vel[..., 0] = 1.0  # +x everywhere
    # 20 px a cell, an arrow every cell, 1 m/s spans one spacing
    lines = arrow_segments(vel, 20.0, 1.0, 1)
    assert lines.shape == (3 * 144, 2, 2)
    shafts = lines[:144]
    # the arrow from the centre of cell (0, 11) (top left: y up) runs right by one spacing
    first = shafts[np.argmin(shafts[:, 0, 0] + shafts[:, 0, 1])]
    assert first.tolist() == [[10.0, 10.0], [30.0, 10.0]]
    # air straight down (-y) draws below the cell centre on the image (rows from the top)
    vel[..., 0], vel[..., 1] = 0.0, -1.0
    shafts = arrow_segments(vel, 20.0, 1.0, 1)[:144]
    assert np.allclose(shafts[:, 1, 1] - shafts[:, 0, 1], 20.0)
    assert np.allclose(shafts[:, 1, 0], shafts[:, 0, 0])
    # no arrow in a solid (NaN)
    vel[3, 4] = np.nan
    assert len(arrow_segments(vel, 20.0, 1.0, 1)) == 3 * 143


def test_compare_shows_both_flows_when_the_cfd_has_a_velocity(window, qtbot, tmp_path, compared):
    pv = pytest.importorskip("pyvista")
    from twin.cfd.velocity import twin_velocity
    from twin.model.loader import load_layout
    from twin.physics import solve_steady
    from twin.ui.compare_slices import slice_image

    res = solve_steady(load_layout(ROOM), 0, 0.3)
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid]
    cloud.point_data["U"] = twin_velocity(res)[g.fluid]
    src = tmp_path / "cfd.vtu"
    cloud.cast_to_unstructured_grid().save(str(src))

    dlg = compared(src).dialog
    text = dlg.velocity_summary.text()
    assert "RMS difference 0.00 m/s" in text and "in 100 % of the cells" in text
    # arrows on the Twin and CFD slices, none on the difference
    k = min(int(1.2 / 0.3), g.shape[2] - 1)
    plain = slice_image(res.air_c[:, :, k], 0, 1, "inferno").size()
    for col, arrows in ((0, True), (1, True), (2, False)):
        view = dlg.findChild(SliceView, f"cfd_slice_{col}")
        assert view.image().size() == plain
        assert (len(view.arrow_lines()) > 0) is arrows
    dlg.close()


def test_a_stored_reference_shows_its_planes_air(window, qtbot, compared):
    """A reference holds planes only: the dialog's slices are its horizontal plane, with the
    reference's stored air and Twin's sampled on it as arrows."""
    dlg = compared(ROOM.parents[1] / "references" / "open-aisle-85.json").dialog
    text = dlg.velocity_summary.text()
    assert "(on the reference's two planes)" in text and "within 45°" in text
    for col, arrows in ((0, True), (1, True), (2, False)):
        view = dlg.findChild(SliceView, f"cfd_slice_{col}")
        assert (len(view.arrow_lines()) > 0) is arrows
    dlg.close()


def test_a_references_plane_shows_twins_air_behind_the_rack_rears():
    """A reference's plane leaves out the cells behind the rack rears (its case held them at
    the rack's inlet): drawn beyond the CFD's field (light grey), with Twin's air beside
    them, not as solids (the racks drawn a cell deeper in all three slices before)."""
    from twin.cfd.foam_mesh import held_at_inlet
    from twin.model.loader import load_layout
    from twin.physics.grid import build_grid
    from twin.ui.cfd_compare import _job, _summary_text

    path = ROOM.parents[1] / "references" / "open-aisle-85.json"
    fac = load_layout(ROOM)
    fig, cuts = _job(fac, 0, 0.2, path, 1.2)
    assert cuts.heights_m is None  # one plane: no height to choose
    tw, cf, z_m, _, _ = cuts.at(0.3)
    own = build_grid(fac, 0, 0.15)
    k = round(z_m / 0.15 - 0.5)
    held = np.zeros(own.n_cells, bool)
    held[held_at_inlet(own)] = True
    held = held.reshape(own.shape)[:, :, k]
    assert held.sum() == fig["source"]["held_at_inlet_cells"] == 40  # 10 racks, 4 cells wide
    assert np.isnan(cf[held]).all() and np.isfinite(tw[held]).all()
    assert (np.isfinite(tw) == own.fluid[:, :, k]).all()  # Twin's air wherever there is air
    assert "40 cells behind the rack rears left out" in _summary_text(fig)


def test_the_dialog_summary_names_the_racks_left_out_and_a_missing_return():
    from twin.ui.cfd_compare import _summary_text

    fig = {"rms_k": 1.5, "max_k": 1.5, "bias_k": -1.5, "rank_corr": 1.0, "return_error_k": -1.5}
    assert "outside" not in _summary_text(fig) and "return error -1.50 K" in _summary_text(fig)
    fig["source"] = {"racks_outside": ["A4", "A5"]}
    fig["return_error_k"] = None  # the field does not reach the return (JSON has no NaN)
    text = _summary_text(fig)
    assert "2 racks outside the CFD field left out" in text and "return error n/a" in text
    assert "capacity" not in text
    fig["units_at_capacity"] = [{"id": "CRAH-2", "supply_c": 18.7, "set_c": 18.0}]
    assert "CRAH-2 out of capacity in Twin (supply 18.70 C, set point 18.00 C)" in (
        _summary_text(fig)
    )
    assert "Aisle" not in _summary_text(fig)
    side = {"in_m3s": 0.5, "out_m3s": 0.25, "in_c": 25.0}
    sides = [{"twin": side, "cfd": {**side, "in_m3s": 1.0}, "read": 1.0} for _ in range(4)]
    sides.append({"twin": {**side, "out_m3s": 3.5}, "cfd": {**side, "out_m3s": 4.75}, "read": 1.0})
    fig["aisles"] = [{"supply": "TILES", "sides": sides}]
    assert _summary_text(fig).splitlines()[-1] == (
        "Aisle over TILES: room air in at its ends and row gaps Twin 2.00, CFD 4.00 m3/s; "
        "over its top Twin 3.50, CFD 4.75 m3/s"
    )


def test_air_beyond_the_cfd_field_is_light_grey_and_solids_dark(qapp):
    from twin.ui.compare_slices import NO_DATA_GREY, SOLID_GREY, slice_image

    f = np.full((4, 3), 20.0)
    f[0, 0] = np.nan  # a solid
    no_data = np.zeros((4, 3), bool)
    no_data[3, 2] = True  # air the CFD does not reach (x = 3, top row: y = 2)
    img = slice_image(
        np.where(no_data, np.nan, f), 15.0, 25.0, "inferno", width_px=4, no_data=no_data
    )
    assert (img.width(), img.height()) == (4, 3)
    assert img.pixelColor(0, 2).red() == SOLID_GREY  # x = 0, y = 0 is the bottom row
    assert img.pixelColor(3, 0).red() == NO_DATA_GREY
    assert img.pixelColor(1, 1).getRgb()[:3] != (NO_DATA_GREY,) * 3


def test_a_case_with_a_running_mean_offers_it_and_compares_it(window, qtbot, tmp_path, compared):
    """A Twin-written case whose latest time holds T (Twin's air) and TMean (Twin's air + 1 K):
    the dialog compares T and offers TMean; picked, every rack reads 1 K cooler in Twin."""
    import shutil

    from PySide6.QtWidgets import QComboBox

    from tests.cfd.cases import write_case
    from twin.cfd.velocity import twin_velocity
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    res = solve_steady(load_layout(ROOM), 0, 0.3)
    case = write_case(tmp_path / "case", res, res.air_c, twin_velocity(res))
    warm = write_case(tmp_path / "warm", res, res.air_c + 1.0, twin_velocity(res))
    shutil.copy(warm / "500" / "T", case / "500" / "TMean")
    dlg = compared(case).dialog
    combo = dlg.findChild(QComboBox, "cfd_compare_field")
    assert [combo.itemText(i) for i in range(combo.count())] == ["T", "TMean"]
    assert "RMS 0.00 K" in dlg.summary.text()
    ext = window.extensions["cfd_compare"]
    combo.setCurrentText("TMean")
    qtbot.waitUntil(lambda: ext.dialog is not dlg or ext.error is not None, timeout=90_000)
    assert ext.error is None
    after = ext.dialog
    assert "RMS 1.00 K" in after.summary.text() and "bias -1.00 K" in after.summary.text()
    assert after.findChild(QComboBox, "cfd_compare_field").currentText() == "TMean"
    assert {after.table.item(i, 3).text() for i in range(10)} == {"-1.00"}
    after.close()


def test_a_single_field_source_has_no_chooser_and_names_where_racks_were_read():
    from twin.ui.cfd_compare import _field_row, _summary_text

    fig = {"rms_k": 0.1, "max_k": 0.2, "bias_k": 0.0, "rank_corr": 1.0, "return_error_k": 0.0}
    fig["source"] = {"field": "T", "other_fields": [], "read_cell_m": 0.3}
    fig["twin"] = {"cell_m": 0.3}
    assert _field_row(fig, print) == (None, None)
    assert "own" not in _summary_text(fig)
    fig["source"]["read_cell_m"] = 0.15
    assert _summary_text(fig).endswith(
        "; its rack inlets and return are read at its own 0.15 m cells, where its mesh puts "
        "the rack fronts and returns; the air field is compared on Twin's 0.3 m grid"
    )
    fig["source"]["spacing_m"] = 0.086
    fig["source"]["read_cell_m"] = 0.158
    assert _summary_text(fig).endswith(
        "; its rack inlets and return are read on a 0.158 m grid (its own 0.086 m spacing "
        "would give the hall more than 2,000,000 cells); the air field is compared on Twin's "
        "0.3 m grid"
    )


def test_the_window_says_where_a_finer_cases_racks_were_read(window, qtbot, tmp_path, compared):
    """A Twin case written at 0.15 m, compared in the window at 0.3 m: the summary says the
    CFD's racks and return were read at its own 0.15 m cells."""
    import types

    from tests.cfd.cases import write_case
    from twin.model.loader import load_layout
    from twin.physics.grid import build_grid

    own = build_grid(load_layout(ROOM), 0, 0.15)
    air = np.where(own.fluid, 25.0, np.nan)
    case = write_case(
        tmp_path / "case", types.SimpleNamespace(grid=own), air, np.zeros(own.shape + (3,))
    )
    dlg = compared(case).dialog
    text = dlg.summary.text()
    dlg.close()
    assert (
        "; its rack inlets and return are read at its own 0.15 m cells, where its mesh puts "
        "the rack fronts and returns; the air field is compared on Twin's 0.3 m grid"
    ) in text


def test_the_dialog_summary_says_newer_results_were_left_out():
    from twin.ui.cfd_compare import _summary_text

    fig = {"rms_k": 0.1, "max_k": 0.2, "bias_k": 0.0, "rank_corr": 1.0, "return_error_k": 0.0}
    assert "still writing" not in _summary_text(fig)
    note = "its time 1200 is in 1 of its 2 processor directories (a run still writing it?): read at time 1100"
    fig["source"] = {"note": note}
    assert _summary_text(fig).endswith(f"return error +0.00 K; {note}")


def test_write_openfoam_case_writes_the_open_hall_at_the_docks_cell(window, qtbot, tmp_path):
    import json

    from PySide6.QtWidgets import QApplication

    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    view = window.extensions["thermal_view"]
    view.cell_m = 0.3
    ext = window.extensions["cfd_case_action"]
    assert ext.action in view.menu.actions()
    case = tmp_path / "case"
    ext.write(case)
    qtbot.waitUntil(lambda: ext.message is not None or ext.error is not None, timeout=60_000)
    assert ext.error is None
    desc = json.loads((case / "twin_case.json").read_text())
    assert (desc["cell_m"], desc["hall"], desc["shape"]) == (0.3, "ROOM", [24, 20, 10])
    assert ext.message.startswith(f"{case}: OpenFOAM case of hall ROOM of open-aisle-85, ")
    command = f"twin cfd case {ROOM} {case} --cell 0.3 --force --run"
    assert ext.command == command and ext.message.endswith(f"Run it: {command}")
    assert QApplication.clipboard().text() == command
    assert window.statusBar().currentMessage() == (
        f"OpenFOAM case written: {case}, {desc['n_cells']:,} cells of 0.3 m; the command that "
        "runs it is on the clipboard, then Compare with CFD…"
    )
    # a folder holding something is not written into unless the user said replace
    before = sorted(p.name for p in case.iterdir())
    assert ext.write(case) is None
    assert ext.error == f"{case} exists and is not empty: give a new directory"
    assert sorted(p.name for p in case.iterdir()) == before
    ext.write(case, force=True)
    qtbot.waitUntil(lambda: ext.message is not None or ext.error is not None, timeout=60_000)
    assert ext.error is None
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".case")]  # no leftovers


def test_a_file_is_never_written_over_with_a_case(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(ROOM)
    window.extensions["thermal_view"].cell_m = 0.3
    ext = window.extensions["cfd_case_action"]
    f = tmp_path / "notes.txt"
    f.write_text("mine")
    assert ext.write(f, force=True) is None
    assert ext.error == f"{f} is a file, not a directory" and f.read_text() == "mine"
    assert window.statusBar().currentMessage() == f"OpenFOAM case not written: {ext.error}"


def test_each_slice_has_a_colour_bar_on_its_own_scale(qapp):
    """Twin and the CFD share one temperature scale (the two slices' range), the difference
    a symmetric one (its largest magnitude); each bar's ends are its map's ends."""
    from matplotlib import colormaps
    from PySide6.QtWidgets import QLabel, QWidget

    from twin.ui.compare_slices import BAR_PX, SlicePanel, bar_image

    twin = np.array([[18.0, 20.0, np.nan], [22.0, 30.0, 24.0]])
    cfd = np.array([[19.0, 21.0, np.nan], [22.0, 36.5, 23.0]])  # Twin - CFD: -6.5 at most
    host = SlicePanel()
    host.show_cut(twin, cfd, 1.2)
    expected = (["18.0 °C", "27.2 °C", "36.5 °C"],) * 2 + (["-6.5 K", "+0.0 K", "+6.5 K"],)
    for col, (ticks, cmap) in enumerate(
        zip(expected, ("inferno", "inferno", "coolwarm"), strict=True)
    ):
        bar = host.findChild(QWidget, f"cfd_colour_bar_{col}")
        labels = [
            w.text() for w in bar.findChildren(QLabel) if w.objectName() != "colour_bar_strip"
        ]
        assert labels == ticks
        # the strip shown: its map's two ends (within what a 16-bit screen rounds off) ...
        shown = bar.findChild(QLabel, "colour_bar_strip").pixmap().toImage()
        for x, at in ((0, 0.0), (shown.width() - 1, 1.0)):
            want = np.array(colormaps[cmap](at)[:3]) * 255
            assert np.abs(np.array(shown.pixelColor(x, 0).getRgb()[:3]) - want).max() <= 8
        # ... and the image it is made from, exactly as slice_image colours a slice
        strip = bar_image(cmap, 5)
        assert strip.height() == BAR_PX
        for x, at in enumerate(np.linspace(0.0, 1.0, 5)):
            want = tuple(int(c * 255) for c in colormaps[cmap](at)[:3])
            assert strip.pixelColor(x, BAR_PX - 1).getRgb()[:3] == want


def test_the_rack_table_sorts_by_value_and_marks_racks_past_the_limits(qapp):
    """The racks come in the hall's order; a header click sorts by value (a text sort puts
    "10.50" before "9.00"); errors past 1 K are amber, past 2 K red."""
    from PySide6.QtCore import Qt

    from twin.ui.cfd_compare import BAD_RGB, WARN_RGB, _rack_table

    errors = {"A1": 0.3, "A2": -1.5, "A10": 10.5, "B1": 9.0, "B2": -2.5, "B3": 1.0}
    rows = [
        {"id": i, "twin_mean_c": 20 + e, "cfd_mean_c": 20.0, "error_k": e, "twin_max_c": 25.0,
         "cfd_max_c": 26.0}
        for i, e in errors.items()
    ]  # fmt: skip
    table = _rack_table(rows)
    assert [table.item(i, 0).text() for i in range(6)] == list(errors)
    table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
    assert [table.item(i, 0).text() for i in range(6)] == ["B2", "A2", "A1", "B3", "B1", "A10"]
    assert [table.item(i, 3).text() for i in range(6)] == [
        "-2.50", "-1.50", "0.30", "1.00", "9.00", "10.50"
    ]  # fmt: skip
    marks = [table.item(i, 3).background() for i in range(6)]
    rgb = [m.color().getRgb()[:3] if m.style() != Qt.BrushStyle.NoBrush else None for m in marks]
    assert rgb == [BAD_RGB, WARN_RGB, None, None, BAD_RGB, BAD_RGB]
    table.sortByColumn(1, Qt.SortOrder.DescendingOrder)  # Twin's mean: the same as error here
    assert table.item(0, 0).text() == "A10"


def test_the_dialog_opens_at_most_of_its_windows_size():
    from types import SimpleNamespace

    from twin.ui.cfd_compare import DIALOG_MIN_PX, dialog_size

    big = SimpleNamespace(width=lambda: 2000, height=lambda: 1200)
    assert dialog_size(big) == (1700, 1020)
    small = SimpleNamespace(width=lambda: 800, height=lambda: 600)
    assert dialog_size(small) == DIALOG_MIN_PX == (900, 700)
    assert dialog_size(None) == DIALOG_MIN_PX


def test_another_height_is_cut_from_the_fields_compared_keeping_the_zoom(qtbot):
    """The slices at 0.45 m are the layer that holds it (cell 1 of 0.3 m), on that layer's
    own scale, arrows and all; the zoom stays where the user put it."""
    from twin.ui.compare_slices import Cuts, SlicePanel, slice_image

    rng = np.random.default_rng(1)
    twin = 20.0 + np.arange(5)[None, None, :] + rng.random((8, 6, 5))  # warmer going up
    twin[2:4, 2:4, :] = np.nan  # a rack
    cfd = twin + 0.25
    vel = np.zeros((8, 6, 5, 3))
    vel[..., 1] = np.arange(5)[None, None, :]  # the air along y, as fast as the layer's index
    cuts = Cuts(twin, cfd, 0.3, 1.2, vel, vel * 2)
    assert cuts.heights_m == pytest.approx((0.15, 1.35))
    panel = SlicePanel(1.0)
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show_cut(*cuts.at(cuts.z_m))
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.titles[0].text() == "Twin, z = 1.20 m"
    panel.views[1].set_zoom(3.0)

    panel.show_cut(*cuts.at(0.45))
    layer = twin[:, :, 1]
    lo, hi = np.nanmin(layer), np.nanmax(layer) + 0.25
    assert panel.titles[0].text() == "Twin, z = 0.45 m"
    assert panel.bars[0].labels() == [f"{lo:.1f} °C", f"{(lo + hi) / 2:.1f} °C", f"{hi:.1f} °C"]
    assert panel.bars[2].labels() == ["-0.2 K", "+0.0 K", "+0.2 K"]  # 0.25 K everywhere
    want = slice_image(layer, lo, hi, "inferno", 300)
    assert panel.views[0].image() == want
    assert [v.zoom() for v in panel.views] == [3.0, 3.0, 3.0]
    # Twin's arrows at that layer: speed 1 along +y (up the image), one spacing long
    panel.views[0].set_zoom(1.0)
    shafts = panel.views[0].arrow_lines()[: len(panel.views[0].arrow_lines()) // 3]
    cell_px = want.width() / 8
    np.testing.assert_allclose(shafts[:, 1, 1] - shafts[:, 0, 1], -cell_px)
    np.testing.assert_allclose(shafts[:, 1, 0], shafts[:, 0, 0])
    assert len(panel.views[2].arrow_lines()) == 0


def test_the_dialog_recuts_at_the_height_chosen_without_a_new_solve(
    window, qtbot, tmp_path, compared
):
    """The height box spans the hall's cell centres; a new height shows at once, cut from
    the fields the comparison brought back."""
    pv = pytest.importorskip("pyvista")
    from twin.model.loader import load_layout
    from twin.physics import solve_steady
    from twin.ui.compare_slices import slice_image

    res = solve_steady(load_layout(ROOM), 0, 0.3)
    g = res.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = res.air_c[g.fluid] + 1.0
    src = tmp_path / "cfd.vtp"
    cloud.save(str(src))
    dlg = compared(src).dialog
    box = dlg.height
    assert (box.minimum(), box.maximum()) == pytest.approx((0.15, (g.shape[2] - 0.5) * 0.3))
    assert box.value() == pytest.approx(1.2)
    box.setValue(0.45)  # the second layer of cells
    assert dlg.slices.titles[0].text() == "Twin, z = 0.45 m"
    layer = res.air_c[:, :, 1]
    lo, hi = np.nanmin(layer), np.nanmax(layer) + 1.0
    view = dlg.findChild(SliceView, "cfd_slice_0")
    assert view.image() == slice_image(layer, lo, hi, "inferno", 300)
    assert dlg.slices.bars[2].labels() == ["-1.0 K", "+0.0 K", "+1.0 K"]
    dlg.close()
