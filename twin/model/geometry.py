"""Footprints on the floor: oriented rectangles, vectorised over many racks or units.

Rotation convention (shared by racks and units): at 0 deg the front faces -y; rotation is
counter-clockwise seen from above. The width runs along the local x axis (cos, sin) and the
depth along (-sin, cos), front to rear.
"""

from __future__ import annotations

import numpy as np


def front_vectors(rotation_deg: np.ndarray) -> np.ndarray:
    """(N, 2) unit vectors pointing out of the front (intake) face."""
    t = np.deg2rad(np.asarray(rotation_deg, dtype=float))
    return np.stack([np.sin(t), -np.cos(t)], axis=-1)


def footprints(
    center_xy: np.ndarray, width_depth: np.ndarray, rotation_deg: np.ndarray
) -> np.ndarray:
    """(N, 4, 2) corners, counter-clockwise, of each oriented footprint."""
    center_xy = np.asarray(center_xy, dtype=float).reshape(-1, 2)
    wd = np.asarray(width_depth, dtype=float).reshape(-1, 2)
    t = np.deg2rad(np.asarray(rotation_deg, dtype=float)).reshape(-1)
    ux = np.stack([np.cos(t), np.sin(t)], axis=-1)  # width axis
    uy = np.stack([-np.sin(t), np.cos(t)], axis=-1)  # depth axis (towards the rear)
    hx = (wd[:, 0] / 2)[:, None] * ux
    hy = (wd[:, 1] / 2)[:, None] * uy
    c = center_xy
    return np.stack([c - hx - hy, c + hx - hy, c + hx + hy, c - hx + hy], axis=1)


def bounds(corners: np.ndarray) -> np.ndarray:
    """(N, 4) axis-aligned [x0, y0, x1, y1] of each footprint."""
    return np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1)


def _separated(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Separating-axis test for pairs of convex quads a[k], b[k] (K, 4, 2); True where apart."""
    sep = np.zeros(len(a), dtype=bool)
    for poly in (a, b):
        for i in range(2):  # two edge directions per rectangle suffice
            edge = poly[:, i + 1] - poly[:, i]
            axis = np.stack([-edge[:, 1], edge[:, 0]], axis=-1)
            axis /= np.linalg.norm(axis, axis=1, keepdims=True) + 1e-300
            pa = np.einsum("kcj,kj->kc", a, axis)
            pb = np.einsum("kcj,kj->kc", b, axis)
            sep |= (pa.max(1) <= pb.min(1) + tol) | (pb.max(1) <= pa.min(1) + tol)
    return sep


def overlapping_pairs(
    corners: np.ndarray, group: np.ndarray | None = None, tol: float = 1e-6
) -> np.ndarray:
    """(K, 2) index pairs i < j whose footprints overlap by more than ``tol`` metres.

    ``group`` (e.g. the hall of each item) keeps items of different groups apart.
    Candidate pairs come from a k-d tree on the centres, so this is near-linear in N.
    """
    n = len(corners)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    from scipy.spatial import (
        cKDTree,
    )  # here: a layout refused before its geometry never pays for it

    centers = corners.mean(axis=1)
    radius = np.linalg.norm(corners - centers[:, None, :], axis=2).max()
    pairs = cKDTree(centers).query_pairs(2 * radius + tol, output_type="ndarray")
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if group is not None:
        pairs = pairs[group[pairs[:, 0]] == group[pairs[:, 1]]]
    hit = ~_separated(corners[pairs[:, 0]], corners[pairs[:, 1]], tol)
    out = np.sort(pairs[hit], axis=1)
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def outside(corners: np.ndarray, rect: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """(N,) True where a footprint leaves its rectangle ``rect`` (N, 4) [x0, y0, x1, y1]."""
    b = bounds(corners)
    return (
        (b[:, 0] < rect[:, 0] - tol)
        | (b[:, 1] < rect[:, 1] - tol)
        | (b[:, 2] > rect[:, 2] + tol)
        | (b[:, 3] > rect[:, 3] + tol)
    )
