"""A hostile source plugin in a real window (connected as Plugins › Connect does): a bad
frame is dropped and said in the status bar while the 3D view and the charts go on with the
next good one; a source whose methods raise is said once, in ERROR, not raised into the Qt
event loop every tick (pytest-qt fails a test on any exception a slot lets out). Before, a
frame whose time was text ended the window in a segmentation fault inside the charts."""

from __future__ import annotations

import datetime as dt
import threading
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from twin import plugins
from twin.api import Event, Frame, SourceState, SourceStatus

pytestmark = pytest.mark.gui

T0 = dt.datetime(2026, 12, 6, 10, tzinfo=dt.UTC).timestamp()
BAD_AT = 3  # the frame that is spoilt


def _spoil(f: Frame, case: str, n: int) -> Frame:
    if case == "0d":
        f.gpu["temp_c"] = np.float32(55.0)
    elif case == "2d":
        f.gpu["temp_c"] = np.ones((n, 2), np.float32)
    elif case == "strings":
        f.gpu["temp_c"] = np.array(["hot"] * n)
    elif case == "time-str":
        f.time_s = "2026-12-06 10:00:03"
    elif case == "time-1e300":
        f.time_s = 1e300
    elif case == "event-str":
        f.events = ["alarm!", Event(T0 + BAD_AT, "door_open", "A01", "rear door", 1)]
    return f


#: what the status bar says of each (after "source 'acme': ")
SAID = {
    "0d": "frame at 2026-12-06 10:00:03: gpu/temp_c is a single value, not one per GPU: "
    "frame dropped",
    "2d": "frame at 2026-12-06 10:00:03: gpu/temp_c has shape (64, 2), not one value per GPU: "
    "frame dropped",
    "strings": "frame at 2026-12-06 10:00:03: gpu/temp_c holds text (<U3), not numbers: "
    "frame dropped",
    "time-str": "a frame: its time '2026-12-06 10:00:03' is a str, not seconds since 1970: "
    "frame dropped",
    "time-1e300": "a frame: its time 1e+300 s is not a date between 1900 and 2200: frame dropped",
    "event-str": "frame at 2026-12-06 10:00:03: event kind 'door_open' is not one Twin knows: "
    "kept as a note",
}


class Acme:
    """A source plugin: every GPU at 30 + k °C in frame k; ``case`` spoils frame ``BAD_AT``
    or makes a method raise."""

    def __init__(self, facility, case: str = ""):
        self.facility, self.case, self.k = facility, case, 0
        self.polls = 0
        self.released = threading.Event()

    def start(self):
        if self.case == "raise:start":
            raise ValueError("licence expired")

    def poll(self):
        self.polls += 1
        if self.case == "raise:poll" and self.k >= 1:
            raise ValueError("socket closed")
        if self.case == "hang" and self.k >= 1:
            self.released.wait(20)  # a read with no timeout: until stop() (20 s: a test ends)
        self.k += 1
        f = Frame.empty(T0 + self.k, self.facility.counts())
        f.gpu["temp_c"][:] = 30.0 + self.k
        f.rack["inlet_c"][:] = 20.0 + self.k
        return _spoil(f, self.case, self.facility.n_gpus) if self.k == BAD_AT else f

    def status(self):
        if self.case == "status-none":
            return None
        return SourceStatus(SourceState.PLAYING, frames=self.k)

    def drain_backfill(self):
        return []

    def stop(self, timeout_s=5.0):
        self.released.set()
        if self.case == "raise:stop":
            raise ValueError("already closed")


@pytest.fixture
def acme(add_plugins):
    """``Acme`` installed as the source plugin ``acme``."""
    add_plugins(
        [EntryPoint("acme", "twin_test_ui_acme:Acme", plugins.SOURCES)],
        {"twin_test_ui_acme": {"Acme": Acme}},
    )


def _connect(window, case: str) -> Acme:
    assert window.extensions["plugins_ui"].connect("acme", case=case)
    return window.source


