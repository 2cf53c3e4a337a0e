"""The facility's energy worked out by hand on a two-hall layout: which plant serves which unit,
how the air units share their hall's heat, what a CDU hands its plant, the power chain's
losses hall by hall, the halls' partial PUE, the outdoor temperature series, a frame's readings
and the figures ``as_dict`` and ``EnergySeries.summary`` print. Every expected figure follows
from ../shared/REFERENCE.md's formulas and the catalog's ratings, not from the code's output."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from twin.model.catalog import shipped_catalog
from twin.model.loader import load_layout
from twin.model.schema import CoolingPlant, Energy
from twin.physics.energy import (
    EnergyBreakdown,
    EnergyModel,
    EnergySeries,
    default_energy,
    energy_series,
    gap_note,
)
from twin.physics.plant import PlantPower

RHO_CP = 997.0 * 4180.0
PDU, UPS = 1 / 0.98 - 1, 1 / 0.96 - 1  # loss per W through a pdu-300kva, a ups-500kw

#: Hall H1 (10 x 8 m): R1, 100 kW all to air, fed by PDU-A (behind the UPS) and PDU-B (straight
#: off the utility); two crah-150kw (7.3 kW at 10 m3/s) at 6 and 4 m3/s; CDU D1 with no racks.
#: Hall H2 (6 x 5 m): L1, 50 kW, 80 % liquid on CDU D2, fed by PDU-A alone; one crah-77kw
#: (3.4 kW at 4.72 m3/s) at 16 C. CDUs: cdu-inrow-250kw, 2 kW at 6 L/s, approach 4 K.
LAYOUT = """\
format: twin-layout/1
name: two halls
cooling_redundancy: N
halls:
  - {{id: H1, size_m: [10, 8, 3]}}
  - {{id: H2, origin_m: [20, 0], size_m: [6, 5, 3]}}
catalog:
  - {{id: crah-nofan, kind: air_unit, name: no fan figure, size_m: [2.5, 0.9, 1.98],
     capacity_kw: 150, airflow_m3s: 10, coil_approach_k: 5, min_flow_fraction: 0.25}}
  - {{id: cdu-nopump, kind: cdu, name: no pump figure, size_m: [0.6, 1.2, 2.0], capacity_kw: 250,
     flow_lps: 9, approach_k: 3}}
rows:
  - id: A
    hall: H1
    racks:
      - {{id: R1, position_m: [3, 4], load: {{power_kw: 100, airflow_m3s: 6}},
         feeds: {{a: PDU-A, b: PDU-B}}}}
  - id: B
    hall: H2
    racks:
      - {{id: L1, position_m: [3, 2.5], load: {{power_kw: 50, airflow_m3s: 1, liquid_fraction: 0.8}},
         feeds: {{a: PDU-A}}, cdu: D2}}
power:
  - {{id: UTIL, type: utility-feed-5mva}}
  - {{id: UPS, type: ups-500kw, upstream: UTIL}}
  - {{id: PDU-A, type: pdu-300kva, upstream: UPS}}
  - {{id: PDU-B, type: pdu-300kva, upstream: UTIL, state: {pdu_b}}}
cooling:
  air_units:
    - {{id: C1, type: crah-150kw, hall: H1, position_m: [3, 0.45], airflow_m3s: 6,
       discharge: front}}
    - {{id: C2, type: {c2_type}, hall: H1, position_m: [7, 0.45], airflow_m3s: 4,
       discharge: front, state: {c2}}}
    - {{id: C3, type: crah-77kw, hall: H2, position_m: [3, 0.45], supply_c: 16, discharge: front}}
  cdus:
    - {{id: D1, type: {d1_type}, hall: H1, position_m: [8, 6], supply_c: 30}}
    - {{id: D2, type: cdu-inrow-250kw, hall: H2, position_m: [5, 4], supply_c: 27, state: {d2}}}
{energy}"""

ENERGY = """\
energy:
  outdoor_c: 10
  outdoor_wet_bulb_c: 8
  lighting_w_m2: 10
  fixed_kw: 5
  plants:
{plants}
"""

PLANTS = """\
    - {id: CHW, chiller: chiller-wc-1750kw, heat_rejection: tower-4000kw, serves: [air],
       pump_head_kpa: 200, condenser_pump_head_kpa: 100, pump_efficiency: 0.8}
    - {id: TCW, heat_rejection: drycooler-1000kw, serves: [liquid]}
