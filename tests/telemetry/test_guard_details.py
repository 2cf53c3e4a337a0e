"""The source guard one rule at a time, on a scripted plugin and a hall of a few items: what a
frame keeps, drops or copies, what each message says, what counts as a problem, and how long a
plugin may take (a clock the test moves, so no test waits). Every expected value is written
out here, never computed by the guard."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
import types
import warnings
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from twin import plugins
from twin.model.frame import Event, EventKind, Frame
from twin.recording.reader import EARLIEST_S, LATEST_S
from twin.telemetry import guard
from twin.telemetry.guard import BadFrame, SourceGuard, check_frame, source_name
from twin.telemetry.source import SourceState, SourceStatus

#: 2026-12-06 10:00:00 UTC
T0 = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC).timestamp()
AT = "frame at 2026-12-06 10:00:00"
COUNTS = {"gpu": 4, "rack": 2, "air_unit": 1, "cdu": 0, "power": 3, "sensor": 0}
HALL = types.SimpleNamespace(counts=lambda: dict(COUNTS))
BLOCKS = "a source must never block (it held up the window that long): stopped"


def f32(*values) -> np.ndarray:
    return np.array(values, np.float32)


def gpus(t=T0, **metrics) -> Frame:
    """A frame of the 4 GPUs' metrics."""
    return Frame(t, gpu=metrics or {"temp_c": f32(40, 41, 42, 43)})


class Clock:
    """``time.perf_counter`` as the guard reads it, moved by the test's plugin."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(guard, "time", types.SimpleNamespace(perf_counter=c.perf_counter))
    return c


class Plugin:
    """A third-party source: ``poll`` hands out ``frames`` (None after them), each call taking
    ``takes`` seconds of ``clock``; ``stop`` takes ``stop_takes``."""

    def __init__(self, frames=(), status=None, backfill=None, clock=None):
        self.frames = list(frames)
        self.st = status or SourceStatus(SourceState.PLAYING)
        self.backfill = backfill
        self.clock, self.takes, self.stop_takes = clock, 0.0, 0.0
        self.stops: list[float] = []
        self.stop_raises: Exception | None = None

    def _spend(self, seconds: float) -> None:
        if self.clock is not None:
            self.clock.now += seconds

    def start(self):
        self._spend(self.takes)

    def poll(self):
        self._spend(self.takes)
        return self.frames.pop(0) if self.frames else None

    def status(self):
        return self.st

    def drain_backfill(self):
        return self.backfill

    def stop(self, timeout_s=5.0):
        self.stops.append(timeout_s)
        self._spend(self.stop_takes)
        if self.stop_raises is not None:
            raise self.stop_raises


class Own(Plugin):
    """One of Twin's own sources (trusted on time)."""


class Twinkle(Plugin):
    """A plugin whose package name only starts like Twin's."""


Own.__module__ = "twin.telemetry.own"
Twinkle.__module__ = "twinkle.sources"


def guarded(source) -> SourceGuard:
    return SourceGuard(source, HALL, name="acme")


# ---------------------------------------------------------------------- frames
def test_a_group_that_is_none_or_missing_is_empty():
    f = gpus()
    f.rack = None
    del f.sensor
    out = check_frame(f, COUNTS, notes := [])
    assert out.rack == {} and out.sensor == {} and notes == []
    assert out.gpu["temp_c"][3] == 43.0


def test_a_kind_the_counts_leave_out_has_no_items():
    empty = Frame(T0, sensor={"temp_c": np.zeros(0, np.float32)})
    assert check_frame(empty, {"gpu": 4}, []).sensor["temp_c"].shape == (0,)
    one = Frame(T0, sensor={"temp_c": f32(21.5)})
    with pytest.raises(BadFrame, match=r"^sensor/temp_c has 1 value, the layout has 0 point"):
        check_frame(one, {"gpu": 4}, [])
    with pytest.raises(BadFrame, match=r"^gpu/temp_c has 2 values, the layout has 4 GPUs$"):
        check_frame(gpus(temp_c=f32(40, 41)), COUNTS, [])


def test_times_at_the_ends_of_the_dates_a_recording_holds_are_kept():
    assert check_frame(Frame(EARLIEST_S), COUNTS, []).time_s == EARLIEST_S
    assert check_frame(Frame(LATEST_S), COUNTS, []).time_s == LATEST_S


class NoRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


