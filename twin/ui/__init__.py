"""twin.ui: the Qt user interface (the only package that imports Qt)."""

import sys


def _pin_none() -> None:
    """PySide6 6.12's abi3 wheels drop a reference to ``None`` on every Qt call that returns
    nothing (harmless on Python 3.12+, where ``None`` is immortal). On 3.11 the count runs
    down with each ``setText``/``setPen``/``update`` and the process aborts ("none_dealloc:
    deallocating None") after about 10^5 such calls. Give ``None`` a count it cannot run out
    of, as 3.12 does; a release build of CPython keeps the count first in the object."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    if hasattr(sys, "gettotalrefcount"):  # a debug build: another object layout
        return
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 60


_pin_none()
