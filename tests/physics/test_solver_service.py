"""The solver service: debounced jobs, a newer job of a key supersedes the older one (waiting:
never runs; running: told to stop, its result dropped), results on the worker thread."""

from __future__ import annotations

import threading
import time

import pytest

from twin.physics.solver_service import Cancelled, SolverService


@pytest.fixture
def service():
    s = SolverService("test-solver")
    got: list = []
    s.finished.connect(lambda o: got.append(("ok", o.key, o.value, threading.current_thread())))
    s.failed.connect(lambda o: got.append(("error", o.key, o.error, threading.current_thread())))
    s.got = got
    yield s
    s.shutdown()


def test_a_burst_of_requests_runs_once_with_the_newest(service):
    ran = []
    for i in range(5):
        service.submit("edit", lambda _t, i=i: ran.append(i) or i * 10, delay_s=0.15)
    assert service.busy("edit") and service.busy()
    assert service.wait(10)
    assert ran == [4] and service.runs == 1
    ((kind, key, value, thread),) = service.got
    assert (kind, key, value) == ("ok", "edit", 40)
    assert thread is not threading.current_thread() and thread.daemon  # on the worker


def test_a_running_job_is_told_to_stop_and_its_result_dropped(service):
    started, release = threading.Event(), threading.Event()

    def slow(token):
        started.set()
        release.wait(5)
        return "old"  # ignores its token: the result must still be dropped

    def polite(token):
        while not token.cancelled:
            time.sleep(0.01)
        token.check()  # raises Cancelled: not counted as a run

    first = service.submit("solve", slow)
    assert started.wait(5)
    second = service.submit("solve", lambda _t: "new")
    assert first.token.cancelled and not service.is_current(first) and service.is_current(second)
    release.set()
    assert service.wait(10)
    assert [g[2] for g in service.got] == ["new"]
    assert service.runs == 2  # both ran to the end; only the newer one was delivered
    third = service.submit("solve", polite)
    time.sleep(0.05)
    service.submit("solve", lambda _t: "newest")
    assert service.wait(10) and third.token.cancelled
    assert [g[2] for g in service.got] == ["new", "newest"] and service.runs == 3
    with pytest.raises(Cancelled):
        third.token.check()


def test_keep_running_jobs_are_delivered_even_when_superseded(service):
    release = threading.Event()
    first = service.submit("frame", lambda _t: release.wait(5) and "frame 1", keep_running=True)
    time.sleep(0.05)
    service.submit("frame", lambda _t: "frame 2 (replaced)", keep_running=True)
    service.submit("frame", lambda _t: "frame 3", keep_running=True)
    assert not first.token.cancelled
    release.set()
    assert service.wait(10)
    assert [g[2] for g in service.got] == ["frame 1", "frame 3"]


def test_keys_are_independent_and_run_soonest_first(service):
    order = []
    service.submit("later", lambda _t: order.append("later"), delay_s=0.2)
    service.submit("now", lambda _t: order.append("now"))
    service.submit("other", lambda _t: 1 / 0)
    assert service.wait(10)
    assert order == ["now", "later"]
    errors = [g for g in service.got if g[0] == "error"]
    assert errors[0][1] == "other" and errors[0][2] == "ZeroDivisionError: division by zero"


def test_cancel_and_shutdown(service):
    job = service.submit("edit", lambda _t: "never", delay_s=0.2)
    service.cancel("edit")
    assert not service.is_current(job) and not service.busy("edit")
    assert service.wait(5) and service.got == [] and service.runs == 0
    again = service.submit("edit", lambda _t: "after cancel")
    assert service.is_current(again) and service.wait(5)
    assert [g[2] for g in service.got] == ["after cancel"]
    service.shutdown()
    assert service.submit("edit", lambda _t: "late") is None


def _background_loop(progress: list, stop: threading.Event):
    """A long job that does one 'solve' (a tick) between its checks, until ``stop``."""

    def run(token):
        while not stop.is_set():
            token.check()
            progress.append(time.monotonic())
            time.sleep(0.005)
        return len(progress)

    return run