def test_unknown_metric_names_are_listed_sorted_and_clipped():
    zeros = np.zeros(4, np.float32)
    cases = {
        ("watts", "amps"): "'amps', 'watts'",
        ("y" * 38,): "'" + "y" * 38 + "'",  # 40 characters: whole
        ("z" * 39,): "'" + "z" * 36 + "...",  # 41: clipped to 40
        (NoRepr(),): "<NoRepr>",
    }
    for names, said in cases.items():
        f = gpus(temp_c=zeros)
        f.gpu.update({name: zeros for name in names})
        out = check_frame(f, COUNTS, notes := [])
        assert notes == [f"gpu: {said} not a metric Twin knows (left out)"]
        assert list(out.gpu) == ["temp_c"]


def test_infinities_in_the_source_array_are_not_changed_under_it():
    own = f32(1, np.inf, -np.inf, 4)
    out = check_frame(gpus(temp_c=own), COUNTS, notes := [])
    assert np.isposinf(own[1]) and np.isneginf(own[2])  # the plugin's array as it gave it
    got = out.gpu["temp_c"]
    assert got is not own and got.dtype == np.float32
    assert got[0] == 1.0 and np.isnan(got[1:3]).all() and got[3] == 4.0
    assert notes == ["gpu/temp_c: infinite values read as no reading"]


def test_a_value_that_cannot_be_an_array_is_said_with_its_error():
    class NoArray:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array here")

    with pytest.raises(BadFrame) as caught:
        check_frame(gpus(power_w=NoArray()), COUNTS, [])
    assert str(caught.value) == (
        "gpu/power_w is a NoArray (RuntimeError: no array here), not an array"
    )
    assert caught.value.at == AT


def test_a_dtype_without_a_word_is_named_by_numpy():
    text = np.array(["1", "2", "3", "4"], dtype=np.dtypes.StringDType())
    with pytest.raises(BadFrame, match=r"^gpu/power_w holds StringDType\(\) .*not numbers$"):
        check_frame(gpus(power_w=text), COUNTS, [])


def test_a_float64_too_big_for_float32_is_no_reading_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "overflow encountered in cast"
        out = check_frame(gpus(power_w=np.array([1e308, 1.0, 2.0, 3.0])), COUNTS, notes := [])
    assert np.isnan(out.gpu["power_w"][0]) and out.gpu["power_w"][3] == 3.0
    assert notes == ["gpu/power_w: infinite values read as no reading"]


# ---------------------------------------------------------------------- events
def test_right_events_are_kept_as_given():
    events = [
        Event(T0, EventKind.ALARM, "A01", "hot", 2),
        Event(T0 - 5.0, EventKind.NOTE, "A02"),
        Event(T0, EventKind.NOTE, "A03", "info", 0),
    ]
    out = check_frame(Frame(T0, events=events), COUNTS, notes := [])
    assert out.events is events and notes == []  # not copied
    out = check_frame(Frame(T0, events=tuple(events)), COUNTS, [])
    assert type(out.events) is list and out.events == events
    many = [events[0]] * guard.MAX_EVENTS  # exactly as many as a frame may hold
    assert check_frame(Frame(T0, events=many), COUNTS, []).events is many


@pytest.mark.parametrize(
    ("event", "made"),
    [
        (Event(T0, EventKind.ALARM, 7, "hot", 2), ("7", "hot", 2)),
        (Event(T0, EventKind.ALARM, "A01", 42, 2), ("A01", "42", 2)),
        (Event(T0, EventKind.ALARM, "A01", "hot", 2.0), ("A01", "hot", 2)),
        (Event(T0, EventKind.ALARM, "A01", "hot", 3), ("A01", "hot", 2)),
        (Event(T0, EventKind.ALARM, "A01", "hot", -1), ("A01", "hot", 0)),
    ],
)
def test_an_event_right_but_for_one_field_is_made_right(event, made):
    """Each field of the type the recorder writes (it raised on an int item or message)."""
    right = Event(T0, EventKind.NOTE, "A02", "", 0)
    out = check_frame(Frame(T0, events=[right, event]), COUNTS, notes := [])
    assert out.events[0] == right and notes == []
    assert [(e.time_s, e.kind, e.item, e.message, e.severity) for e in out.events[1:]] == [
        (T0, EventKind.ALARM, *made)
    ]
    assert type(out.events[1].severity) is int  # 2.0 == 2, but the recorder wants an int


