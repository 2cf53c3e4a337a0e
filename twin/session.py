"""A headless session: one facility, one telemetry source, an optional physics model and an
optional recorder, advanced by ``tick()``. The window drives it from a timer; scripts and
tests drive it directly. No Qt, no VTK.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from twin.model.facility import Facility
from twin.recording import Recorder
from twin.telemetry.frame import Frame
from twin.telemetry.source import Source, SourceStatus


class FramePhysics(Protocol):
    """What the session needs of a physics model: fill in what sensors do not measure
    (air temperatures, rack inlets, GPU temperatures) in a frame, in place."""

    def update(self, frame: Frame) -> None: ...


class Session:
    """Ties a facility, a source, the physics and a recorder together.

    ``tick()`` takes the newest frame from the source (never waiting), lets the physics fill
    it in, records it, and returns it; None when the source has nothing new.
    """

    def __init__(
        self,
        facility: Facility,
        source: Source | None = None,
        *,
        physics: FramePhysics | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.facility = facility
        self.source = source
        self.physics = physics
        self.recorder = recorder
        self.frame: Frame | None = None  # the newest frame
        self.frames = 0
        self.skipped_records = 0  # frames not recorded because time went backwards (a seek)

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
        src = create(source, fac, **options)
        rec = Recorder(record, fac) if record is not None else None
        return cls(fac, src, physics=fill, recorder=rec)

    # ------------------------------------------------------------------ lifetime
    def start(self) -> None:
        if self.source is not None:
            self.source.start()

    def set_source(self, source: Source | None) -> None:
        """Replace the source (the old one is stopped)."""
        if self.source is not None:
            self.source.stop()
        self.source = source

    def record(self, path: str | Path) -> Recorder:
        """Start recording every frame from now on to ``path``."""
        self.stop_recording()
        self.recorder = Recorder(path, self.facility)
        return self.recorder

    def stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None

    def close(self) -> None:
        """Stop the source and finish the recording."""
        if self.source is not None:
            self.source.stop()
        self.stop_recording()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ frames
    def tick(self) -> Frame | None:
        """Pull the newest frame, fill it in, record it; None if nothing new arrived."""
        if self.source is None:
            return None
        frame = self.source.poll()
        if frame is None:
            return None
        if self.physics is not None:
            self.physics.update(frame)
        rec = self.recorder
        if rec is not None:
            last = rec.last_time_s
            if last is not None and frame.time_s <= last:
                self.skipped_records += 1
            else:
                rec.append(frame)
        self.frame = frame
        self.frames += 1
        return frame

    def status(self) -> SourceStatus | None:
        return self.source.status() if self.source is not None else None
