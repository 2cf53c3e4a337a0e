"""The thermal overlays in the window (Xvfb): toggled from View > Thermal, solved in a worker
thread while the GUI keeps running, slices moved from the dock, an air unit failed and the
hall re-solved."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.render.test_thermal_layer import TWO_CRAHS
from twin.physics.cells import VIEW_MAX_CELLS, choose_cell_m
from twin.render.thermal_layer import ARROWS, INLETS, SLICE, VSLICE
from twin.ui.thermal_view import hall_of

pytestmark = pytest.mark.gui

SOLVE_TIMEOUT_MS = 90_000


@pytest.fixture
def thermal(window, qtbot, tmp_path):
    path = tmp_path / "two_crahs.yaml"
    path.write_text(TWO_CRAHS)
    view = window.extensions["thermal_view"]
    view.cell_m = 0.5  # coarse: a solve takes about a second
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(path)
    return view


def _menu_action(window, text):
    thermal = next(
        a.menu()
        for a in window.menus["View"].actions()
        if a.menu() and a.text().replace("&", "") == "Thermal"
    )
    return next(a for a in thermal.actions() if a.text().replace("&", "") == text)


def test_view_menu_toggles_overlays_after_background_solve(thermal, qtbot):
    view, win = thermal, thermal.window
    assert view.result is None and not view.busy_solving  # nothing solved until asked
    on_gui = []  # the solver emits on its worker; the relay hands answers to the GUI thread
    win.solver.solved.connect(lambda _a: on_gui.append(threading.current_thread()))
    act = _menu_action(win, "Air Temperature Slice (Horizontal)")
    act.trigger()
    assert act.isChecked()
    assert view.busy_solving and view.busy.isVisible()  # the solve runs off the GUI thread
    assert "solving H1" in view.status.text()
    ticks = []
    qtbot.waitUntil(lambda: ticks.append(1) or view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    assert len(ticks) > 1  # the event loop kept running while the solve ran
    assert on_gui == [threading.main_thread()]
    assert not view.busy.isVisible() and "solved" in view.status.text()
    lay = view.layer
    assert lay.scene is win.scene and lay.slice_actor.GetVisibility()
    assert not lay.vslice_actor.GetVisibility() and not lay.inlet_actor.GetVisibility()
    np.testing.assert_array_equal(lay.slice_values(), view.result.air_c[:, :, lay.slice_k])
    assert "Hottest inlet" in view.summary.text() and view.dock.isVisible()
    res = view.result
    for text in ("Vertical Slice", "Airflow Arrows", "Rack Inlet Temperatures"):
        _menu_action(win, text).trigger()
    assert view.result is res  # toggling overlays never re-solves
    assert lay.vslice_actor.GetVisibility() and lay.inlet_actor.GetVisibility()
    assert lay.arrows_h.actor.GetVisibility() and lay.arrows_v.actor.GetVisibility()
    assert lay.wanted == {SLICE: True, VSLICE: True, ARROWS: True, INLETS: True}
    _menu_action(win, "Air Temperature Slice (Horizontal)").trigger()
    assert not lay.slice_actor.GetVisibility() and lay.vslice_actor.GetVisibility()
    win.plotter.render()


def test_dock_moves_slices_in_place(thermal, qtbot):
    view = thermal
    view.set_overlay(SLICE, True)
    view.set_overlay(VSLICE, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    lay, res = view.layer, view.result
    mesh, arr = lay.slice_mesh, lay.slice_mesh.GetCellData().GetArray("air_c")
    view.height_slider.setValue(int(round(2.6 / 0.05)))
    assert lay.slice_k == int(2.6 // 0.5) and lay.slice_mesh is mesh
    assert mesh.GetCellData().GetArray("air_c") is arr
    np.testing.assert_array_equal(lay.slice_values(), res.air_c[:, :, lay.slice_k])
    assert view.height_label.text() == "2.75 m"
    view.axis_combo.setCurrentIndex(1)  # across y
    view.pos_slider.setValue(int(round(4.6 / 0.05)))
    assert lay.vertical_axis == "y" and lay.vslice_index == int(4.6 // 0.5)
    np.testing.assert_array_equal(lay.vslice_values(), res.air_c[:, lay.vslice_index, :])
    assert view.pos_label.text() == "y = 4.75 m"


def test_failing_an_air_unit_re_solves_warmer(thermal, qtbot):
    view, win = thermal, thermal.window
    view.set_overlay(INLETS, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    nominal = view.result
    inl = view.layer.inlet_mesh.GetCellData().GetArray("inlet_c")
    items = {view.units_list.item(i).text(): view.units_list.item(i) for i in range(2)}
    assert set(items) == {"CRAH-1", "CRAH-2"}
    items["CRAH-2"].setCheckState(Qt.CheckState.Checked)  # tick: failed (debounced re-solve)
    assert view.failed == {"CRAH-2"}
    qtbot.waitUntil(lambda: view.result is not nominal, timeout=SOLVE_TIMEOUT_MS)
    failed = view.result
    racks = np.asarray(failed.grid.rack_ids)
    assert (failed.rack_inlet_max_c[racks] >= nominal.rack_inlet_max_c[racks] - 0.05).all()
    assert np.nanmax(failed.rack_inlet_max_c) > np.nanmax(nominal.rack_inlet_max_c) + 1.0
    # same grid: the overlay was updated in place, not rebuilt
    assert view.layer.inlet_mesh.GetCellData().GetArray("inlet_c") is inl
    assert np.nanmax(view.layer.inlet_band_values()) == pytest.approx(
        np.nanmax(failed.rack_inlet_max_c)
    )
    assert "Failed: CRAH-2" in view.summary.text()
    assert view.layer.failed_units == [win.facility.air_unit_index["CRAH-2"]]  # outlined
    # restoring it from code, as the Tools menu's panel does
    view.set_failed([])
    qtbot.waitUntil(lambda: view.result is not failed, timeout=SOLVE_TIMEOUT_MS)
    np.testing.assert_allclose(
        view.result.rack_inlet_max_c[racks], nominal.rack_inlet_max_c[racks], atol=1e-3
    )
    assert not items["CRAH-2"].checkState() == Qt.CheckState.Checked
    assert view.layer.failed_units == []
    win.plotter.render()


def test_new_layout_drops_the_old_overlay_and_re_solves(thermal, qtbot, small_layout):
    view, win = thermal, thermal.window
    view.set_overlay(SLICE, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    old = view.result
    with qtbot.waitSignal(win.layout_loaded, timeout=30000):
        win.open_layout(small_layout)
    assert view.layer is None and view.result is None  # old scene's overlay is gone
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    assert view.result is not old and view.layer.scene is win.scene
    assert [view.units_list.item(i).text() for i in range(view.units_list.count())] == ["CRAH-1"]


def test_cell_choice_and_hall_of(facility_small):
    f = facility_small
    assert choose_cell_m(f, 0) == pytest.approx(0.2)
    # a hall too big for 0.2 m cells gets coarser ones, at most VIEW_MAX_CELLS
    f.hall_size_m[0] = (200.0, 150.0, 8.0)
    c = choose_cell_m(f, 0)
    assert c > 0.2 and (200 / c) * (150 / c) * (8 / c) <= VIEW_MAX_CELLS * 1.001
    assert hall_of(f, "rack", 0) == 0 and hall_of(f, "hall", 0) == 0
    assert hall_of(f, "power", 0) is None


def test_the_dock_summary_warns_of_a_cell_that_does_not_nest(facility_small):
    """The dock's summary of a 0.15 m solve (momentum marched at 0.2 m) says so in its warning
    colour; a 0.1 m solve's does not."""
    from twin.physics import solve_steady
    from twin.ui.thermal_panel import summarise

    text = summarise(facility_small, solve_steady(facility_small, 0, 0.15), set())
    assert "0.15 m cells do not nest in the 0.2 m momentum grid" in text
    assert "color:#e0603a'>0.15 m cells do not nest" in text
    text = summarise(facility_small, solve_steady(facility_small, 0, 0.1), set())
    assert "nest" not in text


