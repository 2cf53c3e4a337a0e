"""What was past its limits before the failure is counted apart. A rack whose front is on the
wall moves no air, so its GPUs read at shutdown before anything fails; counted in, every
case of a sweep read "32 GPUs throttled, ride-through 0.0 min" and the ranking said nothing."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.whatif import Baseline, StartState, run_whatif
from twin.whatif.export import sweep_text, whatif_text
from twin.whatif.sweep import SweepResult

from .conftest import FAST, HALL

# the small hall with a fourth rack in row A, its front (-y) on the hall's wall
WALL_RACK = """\
  - id: A4
    type: rack-600x1200-48u
    position_m: [7.5, 0.6]
    rotation_deg: 0.0
    servers:
    - {type: dgx-h100, count: 4}
    feeds: {a: PDU-A, b: PDU-B}
- id: B
"""


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    text = HALL.read_text().replace("- id: B\n", WALL_RACK, 1)
    path = tmp_path_factory.mktemp("wall") / "wall.yaml"
    path.write_text(text)
    fac = load_layout(path)
    return fac, Baseline(fac, StartState.nominal(fac), 0, FAST.cell_m)


def _a4_gpus(fac) -> np.ndarray:
    return fac.gpu_rack == fac.rack_index["A4"]


def test_a_power_failure_that_changes_nothing_throttles_nothing(wall):
    fac, base = wall
    a4 = _a4_gpus(fac)
    assert a4.sum() == 32  # four DGX H100 of eight GPUs
    res = run_whatif(fac, ["UPS-A"], options=FAST, baseline=base)
    s = res.summary()
    assert (s["gpus_throttled"], s["ride_through_min"], s["gpus_shut_down"]) == (0, None, 0)
    assert (s["gpus_throttled_at_start"], s["gpus_shut_down_at_start"]) == (32, 32)
    assert np.array_equal(res.gpu_slow_at_start, a4)
    assert res.gpus_ranked() == []
    row = next(r for r in res.racks_ranked() if r["id"] == "A4")
    assert (row["gpus_throttled"], row["gpus_throttled_at_start"]) == (0, 32)
    assert "before the failure: 32 GPUs at slowdown (32 at shutdown)" in whatif_text(res)


def test_a_crah_failure_is_timed_from_the_gpus_it_heats(wall):
    fac, base = wall
    a4 = _a4_gpus(fac)
    res = run_whatif(fac, ["CRAH-1"], options=FAST, baseline=base)
    assert res.thermal_run
    assert np.all(res.gpu_slowdown_s[a4] == 0.0)  # at slowdown from the start
    others = (fac.gpu_hall == 0) & ~a4
    t = res.gpu_slowdown_s[others]
    reached = t[np.isfinite(t)]
    assert len(reached) > 0 and reached.min() > 0.0  # the hall's N: one CRAH is short
    s = res.summary()
    assert s["gpus_throttled"] == len(reached)
    assert s["ride_through_min"] == pytest.approx(round(reached.min() / 60.0, 2))
    assert s["gpus_throttled_at_start"] == 32
    assert all(g["rack"] != "A4" for g in res.gpus_ranked())
    # a sweep ranks and says the same
    sweep = SweepResult([s], "here", 1, 0.0)
    text = sweep_text(sweep)
    assert "before the failure: 32 GPUs at slowdown" in text
    assert f"{s['ride_through_min']:.1f} min" in text


def test_an_overloaded_start_is_said_before_the_failure(tmp_path):
    """A hall whose one running CRAH cannot remove its racks' 150 kW: its steady figures
    hold the CRAH's set supply, which it cannot (``results.overload_note``). The what-if
    followed it from there without a word of it."""
    from tests.physics.test_unit_loss import top_intake_room
    from twin.physics.results import overload_note
    from twin.whatif.export import before_line

    text = top_intake_room(tmp_path, 20.0)
    text = "\n".join(ln for ln in text.splitlines() if "id: C1" not in ln and "id: C2" not in ln)
    path = tmp_path / "over.yaml"
    path.write_text(text + "\n")
    fac = load_layout(path)
    base = Baseline(fac, StartState.nominal(fac), 0, FAST.cell_m)
    note = overload_note(fac, base.result)
    assert note.startswith("no steady state: the racks send 150.2 kW to the air and the running")
    res = run_whatif(fac, ["C3"], options=FAST, baseline=base)
    assert res.summary()["start_overload_note"] == note
    text = whatif_text(res)
    assert f"; not counted as the failure's; and {note}, followed from there" in text
    # every rack was past 32 C before the failure: its columns say so, not "0.0 min"
    rows = [ln.split() for ln in text.splitlines() if ln[:2] in ("A0", "B3")]
    assert len(rows) == 2 and all(row[-3:-1] == ["before", "before"] for row in rows)
    # the line says it alone where nothing else was past its limits
    assert before_line({"start_overload_note": "no steady state: X"}) == (
        "before the failure: 0 GPUs at slowdown (0 at shutdown), 0 racks past A1 allowable; not "
        "counted as the failure's; and no steady state: X, followed from there"
    )
    assert before_line({"start_overload_note": None}) is None


def test_a_start_that_is_not_overloaded_has_no_such_note(wall):
    fac, base = wall
    assert (
        run_whatif(fac, ["UPS-A"], options=FAST, baseline=base).summary()["start_overload_note"]
        is None
    )