def test_a_foreground_job_does_not_wait_behind_a_background_one(service):
    """The re-solve after an edit waited for a whole N-1 sweep on one worker thread: now a
    long job on the background lane leaves the foreground lane free, and is held at its
    checks while a foreground job runs."""
    progress, stop = [], threading.Event()
    inside, release = threading.Event(), threading.Event()
    long_job = service.submit("sweep", _background_loop(progress, stop), background=True)
    while len(progress) < 3:
        time.sleep(0.005)

    def edit(_t):
        inside.set()
        release.wait(5)
        return "edit solved"

    service.submit("edit", edit)
    assert inside.wait(5)  # the foreground ran while the long job had not finished
    held = len(progress)
    time.sleep(0.3)  # unheld, the long job would tick about 50 times
    assert len(progress) - held <= 1  # held at its next check (one tick may have been under way)
    release.set()
    deadline = time.monotonic() + 5
    while len(progress) == held and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(progress) > held  # and it goes on once the foreground is done
    token = long_job.token
    assert 0.25 <= token.held_s < 5  # the time it was held: a budget's clock leaves it out
    assert time.perf_counter() - token.working_s() == pytest.approx(token.held_s, abs=1e-3)
    assert service.busy("sweep") and not long_job.token.cancelled
    stop.set()
    assert service.wait(10)
    kinds = [(g[0], g[1]) for g in service.got]
    assert kinds == [("ok", "edit"), ("ok", "sweep")]
    threads = {g[1]: g[3] for g in service.got}
    assert threads["edit"] is not threads["sweep"]  # one lane each


def test_a_background_job_runs_on_while_foreground_jobs_only_wait_to_be_due(service):
    """A debounced foreground job (an edit burst's delay) holds no one until it is due."""
    progress, stop = [], threading.Event()
    service.submit("sweep", _background_loop(progress, stop), background=True)
    service.submit("edit", lambda _t: "edit", delay_s=1.5)
    time.sleep(0.2)
    n = len(progress)
    time.sleep(0.6)  # well inside the delay; ~100 ticks unheld, none held
    assert service.busy("edit") and len(progress) > n + 5
    stop.set()
    assert service.wait(10)


def test_a_held_background_job_is_cancelled_at_once(service):
    progress, stop = [], threading.Event()
    release = threading.Event()
    long_job = service.submit("sweep", _background_loop(progress, stop), background=True)
    while not progress:
        time.sleep(0.005)
    service.submit("edit", lambda _t: release.wait(5))
    time.sleep(0.05)
    t0 = time.monotonic()
    service.cancel("sweep")
    while service._running[True] is not None and time.monotonic() - t0 < 2:
        time.sleep(0.005)
    assert service._running[True] is None  # it left its wait without the foreground ending
    assert long_job.token.cancelled and not service.busy("sweep")
    release.set()
    assert service.wait(10)
    assert [g[1] for g in service.got] == ["edit"]


def test_the_background_thread_runs_at_a_lower_priority(service):
    import os
    import sys

    from twin.physics.solver_service import BACKGROUND_NICE

    if sys.platform.startswith("linux") and os.nice(0) >= 19:
        pytest.skip("run at the lowest priority already: a lower one cannot be seen")
    seen = {}
    service.submit("fg", lambda _t: seen.setdefault("fg", os.nice(0)))
    service.submit("bg", lambda _t: seen.setdefault("bg", os.nice(0)), background=True)
    assert service.wait(10)
    base = os.nice(0)
    assert seen["fg"] == base
    if sys.platform.startswith("linux"):
        assert seen["bg"] == min(base + BACKGROUND_NICE, 19)
    else:
        assert seen["bg"] == base


