"""Footprints and zones as quads, and the vectorised overlap tests the geometric checks use."""

from __future__ import annotations

import numpy as np

from twin.model.checks.base import TOL_M
from twin.model.geometry import _separated


def rack_boxes(center, width, front, along, depth) -> np.ndarray:
    """(k, B, 4, 2) corners of B boxes per rack, each as wide as the rack, centred ``along[k, b]``
    in front of its centre (negative: behind) and ``depth[k, b]`` deep; corners in the order
    ``footprints`` gives (counter-clockwise from front-left)."""
    fx, fy = front[:, 0:1], front[:, 1:2]
    wx, wy = -fy, fx  # width axis (cos, sin) from the front vector (sin, -cos)
    cx = center[:, 0:1] + fx * along
    cy = center[:, 1:2] + fy * along
    hw = (width / 2)[:, None]
    hd = depth / 2
    # depth axis towards the rear is -front
    out = np.empty(along.shape + (4, 2))
    for k, (sw, sd) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
        out[..., k, 0] = cx + sw * hw * wx - sd * hd * fx
        out[..., k, 1] = cy + sw * hw * wy - sd * hd * fy
    return out


def rect_quads(rects: np.ndarray) -> np.ndarray:
    """(n, 4, 2) corners of axis-aligned rectangles ``[x0, y0, x1, y1]``."""
    r = np.asarray(rects, dtype=float).reshape(-1, 4)
    return np.stack(
        [r[:, [0, 1]], r[:, [2, 1]], r[:, [2, 3]], r[:, [0, 3]]],
        axis=1,
    )


def hits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs of quads a[k], b[k] that overlap by more than the tolerance (bounding boxes first,
    the separating-axis test only where those meet)."""
    out = np.zeros(len(a), dtype=bool)
    if len(a) == 0:
        return out
    lo_a, hi_a = a.min(axis=1), a.max(axis=1)
    lo_b, hi_b = b.min(axis=1), b.max(axis=1)
    meet = np.all((lo_a < hi_b - TOL_M) & (lo_b < hi_a - TOL_M), axis=1)
    k = np.flatnonzero(meet)
    if len(k):
        out[k] = ~_separated(a[k], b[k], TOL_M)
    return out


def bbox(q: np.ndarray) -> np.ndarray:
    """``[xmin, ymin, xmax, ymax]`` of quads (over the corner axis)."""
    return np.concatenate([q.min(axis=-2), q.max(axis=-2)], axis=-1)


def hits_idx(qa, bba, ia, qb, bbb, ib) -> np.ndarray:
    """``hits(qa[ia], qb[ib])`` with precomputed bounding boxes, gathering quads only where
    the boxes meet."""
    out = np.zeros(len(ia), dtype=bool)
    if len(ia) == 0:
        return out
    a, b = bba[ia], bbb[ib]
    meet = (
        (a[:, 0] < b[:, 2] - TOL_M)
        & (b[:, 0] < a[:, 2] - TOL_M)
        & (a[:, 1] < b[:, 3] - TOL_M)
        & (b[:, 1] < a[:, 3] - TOL_M)
    )
    k = np.flatnonzero(meet)
    if len(k):
        out[k] = ~_separated(qa[ia[k]], qb[ib[k]], TOL_M)
    return out
