"""Reads ``twin-recording/1`` files: one frame at any time, one item's history, events.

The time axis is read once (and only its new tail on ``refresh``), so seeking is a binary
search, never a scan from the start. Files are opened in SWMR mode, so a recording that is
still being written (or whose writer died) reads up to its last flush.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import h5py
import numpy as np

from twin.model.frame import METRICS, Event, EventKind, Frame
from twin.recording import format as fmt
from twin.recording import hdf5_capi, heap_check
from twin.recording.errors import LayoutMismatch, RecordingError, RecordingFormatError

if TYPE_CHECKING:
    from twin.model.catalog import Catalog
    from twin.model.facility import Facility

_READ_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError)
#: Metadata read attempts of a SWMR reader (HDF5's default, 100 with back-off, can take
#: minutes on a damaged file).
SWMR_READ_ATTEMPTS = 4


#: The dates a recording's frames may carry (seconds since 1970): 1900 to 2200. Times past
#: them (a damaged /time_s: 1e300, -1e12) ended commands in OverflowError or "year -29719"
#: tracebacks where they became dates, and a gap of 1e11 s a report in MemoryError.
EARLIEST_S = -2_208_988_800.0
LATEST_S = 7_258_118_400.0


def open_recording(path: str | Path) -> Recording:
    """Open a recording for reading, or raise ``RecordingError`` saying why not."""
    return Recording(path)


class Recording:
    """A recording opened for reading. Close it (or use ``with``) when done."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RecordingError(f"{self.path}: {_not_a_file(self.path)}")
        self._file = _open_hdf5(self.path)
        try:
            self._read_header()
        except RecordingError:
            self._file.close()
            raise
        except (*_READ_ERRORS, AttributeError) as exc:
            self._file.close()
            raise RecordingError(f"{self.path}: damaged recording: {exc}") from None

    # ------------------------------------------------------------------ header
    def _read_header(self) -> None:
        f = self._file
        self.format = self._format_tag()
        self.layout_name = str(f.attrs.get("layout_name", ""))
        self.layout_hash = str(f.attrs.get("layout_hash", ""))
        self.items_hash = str(f.attrs.get("items_hash", ""))
        self.sensors_hash = str(f.attrs.get("sensors_hash", ""))
        self.created_utc = str(f.attrs.get("created_utc", ""))
        #: Damage that does not stop reading (dropped events, impossible times), for the user.
        self.warnings: list[str] = []
        self.block_frames = _whole(
            f.attrs.get("block_frames", fmt.BLOCK_FRAMES), 1, 1 << 20, self.path, "block_frames"
        )
        self.counts = _counts(f.attrs.get("counts_json"), self.path)
        #: the frame count the recorder closed the file with (None: still open, killed, or
        #: written before the attribute): tables shorter than it were cut short afterwards
        self.closed_frames = _closed_frames(f.attrs.get(fmt.CLOSED_FRAMES), self.path)
        for name in ("layout", "time_s", "events"):
            if name not in f:
                raise RecordingError(f"{self.path}: missing dataset /{name}")
        self._time_ds = _table(f["time_s"], self.path, "/time_s", ndim=1)
        if self._time_ds.dtype.kind != "f":
            raise RecordingError(f"{self.path}: /time_s holds {self._time_ds.dtype}, not times")
        self._events_ds = _table(f["events"], self.path, "/events", ndim=1)
        missing = set(_EVENT_FIELDS) - set(self._events_ds.dtype.names or ())
        if missing:
            raise RecordingError(
                f"{self.path}: /events is not an events table (no {', '.join(sorted(missing))})"
            )
        self._open_metrics()
        #: metrics ("rack/inlet_c", ...) whose gaps a physics fill wrote: not all measured
        self.filled_by_model = _filled_by_model(
            f.attrs.get(fmt.FILLED_BY_MODEL), self.metrics, self.warnings
        )
        self._times = np.zeros(0)
        self._events: list[Event] = []
        self._event_times = np.zeros(0)
        self._n_event_rows = 0
        self.refresh()

    def _format_tag(self) -> str:
        """The file's format tag, once it is known to be a Twin recording this Twin reads."""
        tag = fmt.format_tag(self._file.attrs.get("format"))
        if not fmt.is_twin_tag(tag):
            raise RecordingFormatError(f"{self.path}: not a Twin recording (format {tag!r})")
        version = tag.partition("/")[2]
        if not version.isdigit():
            raise RecordingFormatError(f"{self.path}: unknown recording format {tag!r}")
        if int(version) > fmt.FORMAT_VERSION:
            raise RecordingFormatError(
                f"{self.path}: written by a newer Twin (format {tag}); this Twin reads "
                f"{fmt.FORMAT}. Update Twin to open it."
            )
        return tag

    def _open_metrics(self) -> None:
        """Find each recorded kind's history table and each metric's frames dataset, checking
        their shapes against the header."""
        f = self._file
        #: (kind, metric) -> (frames dataset, resolution, unit)
        self._ds: dict[tuple[str, str], tuple[h5py.Dataset, float, str]] = {}
        #: kind -> (history dataset, {metric: its field})
        self._hist: dict[str, tuple[h5py.Dataset, dict[str, str]]] = {}
        self.metrics: dict[str, list[tuple[str, str, float]]] = {}
        for kind, metrics in METRICS.items():
            n = self.counts.get(kind, 0)
            if n == 0:
                continue
            if f"history/{kind}" not in f:
                raise RecordingError(f"{self.path}: missing dataset /history/{kind}")
            history = f[f"history/{kind}"]
            if not isinstance(history, h5py.Dataset) or history.dtype.names is None:
                raise RecordingError(f"{self.path}: /history/{kind} is not a history table")
            fields = history.dtype.names
            order = {m: m for m in fields}
            if history.ndim != 2 or history.shape[0] != n:
                raise RecordingError(
                    f"{self.path}: /history/{kind} has shape {history.shape}, header says {n} items"
                )
            chunks = history.chunks
            if chunks is not None and chunks[1] != self.block_frames:
                # the deltas are decoded per block: another block length reads every item's
                # history wrong (58 K off) without an error
                raise RecordingError(
                    f"{self.path}: /history/{kind} is stored in blocks of {chunks[1]} frames, "
                    f"the header's block_frames says {self.block_frames}"
                )
            self._hist[kind] = (history, order)
            for name, unit, res in metrics:
                key = f"{kind}/{name}"
                if f"frames/{key}" not in f or name not in order:
                    raise RecordingError(f"{self.path}: missing dataset for metric {key}")
                frames = _frames_table(f, self.path, key, n)
                res = _resolution(frames.attrs.get("resolution", res), self.path, key, res)
                unit = str(frames.attrs.get("units", unit))
                self._ds[(kind, name)] = (frames, res, unit)
                self.metrics.setdefault(kind, []).append((name, unit, res))

    # ------------------------------------------------------------------ growth
    def refresh(self) -> int:
        """Pick up frames and events flushed since the last call; returns new frame count."""
        try:
            return self._refresh()
        except _READ_ERRORS as exc:
            raise RecordingError(f"{self.path}: cannot read: {exc}") from None

    def _refresh(self) -> int:
        old = len(self._times)
        for ds in (self._time_ds, self._events_ds, *(d[0] for d in self._ds.values())):
            ds.refresh()
        n = self._time_ds.shape[0]
        for frames, *_ in self._ds.values():
            n = min(n, frames.shape[0])
        if old == 0 and self.closed_frames is not None and n < self.closed_frames:
            tables = [("/time_s", self._time_ds)]
            tables += [(f"/frames/{k}/{m}", ds) for (k, m), (ds, *_) in self._ds.items()]
            self.warnings.append(_cut_note(tables, self.closed_frames, n))
        if n > old:
            tail = np.asarray(self._time_ds[old:n], dtype=np.float64)
            ok = np.isfinite(tail)
            if not ok.all():  # a row resized but never written: stop before it
                first = int(np.argmin(ok))
                if ok[first:].any():  # but a row with no time between written ones is damage
                    raise RecordingError(
                        f"{self.path}: damaged time axis (/time_s): frame {old + first} has no "
                        f"time ({tail[first]}) but frame {old + first + int(np.argmax(ok[first:]))} "
                        "after it has one"
                    )
                tail = tail[:first]
            outside = np.flatnonzero((tail < EARLIEST_S) | (tail > LATEST_S))
            if len(outside):
                k = int(outside[0])
                raise RecordingError(
                    f"{self.path}: damaged time axis (/time_s): frame {old + k} is at "
                    f"{tail[k]:.6g} s, not a date between 1900 and 2200"
                )
            joined = np.concatenate([self._times[-1:], tail])
            back = np.flatnonzero(np.diff(joined) < 0)
            if len(back):
                j = int(back[0])
                k = old + j + (0 if old else 1)  # the frame that goes back
                raise RecordingError(
                    f"{self.path}: damaged time axis: frame {k} ({float(joined[j + 1])} s) is "
                    f"before frame {k - 1} ({float(joined[j])} s)"
                )
            self._times = np.concatenate([self._times, tail])
        ne = self._events_ds.shape[0]
        if ne > self._n_event_rows:
            rows = self._events_ds[self._n_event_rows : ne]
            self._n_event_rows = ne
            events = [e for e in (_event(r) for r in rows) if e is not None]
            if len(events) < len(rows):
                self.warnings.append(
                    f"{len(rows) - len(events)} damaged event(s) in /events skipped"
                )
            self._events.extend(events)
            self._events.sort(key=lambda e: e.time_s)  # stable: sources may send late events
            self._event_times = np.array([e.time_s for e in self._events])
        return len(self._times) - old

    # ------------------------------------------------------------------ summary
    @property
    def times(self) -> np.ndarray:
        """The time axis (seconds since the epoch), one entry per frame."""
        return self._times

    @property
    def n_frames(self) -> int:
        return len(self._times)

    @property
    def start_s(self) -> float:
        return float(self._times[0]) if len(self._times) else float("nan")

    @property
    def end_s(self) -> float:
        return float(self._times[-1]) if len(self._times) else float("nan")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s if len(self._times) else 0.0

    @property
    def events(self) -> list[Event]:
        return list(self._events)

    @property
    def layout_text(self) -> str:
        raw = self._file["layout"][()]
        return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size

    @property
    def n_samples(self) -> int:
        """Stored values: frames x (items x metrics) summed over kinds."""
        per_frame = sum(self.counts.get(k, 0) * len(m) for k, m in self.metrics.items())
        return self.n_frames * per_frame

    @property
    def bytes_per_sample(self) -> float:
        return self.size_bytes / self.n_samples if self.n_samples else float("nan")

    def units(self, kind: str, metric: str) -> str:
        return self._ds[(kind, metric)][2]

    def resolution(self, kind: str, metric: str) -> float:
        return self._ds[(kind, metric)][1]

    # ------------------------------------------------------------------ layout
    def facility(self, catalog: Catalog | None = None) -> Facility:
        """The layout embedded in the recording, loaded and validated; ``LayoutMismatch``
        when its items do not line up with the recorded ones (a /layout swapped or edited
        after recording: its arrays would be read against the wrong racks and GPUs)."""
        from twin.model.loader import facility_from_text

        fac = facility_from_text(self.layout_text, f"{self.path}:/layout", catalog)
        if self.items_hash and not self.matches(fac):
            raise LayoutMismatch(
                f"{self.path}: the layout embedded in the recording ({fac.layout.name!r}) "
                "does not line up with the recorded data: its racks, units, GPUs or sensors "
                "differ from those the header's hashes name (an edited or swapped /layout); "
                "give the layout it was recorded with"
            )
        return fac

    def matches(self, facility: Facility) -> bool:
        """True when the recording's items line up with ``facility``'s index order (its point
        sensors too, where it holds any)."""
        if fmt.items_hash(facility) != self.items_hash:
            return False
        return not self.counts.get("sensor", 0) or fmt.sensors_hash(facility) == self.sensors_hash

    def check_layout(self, facility: Facility) -> None:
        """Raise ``LayoutMismatch`` if the recording was made for a different layout."""
        if not self.matches(facility):
            raise LayoutMismatch(
                f"{self.path} was recorded for layout {self.layout_name!r}, whose racks, units "
                f"or GPUs differ from {facility.layout.name!r}; open the recording's own layout"
            )

    # ------------------------------------------------------------------ frames
    def parse_time(self, text: str) -> float:
        """A time the user typed, as seconds since the epoch (see ``twin.recording.times``):
        ``12:30`` is mm:ss into the recording, ``+90s`` / ``5m`` from its start, an ISO 8601
        time or epoch seconds is absolute. Raises ``ValueError`` naming the accepted forms."""
        from twin.recording.times import parse_at

        return parse_at(text, self.start_s if len(self._times) else 0.0)

    def index_at(self, t: float) -> int:
        """Index of the last frame at or before ``t`` (the first frame if ``t`` is earlier)."""
        if not len(self._times):
            raise RecordingError(f"{self.path}: the recording has no frames yet")
        i = int(np.searchsorted(self._times, t, side="right")) - 1
        return min(max(i, 0), len(self._times) - 1)

    def frame_at(self, t: float, kinds: tuple[str, ...] | None = None) -> Frame:
        """The frame in effect at time ``t`` (seconds since the epoch)."""
        return self.frame(self.index_at(t), kinds)

    def frame(self, i: int, kinds: tuple[str, ...] | None = None) -> Frame:
        """Frame number ``i`` with the events since the previous frame (all before frame 0)."""
        n = len(self._times)
        if not -n <= i < n:
            raise IndexError(f"frame {i} out of range (recording has {n})")
        i %= n
        frame = Frame(time_s=float(self._times[i]))
        try:
            for (kind, name), (frames, res, _) in self._ds.items():
                if kinds is None or kind in kinds:
                    frame.group(kind)[name] = fmt.decode(frames[i], res)
        except _READ_ERRORS as exc:
            raise RecordingError(f"{self.path}: cannot read frame {i}: {exc}") from None
        lo = self._times[i - 1] if i > 0 else -np.inf
        frame.events = self.events_between(lo, self._times[i])
        return frame

    def events_between(self, t0: float, t1: float) -> list[Event]:
        """Events with ``t0 < time <= t1``."""
        a = int(np.searchsorted(self._event_times, t0, side="right"))
        b = int(np.searchsorted(self._event_times, t1, side="right"))
        return self._events[a:b]

    # ------------------------------------------------------------------ history
    def history(
        self,
        kind: str,
        index: int,
        metrics: list[str] | tuple[str, ...] | None = None,
        t0: float | None = None,
        t1: float | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One item's values over time: ``(times, {metric: values})`` for ``t0 <= t <= t1``."""
        n = len(self._times)
        if not any(k == kind for k, _ in self._ds):
            raise KeyError(f"no {kind} metrics in {self.path}")
        a = 0 if t0 is None else int(np.searchsorted(self._times, t0, side="left"))
        b = n if t1 is None else int(np.searchsorted(self._times, t1, side="right"))
        if not 0 <= index < self.counts.get(kind, 0):
            raise IndexError(f"{kind} {index} out of range ({self.counts.get(kind, 0)} items)")
        names = list(metrics or [m for k, m in self._ds if k == kind])
        for name in names:
            if (kind, name) not in self._ds:
                raise KeyError(f"no metric {kind}.{name} in {self.path}")
        try:
            out = self._item_history(kind, names, index, a, b)
        except _READ_ERRORS as exc:
            raise RecordingError(
                f"{self.path}: cannot read history of {kind} {index}: {exc}"
            ) from None
        return self._times[a:b], out

    def metric_rows(
        self, kind: str, name: str, step: int = 1, chunk_rows: int = 256
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every ``step``-th frame of one metric for all items: ``(times, (T, items) float32)``,
        read in chunks of whole frame rows, so memory is the output's."""
        if (kind, name) not in self._ds:
            raise KeyError(f"no metric {kind}.{name} in {self.path}")
        if step < 1:
            raise ValueError(f"step must be at least 1, got {step}")
        frames, res, _ = self._ds[(kind, name)]
        n = len(self._times)
        out = []
        try:
            frames.refresh()
            for a in range(0, n, chunk_rows * step):
                b = min(n, a + chunk_rows * step)
                out.append(fmt.decode(frames[a:b][::step], res))
        except _READ_ERRORS as exc:
            raise RecordingError(f"{self.path}: cannot read {kind}.{name}: {exc}") from None
        rows = np.concatenate(out) if out else np.zeros((0, self.counts.get(kind, 0)), np.float32)
        return self._times[:n:step], rows

    def _item_history(
        self, kind: str, names: list[str], index: int, a: int, b: int
    ) -> dict[str, np.ndarray]:
        if b <= a:
            return {name: np.zeros(0, dtype=np.float32) for name in names}
        history, _ = self._hist[kind]
        history.refresh()
        bf = self.block_frames
        n_hist = history.shape[1]  # whole blocks; a closed file's last one may be padded
        if b <= min(n_hist, len(self._times)):
            indexed = b  # all in the history (a padded last block is read, then cut)
            hi = min(n_hist, -(-b // bf) * bf)
        else:  # a growing file: whole blocks, then the newest frames from /frames
            indexed = hi = min(n_hist, b) // bf * bf
        lo = a // bf * bf
        blocks = None
        if indexed > a:  # one read for every metric: one chunk per block
            blocks = history[index, lo:hi]
        start = max(a, indexed)
        out = {}
        for name in names:
            frames, res, _ = self._ds[(kind, name)]
            parts = []
            if blocks is not None:
                parts.append(fmt.delta_decode(blocks[name], bf)[a - lo : indexed - lo])
            if start < b:  # the tail not yet in a history block: from the frame rows
                frames.refresh()
                parts.append(frames[start:b, index])
            out[name] = fmt.decode(np.concatenate(parts), res)
        return out

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _not_a_file(path: Path) -> str:
    """Why ``path`` is no recording file to open: missing, a folder, or another kind of node."""
    try:
        st = path.stat()
    except OSError as exc:  # missing, a symbolic link loop, no permission on a folder above
        return "no such recording file" if not path.is_symlink() else f"cannot read: {exc.strerror}"
    if path.is_dir():
        return "is a folder, not a recording file"
    import stat

    kind = next(
        (
            name
            for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))
            if test(st.st_mode)
        ),
        "a device",
    )
    return f"is {kind}, not a recording file"


def _open_hdf5(path: Path) -> h5py.File:
    """Open for reading: normally when the file was closed cleanly (HDF5 then checks its
    length, so a truncated copy fails at once), in SWMR mode when a writer has it open or
    died with it open. SWMR readers retry unreadable metadata, by default for minutes; we
    cap the retries so a damaged file fails fast instead of hanging; and a global heap HDF5
    would loop on for ever is refused before HDF5 sees it (``heap_check``)."""
    try:
        at = heap_check.looping_heap_at(path)
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if at is not None:
        raise RecordingError(
            f"{path}: damaged: the HDF5 global heap object at byte {at} has no size (HDF5 "
            "would read it for ever); the file cannot be opened"
        )
    try:
        return h5py.File(path, "r", rdcc_nbytes=8 << 20)
    except _READ_ERRORS as exc:
        first = exc
    if "already open for write" not in str(first):
        raise RecordingError(
            f"{path}: cannot open as HDF5 (truncated, corrupted or not a recording): {first}"
        ) from None
    try:
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        fapl.set_fclose_degree(h5py.h5f.CLOSE_STRONG)
        fapl.set_cache(0, 521, 8 << 20, 0.75)
        hdf5_capi.set_metadata_read_attempts(fapl, SWMR_READ_ATTEMPTS)
        fid = h5py.h5f.open(
            str(path).encode(), h5py.h5f.ACC_RDONLY | h5py.h5f.ACC_SWMR_READ, fapl=fapl
        )
        return h5py.File(fid)
    except _READ_ERRORS as exc:
        raise RecordingError(
            f"{path}: cannot open the recording while it is written: {exc}"
        ) from None


_EVENT_FIELDS = ("time_s", "kind", "item", "message", "severity")


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _event(row) -> Event | None:
    """One events row, or None when it is damaged (a time that is no number)."""
    try:
        time_s = float(row["time_s"])
        severity = int(row["severity"])
    except (TypeError, ValueError, OverflowError):
        return None
    if not np.isfinite(time_s):
        return None
    kind = _text(row["kind"])
    try:
        kind = EventKind(kind)
    except ValueError:
        kind = EventKind.NOTE
    return Event(
        time_s=time_s,
        kind=kind,
        item=_text(row["item"]),
        message=_text(row["message"]),
        severity=severity,
    )


def _shown(value) -> str:
    """A stored value as a user would write it: 0.0, not numpy's np.float64(0.0)."""
    if isinstance(value, np.generic):
        value = value.item()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _whole(value, lo: int, hi: int, path: Path, name: str) -> int:
    """An integer attribute within [lo, hi], or a clear error naming it."""
    try:
        number = float(value)
        ok = number.is_integer() and lo <= number <= hi
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise RecordingError(
            f"{path}: damaged header: attribute {name} is {_shown(value)}, expected a whole number "
            f"from {lo} to {hi}"
        )
    return int(number)


def _cut_note(tables: list[tuple[str, h5py.Dataset]], closed: int, n: int) -> str:
    """What a closed file's short tables lost, naming them: the frames they all hold are
    read, so a cut file still shows what is left."""
    short = [f"{name} {ds.shape[0]:,}" for name, ds in tables if ds.shape[0] < closed]
    return (
        f"cut short: the file was closed with {closed:,} frames but {'; '.join(short)} rows "
        f"are left; only the first {n:,} frames are read"
    )


def _filled_by_model(raw, metrics: dict, warnings: list[str]) -> tuple[str, ...]:
    """The ``filled_by_model`` attribute's metrics (those the file has). Damaged, it is said
    in ``warnings`` and every rack and air-unit metric counts as filled: a fit to the model's
    own figures taken for measurements would fit the model to itself."""
    if raw is None:
        return ()
    try:
        names = json.loads(fmt.format_tag(raw))
    except (TypeError, ValueError):
        names = None
    known = {f"{kind}/{m}" for kind, ms in metrics.items() for m, _, _ in ms}
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return tuple(n for n in names if n in known)
    warnings.append(
        f"damaged header: {fmt.FILLED_BY_MODEL} is not a list of metrics, so every rack and "
        "air-unit reading is taken as possibly the airflow model's"
    )
    return tuple(sorted(n for n in known if n.split("/")[0] in ("rack", "air_unit")))


def _closed_frames(raw, path: Path) -> int | None:
    """``frames_closed``: None while open (-1) or absent, else the whole frame count."""
    if raw is None:
        return None
    n = _whole(raw, -1, 1 << 62, path, fmt.CLOSED_FRAMES)
    return None if n < 0 else n


def _counts(raw, path: Path) -> dict[str, int]:
    if raw is None:
        raise RecordingError(f"{path}: header is missing item counts (counts_json)")
    try:
        counts = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{path}: damaged header: counts_json is not JSON ({exc})") from None
    if not isinstance(counts, dict):
        raise RecordingError(f"{path}: damaged header: counts_json is not a mapping")
    return {
        str(k): _whole(v, 0, 100_000_000, path, f"counts_json[{k!r}]") for k, v in counts.items()
    }


def _frames_table(file: h5py.File, path: Path, key: str, n: int) -> h5py.Dataset:
    """``/frames/<kind>/<metric>``: a (time x item) table of ``n`` items, scaled integers."""
    frames = file[f"frames/{key}"]
    if not isinstance(frames, h5py.Dataset) or frames.ndim != 2:
        raise RecordingError(f"{path}: /frames/{key} is not a (time x item) table")
    if frames.shape[1] != n:
        raise RecordingError(f"{path}: dataset {key} has {frames.shape[1]} items, header says {n}")
    if frames.dtype.kind not in "iu":
        raise RecordingError(f"{path}: /frames/{key} holds {frames.dtype}, not scaled integers")
    return frames


def _table(obj, path: Path, name: str, ndim: int) -> h5py.Dataset:
    if not isinstance(obj, h5py.Dataset) or obj.ndim != ndim:
        raise RecordingError(f"{path}: {name} is not a {ndim}-D dataset")
    return obj


#: How far a dataset's resolution may lie from the step Twin writes the metric at, either
#: way: a writer may choose finer or coarser steps, but 1e30 degC is damage, not a choice.
RESOLUTION_RANGE = 1000.0


def _resolution(value, path: Path, key: str, usual: float) -> float:
    """A metric's stored step, checked: positive, and within ``RESOLUTION_RANGE`` of the
    ``usual`` one."""
    try:
        res = float(value)
    except (TypeError, ValueError):
        res = float("nan")
    if not (np.isfinite(res) and res > 0):
        raise RecordingError(
            f"{path}: damaged attribute: /frames/{key} resolution is {_shown(value)}, "
            "expected a positive number"
        )
    if not usual / RESOLUTION_RANGE <= res <= usual * RESOLUTION_RANGE:
        raise RecordingError(
            f"{path}: damaged attribute: /frames/{key} resolution is {_shown(value)}, "
            f"expected a step from {usual / RESOLUTION_RANGE:g} to "
            f"{usual * RESOLUTION_RANGE:g} (Twin writes {usual:g})"
        )
    return res
