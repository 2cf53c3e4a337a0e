"""``BackgroundPhysicsFill``: the window's live physics fill, whose first solve (seconds) runs
on a thread of its own so that the session's thread, which draws in the window, never waits
for it. Frames pass through unfilled while it solves; from the frame after it finished, each is
filled exactly as ``PhysicsFill`` fills the same frames on one thread."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest

from twin.model.frame import EventKind, Frame
from twin.model.loader import load_layout
from twin.recording import open_recording
from twin.session import Session
from twin.telemetry import physics_background
from twin.telemetry.physics_air import PhysicsFill, filled_metrics
from twin.telemetry.physics_background import BackgroundPhysicsFill, FillState

T0 = 1_780_000_000.0


def gpu_frame(fac, time_s: float, load: float) -> Frame:
    """What dcgm-exporter gives: GPU power and temperature, nothing of the air."""
    frame = Frame.empty(time_s, fac.counts())
    frame.gpu["power_w"][:] = load * fac.gpu_tdp_w
    frame.gpu["temp_c"][:] = 60.0
    return frame


def after_first_solve(fill: BackgroundPhysicsFill, fac, time_s: float) -> Frame:
    """A frame at ``time_s`` handed to ``fill`` after its first solve (of a frame at T0)."""
    fill.update(gpu_frame(fac, T0, 0.5))
    assert fill.wait(120)
    frame = gpu_frame(fac, time_s, 0.5)
    fill.update(frame)
    return frame


@pytest.fixture
def fac(small_layout):
    return load_layout(small_layout)


def notes(frame) -> list[str]:
    return [e.message for e in frame.events if e.kind is EventKind.NOTE]


def test_frames_pass_unfilled_while_it_solves_then_are_filled_as_on_one_thread(fac):
    frames = [gpu_frame(fac, T0 + 5 * i, load) for i, load in enumerate((0.6, 0.6, 0.9, 0.9))]
    fill = BackgroundPhysicsFill(fac)
    assert fill.state is FillState.WAITING
    assert fill.message == "the air is filled from the airflow model from the first frame"
    t0 = time.perf_counter()
    fill.update(frames[0])
    # the first frame returned at once: nothing solved, nothing filled, said so
    assert fill.state is FillState.SOLVING
    assert not fill.wait(0.01)  # still solving, on a thread of its own
    (thread,) = [t for t in threading.enumerate() if t.name == "twin-physics-fill"]
    assert thread.daemon  # quitting the window never waits for the solve
    assert np.isnan(frames[0].rack["inlet_c"]).all()
    assert np.isnan(frames[0].air_unit["return_c"]).all()
    solving = "solving the hall air from the airflow model (filled once solved)"
    assert [(e.time_s, e.kind, e.item, e.message, e.severity) for e in frames[0].events] == [
        (T0, EventKind.NOTE, "physics", solving, 0)
    ]
    assert fill.message == solving
    assert fill.wait(120)
    elapsed_s = time.perf_counter() - t0
    fill.update(frames[1])
    assert fill.state is FillState.FILLING
    ((summary, severity, item),) = [(e.message, e.severity, e.item) for e in frames[1].events]
    assert severity == 0 and item == "physics" and summary == fill.message
    seconds = float(
        re.fullmatch(r"physics: 1 of 1 halls' air from the airflow model \((.+) s\)", summary)[1]
    )
    assert 0.5 < seconds <= elapsed_s + 0.05  # the first solve's own time
    for f in frames[2:]:
        fill.update(f)
        assert notes(f) == []

    # the same frames on one thread: its first solve at frames[0], then stepped
    same = PhysicsFill(fac)
    expected = [gpu_frame(fac, T0 + 5 * i, load) for i, load in enumerate((0.6, 0.6, 0.9, 0.9))]
    for f in expected:
        same.update(f)
    for got, want in zip(frames[1:], expected[1:], strict=True):
        for kind, name in (m.split("/") for m in filled_metrics()):
            np.testing.assert_array_equal(got.group(kind)[name], want.group(kind)[name])
    inlet = frames[3].rack["inlet_c"]
    supply_c = fac.air_unit_supply_c[0]
    assert np.isfinite(inlet).all() and (inlet > supply_c).all()
    # the load rose between frames 1 and 3: the air warmed with it
    assert frames[3].air_unit["load_w"][0] > frames[1].air_unit["load_w"][0]


def test_a_reading_the_frame_has_is_never_overwritten(fac):
    fill = BackgroundPhysicsFill(fac)
    fill.update(gpu_frame(fac, T0, 0.5))
    assert fill.wait(120)
    assert fill.filled == {}  # nothing filled yet
    frame = gpu_frame(fac, T0 + 5, 0.5)
    frame.rack["inlet_c"][1] = 31.25
    fill.update(frame)
    assert frame.rack["inlet_c"][1] == np.float32(31.25)
    others = np.delete(frame.rack["inlet_c"], 1)
    assert np.isfinite(others).all() and (others < 31).all()
    # which figures are the model's, for the inspector to say so
    want = np.ones(fac.n_racks, bool)
    want[1] = False
    np.testing.assert_array_equal(fill.filled["rack/inlet_c"], want)
    np.testing.assert_array_equal(fill.filled["rack/exhaust_c"], np.ones(fac.n_racks, bool))
    assert set(fill.filled) == set(filled_metrics())
    assert fill.filled["air_unit/load_w"].tolist() == [True]


def test_halls_it_leaves_are_said_with_the_frame_it_is_ready_in(tmp_path, small_layout):
    """A hall no air unit ventilates is not filled: said once solved, at that frame's time."""
    text = small_layout.read_text().replace(
        "  air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]}]\n", ""
    )
    text = text.replace("  supplies: [{id: T1, hall: H1, rect_m: [2.4, 3.8, 4.8, 5.2]}]\n", "")
    path = tmp_path / "uncooled.yaml"
    path.write_text(text)
    fac = load_layout(path)
    fill = BackgroundPhysicsFill(fac)
    frame = after_first_solve(fill, fac, T0 + 7)
    assert fill.state is FillState.FILLING
    assert [e.time_s for e in frame.events] == [T0 + 7, T0 + 7]
    summary, left = (e.message for e in frame.events)
    assert re.fullmatch(r"physics: 0 of 1 halls' air from the airflow model \(\d+\.\d s\)", summary)
    assert summary == fill.message
    assert left == (
        "not filled from the airflow model: H1: no air unit and no supply of its own flow "
        "moves its air"
    )
    assert np.isnan(frame.rack["inlet_c"]).all()


