"""``twin.worker_pool``: jobs in spawned workers, where a worker's death fails only its job.

The jobs are in ``pool_jobs.py`` beside this file (spawned workers import them by name)."""

from __future__ import annotations

import multiprocessing.spawn
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from twin import worker_pool
from twin.worker_pool import KILLED_TEXT, death_text, run_jobs


@pytest.fixture(autouse=True)
def jobs_importable(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def _all(fn, jobs, workers, **kw) -> dict:
    return {d.index: d for d in run_jobs(fn, jobs, workers, **kw)}


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); its state says it is not running
    state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    return state == "Z"


def test_every_job_answers_once_with_its_own_value_and_the_initializers_state():
    import pool_jobs

    done = _all(
        pool_jobs.square, [(k,) for k in range(7)], 2, initializer=pool_jobs.load, initargs=("L",)
    )
    assert sorted(done) == list(range(7))
    assert [done[k].value[0] for k in range(7)] == [k * k for k in range(7)]
    assert {done[k].value[2] for k in range(7)} == {"L"}
    assert all(d.error is None and not d.retried for d in done.values())
    pids = {d.value[1] for d in done.values()}
    assert len(pids) == 2 and os.getpid() not in pids  # two workers, each serving several


def test_no_jobs_starts_no_worker():
    import pool_jobs

    assert list(run_jobs(pool_jobs.square, [], 4)) == []


def test_an_exception_is_its_jobs_error_and_the_worker_serves_on():
    import pool_jobs

    done = _all(pool_jobs.fail, [(1,), (2,)], 1)
    assert done[0].error == "ValueError: case 1 has no answer"
    assert done[1].error == "ValueError: case 2 has no answer"
    assert done[0].value is None
    done = _all(pool_jobs.unpicklable, [(1,)], 1)
    assert done[0].error.startswith(("PicklingError", "AttributeError"))


def test_a_crashed_worker_fails_its_job_alone_and_a_new_worker_takes_the_rest():
    import pool_jobs

    jobs = [("die", (signal.SIGSEGV,))] + [("square", (k,)) for k in range(4)]
    done = _all(pool_jobs.call, jobs, 2)
    assert done[0].error == "the worker process running it ended (signal SIGSEGV)"
    assert not done[0].retried  # a crash is the job's own: it would crash again
    assert [done[k].value[0] for k in range(1, 5)] == [0, 1, 4, 9]
    assert all(done[k].error is None for k in range(1, 5))


def test_a_job_killed_beside_others_runs_again_alone_after_them(tmp_path):
    """SIGKILL is what the out-of-memory killer sends: the job may have needed only the
    memory the other workers held."""
    import pool_jobs

    marker = tmp_path / "ran"
    jobs = [("die_once", (str(marker), signal.SIGKILL))] + [("span", (0.3,))] * 4
    done = {d.index: d for d in run_jobs(pool_jobs.call, jobs, 2)}
    assert marker.exists()
    assert done[0].value == "answered" and done[0].error is None and done[0].retried
    assert all(done[k].error is None and not done[k].retried for k in range(1, 5))


def test_a_job_run_again_alone_runs_after_every_other_and_beside_none(tmp_path):
    import pool_jobs

    marker = tmp_path / "ran"
    jobs = [("span_then_die_once", (str(marker), 0.2))] + [("span", (0.4,))] * 5
    done = {d.index: d for d in run_jobs(pool_jobs.call, jobs, 2)}
    assert done[0].retried and done[0].error is None
    _, start, end = done[0].value
    others = [done[k].value for k in range(1, 6)]
    assert all(e <= start for _, _, e in others)  # every other had finished
    # the idle worker was stopped before it ran: it ran in a worker of its own
    assert done[0].value[0] not in {pid for pid, _, _ in others}


def test_a_job_killed_again_alone_fails_with_why(tmp_path):
    import pool_jobs

    jobs = [("die", (signal.SIGKILL,)), ("span", (0.2,)), ("span", (0.2,))]
    done = {d.index: d for d in run_jobs(pool_jobs.call, jobs, 2)}
    assert done[0].error == KILLED_TEXT
    assert KILLED_TEXT == (
        "the worker process running it ended (signal SIGKILL), as the system ends a "
        "process when memory runs out"
    )
    assert done[0].retried
    assert done[1].error is None and done[2].error is None


