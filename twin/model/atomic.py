"""Atomic file writes: a reader sees the old file or the new one, never half of either; and
the checks that keep an output from landing on what it must not replace (``check_target``)."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_USERBLOCK_OFFSETS = (0, 512, 1024, 2048, 4096)


class OutputError(OSError):
    """An output that may not be written where asked; the message names it and says why."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


def is_hdf5(path: str | Path) -> bool:
    """HDF5's signature at the start or after a user block (where the library looks for it)."""
    try:
        with open(path, "rb") as f:
            for off in _USERBLOCK_OFFSETS:
                f.seek(off)
                if f.read(8) == HDF5_SIGNATURE:
                    return True
    except OSError:
        return False
    return False


def is_stream(path: str | Path) -> bool:
    """A character device or a FIFO (``-o /dev/null``, a pipe): written straight through,
    never replaced by a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def check_target(path: str | Path, inputs: Iterable[str | Path | None] = ()) -> Path:
    """Refuse, before any work, an output that cannot or must not be written: a folder, a
    missing or read-only folder, a read-only file, one of the command's ``inputs``, or a
    recording (HDF5), which no text output replaces. Raises ``OutputError``; returns the
    path."""
    path = Path(path)
    if is_stream(path):
        return path
    if path.is_dir():
        raise OutputError(errno.EISDIR, f"{path} is a folder; give a file name", str(path))
    folder = path.parent  # Path("x").parent is "."
    if not folder.is_dir():
        raise OutputError(errno.ENOENT, f"{path}: no folder {folder}", str(path))
    resolved = path.resolve()
    for other in inputs:
        if other is not None and Path(other).resolve() == resolved:
            raise OutputError(
                errno.EEXIST,
                f"{path} is also an input of this command; choose another output file",
                str(path),
            )
    if path.exists():
        if not path.is_file():
            raise OutputError(errno.EEXIST, f"{path} exists and is not a file", str(path))
        if is_hdf5(path):
            raise OutputError(
                errno.EEXIST,
                f"{path} is an HDF5 file (a recording?); it is not written over: choose "
                "another output file",
                str(path),
            )
        if not os.access(path, os.W_OK):
            raise OutputError(errno.EACCES, f"{path} is read-only", str(path))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(errno.EACCES, f"{path}: cannot write in folder {folder}", str(path))
    return path


def write_text_atomic(
    path: str | Path, text: str, verify: Callable[[Path], None] | None = None
) -> None:
    """Write ``text`` to a temp file beside ``path``, fsync it, run ``verify(temp_path)``
    (which raises to refuse), then ``os.replace`` it over ``path`` and fsync the folder.
    An existing file's permissions are kept; a new file gets the umask's."""
    write_bytes_atomic(path, text.encode("utf-8"), verify)


def write_bytes_atomic(
    path: str | Path, data: bytes, verify: Callable[[Path], None] | None = None
) -> None:
    """``write_text_atomic`` for bytes (a Parquet file, an image). A character device or a
    FIFO is written straight through (``-o /dev/null``), not replaced by a file; a recording
    (HDF5) is not replaced by anything else (``check_target``)."""
    given = Path(path)
    if is_stream(given):
        with open(given, "wb") as f:
            f.write(data)
        return
    if given.is_dir() or (
        given.is_file() and is_hdf5(given) and not data.startswith(HDF5_SIGNATURE)
    ):
        check_target(given)  # raises, naming it (a folder; a recording)
    path = given.resolve()
    folder = path.parent
    clean_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:  # named by the target, not the temp file nobody asked for
        why = exc.strerror or str(exc)
        raise OutputError(
            exc.errno or errno.EIO, f"cannot write {given}: {why}", str(given)
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if verify is not None:
            verify(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def clean_stale_temps(path: str | Path) -> list[Path]:
    """Remove temp files beside ``path`` left by writers that were killed mid-write (their
    process is gone); a live writer's temp file is left alone. Returns what was removed."""
    path = Path(path)
    removed = []
    prefix = f".{path.name}."
    try:
        candidates = list(path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        pid = tmp.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (one we may not signal counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
