"""Writes frames to a ``twin-recording/1`` HDF5 file in SWMR mode.

Everything (groups, datasets, attributes) is created first, then SWMR is switched on; after
that the recorder only resizes, writes and flushes, so a reader can watch the file grow and a
writer killed mid-run leaves a file readable up to its last flush. Appended frames are written
and flushed together at least every ``flush_interval_s`` of wall time (0.5 s by default, so a
1 Hz source is durable within a second of each sample).

A full disk. HDF5 cannot survive a failed write: the file can then be neither closed nor let
go (its metadata cache is flushed again on close, on garbage collection or when the process
exits, and the process ends with a segmentation fault: ``twin simulate`` onto a full disk
exited 139). So the recorder stops first: before each batch of writes it checks that its
disk has room for them, for the close and ``SPARE_BYTES`` more, and that the file may grow
that far (``ulimit -f``, FAT32's 4 GiB), and when not, closes the file whole (every frame
appended so far) and raises ``RecordingError``. A write that fails anyway (another program
filled the disk between two checks, a disk quota) is a ``RecordingError`` too; that file is kept open and never touched again, and
``end_past_failed_writes`` (which ``twin``'s entry point calls; a script's exit does, with
status 1) ends the process without HDF5's own clean-up. Its frames up to the last flush are
on disk.
"""

from __future__ import annotations

import atexit
import datetime as _dt
import json
import math
import os
import re
import shutil
import struct
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from twin.model.atomic import HDF5_SIGNATURE
from twin.model.frame import METRICS, Event, Frame
from twin.recording import format as fmt
from twin.recording.errors import RecordingError

if TYPE_CHECKING:
    from twin.model.facility import Facility


class _Metric:
    """One metric's frame-row dataset and its pending history block."""

    __slots__ = ("kind", "name", "resolution", "dtype", "frames", "block")

    def __init__(self, kind, name, resolution, dtype, frames, n, block_frames):
        self.kind, self.name, self.resolution, self.dtype = kind, name, resolution, dtype
        self.frames = frames
        self.block = np.empty((block_frames, n), dtype=dtype)


#: Items per slice when a history block is written (bounds the temporary array).
_WRITE_SLICE = 16_384
#: Room left on a recording's disk beyond what its next writes and its close take (HDF5's
#: metadata, the events, other programs' next writes).
SPARE_BYTES = 8 << 20
#: Files whose write failed, with their datasets: held open, unused, until the process ends
#: (HDF5 crashes closing them; see the module docstring).
_FAILED: list[tuple] = []


def end_past_failed_writes(code: int) -> None:
    """End the process now with ``code`` if a recording's write failed in it (and so cannot
    be closed: HDF5's clean-up at exit would end it with a segmentation fault instead, after
    the failure was reported). The standard streams are flushed first. Otherwise returns."""
    if _FAILED:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _end_at_exit() -> None:
    """For a script that records without ``twin``'s entry point (a ``Session`` of its own):
    at its exit, past a failed write, end it with status 1 rather than in HDF5's crash. Its
    log is flushed first; the atexit handlers registered before the failure are skipped."""
    if _FAILED:
        import logging

        logging.shutdown()
        end_past_failed_writes(1)