def test_the_dock_summary_says_where_a_calibrated_models_parameters_came_from(small_layout):
    """A layout's ``physics:`` block fitted to a site: the summary names the fit (escaped:
    a source is a user's text), where a layout with the published defaults says nothing."""
    from twin.model.loader import load_layout
    from twin.physics import solve_steady
    from twin.ui.thermal_panel import summarise

    plain = load_layout(small_layout)
    res = solve_steady(plain, 0, 0.4)
    assert "calibrated" not in summarise(plain, res, set())
    cal = small_layout.with_name("cal.yaml")
    cal.write_text(
        small_layout.read_text()
        + "physics:\n  eddy_viscosity_scale: 1.5\n  turbulent_prandtl: 0.7\n  calibration:"
        + " {source: <site>.h5 0:00-1:59, fitted_at: '2026-12-05T19:40:00+00:00',"
        + " rms_before_k: 0.61, rms_after_k: 0.2}\n"
    )
    text = summarise(load_layout(cal), res, set())
    assert text.endswith(
        "<br>Model calibrated to &lt;site&gt;.h5 0:00-1:59 on 2026-12-05: eddy viscosity x1.50,"
        " turbulent Prandtl number 0.70; RMS 0.61 -&gt; 0.20 K"
    )


def test_the_dock_summary_says_when_the_air_had_not_settled(facility_small):
    from twin.physics import solve_steady
    from twin.ui.thermal_panel import summarise

    res = solve_steady(facility_small, 0, 0.4)
    res.march_change_k = 0.26
    assert "<br>Air not settled: rack inlets still moved by up to 0.3 K over the march's" in (
        summarise(facility_small, res, set())
    )
    res.march_change_k = 0.09
    assert "settled" not in summarise(facility_small, res, set())


