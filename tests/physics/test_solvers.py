"""The numerical kernels the speed work replaced: same answers as the library routines."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.ndimage import map_coordinates

from twin.physics.airflow import trilinear
from twin.physics.amg import sa_hierarchy


def test_trilinear_matches_map_coordinates_including_clamping():
    rng = np.random.default_rng(3)
    for shape in ((9, 7, 5), (2, 3, 2), (4, 2, 6)):
        a = rng.standard_normal(shape)
        coords = [
            np.arange(n).reshape([n if k == b else 1 for k in range(3)]) + rng.uniform(-4, 4, shape)
            for b, n in enumerate(shape)
        ]
        ref = map_coordinates(a, np.array(coords), order=1, mode="nearest", prefilter=False)
        assert np.allclose(trilinear(a, coords), ref, atol=1e-12)


def test_sa_hierarchy_has_csr_levels_and_solves_a_poisson_problem():
    n = 30
    lap1 = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.eye(n)
    lap = (sp.kron(sp.kron(lap1, eye), eye) + sp.kron(sp.kron(eye, lap1), eye)).tocsr()
    lap = (lap + sp.kron(sp.kron(eye, eye), lap1)).tocsr()
    ml = sa_hierarchy(lap, symmetric=True)
    assert len(ml.levels) > 1
    assert all(lvl.A.format == "csr" for lvl in ml.levels)
    b = np.random.default_rng(0).standard_normal(n**3)
    x = ml.solve(b, tol=1e-8, accel="cg", maxiter=50)
    assert np.linalg.norm(lap @ x - b) < 1e-7 * np.linalg.norm(b)
    # the pyamg estimator swapped during set-up is back afterwards
    import pyamg.aggregation.smooth as smooth
    from pyamg.util.linalg import approximate_spectral_radius

    assert smooth.approximate_spectral_radius is approximate_spectral_radius
