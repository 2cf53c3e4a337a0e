"""Read a foreign CFD file (VTK, or an OpenFOAM case through VTK) in a child process.

VTK's readers are C++, and a damaged or hostile file can end the process that runs them: a
count the file claims (``NumberOfPoints="3000000000"``, an image extent of 200,000 cells a
side) aborts it with ``std::bad_alloc``, a cell naming a point the file does not hold
segfaults it. Read in Twin's own process, ``twin cfd compare`` ended with no message and the
window's CFD comparison took the window and its unsaved work with it. Here
``cfd_import.read_cfd`` runs in a spawned child: its arrays come back through ``.npy`` files
in a temporary folder, its refusals as they are, and a child that dies becomes a
``CfdImportError`` naming the file, how the reader ended and VTK's last error line.

Tables (``csv_points``) are parsed by Python and read here, without a child. The frozen
bundle runs spawned children (``packaging/twin_main.py`` calls ``freeze_support``).
"""

from __future__ import annotations

import os
import re
import tempfile
import traceback
from collections.abc import Callable
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from twin.cfd.csv_points import TABLE_SUFFIXES
from twin.cfd.source import CfdPoints
from twin.child_exit import exit_text
from twin.render.cfd_import import CfdImportError, read_cfd

#: The arrays of a ``CfdPoints`` that travel as files (the rest goes through the pipe).
ARRAYS = ("points_m", "temp", "velocity_points_m", "velocity_ms")
#: How often the wait looks at the child and at ``cancelled`` (seconds).
POLL_S = 0.2
#: The child's name (multiprocessing's: in its repr and in logs).
NAME = "twin CFD reader"
#: What the child says first, once it is running Twin's code, before it reads the file.
BEGAN = "began"
#: VTK's error lines: "... vtkGenericDataArray.txx:457 ERR| vtkTypeFloat32Array (0x55..):
#: Unable to allocate ...", coloured on a terminal.
_VTK_ERROR = re.compile(r"ERR\|\s*(?:\S+ \(0x[0-9a-fA-F]+\):\s*)?(.*)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class ReadCancelled(RuntimeError):
    """The read was stopped by its caller (``cancelled``) before the file was read."""


def read_cfd_isolated(
    path: str | Path, field: str | None = None, cancelled: Callable[[], bool] | None = None
) -> CfdPoints:
    """``cfd_import.read_cfd`` of ``path`` (``field``: the temperature field to read), run in
    a child process unless the file is a table. A reader that ends its process is a
    ``CfdImportError``; ``cancelled() -> True`` (looked at every ``POLL_S``) kills the child
    and raises ``ReadCancelled``."""
    path = Path(path)
    if path.suffix.lower() in TABLE_SUFFIXES or not path.exists():
        return read_cfd(path, field)  # no VTK: Python's refusals, and no child to start
    with tempfile.TemporaryDirectory(prefix="twin-cfd-read-") as folder:
        return _read_in_child(path, field, Path(folder), cancelled)


def _read_in_child(
    path: Path, field: str | None, folder: Path, cancelled: Callable[[], bool] | None
) -> CfdPoints:
    ctx = get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, str(path), field, str(folder)), name=NAME)
    try:
        child.start()
    finally:
        send.close()  # the child's end: once the child is gone, reading ours gives EOFError
    began = []
    try:
        reply = _wait(child, receive, cancelled, began)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if reply is None:
        raise CfdImportError(_died(path, child.exitcode, folder / "stderr.txt", bool(began)))
    if "error" in reply:
        raise CfdImportError(reply["error"])
    arrays = {
        k: np.load(folder / f"{k}.npy", allow_pickle=False)
        if (folder / f"{k}.npy").exists()
        else None
        for k in ARRAYS
    }
    return CfdPoints(name=reply["name"], others=tuple(reply["others"]), **arrays)


def _wait(
    child, conn: Connection, cancelled: Callable[[], bool] | None, began: list
) -> dict | None:
    """The child's reply, or None when it ended without one; ``began`` gets its word that
    it began reading (``BEGAN``)."""
    while True:
        if cancelled is not None and cancelled():
            raise ReadCancelled("the CFD file's read was cancelled")
        if conn.poll(POLL_S):
            try:
                got = conn.recv()
            except EOFError:  # it ended between saying nothing and closing its end
                return None
            if got != BEGAN:
                return got
            began.append(got)
            continue
        if not child.is_alive() and not conn.poll(0):
            return None


def _died(path: Path, exitcode: int | None, stderr: Path, began: bool = True) -> str:
    """Why the child ended without a reply, in a user's words, with VTK's last error
    (``began``: it had said it began reading; else the file was never read)."""
    how = exit_text(exitcode)
    crashed = exitcode is not None and exitcode < 0
    ended = f"VTK's reader {'crashed' if crashed else 'ended its process'} ({how})"
    if not began:
        return (
            f"{path}: not read: the process Twin reads CFD files in ended before it began ({how})"
        )
    last = _last_vtk_error(stderr)
    said = f"; its last error: {last}" if last else ""
    return f"{path}: cannot be read as VTK: {ended}{said}. The file is damaged or not what it says it holds."


def _last_vtk_error(stderr: Path) -> str:
    """The last error line VTK wrote to the child's stderr, without its colour and prefix."""
    try:
        text = stderr.read_text("utf-8", errors="replace")
    except OSError:
        return ""
    found = [m.group(1).strip() for m in _VTK_ERROR.finditer(_ANSI.sub("", text))]
    found = [f for f in found if f]
    return found[-1][:300].rstrip(".") if found else ""


def _child(conn: Connection, path: str, field: str | None, folder: str) -> None:
    """In the child: read, save the arrays, reply. Its stderr (VTK's error lines) goes to a
    file the parent quotes from when the reader ends the process."""
    fd = os.open(os.path.join(folder, "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(fd, 2)
    os.close(fd)
    conn.send(BEGAN)
    try:
        got = read_cfd(path, field)
        for k in ARRAYS:
            value = getattr(got, k)
            if value is not None:
                np.save(os.path.join(folder, f"{k}.npy"), np.asarray(value), allow_pickle=False)
        reply = {"name": got.name, "others": list(got.others)}
    except CfdImportError as exc:
        reply = {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a reader's failure on a bad file, said as such
        last = traceback.format_exception_only(exc)[-1].strip()
        reply = {"error": f"{path}: cannot be read as CFD ({last})"}
    conn.send(reply)
    conn.close()
