"""Atomic file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


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
    """``write_text_atomic`` for bytes (a Parquet file, an image)."""
    path = Path(path).resolve()
    folder = path.parent
    clean_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
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