class Recorder:
    """Append frames of one facility to an HDF5 recording.

    ``Recorder(path, facility)`` creates (or overwrites) the file. Use as a context manager or
    call ``close()``; ``flush()`` forces the written frames to disk.
    """

    def __init__(
        self,
        path: str | Path,
        facility: Facility,
        *,
        flush_interval_s: float = 0.5,
        compression: str = "gzip",
        history_compression: str = "lzf",
        block_frames: int = fmt.BLOCK_FRAMES,
        filled_by_model: tuple[str, ...] = (),
    ) -> None:
        """``filled_by_model``: metrics (``rack/inlet_c``, ...) whose gaps a physics fill
        writes, named in the file so that no reader takes them for measurements."""
        self.path = Path(path)
        self.filled_by_model = tuple(filled_by_model)
        self.facility = facility
        self.flush_interval_s = flush_interval_s
        self.block_frames = block_frames
        self.counts = facility.counts()
        self.n_frames = 0
        self.n_events = 0
        self._last_flush = time.monotonic()
        self._last_time: float | None = None
        self._written = 0  # frames written to the file (the rest wait in the block buffers)
        self._flushed = 0  # frames flushed to disk
        self._times: list[float] = []
        self._events: list[Event] = []
        try:
            self._file = h5py.File(self.path, "w", libver="latest")
        except OSError as exc:
            raise RecordingError(f"cannot create recording {self.path}: {exc}") from None
        try:
            self._create(compression, history_compression)
            self._file.swmr_mode = True
        except Exception:
            self._file.close()
            raise
        short = self._short_of_room()
        if short:  # not a recording of no frames left behind
            self.close()
            self.path.unlink(missing_ok=True)
            raise RecordingError(f"cannot record to {self.path}: {short}")

    # ------------------------------------------------------------------ creation
    def _create(self, compression: str, history_compression: str) -> None:
        self._write_header()
        comp = _filters(compression)
        hcomp = _filters(history_compression)
        self._metrics: list[_Metric] = []
        self._history: dict[str, tuple[h5py.Dataset, list[_Metric]]] = {}
        for kind, metrics in METRICS.items():
            n = self.counts.get(kind, 0)
            if n == 0:
                continue
            group = [
                self._frames_metric(kind, name, unit, res, n, comp) for name, unit, res in metrics
            ]
            history = self._file.create_dataset(
                f"history/{kind}",
                shape=(n, 0),
                maxshape=(n, None),
                chunks=(min(n, fmt.HISTORY_CHUNK_ITEMS), self.block_frames),
                dtype=fmt.history_dtype(kind, metrics),
                **hcomp,
            )
            history.attrs["encoding"] = "deltas along time within each block, per field"
            self._history[kind] = (history, group)
            self._metrics.extend(group)

    def _write_header(self) -> None:
        """The file's attributes, the layout text, and the empty time and event tables."""
        f, fac = self._file, self.facility
        f.attrs["format"] = fmt.FORMAT
        f.attrs["layout_name"] = fac.layout.name
        f.attrs["layout_hash"] = fmt.layout_hash(fac)
        f.attrs["items_hash"] = fmt.items_hash(fac)
        f.attrs["created_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        f.attrs["writer"] = "twin"
        f.attrs["block_frames"] = self.block_frames
        f.attrs["counts_json"] = json.dumps(self.counts)
        # made now (SWMR allows a new value, not a new attribute), set by ``close``
        f.attrs[fmt.CLOSED_FRAMES] = np.int64(-1)
        if self.counts.get("sensor", 0):
            f.attrs["sensors_hash"] = fmt.sensors_hash(fac)
        if self.filled_by_model:
            f.attrs[fmt.FILLED_BY_MODEL] = json.dumps(list(self.filled_by_model))
        text = fac.current_text()  # as edited in the window, not the file as opened
        f.create_dataset("layout", data=text, dtype=h5py.string_dtype("utf-8"))
        f.create_dataset(
            "time_s",
            shape=(0,),
            maxshape=(None,),
            chunks=(fmt.TIME_CHUNK,),
            dtype="f8",
            fillvalue=np.nan,
        )
        f.create_dataset(
            "events",
            shape=(0,),
            maxshape=(None,),
            chunks=(256,),
            dtype=fmt.EVENT_DTYPE,
            compression="gzip",
        )

    def _frames_metric(
        self, kind: str, name: str, unit: str, res: float, n: int, comp: dict
    ) -> _Metric:
        """The empty (time x item) frames dataset of one metric, in scaled integers."""
        dt = fmt.storage_dtype(kind, name, unit, res)
        missing = np.iinfo(dt).min
        frames = self._file.create_dataset(
            f"frames/{kind}/{name}",
            shape=(0, n),
            maxshape=(None, n),
            chunks=(1, min(n, fmt.FRAME_CHUNK_ITEMS)),
            dtype=dt,
            fillvalue=missing,
            **comp,
        )
        frames.attrs.update({"units": unit, "resolution": res, "missing": missing, "kind": kind})
        return _Metric(kind, name, res, dt, frames, n, self.block_frames)

    @property
    def last_time_s(self) -> float | None:
        """Time of the last appended frame (None before the first)."""
        return self._last_time

    # ------------------------------------------------------------------ writing
    def append(self, frame: Frame) -> None:
        """Add one frame (its metrics and its events). Times must not go backwards.

        Rows are encoded at once and written to the file in batches: at every flush (at
        least every ``flush_interval_s``) and whenever a history block fills.
        """
        if self._file is None:
            raise RecordingError(f"recording {self.path} is closed")
        t = float(frame.time_s)
        if not math.isfinite(t):
            raise RecordingError(f"frame time {t} is not a number; not written to {self.path}")
        if self._last_time is not None and t < self._last_time:
            raise RecordingError(
                f"frame time {t} is before the previous frame ({self._last_time}) in {self.path}"
            )
        slot = self.n_frames % self.block_frames
        for m in self._metrics:
            values = frame.group(m.kind).get(m.name)
            n = m.block.shape[1]
            if values is None:
                m.block[slot] = np.iinfo(m.dtype).min
            elif np.shape(values) != (n,):
                raise RecordingError(
                    f"frame {m.kind}.{m.name} has shape {np.shape(values)}, the layout has {n}"
                )
            else:
                m.block[slot] = fmt.encode(values, m.resolution, m.dtype)
        self._times.append(t)
        self._events.extend(frame.events)
        self.n_frames += 1
        self._last_time = t
        block_full = slot == self.block_frames - 1
        flush_due = time.monotonic() - self._last_flush >= self.flush_interval_s
        if block_full or flush_due:
            self._stop_if_short_of_room()
        if block_full:
            with self._writing():
                self._write_pending()
                self._write_blocks()
        if flush_due:
            self.flush()

    def _write_pending(self) -> None:
        """Write the rows appended since the last write; the time axis goes last, so a reader
        never sees a time without its values."""
        a, b = self._written, self.n_frames
        if b > a:
            s0 = a % self.block_frames
            s1 = s0 + (b - a)
            for m in self._metrics:
                m.frames.resize(b, axis=0)
                m.frames[a:b] = m.block[s0:s1]
        if self._events:
            self._write_events(self._events)
            self._events = []
        if b > a:
            ts = self._file["time_s"]
            ts.resize(b, axis=0)
            ts[a:b] = self._times
            self._times = []
            self._written = b

    def _write_blocks(self) -> None:
        """Write the block buffer to the history; a partial block (at close) is padded with
        its last row, which the reader never returns (it stops at the time axis)."""
        a = (self.n_frames - 1) // self.block_frames * self.block_frames
        b = a + self.block_frames
        filled = self.n_frames - a
        if filled < self.block_frames:
            for m in self._metrics:
                m.block[filled:] = m.block[filled - 1]
        for history, group in self._history.values():
            n = history.shape[0]
            history.resize(b, axis=1)
            for lo in range(0, n, _WRITE_SLICE):
                hi = min(n, lo + _WRITE_SLICE)
                arr = np.empty((hi - lo, self.block_frames), dtype=history.dtype)
                for m in group:
                    arr[m.name] = fmt.delta_encode(m.block[:, lo:hi].T)
                history[lo:hi, a:b] = arr

    def _write_events(self, events: list[Event]) -> None:
        rows = np.zeros(len(events), dtype=fmt.EVENT_DTYPE)
        rows["time_s"] = [e.time_s for e in events]
        rows["kind"] = [_clip(str(e.kind), 24) for e in events]
        rows["item"] = [_clip(e.item, 96) for e in events]
        rows["message"] = [_clip(e.message, 256) for e in events]
        rows["severity"] = [e.severity for e in events]
        ds = self._file["events"]
        ds.resize(self.n_events + len(events), axis=0)
        ds[self.n_events :] = rows
        self.n_events += len(events)

    def flush(self) -> None:
        """Write every appended frame and make it durable and visible to SWMR readers."""
        if self._file is not None:
            self._stop_if_short_of_room()
            self._flush()
        self._last_flush = time.monotonic()

    def _flush(self) -> None:
        with self._writing():
            self._write_pending()
            self._file.flush()
        self._flushed = self._written

    def close(self) -> None:
        if self._file is None:
            return
        with self._writing():
            if self.n_frames % self.block_frames:
                self._write_blocks()  # the last, partial block: history reads skip /frames
        self._flush()
        with self._writing():
            # last: a file whose tables are cut short afterwards reads as damaged, not short
            self._file.attrs[fmt.CLOSED_FRAMES] = np.int64(self.n_frames)
            self._file.close()
        self._file = None

    # ------------------------------------------------------------------ a full disk
    def _next_writes_bytes(self) -> int:
        """At most what the next batch of writes and the close write, uncompressed: the
        frames not yet written, one history block, the pending events."""
        rows = self.n_frames - self._written
        frame_bytes = sum(m.block.shape[1] * m.block.itemsize for m in self._metrics)
        block = sum(
            h.shape[0] * self.block_frames * h.dtype.itemsize for h, _ in self._history.values()
        )
        return rows * frame_bytes + block + len(self._events) * fmt.EVENT_DTYPE.itemsize

    def _short_of_room(self) -> str:
        """Why the file cannot take the next writes and the close: its disk too full, or a
        limit on its size too near ("": it can, or neither can be read)."""
        need = self._next_writes_bytes() + SPARE_BYTES
        try:
            free = shutil.disk_usage(self.path.parent).free
            size = self.path.stat().st_size
        except OSError:
            return ""
        if free < need:
            have, want = _sizes(free, need)
            return f"only {have} free on its disk, less than the {want} its next writes and closing need"
        limit, what = file_size_limit(self.path)
        if limit is not None and size + need > limit:
            return (
                f"it is {_mb(size)}, its next writes and closing may add {_mb(need)}, and it "
                f"may not grow past {_mb(limit)} ({what})"
            )
        return ""

    def _stop_if_short_of_room(self) -> None:
        """Close the file whole and raise ``RecordingError`` when its disk is nearly full."""
        short = self._short_of_room()
        if short:
            self.close()
            raise RecordingError(
                f"{self.path}: {short}; the recording was closed with its {self.n_frames} frames"
            )

    @contextmanager
    def _writing(self):
        """HDF5 writes: one that fails leaves the file unclosable (module docstring), so the
        file is set aside for good and the failure raised as ``RecordingError``."""
        try:
            yield
        except (OSError, RuntimeError) as exc:
            if not _FAILED:
                atexit.register(_end_at_exit)
            _FAILED.append((self._file, self._metrics, self._history))
            self._file = None
            extend_to_stored_eof(self.path)
            raise RecordingError(
                f"writing {self.path} failed ({_why(exc)}); its first {self._flushed} frames "
                "(to the last flush) are on disk"
            ) from None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


#: Where a version 2 or 3 superblock (``libver="latest"``) keeps its end-of-file address
#: (8 bytes, little-endian, after the base and extension addresses).
_EOF_AT = 28


def extend_to_stored_eof(path: Path) -> None:
    """Lengthen a file whose write failed to the end its superblock records. The superblock
    of its last flush may record space that the failed write never filled, and HDF5 refuses
    to open a file shorter than that ("truncated file"): lengthened (a sparse hole, no disk
    space taken), the file reads to its last flush. Best effort: anything odd is left alone."""
    try:
        with open(path, "r+b") as f:
            head = f.read(_EOF_AT + 8)
            if head[:8] != HDF5_SIGNATURE or head[8] not in (2, 3) or head[9] != 8:
                return
            (stored,) = struct.unpack_from("<Q", head, _EOF_AT)
            size = f.seek(0, os.SEEK_END)
            if size < stored <= size + (1 << 30):
                f.truncate(stored)
    except OSError:
        pass


def file_size_limit(path: Path) -> tuple[int | None, str]:
    """The largest a file at ``path`` may grow, and why: the process's file-size limit
    (``ulimit -f``; a write past it fails, EFBIG) or its file system's (FAT32: 4 GiB). (None,
    "") when neither limits it below what a 64-bit offset holds."""
    limits = []
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY:
            limits.append((soft, "the file-size limit of this process, ulimit -f"))
    except (ImportError, OSError, ValueError):  # no resource module (Windows)
        pass
    try:
        bits = os.pathconf(path.parent, "PC_FILESIZEBITS")
    except (OSError, ValueError, AttributeError):
        bits = 64
    if 0 < bits < 64:
        limits.append(((1 << bits) - 1, "the largest file its file system holds"))
    return min(limits) if limits else (None, "")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def _sizes(a: int, b: int) -> tuple[str, str]:
    """Two sizes in MB, or in kB where MB to one decimal would show them alike."""
    if _mb(a) != _mb(b):
        return _mb(a), _mb(b)
    return f"{a / 1024:,.0f} kB", f"{b / 1024:,.0f} kB"


def _why(exc: BaseException) -> str:
    """The reason in HDF5's long write error ("error message = 'No space left on device'"),
    else the error's first line."""
    text = str(exc)
    found = re.search(r"error message = '([^']*)'", text)
    if found:
        return found.group(1)
    return text.splitlines()[0][:200] if text.strip() else type(exc).__name__


def _filters(name: str) -> dict:
    if name in ("none", "", None):
        return {}
    if name == "gzip":
        return {"compression": "gzip", "compression_opts": 1, "shuffle": True}
    if name == "lzf":
        return {"compression": "lzf", "shuffle": True}
    raise ValueError(f"unknown compression {name!r} (use lzf, gzip or none)")


def _clip(text: str, n: int) -> bytes:
    raw = text.encode("utf-8")[:n]
    return raw.decode("utf-8", "ignore").encode("utf-8")
