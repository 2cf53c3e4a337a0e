"""Finding GPUs by id or UUID for the facility tree's search, which has no row per GPU.

UUIDs come from the layout's ``telemetry.gpu_uuids`` table and from those a live source has
learned next to a known host and GPU index (``GpuMapper.known_uuids``); simulated telemetry
carries none, so there a GPU is found by its ``host/gpuN`` id only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: The shortest text searched among UUIDs (shorter matches most of them).
MIN_UUID_TEXT = 4


def layout_uuids(facility: Facility) -> dict[str, int]:
    """UUID -> GPU index from the layout's ``telemetry.gpu_uuids`` (entries naming no GPU of
    the layout are left out; loading the live source reports those)."""
    out: dict[str, int] = {}
    for uuid, item in facility.layout.telemetry.gpu_uuids.items():
        found = facility.find(item)
        if found is not None and found[0] == "gpu":
            out[uuid] = found[1]
    return out


def find_gpus(
    facility: Facility, text: str, uuids: Mapping[str, int], limit: int = 20
) -> list[tuple[int, str]]:
    """(GPU index, what matched) of GPUs whose id is ``text`` or whose UUID contains it
    (case-insensitive), at most ``limit``, in GPU order."""
    text = text.strip()
    hits: dict[int, str] = {}
    found = facility.find(text) if text else None
    if found is not None and found[0] == "gpu":
        hits[found[1]] = facility.gpu_label(found[1])
    if len(text) >= MIN_UUID_TEXT:
        low = text.lower()
        for uuid, g in uuids.items():
            if low in uuid.lower() and g not in hits:
                hits[g] = f"{facility.gpu_label(g)}  {uuid}"
                if len(hits) >= limit:
                    break
    return sorted(hits.items())[:limit]
