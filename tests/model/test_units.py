"""Figures written for people: large powers in MW, smaller ones in kW; counts with their noun
in the right number; ratios over no IT load, differences that round to zero and values just
past a limit written so that they read as they are; JSON without NaN."""

from __future__ import annotations

from twin.model.units import load_text, power_text


def test_power_text_switches_to_mw_for_large_powers():
    assert power_text(187_411_000.0) == "187.4 MW"
    assert power_text(40_800.0) == "40.8 kW"
    assert power_text(9_999_000.0) == "9,999.0 kW"
    assert power_text(10_000_000.0) == "10.0 MW"
    assert power_text(10_000_000.0, 6) == "10.000000 MW"  # exactly a million watts a MW


def test_load_text_uses_one_unit():
    assert load_text(6_930_000.0, 7_800_000.0) == "6,930.0 / 7,800 kW (89 %)"
    assert load_text(27_720_000.0, 60_000_000.0) == "27.7 / 60 MW (46 %)"
    assert load_text(5_000.0, 0.0) == "5.0 kW"
    assert load_text(0.5, 0.8) == "0.0 / 0 kW (62 %)"  # any capacity above none has a share


def test_count_text_puts_the_noun_in_the_right_number():
    from twin.model.units import count_text

    assert count_text(1, "hall") == "1 hall"
    assert count_text(0, "rack") == "0 racks"
    assert count_text(1400, "rack") == "1,400 racks"
    assert count_text(102848, "GPU") == "102,848 GPUs"
    assert count_text(2, "process") == "2 processes"
    assert [count_text(2, n) for n in ("box", "switch", "mesh", "bus", "fan")] == [
        "2 boxes",
        "2 switches",
        "2 meshes",
        "2 buses",
        "2 fans",
    ]


def test_json_gets_no_nan():
    from twin.model.units import finite_or_none

    assert [finite_or_none(x, 2) for x in (None, float("nan"), float("inf"), -float("inf"))] == [
        None
    ] * 4
    assert finite_or_none(1.23456, 3) == 1.235 and finite_or_none(-7.0, 0) == -7.0
    assert type(finite_or_none(3, 2)) is float  # a numpy or int value comes out a float


def test_a_ratio_over_no_it_load_reads_not_applicable():
    from twin.model.units import ratio_change_text, ratio_text

    nan = float("nan")
    assert ratio_text(1.23456) == "1.235" and ratio_text(1.23456, 2) == "1.23"
    assert ratio_text(nan) == "n/a (no IT load)"
    assert ratio_change_text(1.3, 1.25) == "1.300 -> 1.250"
    assert ratio_change_text(1.3, 1.25, "→") == "1.300 → 1.250"
    assert ratio_change_text(nan, 1.25) == "n/a (no IT load) -> 1.250"
    assert ratio_change_text(1.3, nan) == "1.300 -> n/a (no IT load)"
    assert ratio_change_text(nan, nan) == "n/a (no IT load)"


def test_a_value_just_above_a_limit_reads_above_it():
    """A rack inlet of 32.04 C "reaches 32.0 C, above ASHRAE A1 allowable (32 C)": the digits
    it takes to read above the limit, up to three."""
    from twin.model.units import above_text

    assert above_text(32.5, 32.0) == "32.5" and above_text(40.04, 32.0) == "40.0"
    assert above_text(32.04, 32.0) == "32.04" and above_text(27.004, 27.0) == "27.004"
    assert above_text(32.0004, 32.0) == "32.0"  # past three decimals: one, as before
    assert above_text(31.96, 32.0) == "32.0"  # not above: as it rounds


def test_a_difference_that_rounds_to_zero_reads_plus_zero():
    from twin.model.units import signed_text

    assert signed_text(1.26) == "+1.3" and signed_text(-0.44) == "-0.4"
    assert signed_text(-0.04) == "+0.0" and signed_text(-0.004, 2) == "+0.00"
    assert signed_text(-0.006, 2) == "-0.01" and signed_text(0.0) == "+0.0"