"""


@pytest.fixture
def hall2(tmp_path: Path):
    def make(
        plants: str | None = PLANTS,
        pdu_b: str = "on",
        c2: str = "on",
        c2_type: str = "crah-150kw",
        d1_type: str = "cdu-inrow-250kw",
        energy: str | None = None,
        d2: str = "on",
    ):
        block = energy if energy is not None else ""
        if plants is not None and energy is None:
            block = ENERGY.format(plants=plants)
        text = LAYOUT.format(
            pdu_b=pdu_b, c2=c2, c2_type=c2_type, d1_type=d1_type, energy=block, d2=d2
        )
        path = tmp_path / f"two-{abs(hash(text))}.yaml"
        path.write_text(text)
        return load_layout(path)

    return make


@dataclass
class Frame:
    """What a telemetry frame offers the energy model (dicts of arrays, by metric)."""

    time_s: float = 0.0
    rack: dict = field(default_factory=dict)
    gpu: dict = field(default_factory=dict)
    air_unit: dict = field(default_factory=dict)
    cdu: dict = field(default_factory=dict)
    power: dict = field(default_factory=dict)


# ---------------------------------------------------------------- the default plant
def test_default_plant_sized_for_the_heat_with_a_spare_chiller():
    cat = shipped_catalog()

    def plant(it_kw: list[float]) -> CoolingPlant:
        fac = SimpleNamespace(rack_power_w=np.array(it_kw) * 1e3, catalog=cat)
        (p,) = default_energy(fac).plants  # type: ignore[arg-type]
        return p

    # heat = 1.1 x IT; chillers of 1750 kW, one spare; towers of 4000 kW for 1.25 x the heat
    p = plant([600.0, 400.0])  # 1100 kW: 1 + 1 chillers, 1375 kW on towers: 1
    assert (p.id, p.chiller, p.heat_rejection) == (
        "default-plant",
        "chiller-wc-1750kw",
        "tower-4000kw",
    )
    assert (p.chillers, p.heat_rejection_units, p.serves) == (2, 1, [])
    p = plant([1700.0])  # 1870 kW: 2 + 1 chillers; 2337.5 kW: 1 tower
    assert (p.chillers, p.heat_rejection_units) == (3, 1)
    p = plant([3000.0])  # 3300 kW: 2 + 1; 4125 kW: 2 towers
    assert (p.chillers, p.heat_rejection_units) == (3, 2)
    p = plant([1591.5])  # 1750.65 kW: just past one chiller, 2 + 1
    assert (p.chillers, p.heat_rejection_units) == (3, 1)
    p = plant([0.0])  # nothing to cool still gets one chiller, a spare and a tower
    assert (p.chillers, p.heat_rejection_units) == (2, 1)


def test_a_layout_without_an_energy_block_gets_the_default_plant_and_says_so(hall2):
    fac = hall2(plants=None)
    model = EnergyModel(fac)
    assert not model.declared
    assert model.energy.plants[0].id == "default-plant"
    assert model.energy.plants[0].chillers == 2
    b = model.breakdown()
    assert b.notes == ["no energy: block in the layout: default plant"]
    assert b.plant_ids == ["default-plant"]
    # the defaults: 20 C outside, 10 W/m2 of light, no fixed load
    assert b.dry_bulb_c == 20.0 and b.fixed_w == 0.0
    assert b.lighting_w == pytest.approx(10 * (80 + 30), rel=1e-15)
    # every unit goes to the one plant
    assert model.air_unit_plant.tolist() == [0, 0, 0] and model.cdu_plant.tolist() == [0, 0]
    given = EnergyModel(fac, Energy(plants=[CoolingPlant(id="P", chiller="chiller-wc-1750kw")]))
    assert given.declared and given.breakdown().notes == []
    assert given.plant_ids == ["P"]


# ---------------------------------------------------------------- unit constants
def test_types_without_fan_or_pump_figures_take_the_defaults(hall2):
    model = EnergyModel(hall2(c2_type="crah-nofan", d1_type="cdu-nopump"))
    # 0.8 kW per m3/s of rated flow; 200 kPa x 9 L/s / 0.6
    assert model.air_unit_fan_rated_w.tolist() == [7300.0, 8000.0, 3400.0]
    assert model.cdu_pump_rated_w == pytest.approx([200e3 * 9e-3 / 0.6, 2000.0], rel=1e-15)
    assert model.air_unit_rated_m3s.tolist() == [10.0, 10.0, 4.72]
    assert model.cdu_rated_lps.tolist() == [9.0, 6.0]
    assert model.air_unit_coil_approach_k.tolist() == [6.0, 5.0, 6.0]
    assert model.air_unit_min_flow.tolist() == [0.3, 0.25, 0.3]
    assert model.cdu_approach_k.tolist() == [3.0, 4.0]
    assert model.n_halls == 2
    b = model.breakdown()
    # C2 at 4 of its 10 m3/s: 8 kW x 0.4^3; D1 at its rated 9 L/s
    assert b.air_unit_fan_w[1] == pytest.approx(8000 * 0.064, rel=1e-12)
    assert b.cdu_pump_w[0] == pytest.approx(3000.0, rel=1e-12)


# ---------------------------------------------------------------- which plant serves what
def _assigned(hall2, plants: str) -> tuple[list[int], list[int]]:
    model = EnergyModel(hall2(plants=plants))
    return model.air_unit_plant.tolist(), model.cdu_plant.tolist()


def test_plants_serve_units_halls_air_liquid_and_the_rest(hall2):
    # a unit by id; the first plant without 'serves' takes the rest; a second such gets none
    assert _assigned(
        hall2,
        "    - {id: P0, serves: [C2]}\n    - {id: P1, serves: [liquid]}\n"
        "    - {id: P2}\n    - {id: P3}\n",
    ) == ([2, 0, 2], [1, 1])
    # a hall takes its own units; 'air' the air units nobody named before
    assert _assigned(
        hall2, "    - {id: P0, serves: [H1]}\n    - {id: P1, serves: [air, D2]}\n"
    ) == ([0, 0, 1], [0, 1])
    # ... and a hall after 'air' finds its air units taken, its CDUs free; D2 is nobody's
    assert _assigned(hall2, "    - {id: P0, serves: [air]}\n    - {id: P1, serves: [H1]}\n") == (
        [0, 0, 0],
        [1, -1],
    )
    # 'liquid' takes every CDU not named before; a CDU by id
    assert _assigned(
        hall2, "    - {id: P0, serves: [D1]}\n    - {id: P1, serves: [liquid, C3]}\n"
    ) == ([-1, -1, 1], [0, 1])


def test_units_no_plant_serves_hand_their_heat_to_none(hall2):
    model = EnergyModel(hall2(plants="    - {id: P0, chiller: chiller-wc-1750kw, serves: [C3]}\n"))
    b = model.breakdown()
    # C3 carries H2's air heat, its own fan and H2's light: 10 kW + 3.4 kW + 300 W
    assert b.plants[0].load_w == pytest.approx(13.7e3, rel=1e-12)
    # H1's plant share is nothing; H2's is the whole plant
    assert b.hall_total_w[1] - b.plants[0].total_w == pytest.approx(
        50e3 + (50e3 * PDU + 50e3 / 0.98 * UPS) + 3400 + 2000 + 300, rel=1e-12
    )


# ---------------------------------------------------------------- outdoor
def _model_with(hall2, energy_lines: str) -> EnergyModel:
    text = "energy:\n" + energy_lines + "  plants: [{id: P, chiller: chiller-wc-1750kw}]\n"
    return EnergyModel(hall2(energy=text))


def test_constant_outdoor_at_any_time(hall2):
    model = _model_with(hall2, "  outdoor_c: 31\n  outdoor_wet_bulb_c: 22\n")
    for t in (None, 0.0, 1.8e9, math.nan):
        assert model.outdoor_at(t) == (31.0, 22.0)
    assert _model_with(hall2, "  outdoor_c: 31\n").outdoor_at(5.0) == (31.0, None)


def test_daily_series_sorted_and_wet_bulbs_interpolated(hall2):
    model = _model_with(
        hall2,
        "  outdoor_series: [{at: '12:00', dry_bulb_c: 30, wet_bulb_c: 20},\n"
        "                   {at: '00:00', dry_bulb_c: 10, wet_bulb_c: 8}]\n",
    )
    day = 86400.0 * 20000
    assert model.outdoor_at(day + 6 * 3600) == pytest.approx((20.0, 14.0), rel=1e-12)
    assert model.outdoor_at(day + 15 * 3600) == pytest.approx((25.0, 17.0), rel=1e-12)
    assert model.outdoor_at(day + 21 * 3600) == pytest.approx((15.0, 11.0), rel=1e-12)
    # no time (the layout's nominal state) or no finite time: the points' mean
    for t in (None, math.nan, math.inf):
        assert model.outdoor_at(t) == (20.0, 14.0)
    assert model.nominal().dry_bulb_c == 20.0 and model.nominal().wet_bulb_c == 14.0
    # a frame is read at its own time
    cond = model.from_frame(Frame(time_s=day + 15 * 3600))
    assert (cond.dry_bulb_c, cond.wet_bulb_c) == pytest.approx((25.0, 17.0), rel=1e-12)


def test_a_series_missing_a_wet_bulb_takes_the_constant_one(hall2):
    model = _model_with(
        hall2,
        "  outdoor_c: 25\n  outdoor_wet_bulb_c: 9\n"
        "  outdoor_series: [{at: '00:00', dry_bulb_c: 10, wet_bulb_c: 8},\n"
        "                   {at: '12:00', dry_bulb_c: 30}]\n",
    )
    assert model.outdoor_at(86400.0 + 6 * 3600) == (20.0, 9.0)
    assert model.outdoor_at(None) == (20.0, 9.0)


def test_a_constant_wet_bulb_is_capped_by_a_colder_series_point(hall2):
    """18 C wet bulb beside a 25 C constant dry bulb is air at about half humidity, but the
    night's 5 C air cannot have it: a wet bulb is at most the dry bulb."""
    model = _model_with(
        hall2,
        "  outdoor_c: 25\n  outdoor_wet_bulb_c: 18\n"
        "  outdoor_series: [{at: '00:00', dry_bulb_c: 5}, {at: '12:00', dry_bulb_c: 30}]\n",
    )
    day = 86400.0 * 20000
    assert model.outdoor_at(day) == (5.0, 5.0)
    assert model.outdoor_at(day + 3 * 3600) == (11.25, 11.25)
    assert model.outdoor_at(day + 9 * 3600) == (23.75, 18.0)
    assert model.outdoor_at(day + 12 * 3600) == (30.0, 18.0)
    assert model.outdoor_at(None) == (17.5, 17.5)  # the points' mean


