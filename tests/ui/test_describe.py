"""What the inspector says about items, checked against the small layout by hand (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from twin.model.frame import Frame
from twin.model.loader import load_layout
from twin.ui.describe import Loads, describe, item_id, live_rows, modelled_here


@pytest.fixture
def fac(small_layout):
    return load_layout(small_layout)


def _rows(sections):
    return {label: value for _, rows in sections for label, value, _ in rows if label}


def test_rack_names_both_feeds_its_cdu_and_loads(fac):
    rows = _rows(describe(fac, "rack", fac.rack_index["B01"]))
    assert rows["Feed A"] == "PDU-A" and rows["Feed B"] == "PDU-B"
    assert rows["  path A"] == "PDU-A ← UPS ← UTIL"
    assert rows["CDU (liquid)"] == "CDU-1"
    assert rows["GPUs"] == "16"
    # PDU-A carries half of A01-A03 and B01 (2 x 10.2 kW each) plus all of B02 (20 kW)
    expected_kw = 4 * 2 * 10.2 / 2 + 20
    assert rows["  PDU-A load"].startswith(f"{expected_kw:,.1f} / 270 kW")
    single = _rows(describe(fac, "rack", fac.rack_index["B02"]))
    assert "Feed B" not in single and single["Load"].startswith("given directly")


def test_devices_say_what_they_serve(fac):
    ups = describe(fac, "power", fac.power_index["UPS"])
    rows = _rows(ups)
    assert rows["Upstream"] == "UTIL" and rows["Serves racks"] == "5"
    links = [link for _, rs in ups for _, _, link in rs if link]
    assert {"PDU-A", "PDU-B", "UTIL"} <= set(links)
    cdu = _rows(describe(fac, "cdu", 0))
    assert cdu["Serves racks"] == "1"
    air = _rows(describe(fac, "air_unit", 0))
    assert air["Serves racks"] == "5"
    loads = Loads.of(fac)
    assert air["Share of hall load"].startswith(f"{loads.air_unit_w[0] / 1e3:,.1f} / 77 kW")


def test_every_kind_describes_and_names(fac):
    for kind, n in [
        ("gpu", fac.n_gpus),
        ("server", len(fac.server_rack)),
        ("host", 1),
        ("row", 2),
        ("hall", 1),
    ]:
        for i in range(n):
            assert describe(fac, kind, i)
    assert item_id(fac, "server", 1) == "A01/s2"
    assert item_id(fac, "gpu", 9) == fac.gpu_label(9)
    with pytest.raises(KeyError):
        describe(fac, "pipe", 0)


def test_live_rows_show_values_and_missing(fac):
    frame = Frame.empty(0.0, fac.counts())
    frame.gpu["temp_c"][3] = 71.25
    rows = dict((k, v) for k, v, _ in live_rows(frame, "gpu", 3))
    assert rows["Temperature"] == "71.2 °C" or rows["Temperature"] == "71.3 °C"
    assert rows["Power"] == "no data"
    assert live_rows(None, "gpu", 3) == [] and live_rows(frame, "row", 0) == []
    assert np.isnan(frame.gpu["temp_c"][0])


def test_live_rows_lead_with_a_tripped_state_in_words(fac):
    """A unit the layout has on but the frame reports off reads TRIPPED, with its live supply,
    return, flow and load against capacity in words and units."""
    frame = Frame.empty(0.0, fac.counts())
    a = 0
    frame.air_unit["state"][a] = 0.0
    frame.air_unit["supply_c"][a] = 26.4
    frame.air_unit["return_c"][a] = 27.0
    frame.air_unit["flow_m3s"][a] = 0.0
    frame.air_unit["load_w"][a] = 0.0
    rows = live_rows(frame, "air_unit", a, fac)
    assert rows[0] == ("State", "TRIPPED", None)
    d = {k: v for k, v, _ in rows}
    assert d["Supply"] == "26.4 °C" and d["Return"] == "27.0 °C" and d["Airflow"] == "0.00 m³/s"
    cap = fac.air_unit_capacity_w[a] / 1e3
    assert d["Load"] == f"0.0 / {cap:,.0f} kW (0 %)"
    frame.air_unit["state"][a] = 1.0
    assert live_rows(frame, "air_unit", a, fac)[0] == ("State", "running", None)
    frame.gpu["throttle"][2] = 0x40 | 0x04
    g = {k: v for k, v, _ in live_rows(frame, "gpu", 2, fac)}
    assert g["Throttling"] == "thermal slowdown (hardware), power cap"


def test_the_models_figures_are_marked_not_readings(fac):
    """A live fill's figures read "(model)" in the inspector; readings, and figures the model
    has none for either, read as they are."""
    from types import SimpleNamespace

    frame = Frame.empty(0.0, fac.counts())
    frame.rack["inlet_c"][:2] = (22.5, 24.0)
    frame.rack["exhaust_c"][1] = 35.0
    frame.air_unit["load_w"][0] = 40e3
    mask = np.zeros(fac.n_racks, bool)
    mask[1] = True
    units = np.zeros(len(fac.air_unit_ids), bool)
    units[0] = True
    physics = SimpleNamespace(
        filled={"rack/inlet_c": mask, "rack/exhaust_c": mask, "air_unit/load_w": units}
    )
    session = SimpleNamespace(physics=physics)
    assert modelled_here(session, "rack", 1) == {"inlet_c", "exhaust_c"}
    assert modelled_here(session, "rack", 0) == frozenset()
    assert modelled_here(session, "air_unit", 0) == {"load_w"}
    assert modelled_here(session, "gpu", 1) == frozenset()
    assert modelled_here(session, "rack", fac.n_racks + 3) == frozenset()  # past the mask
    assert modelled_here(SimpleNamespace(physics=None), "rack", 1) == frozenset()
    assert modelled_here(None, "rack", 1) == frozenset()

    def rows(kind, i):
        return {k: v for k, v, _ in live_rows(frame, kind, i, fac, modelled_here(session, kind, i))}

    assert rows("rack", 1)["Inlet"] == "24.0 °C (model)"
    assert rows("rack", 1)["Exhaust"] == "35.0 °C (model)"
    assert rows("rack", 0)["Inlet"] == "22.5 °C"
    assert rows("rack", 0)["Exhaust"] == "no data"
    frame.rack["exhaust_c"][1] = np.nan
    assert rows("rack", 1)["Exhaust"] == "no data"  # nothing of the model's to mark
    assert fac.air_unit_capacity_w[0] == 77e3  # a crah-77kw: 40 kW is 52 % of it
    assert rows("air_unit", 0)["Load"] == "40.0 / 77 kW (52 %) (model)"
