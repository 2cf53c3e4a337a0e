"""The What If dock in a real window: tick a CRAH, run in the background, read the ranked
racks and see the GPUs coloured by minutes to slowdown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui
HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"


def test_whatif_dock_runs_ranks_and_colours(window, qtbot, tmp_path):
    win = window
    with qtbot.waitSignal(win.layout_loaded, timeout=60000):
        win.open_layout(HALL)
    dock = win.extensions["whatif_dock"]
    win.action_registry["tools.whatif"].trigger()
    assert dock.dock.isVisible()
    assert dock.devices.count() == 2 + 6  # two CRAHs, six power devices
    dock.set_checked(["CRAH-1"])
    dock.minutes.setValue(3)
    dock.cell.setValue(0.4)
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    res = dock.result
    s = res.summary()
    assert s["failed"] == ["CRAH-1"] and s["gpus_throttled"] > 0
    assert "reach slowdown" in dock.summary.text()
    # the table is the ranked racks, soonest first, with the change from the baseline
    rows = res.racks_ranked()
    assert dock.table.rowCount() == len(rows) == 6
    assert [dock.table.item(k, 0).text() for k in range(6)] == [r["id"] for r in rows]
    assert dock.table.item(0, 3).text() == f"{rows[0]['first_slowdown_min']:.1f}"
    assert dock.table.item(0, 6).text().endswith(" K") and dock.table.item(0, 6).text()[0] == "+"
    # countdown colouring: each GPU's minutes to slowdown, never = the run's length
    dock.colour.setChecked(True)
    got = win.scene.gpu_values()
    expected = np.where(np.isinf(res.gpu_slowdown_s), 3.0, res.gpu_slowdown_s / 60.0)
    np.testing.assert_allclose(got, expected)
    dock.colour.setChecked(False)
    assert np.isnan(win.scene.gpu_values()).all()
    _difference_and_side_by_side(win, dock, qtbot)
    out = tmp_path / "w.csv"
    dock.export_csv(out)
    assert out.read_text().splitlines()[1].startswith(rows[0]["id"] + ",")


def test_a_new_run_supersedes_the_last_on_the_window_solver(window, qtbot):
    """Runs go to the window's one solver service; a second Run before the first lands
    replaces it, and only its answer is shown."""
    from twin.ui.whatif_dock import WHATIF_KEY

    win = window
    with qtbot.waitSignal(win.layout_loaded, timeout=60000):
        win.open_layout(HALL)
    dock = win.extensions["whatif_dock"]
    asked, shown = [], []
    win.solver.asked.connect(lambda job: asked.append(job.key))
    dock.finished.connect(shown.append)
    dock.minutes.setValue(2)
    dock.cell.setValue(0.5)
    dock.set_checked(["CRAH-1"])
    assert dock.run() and dock.busy
    dock.set_checked(["CRAH-2"])
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    qtbot.waitUntil(lambda: not win.solver.service.busy(), timeout=300000)
    qtbot.wait(200)  # a stale answer would be delivered by now
    assert asked == [WHATIF_KEY, WHATIF_KEY]
    assert [r.summary()["failed"] for r in shown] == [["CRAH-2"]]
    assert dock.result.summary()["failed"] == ["CRAH-2"]


def _difference_and_side_by_side(win, dock, qtbot):
    """The rise from baseline in the main view, and baseline | peak in two linked views."""
    from twin.whatif.compare import RISE

    res, base_c = dock.result, dock.baseline.gpu_temp_c
    hall = win.facility.gpu_hall == res.hall
    dock.view_combo.setCurrentText(RISE)
    dock.colour.setChecked(True)
    rise = win.scene.gpu_values()
    assert win.scene.gpu_colouring.name == f"{RISE} (K)"
    assert np.isfinite(rise[hall]).all() and np.isnan(rise[~hall]).all()
    assert rise[hall].min() > -0.05 and rise[hall].max() > 1.0  # losing a CRAH only warms
    np.testing.assert_allclose(rise[hall], (res.gpu_peak_c - base_c)[hall], atol=1e-3)
    dock.colour.setChecked(False)
    assert np.isnan(win.scene.gpu_values()).all()
    dock.compare_button.click()
    cw = dock.compare_window
    qtbot.waitExposed(cw)
    left, right = cw.meshes
    per_gpu = [m.cell_data["gpu_value"][::5] for m in (left, right)]  # five faces per GPU
    np.testing.assert_allclose(per_gpu[0], base_c[hall], atol=1e-3)
    np.testing.assert_allclose(per_gpu[1], res.gpu_peak_c[hall], atol=1e-3)
    assert per_gpu[1].mean() > per_gpu[0].mean() + 0.5
    r0, r1 = cw.plotter.renderers[0], cw.plotter.renderers[1]
    assert r0.camera is r1.camera  # linked: both views turn together
    assert cw.clim[0] <= per_gpu[0].min() and cw.clim[1] >= per_gpu[1].max()
    cw.plotter.render()
    cw.close()
    qtbot.waitUntil(lambda: dock.compare_window is None, timeout=5000)


def test_n_minus_1_sweep_in_the_window_ranks_the_crahs_first(window, qtbot):
    """The N-1 tab fails each of the hall's eight devices alone on the window's solver. Power
    is 2N (every rack on an A and a B feed), so no single power device darkens or warms
    anything, while losing either CRAH drives GPUs to slowdown: the CRAHs rank first."""
    win = window
    with qtbot.waitSignal(win.layout_loaded, timeout=60000):
        win.open_layout(HALL)
    dock = win.extensions["whatif_dock"]
    dock.minutes.setValue(2)
    dock.cell.setValue(0.5)
    sweep = dock.sweep
    with qtbot.waitSignal(sweep.finished, timeout=600000):
        assert sweep.run() and sweep.busy and not sweep.button.isEnabled()
    assert sweep.button.isEnabled()
    cells = [
        [sweep.table.item(k, c).text() for c in range(sweep.table.columnCount())]
        for k in range(sweep.table.rowCount())
    ]
    assert len(cells) == 8
    assert sorted(row[0] for row in cells[:2]) == ["CRAH-1", "CRAH-2"]
    assert all(int(row[2]) > 0 for row in cells[:2])  # GPUs throttled
    assert all(row[1] == "0" and row[2] == "0" for row in cells[2:])  # 2N power
    assert "worst: CRAH-" in sweep.status.text()
    sweep._choose(0, 0)  # a double-click on the worst case ticks it for a detailed run
    assert dock.checked() == [cells[0][0]]


def test_a_sweep_cleared_by_a_new_layout_stops_its_workers(window, qtbot, spawned_children):
    """Opening another layout clears the N-1 tab; its sweep's worker processes used to run
    every case to the end, the window's solver waiting for them."""
    import time

    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(HALL)
    dock = window.extensions["whatif_dock"]
    dock.minutes.setValue(600)
    dock.cell.setValue(0.2)
    sweep = dock.sweep
    assert sweep.run()
    qtbot.waitUntil(lambda: len(spawned_children()) >= 1, timeout=30000)
    time.sleep(1.0)
    t0 = time.monotonic()
    sweep.clear()
    qtbot.waitUntil(lambda: spawned_children() == [], timeout=10000)
    assert time.monotonic() - t0 < 3
    qtbot.waitUntil(lambda: not sweep.busy, timeout=5000)
    assert sweep.button.isEnabled() and sweep.table.rowCount() == 0