def test_absolute_series_held_at_its_ends(hall2):
    model = _model_with(
        hall2,
        "  outdoor_series: [{at: '2026-01-01T10:00:00+00:00', dry_bulb_c: 10},\n"
        "                   {at: '2026-01-01T00:00:00', dry_bulb_c: 0}]\n",
    )
    t0 = 1767225600.0  # 2026-01-01T00:00:00Z
    assert model.outdoor_at(t0 + 5 * 3600) == (5.0, None)
    assert model.outdoor_at(t0 + 2.5 * 3600) == (2.5, None)
    assert model.outdoor_at(t0 - 86400) == (0.0, None)  # not read as a time of day
    assert model.outdoor_at(t0 + 86400 + 5 * 3600) == (10.0, None)


def test_points_at_one_time_keep_the_files_order(hall2):
    # nine hours, two points each (h C, then h + 0.5 C), listed latest hour first: sorted by
    # time, each hour's pair stays in the file's order, so the line leaves an hour from its
    # second point; 18 points, past where numpy's default sort stops being stable
    lines = []
    for h in range(8, -1, -1):
        for dry in (h, h + 0.5):
            lines.append(f"{{at: '2026-01-01T{h:02d}:00:00', dry_bulb_c: {dry}}}")
    model = _model_with(hall2, "  outdoor_series: [" + ", ".join(lines) + "]\n")
    t0 = 1767225600.0  # 2026-01-01T00:00:00Z
    for h in range(8):
        # half-way from h + 0.5 C to the next hour's first point, h + 1 C
        assert model.outdoor_at(t0 + h * 3600 + 1800)[0] == pytest.approx(h + 0.75, rel=1e-12)


def test_a_series_of_one_point_holds_all_day(hall2):
    model = _model_with(hall2, "  outdoor_series: [{at: '06:00', dry_bulb_c: 15}]\n")
    assert model.outdoor_at(1.8e9) == (15.0, None)
    assert model.outdoor_at(None) == (15.0, None)


