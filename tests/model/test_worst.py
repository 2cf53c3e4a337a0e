"""The partial sort behind the Worst N list agrees with a full sort."""

from __future__ import annotations

import numpy as np

from twin.model.worst import largest, rack_max


def test_largest_matches_a_full_sort_and_skips_nan():
    rng = np.random.default_rng(0)
    v = rng.normal(size=100_000)
    v[rng.integers(0, v.size, 500)] = np.nan
    top = largest(v, 25)
    finite = np.flatnonzero(np.isfinite(v))
    expected = finite[np.argsort(-v[finite])][:25]
    assert top.tolist() == expected.tolist()
    assert largest(np.array([np.nan, 1.0, np.inf]), 3).tolist() == [1]
    assert largest(np.array([2.0, 5.0, 5.0, 1.0]), 10).tolist() == [1, 2, 0, 3]
    assert largest(np.zeros(0), 5).size == 0


def test_rack_max_by_hand():
    gpu_rack = np.array([0, 0, 0, 2, 2])
    v = np.array([1.0, np.nan, 3.0, np.nan, np.nan])
    out = rack_max(v, gpu_rack, 4)
    assert out[0] == 3.0 and np.isnan(out[1:]).all()