def test_cancel_without_a_key_drops_every_waiting_job_and_stops_the_running_ones(service):
    started, long_started, release = threading.Event(), threading.Event(), threading.Event()
    running = service.submit("solve", lambda t: started.set() or release.wait(5) or "late")
    long_job = service.submit(
        "fit", lambda t: long_started.set() or release.wait(5) or "late", background=True
    )
    assert started.wait(5) and long_started.wait(5)
    waiting = [service.submit(k, lambda _t: "never", delay_s=0.3) for k in ("a", "b")]
    service.cancel()
    assert running.token.cancelled and long_job.token.cancelled
    assert not any(service.is_current(j) for j in [running, long_job, *waiting])
    assert not service.busy("a") and not service.busy("b")
    release.set()
    assert service.wait(5) and service.got == []


def test_cancel_of_one_key_leaves_the_others(service):
    kept = service.submit("kept", lambda _t: "kept", delay_s=0.2)
    dropped = service.submit("dropped", lambda _t: "dropped", delay_s=0.2)
    service.cancel("dropped")
    assert service.is_current(kept) and not service.is_current(dropped)
    assert service.busy("kept") and not service.busy("dropped")
    assert service.wait(5)
    assert [(g[1], g[2]) for g in service.got] == [("kept", "kept")]


def test_outcomes_carry_the_jobs_tag_time_and_thread(service):
    started, outcomes = [], []
    service.started.connect(started.append)
    service.finished.connect(outcomes.append)
    fg = service.submit("fg", lambda t: t.check() or time.sleep(0.05) or "fg", tag="mine")
    assert service.wait(5)  # (a foreground job's own check never holds it)
    bg = service.submit("bg", lambda t: t.check() or "bg", tag=("state", 1), background=True)
    assert service.wait(5)
    assert set(started) == {fg, bg}
    by_key = {o.key: o for o in outcomes}
    assert by_key["fg"].tag == "mine" and by_key["bg"].tag == ("state", 1)
    assert 0.05 <= by_key["fg"].seconds < 2 and by_key["fg"].value == "fg"
    names = {g[1]: g[3].name for g in service.got}
    assert names == {"fg": "test-solver", "bg": "test-solver-background"}
    assert bg.token.held_s == 0.0  # never held: nothing ran beside it for long


def test_two_long_jobs_run_one_after_the_other_without_holding_each_other(service):
    """A background job waiting for the lane does not hold the one running at its checks."""
    ticks = []

    def long(name):
        def run(token):
            for _ in range(20):
                token.check()
                ticks.append(name)
                time.sleep(0.002)
            return name

        return run

    service.submit("first", long("first"), background=True)
    service.submit("second", long("second"), background=True)
    assert service.wait(10)
    assert ticks == ["first"] * 20 + ["second"] * 20


def test_busy_and_wait_while_a_job_runs(service):
    release = threading.Event()
    service.submit("solve", lambda _t: release.wait(5))
    deadline = time.monotonic() + 5
    while service._waiting and time.monotonic() < deadline:
        time.sleep(0.005)
    assert service.busy() and service.busy("solve")  # running, nothing waiting
    t0 = time.monotonic()
    assert service.wait(0.2) is False
    assert 0.15 <= time.monotonic() - t0 < 1.0
    release.set()
    assert service.wait(5) and not service.busy()


def test_lower_thread_priority_nices_only_the_calling_thread():
    import os
    import sys

    from twin.physics.solver_service import lower_thread_priority

    base = os.nice(0)
    if sys.platform.startswith("linux") and base >= 19:
        pytest.skip("run at the lowest priority already: a lower one cannot be seen")
    assert lower_thread_priority(0) is False and os.nice(0) == base
    seen = {}

    def worker():
        seen["done"] = lower_thread_priority(1)
        seen["nice"] = os.nice(0)

    t = threading.Thread(target=worker)
    t.start(), t.join(5)
    assert os.nice(0) == base  # this thread untouched
    if sys.platform.startswith("linux"):
        assert seen == {"done": True, "nice": min(base + 1, 19)}
    else:
        assert seen == {"done": False, "nice": base}


