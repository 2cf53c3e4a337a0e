"""The model's free parameters as a layout gives them, and the line that says where they
came from."""

from __future__ import annotations

import pytest

from twin.model.schema import Calibration, Physics
from twin.physics.params import PhysicsParams, provenance_line


class _Layout:
    def __init__(self, physics):
        self.physics = physics


def test_a_layout_without_a_block_runs_the_published_defaults():
    assert PhysicsParams.of(_Layout(None)) == PhysicsParams(1.0, 0.9)
    assert provenance_line(_Layout(None)) is None


def test_a_block_set_by_hand():
    block = Physics(eddy_viscosity_scale=2, turbulent_prandtl=1.25)
    assert PhysicsParams.of(_Layout(block)).as_tuple() == (2.0, 1.25)
    assert provenance_line(_Layout(block)) == (
        "model parameters set in the layout: eddy viscosity x2.00, turbulent Prandtl number 1.25"
    )


@pytest.mark.parametrize(
    ("before", "after", "rms"),
    [(0.61, 0.2, "; RMS 0.61 -> 0.20 K"), (None, None, ""), (0.61, None, ""), (None, 0.2, "")],
)
def test_a_calibrated_block_says_to_what_and_its_rms_only_when_it_has_both(before, after, rms):
    cal = Calibration(
        source="site.h5 0:00-1:59",
        fitted_at="2026-12-05T19:22:00+00:00",
        rms_before_k=before,
        rms_after_k=after,
    )
    block = Physics(eddy_viscosity_scale=1.62, turbulent_prandtl=0.61, calibration=cal)
    assert provenance_line(_Layout(block)) == (
        "model calibrated to site.h5 0:00-1:59 on 2026-12-05: eddy viscosity x1.62, "
        f"turbulent Prandtl number 0.61{rms}"
    )
