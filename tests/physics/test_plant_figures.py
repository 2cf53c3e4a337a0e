"""The cooling plant's figures one function at a time, each worked out by hand from the formulas
in ../shared/REFERENCE.md ("Energy and efficiency") and the module docstring: affinity law,
pump power dp Q / eta, chiller COP as a fixed fraction of Carnot, free cooling below the
dry cooler's or tower's approach, and what a plant without a chiller or without heat rejection
does."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.model.catalog import shipped_catalog
from twin.model.catalog_schema import ChillerType
from twin.physics.plant import (
    PlantPower,
    affinity_power_w,
    chiller_cop,
    free_cooling_fraction,
    heat_rejection_water_c,
    plant_power,
    pump_power_w,
)

K = 273.15
RHO_CP = 997.0 * 4180.0  # water, J/(m3 K)
CAT = shipped_catalog()
WC = CAT["chiller-wc-1750kw"]  # COP 6.1 at 6.7 C / 29.4 C, approaches 3 and 8 K, min lift 12 K
AC = CAT["chiller-ac-1000kw"]  # COP 2.96 at 6.7 C / 35 C air, approaches 3 and 15 K
TOWER = CAT["tower-4000kw"]  # 4 MW, wet bulb + 4 K, 50.7 kW of fans
DRY = CAT["drycooler-1000kw"]  # 1 MW, dry bulb + 8 K, 20 kW of fans
#: Carnot fraction of the water-cooled chiller at its rating point: T_evap = 3.7 C, lift 33.7 K
ETA_WC = 6.1 * 33.7 / (3.7 + K)


def chiller(**kw) -> ChillerType:
    """A catalog chiller of our own (approaches, min lift, rating)."""
    base = dict(id="test-chiller", name="test", kind="chiller", capacity_kw=1000, cop_rated=5.0)
    return ChillerType(**{**base, **kw})


def plant(**kw) -> PlantPower:
    """``plant_power`` with no pump heads unless given, so each test sees what it asks about."""
    base = dict(
        load_w=1e6, supply_c=12.0, delta_t_k=6.0, chiller=WC, chillers=1, heat_rejection=None,
        heat_rejection_units=1, dry_bulb_c=20.0, wet_bulb_c=None, pump_head_pa=0.0,
        condenser_pump_head_pa=0.0, pump_efficiency=0.7,
    )  # fmt: skip
    return plant_power(**{**base, **kw})


# ---------------------------------------------------------------- affinity law and pumps
def test_affinity_law_cubes_each_units_flow_ratio():
    rated = np.array([7300.0, 1000.0, 500.0, 800.0])
    flow = np.array([5.0, 20.0, 3.0, -2.0])
    rated_flow = np.array([10.0, 10.0, 0.0, 4.0])
    got = affinity_power_w(rated, flow, rated_flow)
    # half flow: 1/8; double flow: 8x; no rated flow: none (not inf); reversed flow: none
    assert got.tolist() == [7300.0 / 8, 8000.0, 0.0, 0.0]


def test_affinity_law_on_small_rated_flows():
    # an in-row CDU rated at 0.5 L/s run at 0.25: one eighth of its pump
    got = affinity_power_w(np.array([800.0]), np.array([0.25]), np.array([0.5]))
    assert got.tolist() == [100.0]


def test_affinity_law_takes_a_scalar_rated_flow():
    got = affinity_power_w(np.array([100.0, 100.0]), np.array([1.0, 3.0]), 2.0)
    assert got == pytest.approx([100.0 / 8, 100.0 * 27 / 8], rel=1e-15)


def test_pump_power_is_head_times_flow_over_efficiency():
    # REFERENCE.md: 200 kPa x 10 L/s / 0.6 = 3.3 kW
    assert pump_power_w(200e3, 0.010, 0.6) == pytest.approx(200e3 * 0.010 / 0.6, rel=1e-15)
    assert pump_power_w(200e3, 0.010, 0.6) == pytest.approx(3333.33, abs=0.01)
    assert pump_power_w(200e3, -0.010, 0.6) == 0.0


# ---------------------------------------------------------------- chiller COP
def test_air_cooled_chiller_cop_by_hand():
    # rating: T_evap = 6.7 - 3 = 3.7 C, lift = 35 + 15 - 3.7 = 46.3 K
    eta = 2.96 * 46.3 / (3.7 + K)
    assert chiller_cop(AC, 6.7, 35.0) == pytest.approx(2.96, rel=1e-12)
    # 10 C water, 30 C air: T_evap = 7 C, lift = 30 + 15 - 7 = 38 K
    assert chiller_cop(AC, 10.0, 30.0) == pytest.approx(eta * (7 + K) / 38.0, rel=1e-12)


def test_a_chiller_rated_below_its_min_lift_is_calibrated_at_the_min_lift():
    # rating lift 6.7 + 1 ... : T_evap = 5.7 C, lift = 10 + 1 - 5.7 = 5.3 K < 12 K: held at 12
    ch = chiller(
        rated_chw_supply_c=6.7, rated_condenser_c=10.0, evaporator_approach_k=1.0,
        condenser_approach_k=1.0, min_lift_k=12.0,
    )  # fmt: skip
    eta = 5.0 * 12.0 / (5.7 + K)
    assert chiller_cop(ch, 6.7, 10.0) == pytest.approx(5.0, rel=1e-12)
    # 30 C condenser: lift = 30 + 1 - 5.7 = 25.3 K
    assert chiller_cop(ch, 6.7, 30.0) == pytest.approx(eta * (5.7 + K) / 25.3, rel=1e-12)
    assert chiller_cop(ch, 6.7, 30.0) == pytest.approx(5.0 * 12.0 / 25.3, rel=1e-12)


def test_min_lift_caps_the_cop_at_its_own_value():
    ch = chiller(min_lift_k=20.0)  # defaults: 6.7 / 29.4 C, approaches 3 and 8 K: lift 33.7
    eta = 5.0 * 33.7 / (3.7 + K)
    # 15 C water, 20 C condenser: lift 20 + 8 - 12 = 16 K, held at 20 K
    assert chiller_cop(ch, 15.0, 20.0) == pytest.approx(eta * (12 + K) / 20.0, rel=1e-12)


# ---------------------------------------------------------------- free cooling
def test_free_cooling_fraction_at_its_ends_and_between():
    assert free_cooling_fraction(20.0, 26.0, 20.0) == 1.0  # water at the supply: all
    assert free_cooling_fraction(20.0, 26.0, 26.0) == 0.0  # at the return: none
    assert free_cooling_fraction(20.0, 26.0, 24.5) == pytest.approx(1.5 / 6.0, rel=1e-15)
    assert free_cooling_fraction(20.0, 26.0, -5.0) == 1.0
    assert free_cooling_fraction(20.0, 26.0, 40.0) == 0.0
    # a narrow loop of half a kelvin is still shared in proportion
    assert free_cooling_fraction(20.0, 20.5, 20.25) == pytest.approx(0.5, rel=1e-15)
    assert isinstance(free_cooling_fraction(20.0, 26.0, 24.5), float)


def test_free_cooling_on_a_loop_without_a_span():
    # supply = return: all or nothing, by whether the water is at least as cold as the supply
    assert free_cooling_fraction(20.0, 20.0, 20.0) == 1.0
    assert free_cooling_fraction(20.0, 20.0, 19.0) == 1.0
    assert free_cooling_fraction(20.0, 20.0, 20.5) == 0.0
    assert free_cooling_fraction(20.0, 19.0, 19.5) == 1.0
    assert free_cooling_fraction(20.0, 19.0, 20.5) == 0.0


def test_heat_rejection_water_by_kind():
    assert math.isnan(heat_rejection_water_c(None, 20.0, 15.0))
    assert heat_rejection_water_c(TOWER, 20.0, 15.0) == 19.0  # wet bulb + 4 K
    assert heat_rejection_water_c(TOWER, 20.0, None) == 24.0  # no wet bulb: the dry bulb's
    assert heat_rejection_water_c(DRY, 20.0, 15.0) == 28.0  # a dry cooler: dry bulb + 8 K


# ---------------------------------------------------------------- PlantPower
def _pp(load_w: float, capacity_w: float) -> PlantPower:
    return PlantPower(load_w, 12.0, 18.0, 20.0, 19.0, 0.0, 6.0, 3.0, 5.0, 7.0, capacity_w, 0.0)


def test_plant_power_total_and_capacity():
    assert _pp(1e6, 2e6).total_w == 15.0
    assert not _pp(1e6, 1e6).over_capacity  # exactly at capacity
    assert _pp(1e6 * (1 + 1e-6), 1e6).over_capacity
    assert _pp(1.5e6, 1e6).over_capacity
    assert not _pp(0.5e6, 1e6).over_capacity


# ---------------------------------------------------------------- plant_power
def test_water_cooled_chiller_on_its_rated_condenser_water_without_heat_rejection():
    pp = plant(load_w=1e6, supply_c=12.0, chillers=2, pump_head_pa=250e3,
               condenser_pump_head_pa=150e3)  # fmt: skip
    cop = ETA_WC * (9 + K) / (29.4 + 8 - 9)
    assert pp.cop == pytest.approx(cop, rel=1e-12)
    assert pp.chiller_w == pytest.approx(1e6 / cop, rel=1e-12)
    assert (pp.free_fraction, pp.heat_rejection_w, pp.short_k) == (0.0, 0.0, 0.0)
    assert math.isnan(pp.hr_water_c)
    # chilled-water pumps only: nothing goes to a condenser loop of ours
    assert pp.pumps_w == pytest.approx(250e3 * 1e6 / (RHO_CP * 6.0) / 0.7, rel=1e-12)
    assert (pp.load_w, pp.supply_c, pp.return_c, pp.outdoor_c) == (1e6, 12.0, 18.0, 20.0)
    assert pp.capacity_w == 2 * 1750e3
    assert pp.total_w == pytest.approx(pp.chiller_w + pp.pumps_w, rel=1e-15)


def test_tower_and_water_cooled_chiller_with_partial_free_cooling():
    # wet bulb 11 C: tower water 15 C, loop 12 -> 18 C: free (18 - 15) / 6 = 0.5
    pp = plant(load_w=1e6, supply_c=12.0, heat_rejection=TOWER, heat_rejection_units=2,
               wet_bulb_c=11.0, pump_head_pa=250e3, condenser_pump_head_pa=150e3)  # fmt: skip
    assert pp.hr_water_c == 15.0
    assert pp.free_fraction == pytest.approx(0.5, rel=1e-15)
    cop = ETA_WC * (9 + K) / (15 + 8 - 9)  # the condenser sees the tower's 15 C water
    chiller_w = 0.5e6 / cop
    rejected = 0.5e6 + 0.5e6 + chiller_w  # free half, chilled half and the compressor's work
    assert pp.cop == pytest.approx(cop, rel=1e-12)
    assert pp.chiller_w == pytest.approx(chiller_w, rel=1e-12)
    assert pp.heat_rejection_w == pytest.approx(2 * 50.7e3 * rejected / 8000e3, rel=1e-12)
    pumps = (250e3 * 1e6 + 150e3 * rejected) / (RHO_CP * 6.0) / 0.7
    assert pp.pumps_w == pytest.approx(pumps, rel=1e-12)
    assert pp.capacity_w == 1750e3  # the chiller's, while it runs


def test_heat_rejection_fans_scale_with_the_heat_over_all_units():
    one = plant(load_w=1e6, heat_rejection=DRY, heat_rejection_units=1, dry_bulb_c=35.0)
    four = plant(load_w=1e6, heat_rejection=DRY, heat_rejection_units=4, dry_bulb_c=35.0)
    # 43 C water: no free cooling; fans at rejected / capacity of their rating
    rejected = 1e6 + one.chiller_w
    assert one.free_fraction == 0.0
    assert one.heat_rejection_w == pytest.approx(20e3 * rejected / 1000e3, rel=1e-12)
    assert four.heat_rejection_w == pytest.approx(one.heat_rejection_w, rel=1e-12)


def test_full_free_cooling_stops_the_chiller_and_lets_the_coolers_carry_it():
    # dry cooler: 5 + 8 = 13 C water under a 14 C supply; 3 units of 1 MW beyond 1 chiller
    pp = plant(load_w=2.5e6, supply_c=14.0, heat_rejection=DRY, heat_rejection_units=3,
               dry_bulb_c=5.0, condenser_pump_head_pa=150e3)  # fmt: skip
    assert pp.free_fraction == 1.0
    assert pp.chiller_w == 0.0
    assert pp.heat_rejection_w == pytest.approx(3 * 20e3 * 2.5e6 / 3e6, rel=1e-12)
    assert pp.pumps_w == pytest.approx(150e3 * 2.5e6 / (RHO_CP * 6.0) / 0.7, rel=1e-12)
    assert pp.capacity_w == 3e6  # the coolers, larger than the one chiller's 1.75 MW
    assert not pp.over_capacity
    # the idle chiller's COP is reported at the min lift: 14 + 8 - 11 = 11 K < 12 K
    assert pp.cop == pytest.approx(ETA_WC * (11 + K) / 12.0, rel=1e-12)
    small = plant(load_w=0.5e6, supply_c=14.0, heat_rejection=DRY, heat_rejection_units=1,
                  dry_bulb_c=5.0, chillers=2)  # fmt: skip
    assert small.capacity_w == 2 * 1750e3  # the chillers, larger than the one cooler


def test_condenser_water_never_below_the_chilled_water():
    # a chiller whose approaches (3 + 12 K) exceed its min lift (1 K): the condenser's entering
    # water decides its COP even when the tower's water (9 C) is colder than the supply (14 C)
    ch = chiller(condenser_approach_k=12.0, min_lift_k=1.0)
    eta = 5.0 * (29.4 + 12 - 3.7) / (3.7 + K)
    pp = plant(chiller=ch, supply_c=14.0, heat_rejection=TOWER, wet_bulb_c=5.0)
    assert pp.free_fraction == 1.0 and pp.chiller_w == 0.0
    assert pp.cop == pytest.approx(eta * (11 + K) / (14 + 12 - 11), rel=1e-12)


def test_air_cooled_chiller_rejects_its_heat_to_the_air():
    # dry cooler at 22 + 8 = 30 C water, loop 10 -> 16 C: no free cooling; the air-cooled
    # chiller's condenser takes the 22 C air and sends nothing to the dry cooler
    pp = plant(load_w=0.8e6, supply_c=10.0, chiller=AC, heat_rejection=DRY, dry_bulb_c=22.0,
               condenser_pump_head_pa=150e3)  # fmt: skip
    eta = 2.96 * 46.3 / (3.7 + K)
    cop = eta * (7 + K) / (22 + 15 - 7)
    assert pp.cop == pytest.approx(cop, rel=1e-12)
    assert pp.chiller_w == pytest.approx(0.8e6 / cop, rel=1e-12)
    assert pp.heat_rejection_w == 0.0 and pp.pumps_w == 0.0
    # 5 C air: 13 C water, loop 10 -> 16 C: the dry cooler carries half and gets only that half
    mild = plant(load_w=0.8e6, supply_c=10.0, chiller=AC, heat_rejection=DRY, dry_bulb_c=5.0,
                 condenser_pump_head_pa=150e3)  # fmt: skip
    assert mild.free_fraction == pytest.approx(0.5, rel=1e-15)
    cop5 = eta * (7 + K) / max(5 + 15 - 7, 12.0)
    assert mild.chiller_w == pytest.approx(0.4e6 / cop5, rel=1e-12)
    assert mild.heat_rejection_w == pytest.approx(20e3 * 0.4e6 / 1000e3, rel=1e-12)
    assert mild.pumps_w == pytest.approx(150e3 * 0.4e6 / (RHO_CP * 6.0) / 0.7, rel=1e-12)


def test_a_tiny_load_still_runs_the_chiller():
    pp = plant(load_w=0.5)
    cop = ETA_WC * (9 + K) / (29.4 + 8 - 9)
    assert pp.chiller_w == pytest.approx(0.5 / cop, rel=1e-12)
    assert pp.chiller_w > 0
    # ... and sends its heat through the condenser pumps to the tower (30 C wet bulb: no free)
    pp = plant(load_w=0.5, heat_rejection=TOWER, wet_bulb_c=30.0, condenser_pump_head_pa=150e3)
    rejected = 0.5 + pp.chiller_w
    assert rejected < 1.0
    assert pp.pumps_w == pytest.approx(150e3 * rejected / (RHO_CP * 6.0) / 0.7, rel=1e-12)


def test_no_load_costs_nothing_and_a_negative_one_is_none():
    for load in (0.0, -5e5):
        pp = plant(load_w=load, heat_rejection=TOWER, wet_bulb_c=25.0, pump_head_pa=250e3,
                   condenser_pump_head_pa=150e3)  # fmt: skip
        assert pp.load_w == 0.0
        assert (pp.chiller_w, pp.heat_rejection_w, pp.pumps_w) == (0.0, 0.0, 0.0)
        assert not pp.over_capacity


def test_chiller_less_plant_makes_what_its_coolers_can():
    # warm water: dry coolers alone, 25 + 8 = 33 C water against a 30 C ask: 3 K short
    pp = plant(load_w=1.5e6, supply_c=30.0, chiller=None, heat_rejection=DRY,
               heat_rejection_units=2, dry_bulb_c=25.0, pump_head_pa=100e3,
               condenser_pump_head_pa=50e3)  # fmt: skip
    assert pp.short_k == 3.0
    assert (pp.supply_c, pp.return_c) == (33.0, 39.0)
    assert pp.free_fraction == 1.0
    assert math.isnan(pp.cop) and pp.chiller_w == 0.0
    assert pp.heat_rejection_w == pytest.approx(2 * 20e3 * 1.5e6 / 2e6, rel=1e-12)
    assert pp.pumps_w == pytest.approx((100e3 + 50e3) * 1.5e6 / (RHO_CP * 6.0) / 0.7, rel=1e-12)
    assert pp.capacity_w == 2e6 and not pp.over_capacity
    # a cold day: the coolers make 18 C, colder than asked; the supply stays at the ask
    cold = plant(load_w=2.5e6, supply_c=30.0, chiller=None, heat_rejection=DRY,
                 heat_rejection_units=2, dry_bulb_c=10.0)  # fmt: skip
    assert (cold.short_k, cold.supply_c, cold.return_c) == (0.0, 30.0, 36.0)
    assert cold.over_capacity  # 2.5 MW on 2 MW of coolers


def test_a_plant_with_neither_chiller_nor_heat_rejection_does_nothing():
    pp = plant(load_w=1e6, supply_c=12.0, delta_t_k=5.0, chiller=None, dry_bulb_c=21.0,
               pump_head_pa=250e3)  # fmt: skip
    assert (pp.load_w, pp.supply_c, pp.return_c, pp.outdoor_c) == (1e6, 12.0, 17.0, 21.0)
    assert math.isnan(pp.hr_water_c) and math.isnan(pp.cop)
    assert (pp.free_fraction, pp.chiller_w, pp.heat_rejection_w, pp.pumps_w) == (0, 0, 0, 0)
    assert (pp.capacity_w, pp.short_k) == (0.0, 0.0)
    assert pp.over_capacity  # a load and nothing to carry it
