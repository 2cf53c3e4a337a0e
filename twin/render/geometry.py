"""Vectorised mesh builders: many oriented boxes or line segments as ONE PolyData, so a hall of
100,000 GPUs is a single actor whose cell order follows the facility's index order."""

from __future__ import annotations

import numpy as np
import pyvista as pv

# Corners of the unit box, local (x width, y depth towards the rear, z up), in [-0.5, 0.5].
_CORNERS = np.array(
    [
        [-0.5, -0.5, -0.5],
        [0.5, -0.5, -0.5],
        [0.5, 0.5, -0.5],
        [-0.5, 0.5, -0.5],
        [-0.5, -0.5, 0.5],
        [0.5, -0.5, 0.5],
        [0.5, 0.5, 0.5],
        [-0.5, 0.5, 0.5],
    ]
)
#: Quads of the unit box, counter-clockwise seen from outside (outward normals).
FACES = {
    "bottom": (0, 3, 2, 1),
    "top": (4, 5, 6, 7),
    "front": (0, 1, 5, 4),  # -y: a rack's intake side at rotation 0
    "rear": (2, 3, 7, 6),
    "left": (3, 0, 4, 7),
    "right": (1, 2, 6, 5),
}
ALL_FACES = tuple(FACES)
#: The 12 edges of the unit box as corner pairs.
EDGES = np.array(
    [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]]
)


def box_corners(center: np.ndarray, size: np.ndarray, rotation_deg: np.ndarray) -> np.ndarray:
    """(N, 8, 3) world corners of boxes given their centres, sizes (x, y, z) and rotation about
    z (counter-clockwise from above, the layout convention)."""
    center = np.asarray(center, dtype=float).reshape(-1, 3)
    size = np.asarray(size, dtype=float).reshape(-1, 3)
    t = np.deg2rad(np.asarray(rotation_deg, dtype=float).reshape(-1))
    c, s = np.cos(t)[:, None], np.sin(t)[:, None]
    local = _CORNERS[None, :, :] * size[:, None, :]  # (N, 8, 3)
    out = np.empty_like(local)
    out[..., 0] = center[:, None, 0] + local[..., 0] * c - local[..., 1] * s
    out[..., 1] = center[:, None, 1] + local[..., 0] * s + local[..., 1] * c
    out[..., 2] = center[:, None, 2] + local[..., 2]
    return out


def boxes(
    center: np.ndarray,
    size: np.ndarray,
    rotation_deg: np.ndarray,
    faces: tuple[str, ...] = ALL_FACES,
) -> pv.PolyData:
    """Oriented boxes as one PolyData: 8 points per box and ``len(faces)`` quads per box, box k
    owning cells ``k*F .. k*F+F-1``. No normals: the mapper shades each face flat."""
    corners = box_corners(center, size, rotation_deg)
    n = len(corners)
    quads = np.array([FACES[f] for f in faces], dtype=np.int64)  # (F, 4)
    cells = (quads[None, :, :] + 8 * np.arange(n, dtype=np.int64)[:, None, None]).reshape(-1, 4)
    if n == 0:
        return pv.PolyData()
    return pv.PolyData.from_regular_faces(corners.reshape(-1, 3), cells)


def box_edges(center: np.ndarray, size: np.ndarray, rotation_deg: np.ndarray) -> pv.PolyData:
    """The 12 edges of each box as line cells, box k owning cells ``k*12 .. k*12+11``."""
    corners = box_corners(center, size, rotation_deg)
    n = len(corners)
    if n == 0:
        return pv.PolyData()
    ids = (EDGES[None, :, :] + 8 * np.arange(n, dtype=np.int64)[:, None, None]).reshape(-1, 2)
    return segments_from_ids(corners.reshape(-1, 3), ids)


def segments_from_ids(points: np.ndarray, ids: np.ndarray) -> pv.PolyData:
    """Line cells between point pairs ``ids`` (M, 2)."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1, 2)
    lines = np.hstack([np.full((len(ids), 1), 2, dtype=np.int64), ids]).ravel()
    return pv.PolyData(np.asarray(points, dtype=float), lines=lines)


def segments(a: np.ndarray, b: np.ndarray) -> pv.PolyData:
    """Straight segments a[i] -> b[i] as line cells, segment i is cell i."""
    a = np.asarray(a, dtype=float).reshape(-1, 3)
    b = np.asarray(b, dtype=float).reshape(-1, 3)
    n = len(a)
    if n == 0:
        return pv.PolyData()
    pts = np.empty((2 * n, 3))
    pts[0::2], pts[1::2] = a, b
    return segments_from_ids(pts, np.arange(2 * n).reshape(-1, 2))


def polylines(paths: np.ndarray) -> pv.PolyData:
    """(M, K, 3) paths of K points each as M polyline cells (one per path)."""
    paths = np.asarray(paths, dtype=float)
    m, k = paths.shape[:2]
    if m == 0:
        return pv.PolyData()
    ids = np.arange(m * k, dtype=np.int64).reshape(m, k)
    lines = np.hstack([np.full((m, 1), k, dtype=np.int64), ids]).ravel()
    return pv.PolyData(paths.reshape(-1, 3), lines=lines)


def rects(rect_xy: np.ndarray, z: np.ndarray | float) -> pv.PolyData:
    """Axis-aligned rectangles [x0, y0, x1, y1] as horizontal quads at height ``z``."""
    r = np.asarray(rect_xy, dtype=float).reshape(-1, 4)
    n = len(r)
    if n == 0:
        return pv.PolyData()
    zz = np.broadcast_to(np.asarray(z, dtype=float), (n,))
    pts = np.stack(
        [
            np.stack([r[:, 0], r[:, 1], zz], 1),
            np.stack([r[:, 2], r[:, 1], zz], 1),
            np.stack([r[:, 2], r[:, 3], zz], 1),
            np.stack([r[:, 0], r[:, 3], zz], 1),
        ],
        axis=1,
    ).reshape(-1, 3)
    cells = np.arange(4 * n, dtype=np.int64).reshape(n, 4)
    return pv.PolyData.from_regular_faces(pts, cells)
