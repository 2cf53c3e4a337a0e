"""Power checks: every rack fed as the redundancy asks, every device within its rating in normal
operation and, for 2N/N+1, after any single failure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from twin.model.checks.base import OVER, CheckOptions, Violation, kw, rack_locs
from twin.model.errors import field_path

if TYPE_CHECKING:
    from twin.model.facility import Facility


def power_violations(
    fac: Facility, redundancy: str, failure_kinds: tuple[str, ...] = CheckOptions.failure_kinds
) -> list[Violation]:
    """Feeds and device ratings, in normal operation and after any single failure (2N, N+1)."""
    if len(fac.power_ids) == 0:
        return []
    out = _feed_violations(fac, redundancy)
    normal = fac.power_load_w()
    cap = fac.power_capacity_w
    over = normal > cap * OVER
    for d in np.flatnonzero(over):
        out.append(
            Violation(
                "power",
                "error",
                f"{fac.power_ids[d]!r} carries {kw(normal[d])} in normal operation, over its "
                f"{kw(cap[d])} rating",
                (fac.power_ids[d],),
                field_path(("power", int(d), "capacity_kw")),
            )
        )
    if redundancy != "N":
        out += _failover_violations(fac, redundancy, failure_kinds, over)
    return out


def _feed_violations(fac: Facility, redundancy: str) -> list[Violation]:
    """Racks without a feed, with one feed or both on one device (where redundancy asks for
    two), and feeds that cannot carry their rack alone."""
    out: list[Violation] = []
    locs = rack_locs(fac)
    ids = fac.rack_ids
    a, b = fac.rack_feed_a, fac.rack_feed_b
    p = fac.rack_power_w
    cap = fac.power_capacity_w
    powered = p > 0

    def feed(r: int, message: str, items: tuple[str, ...], side: str = "") -> None:
        where = locs[r] + (("feeds", side) if side else ("feeds",))
        out.append(Violation("feed", "error", message, items, field_path(where)))

    for r in np.flatnonzero((a < 0) & (b < 0) & powered):
        feed(r, f"rack {ids[r]!r} has no power feed", (ids[r],))
    if redundancy != "N":
        for r in np.flatnonzero(((a < 0) ^ (b < 0)) & powered):
            have = "A" if a[r] >= 0 else "B"
            feed(
                r,
                f"rack {ids[r]!r} has only feed {have}; {redundancy} needs feeds A and B",
                (ids[r],),
            )
        for r in np.flatnonzero((a >= 0) & (a == b)):
            dev = fac.power_ids[a[r]]
            feed(r, f"rack {ids[r]!r} has feeds A and B on the same device {dev!r}", (ids[r], dev))
    for side, arr in (("A", a), ("B", b)):
        bad = (arr >= 0) & (p > cap[np.maximum(arr, 0)] * OVER)
        for r in np.flatnonzero(bad):
            dev = fac.power_ids[arr[r]]
            feed(
                r,
                f"feed {side} of rack {ids[r]!r} ({dev!r}, {kw(cap[arr[r]])}) cannot carry "
                f"its full {kw(p[r])} alone",
                (ids[r], dev),
                side.lower(),
            )
    return out


def _failover_violations(
    fac: Facility, redundancy: str, failure_kinds: tuple[str, ...], over: np.ndarray
) -> list[Violation]:
    """After each single failure of a device of ``failure_kinds``: devices over their rating
    (not already over in normal operation) and dual-fed racks that still go dark."""
    out: list[Violation] = []
    cap = fac.power_capacity_w
    ids = fac.rack_ids
    a, b = fac.rack_feed_a, fac.rack_feed_b
    kinds = np.array([k in failure_kinds for k in fac.power_kind], dtype=bool)
    cand = np.flatnonzero(kinds & fac.power_on)
    if len(cand) == 0:
        return out
    loads, alive = failure_loads(fac, cand)
    over_f = (loads > cap[None, :] * OVER) & ~over[None, :]
    over_f[np.arange(len(cand)), cand] = False
    for d in np.flatnonzero(over_f.any(axis=0)):
        worst = int(np.argmax(np.where(over_f[:, d], loads[:, d], -np.inf)))
        f = int(cand[worst])
        out.append(
            Violation(
                "power-failover",
                "error",
                f"{fac.power_ids[d]!r} would carry {kw(loads[worst, d])} if "
                f"{fac.power_ids[f]!r} failed, over its {kw(cap[d])} rating ({redundancy})",
                (fac.power_ids[d], fac.power_ids[f]),
                field_path(("power", int(d), "capacity_kw")),
            )
        )
    # racks with two distinct feeds that still go dark: a common device upstream of both
    dual = (a >= 0) & (b >= 0) & (a != b) & (fac.rack_power_w > 0)
    dark = dual[None, :] & ~alive[:, np.maximum(a, 0)] & ~alive[:, np.maximum(b, 0)]
    for k in np.flatnonzero(dark.any(axis=1)):
        racks = np.flatnonzero(dark[k])
        f = int(cand[k])
        names = ", ".join(ids[r] for r in racks[:5]) + (" ..." if len(racks) > 5 else "")
        out.append(
            Violation(
                "power-failover",
                "error",
                f"a failure of {fac.power_ids[f]!r} leaves {len(racks)} rack(s) without power "
                f"({names}): their A and B feeds both depend on it ({redundancy})",
                (fac.power_ids[f], *(ids[r] for r in racks)),
                field_path(("power", f)),
            )
        )
    return out


def failure_loads(fac: Facility, failed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, P) load on every device and (F, P) alive mask with device ``failed[k]`` failed, for
    all k at once; row k equals ``fac.power_load_w(failed=[failed[k]])``.

    Racks with the same (A, B) feeds are summed first, and upstream losses go through one
    sparse propagation matrix, so the cost is about F x (feed pairs + devices x depth)."""
    n_dev = len(fac.power_ids)
    up, depth = fac.power_upstream, fac.power_depth
    max_depth = int(depth.max(initial=0))
    has_up = np.flatnonzero(up >= 0)
    step = sparse.csr_matrix(
        (1.0 / fac.power_efficiency[has_up], (has_up, up[has_up])), shape=(n_dev, n_dev)
    )
    reach = sparse.identity(n_dev, format="csr")  # reach[d, u]: share of d's load seen at u
    term = reach
    for _ in range(max_depth):
        term = term @ step
        reach = reach + term
    above = (reach > 0).toarray()  # above[d, u]: u is d or upstream of d
    alive = fac.power_alive()[None, :] & ~above[:, failed].T
    n_f = len(failed)
    pairs, inv = np.unique(
        np.stack([fac.rack_feed_a, fac.rack_feed_b], axis=1), axis=0, return_inverse=True
    )
    p = np.bincount(inv.ravel(), fac.rack_power_w, minlength=len(pairs))
    a, b = pairs[:, 0], pairs[:, 1]
    a_ok = (a >= 0)[None, :] & alive[:, np.maximum(a, 0)]
    b_ok = (b >= 0)[None, :] & alive[:, np.maximum(b, 0)]
    both = a_ok & b_ok
    share_a = np.where(both, 0.5, a_ok.astype(float))
    share_b = np.where(both, 0.5, b_ok.astype(float))
    rows = np.arange(n_f)[:, None] * n_dev
    direct = np.zeros(n_f * n_dev)
    direct += np.bincount(
        (rows + np.maximum(a, 0)[None, :])[a_ok],
        (p[None, :] * share_a)[a_ok],
        minlength=n_f * n_dev,
    )
    direct += np.bincount(
        (rows + np.maximum(b, 0)[None, :])[b_ok],
        (p[None, :] * share_b)[b_ok],
        minlength=n_f * n_dev,
    )
    return (reach.T @ direct.reshape(n_f, n_dev).T).T * alive, alive
