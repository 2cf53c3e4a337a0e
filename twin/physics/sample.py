"""Air temperatures (or any cell-centred field) at points between cell centres: where a
sensor, a CFD probe or a plane's point sits in Twin's grid."""

from __future__ import annotations

import numpy as np


def sample_field(air: np.ndarray, h: float, points_m: np.ndarray) -> np.ndarray:
    """A cell-centred field (NaN in solids) at hall-local points: trilinear between cell
    centres, weights renormalised over the neighbours that are air."""
    shape = np.array(air.shape)
    x = np.asarray(points_m, float) / h - 0.5
    i0 = np.clip(np.floor(x).astype(np.int64), 0, shape - 2)
    f = np.clip(x - i0, 0.0, 1.0)
    num = np.zeros(len(x))
    den = np.zeros(len(x))
    for di in (0, 1):
        for dj in (0, 1):
            for dk in (0, 1):
                w = (
                    (f[:, 0] if di else 1 - f[:, 0])
                    * (f[:, 1] if dj else 1 - f[:, 1])
                    * (f[:, 2] if dk else 1 - f[:, 2])
                )
                v = air[i0[:, 0] + di, i0[:, 1] + dj, i0[:, 2] + dk]
                ok = np.isfinite(v)
                num += np.where(ok, w * np.nan_to_num(v), 0.0)
                den += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-9, num / den, np.nan)
