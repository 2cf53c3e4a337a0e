"""One background job queue for the solves the GUI asks for (the editor's re-solve after each
edit, the thermal view's overlays and replay steps, later what-if and energy optimisation).

Jobs have a key. A newer job for a key supersedes the older one: a job still waiting never
runs, and a running one is told to stop (its ``CancelToken``) and its result is dropped.
A job may wait ``delay_s`` before it runs (debounce: a burst of edits costs one solve, and each
new job of the key restarts the wait). One worker thread runs the jobs one at a time, soonest
due first; it is a daemon, so quitting never waits for a long solve.

Long jobs (an N-1 sweep, a set-point search, a calibration, every hall of a factory) are
submitted ``background=True`` and run on a second worker thread, so that the re-solve after an
edit or the next replay frame does not wait behind them (it waited for the whole of a 45 s
sweep of the demo hall). While a foreground job waits or runs, a background job's
``CancelToken.check`` holds it at its next check (between its solves), so the foreground solve
has the machine; on Linux the background thread also runs at a lower priority
(``BACKGROUND_NICE``), which the worker processes it starts inherit.

Results come back as psygnal signals emitted on the worker thread (``finished``, ``failed``);
a Qt window relays them to its GUI thread (``twin.ui.solver_relay``). No Qt here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal

#: How much lower the background worker thread runs (Linux's nice values are per thread, and
#: a process spawned from the thread starts with its value; elsewhere a nice would lower the
#: whole window, so only the pauses at ``CancelToken.check`` apply).
BACKGROUND_NICE = 10
#: How often a paused background job looks again (s); a foreground job's end wakes it sooner.
PAUSE_POLL_S = 0.1
#: The longest a background job is held in one stretch (s); it then runs this long without
#: holds beside the foreground jobs (niced), so that foreground work that never stops cannot
#: starve it (a factory hall's 8 s solve took 4 % longer with a search running beside it).
MAX_HELD_S = 2.0


class Cancelled(Exception):
    """Raised by ``CancelToken.check`` in a job that a newer one superseded."""


class CancelToken:
    """Asked by a long job between its stages: stop when superseded (and, for a background
    job, wait there while a foreground job has the solver: ``wait_turn``)."""

    def __init__(self, wait_turn: Callable[[CancelToken], None] | None = None) -> None:
        self._event = threading.Event()
        self._wait_turn = wait_turn
        #: seconds it was held at its checks for a foreground job
        self.held_s = 0.0
        #: held ``MAX_HELD_S`` in a row, it runs unheld until then (perf_counter s)
        self.unheld_until = 0.0

    def working_s(self) -> float:
        """A clock that stands still while the job is held: a time budget counts its work."""
        return time.perf_counter() - self.held_s

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled
        if self._wait_turn is not None:
            self._wait_turn(self)
            if self._event.is_set():
                raise Cancelled


@dataclass(eq=False)
class Job:
    """One queued job: ``fn(token)`` runs on the worker thread; ``tag`` is the caller's."""

    key: Hashable
    fn: Callable[[CancelToken], Any]
    seq: int
    due_s: float
    tag: Any = None
    #: a newer job of the key leaves this one running and its result delivered (replay
    #: frames: each step is worth drawing, and dropping them all would starve the view)
    keep_running: bool = False
    token: CancelToken = field(default_factory=CancelToken)
    #: runs on the background thread and gives way to foreground jobs at its checks
    background: bool = False


@dataclass(eq=False)
class Outcome:
    """What a job gave: ``value`` or ``error`` (a one-line message), and how long it ran."""

    job: Job
    value: Any = None
    error: str = ""
    seconds: float = 0.0

    @property
    def key(self) -> Hashable:
        return self.job.key

    @property
    def tag(self) -> Any:
        return self.job.tag


