"""``twin plugins --check``: every plugin imported in a child process, not in Twin's own.

A plugin's import can do what no ``except`` catches: call ``os._exit``, crash the interpreter
(a segfault in an extension module), or hang inside C code with the GIL held, so that the
import timeout's thread never gets to give up on it. Imported in the checking process, any of
these took ``twin plugins --check`` down with it and the user got no table at all, the worst
answer when looking for the bad plugin. Here one child imports the plugins one after another
and reports each; when it dies or stops answering, that plugin is failed with what happened
and a fresh child carries on after it. One child, not one per plugin: each start costs a
fresh interpreter, and a healthy set of plugins needs only one.

Children are started with multiprocessing's "spawn" context: the same on every platform, and
the frozen bundle supports it (``packaging/twin_main.py`` calls ``freeze_support()``, which
PyInstaller's runtime hook makes catch a spawned child on every platform).
"""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from twin import plugins
from twin.child_exit import exit_text

#: How long a child may take to start and say it is ready (a fresh interpreter importing
#: ``twin.plugins``: a fraction of a second, longer from a cold frozen bundle).
START_S = 60.0
#: The child process's name (multiprocessing's: in its repr and in logs).
NAME = "twin plugins --check"

#: (group, name, "module:object") of each plugin to check.
Todo = list[tuple[str, str, str]]


class _NoChild(RuntimeError):
    """No child process could be started, or it ended before it was ready."""


def check(
    reg: plugins.PluginRegistry | None = None,
    timeout_s: float | None = None,
    fallback: bool = True,
) -> str:
    """Import every plugin of every group in child processes and record each one's status on
    ``reg`` (this process's registry by default) as ``load`` would: LOADED, or FAILED with its
    error and traceback. ``timeout_s`` defaults to ``TWIN_PLUGIN_IMPORT_S``. Returns '' or,
    where no child could be started at all, a note saying so: the plugins were then imported
    in this process instead (the old way, which a plugin that ends its process still stops),
    or, with ``fallback=False`` (the window, holding unsaved work), not checked."""
    reg = plugins.registry if reg is None else reg
    timeout = plugins.import_timeout_s() if timeout_s is None else timeout_s
    todo = [(i.group, i.name, i.value) for i in reg.infos() if i.group in plugins.GROUPS]
    start = 0
    try:
        while start < len(todo):
            after = _check_in_child(reg, todo, start, timeout)
            if after == start:  # never happens but from outside: do not start children forever
                raise _NoChild("it stopped before it imported any plugin")
            start = after
    except _NoChild as exc:
        if not fallback:
            return f"could not start a process to check plugins in ({exc}): not checked"
        for group, name, _ in todo[start:]:
            try:
                reg.load(group, name)
            except plugins.PluginError:
                continue
        return f"could not start a process to check plugins in ({exc}): checked them in this one"
    return ""


def _check_in_child(reg: plugins.PluginRegistry, todo: Todo, start: int, timeout: float) -> int:
    """Check ``todo[start:]`` in one child; the index to go on from (``len(todo)``: done)."""
    ctx = get_context("spawn")
    try:
        receive, send = ctx.Pipe(duplex=False)
        fd, dump = tempfile.mkstemp(prefix="twin-plugin-check-", suffix=".txt")
        os.close(fd)
    except OSError as exc:  # out of file descriptors, no temporary folder
        raise _NoChild(f"{type(exc).__name__}: {exc}") from exc
    try:
        # not a daemon: a plugin may start processes of its own at import, as it may in Twin
        child = ctx.Process(target=_child, args=(send, todo[start:], dump, timeout), name=NAME)
        child.start()
    except Exception as exc:  # noqa: BLE001 - no process: say why, and the caller falls back
        receive.close()
        os.unlink(dump)
        raise _NoChild(f"{type(exc).__name__}: {exc}") from exc
    finally:
        send.close()  # the child's end: once the child is gone, reading ours gives EOFError
    try:
        _wait_ready(child, receive)
        return start + _follow(_Child(child, receive, Path(dump)), reg, todo[start:], timeout)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
        os.unlink(dump)


@dataclass
class _Child:
    """A child checking plugins: its process, what it says, and where its faulthandler writes
    the Python traceback of a crash or a hang (the one traceback that can come back then)."""

    process: BaseProcess
    conn: Connection
    dump: Path


