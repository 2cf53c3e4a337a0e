"""GPU governors for the ride-through tests: an H100's thresholds (slowdown 89 °C, shutdown
92 °C, ../shared/REFERENCE.md), 25 s to its heat sink, 0.065 K/W, 70 W at idle."""

from __future__ import annotations

import numpy as np

from twin.physics.ridethrough import GpuGovernor


def h100_governor(temp_c: list[float]) -> GpuGovernor:
    """One governed H100 per start temperature in ``temp_c``, all on."""
    n = len(temp_c)
    return GpuGovernor(
        tau_s=np.full(n, 25.0),
        r_k_per_w=np.full(n, 0.065),
        slowdown_c=np.full(n, 89.0),
        shutdown_c=np.full(n, 92.0),
        idle_w=np.full(n, 70.0),
        temp_c=np.array(temp_c, float),
        off=np.zeros(n, dtype=bool),
    )
