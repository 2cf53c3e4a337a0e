"""Facility index arrays, topology graph and the queries an engineer asks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.loader import facility_from_text, load_layout

LAYOUTS = Path(__file__).parents[2] / "layouts"

SMALL = """
format: twin-layout/1
name: small
halls: [{id: H1, size_m: [12, 8, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2, 3], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [2.6, 3], servers: [{type: dgx-h100, count: 1, hosts: [gpu-node-7]}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
      - {id: A03, position_m: [3.2, 3], load: {power_kw: 30, delta_t_k: 10, liquid_fraction: 0.5}, feeds: {a: PDU-A}}
power:
  - {id: U-A, type: utility-feed-5mva}
  - {id: U-B, type: utility-feed-5mva}
  - {id: UPS-A, type: ups-500kw, upstream: U-A}
  - {id: UPS-B, type: ups-500kw, upstream: U-B}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS-A}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS-B}
cooling:
  air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [10, 1]},
              {id: CRAH-2, type: crah-77kw, hall: H1, position_m: [10, 7], state: off}]
  cdus: [{id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [6, 6]}]
"""


@pytest.fixture
def fac():
    return facility_from_text(SMALL, "small.yaml")


def test_dense_indices(fac):
    assert fac.n_racks == 3
    assert fac.n_gpus == 24
    assert fac.host_names == ["A01-01", "A01-02", "gpu-node-7"]
    assert fac.gpu_rack.tolist() == [0] * 16 + [1] * 8
    assert fac.gpu_local.tolist() == list(range(8)) * 3
    assert fac.gpu_of("gpu-node-7", 3) == 19
    assert fac.gpu_of("gpu-node-7", 8) == -1
    assert fac.gpu_of("nobody", 0) == -1
    assert fac.find("gpu-node-7/gpu3") == ("gpu", 19)
    assert fac.find("A02") == ("rack", 1)
    assert fac.find("CDU-1") == ("cdu", 0)
    assert fac.counts() == {"gpu": 24, "rack": 3, "air_unit": 2, "cdu": 1, "power": 6, "sensor": 0}
    # GPU positions lie inside their rack's footprint and below its top
    pos, r = fac.gpu_position_m, fac.gpu_rack
    assert np.all(np.abs(pos[:, 0] - fac.rack_center_m[r, 0]) < fac.rack_size_m[r, 0] / 2)
    assert np.all((pos[:, 2] > 0) & (pos[:, 2] < fac.rack_size_m[r, 2]))
    assert fac.gpu_tdp_w[0] == 700 and fac.gpu_slowdown_c[0] == 89


def test_rack_loads_and_airflow(fac):
    assert fac.rack_power_w.tolist() == [20400.0, 10200.0, 30000.0]
    rho_cp = 1.19 * 1005.0
    assert fac.rack_airflow_m3s[0] == pytest.approx(20400 / (rho_cp * 12))
    # 50 % liquid: only the air share sets the airflow
    assert fac.rack_airflow_m3s[2] == pytest.approx(15000 / (rho_cp * 10))
    assert fac.rack_liquid_fraction[2] == pytest.approx(0.5)
    assert fac.cdu_load_w().tolist() == [0.0]  # A02 is air-cooled although it names a CDU
    assert fac.air_heat_w()[2] == pytest.approx(15000)


def test_power_loads_split_and_failover(fac):
    load = dict(zip(fac.power_ids, fac.power_load_w(), strict=True))
    # A01 and A02 split across A and B; A03 has only feed A
    assert load["PDU-A"] == pytest.approx(20400 / 2 + 10200 / 2 + 30000)
    assert load["PDU-B"] == pytest.approx(20400 / 2 + 10200 / 2)
    assert load["UPS-A"] == pytest.approx(load["PDU-A"] / 0.98)
    assert load["U-A"] == pytest.approx(load["UPS-A"] / 0.96)
    failed = dict(zip(fac.power_ids, fac.power_load_w(failed=["UPS-A"]), strict=True))
    assert failed["PDU-A"] == 0 and failed["UPS-A"] == 0
    assert failed["PDU-B"] == pytest.approx(20400 + 10200)  # A03 goes dark
    assert fac.power_alive(["U-B"]).tolist() == [True, False, True, False, True, False]


def test_queries(fac):
    assert fac.feeds_of("A01") == {"A": ["PDU-A", "UPS-A", "U-A"], "B": ["PDU-B", "UPS-B", "U-B"]}
    assert fac.feeds_of("A03") == {"A": ["PDU-A", "UPS-A", "U-A"]}
    assert fac.served_racks("U-B") == ["A01", "A02"]
    assert fac.served_racks("PDU-A") == ["A01", "A02", "A03"]
    assert fac.served_racks("CDU-1") == ["A02"]
    cooling = fac.cooling_of("A01")
    assert cooling["air_units"] == ["CRAH-1", "CRAH-2"]
    share = fac.air_unit_load_share_w()
    assert share[1] == 0 and share[0] == pytest.approx(fac.air_heat_w().sum())


def test_graph(fac):
    g = fac.graph
    assert g.nodes["A01"]["kind"] == "rack"
    assert g.nodes["A01-01/gpu0"]["kind"] == "gpu"
    assert g.has_edge("PDU-A", "A01") and g.edges["PDU-A", "A01"]["side"] == "A"
    assert g.edges["UPS-A", "PDU-A"]["rel"] == "feeds"
    assert g.edges["CDU-1", "A02"]["rel"] == "cools"
    gpus = [n for n, d in g.nodes(data=True) if d["kind"] == "gpu"]
    assert len(gpus) == fac.n_gpus


@pytest.mark.parametrize("name", ["demo-air-hall", "gb200-pod"])
def test_shipped_layouts_load(name):
    fac = load_layout(LAYOUTS / f"{name}.yaml")
    assert fac.n_racks == 16
    assert np.all(fac.rack_power_w > 0)
    assert np.all(fac.rack_feed_a >= 0) and np.all(fac.rack_feed_b >= 0)
    # 2N: each feed alone carries every rack without exceeding its rating
    for side in ("A", "B"):
        utility = f"UTIL-{side}"
        load = fac.power_load_w(failed=[utility])
        assert np.all(load <= fac.power_capacity_w + 1e-6)


def test_gb200_pod_liquid_share():
    fac = load_layout(LAYOUTS / "gb200-pod.yaml")
    assert fac.n_gpus == 16 * 72
    assert np.allclose(fac.rack_liquid_fraction, 0.85)
    assert fac.cdu_load_w() == pytest.approx([8 * 132e3 * 0.85] * 2)
    assert np.all(fac.cdu_load_w() <= fac.cdu_capacity_w)


def test_factory_layout_is_about_100k_gpus_and_reproducible():
    from twin.model.generate import ai_factory

    path = LAYOUTS / "ai-factory-100k.yaml"
    assert ai_factory() == path.read_text(), "layouts/ai-factory-100k.yaml is stale: regenerate it"
    fac = load_layout(path)
    assert 100_000 <= fac.n_gpus <= 105_000
    assert fac.n_racks > 1400
    assert set(fac.gpu_liquid.tolist()) == {True, False}  # liquid halls beside an air hall
