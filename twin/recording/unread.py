"""Whether a recording's racks go without a power reading of their own (live dcgm-exporter
data has GPU power only), so that what needs each rack's power reads its GPUs' too
(``physics.devices.rack_power_from_readings``), and what does not need them (every simulated
recording: 102,848 GPUs a frame in the factory's) reads no GPU at all."""

from __future__ import annotations

import numpy as np

#: Frames spread over the recording whose rack powers are looked at: one value per rack each.
SAMPLED_FRAMES = 64


def racks_unread(rec) -> bool:
    """True where some rack has no power reading in the frames sampled (and the recording has
    GPU readings to fall back on)."""
    if "gpu" not in rec.metrics or not rec.n_frames:
        return False
    if "rack" not in rec.metrics:
        return True
    step = max(1, rec.n_frames // SAMPLED_FRAMES)
    return not bool(np.isfinite(rec.metric_rows("rack", "power_w", step)[1]).all())


def power_kinds(rec, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """``kinds`` with "gpu" added where the racks' power must come from their GPUs."""
    return kinds + ("gpu",) if "gpu" not in kinds and racks_unread(rec) else kinds
