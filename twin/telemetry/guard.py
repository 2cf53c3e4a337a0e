"""Twin's side of the ``Source`` protocol: the session calls a source only through a
``SourceGuard``, so a source plugin that raises, blocks, answers with the wrong type or hands
over a malformed frame is reported (the source put in ``ERROR``, or the frame dropped and
counted, each with a message that names the source) and never reaches the window's event loop,
a chart or a recording.

A frame is checked against the item counts of the facility the source was built for, one
metric array at a time: its shape and dtype (metadata, no pass over the values) and one
vectorised pass for infinities. An array that is already right (float32, one value per item,
contiguous, writable) is kept as it is, never copied.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
import numbers
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from twin import plugins
from twin.model.frame import METRICS, Event, EventKind, Frame
from twin.recording.reader import EARLIEST_S, LATEST_S
from twin.telemetry.plugin_calls import CallResult, PluginCaller
from twin.telemetry.source import SourceState, SourceStatus

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: A call to a source plugin that takes longer held the window up that long: the source is
#: stopped (seconds). Twin's own sources are trusted on time (a replay may read a slow disk).
BLOCKING_S = 1.0
#: Back-filled frames taken from one ``drain_backfill()``; more is a source that never ends.
MAX_BACKFILL = 10_000
#: Events taken from one frame.
MAX_EVENTS = 10_000
#: Problems kept in ``SourceGuard.recent``.
RECENT = 20
#: Distinct notes (unknown metrics, infinities, ...) counted as new problems; past it, only
#: dropped frames and failures are (a source cannot grow a set without end).
MAX_NOTES = 200

_F32 = np.dtype(np.float32)
_KNOWN = {kind: frozenset(name for name, _, _ in metrics) for kind, metrics in METRICS.items()}
_NOUNS = {
    "gpu": "GPUs",
    "rack": "racks",
    "air_unit": "air units",
    "cdu": "CDUs",
    "power": "power devices",
    "sensor": "point sensors",
}
_NOT_NUMBERS = {
    "U": "text",
    "S": "bytes",
    "O": "Python objects",
    "c": "complex numbers",
    "M": "dates",
    "m": "time spans",
    "V": "records",
}


class BadFrame(ValueError):
    """Why a frame cannot be used (it is dropped); ``at`` names the frame by its time."""

    def __init__(self, why: str, at: str = "a frame") -> None:
        super().__init__(why)
        self.at = at


# ---------------------------------------------------------------------- frames
def check_frame(frame: Any, counts: dict[str, int], notes: list[str]) -> Frame:
    """``frame`` made safe for the session, in place: metric arrays coerced to float32 where
    they are not (a copy only then), infinities made NaN (no reading is infinite), metrics
    Twin does not know and malformed events left out, each with a line in ``notes``.
    ``BadFrame`` when it cannot be used at all: not a ``Frame``, no usable time, an array
    not of one number per item."""
    if not isinstance(frame, Frame):
        raise BadFrame(f"poll() gave {_what(frame)}, not a Frame")
    frame.time_s = _check_time(frame.time_s)
    at = f"frame at {_when(frame.time_s)}"
    try:
        for kind in _KNOWN:
            _check_group(frame, kind, counts.get(kind, 0), notes)
    except BadFrame as exc:
        raise BadFrame(str(exc), at) from None
    frame.events = _check_events(frame.events, frame.time_s, notes)
    return frame


def _check_time(t: Any) -> float:
    """Seconds since 1970 as a float, within the dates a recording may hold."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise BadFrame(f"its time {_short(t)} is {_what(t)}, not seconds since 1970")
    t = float(t)
    if not math.isfinite(t):
        raise BadFrame(f"its time is {t}, not a number of seconds")
    if not EARLIEST_S <= t <= LATEST_S:
        raise BadFrame(f"its time {t:g} s is not a date between 1900 and 2200")
    return t


def _check_group(frame: Frame, kind: str, n: int, notes: list[str]) -> None:
    """One item kind's metrics: known names only, each an array of ``n`` float32."""
    group = getattr(frame, kind, None)
    if group is None:  # a source that knows nothing of this kind
        setattr(frame, kind, {})
        return
    if not isinstance(group, dict):
        raise BadFrame(f"{kind} is {_what(group)}, not a dict of metric arrays")
    unknown = group.keys() - _KNOWN[kind]
    if unknown:
        names = ", ".join(sorted(_short(k) for k in unknown))
        notes.append(f"{kind}: {names} not a metric Twin knows (left out)")
        group = {k: v for k, v in group.items() if k not in unknown}
        setattr(frame, kind, group)
    for name, values in list(group.items()):
        v = values
        if not (
            type(v) is np.ndarray
            and v.dtype == _F32
            and v.shape == (n,)
            and v.flags.c_contiguous
            and v.flags.writeable
        ):
            v = _coerce(v, n, f"{kind}/{name}", kind)
        inf = np.isinf(v)
        if inf.any():
            if v is values:  # the source's own array: not changed under it
                v = v.copy()
            v[inf] = np.nan
            notes.append(f"{kind}/{name}: infinite values read as no reading")
        if v is not values:
            group[name] = v