def test_a_frame_gives_the_racks_fan_speeds_from_power_or_measured_flow(facility_small):
    """``frame_inputs``: each rack's server-fan speed, rated x (0.4 + 0.6 x load) from its
    power, its measured ``flow_m3s`` over rated where the frame has one."""
    from twin.model.frame import Frame
    from twin.ui.thermal_view import frame_inputs

    f = facility_small
    power = (f.rack_power_w * 0.5).astype(np.float32)
    flow = np.full(f.n_racks, np.nan, np.float32)
    flow[0] = 0.9 * f.rack_airflow_m3s[0]
    frame = Frame(time_s=0.0, rack={"power_w": power, "flow_m3s": flow})
    _, _, fans, racks = frame_inputs(f, 0, frame)
    assert fans is None  # no air-unit flows measured
    assert racks[0] == pytest.approx(0.9, rel=1e-6)
    np.testing.assert_allclose(racks[1:], 0.7, rtol=1e-6)


def test_a_live_frame_s_racks_follow_their_gpus_power(facility_small):
    """Live DCGM data (GPU power, no rack power): the view follows the racks at their GPUs'
    power, not their nameplate, as the energy and the what-if read them."""
    from twin.model.frame import Frame
    from twin.physics.devices import rack_power_from_readings
    from twin.ui.thermal_view import frame_inputs

    f = facility_small
    frame = Frame.empty(0.0, f.counts())
    frame.gpu["power_w"][:] = 0.3 * f.gpu_tdp_w
    power, _, _, _ = frame_inputs(f, 0, frame)
    want = rack_power_from_readings(f, None, frame.gpu["power_w"])
    has_gpus = np.bincount(f.gpu_rack, minlength=f.n_racks) > 0
    assert has_gpus.any() and (want[has_gpus] < 0.7 * f.rack_power_w[has_gpus]).all()
    np.testing.assert_allclose(power, want, rtol=1e-6)


@pytest.fixture
def facility_small(small_layout):
    from twin.model.loader import load_layout

    return load_layout(small_layout)


