"""The one small protocol every telemetry source implements, and a background-thread base
that keeps only the newest frame, so a fast source never builds a queue and the GUI thread
never waits on I/O.

A source is constructed as ``SourceClass(facility, **options)`` (see ``twin.telemetry.registry``)
and then driven with ``start()``, ``poll()`` (never blocks), ``status()``, ``drain_backfill()``
and ``stop(timeout_s)``. Every capability is declared here, so callers never probe: a source
that has no back-fill returns ``[]``; a source that cannot count GPUs with data says None.
Only ``twin.session.Session`` drives a source.
"""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from twin.model.frame import Frame

if TYPE_CHECKING:
    from twin.model.facility import Facility


class SourceState(enum.StrEnum):
    IDLE = "idle"  # built, not started
    CONNECTING = "connecting"
    CONNECTED = "connected"  # live and fresh
    LAGGING = "lagging"  # live, but the newest sample is older than expected
    DISCONNECTED = "disconnected"  # live, cannot reach the data; retrying
    PLAYING = "playing"  # replay / simulation running
    PAUSED = "paused"
    ENDED = "ended"  # a finite source ran out of data
    STOPPED = "stopped"
    ERROR = "error"  # gave up; ``message`` says why


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """What a status bar shows about a source."""

    state: SourceState
    #: Seconds between now (wall clock) and the newest sample's timestamp; None before one.
    age_s: float | None = None
    #: Timestamp of the newest frame produced (seconds since the epoch); None before one.
    time_s: float | None = None
    frames: int = 0  # frames produced
    dropped: int = 0  # frames replaced by a newer one before anyone polled them
    errors: int = 0
    message: str = ""
    #: GPUs the newest frame has data for, and the facility's GPU count; None when the
    #: source does not count (a replay holds what was recorded).
    gpus_with_data: int | None = None
    gpus_total: int | None = None
    #: The message of the last failure, kept after the source recovers ("" if none yet).
    last_error: str = ""
    #: A live source (its data can go stale while the window shows it).
    live: bool = False
    #: The view shows data that is not fresh (lagging, disconnected, not yet connected).
    stale: bool = False
    #: Where the data comes from (a URL with any password removed, or a file).
    url: str = ""
    #: Series that matched no GPU of the layout, and a few of them as ``host/gpuN (UUID)``.
    unmatched_series: int = 0
    unmatched_examples: tuple[str, ...] = ()
    #: Metrics that returned no series (not exported by this site).
    metrics_missing: tuple[str, ...] = ()
    #: Seconds until the next retry while disconnected.
    retry_in_s: float | None = None
    #: Wall time of the last successful poll, milliseconds.
    poll_ms: float | None = None


@runtime_checkable
class Source(Protocol):
    """A producer of ``Frame`` objects for one facility.

    Twin calls it only through ``twin.telemetry.guard.SourceGuard``: a method that raises,
    answers with the wrong type or (a plugin's) takes over a second puts the source in
    ``ERROR`` and it is not called again; a frame not of float arrays sized by the facility's
    counts, or without a time in seconds since 1970, is dropped; each said in one line."""

    facility: Facility

    def start(self) -> None:
        """Begin producing frames (idempotent)."""

    def poll(self) -> Frame | None:
        """The newest frame not yet returned, or None. Never blocks."""

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop producing and release resources (idempotent); ``poll`` may still drain.
        Waits at most ``timeout_s`` for I/O to end; ``0`` returns at once (a request stuck on
        a dead server must not freeze the window; its thread ends on its own)."""

    def status(self) -> SourceStatus:
        """Current state, freshness, counters and the last error."""

    def drain_backfill(self) -> list[Frame]:
        """Frames that fill a gap (history fetched after start or a reconnect), oldest first,
        for a recorder; ``[]`` when there are none or the source never back-fills."""


class FrameSlot:
    """A one-frame mailbox: ``put`` replaces, ``take`` empties.

    Events of a replaced frame are carried into the newer one, so dropping stale frames never
    drops an alarm or a failover.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self.produced = 0
        self.dropped = 0
        self.newest_time_s: float | None = None

    def put(self, frame: Frame) -> None:
        with self._lock:
            old = self._frame
            if old is not None:
                self.dropped += 1
                if old.events:
                    frame.events = [*old.events, *frame.events]
            self._frame = frame
            self.produced += 1
            self.newest_time_s = frame.time_s

    def take(self) -> Frame | None:
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    def clear(self) -> None:
        with self._lock:
            self._frame = None


class ThreadedSource:
    """Base for sources whose work (I/O, simulation) runs on a daemon thread.

    Subclasses implement ``_run()``: loop until ``self._stopping`` is set, call
    ``self._publish(frame)`` for each frame, use ``self._sleep(seconds)`` (returns True when
    asked to stop) and ``self._set_state(state, message)``. An exception escaping ``_run``
    puts the source in ``ERROR`` with the message, never kills the application.
    """

    #: Registry name; subclasses override.
    name = "threaded"

    def __init__(self, facility: Facility) -> None:
        self.facility = facility
        self._slot = FrameSlot()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._state = SourceState.IDLE
        self._message = ""
        self._errors = 0
        self._last_error = ""

    # ------------------------------------------------------------------ protocol
    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._main, name=f"twin-{self.name}", daemon=True)
        self._thread.start()

    def poll(self) -> Frame | None:
        return self._slot.take()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        self._thread = None
        with self._state_lock:
            if self._state != SourceState.ERROR:
                self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        newest = self._slot.newest_time_s
        with self._state_lock:
            state, message, errors = self._state, self._message, self._errors
            last_error = self._last_error
        return SourceStatus(
            state=state,
            age_s=None if newest is None else time.time() - newest,
            time_s=newest,
            frames=self._slot.produced,
            dropped=self._slot.dropped,
            errors=errors,
            message=message,
            last_error=last_error,
        )

    def drain_backfill(self) -> list[Frame]:
        """No back-fill unless a subclass fetches history."""
        return []

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ for subclasses
    def _run(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _publish(self, frame: Frame) -> None:
        self._slot.put(frame)

    def _sleep(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True if the source was asked to stop meanwhile."""
        return self._stopping.wait(max(0.0, seconds))

    def _set_state(self, state: SourceState, message: str = "", error: str = "") -> None:
        """``error``: the failure itself, kept as ``last_error`` when ``message`` says more
        (such as when the next try comes)."""
        with self._state_lock:
            self._state = state
            self._message = message
            if state in (SourceState.ERROR, SourceState.DISCONNECTED) and (error or message):
                self._last_error = error or message

    def _count_error(self, message: str) -> None:
        with self._state_lock:
            self._errors += 1
            self._message = message
            self._last_error = message

    def _main(self) -> None:
        try:
            self._run()
        except Exception as exc:  # reported through status(), never raised
            self._count_error(f"{type(exc).__name__}: {exc}")
            self._set_state(SourceState.ERROR, f"{type(exc).__name__}: {exc}")
