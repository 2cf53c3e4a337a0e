"""Ctrl-C as a request, not an exception: a long-running command checks ``stop.is_set()``
between units of work, so the interrupt never lands in the middle of one (a half-written
frame, a lock held by an unwound ``finally``). A second Ctrl-C raises ``KeyboardInterrupt``
as usual, for a command stuck where it does not check."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
        # command line's, ``twin.interrupts``, which also survives a dropped interrupt)
        signal.signal(signal.SIGINT, old if callable(old) else signal.default_int_handler)

    old = signal.signal(signal.SIGINT, first)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)
