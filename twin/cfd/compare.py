"""Twin against a CFD field: per-rack inlet errors and the figures that summarise them.

The figures (the README's validation table): rack mean-inlet RMS and largest error, the
racks' rank correlation (Spearman, do both put the same racks hottest), the mean-return
error, and the RMS difference on the reference's planes (Twin sampled at the CFD plane's
cell centres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.physics.sample import sample_field


@dataclass
class RackRow:
    id: str
    twin_mean_c: float
    cfd_mean_c: float
    twin_max_c: float
    cfd_max_c: float
    cfd_swing_k: float = 0.0

    @property
    def error_k(self) -> float:
        return self.twin_mean_c - self.cfd_mean_c


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN for fewer than 3 racks or
    when one side has every rack equal."""
    from scipy.stats import rankdata

    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(a) < 3:
        return float("nan")
    ra, rb = rankdata(a), rankdata(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def rack_rows(fac, res, cfd_racks: list[dict]) -> list[RackRow]:
    """Pair Twin's racks with the CFD's by id (racks the CFD lacks are left out)."""
    rows = []
    for r in cfd_racks:
        i = fac.rack_index.get(r["id"])
        if i is None or not np.isfinite(res.rack_inlet_mean_c[i]):
            continue
        rows.append(
            RackRow(
                r["id"],
                float(res.rack_inlet_mean_c[i]),
                float(r["inlet_mean_c"]),
                float(res.rack_inlet_max_c[i]),
                float(r.get("inlet_max_c", np.nan)),
                float(r.get("swing_k", 0.0)),
            )
        )
    return rows


def sample_cells(res, points_m: np.ndarray) -> np.ndarray:
    """Twin's air temperature at hall-local points (see :func:`sample_field`)."""
    return sample_field(res.air_c, res.cell_m, points_m)


def plane_points(planes: dict, kind: str = "c") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'horizontal' | 'vertical': (points (N, 3), CFD values)} of a reference's planes, air
    cells only: temperatures (N,) (``kind`` "c"), or velocities (N, 3) (``kind`` "u"; {}
    when the reference has none)."""
    h = float(planes["cell_m"])
    out = {}
    if f"horizontal_{kind}" not in planes:
        return out
    hz = np.asarray(planes[f"horizontal_{kind}"], float)
    i, j = np.nonzero(np.isfinite(hz.reshape(hz.shape[:2] + (-1,))).all(-1))
    z = float(planes["horizontal_z_m"])
    out["horizontal"] = (np.stack([(i + 0.5) * h, (j + 0.5) * h, np.full(len(i), z)], 1), hz[i, j])
    vt = np.asarray(planes[f"vertical_{kind}"], float)
    j, k = np.nonzero(np.isfinite(vt.reshape(vt.shape[:2] + (-1,))).all(-1))
    x = float(planes["vertical_x_m"])
    out["vertical"] = (np.stack([np.full(len(j), x), (j + 0.5) * h, (k + 0.5) * h], 1), vt[j, k])
    return out


def plane_velocity(res, planes: dict) -> dict | None:
    """Twin's air velocity against the reference's on both its planes together (Twin sampled
    at the CFD's cell centres; ``velocity.figures``), or None for a reference without."""
    from twin.cfd import velocity

    got = plane_points(planes, "u")
    if not got:
        return None
    pts = np.concatenate([p for p, _ in got.values()])
    cfd = np.concatenate([v for _, v in got.values()])
    return velocity.figures(sample_velocity(res, pts), cfd)


def sample_velocity(res, points_m: np.ndarray) -> np.ndarray:
    """Twin's air velocity (N, 3), m/s, at hall-local points (see :func:`sample_field`)."""
    from twin.cfd import velocity

    vel = velocity.twin_velocity(res)
    return np.stack([sample_field(vel[..., a], res.cell_m, points_m) for a in range(3)], -1)


def resolved_pairs(
    ids: list[str], twin_c: np.ndarray, cfd_c: np.ndarray, uncertainty_k: np.ndarray
) -> dict:
    """How Twin orders the pairs of racks the CFD itself tells apart: those whose inlets
    differ by more than both racks' uncertainty together (a rack's swing over the averaging
    window, or how far the mesh check moves it). Spearman's rank correlation counts every
    pair alike, so two racks the CFD puts 0.01 K apart, below its own resolution, weigh as
    much as two it puts 3 K apart. Returns the number resolved, how many of them Twin
    orders as the CFD does, and the pairs it orders the other way."""
    twin_c, cfd_c = np.asarray(twin_c, float), np.asarray(cfd_c, float)
    i, j = np.triu_indices(len(cfd_c), 1)
    resolved = np.abs(cfd_c[i] - cfd_c[j]) > uncertainty_k[i] + uncertainty_k[j]
    alike = np.sign(cfd_c[i] - cfd_c[j]) == np.sign(twin_c[i] - twin_c[j])
    wrong = resolved & ~alike
    return {
        "resolved": int(resolved.sum()),
        "ordered": int((resolved & alike).sum()),
        "misordered": [[ids[a], ids[b]] for a, b in zip(i[wrong], j[wrong], strict=True)],
    }


def summary(rows: list[RackRow], twin_return_c: float, cfd_return_c: float) -> dict:
    """The table's figures from paired racks and the mean returns."""
    err = np.array([r.error_k for r in rows])
    return {
        "racks": len(rows),
        "rms_k": float(np.sqrt(np.mean(err**2))) if len(err) else float("nan"),
        "max_k": float(np.abs(err).max()) if len(err) else float("nan"),
        "bias_k": float(err.mean()) if len(err) else float("nan"),
        "rank_corr": rank_correlation([r.twin_mean_c for r in rows], [r.cfd_mean_c for r in rows]),
        "return_error_k": float(twin_return_c - cfd_return_c),
        "cfd_swing_k": float(max((r.cfd_swing_k for r in rows), default=0.0)),
    }


def reference_pairs(rows: list[dict], ref: dict) -> dict:
    """``resolved_pairs`` of a stored reference, with each rack's uncertainty the larger of
    its swing and how far the reference's mesh check moves it."""
    check = {r["id"]: r["inlet_mean_c"] for r in (ref.get("mesh_check") or {}).get("racks", [])}
    cfd = np.array([r["cfd_mean_c"] for r in rows])
    moved = np.array([abs(check.get(r["id"], r["cfd_mean_c"]) - r["cfd_mean_c"]) for r in rows])
    u = np.maximum(np.array([r["cfd_swing_k"] for r in rows]), moved)
    twin = np.array([r["twin_mean_c"] for r in rows])
    return resolved_pairs([r["id"] for r in rows], twin, cfd, u)


def units_at_capacity(fac, res) -> list[dict]:
    """The air units Twin runs out of capacity, their supply above its set point: a CFD run
    with every supply at its set point (as ``foam_case`` writes it, and as most CFD studies
    set it) is not of the same room, and its comparison carries that difference."""
    ids = fac.air_unit_ids
    return [
        {
            "id": ids[i],
            "supply_c": round(float(res.air_unit_supply_c[i]), 2),
            "set_c": round(float(fac.air_unit_supply_c[i]), 2),
        }
        for i in np.flatnonzero(res.air_unit_at_capacity)
    ]


def compare_reference(fac, res, ref: dict) -> dict:
    """Everything Twin's result ``res`` gets right and wrong against a stored reference."""
    rows = rack_rows(fac, res, ref["racks"])
    out = summary(rows, res.return_mean_c, ref["return_mean_c"])
    planes = ref.get("_planes")
    if planes is not None:
        for name, (pts, cfd) in plane_points(planes).items():
            tw = sample_cells(res, pts)
            ok = np.isfinite(tw)
            out[f"{name}_plane_rms_k"] = float(np.sqrt(np.mean((tw[ok] - cfd[ok]) ** 2)))
        flow = plane_velocity(res, planes)
        if flow is not None:
            out["plane_velocity"] = flow
    out["rows"] = [
        {
            "id": r.id,
            "twin_mean_c": round(r.twin_mean_c, 2),
            "cfd_mean_c": round(r.cfd_mean_c, 2),
            "error_k": round(r.error_k, 2),
            "twin_max_c": round(r.twin_max_c, 2),
            "cfd_max_c": round(r.cfd_max_c, 2),
            "cfd_swing_k": round(r.cfd_swing_k, 2),
        }
        for r in rows
    ]
    out["pairs"] = reference_pairs(out["rows"], ref)
    out["units_at_capacity"] = units_at_capacity(fac, res)
    return out
