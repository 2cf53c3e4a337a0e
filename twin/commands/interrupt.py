"""How a command-line command takes Ctrl-C and SIGTERM.

``install`` (for every command, from ``twin.cli``): SIGTERM raises KeyboardInterrupt as Ctrl-C
does, and neither is lost where Python drops it. A signal's handler runs at the next bytecode
of the main thread, wherever that is; when that is a weakref callback or a finalizer (the
garbage collector runs them between any two lines), the KeyboardInterrupt it raises cannot
propagate: Python prints "Exception ignored in ..." and carries on, and the command ran to
its end (``twin simulate --duration 12h`` killed within 50 ms of starting to write ran on in
3 of 30 tries, and exited 0). ``install`` sends the signal again (from another thread, 10 ms
later) whenever its KeyboardInterrupt was dropped so (``sys.unraisablehook`` sees it), so
that it lands outside the callback; a signal that comes while that hook runs (reporting the
drop can take longer than 10 ms: pytest's hook imported a module in a CI run) waits for the
hook to end the same way, since raised there it would be lost for good. Not for the window,
whose event loop handles its own shutdown.

``graceful_interrupt``: Ctrl-C as a request, not an exception: a long-running command checks
``stop.is_set()`` between units of work, so the interrupt never lands in the middle of one (a
half-written frame, a lock held by an unwound ``finally``). A second Ctrl-C raises
``KeyboardInterrupt`` as usual, for a command stuck where it does not check.
"""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: How long after a dropped interrupt it is sent again (s): the callback it fell in is over
#: by then, the command not much further on.
REDELIVER_S = 0.01


def install() -> Callable[[], None]:
    """Take over SIGTERM (when at its default) and SIGINT (when at Python's own handler) in
    the main thread; returns the function that puts back what was there. Off the main
    thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    taken: dict[int, object] = {}
    last: list[int] = []  # the signal whose KeyboardInterrupt is on its way
    pending: list[bool] = [False]  # a re-sent signal is on its way
    timers: list[threading.Timer] = []

    def send_again() -> None:
        if pending[0]:
            return  # one is on its way: a second would interrupt the first's clean-up
        pending[0] = True
        timer = threading.Timer(REDELIVER_S, _thread.interrupt_main, (last[0],))
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def interrupt(signum: int, frame) -> None:
        last[:] = [signum]
        pending[0] = False  # this one has come
        if _within(frame, hook.__code__):
            # raised in the hook it would be dropped with no hook to see it ("Exception
            # ignored in sys.unraisablehook"): sent again once the hook is over
            send_again()
            return
        raise KeyboardInterrupt

    for signum, theirs in (
        (signal.SIGTERM, signal.SIG_DFL),
        (signal.SIGINT, signal.default_int_handler),
    ):
        if signal.getsignal(signum) is theirs:  # not ignored, not someone else's
            taken[signum] = signal.signal(signum, interrupt)
    previous_hook = sys.unraisablehook

    def hook(unraisable) -> None:
        try:
            previous_hook(unraisable)
        finally:
            if last and isinstance(unraisable.exc_value, KeyboardInterrupt):
                # dropped inside a callback: sent again from another thread once the
                # callback is over (sent from here, the handler ran within this hook)
                send_again()

    sys.unraisablehook = hook

    def uninstall() -> None:
        for timer in timers:  # the command is over: nothing is left to interrupt
            timer.cancel()
        for signum, handler in taken.items():
            signal.signal(signum, handler)
        if sys.unraisablehook is hook:
            sys.unraisablehook = previous_hook

    return uninstall


def _within(frame, code) -> bool:
    """Whether ``frame`` or one it was called from runs ``code``."""
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


@contextmanager
def graceful_interrupt() -> Iterator[threading.Event]:
    """An event set by the first SIGINT while the block runs (the default handling is
    restored after it, or by a second SIGINT). Off the main thread, where Python delivers
    no signal, the event is simply never set."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def first(signum, frame) -> None:
        stop.set()
        # the second raises: through the handler this one replaced where it raises (the
        # command line's, ``install``'s, which also survives a dropped interrupt)
        signal.signal(signal.SIGINT, old if callable(old) else signal.default_int_handler)

    old = signal.signal(signal.SIGINT, first)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)