def test_a_sweep_after_an_edit_sends_the_layout_as_edited(window, qtbot, monkeypatch, editor):
    """The sweep's workers load the layout from text: it sent the file as opened, so a sweep
    after a rack was moved ran the rack where it stood before (and after an edit that
    rebuilds the facility there was no text at all). It sends the document written out now."""
    import twin.whatif.sweep as sweep_mod
    from twin.model import edits as E
    from twin.model.loader import facility_from_text
    from twin.physics.hall_jobs import Snapshot

    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(HALL)
    fac = window.facility
    assert Snapshot.of(fac).text() == HALL.read_text()
    sent = []

    def capture(fac, cases, opts, text=None, **_kw):
        sent.append(text)
        raise RuntimeError("captured")

    monkeypatch.setattr(sweep_mod, "run_sweep", capture)
    editor.set_active(True)
    rack = fac.rack_ids[0]
    y0 = float(fac.rack_center_m[0, 1])
    assert editor.push(E.translate(editor.doc, [rack], (0.0, 0.6)))
    sweep = window.extensions["whatif_dock"].sweep
    assert sweep.run()
    qtbot.waitUntil(lambda: "Sweep failed" in sweep.status.text(), timeout=30000)
    (text,) = sent
    loaded = facility_from_text(text, str(HALL))
    assert float(loaded.rack_center_m[loaded.rack_index[rack], 1]) == pytest.approx(y0 + 0.6)
    assert "Sweep failed: RuntimeError: captured" in sweep.status.text()


def test_a_whatif_of_a_layout_edited_while_it_ran_says_so(window, qtbot, editor):
    """The what-if held the window's facility, which the editor patches in place; it now
    runs on a copy taken when asked, and its summary says it is of the layout before an
    edit made while it ran."""
    from twin.model import edits as E

    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(HALL)
    dock = window.extensions["whatif_dock"]
    dock.set_checked(["CRAH-1"])
    dock.minutes.setValue(2)
    dock.cell.setValue(0.5)
    fac = window.facility
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
        editor.set_active(True)
        assert editor.push(E.translate(editor.doc, [fac.rack_ids[0]], (0.0, 0.3)))
        assert dock.busy
    assert "CRAH-1:" in dock.summary.text()
    assert dock.summary.text().endswith(
        "Of the layout before the edits made while it ran: run it again."
    )
    # the next run, of the layout as edited, says nothing of the sort
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    assert "before the edits" not in dock.summary.text()


