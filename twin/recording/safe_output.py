"""Where ``twin record`` and ``twin simulate`` write, so that no existing file loses a byte.

- A new file is written in place (so it can be watched while it grows, and a crash keeps what
  was flushed); if the run ends with no frames, it is removed again.
- An existing recording is replaced only with ``force``, and only once the new one has data:
  until then the new one grows in a partial file beside it (same folder, so the final rename is
  atomic), and a run with no frames leaves the old file untouched.
- Anything that is not an HDF5 file (a layout, a notes file) and the command's own inputs are
  never written over, ``force`` or not.
- Partial files left by a run that was killed are removed by the next run to the same target.
"""

from __future__ import annotations

import os
from pathlib import Path

from twin.model.atomic import is_hdf5, process_alive


class OutputRefused(Exception):
    """The output may not be written where asked; the message says why and what to do."""


class SafeOutput:
    """The path a recorder should write (``path``) for a requested ``target``; ``finish(frames)``
    then puts the result in place or takes it away. Raises ``OutputRefused`` when the target
    must not be written."""

    def __init__(self, target: str | Path, *, force: bool = False, inputs=()):
        self.target = Path(target)
        self.removed_stale: list[Path] = self._clean_stale()
        resolved = self.target.resolve()
        for other in inputs:
            if other is not None and Path(other).resolve() == resolved:
                raise OutputRefused(
                    f"{self.target} is also an input of this command; "
                    "choose another output file (-o)"
                )
        self.replacing = self.target.exists()
        if self.replacing:
            if not self.target.is_file():
                raise OutputRefused(f"{self.target} exists and is not a file")
            if not is_hdf5(self.target):
                raise OutputRefused(
                    f"{self.target} exists and is not a recording (not HDF5): it will not be "
                    "written over, --force or not; choose another output file"
                )
            if not force:
                raise OutputRefused(
                    f"{self.target} already exists; use --force to replace it (it is replaced "
                    "only once the new recording has data)"
                )
            self.path = self.target.with_name(f".{self.target.name}.{os.getpid()}.partial")
        else:
            self.path = self.target
        self.done = False

    def _partials(self) -> list[Path]:
        folder = self.target.parent if str(self.target.parent) else Path(".")
        try:
            return list(folder.glob(f".{self.target.name}.*.partial"))
        except OSError:
            return []

    def _clean_stale(self) -> list[Path]:
        removed = []
        for p in self._partials():
            pid = p.name[len(self.target.name) + 2 : -len(".partial")]
            if pid.isdigit() and not process_alive(int(pid)):
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
        return removed

    def finish(self, frames: int) -> str:
        """Put the written file in place if it has ``frames``; otherwise remove it and keep
        whatever was at the target. Returns a sentence saying what happened."""
        if self.done:
            return ""
        self.done = True
        if frames <= 0:
            self._remove(self.path)
            if self.replacing:
                return f"no frames: {self.target} left as it was"
            return f"no frames: {self.target} not written"
        if self.path != self.target:
            os.replace(self.path, self.target)
            _fsync_folder(self.target.parent)
            return f"replaced {self.target}"
        return f"wrote {self.target}"

    def discard(self) -> None:
        """Drop a partial replacement (the target keeps its old content). A new file is kept:
        what was recorded before a failure is worth having."""
        if not self.done and self.path != self.target:
            self.done = True
            self._remove(self.path)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