def _coerce(values: Any, n: int, where: str, kind: str) -> np.ndarray:
    """A float32 copy of ``values`` when it is ``n`` numbers; ``BadFrame`` otherwise."""
    try:
        a = values if isinstance(values, np.ndarray) else np.asarray(values)
    except Exception as exc:  # noqa: BLE001 - a hostile object's __array__ or __len__
        raise BadFrame(f"{where} is {_what(values)} ({_error(exc)}), not an array") from None
    if a.ndim == 0:
        raise BadFrame(f"{where} is a single value, not one per {_NOUNS[kind][:-1]}")
    if a.ndim > 1:
        raise BadFrame(f"{where} has shape {a.shape}, not one value per {_NOUNS[kind][:-1]}")
    if len(a) != n:
        raise BadFrame(f"{where} has {_count(len(a))}, the layout has {n:,} {_NOUNS[kind]}")
    if a.dtype.kind not in "biuf":
        what = _NOT_NUMBERS.get(a.dtype.kind, str(a.dtype))
        raise BadFrame(f"{where} holds {what} ({a.dtype}), not numbers")
    with np.errstate(over="ignore", invalid="ignore"):  # 1e308 -> inf, made NaN by the caller
        return np.array(a, dtype=_F32, order="C")


def _check_events(events: Any, t: float, notes: list[str]) -> list[Event]:
    """The frame's events that are ``Event`` objects; kinds Twin does not know become notes
    (kept, the kind in the message), times that are no date the frame's own, an item or
    message that is not text its text, a severity clamped to 0-2 (as the recorder writes
    them). The list is kept as given only when every event is right already."""
    if events is None:
        return []
    if not isinstance(events, list | tuple):
        notes.append(f"events is {_what(events)}, not a list (left out)")
        return []
    if (
        all(
            type(e) is Event
            and type(e.kind) is EventKind
            and type(e.time_s) is float
            and type(e.item) is str
            and type(e.message) is str
            and type(e.severity) is int
            and 0 <= e.severity <= 2
            for e in events[:MAX_EVENTS]
        )
        and len(events) <= MAX_EVENTS
    ):
        return events if isinstance(events, list) else list(events)
    if len(events) > MAX_EVENTS:
        notes.append(f"{len(events):,} events in one frame: the first {MAX_EVENTS:,} kept")
    out = []
    for e in events[:MAX_EVENTS]:
        if not isinstance(e, Event):
            notes.append(f"an event that is {_what(e)}, not an Event, left out")
            continue
        try:
            out.append(_check_event(e, t, notes))
        except Exception as exc:  # noqa: BLE001 - an Event whose fields raise
            notes.append(f"an event whose fields raise {_error(exc)} left out")
    return out


def _check_event(e: Event, t: float, notes: list[str]) -> Event:
    kind, message = e.kind, e.message if isinstance(e.message, str) else str(e.message)
    if not isinstance(kind, EventKind):
        try:
            kind = EventKind(kind)
        except ValueError:
            notes.append(f"event kind {_short(kind)} is not one Twin knows: kept as a note")
            message, kind = f"[{kind}] {message}", EventKind.NOTE
    when = e.time_s
    ok = isinstance(when, numbers.Real) and math.isfinite(when) and EARLIEST_S <= when <= LATEST_S
    severity = int(e.severity) if isinstance(e.severity, numbers.Real) else 1
    return Event(
        float(when) if ok else t,
        kind,
        e.item if isinstance(e.item, str) else str(e.item),
        message,
        min(max(severity, 0), 2),
    )