def test_plants_without_serves_the_first_takes_the_rest(hall2):
    assert _assigned(hall2, "    - {id: P0}\n    - {id: P1}\n") == ([0, 0, 0], [0, 0])
    # a CDU named by an earlier plant stays with it when a later one takes its hall
    assert _assigned(hall2, "    - {id: P0, serves: [D1, C1]}\n    - {id: P1, serves: [H1]}\n") == (
        [0, 1, -1],
        [0, -1],
    )


def test_a_cdu_types_own_pump_figure_wins(hall2):
    # cdu-row-1300kw: 11.9 kW at 31 L/s (the 200 kPa / 0.6 default would be 10.33 kW)
    model = EnergyModel(hall2(d1_type="cdu-row-1300kw"))
    assert model.cdu_pump_rated_w.tolist() == [11.9e3, 2000.0]


# ---------------------------------------------------------------- nominal and frames
def test_nominal_conditions_follow_the_layout(hall2):
    fac = hall2(pdu_b="off", c2="off", d2="off")
    model = EnergyModel(fac)
    cond = model.nominal()
    assert cond.rack_power_w.tolist() == [100e3, 50e3]
    assert cond.air_unit_flow_m3s.tolist() == [6.0, 0.0, 4.72]
    assert cond.air_unit_supply_c.tolist() == [18.0, 18.0, 16.0]
    assert cond.cdu_flow_lps.tolist() == [6.0, 0.0]
    assert cond.cdu_supply_c.tolist() == [30.0, 27.0]
    assert cond.power_failed == ("PDU-B",)
    assert (cond.dry_bulb_c, cond.wet_bulb_c) == (10.0, 8.0)
    assert model.breakdown().cdu_pump_w.tolist() == [2000.0, 0.0]
    cond.rack_power_w[:] = 0.0
    cond.air_unit_supply_c[:] = 0.0
    cond.cdu_supply_c[:] = 0.0
    again = model.nominal()  # the conditions are a copy, not the layout's arrays
    assert again.rack_power_w.tolist() == [100e3, 50e3]
    assert again.air_unit_supply_c.tolist() == [18.0, 18.0, 16.0]
    assert again.cdu_supply_c.tolist() == [30.0, 27.0]


def test_a_frame_overrides_what_it_reads(hall2):
    model = EnergyModel(hall2())
    frame = Frame(
        time_s=1.8e9,
        rack={"power_w": np.array([-5.0, np.nan])},  # negative: none; NaN: the layout's
        air_unit={
            "flow_m3s": np.array([5.0, np.nan, 3.0]),
            "supply_c": np.array([20.0, np.nan, 17.0]),
            "state": np.array([1.0, 1.0, 0.0]),
        },
        cdu={"flow_lps": np.array([3.0, 4.0]), "supply_c": np.array([np.nan, 26.0])},
        power={"state": np.array([1.0, 1.0, 0.0, 1.0])},
    )
    cond = model.from_frame(frame)
    assert cond.rack_power_w.tolist() == [0.0, 50e3]
    assert cond.air_unit_flow_m3s.tolist() == [5.0, 4.0, 0.0]  # C3 read off
    assert cond.air_unit_supply_c.tolist() == [20.0, 18.0, 17.0]
    assert cond.cdu_flow_lps.tolist() == [3.0, 4.0]
    assert cond.cdu_supply_c.tolist() == [30.0, 26.0]
    assert cond.power_failed == ("PDU-A",)
    assert (cond.dry_bulb_c, cond.wet_bulb_c) == (10.0, 8.0)


def test_a_frame_with_readings_of_the_wrong_length_keeps_the_layout(hall2):
    fac = hall2(c2="off", pdu_b="off")
    model = EnergyModel(fac)
    frame = Frame(
        rack={"power_w": np.array([1.0, 2.0, 3.0])},
        air_unit={"flow_m3s": np.array([1.0]), "state": np.array([1.0, 1.0])},
        cdu={"state": np.array([0.0, 1.0])},
    )
    cond = model.from_frame(frame)
    assert cond.rack_power_w.tolist() == [100e3, 50e3]
    assert cond.air_unit_flow_m3s.tolist() == [6.0, 0.0, 4.72]  # C2 off in the layout
    assert cond.cdu_flow_lps.tolist() == [0.0, 6.0]
    assert cond.power_failed == ("PDU-B",)
    # a frame turning C2 on runs it at the layout's flow
    on = model.from_frame(Frame(air_unit={"state": np.array([1.0, 1.0, 1.0])}))
    assert on.air_unit_flow_m3s.tolist() == [6.0, 4.0, 4.72]
    assert model.from_frame(Frame(power={"state": np.ones(4)})).power_failed == ()


# ---------------------------------------------------------------- the power chain
def test_chain_losses_hall_by_hall(hall2):
    model = EnergyModel(hall2())
    p = np.array([100e3, 50e3])
    # R1 split over PDU-A (behind the UPS) and PDU-B; L1 on PDU-A alone
    h1 = 100e3 * PDU + 50e3 / 0.98 * UPS
    h2 = 50e3 * PDU + 50e3 / 0.98 * UPS
    assert model.chain_losses_w(p, ()) == pytest.approx([h1, h2], rel=1e-12)
    # PDU-B failed: R1 all through PDU-A and the UPS
    assert model.chain_losses_w(p, ("PDU-B",)) == pytest.approx(
        [100e3 * PDU + 100e3 / 0.98 * UPS, h2], rel=1e-12
    )
    # a hall without power loses nothing
    assert model.chain_losses_w(np.array([0.0, 50e3]), ()).tolist()[0] == 0.0
    b = model.breakdown()
    assert b.chain_loss_w == pytest.approx(h1 + h2, rel=1e-12)


