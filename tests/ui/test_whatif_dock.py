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