# ---------------------------------------------------------------------- the guard
class SourceGuard:
    """Every call the session makes to one source. A call that raises, answers with the
    wrong type, or (for a source that is not Twin's own) holds the caller up longer than
    ``BLOCKING_S`` puts the source in ``ERROR``: it is asked to stop and never called again
    but for ``stop``. A frame that cannot be used is dropped and counted. Each such problem is
    one line naming the source (``problem``; ``problems`` counts them), for a status bar.

    A source that is not Twin's own is called on a thread of its own (``PluginCaller``), so a
    call that never returns is given up after ``BLOCKING_S`` too, where it froze the window
    for good; its ``stop`` then goes on a fresh thread (it may be what unblocks the call)."""

    def __init__(self, source: Any, facility: Facility, *, name: str | None = None) -> None:
        self.source = source
        self.name = name or source_name(source)
        self.trusted = _is_twins_own(source)
        #: The facility the source's frames are sized for (its own, else the session's).
        self.facility = facility
        try:
            own = source.facility
            self.facility = own if hasattr(own, "counts") else facility
        except Exception:  # noqa: BLE001 - a source without a facility: the session's
            pass
        self.counts = self.facility.counts()
        self.failure = ""  # why the source was stopped ("" while it works)
        self.problem = ""  # the latest problem, one line
        self.problems = 0  # problems so far; a caller shows ``problem`` when this moves
        #: The last few problems, oldest first (several can come in one frame).
        self.recent: collections.deque[str] = collections.deque(maxlen=RECENT)
        self.dropped = 0  # frames dropped as unusable
        self._notes: set[str] = set()
        self._status: SourceStatus | None = None
        self._caller = None if self.trusted else PluginCaller(self.name)

    # ------------------------------------------------------------------ calls
    def _call(self, method: str) -> tuple[bool, Any]:
        """(True, what ``source.method()`` returned), or (False, None) when it raised or did
        not return in time (the source then failed)."""
        return self._run(method, getattr(self.source, method))

    def _run(self, method: str, fn: Any) -> tuple[bool, Any]:
        """``_call`` of any function that calls the source (``fn()``): inline for Twin's own
        sources, on the plugin's thread for the others, waited for ``BLOCKING_S`` at most."""
        t0 = time.perf_counter()
        if self._caller is None:
            try:
                out = fn()
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is reported, not raised
                self.fail(f"{method}() raised {_error(exc)}")
                return False, None
        else:
            res = self._caller.call(fn, BLOCKING_S)
            if not res.done:
                self.fail(
                    f"{method}() has not returned after {BLOCKING_S:g} s; a source must never "
                    "block (the window would have waited for it)"
                )
                return False, None
            if res.error is not None:
                self.fail(f"{method}() raised {_error(res.error)}")
                return False, None
            out = res.value
        self._timed(method, t0)
        return True, out

    def _timed(self, method: str, t0: float) -> None:
        took = time.perf_counter() - t0
        if took > BLOCKING_S and not self.trusted and not self.failure:
            self.fail(
                f"{method}() took {took:.1f} s; a source must never block "
                "(it held up the window that long)"
            )

    def fail(self, why: str) -> None:
        """Put the source in ``ERROR`` for ``why`` and ask it to stop (not waiting)."""
        if self.failure:
            return
        self.failure = f"source '{self.name}': {why}: stopped"
        self._problem(self.failure)
        self._stop(0.0, BLOCKING_S)  # it failed already: what its stop does is not said

    def _stop(self, timeout_s: float, wait_s: float) -> CallResult:
        """``source.stop(timeout_s)``: inline for Twin's own sources; for the others on the
        plugin's thread, or on a fresh one when a call there has not returned (stop may be
        what ends it), waited for ``wait_s`` at most."""
        call = lambda: self.source.stop(timeout_s=timeout_s)  # noqa: E731
        if self._caller is None:
            try:
                call()
            except Exception as exc:  # noqa: BLE001
                return CallResult(True, error=exc)
            return CallResult(True)
        caller = self._caller if not self._caller.stuck else PluginCaller(f"{self.name} stop")
        return caller.call(call, wait_s)

    def _problem(self, text: str) -> None:
        self.problem = text
        self.problems += 1
        self.recent.append(text)

    def _note(self, at: str, note: str) -> None:
        """A problem worth a line once per kind, not once per frame."""
        if note not in self._notes and len(self._notes) < MAX_NOTES:
            self._notes.add(note)
            self._problem(f"source '{self.name}': {at}: {note}")

    # ------------------------------------------------------------------ protocol
    def start(self) -> None:
        if not self.failure:
            self._call("start")

    def poll(self) -> Frame | None:
        """The source's newest frame, checked; None when there is none, it was dropped, or
        the source failed."""
        if self.failure:
            return None
        ok, frame = self._call("poll")
        return self.check(frame) if ok and frame is not None else None

    def check(self, frame: Any) -> Frame | None:
        """``frame`` checked (``check_frame``), or None with the reason counted."""
        notes: list[str] = []
        try:
            out = check_frame(frame, self.counts, notes)
        except BadFrame as exc:
            self.dropped += 1
            self._problem(f"source '{self.name}': {exc.at}: {exc}: frame dropped")
            return None
        except Exception as exc:  # noqa: BLE001 - an object whose own methods raise
            self.dropped += 1
            self._problem(f"source '{self.name}': a frame: {_error(exc)}: frame dropped")
            return None
        for note in notes:
            self._note(f"frame at {_when(out.time_s)}", note)
        return out

    def backfill(self) -> list[Frame]:
        """The source's back-filled frames, checked and oldest first; at most
        ``MAX_BACKFILL``, taken within ``BLOCKING_S`` (else the source failed)."""
        if self.failure:
            return []
        t0 = time.perf_counter()
        ok, taken = self._run("drain_backfill", lambda: self._take_backfill(t0))
        if not ok:
            return []
        items, why = taken
        if why:
            self.fail(why)
        if self.failure:
            return []
        frames = [f for f in map(self.check, items) if f is not None]
        if any(b.time_s < a.time_s for a, b in zip(frames, frames[1:], strict=False)):
            frames.sort(key=lambda f: f.time_s)
            self._note("drain_backfill()", "back-filled frames came out of order (sorted)")
        return frames

    def _take_backfill(self, t0: float) -> tuple[list[Any], str]:
        """(the items ``drain_backfill()`` gave, '') or ([], why the source fails): run on the
        plugin's thread with the call, so a generator that blocks cannot hold the window."""
        got = self.source.drain_backfill()
        if got is None:
            return [], ""
        items = []
        try:
            for item in got:
                items.append(item)
                if len(items) > MAX_BACKFILL:
                    return [], f"drain_backfill() gave more than {MAX_BACKFILL:,} frames at once"
                if not self.trusted and time.perf_counter() - t0 > BLOCKING_S:
                    break
        except Exception as exc:  # noqa: BLE001 - not iterable, or a generator that raised
            return [], f"drain_backfill() gave {_what(got)} that raised {_error(exc)}"
        return items, ""

    def discard_backfill(self) -> None:
        """Let the source drop its back-fill (nothing records it)."""
        if not self.failure:
            self._call("drain_backfill")

    def status(self) -> SourceStatus:
        """The source's own status; ``ERROR`` with the failure once it failed; dropped
        frames counted among its errors."""
        if not self.failure:
            ok, st = self._call("status")
            if ok and isinstance(st, SourceStatus):
                self._status = st
            elif ok:
                self.fail(f"status() gave {_what(st)}, not a SourceStatus")
        st = self._status or SourceStatus(SourceState.IDLE)
        if self.failure:
            return dataclasses.replace(
                st,
                state=SourceState.ERROR,
                message=self.failure,
                errors=st.errors + self.dropped + 1,
                last_error=self.failure,
                stale=st.live,
            )
        if self.problems:
            return dataclasses.replace(st, errors=st.errors + self.dropped, last_error=self.problem)
        return st

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the source (a source that raises here is only noted: it is going anyway);
        a plugin's stop is waited for ``timeout_s`` and ``BLOCKING_S`` more at most."""
        t0 = time.perf_counter()
        wait_s = max(timeout_s, 0) + BLOCKING_S
        res = self._stop(timeout_s, wait_s)
        if self._caller is not None:
            self._caller.close()  # its thread ends after what it runs now, if that ends
        if res.error is not None:
            self._problem(f"source '{self.name}': stop() raised {_error(res.error)}")
        elif not res.done:
            self._problem(f"source '{self.name}': stop() has not returned after {wait_s:g} s")
        elif not self.trusted and time.perf_counter() - t0 > wait_s:
            self._problem(f"source '{self.name}': stop() took {time.perf_counter() - t0:.1f} s")