def _wait_ready(child: BaseProcess, conn: Connection) -> None:
    """Wait for the child's first word: it has started, before any plugin is imported."""
    try:
        if conn.poll(START_S) and conn.recv() == ("ready",):
            return
        why = f"it did not start within {START_S:g} s"
    except EOFError:
        child.join(5)
        why = f"it ended before it was ready (exit code {child.exitcode})"
    raise _NoChild(why)


def _follow(child: _Child, reg: plugins.PluginRegistry, todo: Todo, timeout: float) -> int:
    """Record what the child says of each plugin until it says it is done (``len(todo)``),
    dies, or takes longer than ``timeout`` over one import: then that plugin is failed with
    what happened and the index after it is returned. Between two imports (a thread an earlier
    plugin started killed it) no one is blamed and the next plugin is where to go on."""
    at, busy = 0, False  # the plugin the child is on (busy) or will start next
    while True:
        try:
            message = child.conn.recv() if child.conn.poll(timeout) else None
        except EOFError:
            message = ("died",)
        if message == ("end",):
            return len(todo)
        if message is None or message == ("died",):
            if busy:
                reg.record_deadly(*todo[at][:2], *_what_happened(child, message, timeout))
            return at + 1 if busy else at
        if message[0] == "start":
            at, busy = message[1], True
        else:  # ("done", index, status, error, details)
            reg.record(*todo[at][:2], *message[2:])
            at, busy = at + 1, False


def _what_happened(child: _Child, message: tuple | None, timeout: float) -> tuple[str, str]:
    """Why the child stopped answering in the middle of a plugin's import, in one line, and
    the traceback its faulthandler wrote (none after ``os._exit``)."""
    if message is None:  # its faulthandler dumps the threads as the time runs out: wait for it
        size, deadline = -1, time.monotonic() + 1.0
        while time.monotonic() < deadline:
            now = child.dump.stat().st_size
            if 0 < now == size:  # written, and no longer growing
                break
            size = now
            time.sleep(0.02)
        child.process.kill()
        why = f"its import did not finish within {timeout:g} s (hung?)"
    else:
        child.process.join(5)
        why = _death(child.process.exitcode)
    return why, child.dump.read_text(errors="replace").strip()


def _death(code: int | None) -> str:
    """What an exit code says happened to the child, in words."""
    if code is None:
        return "its import closed the check's connection to its process"
    if code < 0:
        return f"its import crashed the process ({exit_text(code)})"
    return f"its import ended the process ({exit_text(code)})"


def _child(conn: Connection, todo: Todo, dump: str, timeout: float) -> None:
    """In the child: import each plugin in turn, saying ("start", i) before each and
    ("done", i, status, error, details) after it, then ("end",). A crash, or an import still
    running after ``timeout``, writes the Python traceback of every thread to ``dump``."""
    _print_to_stderr()
    with open(dump, "w", encoding="utf-8") as traceback_file:
        faulthandler.enable(traceback_file, all_threads=False)  # the crashing one
        conn.send(("ready",))
        for index, (group, name, value) in enumerate(todo):
            faulthandler.dump_traceback_later(timeout, file=traceback_file)
            conn.send(("start", index))
            result = _import_one(group, name, value)
            faulthandler.cancel_dump_traceback_later()
            conn.send(("done", index, *result))
        conn.send(("end",))
        conn.close()
        faulthandler.disable()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    # not sys.exit: a thread or atexit hook a plugin left behind must not keep it running
    os._exit(0)


def _import_one(group: str, name: str, value: str) -> tuple[str, str, str]:
    """(status, error, details) of one plugin imported here, as ``PluginRegistry.load`` does
    it (on a thread, kind checked); SystemExit and KeyboardInterrupt from it are failures."""
    try:
        plugins.import_checked(EntryPoint(name, value, group), None)
    except BaseException as exc:  # noqa: BLE001 - whatever a plugin raises is its failure
        return (plugins.FAILED, *plugins.describe(exc))
    return plugins.LOADED, "", ""


def _print_to_stderr() -> None:
    """What a plugin prints at import goes to stderr, not into ``--json``'s output."""
    try:
        os.dup2(2, 1)
    except OSError:  # no stderr (a windowed app): leave stdout as it is
        return
    sys.stdout = sys.stderr
