"""Carry frames from one facility's index order into another's, matching items by id.

A source is built for the facility it was given. When the layout is edited (a rack added,
deleted or duplicated) the window's facility changes and its dense indices shift; the source
keeps running, and its frames are mapped onto the new order: an item in both layouts keeps its
values, a new item reads NaN (no data), a deleted one is dropped. GPUs match by host name and
GPU number within the host, as telemetry names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.model.frame import Frame

if TYPE_CHECKING:
    from twin.model.facility import Facility


def _match(old_ids: list[str], new_ids: list[str]) -> np.ndarray:
    """For each new id, its index among ``old_ids`` (-1 where absent)."""
    if not new_ids:
        return np.zeros(0, dtype=np.int64)
    if not old_ids:
        return np.full(len(new_ids), -1, dtype=np.int64)
    old = np.asarray(old_ids, dtype=object)
    order = np.argsort(old, kind="stable")
    sorted_old = old[order]
    new = np.asarray(new_ids, dtype=object)
    pos = np.clip(np.searchsorted(sorted_old, new), 0, len(old) - 1)
    found = sorted_old[pos] == new
    return np.where(found, order[pos], -1).astype(np.int64)


def _gpu_keys(f: Facility) -> list[str]:
    """One ``host/gpuN`` key per GPU, in the facility's GPU order."""
    within = np.arange(f.n_gpus) - f.host_first_gpu[f.gpu_host]
    hosts = np.asarray(f.host_names, dtype=object)[f.gpu_host]
    return [f"{h}/gpu{int(k)}" for h, k in zip(hosts, within, strict=True)]


@dataclass(frozen=True)
class FrameMap:
    """Index maps per item kind: ``take[kind][new_index]`` is the old index, or -1."""

    take: dict[str, np.ndarray]
    old_counts: dict[str, int]

    @classmethod
    def between(cls, old: Facility, new: Facility) -> FrameMap:
        take = {
            "rack": _match(old.rack_ids, new.rack_ids),
            "air_unit": _match(old.air_unit_ids, new.air_unit_ids),
            "cdu": _match(old.cdu_ids, new.cdu_ids),
            "power": _match(old.power_ids, new.power_ids),
            "sensor": _match(old.sensor_ids, new.sensor_ids),
        }
        same_hosts = old.host_names == new.host_names and np.array_equal(
            old.host_gpu_count, new.host_gpu_count
        )
        if same_hosts:
            take["gpu"] = np.arange(new.n_gpus, dtype=np.int64)
        else:
            take["gpu"] = _match(_gpu_keys(old), _gpu_keys(new))
        return cls(take, old.counts())

    @property
    def identity(self) -> bool:
        """True when every kind maps onto itself (nothing to do per frame)."""
        return all(
            len(t) == self.old_counts.get(kind, 0) and np.array_equal(t, np.arange(len(t)))
            for kind, t in self.take.items()
        )

    def apply(self, frame: Frame) -> Frame:
        """A new frame in the new facility's order (NaN where an item has no old value)."""
        out = Frame(time_s=frame.time_s, events=list(frame.events))
        for kind, idx in self.take.items():
            missing = idx < 0
            safe = np.where(missing, 0, idx)
            dst = out.group(kind)
            for name, values in frame.group(kind).items():
                v = np.asarray(values)
                if v.size == 0:
                    dst[name] = np.full(len(idx), np.nan, dtype=np.float32)
                    continue
                picked = v[safe].astype(np.float32, copy=False)
                if missing.any():
                    picked = np.where(missing, np.float32(np.nan), picked)
                dst[name] = picked
        return out
