"""Thermal requests on the solver service: one model kept while only failures or loads change,
a new one for an edited layout (solved on a snapshot, warm-started), frames stepped when close
in time; every solve is counted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SMALL_LAYOUT
from twin.physics.hall_jobs import FRAME, STEADY, HallJobs, Snapshot
from twin.physics.model import solve_steady

CELL_M = 0.5
#: the small test layout with a second CRAH, so one can fail
TWO_CRAHS = SMALL_LAYOUT.replace(
    "air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]}]",
    "air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]},"
    " {id: CRAH-2, type: crah-77kw, hall: H1, position_m: [11.0, 9.0]}]",
)


@pytest.fixture
def jobs():
    j = HallJobs()
    j.settings.cell_m = CELL_M
    got = []
    j.service.finished.connect(lambda o: got.append(o.value))
    j.service.failed.connect(lambda o: got.append(o.error))
    j.got = got
    yield j
    j.service.shutdown()


def _one(jobs, facility, **options):
    jobs.got.clear()
    assert jobs.request(facility, 0, **options) is not None
    assert jobs.service.wait(120)
    (answer,) = jobs.got
    assert not isinstance(answer, str), answer
    return answer


def test_same_state_reuses_the_model_and_matches_a_plain_solve(jobs, write_layout):
    assert TWO_CRAHS != SMALL_LAYOUT
    fac = write_layout(TWO_CRAHS)
    first = _one(jobs, fac)
    assert first.new_model and not first.stepped and first.key == STEADY
    assert first.facility is fac and first.source is fac
    plain = solve_steady(fac, 0, CELL_M)
    np.testing.assert_array_equal(first.result.air_c, plain.air_c)  # the same solve, bit for bit
    again = _one(jobs, fac)
    assert not again.new_model and jobs.solver.steady_solves == 2
    unit = fac.air_unit_ids[1]
    jobs.settings.failed = {unit, "NOT-A-UNIT"}  # unknown ids are not asked for
    failed = _one(jobs, fac)
    assert failed.request.failed == (unit,) and not failed.new_model
    assert tuple(jobs.solver.model.failed) == (unit,)


def test_an_edited_layout_is_solved_on_a_snapshot_with_a_warm_start(jobs, write_layout):
    fac = write_layout(TWO_CRAHS)
    base = _one(jobs, fac)
    moved = fac.layout.model_copy(deep=True)
    rack = moved.rows[0].racks[-1]  # a row end
    rack.position_m = (rack.position_m[0] + 0.6, rack.position_m[1])
    snap = Snapshot(moved, fac.catalog, source=fac)
    jobs.freeze = lambda f: snap if f is fac else None
    edit = _one(jobs, fac)
    assert edit.request.warm and edit.new_model and edit.facility is not fac
    assert edit.source is fac and edit.facility is snap.facility()
    r = edit.facility.rack_index[rack.id]
    assert edit.facility.rack_center_m[r, 0] == pytest.approx(fac.rack_center_m[r, 0] + 0.6)
    assert jobs.solver.model.warm_started
    cold = solve_steady(edit.facility, 0, CELL_M)
    # the heat solves start from the old temperatures: a cold solve's answer to their tolerance
    np.testing.assert_allclose(edit.result.air_c, cold.air_c, atol=0.05)
    assert edit.result.energy_error < 0.01
    assert not np.allclose(edit.result.air_c, base.result.air_c, equal_nan=True)


def test_frames_step_when_close_and_solve_after_a_gap(jobs, write_layout):
    fac = write_layout(TWO_CRAHS)
    _one(jobs, fac)
    hot = fac.rack_power_w * 1.5
    first = _one(jobs, fac, key=FRAME, rack_power_w=hot, time_s=100.0)
    assert not first.stepped  # no frame before it: a steady state at these powers
    step = _one(jobs, fac, key=FRAME, rack_power_w=hot, time_s=130.0)
    assert step.stepped and jobs.solver.steps == 1
    np.testing.assert_allclose(step.result.rack_power_w, hot)
    gap = _one(jobs, fac, key=FRAME, rack_power_w=hot, time_s=130.0 + 3600)
    back = _one(jobs, fac, key=FRAME, rack_power_w=hot, time_s=50.0)
    assert not gap.stepped and not back.stepped and jobs.solver.steps == 1
    off = _one(jobs, fac, key=FRAME, rack_power_w=hot, time_s=60.0, more_failed=["CRAH-2"])
    assert off.request.failed == ("CRAH-2",) and not off.stepped  # new flow: steady
    assert jobs.solver.steady_solves == 5


def test_a_snapshot_keeps_the_layout_as_asked_while_the_live_one_is_edited(tmp_path):
    """``Snapshot.of`` copies the layout on the asking thread: a job that builds its facility
    later sees the rack where it stood, and ``layout_state`` tells the edit."""
    from twin.model import edits as E
    from twin.model.document import LayoutDocument
    from twin.model.loader import load_layout
    from twin.physics.hall_jobs import Snapshot, layout_state

    fac = load_layout(Path(__file__).parents[2] / "layouts" / "demo-air-hall.yaml")
    doc = LayoutDocument(fac.layout, path=fac.path, source_text=fac.source_text)
    doc.facility = live = fac
    asked, snap = layout_state(live), Snapshot.of(live)
    assert snap.facility().source_text == fac.source_text  # unedited: the file's text
    x0 = live.rack_center_m[0].copy()
    E.translate(doc, [live.rack_ids[0]], (0.0, 0.6)).do(doc)
    assert live.rack_center_m[0, 1] == pytest.approx(x0[1] + 0.6)
    copy = Snapshot(snap.layout, snap.catalog, path=snap.path).facility()
    assert copy.rack_center_m[0].tolist() == x0.tolist()  # where it stood when asked
    assert copy.path == live.path
    assert layout_state(live) != asked and layout_state(live) == (live, 1)
    edited = Snapshot.of(live)
    assert edited.facility().source_text is None  # the file's text is no longer the layout
    assert edited.facility().rack_center_m[0].tolist() == live.rack_center_m[0].tolist()
