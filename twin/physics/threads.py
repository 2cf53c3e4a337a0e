"""Run the solvers with one BLAS thread.

pyamg's Krylov loops call BLAS dot products on vectors of 10^5-10^6 entries, which OpenBLAS
splits across threads. On a busy or small machine those threads spin and wait for each other:
we measured a multigrid solve 10x slower with the default thread count on a shared 2-core
box. Sparse work gains nothing from BLAS threads, so the physics pins OpenBLAS (numpy's and
scipy's copies) to one thread while it runs and restores the previous count after. Without
threadpoolctl we reach OpenBLAS through ctypes; where it cannot be found this does nothing.

OpenBLAS's count is the process's, and two solves may overlap (the window's foreground and
background solver threads): the count is held at one while any solve is inside, and the
count from before the first is restored when the last leaves.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import threading
from collections.abc import Iterator

_FUNCS: list[tuple] | None = None
_LOCK = threading.Lock()
#: solves inside ``single_blas_thread`` now, and the counts from before the first of them
_INSIDE = 0
_BEFORE: list[int] = []


def _find() -> list[tuple]:
    global _FUNCS
    if _FUNCS is not None:
        return _FUNCS
    found = []
    try:
        with open("/proc/self/maps") as fh:
            libs = sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", fh.read())))
    except OSError:
        libs = []
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for pre in ("scipy_openblas_", "openblas_"):
            for suf in ("64_", ""):
                try:
                    set_ = getattr(lib, f"{pre}set_num_threads{suf}")
                    get = getattr(lib, f"{pre}get_num_threads{suf}")
                except AttributeError:
                    continue
                get.restype = ctypes.c_int
                found.append((set_, get))
                break
            else:
                continue
            break
    _FUNCS = found
    return found


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Inside the block OpenBLAS uses one thread; the previous counts come back once no
    block (of any thread) is inside."""
    global _INSIDE, _BEFORE
    funcs = _find()
    with _LOCK:
        if _INSIDE == 0:
            _BEFORE = [get() for _, get in funcs]
            for set_, _ in funcs:
                set_(1)
        _INSIDE += 1
    try:
        yield
    finally:
        with _LOCK:
            _INSIDE -= 1
            if _INSIDE == 0:
                for (set_, _), n in zip(funcs, _BEFORE, strict=True):
                    set_(int(n))