def test_a_job_killed_in_a_pool_of_one_is_not_run_again(tmp_path):
    import pool_jobs

    marker = tmp_path / "ran"
    jobs = [("die_once", (str(marker), signal.SIGKILL)), ("span", (0.0,))]
    done = {d.index: d for d in run_jobs(pool_jobs.call, jobs, 1)}
    assert done[0].error == KILLED_TEXT and not done[0].retried
    assert done[1].error is None


def test_death_text_names_the_signal_or_the_exit_code():
    assert death_text(-signal.SIGSEGV) == "the worker process running it ended (signal SIGSEGV)"
    assert death_text(3) == "the worker process running it ended (exit code 3)"
    assert death_text(-signal.SIGKILL).endswith(
        ", as the system ends a process when memory runs out"
    )


def test_a_failing_initializer_fails_every_job_with_its_words_and_stops():
    import pool_jobs

    t0 = time.monotonic()
    done = _all(
        pool_jobs.square,
        [(k,) for k in range(6)],
        2,
        initializer=pool_jobs.refuse_to_load,
        initargs=("/gone.yaml",),
    )
    assert sorted(done) == list(range(6))
    assert {d.error for d in done.values()} == {"FileNotFoundError: /gone.yaml: no such layout"}
    assert time.monotonic() - t0 < 20


def test_a_worker_that_never_began_says_so_and_blames_no_job(monkeypatch):
    """Python's spawn fails before Twin's code runs (a script without a main guard, a broken
    installation): here /bin/true stands in for Python."""
    import pool_jobs

    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", b"/bin/true")
    done = _all(pool_jobs.square, [(k,) for k in range(5)], 2)
    assert sorted(done) == list(range(5))
    words = (
        "the worker process ended before it began (exit code 0); a script that runs Twin's "
        'workers needs its top level under `if __name__ == "__main__":`'
    )
    assert {d.error for d in done.values()} == {words}


def test_a_cancel_kills_the_running_jobs_within_the_poll():
    import pool_jobs

    pids = []
    flag = {"cancel": False}
    t0 = time.monotonic()
    pool = run_jobs(
        pool_jobs.call,
        [("span", (0.1,))] + [("span", (60.0,))] * 3,
        2,
        cancelled=lambda: flag["cancel"],
    )
    for d in pool:
        pids.append(d.value[0])
        flag["cancel"] = True  # after the first answer
    took = time.monotonic() - t0
    assert len(pids) == 1
    assert took < 10
    for child in multiprocessing.active_children():
        assert child.name != "twin-worker"


def test_a_caller_that_stops_reading_leaves_no_worker_running():
    import pool_jobs

    gen = run_jobs(pool_jobs.call, [("span", (0.0,))] + [("span", (60.0,))] * 2, 2)
    first = next(gen)
    running = [p for p in multiprocessing.active_children() if p.name == "twin-worker"]
    assert running and first.error is None
    t0 = time.monotonic()
    gen.close()
    assert time.monotonic() - t0 < worker_pool.STOP_WAIT_S + 2
    assert all(_gone(p.pid) for p in running)


def test_a_worker_ignores_ctrl_c_which_its_parent_answers():
    import pool_jobs

    done = _all(pool_jobs.call, [("die", (signal.SIGINT, 0.0))], 1)
    # SIGINT ignored: the job slept on and answered nothing but its own end
    assert done[0].error is None
    assert sys.platform.startswith("linux")


@pytest.fixture
def sigint_restored():
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)


def _serve_here(jobs: list, fn, initializer=None, initargs=(), stop=True) -> list:
    """``worker_pool._serve`` run in this process (mutation testing follows no child): the
    jobs queued on its pipe first, then what it answered."""
    from multiprocessing import Pipe

    parent, child = Pipe()
    for job in jobs:
        parent.send(job)
    if stop:
        parent.send(None)
    else:
        parent.close()  # the parent gone: the pipe ends
    worker_pool._serve(child, fn, initializer, initargs)
    out = []
    if stop:
        while parent.poll():
            out.append(parent.recv())
    return out


