"""Point-sensor answers from Prometheus's HTTP API turned into arrays in the layout's sensor
order, on both parser paths (compact JSON scanned, anything else parsed): matched by the
label, unknown sensors and readings no room air can take left out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from twin.model.loader import facility_from_text
from twin.telemetry.dcgm import parse_matrix, parse_vector
from twin.telemetry.sensor_series import sensor_expr, sensor_grid, sensor_values

LAYOUT = """\
format: twin-layout/1
name: probes
halls: [{id: H1, size_m: [10, 8, 4]}]
sensors:
  - {id: T-1, hall: H1, position_m: [1, 1, 1]}
  - {id: T-2, hall: H1, position_m: [2, 1, 1]}
  - {id: T-3, hall: H1, position_m: [3, 1, 1]}
"""


@pytest.fixture
def fac():
    return facility_from_text(LAYOUT)


def vector_body(series: list[tuple[dict, str]], compact: bool) -> bytes:
    doc = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": m, "value": [1.8e9, v]} for m, v in series],
        },
    }
    if compact:
        return json.dumps(doc, separators=(",", ":")).encode()
    return json.dumps(doc, indent=2).encode()


@pytest.mark.parametrize("compact", [True, False])
def test_instant_readings_land_on_their_sensors(fac, compact):
    series = [
        ({"sensor": "T-3"}, "27.25"),
        ({"sensor": "T-9"}, "30"),  # not in the layout
        ({"sensor": "T-1"}, "-999"),  # a probe's fault code
        ({"room": "T-2"}, "21"),  # the wrong label
    ]
    if not compact:  # a hostile answer: a label value that is no string names no sensor
        series.append(({"sensor": ["T-2"]}, "22"))
    vec = parse_vector(vector_body(series, compact))
    assert (vec.blocks is not None) == compact  # both parser paths are exercised
    got = sensor_values(vec, fac)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, np.float32([math.nan, math.nan, 27.25]))


def test_the_bounds_are_room_air_and_kept_at_their_edges(fac):
    series = [({"sensor": "T-1"}, "-50"), ({"sensor": "T-2"}, "150"), ({"sensor": "T-3"}, "150.5")]
    got = sensor_values(parse_vector(vector_body(series, True)), fac)
    np.testing.assert_array_equal(got, np.float32([-50, 150, math.nan]))
    series = [({"sensor": "T-1"}, "-50.5"), ({"sensor": "T-2"}, "NaN"), ({"sensor": "T-3"}, "+Inf")]
    assert np.isnan(sensor_values(parse_vector(vector_body(series, True)), fac)).all()


@pytest.mark.parametrize("compact", [True, False])
def test_range_readings_land_on_their_steps(fac, compact):
    doc = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"sensor": "T-2"}, "values": [[100, "20"], [104, "22"], [108, "24"]]},
                {"metric": {"sensor": "T-1"}, "values": [[102, "31"], [98, "5"], [120, "7"]]},
                {"metric": {"sensor": "T-8"}, "values": [[100, "40"]]},
            ],
        },
    }
    body = json.dumps(doc, separators=(",", ":") if compact else None).encode()
    grid = sensor_grid(parse_matrix(body), fac, 100.0, 2.0, 4)  # steps at 100, 102, 104, 106
    assert grid.dtype == np.float32
    nan = math.nan
    want = [[nan, 20, nan], [31, nan, nan], [nan, 22, nan], [nan, nan, nan]]
    np.testing.assert_array_equal(grid, np.float32(want))


def test_the_query_follows_the_layout(fac):
    assert sensor_expr(fac) == "max by (sensor) (twin_sensor_temperature_celsius)"
    site = "telemetry: {sensor_query: 'probe_c{site=\"x\"}', sensor_label: probe}\n"
    assert sensor_expr(facility_from_text(LAYOUT + site)) == 'max by (probe) (probe_c{site="x"})'
    no_sensors = LAYOUT.split("sensors:")[0]
    assert sensor_expr(facility_from_text(no_sensors + site)) is None


@pytest.mark.parametrize("compact", [True, False])
def test_no_series_reads_nothing(fac, compact):
    """A site whose probes' exporter is down answers with no series at all."""
    got = sensor_values(parse_vector(vector_body([], compact)), fac)
    assert got.shape == (3,) and np.isnan(got).all()
