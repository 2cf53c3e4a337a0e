"""The on-disk layout of ``twin-recording/1`` (HDF5), shared by the recorder and the reader.

    /                 attrs: format, layout_name, layout_hash, items_hash, created_utc,
                             writer, block_frames, counts_json; sensors_hash (only with
                             point sensors, which files before them lack),
                             frames_closed (-1 until the recorder closes the file, then its
                             frame count; files before it lack it), filled_by_model (only
                             where a live session's physics filled gaps: a JSON list of
                             "kind/metric")
    /layout           the layout file's text (scalar string)
    /time_s           (T,) float64 seconds since the epoch, the time axis
    /events           (E,) table: time_s, kind, item, message, severity
    /frames/KIND/M    (T, N) scaled integers, one row per sample: one frame reads one chunk
                      row per metric (chunks 1 x <=8192 items, gzip + shuffle)
    /history/KIND     (N, T') the same values again, item-major, one compound field per
                      metric (each in its own integer type), written once per block of
                      ``block_frames`` samples and delta-coded along time within each block:
                      one item's whole history, every metric, reads one small chunk per block
                      (lzf + shuffle: cheap to write, as every sample is stored twice). A
                      closed file's last block is padded; while a file grows, the samples
                      after its last whole block are read from /frames.

Values are stored as ``round(value / resolution)`` in the dataset's integer type; the
dataset's ``missing`` attr (the type's minimum) marks NaN. A value past the type's range is
clipped to its ends, which read back as NaN: such a value (a GPU at 1e9 degC) is no reading,
and its clipped code (3276.7 degC in int16 at 0.1) would be shown as one. ``resolution`` and ``units`` are
attributes of every metric dataset.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from twin.model.facility import Facility

FORMAT = "twin-recording/1"
FORMAT_NAME, _, _v = FORMAT.partition("/")
FORMAT_VERSION = int(_v)


def format_tag(value) -> object:
    """A file's ``format`` attribute as text (HDF5 may hand it back as bytes)."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def is_twin_tag(tag: object) -> bool:
    """Whether a ``format`` tag (``format_tag``) names Twin's recording format, any version."""
    return isinstance(tag, str) and tag.startswith(FORMAT_NAME + "/")


def is_twin_recording(path) -> bool:
    """Whether ``path`` is an HDF5 file that Twin recorded (its ``format`` attribute): another
    ``.h5`` may be a Fluent CFF case (a CFD field), so its name cannot say. False for what
    cannot be read."""
    from pathlib import Path

    from twin.model.atomic import is_hdf5

    if not Path(path).is_file() or not is_hdf5(path):
        return False
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return is_twin_tag(format_tag(f.attrs.get("format")))
    except (OSError, ValueError):
        return False


#: Samples per history block: the history index lags the time axis by less than this.
BLOCK_FRAMES = 64
#: Items per chunk of a frame row.
FRAME_CHUNK_ITEMS = 8192
#: Items per history chunk (each chunk holds BLOCK_FRAMES samples of this many items).
HISTORY_CHUNK_ITEMS = 8
TIME_CHUNK = 4096
#: Root attribute: -1 while the recorder has the file open, its frame count once closed. A
#: closed file whose time axis or a metric table holds fewer rows was cut short afterwards.
CLOSED_FRAMES = "frames_closed"
#: Root attribute of a recording whose gaps a live session filled from the airflow model
#: (``twin record --physics``): a JSON list of the metrics (``rack/inlet_c``, ...) whose
#: values may be the model's where the source measured none. Absent: every value was read.
FILLED_BY_MODEL = "filled_by_model"


def filled_text(filled) -> str:
    """What ``filled_by_model`` says, by kind as ``twin info`` lists metrics: ``rack inlet_c,
    exhaust_c; air_unit supply_c: the airflow model's where the telemetry measured none``."""
    kinds: dict[str, list[str]] = {}
    for key in filled:
        kind, _, name = key.partition("/")
        kinds.setdefault(kind, []).append(name)
    what = "; ".join(f"{kind} {', '.join(names)}" for kind, names in kinds.items())
    return f"{what}: the airflow model's where the telemetry measured none"


EVENT_DTYPE = np.dtype(
    [("time_s", "<f8"), ("kind", "S24"), ("item", "S96"), ("message", "S256"), ("severity", "i1")]
)

