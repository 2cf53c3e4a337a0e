"""One background job queue for the solves the GUI asks for (the editor's re-solve after each
edit, the thermal view's overlays and replay steps, later what-if and energy optimisation).

Jobs have a key. A newer job for a key supersedes the older one: a job still waiting never
runs, and a running one is told to stop (its ``CancelToken``) and its result is dropped.
A job may wait ``delay_s`` before it runs (debounce: a burst of edits costs one solve, and each
new job of the key restarts the wait). One worker thread runs the jobs one at a time, soonest
due first; it is a daemon, so quitting never waits for a long solve.

Results come back as psygnal signals emitted on the worker thread (``finished``, ``failed``);
a Qt window relays them to its GUI thread (``twin.ui.solver_relay``). No Qt here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal


class Cancelled(Exception):
    """Raised by ``CancelToken.check`` in a job that a newer one superseded."""


class CancelToken:
    """Asked by a long job between its stages: stop when superseded."""

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def check(self) -> None:
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
        self._running: Job | None = None
        self._latest: dict[Hashable, int] = {}
        self._seq = 0
        self._closed = False
        self._thread: threading.Thread | None = None
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
    ) -> Job | None:
        """Queue ``fn`` under ``key``, superseding the key's older job (None once shut down)."""
        with self._lock:
            if self._closed:
                return None
            self._seq += 1
            due = time.monotonic() + max(float(delay_s), 0.0)
            job = Job(key, fn, self._seq, due, tag, keep_running)
            self._latest[key] = job.seq
            self._waiting[key] = job
            run = self._running
            if run is not None and run.key == key and not run.keep_running:
                run.token.cancel()
            self._start_worker()
            self._lock.notify_all()
        return job

    def cancel(self, key: Hashable | None = None) -> None:
        """Drop the waiting job of ``key`` and stop its running one (every key when None)."""
        with self._lock:
            keys = list(self._waiting) if key is None else [key]
            for k in keys:
                self._waiting.pop(k, None)
            run = self._running
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
            run = self._running
            if key is None:
                return bool(self._waiting) or run is not None
            return key in self._waiting or (run is not None and run.key == key)

    def wait(self, timeout_s: float = 60.0) -> bool:
        """Block until no job waits or runs (tests, the command line); False on timeout."""
        end = time.monotonic() + timeout_s
        with self._lock:
            while self._waiting or self._running is not None:
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
    def _start_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
            self._thread.start()

    def _next(self) -> Job | None:
        """The soonest due job, once it is due (None when shut down); holds the lock."""
        while not self._closed:
            if not self._waiting:
                self._lock.wait()
                continue
            job = min(self._waiting.values(), key=lambda j: (j.due_s, j.seq))
            left = job.due_s - time.monotonic()
            if left > 0:
                self._lock.wait(left)
                continue
            del self._waiting[job.key]
            self._running = job
            return job
        return None

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._next()
            if job is None:
                return
            self._run(job)
            with self._lock:
                self._running = None
                self._lock.notify_all()

    def _run(self, job: Job) -> None:
        self.started.emit(job)
        t0 = time.perf_counter()
        try:
            value = job.fn(job.token)
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 (reported to the caller, the worker lives on)
            outcome = Outcome(job, error=f"{type(exc).__name__}: {exc}")
        else:
            outcome = Outcome(job, value=value)
        outcome.seconds = time.perf_counter() - t0
        self.runs += 1
        if job.token.cancelled:
            return  # superseded while it ran: a newer job of the key is on its way
        (self.failed if outcome.error else self.finished).emit(outcome)
