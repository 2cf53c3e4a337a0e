"""A hostile third-party source plugin, met through the plugin registry as a user meets it
(``Session.open(layout, "acme", record=...)``): methods that raise, block or answer with the
wrong type, frames of the wrong shape, dtype or time, events that are not events, a back-fill
out of order or without end. The session never raises; a bad frame is dropped and said with
the source, group and metric; a failing source is put in ERROR; a recording gets good frames
only and is closed readable (read back with ``twin.recording`` and ``twin info``)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from twin import plugins
from twin.model.frame import Event, EventKind, Frame
from twin.recording import open_recording
from twin.session import Session
from twin.telemetry import guard
from twin.telemetry.source import SourceState, SourceStatus

#: 2026-12-06 10:00:00 UTC, and a frame every second after it.
T0 = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC).timestamp()


class Acme:
    """A source plugin scripted by ``case``: frames 1, 2, 3, ... at T0 + k s; frame ``bad_at``
    spoilt by ``spoil(frame)``; ``raises`` names a method that raises once ``k >= bad_at``."""

    def __init__(self, facility, case: str = "", bad_at: int = 2):
        self.facility, self.case, self.bad_at = facility, case, bad_at
        self.k = 0
        self.calls: dict[str, int] = {}
        self.backfill: list = []
        self.released = threading.Event()
        self.stopped_on: list[str] = []  # the threads stop() was called on

    def _enter(self, method: str) -> None:
        self.calls[method] = self.calls.get(method, 0) + 1
        if self.case == f"raise:{method}" and (method == "start" or self.k >= self.bad_at):
            raise ValueError(f"{method} boom")

    def start(self):
        self._enter("start")

    def poll(self):
        self._enter("poll")
        if self.case == "block" and self.k + 1 == self.bad_at:
            time.sleep(2.0)  # slow, but it would return
        if self.case == "hang" and self.k + 1 == self.bad_at:
            self.released.wait(20)  # until stop(): a read without a timeout (20 s: a test ends)
        self.k += 1
        f = Frame.empty(T0 + self.k, self.facility.counts())
        f.gpu["temp_c"][:] = 40.0 + self.k
        if self.k == self.bad_at and self.case in SPOIL:
            f = SPOIL[self.case](f, self.facility.n_gpus)
        return f

    def status(self):
        self._enter("status")
        if self.case == "status:none" and self.k >= self.bad_at:
            return None
        if self.case == "status:str" and self.k >= self.bad_at:
            return "playing"
        return SourceStatus(SourceState.PLAYING, frames=self.k)

    def drain_backfill(self):
        self._enter("drain_backfill")
        out, self.backfill = self.backfill, []
        return out

    def stop(self, timeout_s=5.0):
        self.stopped_on.append(threading.current_thread().name)
        self.released.set()
        self._enter("stop")


def _set(kind, name, value):
    def spoil(f, n):
        f.group(kind)[name] = value(n) if callable(value) else value
        return f

    return spoil


def _time(value):
    def spoil(f, n):
        f.time_s = value
        return f

    return spoil


#: case -> how frame ``bad_at`` is spoilt (every one of these frames is dropped)
SPOIL = {
    "short": _set("gpu", "power_w", np.ones(10, np.float32)),
    "0d": _set("gpu", "power_w", np.float32(300.0)),
    "2d": _set("gpu", "power_w", lambda n: np.ones((n, 2), np.float32)),
    "object": _set("gpu", "power_w", lambda n: np.array([None] * n, dtype=object)),
    "strings": _set("gpu", "power_w", lambda n: np.array(["300"] * n)),
    "complex": _set("gpu", "power_w", lambda n: np.ones(n, complex)),
    "rack-long": _set("rack", "inlet_c", np.ones(500, np.float32)),
    "group-list": lambda f, n: (setattr(f, "rack", [1, 2]), f)[1],
    "not-a-frame": lambda f, n: {"gpu": f.gpu},
    "time-nan": _time(float("nan")),
    "time-inf": _time(float("inf")),
    "time-str": _time("2026-12-06 10:00:02"),
    "time-1e300": _time(1e300),
}

#: what the message says of each (after "source 'acme': ")
SAID = {
    "short": "frame at 2026-12-06 10:00:02: gpu/power_w has 10 values, the layout has 336 GPUs",
    "0d": "gpu/power_w is a single value, not one per GPU",
    "2d": "gpu/power_w has shape (336, 2), not one value per GPU",
    "object": "gpu/power_w holds Python objects (object), not numbers",
    "strings": "gpu/power_w holds text (<U3), not numbers",
    "complex": "gpu/power_w holds complex numbers (complex128), not numbers",
    "rack-long": "rack/inlet_c has 500 values, the layout has 8 racks",
    "group-list": "rack is a list, not a dict of metric arrays",
    "not-a-frame": "a frame: poll() gave a dict, not a Frame",
    "time-nan": "a frame: its time is nan, not a number of seconds",
    "time-inf": "a frame: its time is inf, not a number of seconds",
    "time-str": "a frame: its time '2026-12-06 10:00:02' is a str, not seconds since 1970",
    "time-1e300": "a frame: its time 1e+300 s is not a date between 1900 and 2200",
}


@pytest.fixture
def acme(add_plugins):
    """``Acme`` installed as the source plugin ``acme`` (an entry point of twin.sources)."""
    add_plugins(
        [EntryPoint("acme", "twin_test_acme:Acme", plugins.SOURCES)],
        {"twin_test_acme": {"Acme": Acme}},
    )


def _run(facility, path, case, ticks=4, **options):
    """Open ``acme`` with a recording, tick ``ticks`` times; (session, emitted, problems)."""
    s = Session.open(facility, "acme", record=path, case=case, **options)
    emitted, problems = [], []
    s.frame.connect(emitted.append)
    s.start()
    for _ in range(ticks):
        s.tick()  # never raises
        problem = s.take_source_problem()
        if problem:
            problems.append(problem)
    return s, emitted, problems


def _recorded(path):
    with open_recording(path) as r:
        assert r.warnings == [] and r.closed_frames == r.n_frames
        return list(r.times - T0), [r.frame(i) for i in range(r.n_frames)], list(r.events)


@pytest.mark.parametrize("case", list(SPOIL))
def test_a_bad_frame_is_dropped_said_and_never_recorded(acme, small_facility, tmp_path, case):
    path = tmp_path / "r.h5"
    s, emitted, problems = _run(small_facility, path, case)
    assert [f.time_s - T0 for f in emitted] == [1.0, 3.0, 4.0]  # frame 2 dropped, no more
    assert len(problems) == 1 and problems[0].startswith("source 'acme': ")
    assert SAID[case] in problems[0] and problems[0].endswith(": frame dropped")
    status = s.source_status()
    assert status.state == SourceState.PLAYING and status.errors == 1  # counted, still live
    assert s.recorder is not None  # one bad frame does not end a recording
    s.close()
    times, frames, _ = _recorded(path)
    assert times == [1.0, 3.0, 4.0]
    assert [f.gpu["temp_c"][0] for f in frames] == [41.0, 43.0, 44.0]


def test_the_message_names_source_time_group_and_metric(acme, small_facility, tmp_path):
    _, _, problems = _run(small_facility, tmp_path / "r.h5", "short")
    assert problems == [
        "source 'acme': frame at 2026-12-06 10:00:02: gpu/power_w has 10 values, "
        "the layout has 336 GPUs: frame dropped"
    ]


def test_numbers_are_coerced_to_float32_and_right_arrays_kept(acme, small_facility, tmp_path):
    n = small_facility.n_gpus
    right = np.full(n, 41.5, np.float32)
    SPOIL["numbers"] = lambda f, n_: (
        f.gpu.update(
            temp_c=right,
            power_w=np.arange(n, dtype=np.int64),
            util_pct=[50.0] * n,
            throttle=np.zeros(n, bool),
            mem_temp_c=np.array([np.inf, -np.inf, 1e308, 60.0] * (n // 4)),
            wattage=np.ones(n),  # not a Twin metric
        ),
        f,
    )[1]
    try:
        s, emitted, problems = _run(small_facility, tmp_path / "r.h5", "numbers")
    finally:
        del SPOIL["numbers"]
    got = emitted[1].gpu
    assert got["temp_c"] is right  # already right: not copied
    for name in ("power_w", "util_pct", "throttle", "mem_temp_c"):
        assert got[name].dtype == np.float32 and got[name].shape == (n,), name
    assert got["power_w"][5] == 5.0 and got["util_pct"][0] == 50.0
    assert np.isnan(got["mem_temp_c"][:3]).all() and got["mem_temp_c"][3] == 60.0
    assert "wattage" not in got
    assert list(s.source_guard.recent) == [
        "source 'acme': frame at 2026-12-06 10:00:02: gpu: 'wattage' not a metric Twin knows "
        "(left out)",
        "source 'acme': frame at 2026-12-06 10:00:02: gpu/mem_temp_c: infinite values read as "
        "no reading",
    ]
    assert problems == [s.source_guard.recent[-1]]  # a status bar shows the newest
    s.close()
    times, frames, _ = _recorded(tmp_path / "r.h5")
    assert times == [1.0, 2.0, 3.0, 4.0]  # nothing dropped
    assert frames[1].gpu["power_w"][7] == 7.0 and np.isnan(frames[1].gpu["mem_temp_c"][0])


@pytest.mark.parametrize("method", ["poll", "status", "drain_backfill"])
def test_a_method_that_raises_puts_the_source_in_error_once(acme, small_facility, tmp_path, method):
    path = tmp_path / "r.h5"
    stopped = []
    s = Session.open(small_facility, "acme", record=path, case=f"raise:{method}")
    s.recording_stopped.connect(lambda p, n, why: stopped.append((n, why)))
    s.start()
    for _ in range(6):
        s.tick()
    src = s.source
    message = f"source 'acme': {method}() raised ValueError: {method} boom: stopped"
    assert s.take_source_problem() == message and s.take_source_problem() == ""
    status = s.source_status()
    assert status.state == SourceState.ERROR and status.message == message
    assert src.calls.get("stop") == 1  # asked to stop
    calls = dict(src.calls)
    s.tick(), s.tick()
    assert src.calls == calls  # never called again
    assert stopped == [(2, f"recording stopped: {message}")]
    s.close()
    times, _, _ = _recorded(path)
    assert times == [1.0, 2.0]  # complete up to the last good frame


def test_start_that_raises_leaves_the_source_attached_in_error(acme, small_facility):
    from twin.telemetry.registry import create

    s = Session(small_facility)
    src = create("acme", small_facility, case="raise:start")
    s.set_source(src)  # the window's path: raises nothing
    assert s.source is src and s.tick() is None
    assert s.source_status().state == SourceState.ERROR
    assert s.source_failure == "source 'acme': start() raised ValueError: start boom: stopped"
    assert "poll" not in src.calls


@pytest.mark.parametrize("case", ["status:none", "status:str"])
def test_a_status_that_is_not_a_status_is_an_error(acme, small_facility, case):
    s = Session.open(small_facility, "acme", case=case)
    statuses = []
    s.status.connect(statuses.append)
    s.start()
    for _ in range(4):
        s.tick()
    assert all(isinstance(st, SourceStatus) for st in statuses)
    assert statuses[-1].state == SourceState.ERROR
    what = "None" if case == "status:none" else "a str"
    assert s.source_failure == f"source 'acme': status() gave {what}, not a SourceStatus: stopped"


def test_stop_that_raises_does_not_stop_close(acme, small_facility, tmp_path):
    s, _, _ = _run(small_facility, tmp_path / "r.h5", "raise:stop")
    s.close()  # raised ValueError before
    assert s.source is None and s.recorder is None
    assert _recorded(tmp_path / "r.h5")[0] == [1.0, 2.0, 3.0, 4.0]


BLOCKED = (
    "source 'acme': poll() has not returned after 0.2 s; a source must never block (the "
    "window would have waited for it): stopped"
)


def test_a_poll_that_blocks_stops_the_source(acme, small_facility, tmp_path, monkeypatch):
    monkeypatch.setattr(guard, "BLOCKING_S", 0.2)  # the window's limit, made short
    t0 = time.perf_counter()
    s, emitted, problems = _run(small_facility, tmp_path / "r.h5", "block")
    assert time.perf_counter() - t0 < 1.5  # the 2 s poll was not waited out
    assert [f.time_s - T0 for f in emitted] == [1.0]
    assert problems == [BLOCKED]
    assert s.source_status().state == SourceState.ERROR and s.recorder is None
    assert _recorded(tmp_path / "r.h5")[0] == [1.0]


def test_a_poll_that_never_returns_is_given_up_and_stopped_on_another_thread(
    acme, small_facility, tmp_path, monkeypatch
):
    """It froze the window for good: the guard only timed calls that came back."""
    monkeypatch.setattr(guard, "BLOCKING_S", 0.2)
    t0 = time.perf_counter()
    s, emitted, problems = _run(small_facility, tmp_path / "r.h5", "hang")
    assert time.perf_counter() - t0 < 5.0
    assert [f.time_s - T0 for f in emitted] == [1.0] and problems == [BLOCKED]
    src = s.source
    # its stop ran beside the stuck poll (which it released), not behind it
    assert src.stopped_on == ["source plugin acme stop"]
    assert src.calls["poll"] == 2  # never called again
    s.close()
    assert _recorded(tmp_path / "r.h5")[0] == [1.0]


def test_back_fill_out_of_order_is_recorded_in_order(acme, small_facility, tmp_path):
    s, _, _ = _run(small_facility, tmp_path / "r.h5", "", ticks=2)
    s.source.backfill = [Frame.empty(T0 + t, small_facility.counts()) for t in (2.7, 2.2, 2.5)]
    s.tick()
    said = s.take_source_problem()
    s.close()
    assert _recorded(tmp_path / "r.h5")[0] == pytest.approx([1.0, 2.0, 2.2, 2.5, 2.7, 3.0])
    assert said == "source 'acme': drain_backfill(): back-filled frames came out of order (sorted)"


@pytest.mark.timeout(120)
def test_a_back_fill_that_never_ends(acme, small_facility, tmp_path):
    s, _, _ = _run(small_facility, tmp_path / "r.h5", "", ticks=2)
    gap = Frame.empty(T0 + 0.5, small_facility.counts())

    def endless():
        for _ in range(200_000):  # "never" (the old session looped on it)
            yield gap
        raise RuntimeError("the test's own end")

    s.source.backfill = endless()
    s.tick()
    assert s.source_failure == (
        "source 'acme': drain_backfill() gave more than 10,000 frames at once: stopped"
    )
    assert s.recorder is None and _recorded(tmp_path / "r.h5")[0] == [1.0, 2.0, 3.0]


def test_events_that_are_not_events(acme, small_facility, tmp_path):
    SPOIL["events"] = lambda f, n: (
        setattr(
            f,
            "events",
            [
                "alarm!",
                Event(T0 + 2, "door_open", "A01", "rear door", 1),
                Event(float("nan"), EventKind.ALARM, "A02", "hot", 2),
            ],
        ),
        f,
    )[1]
    try:
        s, emitted, problems = _run(small_facility, tmp_path / "r.h5", "events")
    finally:
        del SPOIL["events"]
    assert len(emitted) == 4  # the frame is kept
    assert [(e.kind, e.item, e.message, e.time_s - T0) for e in emitted[1].events] == [
        (EventKind.NOTE, "A01", "[door_open] rear door", 2.0),
        (EventKind.ALARM, "A02", "hot", 2.0),  # no time: the frame's
    ]
    assert s.source_guard.recent[0] == (
        "source 'acme': frame at 2026-12-06 10:00:02: an event that is a str, not an Event, "
        "left out"
    )
    assert "event kind 'door_open' is not one Twin knows: kept as a note" in problems[0]
    s.close()  # raised AttributeError, leaving a file of 0 frames never closed, before
    times, _, events = _recorded(tmp_path / "r.h5")
    assert times == [1.0, 2.0, 3.0, 4.0]
    assert [(e.kind, e.item) for e in events] == [(EventKind.NOTE, "A01"), (EventKind.ALARM, "A02")]


def test_an_event_with_numbers_for_text_is_recorded_as_text(acme, small_facility, tmp_path):
    """Kind and time right, item and message numbers: the recorder raised AttributeError on
    them at close (a file of 0 frames never closed) until the guard checked every field."""
    SPOIL["numbers-for-text"] = lambda f, n: (
        setattr(f, "events", [Event(T0 + 2, EventKind.ALARM, 7, 42, 2)]),
        f,
    )[1]
    try:
        s, emitted, problems = _run(small_facility, tmp_path / "r.h5", "numbers-for-text")
    finally:
        del SPOIL["numbers-for-text"]
    assert len(emitted) == 4 and problems == []
    s.close()
    times, _, events = _recorded(tmp_path / "r.h5")
    assert times == [1.0, 2.0, 3.0, 4.0]
    assert [(e.kind, e.item, e.message, e.severity) for e in events] == [
        (EventKind.ALARM, "7", "42", 2)
    ]


def test_twin_info_reads_a_recording_of_a_source_that_sent_1e300(acme, small_facility, tmp_path):
    path = tmp_path / "r.h5"
    s, _, _ = _run(small_facility, path, "time-1e300")
    s.close()
    out = subprocess.run(
        [sys.executable, "-m", "twin.cli", "info", str(path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "2026-12-06T10:00:01" in out.stdout and "2026-12-06T10:00:04" in out.stdout
