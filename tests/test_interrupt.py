"""Ctrl-C as a request (twin.commands.interrupt): the first one sets the event and raises
nothing, a second one raises as usual, and the old handler comes back afterwards."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from twin.commands.interrupt import graceful_interrupt


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the handler runs at the next bytecode boundary of the main thread


def test_first_ctrl_c_sets_the_event_and_raises_nothing():
    before = signal.getsignal(signal.SIGINT)
    with graceful_interrupt() as stop:
        assert not stop.is_set()
        _ctrl_c()
        assert stop.is_set()
    assert signal.getsignal(signal.SIGINT) is before


def test_second_ctrl_c_raises_keyboard_interrupt():
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), graceful_interrupt() as stop:
        _ctrl_c()
        assert stop.is_set()
        _ctrl_c()
        pytest.fail("the second Ctrl-C did not interrupt")
    assert signal.getsignal(signal.SIGINT) is before


def test_off_the_main_thread_it_installs_nothing():
    before = signal.getsignal(signal.SIGINT)
    seen = {}

    def body() -> None:
        with graceful_interrupt() as stop:
            seen["handler"] = signal.getsignal(signal.SIGINT)
            seen["set"] = stop.is_set()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == {"handler": before, "set": False}


def test_the_second_ctrl_c_goes_through_the_handler_it_replaced():
    """Under the command line that is ``twin.commands.interrupt.install``' handler, which survives an
    interrupt Python drops in a callback; the default one would not."""
    from twin.commands import interrupt as interrupts

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as from a terminal
    restore = interrupts.install()
    try:
        mine = signal.getsignal(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt), graceful_interrupt() as stop:
            _ctrl_c()
            assert stop.is_set()
            assert signal.getsignal(signal.SIGINT) is mine
            _ctrl_c()
            pytest.fail("the second Ctrl-C did not interrupt")
        assert signal.getsignal(signal.SIGINT) is mine
    except KeyboardInterrupt:  # escaping, it would end the run as interrupted, not failed
        pytest.fail("a third interrupt arrived")
    finally:
        restore()
        signal.signal(signal.SIGINT, before)