def test_events_past_the_limit_are_left_out_with_a_note():
    ev = Event(T0, EventKind.NOTE, "A01")
    out = check_frame(Frame(T0, events=[ev] * 10_001), COUNTS, notes := [])
    assert len(out.events) == 10_000
    assert notes == ["10,001 events in one frame: the first 10,000 kept"]
    out = check_frame(Frame(T0, events=["door"] + [ev] * 9_999), COUNTS, notes := [])
    assert len(out.events) == 9_999
    assert notes == ["an event that is a str, not an Event, left out"]


def test_events_that_are_not_a_list_are_left_out():
    out = check_frame(Frame(T0, events="alarm"), COUNTS, notes := [])
    assert out.events == [] and notes == ["events is a str, not a list (left out)"]
    assert check_frame(Frame(T0, events=None), COUNTS, []).events == []


def test_an_event_whose_message_cannot_be_text_is_left_out():
    class NoText:
        def __str__(self):
            raise RuntimeError("no text")

    bad = Event(T0, "alarm", "A01", NoText())
    ok = Event(T0, "alarm", "A02", "hot")
    out = check_frame(Frame(T0, events=[bad, ok]), COUNTS, notes := [])
    assert [e.item for e in out.events] == ["A02"]
    assert notes == ["an event whose fields raise RuntimeError: no text left out"]


class Label(str):
    """Text a plugin hands over as a str subclass with a __str__ of its own."""

    def __str__(self):
        return "label"


def test_event_fields_are_made_right_one_by_one():
    events = [
        Event(T0 - 60.0, "alarm", "A01", "hot", 2),  # a kind given as its text
        Event("soon", EventKind.ALARM, 7, 42, "high"),  # no time, no text, no severity
        Event(EARLIEST_S, EventKind.NOTE, "A03", "", 0),
        Event(LATEST_S, EventKind.NOTE, "A04", "", 5),
        Event(T0, EventKind.NOTE, Label("A05"), Label("door"), -3),
    ]
    out = check_frame(Frame(T0 + 1.0, events=events), COUNTS, notes := [])
    assert [(e.time_s, e.kind, e.item, e.message, e.severity) for e in out.events] == [
        (T0 - 60.0, EventKind.ALARM, "A01", "hot", 2),
        (T0 + 1.0, EventKind.ALARM, "7", "42", 1),
        (EARLIEST_S, EventKind.NOTE, "A03", "", 0),
        (LATEST_S, EventKind.NOTE, "A04", "", 2),
        (T0, EventKind.NOTE, "A05", "door", 0),
    ]
    assert notes == []


# ---------------------------------------------------------------------- the guard
def test_frames_are_checked_against_the_sources_own_facility():
    own = types.SimpleNamespace(counts=lambda: {"gpu": 2})
    src = Plugin([gpus(temp_c=f32(40, 41))])
    src.facility = own
    g = guarded(src)
    assert g.facility is own and g.poll().gpu["temp_c"][1] == 41.0
    for facility in ("hall-1", None):  # not a facility: the session's
        src = Plugin([gpus()])
        src.facility = facility
        g = guarded(src)
        assert g.facility is HALL and g.poll().gpu["temp_c"][3] == 43.0
    g = guarded(Plugin([gpus()]))  # no facility at all
    assert g.facility is HALL and g.poll() is not None


def test_a_new_guard_has_nothing_to_say():
    g = guarded(Plugin())
    assert (g.failure, g.problem, g.problems, g.dropped, list(g.recent)) == ("", "", 0, 0, [])
    assert g.poll() is None  # nothing new: no problem
    assert (g.problem, g.problems, g.dropped) == ("", 0, 0)
    assert g.status() == SourceStatus(SourceState.PLAYING)


def test_problems_are_counted_and_the_last_20_kept():
    g = guarded(Plugin([gpus(t=f"t{k}") for k in range(25)]))
    for _ in range(25):
        assert g.poll() is None
    assert g.problems == 25 and g.dropped == 25 and len(g.recent) == 20
    assert g.recent[0] == (
        "source 'acme': a frame: its time 't5' is a str, not seconds since 1970: frame dropped"
    )
    assert g.status().errors == 25


