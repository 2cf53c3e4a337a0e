"""Calls into a source plugin on a thread of its own, waited for a bounded time.

The session calls a source on the window's thread; a plugin whose ``poll()`` never returns (a
socket read without a timeout, a lock it never gets) froze the window for good, where one that
is merely slow was only caught after it returned. A ``PluginCaller`` runs each call on one
daemon thread kept for the source, so the calls keep their order and a plugin never sees two
at once, and gives up waiting after ``timeout_s``: the caller carries on (the session puts the
source in ``ERROR``) and the stuck call is left to end, or not, on its own thread. The thread is
a daemon, so a call that never returns does not keep Twin from exiting either.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class CallResult:
    """How one call went: it returned ``value``, raised ``error``, or had not ended when the
    wait ran out (``done`` False; then neither is set)."""

    done: bool
    value: Any = None
    error: Exception | None = None


class PluginCaller:
    """One thread that runs a source plugin's calls in turn (made on the first call)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        #: a call that has not returned: nothing more is sent after it (it would queue behind)
        self.stuck = False
        self.closed = False

    def call(self, fn: Callable[[], Any], timeout_s: float) -> CallResult:
        """Run ``fn()`` on the plugin's thread and wait at most ``timeout_s`` for it. After a
        call that did not end in time, or after ``close``, a call is not run and reads as
        not done."""
        if self.stuck or self.closed:
            return CallResult(False)
        out: dict[str, Any] = {}
        ended = threading.Event()

        def job() -> None:
            try:
                out["value"] = fn()
            except Exception as exc:  # noqa: BLE001 - handed back to the caller
                out["error"] = exc
            finally:
                ended.set()

        self._ensure_thread()
        self._jobs.put(job)
        if not ended.wait(timeout_s):
            self.stuck = True
            return CallResult(False)
        return CallResult(True, out.get("value"), out.get("error"))

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"source plugin {self.name}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """No more calls; the thread ends once those sent before have (at once when idle)."""
        self.closed = True
        if self._thread is not None:
            self._jobs.put(None)

    def _run(self) -> None:
        jobs = self._jobs
        while (job := jobs.get()) is not None:
            job()