def test_no_losses_without_lossy_devices(tmp_path: Path):
    text = (
        "format: twin-layout/1\nname: bare\nhalls: [{id: H, size_m: [6, 6, 3]}]\n"
        "rows: [{id: R, hall: H, racks: [{id: R1, position_m: [3, 3], "
        "load: {power_kw: 10, airflow_m3s: 1}, feeds: {a: U}}]}]\n"
        "power: [{id: U, type: utility-feed-5mva}]\n"
    )
    path = tmp_path / "bare.yaml"
    path.write_text(text)
    model = EnergyModel(load_layout(path))
    assert model.chain_losses_w(np.array([10e3]), ()).tolist() == [0.0]
    path.write_text(text.replace("\npower: [{id: U, type: utility-feed-5mva}]\n", "\n"))
    path.write_text(path.read_text().replace(", feeds: {a: U}", ""))
    model = EnergyModel(load_layout(path))
    assert model.chain_losses_w(np.array([10e3]), ()).tolist() == [0.0]
    b = model.breakdown()
    assert b.chain_loss_w == 0.0 and b.it_w == 10e3


# ---------------------------------------------------------------- the breakdown
def test_breakdown_of_two_halls_by_hand(hall2):
    b = EnergyModel(hall2()).breakdown()
    fans_h1 = 7300 * (0.6**3 + 0.4**3)
    light = np.array([10 * 80.0, 10 * 30.0])
    h1_air = 100e3 + fans_h1 + light[0]  # R1 all to air, C1 and C2 fans, H1's light
    h2_air = 50e3 * 0.2 + 3400 + light[1]
    assert b.air_unit_fan_w == pytest.approx([7300 * 0.216, 7300 * 0.064, 3400], rel=1e-12)
    assert b.cdu_pump_w.tolist() == [2000.0, 2000.0]
    chw, tcw = b.plants
    assert chw.load_w == pytest.approx(h1_air + h2_air, rel=1e-12)
    assert tcw.load_w == pytest.approx(2000 + 40e3 + 2000, rel=1e-12)
    # the coldest need: C3 at 16 - 6 = 10 C; the CDUs at 30 - 4 and 27 - 4 = 23 C
    assert (chw.supply_c, tcw.supply_c) == (10.0, 23.0)
    # plant pumps: 200 kPa / 0.8 for the chilled water, 100 kPa for the condenser water
    rejected = chw.load_w + chw.chiller_w
    chw_pumps = (200e3 * chw.load_w + 100e3 * rejected) / (RHO_CP * 6.0) / 0.8
    assert chw.pumps_w == pytest.approx(chw_pumps, rel=1e-12)
    assert b.pumps_w == pytest.approx(4000 + chw.pumps_w + tcw.pumps_w, rel=1e-12)
    assert b.chillers_w == chw.chiller_w and tcw.chiller_w == 0.0
    assert b.heat_rejection_w == pytest.approx(chw.heat_rejection_w + tcw.heat_rejection_w)
    assert b.fans_w == pytest.approx(fans_h1 + 3400, rel=1e-12)
    assert b.lighting_w == pytest.approx(1100.0, rel=1e-15) and b.fixed_w == 5e3
    assert b.it_w == 150e3 and b.hall_it_w.tolist() == [100e3, 50e3]
    assert b.hall_ids == ["H1", "H2"] and b.plant_ids == ["CHW", "TCW"]
    assert b.dry_bulb_c == 10.0 and b.notes == []
    # each hall: its own IT, losses, fans, CDU pumps and light, and its share of each plant by
    # the heat its units hand over (D1, with no racks, still hands over its pump's 2 kW)
    losses = [100e3 * PDU + 50e3 / 0.98 * UPS, 50e3 * PDU + 50e3 / 0.98 * UPS]
    own = np.array([100e3 + losses[0] + fans_h1 + 2000, 50e3 + losses[1] + 3400 + 2000]) + light
    share = np.array(
        [
            chw.total_w * h1_air / chw.load_w + tcw.total_w * 2000 / tcw.load_w,
            chw.total_w * h2_air / chw.load_w + tcw.total_w * 42e3 / tcw.load_w,
        ]
    )
    assert b.hall_total_w == pytest.approx(own + share, rel=1e-12)
    assert b.hall_total_w.sum() + 5e3 == pytest.approx(b.total_w, rel=1e-12)
    assert b.hall_ppue == pytest.approx((own + share) / [100e3, 50e3], rel=1e-12)


def test_units_off_hand_over_nothing(hall2):
    model = EnergyModel(hall2())
    cond = model.from_frame(
        Frame(air_unit={"state": np.array([1.0, 0.0, 1.0])}, cdu={"state": np.array([1.0, 0.0])})
    )
    b = model.breakdown(cond)
    chw, tcw = b.plants
    # C1 alone at 6 m3/s carries H1; D2 off takes neither L1's liquid heat nor its pump's
    assert chw.load_w == pytest.approx(100e3 + 7300 * 0.216 + 800 + 10e3 + 3400 + 300)
    assert tcw.load_w == pytest.approx(2000.0, rel=1e-12)
    assert tcw.supply_c == 26.0  # only D1 runs: 30 - 4
    assert b.cdu_pump_w.tolist() == [2000.0, 0.0]
    # every CDU off: the warm-water plant makes nothing, at 20 C
    cond = model.from_frame(Frame(cdu={"state": np.array([0.0, 0.0])}))
    b = model.breakdown(cond)
    tcw = b.plants[1]
    assert (tcw.load_w, tcw.supply_c, tcw.total_w) == (0.0, 20.0, 0.0)
    assert np.isfinite(b.hall_total_w).all()  # a plant with no load shares nothing
    assert b.hall_total_w.sum() + 5e3 == pytest.approx(b.total_w, rel=1e-12)
    # D1 alone at 0.1 L/s: a load of a few mW (its pump), and the plant's power for it
    # still goes to H1 (so the halls add up to the site)
    cond = model.from_frame(Frame(cdu={"flow_lps": np.array([0.1, 0.0])}))
    b = model.breakdown(cond)
    tcw = b.plants[1]
    assert tcw.load_w == pytest.approx(2000 * (0.1 / 6) ** 3, rel=1e-12)
    assert tcw.total_w > 1e-4
    assert b.hall_total_w.sum() + 5e3 == pytest.approx(b.total_w, abs=1e-8)


