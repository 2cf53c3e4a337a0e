"""How a child process ended, in words: shared by the processes Twin runs code in that may
crash (``plugin_check``'s plugin imports, ``render.cfd_child``'s VTK reads)."""

from __future__ import annotations

import signal


def exit_text(code: int | None) -> str:
    """ "signal SIGSEGV" for a child killed by a signal (multiprocessing's negative exit
    code; the number where it has no name), else "exit code N"."""
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