# ---------------------------------------------------------------------- words
def _what(x: Any) -> str:
    """'a dict', 'None', 'a str'."""
    if x is None:
        return "None"
    name = type(x).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _short(x: Any) -> str:
    try:
        text = repr(x)
    except Exception:  # noqa: BLE001
        text = f"<{type(x).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _error(exc: BaseException) -> str:
    """``ValueError: boom``: its first line, clipped (a plugin's message may be a page)."""
    try:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        text = ""
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def source_name(source: Any) -> str:
    """The name a user knows a source by: its entry point's (``acme``), else its ``name``,
    else its class's."""
    cls = type(source)
    value = f"{cls.__module__}:{cls.__qualname__}"
    try:
        for info in plugins.infos(plugins.SOURCES):
            # a loaded plugin is asked for its (cached) object; nothing is imported here
            if info.value == value or (
                info.status == plugins.LOADED and plugins.load(plugins.SOURCES, info.name) is cls
            ):
                return info.name
    except Exception:  # noqa: BLE001 - broken metadata names nothing; the class still does
        pass
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) and name and name != "threaded" else cls.__name__


def _is_twins_own(source: Any) -> bool:
    return type(source).__module__.partition(".")[0] == "twin"


def _count(n: int) -> str:
    return f"{n:,} value" + "s" * (n != 1)
