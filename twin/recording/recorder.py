"""Writes frames to a ``twin-recording/1`` HDF5 file in SWMR mode.

Everything (groups, datasets, attributes) is created first, then SWMR is switched on; after
that the recorder only resizes, writes and flushes, so a reader can watch the file grow and a
writer killed mid-run leaves a file readable up to its last flush. Appended frames are written
and flushed together at least every ``flush_interval_s`` of wall time (0.5 s by default, so a
1 Hz source is durable within a second of each sample).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

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
    ) -> None:
        self.path = Path(path)
        self.facility = facility
        self.flush_interval_s = flush_interval_s
        self.block_frames = block_frames
        self.counts = facility.counts()
        self.n_frames = 0
        self.n_events = 0
        self._last_flush = time.monotonic()
        self._last_time: float | None = None
        self._written = 0  # frames written to the file (the rest wait in the block buffers)
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
        text = fac.source_text
        if text is None:
            import yaml

            text = yaml.safe_dump(fac.layout.model_dump(mode="json", exclude_none=True))
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
        if slot == self.block_frames - 1:
            self._write_pending()
            self._write_blocks()
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
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
            self._write_pending()
            self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if self._file is None:
            return
        try:
            if self.n_frames % self.block_frames:
                self._write_blocks()  # the last, partial block: history reads skip /frames
            self.flush()
            # last: a file whose tables are cut short afterwards reads as damaged, not short
            self._file.attrs[fmt.CLOSED_FRAMES] = np.int64(self.n_frames)
        finally:
            self._file.close()
            self._file = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
