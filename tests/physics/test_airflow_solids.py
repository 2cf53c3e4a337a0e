"""What the momentum step sees inside solids: free slip along the sides of racks and units,
so that a coarse grid does not brake the air beside them as a no-slip wall would."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import load_layout
from twin.physics.airflow import FlowModel, SlipFaces
from twin.physics.grid import build_grid
from twin.physics.kernels import diffuse_component

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


@pytest.fixture(scope="module")
def grid():
    return build_grid(load_layout(ROOM), 0, 0.2)


def _open(grid):
    return tuple((g >= 1.0).astype(float) for g in (grid.gx, grid.gy, grid.gz))


def test_free_slip_leaves_a_uniform_flow_along_a_solid_unbraked(grid):
    """A uniform vertical flow beside racks is an exact steady state of eddy diffusion with
    free slip: the faces inside the racks take their open neighbours' value, so the
    diffusion sees no jump. Without it (zeros inside) the faces beside racks slow down."""
    op = _open(grid)
    slip = SlipFaces.of(grid, op, 2)
    w = 1.5 * op[2]
    alpha = np.full(grid.shape, 0.1)
    out = np.empty_like(w)
    diffuse_component(w, 2, alpha, out)
    beside = (op[2] > 0) & (np.abs(out - 1.5) > 1e-9)
    assert beside.any()  # the no-slip step brakes the air next to solids
    filled = w.copy()
    slip.fill(filled)
    diffuse_component(filled, 2, alpha, out)
    # every open face keeps its 1.5 m/s but those next to a solid's top or bottom face,
    # where w must be zero (no flow through it) and the step rightly brakes it
    seen = op[2] > 0
    seen.ravel()[slip.faces] = True
    pad = np.pad(seen, 1, constant_values=True)
    n = seen.shape
    keep = seen & (op[2] > 0)
    for a in range(3):
        for d in (0, 2):
            sl = [slice(1, 1 + n[0]), slice(1, 1 + n[1]), slice(1, 1 + n[2])]
            sl[a] = slice(d, d + n[a])
            keep &= pad[tuple(sl)]
    assert (beside & keep).any()
    assert np.allclose(out[keep], 1.5)
    # the faces that took a value are inside solids and touch open faces
    f = np.array(np.unravel_index(slip.faces, w.shape))
    assert (op[2][tuple(f)] == 0).all()
    assert np.allclose(filled.ravel()[slip.faces], 1.5)


def test_the_march_fills_the_solids_only_for_the_step(grid):
    """The faces inside solids take their neighbours' velocity for the step and are zero
    again after it: the field itself never holds air moving inside a rack."""
    fm = FlowModel(grid)
    u, v, w = (np.full(grid.face_shape(a), 1.0) * op for a, op in enumerate(fm.open))
    fm._fill_solids(u, v, w)
    assert all(
        np.allclose(c.ravel()[s.faces], 1.0) for c, s in zip((u, v, w), fm.slip, strict=True)
    )
    fm._clear_solids(u, v, w)
    assert all((c.ravel()[s.faces] == 0).all() for c, s in zip((u, v, w), fm.slip, strict=True))
    flow = fm.solve(iterations=4, tol=1e-6)
    for c, sl in zip((flow.u, flow.v, flow.w), fm.slip, strict=True):
        assert len(sl.faces) and (c.ravel()[sl.faces] == 0).all()
