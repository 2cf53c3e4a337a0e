"""Independent jobs in spawned worker processes, each worker's death pinned on its job.

``concurrent.futures.ProcessPoolExecutor`` breaks whole when one worker dies (the system's
out-of-memory killer, a crash in compiled code): every job not yet finished fails with
``BrokenProcessPool``, nobody learns which job it was, and leaving the pool waits for the jobs
still running. Here each worker holds one job at a time, so a death fails that job alone and a
fresh worker takes the next. A job whose worker was killed by SIGKILL (what the out-of-memory
killer sends) runs once more, alone, after the others: it may have needed only the memory the
other workers held. A cancel, or a caller that stops reading, kills the workers at once.

Workers are started with multiprocessing's "spawn" context: fresh interpreters (the physics'
compiled kernels and BLAS threads are not fork-safe), and the frozen bundle runs them
(``packaging/twin_main.py`` calls ``freeze_support``).
"""

from __future__ import annotations

import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from twin.child_exit import exit_text

#: how often a wait for results looks at ``cancelled`` (s)
POLL_S = 0.2
#: how long a worker told to stop may take before it is killed (s)
STOP_WAIT_S = 1.0


@dataclass
class JobDone:
    """A finished job: ``fn``'s value, or why it has none."""

    #: the job's index in the ``jobs`` given to ``run_jobs``
    index: int
    value: Any = None
    error: str | None = None
    #: its worker was killed while it ran with others, and it ran again alone
    retried: bool = False


def death_text(code: int | None) -> str:
    """Why a worker's job has no answer, from the worker's exit code."""
    text = f"the worker process running it ended ({exit_text(code)})"
    if code == -signal.SIGKILL:
        text += ", as the system ends a process when memory runs out"
    return text


#: a job's error when its worker was killed as the out-of-memory killer does
KILLED_TEXT = death_text(-signal.SIGKILL)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    #: the job it holds (None: idle) and whether it runs alone
    job: int | None = None
    alone: bool = False
    #: it said that it began (its interpreter started and reached ``_serve``)
    began: bool = False
    #: its initializer failed
    failed: bool = False


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple],
    workers: int,
    *,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[JobDone]:
    """``fn(*job)`` for each job in up to ``workers`` processes, each ``initializer(*initargs)``
    first; yields each job as it finishes (in no set order). ``fn``, the jobs and the values
    must pickle. An exception in ``fn`` is that job's error; one in ``initializer`` is every
    job's still to run. Stops (killing the workers) when ``cancelled()`` turns true, within
    ``POLL_S``, or when the caller closes the iterator."""
    pool = _Pool(fn, initializer, initargs)
    todo: deque[tuple[int, bool]] = deque((k, False) for k in range(len(jobs)))
    retried: set[int] = set()
    try:
        while todo or pool.busy():
            pool.dispatch(todo, jobs, max(1, workers))
            for done, crowded in pool.collect():
                if done.error == KILLED_TEXT and crowded and done.index not in retried:
                    retried.add(done.index)  # once more, alone, after the others
                    todo.append((done.index, True))
                    continue
                done.retried = done.index in retried
                yield done
            if cancelled is not None and cancelled():
                return
            while pool.broken and todo:  # the initializer failed: no worker can run the rest
                yield JobDone(todo.popleft()[0], error=pool.broken)
    finally:
        pool.close()


