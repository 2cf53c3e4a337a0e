"""The small what-if hall, loaded once per module, with a coarse grid and short horizon."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.model.loader import load_layout
from twin.whatif import Baseline, StartState, WhatIfOptions

HALL = Path(__file__).parent / "small-hall.yaml"
FAST = WhatIfOptions(duration_s=300.0, dt_s=10.0, cell_m=0.4, hall=0)


@pytest.fixture(scope="module")
def fac():
    return load_layout(HALL)


@pytest.fixture(scope="module")
def baseline(fac):
    return Baseline(fac, StartState.nominal(fac), 0, FAST.cell_m)
