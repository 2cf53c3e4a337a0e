"""The Source protocol pieces: the newest-frame slot, the threaded base and the registry."""

from __future__ import annotations

import time
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from twin.model.frame import Event, EventKind, Frame
from twin.telemetry import registry
from twin.telemetry.source import FrameSlot, Source, SourceState, ThreadedSource


def _frame(t: float, *events: str) -> Frame:
    return Frame(time_s=t, events=[Event(t, EventKind.NOTE, e) for e in events])


def test_slot_keeps_only_newest_and_carries_events():
    slot = FrameSlot()
    assert slot.take() is None
    slot.put(_frame(1, "a"))
    slot.put(_frame(2))
    slot.put(_frame(3, "c"))
    got = slot.take()
    assert got.time_s == 3
    assert [e.item for e in got.events] == ["a", "c"]
    assert slot.take() is None
    assert (slot.produced, slot.dropped) == (3, 2)


class _Counting(ThreadedSource):
    name = "counting"

    def __init__(self, facility=None, fail_after: int | None = None):
        super().__init__(facility)
        self.fail_after = fail_after

    def _run(self):
        self._set_state(SourceState.CONNECTED)
        i = 0
        while not self._stopping.is_set():
            if self.fail_after is not None and i >= self.fail_after:
                raise ConnectionError("feed went away")
            self._publish(Frame(time_s=time.time(), gpu={"temp_c": np.full(4, i, np.float32)}))
            i += 1
            if self._sleep(0.001):
                return


def test_threaded_source_never_queues_and_stops():
    src = _Counting()
    assert isinstance(src, Source)
    src.start()
    deadline = time.monotonic() + 5
    while src.status().frames < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    frame = src.poll()
    st = src.status()
    assert frame is not None and st.state == SourceState.CONNECTED
    assert st.frames >= 50 and st.dropped >= st.frames - 5  # newest only, no backlog
    assert st.age_s is not None and st.age_s < 5
    src.stop()
    assert not src.running
    assert src.status().state == SourceState.STOPPED


def test_threaded_source_error_goes_to_status_not_raised():
    src = _Counting(fail_after=3)
    src.start()
    deadline = time.monotonic() + 5
    while src.status().state != SourceState.ERROR and time.monotonic() < deadline:
        time.sleep(0.01)
    st = src.status()
    assert st.state == SourceState.ERROR
    assert "feed went away" in st.message and st.errors == 1
    src.stop()
    assert src.status().state == SourceState.ERROR


def test_registry_lists_builtins_and_loads_lazily(small_facility):
    names = registry.available()
    assert {"simulated", "replay", "prometheus", "scrape"} <= set(names)
    cls = registry.load("simulated")
    assert cls.__name__ == "SimulatedSource"
    src = registry.create("simulated", small_facility, seed=1)
    assert isinstance(src, Source)
    assert src.facility is small_facility


def _entry_points(monkeypatch, *eps: EntryPoint) -> None:
    """Make the plugin registry see exactly these third-party entry points."""
    from twin import plugins

    monkeypatch.setattr(plugins, "entry_points", lambda group: [e for e in eps if e.group == group])
    monkeypatch.setattr(plugins, "registry", plugins.PluginRegistry())


def test_registry_finds_third_party_entry_point(monkeypatch):
    _entry_points(monkeypatch, EntryPoint("counting", f"{__name__}:_Counting", registry.GROUP))
    assert registry.load("counting") is _Counting


def test_registry_unknown_and_broken_names(monkeypatch):
    with pytest.raises(registry.SourceNotFound, match="no telemetry source 'nope'"):
        registry.load("nope")
    _entry_points(monkeypatch, EntryPoint("broken", "twin.no_such_module:Thing", registry.GROUP))
    with pytest.raises(registry.SourceNotFound, match="broken"):
        registry.load("broken")
