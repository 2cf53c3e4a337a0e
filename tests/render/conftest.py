"""Render fixtures: an off-screen plotter that is always closed, and a leak check."""

from __future__ import annotations

import pytest
import pyvista as pv
from pyvista.plotting.plotter import _ALL_PLOTTERS

from twin.model.loader import load_layout


@pytest.fixture(autouse=True)
def no_leaked_plotters():
    """Fail a test that leaves a plotter open (every plotter must be closed in teardown)."""
    before = set(_ALL_PLOTTERS)
    yield
    leaked = [k for k in _ALL_PLOTTERS if k not in before]
    for k in leaked:
        _ALL_PLOTTERS[k].close()
    assert not leaked, f"test leaked {len(leaked)} open plotter(s)"


@pytest.fixture
def facility(small_layout):
    return load_layout(small_layout)


@pytest.fixture
def plotter():
    p = pv.Plotter(off_screen=True, window_size=[480, 360])
    yield p
    p.close()
