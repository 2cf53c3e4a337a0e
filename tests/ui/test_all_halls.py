"""Thermal > Solve All Halls: every hall solved in worker processes on the window's solver,
a row per hall showing waiting, solving and done in N s (or failed)."""

from __future__ import annotations

import pytest

from twin.model.generate import ai_factory
from twin.ui.all_halls import A1_COL, HOT_COL, PASS_COL

COARSE, FINE = PASS_COL["coarse"], PASS_COL["fine"]


@pytest.fixture
def two_halls(tmp_path):
    path = tmp_path / "factory.yaml"
    path.write_text(
        ai_factory(
            liquid_halls=1, racks_per_row=4, rows_per_hall=2, air_hall_rows=2, air_racks_per_row=3
        )
    )
    return path


def _solve_with(window, qtbot, monkeypatch, layout, fake_solve, cells=(0.5, 1.0)):
    """Open ``layout`` and Solve All Halls with ``fake_solve`` in place of the worker pool
    (fine and coarse cells ``cells``); the panel once every job has answered."""
    import twin.ui.all_halls as all_halls

    monkeypatch.setattr(all_halls, "solve_halls", fake_solve)
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(layout)
    panel = window.extensions["all_halls"]
    panel.cell_m, panel.coarse_cell_m = cells
    panel.solve()
    with qtbot.waitSignal(window.solver.done, timeout=30000):
        pass
    return panel


def test_solve_all_halls_shows_progress_per_hall(window, qtbot, two_halls):
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(two_halls)
    panel = window.extensions["all_halls"]
    f = window.facility
    assert len(f.hall_ids) == 2
    panel.workers, panel.cell_m, panel.coarse_cell_m = 1, 0.5, 1.0
    window.action_registry.trigger("view.thermal.all_halls")
    assert panel.dock.isVisible()
    first = panel.jobs[0]
    # one worker: the first job solves, every other waits
    assert panel.states[(first.hall, first.stage)] == "solving"
    assert sorted(panel.states.values()).count("waiting") == len(panel.jobs) - 1
    assert panel.table.item(first.hall, COARSE).text() == "solving…"
    with qtbot.waitSignal(window.solver.done, timeout=240000):
        pass
    qtbot.waitUntil(lambda: panel.solve_button.isEnabled(), timeout=5000)
    assert set(panel.states.values()) == {"done"}
    assert [panel.table.item(h, 0).text() for h in range(2)] == f.hall_ids
    cell = panel.table.item
    for h in range(2):
        for c in (COARSE, FINE):
            value, unit = cell(h, c).text().split(" ")
            assert unit in ("s", "ms") and float(value) > 0, cell(h, c).text()
        # the answer columns hold the fine pass's: its hottest inlet, its racks outside A1
        racks = int((f.rack_hall == h).sum())
        hot = cell(h, HOT_COL).text()
        assert hot.endswith(" °C") and 15 < float(hot[:-3]) < 60
        assert cell(h, A1_COL).text().endswith(f" of {racks}")
        assert cell(h, HOT_COL).toolTip().startswith("From the fine pass, 0.5 m cells: hottest")
    assert "All halls solved (4 solves)" in panel.caption.text()


def test_unsaved_layout_is_refused(window):
    panel = window.extensions["all_halls"]
    assert panel.solve() is False
    assert "saved layout" in panel.caption.text()


def test_a_failing_hall_says_why(window, qtbot, two_halls, monkeypatch):
    import twin.ui.all_halls as all_halls
    from twin.physics.factory import HallDone

    def fake_solve(path, jobs, summarise, workers, cancelled=None):
        for k, job in enumerate(jobs):
            if k == 0:
                yield HallDone(job, "X", error="grid too large")
            else:
                s = {"seconds": 1.25, "inlet_max_c": 24.0, "outside_a1": 1, "racks": 8}
                yield HallDone(job, "X", {**s, "cell_m": job.cell_m})

    monkeypatch.setattr(all_halls, "solve_halls", fake_solve)
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(two_halls)
    panel = window.extensions["all_halls"]
    panel.workers = 2
    panel.solve()
    assert list(panel.states.values()).count("solving") == 2
    with qtbot.waitSignal(window.solver.done, timeout=30000):
        pass
    first = panel.jobs[0]
    assert panel.states[(first.hall, first.stage)] == "failed"
    assert panel.table.item(first.hall, COARSE).text() == "failed: grid too large"
    assert list(panel.states.values()).count("done") == len(panel.jobs) - 1
    assert panel.table.item(first.hall, FINE).text() == "1.2 s"
    # the failed coarse pass left no answer; the fine pass's is there
    assert panel.table.item(first.hall, HOT_COL).text() == "24.0 °C"
    assert panel.table.item(first.hall, A1_COL).text() == "1 of 8"
    assert "1 failed" in panel.caption.text()