def test_a_hall_with_every_air_unit_off(hall2):
    model = EnergyModel(hall2())
    cond = model.from_frame(Frame(air_unit={"state": np.array([0.0, 0.0, 1.0])}))
    b = model.breakdown(cond)
    # nothing carries H1's air heat (no division by its zero airflow)
    assert b.plants[0].load_w == pytest.approx(10e3 + 3400 + 300, rel=1e-12)
    assert np.isfinite(b.hall_total_w).all()
    assert b.fans_w == pytest.approx(3400.0, rel=1e-12)


def test_a_frame_warmer_supply_moves_the_plant_supply(hall2):
    model = EnergyModel(hall2())
    cond = model.from_frame(
        Frame(
            air_unit={"supply_c": np.array([19.0, 21.0, 22.0])},
            cdu={"supply_c": np.array([33.0, 31.0])},
        )
    )
    chw, tcw = model.breakdown(cond).plants
    assert (chw.supply_c, tcw.supply_c) == (13.0, 27.0)


def test_over_capacity_is_noted(hall2):
    plants = (
        "    - {id: CHW, chiller: chiller-wc-1750kw, serves: [air]}\n"
        "    - {id: TCW, heat_rejection: drycooler-1000kw, serves: [liquid]}\n"
    )
    model = EnergyModel(hall2(plants=plants))
    cond = model.nominal()
    cond.rack_power_w = np.array([100e3, 1500e3])  # 1.2 MW of liquid heat on 1 MW of coolers
    b = model.breakdown(cond)
    assert b.notes == ["plant TCW is over capacity"]
    assert [p.over_capacity for p in b.plants] == [False, True]


def test_no_it_no_pue(hall2):
    model = EnergyModel(hall2())
    cond = model.nominal()
    cond.rack_power_w = np.zeros(2)
    b = model.breakdown(cond)
    assert b.it_w == 0.0
    assert math.isnan(b.pue) and math.isnan(b.cooling_per_it)
    assert np.isnan(b.hall_ppue).all()
    cond.rack_power_w = np.array([0.0, 50e3])
    b = model.breakdown(cond)
    assert math.isnan(b.hall_ppue[0]) and b.hall_ppue[1] > 1.0


# ---------------------------------------------------------------- as_dict
def _breakdown() -> EnergyBreakdown:
    pp = PlantPower(123456.0, 12.3456, 18.0, 10.0, 14.0, 0.12345, 5.67891, 2345.6789, 987.6543,
                    3456.7891, 2e6, 0.0)  # fmt: skip
    free = PlantPower(1000.0, 25.0, 31.0, 10.0, 18.0, 1.0, math.nan, 0.0, 20.0, 5.0, 999.0, 0.0)
    return EnergyBreakdown(
        it_w=100_000.0, chain_loss_w=1234.5678, fans_w=2000.0, pumps_w=3012.3, chillers_w=4000.0,
        heat_rejection_w=500.0, lighting_w=250.0, fixed_w=5000.0, hall_ids=["H1", "H2"],
        hall_it_w=np.array([60e3, 40e3]), hall_total_w=np.array([70_123.4, 45_000.0]),
        air_unit_fan_w=np.zeros(0), cdu_pump_w=np.zeros(0), plant_ids=["CHW", "TCW"],
        plants=[pp, free], dry_bulb_c=12.5, notes=["a note"],
    )  # fmt: skip


def test_as_dict_in_kilowatts_rounded():
    b = _breakdown()
    cooling = 2000.0 + 3012.3 + 4000.0 + 500.0
    total = 100e3 + 1234.5678 + cooling + 250.0 + 5000.0
    assert b.cooling_w == pytest.approx(cooling, rel=1e-15)
    assert b.total_w == pytest.approx(total, rel=1e-15)
    d = b.as_dict()
    assert d["it_kw"] == 100.0
    assert d["total_kw"] == 115.997  # 115,996.8678 W
    assert d["pue"] == 1.16  # 1.159968678
    assert d["cooling_kw_per_it_kw"] == 0.0951  # 0.095123
    assert d["breakdown_kw"] == {
        "it": 100.0,
        "power_chain_losses": 1.235,
        "fans": 2.0,
        "pumps": 3.012,
        "chillers": 4.0,
        "heat_rejection": 0.5,
        "lighting": 0.25,
        "fixed": 5.0,
    }
    assert d["halls"] == [
        {"id": "H1", "it_kw": 60.0, "total_kw": 70.123, "ppue": 1.1687},
        {"id": "H2", "it_kw": 40.0, "total_kw": 45.0, "ppue": 1.125},
    ]
    assert d["plants"] == [
        {
            "id": "CHW",
            "load_kw": 123.456,
            "supply_c": 12.35,
            "free_cooling": 0.123,
            "cop": 5.679,
            "chillers_kw": 2.346,
            "heat_rejection_kw": 0.988,
            "pumps_kw": 3.457,
            "over_capacity": False,
        },
        {
            "id": "TCW",
            "load_kw": 1.0,
            "supply_c": 25.0,
            "free_cooling": 1.0,
            "cop": None,
            "chillers_kw": 0.0,
            "heat_rejection_kw": 0.02,
            "pumps_kw": 0.005,
            "over_capacity": True,
        },
    ]
    assert d["outdoor_c"] == 12.5
    assert d["notes"] == ["a note"]
    d["notes"].append("more")
    assert b.notes == ["a note"]  # a copy


