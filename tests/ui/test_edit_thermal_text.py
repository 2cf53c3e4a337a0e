"""The Edit panel's thermal lines (``EditThermal.text``): what a designer reads after an edit's
re-solve, without the solve (the state it reads is set by hand)."""

from __future__ import annotations

from types import SimpleNamespace

from twin.ui.edit_thermal import EditThermal


def _thermal(before: dict | None, after: dict | None, overloaded: bool = False):
    state = SimpleNamespace(
        enabled=True,
        off="",
        error="",
        before=before,
        after=after,
        overloaded=overloaded,
        busy=False,
        checking_redundancy=False,
        redundancy_error="",
    )
    state.change = lambda rack_id: EditThermal.change(state, rack_id)
    return state


def test_an_edit_s_inlet_change_and_the_hottest_inlet():
    state = _thermal({"A0": 24.0, "B3": 30.0}, {"A0": 25.26, "B3": 29.0})
    assert EditThermal.text(state, ["A0"]) == (
        "Inlet of A0: 24.0 → 25.3 °C (+1.3 K)\nHottest inlet: B3 29.0 °C"
    )
    cooler = _thermal({"A0": 24.0}, {"A0": 23.0})
    assert EditThermal.text(cooler, ["A0"]).startswith("Inlet of A0: 24.0 → 23.0 °C (-1.0 K)")


def test_a_change_under_a_twentieth_of_a_kelvin_reads_plus_zero():
    """A rotation that moved A0's inlet by -0.004 K read "(-0.0 K)"."""
    state = _thermal({"A0": 62.804}, {"A0": 62.8})
    assert EditThermal.change(state, "A0") == "62.8 → 62.8 °C (+0.0 K)"


def test_an_overloaded_hall_says_its_inlets_run_hotter():
    """Its figures hold the units' set supply, which they cannot (Problems gives the heat and
    the capacity); the panel showed them as they are."""
    state = _thermal({"A0": 62.8, "B3": 66.1}, {"A0": 62.8, "B3": 66.1}, overloaded=True)
    assert EditThermal.text(state, ["A0"]).splitlines() == [
        "Inlet of A0: 62.8 → 62.8 °C (+0.0 K)",
        "Hottest inlet: B3 66.1 °C",
        "No steady state: the inlets run hotter than shown",
    ]
