"""Jobs for ``test_worker_pool.py``: importable by name in the spawned workers (the tests put
this folder on ``sys.path``, which spawn hands on)."""

from __future__ import annotations

import os
import time
from pathlib import Path

_LOADED: str | None = None


def load(word: str) -> None:
    """An initializer: what every job of the worker can then see."""
    global _LOADED
    _LOADED = word


def refuse_to_load(path: str) -> None:
    raise FileNotFoundError(f"{path}: no such layout")


def square(x: int) -> tuple[int, int, str | None]:
    return x * x, os.getpid(), _LOADED


def fail(x: int) -> None:
    raise ValueError(f"case {x} has no answer")


def die(sig: int, then_s: float = 30.0) -> None:
    """Sends itself ``sig``; sleeps ``then_s`` where that did not end it."""
    os.kill(os.getpid(), sig)
    time.sleep(then_s)


def die_once(marker: str, sig: int) -> str:
    """Killed the first time it runs, answers the second (a job that ran short of memory
    only beside the others)."""
    path = Path(marker)
    if not path.exists():
        path.write_text("ran")
        die(sig)
    return "answered"


def span(sleep_s: float) -> tuple[int, float, float]:
    """When it ran, on a clock every process shares."""
    t0 = time.monotonic()
    time.sleep(sleep_s)
    return os.getpid(), t0, time.monotonic()


def unpicklable(x: int):
    return lambda: x


def span_then_die_once(marker: str, sleep_s: float) -> tuple[int, float, float]:
    """Killed after ``sleep_s`` the first time (beside the others), answers the second."""
    if not Path(marker).exists():
        time.sleep(sleep_s)
    die_once(marker, 9)
    return span(0.0)


def call(kind: str, args: tuple):
    """Any job above by name: one pool runs jobs of several kinds."""
    return globals()[kind](*args)


def brief_or_die(facility, res) -> dict:
    """A hall summary (``factory.solve_halls``'s ``summarise``) whose worker the system kills
    on the factory's air hall, every time: a hall too large for the memory left."""
    from twin.physics.factory import hall_brief

    if facility.hall_ids[res.grid.hall].startswith("AH"):
        die(9)
    return hall_brief(facility, res)


def case_or_die(text: str, path: str | None, fail: tuple[str, ...], options: dict) -> dict:
    """A sweep case (``whatif.sweep.run_case``) whose worker crashes on the first CRAH."""
    from twin.whatif.sweep import run_case

    if fail == ("CRAH-1",):
        die(11)
    return run_case(text, path, fail, options)


def _linger(seconds: float) -> None:
    """A thread that keeps its process from ending for ``seconds`` (not a daemon)."""
    import threading

    threading.Thread(target=time.sleep, args=(seconds,), daemon=False).start()


def linger(seconds: float) -> int:
    """A job that leaves a thread behind: its worker cannot end until the thread does."""
    _linger(seconds)
    return os.getpid()


def refuse_and_linger(seconds: float) -> None:
    """An initializer that fails after leaving a thread behind."""
    _linger(seconds)
    raise RuntimeError("the layout could not be read")
