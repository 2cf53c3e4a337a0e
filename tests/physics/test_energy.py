"""Energy figures against hand calculations: fan and pump affinity, the chiller's COP curve,
free cooling, and the PUE of a one-rack layout worked out line by line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.catalog import shipped_catalog
from twin.model.loader import load_layout
from twin.physics.energy import EnergyModel, energy_series
from twin.physics.plant import affinity_power_w, chiller_cop, free_cooling_fraction, plant_power

RHO_CP_WATER = 997.0 * 4180.0


def test_fan_at_half_flow_takes_one_eighth():
    assert affinity_power_w(np.array([7300.0]), np.array([5.0]), np.array([10.0]))[0] == (
        pytest.approx(7300.0 / 8, rel=1e-12)
    )
    # and no flow, no power
    assert affinity_power_w(np.array([7300.0]), np.array([0.0]), np.array([10.0]))[0] == 0.0


def test_chiller_cop_curve_by_hand():
    ch = shipped_catalog()["chiller-wc-1750kw"]
    # the rating point gives the rated COP
    assert chiller_cop(ch, 6.7, 29.4) == pytest.approx(6.1, rel=1e-12)
    # Carnot fraction at rating: T_evap = 6.7 - 3 C, lift = 29.4 + 8 - 3.7 = 33.7 K
    eta = 6.1 * 33.7 / (3.7 + 273.15)
    # 12 C water, 24 C condenser water: T_evap = 9 C, lift = 24 + 8 - 9 = 23 K
    assert chiller_cop(ch, 12.0, 24.0) == pytest.approx(eta * (9 + 273.15) / 23.0, rel=1e-12)
    # one kelvin warmer water: about 3 % better (the 2-4 % per K rule of thumb)
    gain = chiller_cop(ch, 7.7, 29.4) / chiller_cop(ch, 6.7, 29.4) - 1
    assert 0.02 < gain < 0.04
    # a tiny lift is held at min_lift_k (12 K): COP = eta * T_evap / 12
    assert chiller_cop(ch, 20.0, 5.0) == pytest.approx(eta * (17 + 273.15) / 12.0, rel=1e-12)


def test_chiller_power_follows_its_cop():
    cat = shipped_catalog()
    ch = cat["chiller-wc-1750kw"]
    for supply, cond in ((7.0, 30.0), (12.0, 24.0), (16.0, 20.0)):
        pp = plant_power(
            load_w=1.0e6,
            supply_c=supply,
            delta_t_k=6.0,
            chiller=ch,
            chillers=1,
            heat_rejection=None,
            heat_rejection_units=1,
            dry_bulb_c=cond,
            wet_bulb_c=None,
            pump_head_pa=0.0,
            condenser_pump_head_pa=0.0,
            pump_efficiency=0.7,
        )
        # without a tower the condenser sees the rated 29.4 C water
        assert pp.chiller_w == pytest.approx(1.0e6 / chiller_cop(ch, supply, 29.4), rel=1e-12)
    air = cat["chiller-ac-1000kw"]
    pp = plant_power(
        load_w=5e5, supply_c=10.0, delta_t_k=6.0, chiller=air, chillers=1, heat_rejection=None,
        heat_rejection_units=1, dry_bulb_c=30.0, wet_bulb_c=None, pump_head_pa=0.0,
        condenser_pump_head_pa=0.0, pump_efficiency=0.7,
    )  # fmt: skip
    assert pp.chiller_w == pytest.approx(5e5 / chiller_cop(air, 10.0, 30.0), rel=1e-12)


def test_free_cooling_below_the_approach():
    # loop 20 -> 26 C: water at 17 C carries it all, at 23 C half, at 27 C nothing
    assert free_cooling_fraction(20.0, 26.0, 17.0) == 1.0
    assert free_cooling_fraction(20.0, 26.0, 23.0) == pytest.approx(0.5)
    assert free_cooling_fraction(20.0, 26.0, 27.0) == 0.0
    cat = shipped_catalog()
    common = dict(
        load_w=1e6, delta_t_k=6.0, chiller=cat["chiller-wc-1750kw"], chillers=1,
        heat_rejection=cat["drycooler-1000kw"], heat_rejection_units=2, wet_bulb_c=None,
        pump_head_pa=0.0, condenser_pump_head_pa=0.0, pump_efficiency=0.7,
    )  # fmt: skip
    # dry cooler makes outdoor + 8 K: 10 C outdoor -> 18 C water <= 20 C supply: no chiller
    cold = plant_power(supply_c=20.0, dry_bulb_c=10.0, **common)
    assert cold.free_fraction == 1.0 and cold.chiller_w == 0.0
    assert cold.heat_rejection_w == pytest.approx(2 * 20e3 * 1e6 / 2e6)
    # 15 C outdoor -> 23 C water: half the load on the chiller
    mild = plant_power(supply_c=20.0, dry_bulb_c=15.0, **common)
    cop = chiller_cop(cat["chiller-wc-1750kw"], 20.0, 23.0)
    assert mild.chiller_w == pytest.approx(0.5e6 / cop, rel=1e-12)


LAYOUT = """\
format: twin-layout/1
name: one rack
cooling_redundancy: N
halls: [{{id: H, size_m: [6, 6, 3]}}]
rows:
  - id: R
    hall: H
    racks:
      - {{id: R1, position_m: [3, 3], load: {{power_kw: 100, airflow_m3s: 6}}, feeds: {{a: PDU}}}}
