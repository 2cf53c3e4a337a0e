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
