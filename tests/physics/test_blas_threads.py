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


class _Fn:
    restype = None

    def __call__(self, *args):
        return 1


def test_the_search_takes_any_openblas_build_and_skips_what_it_cannot_use(monkeypatch):
    """A system OpenBLAS (``openblas_set_num_threads``) and a wheel's 64-bit one
    (``scipy_openblas_set_num_threads64_``) are both pinned; a library that will not load or
    has neither call is passed over, and the search goes on to the next."""
    import io

    maps = (
        "7f00 r-xp 00 08:01 1 /a/libopenblas_symbols_gone.so\n"
        "7f01 r-xp 00 08:01 2 /b/libopenblas_broken.so.0\n"
        "7f02 r-xp 00 08:01 3 /usr/lib/libopenblas.so.0\n"
        "7f03 r-xp 00 08:01 4 /x/libscipy_openblas64_-ff.so\n"
    )
    libs = {
        "/a/libopenblas_symbols_gone.so": [],
        "/usr/lib/libopenblas.so.0": ["openblas_set_num_threads", "openblas_get_num_threads"],
        "/x/libscipy_openblas64_-ff.so": [
            "scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_",
        ],
    }  # fmt: skip
    made = {}

    def cdll(path):
        if path not in libs:
            raise OSError(f"{path}: cannot open shared object file")
        lib = type("Lib", (), {})()
        for name in libs[path]:
            setattr(lib, name, _Fn())
        made[path] = lib
        return lib

    monkeypatch.setattr(threads, "open", lambda *a, **k: io.StringIO(maps), raising=False)
    monkeypatch.setattr(threads.ctypes, "CDLL", cdll)
    monkeypatch.setattr(threads, "_FUNCS", None)
    found = threads._find()
    system, wheel = made["/usr/lib/libopenblas.so.0"], made["/x/libscipy_openblas64_-ff.so"]
    assert found == [
        (system.openblas_set_num_threads, system.openblas_get_num_threads),
        (wheel.scipy_openblas_set_num_threads64_, wheel.scipy_openblas_get_num_threads64_),
    ]
    assert all(get.restype is threads.ctypes.c_int for _, get in found)


def test_no_process_map_means_nothing_to_pin(monkeypatch):
    def unreadable(*_a, **_k):
        raise OSError("no /proc here")

    monkeypatch.setattr(threads, "open", unreadable, raising=False)
    monkeypatch.setattr(threads, "_FUNCS", None)
    assert threads._find() == []
    with threads.single_blas_thread():
        pass