power:
  - {{id: UTIL, type: utility-feed-5mva}}
  - {{id: UPS, type: ups-500kw, upstream: UTIL}}
  - {{id: PDU, type: pdu-300kva, upstream: UPS}}
cooling:
  air_units:
    - {{id: C1, type: crah-150kw, hall: H, position_m: [3, 0.45], airflow_m3s: {flow},
       discharge: front}}
energy:
  outdoor_c: 20
  outdoor_wet_bulb_c: 15
  lighting_w_m2: 10
  fixed_kw: 5
  plants:
    - {{id: CHW, chiller: chiller-wc-1750kw, heat_rejection: tower-4000kw, loop_delta_t_k: 6,
       pump_head_kpa: 250, condenser_pump_head_kpa: 150, pump_efficiency: 0.7}}
"""


@pytest.fixture
def one_rack(tmp_path: Path):
    def make(flow: float = 10.0):
        path = tmp_path / f"one-{flow}.yaml"
        path.write_text(LAYOUT.format(flow=flow))
        return load_layout(path)

    return make


def test_pue_of_one_rack_by_hand(one_rack):
    b = EnergyModel(one_rack()).breakdown()
    it = 100e3
    # PDU 98 %, UPS 96 %, utility 100 %: losses on the way up
    pdu_loss = it * (1 / 0.98 - 1)
    ups_loss = it / 0.98 * (1 / 0.96 - 1)
    fan = 7.3e3  # crah-150kw at its rated 10 m3/s
    light = 10 * 36.0
    heat = it + fan + light  # what the CRAH hands the plant
    # plant: water 18 - 6 = 12 C, return 18 C; tower water 15 + 4 = 19 C > return: no free
    eta = 6.1 * 33.7 / (3.7 + 273.15)
    cop = eta * (9 + 273.15) / (19 + 8 - 9)
    chiller = heat / cop
    rejected = heat + chiller
    tower = 50.7e3 * rejected / 4000e3
    pumps = 250e3 * heat / (RHO_CP_WATER * 6) / 0.7 + 150e3 * rejected / (RHO_CP_WATER * 6) / 0.7
    total = it + pdu_loss + ups_loss + fan + pumps + chiller + tower + light + 5e3
    assert b.it_w == pytest.approx(it)
    assert b.chain_loss_w == pytest.approx(pdu_loss + ups_loss, rel=1e-12)
    assert b.fans_w == pytest.approx(fan)
    assert b.plants[0].cop == pytest.approx(cop, rel=1e-12)
    assert b.chillers_w == pytest.approx(chiller, rel=1e-12)
    assert b.heat_rejection_w == pytest.approx(tower, rel=1e-12)
    assert b.pumps_w == pytest.approx(pumps, rel=1e-12)
    assert b.total_w == pytest.approx(total, rel=1e-12)
    assert b.pue == pytest.approx(total / it, rel=1e-12)
    assert b.cooling_per_it == pytest.approx((fan + pumps + chiller + tower) / it, rel=1e-12)
    # one hall: its partial PUE carries everything but the site's fixed load
    assert b.hall_ppue[0] == pytest.approx((total - 5e3) / it, rel=1e-12)


def test_half_the_fan_flow_saves_seven_eighths_of_the_fan(one_rack):
    full = EnergyModel(one_rack(10.0)).breakdown()
    half = EnergyModel(one_rack(5.0)).breakdown()
    assert half.fans_w == pytest.approx(full.fans_w / 8, rel=1e-12)
    # the fans' own heat leaves the plant's load with them
    assert full.plants[0].load_w - half.plants[0].load_w == pytest.approx(7.3e3 * 7 / 8)


def test_frames_override_the_layout(one_rack):
    fac = one_rack()
    model = EnergyModel(fac)

    class Frame:
        def __init__(self, t, kw, state):
            self.time_s = t
            self.rack = {"power_w": np.array([kw * 1e3], np.float32)}
            self.gpu = {}
            self.air_unit = {"flow_m3s": np.array([np.nan]), "state": np.array([state])}
            self.cdu = {}
            self.power = {}

    series = energy_series(model, [Frame(0.0, 50.0, 1.0), Frame(3600.0, 100.0, 1.0)])
    assert series.it_w.tolist() == [50e3, 100e3]
    assert series.fans_w.tolist() == [7.3e3, 7.3e3]  # NaN flow: the layout's
    s = series.summary()
    assert s["it_kwh"] == pytest.approx(75.0)  # trapezoid over one hour
    assert s["pue"] == pytest.approx(series.energy_kwh(series.total_w) / 75.0, rel=1e-3)
    off = model.breakdown(model.from_frame(Frame(0.0, 100.0, 0.0)))
    assert off.fans_w == 0.0


def test_outdoor_series_by_time_of_day(tmp_path: Path):
    text = LAYOUT.format(flow=10.0).replace(
        "  outdoor_c: 20\n",
        "  outdoor_series: [{at: '00:00', dry_bulb_c: 10}, {at: '12:00', dry_bulb_c: 30}]\n",
    )
    path = tmp_path / "series.yaml"
    path.write_text(text)
    model = EnergyModel(load_layout(path))
    day = 86400.0 * 20000
    assert model.outdoor_at(day + 6 * 3600)[0] == pytest.approx(20.0)
    assert model.outdoor_at(day + 18 * 3600)[0] == pytest.approx(20.0)  # wraps past midnight
    assert model.outdoor_at(day + 12 * 3600)[0] == pytest.approx(30.0)


def test_bad_plant_reference_names_the_field(tmp_path: Path):
    from twin.model.errors import LayoutError

    text = LAYOUT.format(flow=10.0).replace("chiller: chiller-wc-1750kw", "chiller: crah-150kw")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(LayoutError) as err:
        load_layout(path)
    assert "energy.plants[0].chiller" in str(err.value)
    assert "expected chiller" in str(err.value)


def test_warm_and_chilled_water_plants_share_the_pod():
    from twin.model.catalog import assets_dir

    fac = load_layout(assets_dir().parent / "layouts" / "gb200-pod.yaml")
    model = EnergyModel(fac)
    b = model.breakdown()
    tcw, chw = b.plants
    # the warm-water plant carries every CDU's liquid heat and its pump, nothing else
    pumps = model.cdu_pump_rated_w  # every CDU at its rated flow
    assert tcw.load_w == pytest.approx(float(fac.cdu_load_w().sum() + pumps.sum()), rel=1e-12)
    # ... at the CDUs' supply less their approach, the chilled water at the CRAHs' less theirs
    assert tcw.supply_c == pytest.approx(float(fac.cdu_supply_c.min()) - 4.0)
    assert chw.supply_c == pytest.approx(float(fac.air_unit_supply_c.min()) - 6.0)
    # the halls and the site's fixed load make up the whole
    assert float(b.hall_total_w.sum()) + b.fixed_w == pytest.approx(b.total_w, rel=1e-12)
    assert 1.0 < b.pue < 1.3
