"""The window's live physics fill: ``PhysicsFill`` with its first solve on a thread of its own.

Why: the fill's first frame builds each hall's model and solves its steady state (seconds: the
demo hall 5 s, the factory's air-cooled hall 14 s), and the window's session pumps frames on
the thread that draws. Here that first solve runs on a background thread (niced, as the solver
service's background jobs are) from a copy of the first frame; frames pass through unfilled
meanwhile, as they would without the fill, and from the frame after it finished each frame is
stepped from the solved state on the caller's thread, as ``PhysicsFill`` does (tens of
milliseconds a frame). What it solved, what it leaves and when it is ready are said in note
events, as ``twin record --physics`` says them on its terminal. No Qt.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from enum import StrEnum

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import METRICS, Event, EventKind, Frame
from twin.physics.cells import DEFAULT_CELL_M
from twin.telemetry.physics_air import PhysicsFill, filled_metrics

#: How much lower the first solve's thread runs (the solver service's background value).
FILL_NICE = 10
#: One first solve at a time: a burst of edits while live data runs makes a fill per layout,
#: and each would otherwise solve beside the others; one that waits here and is closed (its
#: layout replaced) meanwhile never solves.
_ONE_AT_A_TIME = threading.Lock()


class FillState(StrEnum):
    WAITING = "waiting"  # no frame yet
    SOLVING = "solving"  # the first solve runs
    FILLING = "filling"  # frames are filled
    FAILED = "failed"  # the first solve raised: frames pass through unfilled


def copy_frame(frame: Frame) -> Frame:
    """A frame of its own arrays (no events): what the first solve reads while the session
    records and shows the original."""
    groups = {
        kind: {name: np.array(values) for name, values in frame.group(kind).items()}
        for kind in METRICS
    }
    return Frame(time_s=frame.time_s, **groups)


class BackgroundPhysicsFill:
    """A ``FramePhysics`` for the window: ``PhysicsFill`` whose first frame is solved on a
    background thread. ``state`` and ``message`` say where it stands (for a status bar)."""

    #: the metrics it may write, as a recording names them
    filled_by_model: tuple[str, ...] = filled_metrics()

    def __init__(
        self, facility: Facility, cell_m: float = DEFAULT_CELL_M, *, nice: int = FILL_NICE
    ) -> None:
        self.facility = facility
        self.cell_m = cell_m
        self.nice = nice
        self.state = FillState.WAITING
        self.message = "the air is filled from the airflow model from the first frame"
        self._fill: PhysicsFill | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._closed = threading.Event()
        self._notes: list[Event] = []  # said with the next frame the session pumps

    def update(self, frame: Frame) -> None:
        """Fill ``frame`` once the first solve is done; start that solve on the first frame."""
        if self._closed.is_set():
            return
        if self._thread is None:
            self._start(frame)
        elif self._done.is_set() and self.state is FillState.SOLVING:
            self._finish(frame.time_s)
        if self._fill is not None:  # set when the first solve is taken, never before
            self._fill.update(frame)
        frame.events.extend(self._notes)
        self._notes.clear()

    @property
    def filled(self) -> dict[str, np.ndarray]:
        """``kind/metric`` -> the items of the last frame filled from the model (``PhysicsFill
        .filled``); empty until it fills."""
        return self._fill.filled if self._fill is not None else {}

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the first solve (tests, scripts); True once it has ended."""
        return self._done.wait(timeout_s)

    def _start(self, frame: Frame) -> None:
        self.state = FillState.SOLVING
        self.message = "solving the hall air from the airflow model (filled once solved)"
        self._notes.append(self._note(frame.time_s, self.message, 0))
        self._thread = threading.Thread(
            target=self._solve, args=(copy_frame(frame),), name="twin-physics-fill", daemon=True
        )
        self._thread.start()

    def _solve(self, first: Frame) -> None:
        """The thread: each hall's model built and solved at the first frame's load. It only
        touches its own objects until ``_done`` is set; ``update`` takes them after."""
        from twin.physics.solver_service import error_text, lower_thread_priority

        lower_thread_priority(self.nice)
        with _ONE_AT_A_TIME:
            t0 = time.perf_counter()
            try:
                fill = None if self._closed.is_set() else PhysicsFill(self.facility, self.cell_m)
                if fill is not None and not self._closed.is_set():
                    fill.update(first)  # its first frame: the halls' steady states at this load
                self._result = (fill, list(first.events), time.perf_counter() - t0, "")
            except Exception as exc:  # a fault, said in the frames and the status; never raised
                self._result = (None, [], time.perf_counter() - t0, error_text(exc))
            self._done.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def close(self) -> None:
        """No longer wanted (its layout or source replaced): a first solve not begun never
        runs, one building its models stops before it solves."""
        self._closed.set()

    def _finish(self, t: float) -> None:
        """Take the first solve's result on the session's thread; its notes are said at
        ``t``, the frame they come with."""
        fill, events, seconds, error = self._result
        if fill is None:
            self.state = FillState.FAILED
            self.message = f"the airflow model failed, the air is not filled: {error}"
            self._notes.append(self._note(t, self.message, 1))
            return
        self._fill, self.state = fill, FillState.FILLING
        self.message = fill.summary(seconds)
        self._notes.append(self._note(t, self.message, 0))
        # the halls it does not fill, said with this frame
        self._notes.extend(dataclasses.replace(e, time_s=t) for e in events)

    @staticmethod
    def _note(time_s: float, message: str, severity: int) -> Event:
        return Event(time_s, EventKind.NOTE, "physics", message, severity)