def test_a_job_held_twice_counts_both_holds(service):
    progress, stop = [], threading.Event()
    long_job = service.submit("sweep", _background_loop(progress, stop), background=True)
    while not progress:
        time.sleep(0.005)
    for _ in range(2):
        service.submit("edit", lambda _t: time.sleep(0.3))
        time.sleep(0.05)
        deadline = time.monotonic() + 5
        while service.busy("edit") and time.monotonic() < deadline:
            time.sleep(0.01)
        n = len(progress)
        while len(progress) == n and time.monotonic() < deadline:
            time.sleep(0.005)  # it ticks again before the next hold
    assert long_job.token.held_s >= 0.45  # two holds of about 0.3 s each
    stop.set()
    assert service.wait(10)


def test_foreground_work_that_never_stops_does_not_starve_a_background_job(service):
    """Foreground jobs that keep coming (here a new frame's step always waiting while one
    runs) held a background job for as long as they came. Now it is held at most MAX_HELD_S
    in a row, then runs as long beside the foreground."""
    from twin.physics.solver_service import MAX_HELD_S

    progress, stop, busy = [], threading.Event(), threading.Event()
    long_job = service.submit("search", _background_loop(progress, stop), background=True)
    while not progress:
        time.sleep(0.005)

    def frames():  # a new frame's step is always waiting while one runs
        while not busy.is_set():
            service.submit("frame", lambda _t: time.sleep(0.05), keep_running=True)
            time.sleep(0.02)

    feeder = threading.Thread(target=frames)
    feeder.start()
    try:
        t0 = time.monotonic()
        time.sleep(0.2)
        n0 = len(progress)
        time.sleep(MAX_HELD_S - 0.6)
        assert len(progress) - n0 <= 1  # held: the foreground comes first
        time.sleep(MAX_HELD_S + 1.0)  # past the longest hold and into the job's turn
        ticks = [t for t in progress if t > t0 + MAX_HELD_S + 0.2]
        assert len(ticks) > 20  # it ran (about 0.005 s a tick) while frames kept coming
        assert service.busy("frame")
        assert long_job.token.held_s >= MAX_HELD_S - 0.1
    finally:
        busy.set()
        feeder.join()
        stop.set()
    assert service.wait(10)


def test_a_long_foreground_job_holds_a_background_one_for_max_held_s_only(service):
    """One long foreground solve (a factory hall's, minutes) sends no wake-ups while it runs:
    the held job looks again every PAUSE_POLL_S and takes its turn after MAX_HELD_S."""
    from twin.physics.solver_service import MAX_HELD_S

    progress, stop, release = [], threading.Event(), threading.Event()
    service.submit("search", _background_loop(progress, stop), background=True)
    while not progress:
        time.sleep(0.005)
    service.submit("hall", lambda _t: release.wait(10))
    time.sleep(0.2)
    n0 = len(progress)
    time.sleep(MAX_HELD_S - 0.6)
    assert len(progress) - n0 <= 1  # held
    time.sleep(1.2)  # past MAX_HELD_S, the hall still solving
    assert service.busy("hall") and len(progress) - n0 > 2
    release.set()
    stop.set()
    assert service.wait(10)


def test_a_hall_the_physics_cannot_solve_is_said_in_its_own_words(service):
    """The Thermal dock read "Cannot solve this hall: ThermalError: hall H has no air supply
    ...": the class name is for faults; a ThermalError names the hall and why already."""
    from twin.physics.heat import ThermalError
    from twin.physics.solver_service import error_text

    def no_supply(_token):
        raise ThermalError("hall H has no air supply (...)")

    service.submit("hall", no_supply)
    assert service.wait(10)
    (error,) = [g for g in service.got if g[0] == "error"]
    assert error[1:3] == ("hall", "hall H has no air supply (...)")
    assert error_text(ValueError("x")) == "ValueError: x"  # a fault keeps its type