def test_a_frame_whose_own_methods_raise_is_dropped():
    class Rude(dict):
        def items(self):
            raise RuntimeError("no items")

    g = guarded(Plugin([gpus(), gpus()]))
    g.source.frames = [Frame(T0, gpu=Rude(temp_c=f32(1, 2, 3, 4))), Frame(T0, gpu=Rude())]
    assert g.poll() is None and g.poll() is None
    assert g.problem == "source 'acme': a frame: RuntimeError: no items: frame dropped"
    assert g.dropped == 2 and g.problems == 2 and not g.failure


def test_a_note_is_said_once_and_only_so_many_kinds_of_them(monkeypatch):
    g = guarded(Plugin())
    for _ in range(3):
        assert g.check(gpus(watts=f32(1, 2, 3, 4))) is not None
    assert g.problems == 1
    assert g.problem == f"source 'acme': {AT}: gpu: 'watts' not a metric Twin knows (left out)"
    monkeypatch.setattr(guard, "MAX_NOTES", 3)
    for name in ("amps", "volts", "ohms"):
        g.check(gpus(**{name: f32(1, 2, 3, 4)}))
    assert g.problems == 3  # "ohms" is one kind of note too many
    g.check(Frame(float("nan")))
    assert g.problems == 4 and g.dropped == 1  # a dropped frame is always said


def test_the_status_of_a_failed_source(monkeypatch):
    st = SourceStatus(SourceState.PLAYING, errors=3, live=True, url="http://acme")
    g = guarded(Plugin([Frame("x")], status=st))
    g.poll()
    dropped = "source 'acme': a frame: its time 'x' is a str, not seconds since 1970: frame dropped"
    assert g.status() == SourceStatus(
        SourceState.PLAYING, errors=4, last_error=dropped, live=True, url="http://acme"
    )
    g.fail("it broke")
    why = "source 'acme': it broke: stopped"
    assert g.source.stops == [0]  # asked to stop, not waited for
    assert g.status() == SourceStatus(
        SourceState.ERROR,
        errors=5,
        message=why,
        last_error=why,
        live=True,
        stale=True,
        url="http://acme",
    )
    g = guarded(Plugin(status=SourceStatus(SourceState.PLAYING, stale=True)))
    g.status()
    g.fail("it broke")
    assert g.status().stale is False  # not live: never stale


def test_what_a_poll_gave_is_said_with_its_article():
    g = guarded(Plugin([7, Event(T0, EventKind.NOTE, "A01"), [1]]))
    said = []
    for _ in range(3):
        g.poll()
        said.append(g.problem)
    assert said == [
        "source 'acme': a frame: poll() gave an int, not a Frame: frame dropped",
        "source 'acme': a frame: poll() gave an Event, not a Frame: frame dropped",
        "source 'acme': a frame: poll() gave a list, not a Frame: frame dropped",
    ]


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text")


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        (ValueError(), "ValueError"),
        (ValueError("  \n "), "ValueError"),
        (ValueError("first\nsecond"), "ValueError: first"),
        (ValueError("x" * 200), "ValueError: " + "x" * 200),
        (ValueError("x" * 201), "ValueError: " + "x" * 197 + "..."),
        (Unprintable(), "Unprintable"),
    ],
)
def test_what_a_method_raised_is_said_in_one_short_line(exc, said):
    def poll():
        raise exc

    src = Plugin()
    src.poll = poll
    g = guarded(src)
    assert g.poll() is None
    assert g.failure == f"source 'acme': poll() raised {said}: stopped"


def test_times_are_said_in_utc(monkeypatch):
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    try:
        g = guarded(Plugin([gpus(watts=f32(1, 2, 3, 4))]))
        g.poll()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert g.problem == f"source 'acme': {AT}: gpu: 'watts' not a metric Twin knows (left out)"


# ---------------------------------------------------------------------- time
def test_only_a_plugin_is_held_to_time(clock):
    for cls in (Plugin, Own, Twinkle):
        src = cls([gpus()], clock=clock)
        src.takes = 5.0
        g = guarded(src)
        frame = g.poll()
        assert frame is not None  # the slow poll's frame is good
        if cls is Own:
            assert not g.failure
        else:
            assert g.failure == f"source 'acme': poll() took 5.0 s; {BLOCKS}"


def test_a_call_of_exactly_the_limit_is_not_blocking(clock):
    src = Plugin([gpus()], clock=clock)
    src.takes = guard.BLOCKING_S
    g = guarded(src)
    assert g.poll() is not None and not g.failure


