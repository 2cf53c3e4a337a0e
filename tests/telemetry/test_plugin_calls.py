"""A source plugin's calls on a thread of their own: results and errors come back in order,
and a call that never returns is given up on in time instead of freezing the caller."""

from __future__ import annotations

import threading
import time

from twin.telemetry.plugin_calls import PluginCaller


def test_values_and_errors_come_back_from_one_thread_in_order():
    caller = PluginCaller("acme")
    seen: list[tuple[int, int]] = []

    def job(k: int):
        seen.append((k, threading.get_ident()))
        return k * 10

    assert [caller.call(lambda k=k: job(k), 5.0).value for k in range(5)] == [0, 10, 20, 30, 40]
    assert [k for k, _ in seen] == [0, 1, 2, 3, 4]
    threads = {ident for _, ident in seen}
    assert len(threads) == 1 and threads != {threading.get_ident()}
    err = ValueError("socket closed")

    def boom():
        raise err

    res = caller.call(boom, 5.0)
    assert (res.done, res.value, res.error) == (True, None, err)
    assert caller.call(lambda: "after", 5.0).value == "after"  # an error is not the end
    caller.close()


def test_a_call_that_does_not_return_is_given_up_and_nothing_follows_it():
    caller = PluginCaller("acme")
    assert caller.stuck is False and caller.closed is False
    release, ran = threading.Event(), []
    t0 = time.perf_counter()
    res = caller.call(release.wait, 0.2)
    waited = time.perf_counter() - t0
    assert res.done is False and res.value is None and res.error is None
    assert 0.2 <= waited < 2.0
    assert caller.stuck is True
    later = caller.call(lambda: ran.append(1), 5.0)  # not sent: it would wait behind
    assert later.done is False
    release.set()
    time.sleep(0.1)
    assert ran == [] and not caller.call(lambda: ran.append(2), 5.0).done and ran == []


def test_the_thread_is_a_daemon_and_ends_when_closed():
    caller = PluginCaller("acme")
    names = []
    caller.call(lambda: names.append(threading.current_thread()), 5.0)
    (thread,) = names
    assert thread.daemon and thread.name == "source plugin acme"
    caller.close()
    assert caller.closed is True
    thread.join(5.0)
    assert not thread.is_alive()
    ran = []
    t0 = time.perf_counter()
    res = caller.call(lambda: ran.append(1), 5.0)  # closed: nothing more is run, no wait
    assert res.done is False and ran == [] and time.perf_counter() - t0 < 1.0