def test_a_run_stopped_at_the_air_limit_says_so(window, qtbot):
    """Both CRAHs lost: the hall's air passes 150 °C within the five minutes and the dock
    says where the run stopped and why, beneath the counts."""
    win = window
    with qtbot.waitSignal(win.layout_loaded, timeout=60000):
        win.open_layout(HALL)
    dock = win.extensions["whatif_dock"]
    win.action_registry["tools.whatif"].trigger()
    dock.set_checked(["CRAH-1", "CRAH-2"])
    dock.minutes.setValue(5)
    dock.cell.setValue(0.4)
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    past = dock.result.summary()["air_past_limit_min"]
    assert past is not None and past < 5
    lines = dock.summary.text().splitlines()
    assert lines[0].startswith("CRAH-1 + CRAH-2: ")
    assert lines[1].startswith(f"Stopped at {past:.1f} min: the hall's air passed 150 C, ")


def _room_dock(window, qtbot, tmp_path, set_flow_m3s: float, minutes: int):
    """The unit-loss tests' room (three 77 kW CRAHs of 4.72 m3/s rated, set at
    ``set_flow_m3s``) open in the window, its What If dock asked to lose C1 for ``minutes``."""
    from tests.physics.test_unit_loss import top_intake_room

    path = tmp_path / "room.yaml"
    text = top_intake_room(tmp_path, 16.0)
    path.write_text(text.replace("airflow_m3s: 3.0", f"airflow_m3s: {set_flow_m3s}"))
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(path)
    dock = window.extensions["whatif_dock"]
    window.action_registry["tools.whatif"].trigger()
    dock.set_checked(["C1"])
    dock.minutes.setValue(minutes)
    dock.cell.setValue(0.4)
    return dock


def test_ramp_fans_runs_the_other_units_at_their_rating(window, qtbot, tmp_path):
    """Ticked, "Ramp fans" runs the lost unit's hall with its other units at their rated
    flow, and the summary names them; the room's C2 and C3 are set at 3.0 of 4.72 m3/s."""
    dock = _room_dock(window, qtbot, tmp_path, 3.0, 2)
    assert not dock.ramp.isChecked() and dock.options().ramp is False
    dock.ramp.setChecked(True)
    assert dock.options().ramp is True
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    assert dock.result.ramped_units == ("C2", "C3")
    # no GPU slows down within the run: no "(first after ...)" to say
    assert dock.summary.text().splitlines()[0] == (
        "C1: 0 racks / 0 GPUs dark, 0 GPUs reach slowdown, 0 racks leave A1 allowable; "
        "overloaded: none"
    )
    assert dock.summary.text().splitlines()[-1] == (
        "Ramped to their rated flow after the loss: C2, C3"
    )


def test_ramp_fans_says_so_when_no_unit_is_below_its_rating(window, qtbot, tmp_path):
    """Ticked where the other units already run at their rating (4.72 m3/s), "Ramp fans"
    ramps none and the summary says so, rather than leaving the ticked box unanswered."""
    dock = _room_dock(window, qtbot, tmp_path, 4.72, 1)
    dock.ramp.setChecked(True)
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    assert dock.result.ramped_units == () and dock.result.ramp_applied
    assert dock.summary.text().splitlines()[-1] == (
        "Ramped none after the loss: the hall's other running units already run at their rated flow"
    )
    dock.ramp.setChecked(False)
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    assert "amped" not in dock.summary.text()


def test_an_overloaded_start_reads_before_in_the_table_and_the_summary(window, qtbot, tmp_path):
    """The room left with C3 alone for its 150 kW: every rack is past 32 C before C3 is lost.
    The table's ">32 °C" column read "0.0" for them, as if the loss had done it at once; it
    reads "before", and the summary's "Before the failure" line gives the overload note."""
    from tests.physics.test_unit_loss import top_intake_room

    text = top_intake_room(tmp_path, 20.0)
    text = "\n".join(ln for ln in text.splitlines() if "id: C1" not in ln and "id: C2" not in ln)
    path = tmp_path / "over.yaml"
    path.write_text(text + "\n")
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(path)
    dock = window.extensions["whatif_dock"]
    window.action_registry["tools.whatif"].trigger()
    dock.set_checked(["C3"])
    dock.minutes.setValue(1)
    dock.cell.setValue(0.4)
    with qtbot.waitSignal(dock.finished, timeout=300000):
        assert dock.run()
    rows = dock.result.racks_ranked()
    assert len(rows) == 8 and all(r["outside_at_start"] for r in rows)
    assert [dock.table.item(k, 4).text() for k in range(8)] == ["before"] * 8
    (line,) = [ln for ln in dock.summary.text().splitlines() if ln.startswith("Before the")]
    assert line.endswith(
        "and no steady state: the racks send 150.2 kW to the air and the running air units (C3) "
        "can remove 77.0 kW; the figures hold their set supply, which they cannot, so the hall "
        "runs hotter than shown and keeps warming, followed from there"
    )
