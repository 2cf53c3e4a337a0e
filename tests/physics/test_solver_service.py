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