def test_a_failed_first_solve_is_said_and_frames_go_on_unfilled(fac, monkeypatch):
    class Broken:
        def __init__(self, *args):
            raise MemoryError("out of memory building the grid")

    monkeypatch.setattr(physics_background, "PhysicsFill", Broken)
    fill = BackgroundPhysicsFill(fac)
    frame = after_first_solve(fill, fac, T0 + 5)
    assert fill.state is FillState.FAILED
    (event,) = frame.events
    assert event.severity == 1 and event.time_s == T0 + 5
    assert event.message == (
        "the airflow model failed, the air is not filled: MemoryError: out of memory building "
        "the grid"
    )
    later = gpu_frame(fac, T0 + 10, 0.5)
    fill.update(later)
    assert later.events == [] and np.isnan(later.rack["inlet_c"]).all()


def test_the_first_solve_reads_a_copy_of_its_frame(fac):
    """The session records and shows the first frame while the thread reads it: the thread
    has its own arrays, and writes none of the frame's."""
    frame = gpu_frame(fac, T0, 0.7)
    copy = physics_background.copy_frame(frame)
    for kind in ("gpu", "rack", "air_unit", "cdu", "power", "sensor"):
        assert copy.group(kind).keys() == frame.group(kind).keys()
        for name, values in frame.group(kind).items():
            assert copy.group(kind)[name] is not values
            np.testing.assert_array_equal(copy.group(kind)[name], values)
    assert copy.time_s == T0 and copy.events == []


def test_a_fill_put_on_mid_recording_stops_a_file_that_does_not_name_it(fac, tmp_path):
    session = Session(fac)
    stopped = []
    session.recording_stopped.connect(lambda path, n, why: stopped.append((path.name, why)))
    session.record(tmp_path / "plain.h5")
    session.set_physics(BackgroundPhysicsFill(fac))
    assert session.recorder is None and isinstance(session.physics, BackgroundPhysicsFill)
    assert stopped == [
        (
            "plain.h5",
            "recording stopped: the air is filled from the airflow model from now on, which a "
            "recording names when it starts (start a new one)",
        )
    ]
    named = tmp_path / "named.h5"
    session.record(named)
    session.set_physics(BackgroundPhysicsFill(fac))  # named in the file: it goes on
    assert session.recorder is not None
    session.set_physics(None)
    assert session.recorder is not None
    session.stop_recording()
    assert [name for name, _ in stopped] == ["plain.h5", "named.h5"]
    with open_recording(named) as rec:
        assert rec.filled_by_model == filled_metrics()


