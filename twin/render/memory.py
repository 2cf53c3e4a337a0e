"""What drawing a facility will take in memory, known before the scene is built.

The scene is a few merged meshes: per rack a cabinet (faces and edges), its level-of-detail
tops, tray and link geometry; per GPU a box with its per-face colour values; per unit a box.
The off-screen image is rendered supersampled, so every pixel carries several colour and depth
samples. The per-item figures are peak resident memory measured with ``twin render`` over
layouts from 1,400 to 40,000 racks and 80,000 to 320,000 GPUs, rounded up; the estimate leaves
out the interpreter and VTK themselves (about 0.35 GB whatever the layout).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from twin.model.facility import Facility

BYTES_PER_RACK = 6_000
BYTES_PER_GPU = 1_000
BYTES_PER_UNIT = 5_000  # air units, CDUs, power devices, sensors: a box and its edges each
BYTES_PER_PIXEL = 64  # supersampled colour and depth, and the PNG's copy
#: Environment variable that sets the memory a render may use, GB (default: half the RAM).
ENV_MAX_RENDER_GB = "TWIN_MAX_RENDER_GB"


@dataclass(frozen=True)
class RenderEstimate:
    bytes: int
    racks: int
    gpus: int
    pixels: int

    def describe(self) -> str:
        return (
            f"about {self.bytes / 1e9:.1f} GB ({self.racks:,} racks, {self.gpus:,} GPUs, "
            f"{self.pixels / 1e6:.1f} M pixels)"
        )


def estimate_render_bytes(facility: Facility, size: tuple[int, int]) -> RenderEstimate:
    """Memory the scene and image of ``facility`` at ``size`` pixels will take."""
    units = (
        len(facility.air_unit_ids)
        + len(facility.cdu_ids)
        + len(facility.power_ids)
        + len(facility.layout.sensors)
    )
    pixels = int(size[0]) * int(size[1])
    total = (
        facility.n_racks * BYTES_PER_RACK
        + facility.n_gpus * BYTES_PER_GPU
        + units * BYTES_PER_UNIT
        + pixels * BYTES_PER_PIXEL
    )
    return RenderEstimate(total, facility.n_racks, facility.n_gpus, pixels)


def render_memory_budget_bytes() -> int:
    """What one render may allocate: ``TWIN_MAX_RENDER_GB``, else half the machine's memory."""
    try:
        return int(float(os.environ[ENV_MAX_RENDER_GB]) * 1e9)
    except (KeyError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 10**9


def render_memory_problem(facility: Facility, size: tuple[int, int]) -> str | None:
    """Why drawing ``facility`` at ``size`` is refused (None when it fits the budget)."""
    est = estimate_render_bytes(facility, size)
    budget = render_memory_budget_bytes()
    if est.bytes <= budget:
        return None
    need_gb = -(-est.bytes // 10**8) / 10  # rounded up to 0.1 GB
    return (
        f"drawing this layout needs {est.describe()}, more than the {budget / 1e9:.3g} GB a "
        f"render may use; set {ENV_MAX_RENDER_GB}={need_gb:g} (GB) to allow it"
        + (", or ask for a smaller --size" if est.pixels * BYTES_PER_PIXEL > budget / 2 else "")
    )