def test_cancel_kills_the_solves_running_and_frees_the_solver(
    window, qtbot, two_halls, spawned_children
):
    """Cancel used to let the solves running finish (the window's solver thread waited for
    them, and every other solve behind it)."""
    import time

    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(two_halls)
    panel = window.extensions["all_halls"]
    panel.workers, panel.cell_m, panel.coarse_cell_m = 2, 0.1, None  # minutes a hall
    assert panel.solve()
    qtbot.waitUntil(lambda: len(spawned_children()) == 2, timeout=30000)
    time.sleep(1.0)  # both are solving
    t0 = time.monotonic()
    panel.cancel()
    qtbot.waitUntil(lambda: spawned_children() == [], timeout=10000)
    assert time.monotonic() - t0 < 3  # a solve at 0.1 m takes minutes
    qtbot.waitUntil(lambda: not window.solver.busy(), timeout=5000)
    assert set(panel.states.values()) == {"cancelled"}
    assert panel.caption.text() == "Cancelled."


def test_a_hall_solved_again_alone_says_so_in_its_cell(window, qtbot, two_halls, monkeypatch):
    import twin.ui.all_halls as all_halls
    from twin.physics.factory import RETRIED_NOTE, HallDone

    def fake_solve(path, jobs, summarise, workers, cancelled=None):
        for k, job in enumerate(jobs):
            s = {"seconds": 2.0, "inlet_max_c": 25.0, "outside_a1": 0, "racks": 3}
            yield HallDone(job, job.hall_id, {**s, "cell_m": job.cell_m}, retried=k == 0)

    monkeypatch.setattr(all_halls, "solve_halls", fake_solve)
    with qtbot.waitSignal(window.layout_loaded, timeout=60000):
        window.open_layout(two_halls)
    panel = window.extensions["all_halls"]
    panel.solve()
    with qtbot.waitSignal(window.solver.done, timeout=30000):
        pass
    first, second = panel.jobs[0], panel.jobs[1]
    cell = panel.table.item(first.hall, COARSE)
    assert cell.text() == "2.0 s, again alone"
    assert cell.toolTip() == (
        f"{cell.text()}\nSolved again alone: its worker was killed while others ran, as when "
        "memory runs out."
    )
    assert RETRIED_NOTE.startswith("solved again alone: its worker was killed")
    other = panel.table.item(second.hall, COARSE)
    assert "again" not in other.text() and "again" not in other.toolTip()
    # the dock widened to show the whole table (it opened narrower than its columns), up to
    # its share of the window
    window.resize(1600, 1000)
    panel.solve()
    with qtbot.waitSignal(window.solver.done, timeout=30000):
        pass
    qtbot.waitUntil(lambda: not panel.table.horizontalScrollBar().isVisible(), timeout=5000)
    assert panel.dock.width() <= window.width() * all_halls.MAX_DOCK_SHARE + 1


def test_a_coarse_answer_arriving_late_does_not_replace_the_fine_one(
    window, qtbot, two_halls, monkeypatch
):
    """With several workers a hall's fine pass can end before its coarse one: the answer
    columns keep the finer answer, and say which pass gave what they show."""
    from twin.physics.factory import HallDone

    def fake_solve(path, jobs, summarise, workers, cancelled=None):
        hot = {"coarse": 30.0, "fine": 27.5}
        for job in sorted(jobs, key=lambda j: j.stage != "fine"):  # every fine pass first
            s = {"seconds": 1.0, "inlet_max_c": hot[job.stage], "outside_a1": 2, "racks": 9}
            yield HallDone(job, job.hall_id, {**s, "cell_m": job.cell_m})

    panel = _solve_with(window, qtbot, monkeypatch, two_halls, fake_solve)
    for h in range(2):
        assert panel.table.item(h, COARSE).text() == panel.table.item(h, FINE).text() == "1.0 s"
        assert panel.table.item(h, HOT_COL).text() == "27.5 °C"
        assert panel.table.item(h, A1_COL).text() == "2 of 9"
        tip = panel.table.item(h, HOT_COL).toolTip()
        assert tip == (
            "From the fine pass, 0.5 m cells: hottest rack inlet 27.5 °C, 2 of 9 racks outside "
            "ASHRAE A1."
        )


def test_a_coarse_answer_says_the_fine_pass_replaces_it(window, qtbot, two_halls, monkeypatch):
    from twin.physics.factory import HallDone

    def fake_solve(path, jobs, summarise, workers, cancelled=None):
        for job in jobs:
            if job.stage == "coarse":
                s = {"seconds": 1.0, "inlet_max_c": 30.0, "outside_a1": 0, "racks": 9}
                yield HallDone(job, job.hall_id, {**s, "cell_m": job.cell_m})
            else:
                yield HallDone(job, job.hall_id, error="MemoryError")

    panel = _solve_with(window, qtbot, monkeypatch, two_halls, fake_solve)
    assert panel.table.item(0, FINE).text() == "failed: MemoryError"
    assert panel.table.item(0, HOT_COL).text() == "30.0 °C"
    assert panel.table.item(0, HOT_COL).toolTip() == (
        "From the coarse pass, 1 m cells: hottest rack inlet 30.0 °C, 0 of 9 racks outside "
        "ASHRAE A1 (a finished fine pass replaces it)."
    )