def test_one_first_solve_at_a_time_and_a_closed_fill_never_solves(fac, monkeypatch):
    """A burst of edits while live data runs makes a fill per layout: they solve one at a
    time, and one closed (its layout replaced) while it waits never builds its model."""
    built, solving, most = [], [0], [0]

    class Counted(PhysicsFill):
        def __init__(self, facility, cell_m):
            built.append(facility)
            solving[0] += 1
            most[0] = max(most[0], solving[0])
            super().__init__(facility, cell_m)

        def update(self, frame):
            super().update(frame)
            if self._last_t == T0:  # its first frame, on the fill's thread
                solving[0] -= 1

    monkeypatch.setattr(physics_background, "PhysicsFill", Counted)
    first, second, third = (BackgroundPhysicsFill(fac) for _ in range(3))
    with physics_background._ONE_AT_A_TIME:  # all three wait: none has begun
        for fill in (first, second, third):
            fill.update(gpu_frame(fac, T0, 0.5))
        second.close()
    assert second.closed and not third.closed
    assert first.wait(120) and second.wait(120) and third.wait(120)
    assert len(built) == 2 and most[0] == 1  # the first and third, one after the other
    frame = gpu_frame(fac, T0 + 5, 0.5)
    second.update(frame)
    assert frame.events == [] and np.isnan(frame.rack["inlet_c"]).all()
    third.update(frame)
    assert np.isfinite(frame.rack["inlet_c"]).all()

    # closed before its first frame: nothing starts, nothing is said
    # closed while it builds its model: it never solves
    late = BackgroundPhysicsFill(fac)
    solved = []

    class ClosedWhileBuilt(PhysicsFill):
        def __init__(self, facility, cell_m):
            super().__init__(facility, cell_m)
            late.close()

        def update(self, frame):
            solved.append(frame.time_s)

    monkeypatch.setattr(physics_background, "PhysicsFill", ClosedWhileBuilt)
    late.update(gpu_frame(fac, T0, 0.5))
    assert late.wait(60) and solved == []
    monkeypatch.setattr(physics_background, "PhysicsFill", Counted)

    unused = BackgroundPhysicsFill(fac)
    unused.close()
    frame = gpu_frame(fac, T0 + 10, 0.5)
    unused.update(frame)
    assert unused.state is FillState.WAITING and frame.events == [] and len(built) == 2


def test_a_hall_whose_air_leaves_the_physical_range_is_left_unfilled(fac):
    """A source handing 1e30 W of GPU power (a plugin's unit bug; dcgm sources drop it) made
    the fill write rack inlets of 4e27 °C as the model's. The hall is left unfilled from that
    frame on, said once; power the hall can take (10x TDP, warming it) is filled."""
    fill = PhysicsFill(fac)
    frames = [gpu_frame(fac, T0 + 5 * i, 0.5) for i in range(5)]
    fill.update(frames[0])
    frames[1].gpu["power_w"][:] = 10 * fac.gpu_tdp_w
    fill.update(frames[1])
    warmer = frames[1].rack["inlet_c"] - frames[0].rack["inlet_c"]
    assert np.isfinite(warmer).all() and (warmer > 0).all() and frames[1].events == []
    frames[2].gpu["power_w"][:] = 1e30
    fill.update(frames[2])
    for kind, name in (m.split("/") for m in filled_metrics()):
        assert np.isnan(frames[2].group(kind)[name]).all(), (kind, name)
    (event,) = frames[2].events
    assert event.severity == 1 and event.time_s == T0 + 10
    assert re.fullmatch(
        r"not filled from the airflow model: H1: its air went outside the range -40\.\.150 °C "
        r"any hall's air can be in \(\S+ to \S+ °C\) at this frame's readings; not filled from "
        r"here on",
        event.message,
    ), event.message
    assert fill.air.models == {}
    fill.update(frames[3])  # a sane frame: the hall stays unfilled, not said again
    assert np.isnan(frames[3].rack["inlet_c"]).all() and frames[3].events == []
