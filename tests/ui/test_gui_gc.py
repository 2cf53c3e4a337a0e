"""The app's cyclic garbage collection runs on the GUI thread only (``twin.ui.gui_gc``)."""

from __future__ import annotations

import gc
import threading

import pytest

pytestmark = pytest.mark.gui


class _Cycle:
    def __init__(self, seen: list):
        self.me = self
        self.seen = seen

    def __del__(self):
        self.seen.append(threading.current_thread() is threading.main_thread())


def test_cycles_made_and_dropped_on_a_worker_are_freed_on_the_gui_thread(qapp, qtbot):
    from twin.ui.gui_gc import collect_on_gui_thread

    was_enabled = gc.isenabled()
    collector = collect_on_gui_thread(qapp, interval_s=0.05)
    try:
        assert collect_on_gui_thread(qapp) is collector  # one per app
        assert not gc.isenabled()
        seen: list[bool] = []

        def worker():
            for _ in range(2000):  # far past generation 0's threshold: no collection here
                _Cycle(seen)

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen == []  # nothing freed on the worker
        qtbot.waitUntil(lambda: len(seen) == 2000, timeout=5000)
        assert all(seen)  # every one freed on the GUI thread, by the timer
    finally:
        collector.timer.stop()
        del qapp._twin_gc
        if was_enabled:
            gc.enable()
