"""The one frame pump: source -> frame map -> physics fill -> recorder -> listeners.

Only the session polls a source, and only through a ``SourceGuard``
(``twin.telemetry.guard``): a source plugin that raises, blocks or hands over a malformed
frame is put in ``ERROR`` or has the frame dropped, said in one line that names it
(``take_source_problem``), and never raises out of ``tick``; listeners and a recording see
checked frames only. The window ticks it from a timer, ``twin record`` and ``twin simulate``
from a loop, tests by hand; everything that shows frames (the 3D view, the replay controls,
the live status, charts, the thermal view) listens to its psygnal signals. No Qt, no VTK.

The session outlives layout changes: when the facility is edited (racks added, deleted,
duplicated) the source keeps running and its frames are carried into the new index order by
item id (``twin.model.frame_map``); a recording stops there, since a recording holds one
layout.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Protocol

from psygnal import Signal

from twin.model.facility import Facility
from twin.model.frame import Frame
from twin.model.frame_map import FrameMap
from twin.recording import Recorder, RecordingError
from twin.telemetry.guard import SourceGuard
from twin.telemetry.source import Source, SourceStatus

#: A recording is made durable at least this often, even when frames come slowly.
FLUSH_INTERVAL_S = 1.0


class FramePhysics(Protocol):
    """What the session needs of a physics model: fill in what sensors do not measure
    (air temperatures, rack inlets, GPU temperatures) in a frame, in place, and name the
    metrics it may write (``rack/inlet_c``, ...): a recording says so."""

    filled_by_model: tuple[str, ...]

    def update(self, frame: Frame) -> None: ...


class Session:
    """Ties a facility, a source, the physics and a recorder together.

    ``tick()`` takes the newest frame from the source (never waiting), maps it onto the
    current facility, lets the physics fill it in, records it (with any back-filled frames
    first), emits it and returns it; None when the source has nothing new.

    Signals: ``frame(Frame)``, ``events(list[Event])`` (only when a frame carries some),
    ``status(SourceStatus | None)`` (after every tick and on source changes),
    ``source_changed(Source | None)``, ``facility_changed(Facility)``,
    ``recording_started(Path)``, ``recording_stopped(Path, int frames, str reason)``.
    """

    frame = Signal(object)
    events = Signal(list)
    status = Signal(object)
    source_changed = Signal(object)
    facility_changed = Signal(object)
    recording_started = Signal(object)
    recording_stopped = Signal(object, int, str)

    def __init__(
        self,
        facility: Facility,
        source: Source | None = None,
        *,
        physics: FramePhysics | None = None,
        recorder: Recorder | None = None,
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self.facility = facility
        self.source: Source | None = None
        self.physics = physics
        self.recorder = recorder
        self.flush_interval_s = float(flush_interval_s)
        self.last_frame: Frame | None = None
        self.frames = 0  # frames emitted
        self.recorded = 0  # frames written to the current recording
        self.skipped_records = 0  # frames not recorded: time did not move forward (a seek)
        self.record_error = ""  # why the last recording stopped on its own ("" if it did not)
        self._map: FrameMap | None = None
        #: How the session calls ``source`` (None without one).
        self.source_guard: SourceGuard | None = None
        self._problems_taken = 0
        self._last_flush = time.monotonic()
        self._unflushed = 0
        if source is not None:
            self.set_source(source, start=False)

    @classmethod
    def open(
        cls,
        layout: str | Path | Facility,
        source: str = "simulated",
        *,
        record: str | Path | None = None,
        physics: bool = False,
        **options: Any,
    ) -> Session:
        """Build a session from a layout path (or facility), a registered source name and its
        options, and optionally a recording path. ``physics``: fill in rack inlets and air-unit
        temperatures that the source does not measure from the airflow model (for live
        sources; the simulated source runs its own)."""
        from twin.model.loader import load_layout
        from twin.telemetry.registry import create

        fac = layout if isinstance(layout, Facility) else load_layout(layout)
        fill = None
        if physics:
            from twin.telemetry.physics_air import PhysicsFill

            fill = PhysicsFill(fac)
        session = cls(fac, create(source, fac, **options), physics=fill)
        if record is not None:
            session.record(record)
        return session

    # ------------------------------------------------------------------ source
    def set_source(
        self, source: Source | None, *, start: bool = True, name: str | None = None
    ) -> None:
        """Replace the source. The old one is told to stop without waiting (its thread ends
        on its own), so a source stuck on a dead server never freezes the caller. ``name``:
        what messages call it (by default its registry name). A source whose ``start``
        raises is attached in ``ERROR``, its message shown like any other status."""
        old, guard = self.source, self.source_guard
        if old is not None and old is not source and guard is not None:
            guard.stop(timeout_s=0)
        if source is None:
            self.source_guard = None
        elif source is not old or guard is None:
            self.source_guard = SourceGuard(source, self.facility, name=name)
        if self.source_guard is not guard:
            self._problems_taken = 0
        self.source = source
        self.last_frame = None
        self._remap()
        if self.source_guard is not None and start:
            self.source_guard.start()
        self.source_changed.emit(source)
        self.status.emit(self.source_status())

    def start(self) -> None:
        if self.source_guard is not None:
            self.source_guard.start()

    def stop_source(self) -> None:
        """Detach the source (not waiting for it) and finish any recording."""
        self.stop_recording()
        self.set_source(None)

    def source_status(self) -> SourceStatus | None:
        """The source's status (``ERROR`` with why, once it failed); None without one."""
        return self.source_guard.status() if self.source_guard is not None else None

    @property
    def source_failure(self) -> str:
        """Why the source was stopped (it raised, blocked, answered wrongly); '' if not."""
        return self.source_guard.failure if self.source_guard is not None else ""

    def take_source_problem(self) -> str:
        """The newest problem with the source (a failure, a frame dropped, a metric left
        out) not taken before, or ''; for a status bar, which shows each once."""
        guard = self.source_guard
        if guard is None or guard.problems == self._problems_taken:
            return ""
        self._problems_taken = guard.problems
        return guard.problem

    # ------------------------------------------------------------------ facility
    def set_facility(self, facility: Facility) -> None:
        """Show frames on a changed layout from now on; the source keeps running and its
        frames are mapped by item id. A recording stops (it holds one layout)."""
        if facility is self.facility:
            return
        if self.recorder is not None:
            self.stop_recording(reason="the layout changed; a recording holds one layout")
        self.facility = facility
        self.last_frame = None
        if self.physics is not None:
            self.physics = None  # built for the old geometry
        self._remap()
        self.facility_changed.emit(facility)

    def set_physics(self, physics: FramePhysics | None) -> None:
        """Fill frames with ``physics`` from the next one on (None: no fill). A recording whose
        file does not name what the new fill writes stops: a file names the metrics a model
        may have written when it is made, and frames filled past that would read as
        measured."""
        rec = self.recorder
        if rec is not None and physics is not None:
            if set(physics.filled_by_model) - set(rec.filled_by_model):
                self.stop_recording(
                    reason="recording stopped: the air is filled from the airflow model from "
                    "now on, which a recording names when it starts (start a new one)"
                )
        self.physics = physics

    def _remap(self) -> None:
        guard = self.source_guard
        if guard is None or guard.facility is self.facility:
            self._map = None
            return
        fmap = FrameMap.between(guard.facility, self.facility)
        self._map = None if fmap.identity else fmap

    # ------------------------------------------------------------------ recording
    def record(self, path: str | Path, *, recorder: Recorder | None = None) -> Recorder:
        """Record every frame from now on to ``path`` (history a source fetched before now
        is not part of it). RecordingError if the file cannot be made."""
        self.stop_recording()
        if self.source_guard is not None:
            self.source_guard.discard_backfill()
        if recorder is None:
            recorder = Recorder(path, self.facility, filled_by_model=self._filled_by_model())
        self.recorder = recorder
        self.recorded = 0
        self.skipped_records = 0
        self.record_error = ""
        self._unflushed = 0
        self._last_flush = time.monotonic()
        self.recording_started.emit(Path(path))
        return self.recorder

    def _filled_by_model(self) -> tuple[str, ...]:
        """The metrics this session's physics fill writes where the source measured none."""
        return () if self.physics is None else tuple(self.physics.filled_by_model)

    def stop_recording(self, reason: str = "") -> None:
        rec = self.recorder
        if rec is None:
            return
        self.recorder = None
        try:
            rec.close()
        except (RecordingError, OSError) as exc:
            reason = reason or f"closing the recording failed: {exc}"
        self.recording_stopped.emit(Path(rec.path), self.recorded, reason)

    def _record(self, frame: Frame) -> None:
        rec = self.recorder
        if rec is None:
            return
        try:
            if self.source_guard is not None:
                for gap in self.source_guard.backfill():  # checked, oldest first
                    if gap.time_s < frame.time_s:  # history never overtakes the live frame
                        self._append(rec, self._mapped(gap))
            self._append(rec, frame)
            if self._unflushed and time.monotonic() - self._last_flush >= self.flush_interval_s:
                self.flush()
        except (RecordingError, OSError) as exc:
            self._recording_failed(exc)

    def _recording_failed(self, exc: Exception) -> None:
        """Stop the recording with ``exc`` as the reason (its file's path, which the
        ``recording_stopped`` signal carries, taken off the front)."""
        self.record_error = str(exc)
        why = str(exc)
        if self.recorder is not None:
            why = why.removeprefix(f"{self.recorder.path}: ")
        self.stop_recording(reason=f"recording stopped: {why}")

    def _append(self, rec: Recorder, frame: Frame) -> None:
        last = rec.last_time_s
        if last is not None and frame.time_s <= last:
            self.skipped_records += 1
            return
        rec.append(frame)
        self.recorded += 1
        self._unflushed += 1

    def flush(self) -> None:
        """Make every recorded frame durable now."""
        if self.recorder is not None and self._unflushed:
            try:
                self.recorder.flush()
            except (RecordingError, OSError) as exc:  # a full disk: the recorder closed it
                self._recording_failed(exc)
        self._unflushed = 0
        self._last_flush = time.monotonic()

    # ------------------------------------------------------------------ frames
    def _mapped(self, frame: Frame) -> Frame:
        return self._map.apply(frame) if self._map is not None else frame

    def tick(self) -> Frame | None:
        """Pull the newest frame, map it, fill it in, record it, emit it; None if nothing
        new arrived (a slow recording is still flushed within ``flush_interval_s``)."""
        guard = self.source_guard
        frame = guard.poll() if guard is not None else None  # checked; never raises
        if self.recorder is None and guard is not None:
            guard.discard_backfill()  # gap frames are for a recording; unrecorded they pile up
        if frame is not None:
            frame = self._mapped(frame)
            if self.physics is not None:
                self.physics.update(frame)
            self._record(frame)
            self.last_frame = frame
            self.frames += 1
            self.frame.emit(frame)
            if frame.events:
                self.events.emit(list(frame.events))
        elif self._unflushed and time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()
        status = self.source_status()
        if guard is not None and guard.failure and self.recorder is not None:
            self.stop_recording(reason=f"recording stopped: {guard.failure}")
        self.status.emit(status)
        return frame

    def run_for(self, seconds: float, *, interval_s: float = 0.2, should_stop=None) -> int:
        """Tick until ``seconds`` have passed (or ``should_stop()`` is true, or the source
        failed: nothing more will come); the frames emitted. For scripts and ``twin record``:
        one loop, the same pump as the window."""
        end = time.monotonic() + seconds
        start_frames = self.frames
        while time.monotonic() < end and not (should_stop is not None and should_stop()):
            self.tick()
            if self.source_failure:
                break
            time.sleep(max(0.0, min(interval_s, end - time.monotonic())))
        return self.frames - start_frames

    # ------------------------------------------------------------------ lifetime
    def close(self, timeout_s: float = 5.0) -> None:
        """Finish the recording and stop the source (waiting at most ``timeout_s`` for it)."""
        self.stop_recording()
        if self.source_guard is not None:
            self.source_guard.stop(timeout_s=timeout_s)
        self.source = self.source_guard = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