# ---------------------------------------------------------------- series over time
def _series(t, it_w, total_w, cooling=(1.0, 2.0, 3.0, 4.0)) -> EnergySeries:
    t = np.asarray(t, float)
    one = np.ones_like(t)
    fans, pumps, chillers, hr = (c * one for c in cooling)
    return EnergySeries(
        t, np.asarray(it_w, float), np.asarray(total_w, float), 0 * one, fans, pumps, chillers,
        hr, 10 * one,
    )  # fmt: skip


def test_series_pue_and_its_extremes():
    # PUE 1.3, none (no IT), 1.1, 1.5 an hour apart
    s = _series([0, 3600, 7200, 10800], [1e6, 0.0, 2e6, 1e6], [1.3e6, 1e5, 2.2e6, 1.5e6])
    assert s.pue[0] == 1.3 and math.isnan(s.pue[1]) and s.pue[3] == 1.5
    assert s.pue[2] == pytest.approx(1.1, rel=1e-15)
    assert s.cooling_w.tolist() == [10.0] * 4
    out = s.summary()
    it_kwh = (0.5e6 + 1e6 + 1.5e6) * 3600 / 3.6e6
    total_kwh = (0.7e6 + 1.15e6 + 1.85e6) * 3600 / 3.6e6
    assert out["frames"] == 4 and out["gaps"] == 0 and out["gap_s"] == 0.0
    assert out["it_kwh"] == pytest.approx(it_kwh, abs=5e-4)
    assert out["facility_kwh"] == pytest.approx(total_kwh, abs=5e-4)
    assert out["cooling_kwh"] == pytest.approx(10.0 * 3 * 3600 / 3.6e6, abs=5e-4)
    assert out["pue"] == round(total_kwh / it_kwh, 4) == 1.2333
    assert (out["pue_min"], out["pue_min_time_s"]) == (1.1, 7200.0)
    assert (out["pue_max"], out["pue_max_time_s"]) == (1.5, 10800.0)
    assert out["mean_it_kw"] == 1000.0
    assert out["mean_total_kw"] == 1275.0  # (1.3 + 0.1 + 2.2 + 1.5) MW / 4


def test_series_energies_rounded_to_watt_hours_and_pue_weighted_by_energy():
    # one second: 2 MW of IT on average, 2.5 MW in all, 400 kW of cooling
    s = _series([0.0, 1.0], [1e6, 3e6], [2e6, 3e6], cooling=(1e5, 1e5, 1e5, 1e5))
    out = s.summary()
    assert out["it_kwh"] == 0.556  # 2e6 / 3.6e6 = 0.5556
    assert out["facility_kwh"] == 0.694  # 2.5e6 / 3.6e6 = 0.69444
    assert out["cooling_kwh"] == 0.111  # 4e5 / 3.6e6 = 0.1111
    # the frames' PUEs are 2 and 1; over the second, 2.5 / 2
    assert out["pue"] == 1.25


def test_one_frame_in_kilowatts_and_pue_rounded():
    # 1,000,123.456 W of IT, 1,234,567.891 W in all: PUE 1.23441549...
    out = _series([7.0], [1_000_123.456], [1_234_567.891]).summary()
    assert out["pue"] == 1.2344  # the frame's own, no energy counted
    assert (out["pue_min"], out["pue_max"]) == (1.2344, 1.2344)
    assert (out["mean_it_kw"], out["mean_total_kw"]) == (1000.123, 1234.568)


def test_series_without_it_energy():
    one = _series([5.0], [2e6], [2.5e6]).summary()
    # one frame counts no time: its PUE is the frame's
    assert (one["it_kwh"], one["facility_kwh"]) == (0.0, 0.0)
    assert one["pue"] == 1.25
    assert (one["pue_min"], one["pue_max"]) == (1.25, 1.25)
    assert (one["pue_min_time_s"], one["pue_max_time_s"]) == (5.0, 5.0)
    assert one["gaps"] == 0 and one["gap_s"] == 0.0
    dark = _series([0.0, 60.0], [0.0, 0.0], [1e3, 1e3]).summary()
    assert dark["pue"] is None and dark["pue_min"] is None and dark["pue_max"] is None
    assert dark["pue_min_time_s"] is None and dark["pue_max_time_s"] is None
    assert dark["mean_it_kw"] == 0.0 and dark["mean_total_kw"] == 1.0
    empty = _series([], [], []).summary()
    assert empty["frames"] == 0 and empty["it_kwh"] == 0.0 and empty["pue"] is None
    assert empty["mean_it_kw"] is None and empty["mean_total_kw"] is None
    assert empty["gaps"] == 0 and empty["gap_s"] == 0.0


def test_a_pause_of_exactly_a_minute_at_one_hertz_is_counted():
    t = np.concatenate([np.arange(50.0), 109.0 + np.arange(50.0)])
    s = _series(t, np.ones(100), np.ones(100))
    assert s.gaps().sum() == 0
    assert s.summary()["gaps"] == 0


def test_energy_over_two_frames_is_the_trapezoid():
    s = _series([0.0, 1800.0], [1e6, 3e6], [1e6, 3e6])
    assert s.energy_kwh(s.it_w) == pytest.approx(2e3 * 0.5, rel=1e-12)  # 2 MW for half an hour
    assert s.gaps().tolist() == [False]
    assert _series([0.0], [1e6], [1e6]).gaps().tolist() == []


@pytest.mark.parametrize(
    ("gap_s", "text"),
    [
        (59.0, "59.0 s"),
        (60.0, "1.0 min"),
        (5400.0, "1.5 h"),
        (3600.0, "1.0 h"),
        (86_400.0, "1.0 days"),
        (0.5, "0.5 s"),
        (1e6, "11.6 days"),
    ],
)
def test_gap_note_in_the_largest_whole_unit(gap_s, text):
    assert gap_note({"gaps": 1, "gap_s": gap_s}) == f" (not counted: 1 gap in the data, {text})"