def test_back_fill_that_gives_none_or_as_many_as_allowed(monkeypatch):
    g = guarded(Plugin())
    assert g.backfill() == [] and not g.failure  # None: nothing to back-fill
    monkeypatch.setattr(guard, "MAX_BACKFILL", 3)
    g.source.backfill = [gpus(T0 + k) for k in range(3)]
    assert [f.time_s - T0 for f in g.backfill()] == [0.0, 1.0, 2.0] and not g.failure
    g.source.backfill = [gpus(T0 + k) for k in range(4)]
    assert g.backfill() == []
    assert g.failure == "source 'acme': drain_backfill() gave more than 3 frames at once: stopped"


def test_back_fill_order():
    g = guarded(Plugin(backfill=[gpus(T0), gpus(T0)]))
    assert len(g.backfill()) == 2 and g.problems == 0  # equal times are in order
    g.source.backfill = [gpus(T0 + 1), gpus(T0)]
    assert [f.time_s - T0 for f in g.backfill()] == [0.0, 1.0]
    assert (
        g.problem
        == "source 'acme': drain_backfill(): back-filled frames came out of order (sorted)"
    )


def test_back_fill_that_raises_midway():
    def frames():
        yield gpus()
        raise RuntimeError("disk gone")

    g = guarded(Plugin(backfill=frames()))
    assert g.backfill() == []
    assert g.failure == (
        "source 'acme': drain_backfill() gave a generator that raised RuntimeError: disk gone: "
        "stopped"
    )


def _slow(clock, steps):
    """Back-filled frames, each after ``steps[k]`` seconds of the clock."""
    for k, step in enumerate(steps):
        clock.now += step
        yield gpus(T0 + k)


def test_a_slow_back_fill_is_cut_off_and_fails_a_plugin(clock):
    g = guarded(Plugin(backfill=_slow(clock, [0.6, 0.6, 0.6, 0.6])))
    assert g.backfill() == []
    assert g.failure == f"source 'acme': drain_backfill() took 1.2 s; {BLOCKS}"
    own = guarded(Own(backfill=_slow(clock, [0.6, 0.6, 0.6, 0.6])))
    assert len(own.backfill()) == 4 and not own.failure  # Twin's own: all of it
    edge = guarded(Plugin(backfill=_slow(clock, [1.0, 0.0])))
    assert len(edge.backfill()) == 2 and not edge.failure  # exactly the limit: not blocking


def test_stop_is_waited_for_as_long_as_asked(clock):
    def stopped(takes, cls=Plugin, **kwargs):
        src = cls(clock=clock)
        src.stop_takes = takes
        g = guarded(src)
        g.stop(**kwargs)
        return src.stops, g.problem

    assert stopped(0.0) == ([5.0], "")
    assert stopped(5.5, timeout_s=5.0) == ([5.0], "")  # within the time asked and a second
    assert stopped(1.0, timeout_s=0) == ([0], "")  # exactly the limit
    assert stopped(1.5, timeout_s=0) == ([0], "source 'acme': stop() took 1.5 s")
    assert stopped(9.0, cls=Own, timeout_s=0) == ([0], "")


def test_stop_that_raises_is_said():
    src = Plugin()
    src.stop_raises = ValueError("gone")
    g = guarded(src)
    g.stop()
    assert g.problem == "source 'acme': stop() raised ValueError: gone" and g.problems == 1


# ---------------------------------------------------------------------- names
@pytest.fixture
def registered(monkeypatch):
    """A class ``twin_test_named:Named`` (never imported), registered by the test."""
    cls = type("Named", (), {"__module__": "twin_test_named"})
    extra: list[EntryPoint] = []
    real = plugins.entry_points
    monkeypatch.setattr(
        plugins,
        "entry_points",
        lambda group: [*real(group=group), *[e for e in extra if e.group == group]],
    )
    monkeypatch.setattr(plugins, "registry", plugins.PluginRegistry())
    monkeypatch.delitem(sys.modules, "twin_test_named", raising=False)
    return cls, extra


def test_a_source_is_named_by_its_entry_point(registered):
    cls, extra = registered
    assert source_name(cls()) == "Named"
    extra.append(EntryPoint("named-csv", "twin_test_named:Named", plugins.IMPORTERS))
    plugins.registry.refresh()
    assert source_name(cls()) == "Named"  # another kind of plugin names no source
    extra.append(EntryPoint("acme", "twin_test_named:Named", plugins.SOURCES))
    plugins.registry.refresh()
    assert source_name(cls()) == "acme"  # not loaded yet: found by its value


