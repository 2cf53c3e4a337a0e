"""One rule for when a device's recorded ``state`` means off, in every part that reads it.

A source may report a state between 0 and 1 (a scrape averaged over a trip, a rounded mean):
the physics, the 3D view's outlines, the inspector, the energy model, a what-if's start and the
incident report must all take the same units for off, or the window shows a unit running that
the air model has switched off. Before ``reads_off`` the 3D view outlined only exactly 0 and
the energy model took exactly 0.5 as off, while the physics took both the other way.
"""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import Frame, reads_off
from twin.model.loader import load_layout

#: Per air unit of the demo hall: its state reading, and whether it is off.
STATES = [1.0, 0.3, 0.5, np.nan, 0.0, 0.49]
OFF = [False, True, False, False, True, True]


@pytest.fixture(scope="module")
def demo():
    fac = load_layout("layouts/demo-air-hall.yaml")
    assert fac.air_unit_ids and len(fac.air_unit_ids) == len(STATES)
    frame = Frame.empty(0.0, fac.counts())
    frame.air_unit["state"][:] = STATES
    frame.rack["power_w"][:] = fac.rack_power_w
    return fac, frame


def _ids(fac, mask) -> set[str]:
    return {u for u, m in zip(fac.air_unit_ids, mask, strict=True) if m}


def test_below_a_half_is_off_and_no_reading_is_neither():
    assert reads_off(STATES).tolist() == OFF
    assert reads_off(np.float32(0.4999)) and not reads_off(0.5)
    assert not reads_off(np.nan) and not (~reads_off(np.nan) & np.isfinite(np.nan))


def test_the_view_outlines_the_units_the_physics_turns_off(demo):
    pytest.importorskip("pyvista")
    from twin.render.overlays import failed_units

    fac, frame = demo
    outlined = _ids(fac, np.isin(np.arange(len(STATES)), failed_units(frame)["air_unit"]))
    assert outlined == _ids(fac, OFF)


def test_a_replay_solves_with_the_units_it_reads_off(demo):
    pytest.importorskip("PySide6")
    from twin.ui.thermal_view import frame_inputs

    fac, frame = demo
    _, off, _, _ = frame_inputs(fac, 0, frame)
    assert off == _ids(fac, OFF)


def test_the_energy_model_stops_the_fans_of_the_units_it_reads_off(demo):
    from twin.physics.energy import EnergyModel

    fac, frame = demo
    cond = EnergyModel(fac).from_frame(frame)
    stopped = cond.air_unit_flow_m3s == 0
    # a unit with no reading keeps the layout's state (all on in the demo)
    assert _ids(fac, stopped) == _ids(fac, OFF)


def test_a_what_if_starts_with_the_units_it_reads_off(demo):
    from twin.whatif.start import StartState

    fac, frame = demo
    assert set(StartState.from_frame(fac, frame).off) == _ids(fac, OFF)


def test_the_inspector_says_tripped_for_the_units_it_reads_off():
    pytest.importorskip("PySide6")
    from twin.ui.describe import _state_word

    words = [_state_word("air_unit", True, v) for v in STATES]
    assert words == ["running", "TRIPPED", "running", "no data", "TRIPPED", "TRIPPED"]