def test_gap_note_counts_gaps_and_says_nothing_without():
    assert gap_note({"gaps": 3, "gap_s": 7200.0}) == " (not counted: 3 gaps in the data, 2.0 h)"
    assert gap_note({"gaps": 0, "gap_s": 50.0}) == ""
    assert gap_note({}) == ""
    assert gap_note({"gaps": 2}) == " (not counted: 2 gaps in the data, 0.0 s)"


def test_energy_series_of_frames_row_by_row(hall2):
    model = EnergyModel(hall2())
    frames = [
        Frame(time_s=0.0, rack={"power_w": np.array([80e3, 50e3])}),
        Frame(time_s=60.0, air_unit={"state": np.array([1.0, 0.0, 1.0])}),
    ]
    s = energy_series(model, frames)
    for i, frame in enumerate(frames):
        b = model.breakdown(model.from_frame(frame))
        assert s.time_s[i] == frame.time_s
        row = [s.it_w[i], s.total_w[i], s.chain_loss_w[i], s.fans_w[i], s.pumps_w[i]]
        assert row == [b.it_w, b.total_w, b.chain_loss_w, b.fans_w, b.pumps_w]
        assert (s.chillers_w[i], s.heat_rejection_w[i]) == (b.chillers_w, b.heat_rejection_w)
        assert s.outdoor_c[i] == 10.0
    assert s.it_w.tolist() == [130e3, 150e3]
    none = energy_series(model, [])
    assert none.time_s.shape == (0,) and none.total_w.shape == (0,)


def test_a_negative_airflow_reading_counts_as_none(hall2):
    # C2 reads -1 m3/s (a bad sensor): it moves no air, so C1's 3 m3/s carries all of H1
    # (not 3 / (3 - 1) = 150 % of it, as a share of a hall total with the negative in it)
    model = EnergyModel(hall2())
    cond = model.from_frame(Frame(air_unit={"flow_m3s": np.array([3.0, -1.0, np.nan])}))
    assert cond.air_unit_flow_m3s.tolist() == [3.0, 0.0, 4.72]
    chw = model.breakdown(cond).plants[0]
    h1 = 100e3 + 7300 * 0.3**3 + 800
    assert chw.load_w == pytest.approx(h1 + 13.7e3, rel=1e-12)


def test_halls_without_racks_or_air_units(tmp_path: Path):
    # H2 (last) has an air unit but no racks; H3 (last) has neither
    text = (
        "format: twin-layout/1\nname: empty halls\n"
        "halls: [{id: H1, size_m: [6, 6, 3]}, {id: H2, origin_m: [10, 0], size_m: [5, 4, 3]}]\n"
        "rows: [{id: R, hall: H1, racks: [{id: R1, position_m: [3, 3], "
        "load: {power_kw: 40, airflow_m3s: 3}}]}]\n"
        "cooling:\n  air_units:\n"
        "    - {id: C1, type: crah-150kw, hall: H1, position_m: [3, 0.45], discharge: front}\n"
        "    - {id: C2, type: crah-77kw, hall: H2, position_m: [2, 0.45], discharge: front}\n"
        "energy: {lighting_w_m2: 10, plants: [{id: P, chiller: chiller-wc-1750kw}]}\n"
    )
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    b = EnergyModel(load_layout(path)).breakdown()
    assert b.hall_it_w.tolist() == [40e3, 0.0]
    # C2 hands over its own fan and H2's light, none of H1's rack heat
    assert b.plants[0].load_w == pytest.approx(40e3 + 7300 + 360 + 3400 + 200, rel=1e-12)
    share2 = b.plants[0].total_w * (3400 + 200) / b.plants[0].load_w
    assert b.hall_total_w[1] == pytest.approx(3400 + 200 + share2, rel=1e-12)
    assert math.isnan(b.hall_ppue[1])
    # no air unit in the last hall: its fans are none
    path.write_text(
        text.replace(
            "    - {id: C2, type: crah-77kw, hall: H2, position_m: [2, 0.45], discharge: front}\n",
            "",
        )
    )
    b = EnergyModel(load_layout(path)).breakdown()
    assert b.hall_total_w[1] == pytest.approx(200.0, rel=1e-12)
    assert b.plants[0].load_w == pytest.approx(40e3 + 7300 + 360, rel=1e-12)


def test_stopped_units_ask_nothing_of_the_plant(hall2):
    # C3 (the coldest, 16 C) stopped: the chilled water follows C1 and C2 at 18 - 6 = 12 C
    model = EnergyModel(hall2())
    cond = model.from_frame(Frame(air_unit={"state": np.array([1.0, 1.0, 0.0])}))
    chw = model.breakdown(cond).plants[0]
    assert chw.supply_c == 12.0
    assert chw.load_w == pytest.approx(100e3 + 7300 * (0.6**3 + 0.4**3) + 800, rel=1e-12)


def test_slow_units_still_carry_their_heat(hall2):
    # C1 alone at 0.6 m3/s (under 1 m3/s in its hall), D2 at 0.5 L/s: each still hands over
    # its racks' heat, its own fan or pump, and (C1) its hall's light
    model = EnergyModel(hall2())
    cond = model.from_frame(
        Frame(
            air_unit={"flow_m3s": np.array([0.6, 0.0, 4.72])},
            cdu={"flow_lps": np.array([6.0, 0.5])},
        )
    )
    chw, tcw = model.breakdown(cond).plants
    assert chw.load_w == pytest.approx(100e3 + 7300 * 0.06**3 + 800 + 13.7e3, rel=1e-12)
    assert tcw.load_w == pytest.approx(2000 + 40e3 + 2000 * (0.5 / 6) ** 3, rel=1e-12)