def test_a_worker_says_it_began_then_answers_each_job_in_turn(sigint_restored):
    import pool_jobs

    said = _serve_here([(3, (4,)), (5, (6,))], pool_jobs.square, pool_jobs.load, ("W",))
    me = os.getpid()
    assert said == [
        ("began", None, None, None),
        ("done", 3, (16, me, "W"), None),
        ("done", 5, (36, me, "W"), None),
    ]
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_a_worker_reports_a_failing_job_and_serves_the_next(sigint_restored):
    import pool_jobs

    said = _serve_here([(0, ("x", ())), (1, ("square", (2,)))], pool_jobs.call, None)
    assert said[1] == ("done", 0, None, "KeyError: 'x'")
    assert said[2][:2] == ("done", 1) and said[2][3] is None


def test_a_worker_whose_initializer_fails_says_why_and_runs_no_job(sigint_restored):
    import pool_jobs

    said = _serve_here([(0, (2,))], pool_jobs.square, pool_jobs.refuse_to_load, ("/x.yaml",))
    assert said == [
        ("began", None, None, None),
        ("failed", None, None, "FileNotFoundError: /x.yaml: no such layout"),
    ]


def test_a_worker_whose_parent_is_gone_ends_quietly(sigint_restored, capfd):
    import pool_jobs

    assert _serve_here([(0, (2,))], pool_jobs.square, stop=False) == []
    assert capfd.readouterr().err == ""


