"""Air velocity, Twin against CFD. Where a comparison's temperatures differ, the flow that
carried the heat usually differs first (a row-end vortex or a room-wide loop that one model
has and the other lacks), and rack inlet errors alone do not show it. Figures over the air
cells both fields cover, on Twin's grid."""

from __future__ import annotations

import numpy as np

#: Air at least this fast counts as moving, m/s: ASHRAE 55's threshold of elevated air
#: speed (0.20 m/s), below which the direction of room air means little.
MOVING_MS = 0.2
#: Twin's direction agrees with the CFD's within this angle, degrees.
AGREE_DEG = 45.0


def twin_velocity(res) -> np.ndarray:
    """Twin's cell-centred air velocity (nx, ny, nz, 3), m/s, NaN in solids."""
    vel = np.stack(res.flow.cell_velocity(), -1)
    vel[~res.grid.fluid] = np.nan
    return vel


def figures(twin_ms: np.ndarray, cfd_ms: np.ndarray) -> dict:
    """RMS of the vector difference, both mean speeds, and the share of the cells where
    the CFD's air moves (>= ``MOVING_MS``) in which Twin's points within ``AGREE_DEG`` of it
    (Twin's still air there counts as disagreeing)."""
    both = np.isfinite(twin_ms).all(-1) & np.isfinite(cfd_ms).all(-1)
    tw, cf = twin_ms[both], cfd_ms[both]
    if not len(tw):
        nan = float("nan")
        return {
            "velocity_rms_ms": nan,
            "twin_speed_mean_ms": nan,
            "cfd_speed_mean_ms": nan,
            "direction_agreement": nan,
            "moving_cells": 0,
        }
    s_tw, s_cf = np.linalg.norm(tw, axis=1), np.linalg.norm(cf, axis=1)
    moving = s_cf >= MOVING_MS
    cos = (tw[moving] * cf[moving]).sum(1) / np.maximum(s_tw[moving] * s_cf[moving], 1e-12)
    agree = float(np.mean(cos >= np.cos(np.radians(AGREE_DEG)))) if moving.any() else np.nan
    return {
        "velocity_rms_ms": float(np.sqrt(np.mean(((tw - cf) ** 2).sum(1)))),
        "twin_speed_mean_ms": float(s_tw.mean()),
        "cfd_speed_mean_ms": float(s_cf.mean()),
        "direction_agreement": agree,
        "moving_cells": int(moving.sum()),
    }


def summary_text(v: dict) -> str:
    """One line for the dialog and the CLI."""
    agree = v["direction_agreement"]
    share = "n/a" if agree != agree else f"{100 * agree:.0f} %"
    return (
        f"Air velocity: RMS difference {v['velocity_rms_ms']:.2f} m/s (mean speed Twin "
        f"{v['twin_speed_mean_ms']:.2f}, CFD {v['cfd_speed_mean_ms']:.2f} m/s); Twin's "
        f"direction within {AGREE_DEG:.0f}° of the CFD's in {share} of the cells where the "
        f"CFD's air moves faster than {MOVING_MS:.1f} m/s"
    )
