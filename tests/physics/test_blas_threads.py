"""``single_blas_thread`` when two solves overlap (the window's foreground and background
solver threads): OpenBLAS's thread count is the process's, so it stays at one until the last
solve leaves, and the count from before the first comes back."""

from __future__ import annotations

import threading

import pytest

from twin.physics import threads


class _FakeBlas:
    def __init__(self, n: int):
        self.n = n
        self.history = [n]

    def set(self, n):
        self.n = int(n)
        self.history.append(self.n)

    def get(self):
        return self.n


@pytest.fixture
def blas(monkeypatch):
    fake = _FakeBlas(4)
    monkeypatch.setattr(threads, "_FUNCS", [(fake.set, fake.get)])
    return fake


def test_one_solve_pins_one_thread_and_restores(blas):
    with threads.single_blas_thread():
        assert blas.n == 1
    assert blas.n == 4


def test_overlapping_solves_keep_one_thread_until_the_last_leaves(blas):
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with threads.single_blas_thread():
            a_in.set()
            b_in.wait(5)
        seen["after a"] = blas.n
        a_out.set()

    def b():
        a_in.wait(5)
        with threads.single_blas_thread():
            b_in.set()
            a_out.wait(5)
            seen["b after a left"] = blas.n

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start(), tb.start()
    ta.join(10), tb.join(10)
    assert seen == {"after a": 1, "b after a left": 1}
    assert blas.n == 4  # the count from before the first, not the 1 that b found
    assert blas.history == [4, 1, 4]


def test_a_solve_that_raises_still_restores(blas):
    with pytest.raises(ZeroDivisionError), threads.single_blas_thread():
        raise ZeroDivisionError
    assert blas.n == 4
    with threads.single_blas_thread():
        assert blas.n == 1
    assert blas.n == 4


def _numpy_blas() -> str:
    import numpy as np

    try:
        return np.__config__.CONFIG["Build Dependencies"]["blas"]["name"].lower()
    except (AttributeError, KeyError, TypeError):
        return ""


@pytest.mark.skipif("openblas" not in _numpy_blas(), reason="numpy is not built on OpenBLAS")
def test_the_process_openblas_is_found_and_pinned(monkeypatch):
    """The ctypes search finds numpy's own OpenBLAS (a wheel's ``scipy_openblas64_``), and
    the block holds its real thread count at one."""
    monkeypatch.setattr(threads, "_FUNCS", None)
    funcs = threads._find()
    assert funcs and threads._find() is funcs  # found once, then kept
    set_, get = funcs[0]
    before = get()
    set_(2)
    try:
        with threads.single_blas_thread():
            assert all(g() == 1 for _, g in funcs)
        assert get() == 2
    finally:
        set_(before)