def test_a_worker_that_died_idle_is_replaced_and_its_next_job_runs_elsewhere():
    """Killed between two jobs (as the out-of-memory killer may pick an idle worker): the
    job handed to it next goes to a fresh worker instead of failing."""
    import pool_jobs

    pool = run_jobs(pool_jobs.call, [("span", (0.0,)), ("span", (0.0,))], 1)
    first = next(pool)
    os.kill(first.value[0], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not _gone(first.value[0]) and time.monotonic() < deadline:
        time.sleep(0.01)
    second = next(pool)
    assert second.error is None and not second.retried
    assert second.value[0] != first.value[0]
    assert list(pool) == []


def test_a_cancel_while_every_job_runs_stops_within_the_poll():
    import pool_jobs

    t0 = time.monotonic()
    pool = run_jobs(
        pool_jobs.call,
        [("span", (60.0,))] * 2,
        2,
        cancelled=lambda: time.monotonic() > t0 + 2.0,
    )
    assert list(pool) == []
    assert time.monotonic() - t0 < 2.0 + 2 * worker_pool.POLL_S + worker_pool.STOP_WAIT_S + 1


def test_a_process_that_exits_while_its_pool_runs_leaves_no_worker_behind(tmp_path):
    """The window quits with a hall still solving on its (daemon) solver thread: the pool's
    ``finally`` never runs, and a worker must not outlive the process, nor hold its exit."""
    import subprocess

    import pool_jobs

    # the same pool answers here first: mutation testing runs a test for the code it calls in
    # this process, and the script below calls it in another
    assert [d.value for d in run_jobs(pool_jobs.square, [(2,)], 1)][0][0] == 4
    pidfile = tmp_path / "pids"
    script = tmp_path / "quit.py"
    script.write_text(
        f"""
import sys, threading, time
sys.path[:0] = {[str(Path(__file__).parent), *sys.path]!r}
import pool_jobs
from twin.worker_pool import run_jobs

def run():
    for d in run_jobs(pool_jobs.call, [("span", (0.0,)), ("span", (60.0,))], 1):
        if d.value is not None:  # the first; the second ends with this process
            open({str(pidfile)!r}, "a").write(f"{{d.value[0]}}\\n")

if __name__ == "__main__":
    threading.Thread(target=run, daemon=True).start()
    time.sleep(3)
"""
    )
    t0 = time.monotonic()
    subprocess.run([sys.executable, str(script)], check=True, timeout=60)
    assert time.monotonic() - t0 < 20
    (pid,) = map(int, pidfile.read_text().split())
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(pid)


def test_a_worker_that_cannot_end_is_killed_after_a_bounded_wait():
    """A job (or a failed initializer) that left a thread running keeps its worker from
    ending when told to: the pool kills it after ``STOP_WAIT_S`` instead of waiting."""
    import pool_jobs

    t0 = time.monotonic()
    (done,) = run_jobs(pool_jobs.linger, [(60.0,)], 1)
    assert done.error is None
    assert time.monotonic() - t0 < 10
    assert _gone(done.value)
    t0 = time.monotonic()
    done = _all(
        pool_jobs.square, [(1,), (2,)], 1, initializer=pool_jobs.refuse_and_linger, initargs=(60.0,)
    )
    assert {d.error for d in done.values()} == {"RuntimeError: the layout could not be read"}
    assert time.monotonic() - t0 < 10


def _started(pool, conn_ready: bool = True):
    w = pool._start()
    if conn_ready:
        assert w.conn.poll(30)  # it said that it began (not yet read)
    return w


def test_a_job_handed_to_a_worker_that_died_idle_stays_queued_for_a_new_one():
    """The hand-over fails (the worker's pipe is gone): the job is not blamed on it."""
    from collections import deque

    import pool_jobs

    pool = worker_pool._Pool(pool_jobs.square, None, ())
    try:
        dead = _started(pool)
        dead.process.kill()
        dead.process.join()
        todo = deque([(0, False)])
        pool.dispatch(todo, [(3,)], 1)
        assert pool.broken is None and not todo
        (w,) = pool.workers
        assert w is not dead and w.job == 0
        got, deadline = [], time.monotonic() + 30
        while not got and time.monotonic() < deadline:
            got = pool.collect()
        ((done, crowded),) = got
        assert done.value[0] == 9 and done.error is None and not crowded
    finally:
        pool.close()


def test_an_initializer_that_failed_before_the_hand_over_breaks_the_pool_with_its_words():
    from collections import deque

    import pool_jobs

    pool = worker_pool._Pool(pool_jobs.square, pool_jobs.refuse_to_load, ("/x.yaml",))
    try:
        w = _started(pool)
        w.process.join(30)
        todo = deque([(0, False)])
        pool.dispatch(todo, [(3,)], 1)
        assert pool.broken == "FileNotFoundError: /x.yaml: no such layout"
        assert list(todo) == [(0, False)] and pool.workers == []
    finally:
        pool.close()


def test_closing_tells_idle_workers_to_end_and_kills_busy_ones():
    from collections import deque

    import pool_jobs

    pool = worker_pool._Pool(pool_jobs.call, None, ())
    todo = deque([(0, False)])
    pool.dispatch(todo, [("span", (60.0,))], 2)
    idle = pool._start()
    busy = next(w for w in pool.workers if w.job == 0)
    time.sleep(0.5)
    pool.close()
    assert pool.workers == []
    assert idle.process.exitcode == 0  # it ended on its own
    assert busy.process.exitcode == -signal.SIGKILL


def test_every_job_of_a_batch_is_answered_when_one_of_them_is_run_again(monkeypatch):
    """Two jobs may end in the same wait: a killed one queued again must not drop the
    other's answer."""
    from twin.worker_pool import JobDone

    class Batch:
        def __init__(self, *args):
            self.broken, self.running, self.rounds = None, [], 0

        def busy(self):
            return bool(self.running)

        def dispatch(self, todo, jobs, limit):
            while todo:
                self.running.append(todo.popleft())

        def collect(self):
            self.rounds += 1
            ran, self.running = self.running, []
            if self.rounds == 1:
                return [(JobDone(0, error=KILLED_TEXT), True), (JobDone(1, "b"), True)]
            return [(JobDone(k, "again"), False) for k, _ in ran]

        def close(self):
            pass

    monkeypatch.setattr(worker_pool, "_Pool", Batch)
    done = _all(None, [(), ()], 2)
    assert done[1].value == "b" and not done[1].retried
    assert done[0].value == "again" and done[0].retried