@pytest.mark.parametrize(
    ("name", "said"),
    [("acme-live", "acme-live"), (5, "Named"), ("", "Named"), ("threaded", "Named")],
)
def test_a_source_without_an_entry_point_is_named_by_its_name(registered, name, said):
    cls, _ = registered
    cls.name = name
    assert source_name(cls()) == said


# ---------------------------------------------------------------------- threads
class Threads(Plugin):
    """A plugin that notes the thread each call runs on; ``hang`` names a call that waits
    (up to 20 s, so a test always ends) for ``release``."""

    def __init__(self, *args, hang: str = "", raises: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.on: list[tuple[str, str]] = []
        self.hang, self.raises = hang, raises
        self.release = threading.Event()

    def _note(self, method: str) -> None:
        self.on.append((method, threading.current_thread().name))
        if method == self.raises:
            raise ValueError(f"{method} boom")
        if method == self.hang:
            self.release.wait(20)

    def poll(self):
        self._note("poll")
        return super().poll()

    def drain_backfill(self):
        self._note("drain_backfill")
        return super().drain_backfill()

    def stop(self, timeout_s=5.0):
        self._note("stop")
        super().stop(timeout_s)


class OwnThreads(Threads):
    """Twin's own, noting threads."""


OwnThreads.__module__ = "twin.telemetry.own"


def test_a_plugin_is_called_on_its_own_thread_and_twins_own_inline(monkeypatch):
    monkeypatch.setattr(guard, "BLOCKING_S", 0.05)
    plugin, own = Threads([gpus()]), OwnThreads([gpus()])
    plugin.takes = own.takes = 0.0
    for src in (plugin, own):
        g = guarded(src)
        assert g.poll() is not None
        g.stop()
    here = threading.current_thread().name
    assert plugin.on == [("poll", "source plugin acme"), ("stop", "source plugin acme")]
    assert own.on == [("poll", here), ("stop", here)]
    slow = OwnThreads([gpus()], hang="poll")  # Twin's own, slower than a plugin may be
    threading.Timer(0.2, slow.release.set).start()
    g = guarded(slow)
    assert g.poll() is not None and not g.failure


@pytest.mark.parametrize("cls", [Threads, OwnThreads])
def test_a_call_that_raises_is_said_whichever_thread_runs_it(cls):
    g = guarded(cls([gpus()], raises="poll"))
    assert g.poll() is None
    assert g.failure == "source 'acme': poll() raised ValueError: poll boom: stopped"
    g = guarded(cls(backfill=[gpus()], raises="drain_backfill"))
    assert g.backfill() == []
    assert g.failure == (
        "source 'acme': drain_backfill() raised ValueError: drain_backfill boom: stopped"
    )


def test_stop_of_twins_own_that_raises_is_said():
    src = OwnThreads(raises="stop")
    g = guarded(src)
    g.stop()
    assert g.problem == "source 'acme': stop() raised ValueError: stop boom" and g.problems == 1


def test_a_stop_that_never_returns_is_given_up(monkeypatch):
    monkeypatch.setattr(guard, "BLOCKING_S", 0.1)
    src = Threads(hang="stop")
    g = guarded(src)
    t0 = time.perf_counter()
    g.stop(timeout_s=0.1)
    assert 0.2 <= time.perf_counter() - t0 < 5.0
    assert g.problem == "source 'acme': stop() has not returned after 0.2 s"
    src.release.set()
    failing = Threads([gpus()], raises="poll", hang="stop")  # fails, and its stop hangs
    g = guarded(failing)
    t0 = time.perf_counter()
    assert g.poll() is None and g.failure
    assert time.perf_counter() - t0 < 5.0  # fail() waited for stop no longer than the limit
    failing.release.set()


def test_a_back_fill_that_never_returns_is_given_up(monkeypatch):
    monkeypatch.setattr(guard, "BLOCKING_S", 0.1)
    src = Threads(backfill=[gpus()], hang="drain_backfill")
    g = guarded(src)
    assert g.backfill() == []
    assert g.failure == (
        "source 'acme': drain_backfill() has not returned after 0.1 s; a source must never "
        "block (the window would have waited for it): stopped"
    )
    src.release.set()
