"""The replay source: plays a recording with play, pause, step, speed (x0.1 to x100) and
seek. Reading happens on the source's thread; each tick reads only the one frame due at the
replay clock (a seek is a binary search on the time axis, never a scan), and carries the
events of any frames it skipped so none is lost at high speed. A recording that is still
growing is followed: at its end the source waits for new frames.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from twin.model.facility import Facility
from twin.model.frame import Frame
from twin.recording import Recording, open_recording
from twin.telemetry.source import SourceState, SourceStatus, ThreadedSource

MIN_SPEED = 0.1
MAX_SPEED = 100.0
#: Seconds between refreshes of a recording at its end (to follow one that grows).
FOLLOW_INTERVAL_S = 0.5


class ReplaySource(ThreadedSource):
    """Frames from a recording, on a replay clock the user controls.

    ``ReplaySource(facility, path)`` checks that the recording was made for ``facility``
    (``LayoutMismatch`` otherwise). ``ReplaySource.open(path)`` uses the recording's own
    embedded layout.
    """

    name = "replay"

    def __init__(
        self,
        facility: Facility,
        path: str | Path | None = None,
        *,
        recording: Recording | None = None,
        speed: float = 1.0,
        autoplay: bool = True,
        loop: bool = False,
        start_at_s: float | None = None,
        tick_s: float = 0.02,
    ) -> None:
        super().__init__(facility)
        if recording is None:
            if path is None:
                raise ValueError("ReplaySource needs a recording path")
            recording = open_recording(path)
        self._own_recording = path is not None
        try:
            recording.check_layout(facility)
        except Exception:
            if self._own_recording:
                recording.close()
            raise
        self.recording = recording
        self.loop = loop
        self.tick_s = tick_s
        self._cv = threading.Condition()
        self._speed = _clamp_speed(speed)
        self._playing = autoplay
        t0 = recording.start_s if start_at_s is None else start_at_s
        self._anchor_t = t0  # replay time at the anchor
        self._anchor_wall = time.monotonic()
        self._jump: tuple[str, float] | None = None
        self._shown_index = -1
        self._at_end = False

    @classmethod
    def open(cls, path: str | Path, **options) -> ReplaySource:
        """A replay of ``path`` with the layout embedded in it."""
        rec = open_recording(path)
        try:
            fac = rec.facility()
        except Exception:
            rec.close()
            raise
        src = cls(fac, recording=rec, **options)
        src._own_recording = True
        return src

    # ------------------------------------------------------------------ controls
    @property
    def speed(self) -> float:
        return self._speed

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def position_s(self) -> float:
        """The replay clock: the recording time being shown (seconds since the epoch)."""
        with self._cv:
            return self._clock()

    @property
    def start_s(self) -> float:
        return self.recording.start_s

    @property
    def end_s(self) -> float:
        return self.recording.end_s

    def play(self) -> None:
        """Play from the current position; at the end of the recording, from the start."""
        with self._cv:
            if self._at_end:
                self._jump = ("seek", self.recording.start_s)
                self._anchor_t, self._anchor_wall = self.recording.start_s, time.monotonic()
                self._at_end = False
            elif not self._playing:
                self._anchor_t, self._anchor_wall = self._clock(), time.monotonic()
            self._playing = True
            self._cv.notify()

    def pause(self) -> None:
        with self._cv:
            if self._playing:
                self._anchor_t, self._anchor_wall = self._clock(), time.monotonic()
                self._playing = False
            self._cv.notify()

    def toggle(self) -> None:
        (self.pause if self._playing else self.play)()

    def set_speed(self, speed: float) -> float:
        """Set the replay speed, clamped to x0.1..x100; returns the speed in effect."""
        with self._cv:
            self._anchor_t, self._anchor_wall = self._clock(), time.monotonic()
            self._speed = _clamp_speed(speed)
            self._cv.notify()
            return self._speed

    def seek(self, t_s: float) -> None:
        """Show the frame in effect at ``t_s`` (clamped to the recording's span)."""
        with self._cv:
            t = min(max(t_s, self.recording.start_s), self.recording.end_s)
            self._anchor_t, self._anchor_wall = t, time.monotonic()
            self._jump = ("seek", t)
            self._at_end = False
            self._cv.notify()

    def step(self, frames: int = 1) -> None:
        """Pause and move ``frames`` samples forward (negative: back)."""
        with self._cv:
            self._playing = False
            self._jump = ("step", float(frames))
            self._cv.notify()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._cv:
            self._stopping.set()
            self._cv.notify()
        # a local file read never hangs: wait for the reader so the file closes after it
        super().stop(max(timeout_s, 2.0))
        if self._own_recording:
            self.recording.close()

    def status(self) -> SourceStatus:
        st = super().status()
        with self._cv:
            pos = self._clock()
        return SourceStatus(
            state=st.state,
            age_s=0.0 if st.time_s is not None else None,
            time_s=st.time_s,
            frames=st.frames,
            dropped=st.dropped,
            errors=st.errors,
            message=st.message or f"x{self._speed:g} at {pos - self.recording.start_s:.0f} s",
        )

    # ------------------------------------------------------------------ thread
    def _clock(self) -> float:
        if not self._playing:
            return self._anchor_t
        return self._anchor_t + (time.monotonic() - self._anchor_wall) * self._speed

    def _run(self) -> None:
        rec = self.recording
        next_refresh = 0.0
        while not self._stopping.is_set():
            with self._cv:
                jump, self._jump = self._jump, None
                if jump is not None and jump[0] == "step":
                    base = max(self._shown_index, 0)
                    target = min(max(base + int(jump[1]), 0), rec.n_frames - 1)
                    self._anchor_t, self._anchor_wall = float(rec.times[target]), time.monotonic()
                    mode = "step"
                elif jump is not None:
                    target, mode = rec.index_at(jump[1]), "seek"
                else:
                    target, mode = rec.index_at(self._clock()), "play"
                playing, clock = self._playing, self._clock()
            if mode != "play" or target != self._shown_index:
                self._show(target, mode)
            if playing and clock >= rec.end_s:
                now = time.monotonic()
                if now >= next_refresh:
                    next_refresh = now + FOLLOW_INTERVAL_S
                    if rec.refresh() == 0:
                        self._end_reached()
                    else:  # the recording grew: play on into the new frames
                        with self._cv:
                            self._at_end = False
            elif self._at_end:
                self._set_state(SourceState.ENDED, "end of recording")
            else:
                self._set_state(SourceState.PLAYING if playing else SourceState.PAUSED, "")
            with self._cv:
                if self._stopping.is_set():
                    return
                self._cv.wait(self.tick_s)

    def _end_reached(self) -> None:
        """The replay clock passed the last frame and the file did not grow. Hold the clock
        at the end (state ``ended``) and keep watching: frames a writer adds later play on."""
        rec = self.recording
        with self._cv:
            if self.loop:
                self._anchor_t, self._anchor_wall = rec.start_s, time.monotonic()
                self._jump = ("seek", rec.start_s)
                return
            self._at_end = True
            self._anchor_t, self._anchor_wall = rec.end_s, time.monotonic()
        self._set_state(SourceState.ENDED, "end of recording")

    def _show(self, index: int, mode: str) -> None:
        rec = self.recording
        frame: Frame = rec.frame(index)
        shown = self._shown_index
        if mode in ("play", "step") and 0 <= shown < index:
            # events of every frame since the one shown last, skipped ones included
            frame.events = rec.events_between(float(rec.times[shown]), frame.time_s)
        elif not (mode == "play" and shown < 0):
            frame.events = []  # a jump, or a step back: nothing "happened"
        self._shown_index = index
        self._publish(frame)


def _clamp_speed(speed: float) -> float:
    return float(min(max(speed, MIN_SPEED), MAX_SPEED))