#: Largest magnitude a metric may take, by (kind, metric) then by unit; picks the integer type.
_MAX_ABS_KIND = {("gpu", "power_w"): 5_000.0}
_MAX_ABS_UNIT = {
    "degC": 1_000.0,
    "%": 120.0,
    "MHz": 10_000.0,
    "on=1": 100.0,
    "m3/s": 300.0,
    "bitmask": 32_000.0,  # NVML throttle reasons use the low bits
    "code": 32_000.0,  # XID error codes
}


def storage_dtype(kind: str, metric: str, unit: str, resolution: float) -> np.dtype:
    """Smallest signed integer type that holds the metric at its resolution (int8/16/32)."""
    max_abs = _MAX_ABS_KIND.get((kind, metric), _MAX_ABS_UNIT.get(unit))
    if max_abs is None:
        return np.dtype(np.int32)
    steps = max_abs / resolution
    for dt in (np.int8, np.int16):
        if steps < np.iinfo(dt).max - 1:
            return np.dtype(dt)
    return np.dtype(np.int32)


def encode(values: np.ndarray, resolution: float, dtype: np.dtype) -> np.ndarray:
    """Floats -> scaled integers; NaN -> the type's minimum; out of range clipped."""
    info = np.iinfo(dtype)
    # float32 is exact for every integer the int8/int16 types hold; int32 needs float64
    ftype = np.float64 if dtype.itemsize > 2 else np.float32
    v = np.multiply(values, 1.0 / resolution, dtype=ftype)
    np.rint(v, out=v)
    np.clip(v, info.min + 1, info.max, out=v)  # NaN stays NaN
    missing = np.isnan(v)
    v[missing] = 0.0
    out = v.astype(dtype)
    out[missing] = info.min
    return out


def decode(raw: np.ndarray, resolution: float, out_dtype=np.float32) -> np.ndarray:
    """Scaled integers -> floats with NaN where missing or clipped (see the module's
    docstring)."""
    info = np.iinfo(raw.dtype)
    out = raw.astype(out_dtype)
    out *= out_dtype(resolution)
    out[(raw <= info.min + 1) | (raw == info.max)] = np.nan
    return out


def delta_encode(block: np.ndarray) -> np.ndarray:
    """Differences along the last axis (first value kept), modulo the integer type: wrapping
    is exact, so ``delta_decode`` restores every value, the missing marker included."""
    out = np.empty_like(block)
    out[..., 0] = block[..., 0]
    np.subtract(block[..., 1:], block[..., :-1], out=out[..., 1:], casting="unsafe")
    return out


def delta_decode(deltas: np.ndarray, block_frames: int) -> np.ndarray:
    """Inverse of ``delta_encode`` applied per block of ``block_frames`` along the last axis
    (whose length is a whole number of blocks)."""
    shape = deltas.shape
    blocks = deltas.reshape(*shape[:-1], shape[-1] // block_frames, block_frames)
    return np.cumsum(blocks, axis=-1, dtype=deltas.dtype).reshape(shape)


def history_dtype(kind: str, metrics) -> np.dtype:
    """The compound type of a kind's history: one field per metric, in its storage type."""
    return np.dtype([(name, storage_dtype(kind, name, unit, res)) for name, unit, res in metrics])


def layout_hash(facility: Facility) -> str:
    """Hash of the validated layout (not its comments or formatting)."""
    data = json.dumps(facility.layout.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()


def items_hash(facility: Facility) -> str:
    """Hash of every item id in index order: equal hashes mean the arrays line up."""
    h = hashlib.sha256()
    for kind in ("rack", "air_unit", "cdu", "power", "host"):
        h.update(kind.encode())
        h.update("\0".join(facility.ids_of(kind)).encode())
    h.update(np.ascontiguousarray(facility.host_gpu_count, dtype=np.int32).tobytes())
    return h.hexdigest()


def sensors_hash(facility: Facility) -> str:
    """Hash of the point sensors' ids in index order. Apart from ``items_hash`` so that the
    recordings made before sensors were recorded still match their layouts."""
    return hashlib.sha256("\0".join(facility.ids_of("sensor")).encode()).hexdigest()