def _shows_frame(window, qtbot, k: int) -> None:
    """Wait until frame ``k`` (or a later one) is on screen, in the 3D view too."""
    qtbot.waitUntil(
        lambda: window.last_frame is not None and window.last_frame.time_s >= T0 + k,
        timeout=15000,
    )
    shown = window.last_frame.gpu["temp_c"][0]
    assert np.all(window.scene.gpu_values() == shown)


@pytest.mark.parametrize("case", list(SAID))
def test_a_bad_frame_is_said_and_the_window_keeps_updating(acme, opened, qtbot, case):
    w = opened
    w.select("rack", 0)  # the charts follow a rack from their buffer of live frames
    _connect(w, case)
    _shows_frame(w, qtbot, BAD_AT + 3)
    assert w.statusBar().currentMessage() == f"source 'acme': {SAID[case]}"
    assert w.isVisible() and w.session.source_status().state == SourceState.PLAYING
    w.stop_source()


def test_a_frame_whose_time_is_text_with_a_gpu_charted(acme, opened, qtbot):
    """This one ended the window (SIGSEGV in pyqtgraph) before."""
    w = opened
    w.select("gpu", 0)
    _connect(w, "time-str")
    _shows_frame(w, qtbot, BAD_AT + 3)
    assert "frame dropped" in w.statusBar().currentMessage()
    w.stop_source()


def test_a_poll_that_raises_is_said_once_and_another_source_can_follow(acme, opened, qtbot):
    w = opened
    src = _connect(w, "raise:poll")
    said = "source 'acme': poll() raised ValueError: socket closed: stopped"
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == said, timeout=10000)
    qtbot.wait(300)  # several ticks: the source is not called again
    assert src.polls == 2 and w.source is src
    status = w.session.source_status()
    assert status.state == SourceState.ERROR and status.message == said
    _connect(w, "")  # the user picks a working source: the window goes on
    _shows_frame(w, qtbot, 3)
    w.stop_source()


def test_a_start_that_raises_is_said(acme, opened, qtbot):
    w = opened
    _connect(w, "raise:start")  # raised out of Plugins › Connect before
    said = "source 'acme': start() raised ValueError: licence expired: stopped"
    assert w.statusBar().currentMessage() == said  # at once, not "Telemetry: acme" first
    qtbot.wait(300)  # and still after a few ticks
    assert w.statusBar().currentMessage() == said
    assert w.last_frame is None and w.session.source_failure == said
    w.stop_source()


def test_a_stop_that_raises_does_not_escape_disconnect(acme, opened, qtbot):
    w = opened
    _connect(w, "raise:stop")
    _shows_frame(w, qtbot, 2)
    w.stop_source()  # raised ValueError out of the window's Disconnect before
    assert w.source is None


def test_a_status_that_is_none_is_said_in_the_status_light(acme, opened, qtbot):
    """The status light asked the plugin itself every 500 ms, past the session's guard: a
    status() of None was an AttributeError out of the timer's slot each time."""
    w = opened
    _connect(w, "status-none")
    said = "source 'acme': status() gave None, not a SourceStatus: stopped"
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == said, timeout=10000)
    light = w.extensions["live"].status_widget
    qtbot.waitUntil(lambda: f"Last error: {said}" in light.toolTip(), timeout=5000)
    assert light.text.startswith("error · ")
    assert w.session.source_status().state == SourceState.ERROR
    w.stop_source()


def test_a_poll_that_never_returns_does_not_freeze_the_window(acme, opened, qtbot, monkeypatch):
    """It froze the window for good (the guard timed only calls that came back)."""
    from twin.telemetry import guard

    monkeypatch.setattr(guard, "BLOCKING_S", 0.2)
    w = opened
    src = _connect(w, "hang")
    said = (
        "source 'acme': poll() has not returned after 0.2 s; a source must never block (the "
        "window would have waited for it): stopped"
    )
    qtbot.waitUntil(lambda: w.statusBar().currentMessage() == said, timeout=10000)
    assert src.released.is_set()  # its stop was called, beside the stuck poll
    _connect(w, "")  # and the window goes on with another source
    _shows_frame(w, qtbot, 3)
    w.stop_source()