class _Pool:
    """The workers of one ``run_jobs`` call."""

    def __init__(self, fn, initializer, initargs) -> None:
        self._ctx = get_context("spawn")
        self._args = (fn, initializer, initargs)
        self.workers: list[_Worker] = []
        #: the initializer's failure, once a worker reported it
        self.broken: str | None = None

    def busy(self) -> bool:
        return any(w.job is not None for w in self.workers)

    def dispatch(self, todo: deque, jobs: Sequence[tuple], limit: int) -> None:
        """Hand queued jobs to idle workers (starting workers up to ``limit``); a job to run
        alone waits for every other to finish, and holds the pool while it runs."""
        while todo and not self.broken and not any(w.alone for w in self.workers):
            index, alone = todo[0]
            if alone and self.busy():
                return
            if alone:  # idle workers hold memory too (the layout, cached solves)
                self._stop_idle()
            worker = next((w for w in self.workers if w.job is None), None)
            if worker is None:
                if len(self.workers) >= limit:
                    return
                worker = self._start()
            try:
                worker.conn.send((index, jobs[index]))
            except OSError:  # it died idle (or before it began): the job stays queued
                self._reap(worker)
                continue
            todo.popleft()
            worker.job, worker.alone = index, alone

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_serve, args=(child, *self._args), name="twin-worker", daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def collect(self) -> list[tuple[JobDone, bool]]:
        """The jobs that finished or lost their worker, waiting up to ``POLL_S`` for one; each
        with whether other workers were alive beside its own when it ended."""
        busy = [w for w in self.workers if w.job is not None]
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], POLL_S))
        out = []
        for w in busy:
            if w.conn in ready or w.process.sentinel in ready:
                crowded = len(self.workers) > 1
                done = self._read(w)
                if done is not None:
                    out.append((done, crowded))
        return out

    def _read(self, w: _Worker) -> JobDone | None:
        """What ``w`` said (None while it has only said that it began), or how it ended."""
        try:
            while w.conn.poll():
                kind, index, value, error = w.conn.recv()
                if kind == "began":
                    w.began = True
                elif kind == "done":
                    w.job, w.alone = None, False
                    return JobDone(index, value, error)
                else:  # its initializer failed: it is ending
                    w.failed, self.broken = True, error
                    break
        except (EOFError, OSError):
            pass
        if w.process.is_alive() and not w.failed:  # it only said that it began
            return None
        self._reap(w)
        if not w.began or w.failed:
            return JobDone(w.job, error=self.broken)
        return JobDone(w.job, error=death_text(w.process.exitcode))

    def _reap(self, w: _Worker) -> None:
        """Take a dead worker out of the pool; one that died before it began breaks it: no
        worker will do better (a broken installation, or a script without a main guard:
        spawn re-runs it in the worker)."""
        try:
            while w.conn.poll():  # what it said before it died
                kind, _, _, error = w.conn.recv()
                w.began = True
                if kind == "failed":
                    self.broken = error
        except (EOFError, OSError):
            pass
        self._end(w)
        if not w.began and not self.broken:
            self.broken = (
                f"the worker process ended before it began ({exit_text(w.process.exitcode)}); "
                "a script that runs Twin's workers needs its top level under "
                '`if __name__ == "__main__":`'
            )

    def _end(self, w: _Worker) -> None:
        w.process.join(STOP_WAIT_S)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        self._drop(w)

    def _drop(self, w: _Worker) -> None:
        w.conn.close()
        self.workers.remove(w)

    def _stop_idle(self) -> None:
        idle = [w for w in self.workers if w.job is None]
        self._stop(idle)
        for w in idle:
            self.workers.remove(w)

    def close(self) -> None:
        """Stop every worker: idle ones are told to, busy ones killed."""
        self._stop(self.workers)
        self.workers.clear()

    def _stop(self, workers: list[_Worker]) -> None:
        for w in workers:
            try:
                if w.job is None:
                    w.conn.send(None)
                else:
                    w.process.kill()
            except (OSError, ValueError):
                w.process.kill()
        deadline = time.monotonic() + STOP_WAIT_S
        for w in workers:
            w.process.join(max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()


def _serve(conn: Connection, fn, initializer, initargs) -> None:
    """A worker: ``initializer`` once, then jobs until told to stop (None) or the pipe goes
    (a parent gone ends it quietly). Ctrl-C in a terminal reaches the whole process group: the
    parent answers it (and stops the workers), so a worker ignores it rather than print a
    traceback mid-job."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send(("began", None, None, None))
        try:
            if initializer is not None:
                initializer(*initargs)
        except Exception as exc:  # noqa: BLE001 (reported to the parent, which stops the pool)
            conn.send(("failed", None, None, f"{type(exc).__name__}: {exc}"))
            return
        while (msg := conn.recv()) is not None:
            index, args = msg
            try:
                conn.send(("done", index, fn(*args), None))
            except Exception as exc:  # noqa: BLE001 (the job's error; the worker serves on)
                conn.send(("done", index, None, f"{type(exc).__name__}: {exc}"))
    except (EOFError, OSError):  # the parent is gone: nobody to answer
        return
