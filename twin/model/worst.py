"""The worst items of one frame: the hottest GPUs, racks and air units by the metric on show,
found with a partial sort so a 100,000-GPU frame costs about a millisecond.

"Worst" is "largest": GPUs by the chosen metric (after its transform, so throttle ranks
thermal slowdown above power capping), racks by the largest value of their GPUs, air units
by their return temperature (the unit doing the most work, or starved of flow, returns the
warmest air).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.model.metrics import gpu_metric

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.model.frame import Frame

#: Item kinds a worst list is kept for, in the order shown.
KINDS = ("gpu", "rack", "air_unit")
AIR_UNIT_METRIC = "return_c"


@dataclass(frozen=True)
class Worst:
    """The ``indices`` of the worst items of one kind, worst first, and their ``values``."""

    kind: str
    indices: np.ndarray
    values: np.ndarray


def largest(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest finite values, largest first (ties: lower index first);
    NaN and infinite values are never listed."""
    v = np.asarray(values, dtype=float)
    v = np.where(np.isfinite(v), v, -np.inf)
    k = min(int(n), v.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    # the k largest end up last: select them there
    idx = np.argpartition(v, v.size - k)[v.size - k :] if k < v.size else np.arange(v.size)
    idx = idx[np.lexsort((idx, -v[idx]))]
    return idx[np.isfinite(v[idx])]


def rack_max(gpu_values: np.ndarray, gpu_rack: np.ndarray, n_racks: int) -> np.ndarray:
    """(R,) the largest finite value of each rack's GPUs (NaN for a rack with none). The
    facility keeps a rack's GPUs together, so one ``reduceat`` does it."""
    out = np.full(n_racks, np.nan)
    v = np.asarray(gpu_values, dtype=float)
    if v.size == 0:
        return out
    gpu_rack = np.asarray(gpu_rack)
    starts = np.flatnonzero(np.r_[True, gpu_rack[1:] != gpu_rack[:-1]])  # sorted: no sort
    out[gpu_rack[starts]] = np.fmax.reduceat(v, starts)  # fmax skips NaN unless all are NaN
    return out


def gpu_values(frame: Frame | None, metric: str) -> np.ndarray | None:
    """The values the GPUs are coloured by (the metric's transform applied), or None."""
    if frame is None or metric not in frame.gpu:
        return None
    return np.asarray(gpu_metric(metric).transform(frame.gpu[metric]), dtype=float)


def worst_items(facility: Facility, frame: Frame | None, metric: str, n: int) -> dict[str, Worst]:
    """The ``n`` worst GPUs, racks and air units of ``frame`` (empty lists without data)."""
    empty = np.zeros(0, dtype=np.int64)
    out = {k: Worst(k, empty, np.zeros(0)) for k in KINDS}
    g = gpu_values(frame, metric)
    if g is not None and g.size == facility.n_gpus:
        idx = largest(g, n)
        out["gpu"] = Worst("gpu", idx, g[idx])
        r = rack_max(g, facility.gpu_rack, facility.n_racks)
        idx = largest(r, n)
        out["rack"] = Worst("rack", idx, r[idx])
    air = None if frame is None else frame.air_unit.get(AIR_UNIT_METRIC)
    if air is not None and len(air) == len(facility.air_unit_ids):
        a = np.asarray(air, dtype=float)
        idx = largest(a, n)
        out["air_unit"] = Worst("air_unit", idx, a[idx])
    return out