def test_one_edit_costs_one_solve_drawn_by_the_view_and_told_by_the_editor(thermal, qtbot):
    view, win = thermal, thermal.window
    jobs = win.solver.jobs
    view.set_overlay(INLETS, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    res, mesh = view.result, view.layer.inlet_mesh
    ed = win.extensions["editor"]
    ed.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # at close
    ed.thermal.enabled = True
    solves = jobs.solver.steady_solves
    ed.set_active(True)  # the baseline is the view's answer: the layout did not change
    assert ed.thermal.after is not None and not win.solver.busy()
    assert jobs.solver.steady_solves == solves
    ed.set_selection(["A01"])
    ed.ops.rotate(90.0)
    assert view.busy_solving  # the editor asked; the view shows that answer when it lands
    qtbot.waitUntil(
        lambda: view.result is not res and not win.solver.busy(), timeout=SOLVE_TIMEOUT_MS
    )
    qtbot.wait(400)  # nothing else follows
    assert jobs.solver.steady_solves == solves + 1
    assert win.solver.service.runs == 2  # the view's first solve and the edit's
    assert ed.thermal.before is not None
    racks = np.asarray(view.result.grid.rack_ids)
    inlet = view.result.rack_inlet_max_c
    assert ed.thermal.after == {
        win.facility.rack_ids[r]: pytest.approx(inlet[r]) for r in racks if np.isfinite(inlet[r])
    }
    # turned in its row, A01's front meets its neighbour's side: it moves no air
    assert np.isnan(inlet[win.facility.rack_index["A01"]])
    assert view.layer.inlet_mesh is not mesh  # racks may have moved: meshes rebuilt
    assert view.layer.inlet_actor.GetVisibility()
    # an edit that rebuilds the facility (a rack added) is one solve too
    n, racks_before = jobs.solver.steady_solves, win.facility.n_racks
    assert ed.ops.duplicate()
    assert win.facility.n_racks == racks_before + 1
    qtbot.waitUntil(
        lambda: (
            view.result is not None
            and view.answer.facility.n_racks == racks_before + 1
            and not win.solver.busy()
        ),
        timeout=SOLVE_TIMEOUT_MS,
    )
    qtbot.wait(400)
    assert jobs.solver.steady_solves == n + 1


def _two_halls() -> str:
    s = TWO_CRAHS.replace(
        "halls: [{id: H1, size_m: [12, 10, 4]}]",
        "halls: [{id: H1, size_m: [12, 10, 4]}, {id: H2, origin_m: [14, 0], size_m: [8, 6, 3.5]}]",
    )
    s = s.replace(
        "power:",
        "  - id: C\n    hall: H2\n    racks:\n      - {id: C01, position_m: [4.0, 2.5], "
        "load: {power_kw: 15, delta_t_k: 12}, feeds: {a: PDU-A}}\npower:",
        1,
    )
    s = s.replace(
        "position_m: [11.0, 9.0]}]",
        "position_m: [11.0, 9.0]}, {id: CRAH-3, type: crah-77kw, hall: H2, position_m: [1.0, 5.0]}]",
    )
    s = s.replace(
        "rect_m: [2.4, 3.8, 4.8, 5.2]}]",
        "rect_m: [2.4, 3.8, 4.8, 5.2]}, {id: T2, hall: H2, rect_m: [3.0, 0.5, 5.0, 1.5]}]",
    )
    assert "CRAH-3" in s and "T2" in s and "C01" in s
    return s


def test_selection_in_another_hall_solves_that_hall(window, qtbot, tmp_path):
    path = tmp_path / "two_halls.yaml"
    path.write_text(_two_halls())
    view = window.extensions["thermal_view"]
    view.cell_m = 0.5
    with qtbot.waitSignal(window.layout_loaded, timeout=30000):
        window.open_layout(path)
    assert view.hall == 0 and view.hall_combo.count() == 2
    window.select_id("C01")  # a rack of H2
    assert view.hall == 1 and view.hall_combo.currentIndex() == 1
    assert [view.units_list.item(i).text() for i in range(view.units_list.count())] == ["CRAH-3"]
    view.set_overlay(SLICE, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    assert view.result.grid.hall == 1 and view.result.grid.shape == (16, 12, 7)
    assert view.layer.slice_mesh.origin[0] == pytest.approx(14.0)  # drawn in H2, site coords
    assert "H2" in view.summary.text()


def test_replay_frames_step_the_air_in_place(thermal, qtbot):
    from twin.model.frame import Frame

    view, win = thermal, thermal.window
    f = win.facility
    view.set_overlay(SLICE, True)
    qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
    base = view.result
    arr = view.layer.slice_mesh.GetCellData().GetArray("air_c")
    hot = f.rack_power_w * 1.5
    results = []
    view.solved.connect(results.append)
    for i in range(3):  # frames 30 s apart, as a replay shows them
        win.show_frame(Frame(time_s=1000.0 + 30 * i, rack={"power_w": hot.astype(np.float32)}))
    qtbot.waitUntil(lambda: len(results) >= 2 and not view.busy_solving, timeout=SOLVE_TIMEOUT_MS)
    res = view.result
    np.testing.assert_allclose(res.rack_power_w, hot, rtol=1e-6)
    assert np.nanmax(res.air_c) > np.nanmax(base.air_c) + 0.5  # the air is warming up
    assert view.layer.slice_mesh.GetCellData().GetArray("air_c") is arr  # in place
    np.testing.assert_array_equal(view.layer.slice_values(), res.air_c[:, :, view.layer.slice_k])
    # a frame reporting CRAH-2 off: the flow is re-solved without it
    state = np.array([1.0, 0.0], np.float32)
    results.clear()
    win.show_frame(
        Frame(time_s=1200.0, rack={"power_w": hot.astype(np.float32)}, air_unit={"state": state})
    )
    qtbot.waitUntil(lambda: bool(results) and not view.busy_solving, timeout=SOLVE_TIMEOUT_MS)
    solver = win.solver.jobs.solver
    assert solver.model.failed == ("CRAH-2",)
    # CRAH-1's fans measured at 60 % of rated: the flow is re-solved with them, once
    solves = solver.flow_solves
    flows = (f.air_unit_airflow_m3s * np.array([0.6, 0.0])).astype(np.float32)
    for k in range(2):
        results.clear()
        win.show_frame(
            Frame(
                time_s=1230.0 + 30 * k,
                rack={"power_w": hot.astype(np.float32)},
                air_unit={"state": state, "flow_m3s": flows * (1 + 0.02 * k)},
            )
        )
        qtbot.waitUntil(lambda: bool(results) and not view.busy_solving, timeout=SOLVE_TIMEOUT_MS)
    assert solver.flow_solves == solves + 1  # the 2 % change of the second frame: a step only
    assert solver.model.unit_flow_scale[0] == pytest.approx(0.6, rel=1e-6)


def test_closing_during_a_solve_does_not_wait_for_it(thermal, qtbot):
    view, win = thermal, thermal.window
    view.set_overlay(SLICE, True)
    assert view.busy_solving
    win.close()  # returns at once: the solve runs on in a daemon thread, unheeded
    assert view._closed and not win.solver.busy()
    view.request_solve()  # after close: ignored, nothing queued
    assert not win.solver.busy() and win.solver.request(win.facility, 0) is None


def test_dock_and_view_state_stay_in_step(thermal, qtbot):
    """The dock shows ``window.view.thermal`` whoever changes it, writes the user's choices
    into it, and every solve of the window (the editor's too) uses it."""
    view, win = thermal, thermal.window
    st = win.view.thermal
    st.cell_m = 0.4
    assert view.cell_spin.value() == pytest.approx(0.4)
    view.cell_spin.setValue(0.0)  # "auto"
    assert st.cell_m is None
    assert view.effective_cell_m() == choose_cell_m(win.facility, 0)
    st.slice_z_m = 2.0
    assert view.height_slider.value() == 40
    view.height_slider.setValue(50)
    assert st.slice_z_m == pytest.approx(2.5)
    st.vslice_axis = "y"
    assert view.axis_combo.currentData() == "y"
    view.axis_combo.setCurrentIndex(0)
    assert st.vslice_axis == "x" and st.vslice_pos_m is None
    st.follow_telemetry = False
    assert not view.follow.isChecked()
    view.follow.setChecked(True)
    assert st.follow_telemetry
    st.failed_units = frozenset({"CRAH-1", "NOT-A-UNIT"})
    checked = {
        view.units_list.item(i).text()
        for i in range(view.units_list.count())
        if view.units_list.item(i).checkState() == Qt.CheckState.Checked
    }
    assert checked == {"CRAH-1"}
    assert win.solver.jobs.settings is st
    assert win.solver.jobs.settings.failed_in(win.facility, 0) == ("CRAH-1",)
    st.cell_m = 0.5
    job = win.solver.request(win.facility, 0)
    assert job.tag.cell_m == 0.5 and job.tag.failed == ("CRAH-1",)
    win.solver.cancel()


def test_a_solve_does_not_wait_behind_a_sweep_or_an_optimisation(thermal, qtbot, monkeypatch):
    """The window's long jobs used to share its one solver thread with the thermal view: on
    the demo hall the re-solve asked 3 s into an N-1 sweep came when the sweep ended, 37 s
    later. Each long job stands here as one that runs until the test lets it end, and the
    view's solve must come while both still run."""
    import twin.physics.setpoints as setpoints
    import twin.whatif.sweep as sweep_mod

    view, win = thermal, thermal.window
    release = threading.Event()

    def endless_sweep(fac, cases, opts, progress=None, cancelled=None, **_kw):
        while not release.wait(0.01) and not cancelled():
            pass

    class EndlessOptimiser:
        def __init__(self, fac, progress=None):
            self.progress = progress

        def run(self, halls):
            while not release.wait(0.01):
                self.progress("a case")  # checks its token, as the real one does per solve

    monkeypatch.setattr(sweep_mod, "run_sweep", endless_sweep)
    monkeypatch.setattr(setpoints, "SetPointOptimiser", EndlessOptimiser)
    from twin.ui.energy_dock import OPTIMISE_KEY
    from twin.ui.whatif_sweep import SWEEP_KEY

    assert win.extensions["whatif_dock"].sweep.run()
    win.extensions["energy_dock"].optimise()
    qtbot.waitUntil(lambda: win.solver.busy(SWEEP_KEY) and win.solver.busy(OPTIMISE_KEY))
    try:
        view.request_solve()
        qtbot.waitUntil(lambda: view.result is not None, timeout=SOLVE_TIMEOUT_MS)
        assert win.solver.busy(SWEEP_KEY) and win.solver.busy(OPTIMISE_KEY)
    finally:  # both stop at their next look at the token, and their outcomes are dropped
        win.solver.cancel(SWEEP_KEY)
        win.solver.cancel(OPTIMISE_KEY)
    qtbot.waitUntil(lambda: not win.solver.service.busy(), timeout=10000)
    release.set()


def test_the_dock_s_heat_balance_in_a_hall_with_heat_and_in_one_without():
    """A hall whose racks are all at 0 W read "Heat in 0 kW = out -0 kW + stored in the air
    +0 kW (solver error 4.19 %)" and "RCI-HI nan %": its error is watts against 1 W there."""
    from types import SimpleNamespace

    from twin.ui.thermal_panel import _balance_text

    def res(heat_in_w, heat_out_w, stored_w, error):
        return SimpleNamespace(
            heat_in_w=heat_in_w, heat_out_w=heat_out_w, heat_stored_w=stored_w, energy_error=error
        )

    assert _balance_text(res(402e3, 529e3, -127e3, 3.4e-5)) == (
        "Heat in 402 kW = out 529 kW + stored in the air -127 kW (solver error 0.00 %)"
    )
    assert _balance_text(res(150e3, 148.4e3, 1.2e3, 2.7e-3)) == (
        "Heat in 150 kW = out 148 kW + stored in the air +1 kW (solver error 0.27 %)"
    )
    assert _balance_text(res(0.0, -0.3, -0.2, 0.0419)) == (
        "Heat in 0 kW = out 0 kW + stored in the air +0 kW (no heat to balance: 0.042 W)"
    )
    assert _balance_text(res(0.99, 0.0, 0.0, 0.99)).endswith("(no heat to balance: 0.99 W)")
    assert _balance_text(res(1.0, 1.0, 0.0, 0.0)).endswith("(solver error 0.00 %)")


def test_a_hall_without_heat_has_no_indices_to_show(tmp_path):
    from tests.test_energy_cli import ROOMY
    from twin.model.loader import facility_from_text
    from twin.physics import solve_steady
    from twin.ui.thermal_panel import summarise

    fac = facility_from_text(ROOMY.replace("power_kw: 10", "power_kw: 0"), "unloaded.yaml")
    text = summarise(fac, solve_steady(fac, 0, 0.4), set())
    # every inlet at the supply: inside the recommended band (RCI 100 %), no rise (no RTI)
    assert "RCI-HI 100 %, RCI-LO 100 %, RTI n/a<br>" in text and "nan" not in text
    assert "(no heat to balance: " in text and "-0 kW" not in text