class SolverService:
    """Debounced, cancellable background jobs (see the module docstring)."""

    started = Signal(object)  # Job, on the worker thread as it starts
    finished = Signal(object)  # Outcome with a value
    failed = Signal(object)  # Outcome with an error

    def __init__(self, name: str = "twin-solver") -> None:
        self.name = name
        self._lock = threading.Condition()
        self._waiting: dict[Hashable, Job] = {}
        #: the job each lane runs (False: foreground, True: background)
        self._running: dict[bool, Job | None] = {False: None, True: None}
        self._latest: dict[Hashable, int] = {}
        self._seq = 0
        self._closed = False
        self._threads: dict[bool, threading.Thread] = {}
        #: jobs run to the end (counted on the worker: superseded waiting jobs never count)
        self.runs = 0

    # ------------------------------------------------------------------ asking
    def submit(
        self,
        key: Hashable,
        fn: Callable[[CancelToken], Any],
        *,
        delay_s: float = 0.0,
        tag: Any = None,
        keep_running: bool = False,
        background: bool = False,
    ) -> Job | None:
        """Queue ``fn`` under ``key``, superseding the key's older job (None once shut down);
        ``background``: a long job that gives way to the others (the module docstring)."""
        with self._lock:
            if self._closed:
                return None
            self._seq += 1
            due = time.monotonic() + max(float(delay_s), 0.0)
            token = CancelToken(self._wait_turn if background else None)
            job = Job(key, fn, self._seq, due, tag, keep_running, token, background)
            self._latest[key] = job.seq
            self._waiting[key] = job
            for run in self._running.values():
                if run is not None and run.key == key and not run.keep_running:
                    run.token.cancel()
            self._start_worker(background)
            self._lock.notify_all()
        return job

    def cancel(self, key: Hashable | None = None) -> None:
        """Drop the waiting job of ``key`` and stop its running one (every key when None)."""
        with self._lock:
            keys = list(self._waiting) if key is None else [key]
            for k in keys:
                self._waiting.pop(k, None)
            for run in self._running.values():
                if run is not None and (key is None or run.key == key):
                    run.token.cancel()
            for k in keys if key is not None else list(self._latest):
                self._latest[k] = -1  # anything submitted so far is stale
            self._lock.notify_all()

    def is_current(self, job: Job) -> bool:
        """True while no newer job of the same key was submitted (nor the key cancelled)."""
        with self._lock:
            return self._latest.get(job.key) == job.seq

    def busy(self, key: Hashable | None = None) -> bool:
        """Whether a job (of ``key``) waits or runs."""
        with self._lock:
            running = [j for j in self._running.values() if j is not None]
            if key is None:
                return bool(self._waiting) or bool(running)
            return key in self._waiting or any(j.key == key for j in running)

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Block until no job waits or runs (tests, the command line); False on timeout."""
        end = time.monotonic() + timeout_s
        with self._lock:
            while self._waiting or any(j is not None for j in self._running.values()):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.05))
        return True

    def shutdown(self) -> None:
        """Drop every waiting job and stop the running one; later submits are ignored."""
        with self._lock:
            self._closed = True
        self.cancel()

    # ------------------------------------------------------------------ worker
    def _start_worker(self, background: bool) -> None:
        thread = self._threads.get(background)
        if thread is None or not thread.is_alive():
            name = f"{self.name}-background" if background else self.name
            thread = threading.Thread(target=self._work, args=(background,), name=name, daemon=True)
            self._threads[background] = thread
            thread.start()

    def _foreground_due(self) -> bool:
        """A foreground job runs, or waits and is due (holds the lock)."""
        if self._running[False] is not None:
            return True
        now = time.monotonic()
        return any(not j.background and j.due_s <= now for j in self._waiting.values())

    def _wait_turn(self, token: CancelToken) -> None:
        """A background job's check: wait while a foreground job has the solver, at most
        ``MAX_HELD_S`` in a row, after which the job has a turn of as long."""
        with self._lock:
            t0 = time.perf_counter()
            if t0 < token.unheld_until:
                return
            held = False
            while not token.cancelled and not self._closed and self._foreground_due():
                held = True
                if time.perf_counter() - t0 >= MAX_HELD_S:
                    token.unheld_until = time.perf_counter() + MAX_HELD_S
                    break
                self._lock.wait(PAUSE_POLL_S)
            if held:
                token.held_s += time.perf_counter() - t0

    def _next(self, background: bool) -> Job | None:
        """The lane's soonest due job, once it is due (None when shut down); holds the lock."""
        while not self._closed:
            mine = [j for j in self._waiting.values() if j.background == background]
            if not mine:
                self._lock.wait()
                continue
            job = min(mine, key=lambda j: (j.due_s, j.seq))
            left = job.due_s - time.monotonic()
            if left > 0:
                self._lock.wait(left)
                continue
            del self._waiting[job.key]
            self._running[background] = job
            if not background:
                self._lock.notify_all()  # a background job waiting for its turn looks again
            return job
        return None

    def _work(self, background: bool) -> None:
        if background:
            lower_thread_priority(BACKGROUND_NICE)
        while True:
            with self._lock:
                job = self._next(background)
            if job is None:
                return
            self._run(job)
            with self._lock:
                self._running[background] = None
                self._lock.notify_all()

    def _run(self, job: Job) -> None:
        self.started.emit(job)
        t0 = time.perf_counter()
        try:
            value = job.fn(job.token)
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 (reported to the caller, the worker lives on)
            outcome = Outcome(job, error=error_text(exc))
        else:
            outcome = Outcome(job, value=value)
        outcome.seconds = time.perf_counter() - t0
        self.runs += 1
        if job.token.cancelled:
            return  # superseded while it ran: a newer job of the key is on its way
        (self.failed if outcome.error else self.finished).emit(outcome)


def lower_thread_priority(by: int) -> bool:
    """Nice the calling thread by ``by`` where that touches only the thread (Linux); True if
    it did. Elsewhere ``os.nice`` would lower the whole process, the window included."""
    if not sys.platform.startswith("linux") or by <= 0:
        return False
    try:
        os.nice(by)
    except OSError:
        return False
    return True


def error_text(exc: Exception) -> str:
    """A failed job's error as a user reads it: a hall the physics cannot solve
    (``ThermalError``: no air supply, no possible figures) in its own words, which name the
    hall and why; anything else with its type, which is then a fault to report."""
    from twin.physics.heat import ThermalError

    return str(exc) if isinstance(exc, ThermalError) else f"{type(exc).__name__}: {exc}"
