"""DCGM series -> GPU arrays: response parsing, label variants, UUIDs, sentinels, overrides."""

from __future__ import annotations

import json

import numpy as np
import pytest
from live_support import MYSTERY, layout_text

from twin.model.loader import facility_from_text
from twin.telemetry.dcgm import (
    FrameBuilder,
    GpuMapper,
    ResponseError,
    clean_values,
    decode_text_labels,
    metric_names,
    parse_exposition,
    parse_matrix,
    parse_scalar,
    parse_vector,
)


def body(result, **dumps) -> bytes:
    doc = {"status": "success", "data": {"resultType": "vector", "result": result}}
    return json.dumps(doc, **dumps).encode()


def series(labels: dict, value: str, t: float = 1_800_000_000.5) -> dict:
    return {"metric": labels, "value": [t, value]}


SERIES = [
    series({"Hostname": "A01-01", "gpu": "0", "UUID": "GPU-a"}, "41"),
    series({"hostname": "A01-02", "gpu": "7"}, "42.5"),
    series({"Hostname": MYSTERY, "gpu": "3", "UUID": f"GPU-{MYSTERY}-0003"}, "43"),
    series({"Hostname": "ghost", "gpu": "0"}, "99"),
    series({"Hostname": "A01-01", "gpu": "8"}, "98"),  # no GPU 8 on a DGX
    series({"Hostname": "A01-01", "gpu": "1"}, "9223372036854775794"),
    series({"Hostname": "A01-01", "gpu": "2"}, "NaN"),
    series({"Hostname": "A01-01", "gpu": "3", "pod": 'we}ird "name"'}, "44"),
]


def temps(fac, vec):
    b = FrameBuilder(GpuMapper(fac))
    b.add_vector("temp_c", vec)
    return b


def test_fast_scan_and_json_parse_agree_and_map_every_variant(facility):
    compact = parse_vector(body(SERIES[:7], separators=(",", ":")))
    pretty = parse_vector(body(SERIES[:7], indent=2))
    assert compact.blocks is not None and pretty.blocks is None  # fast path vs fallback
    assert compact.time_s == pretty.time_s == 1_800_000_000.5
    fast, slow = temps(facility, compact), temps(facility, pretty)
    np.testing.assert_array_equal(fast.gpu["temp_c"], slow.gpu["temp_c"])
    t = fast.gpu["temp_c"]
    a01, a02, a03 = (facility.gpu_of(h, 0) for h in ("A01-01", "A01-02", "A01-03"))
    assert t[a01] == 41 and t[a02 + 7] == 42.5 and t[a03 + 3] == 43
    assert np.isnan(t[a01 + 1]) and np.isnan(t[a01 + 2])  # DCGM blank, NaN string
    assert fast.gpus_with_data() == 3
    assert fast.stats.series == 7 and fast.stats.matched == 5
    assert fast.stats.unmatched == {("ghost", "0", None), ("A01-01", "8", None)}


def test_label_value_with_brace_falls_back_to_json(facility):
    vec = parse_vector(body(SERIES, separators=(",", ":")))
    assert vec.blocks is None  # the scan would miscount, so the full parser ran
    b = temps(facility, vec)
    assert b.gpu["temp_c"][facility.gpu_of("A01-01", 3)] == 44


def test_uuid_learned_from_series_that_also_name_a_known_host(facility):
    mapper = GpuMapper(facility)
    b = FrameBuilder(mapper)
    vec = parse_vector(
        body(
            [
                series({"Hostname": "renamed", "gpu": "0", "UUID": "GPU-a"}, "50"),
                series({"Hostname": "A01-01", "gpu": "0", "UUID": "GPU-a"}, "41"),
            ],
            separators=(",", ":"),
        )
    )
    b.add_vector("temp_c", vec)
    assert b.stats.matched == 2 and not b.stats.unmatched


def test_errors_are_response_errors():
    with pytest.raises(ResponseError, match="not JSON"):
        parse_vector(b"{oops")
    with pytest.raises(ResponseError, match="bad_data: parse error"):
        parse_vector(b'{"status":"error","errorType":"bad_data","error":"parse error"}')
    with pytest.raises(ResponseError, match="scalar"):
        parse_vector(b'{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}')
    with pytest.raises(ResponseError, match="malformed"):
        parse_vector(b'{"status":"success","data":{"resultType":"vector","result":[{"x":1}]}}')
    with pytest.raises(ResponseError, match="data.result"):
        parse_vector(b'{"status":"success","data":{}}')
    # cheap bytes, dear objects: 2,000,004 containers are refused before parsing (60 MB
    # of them took 1.7 GB); two million containers are read
    head = b'{"status":"success","data":{"resultType":"vector","result":['
    bomb = head + b"{}," * 2_000_000 + b"{}]}}"
    with pytest.raises(ResponseError, match=r"holds 2,000,004 JSON objects and arrays, more than"):
        parse_vector(bomb)
    with pytest.raises(ResponseError, match="malformed series"):
        parse_vector(head + b"{}," * 1_999_996 + b"{}]}}")  # read, and found no series
    assert parse_scalar(body([series({}, "12.5")])) == 12.5
    assert parse_scalar(body([])) is None
    matrix = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"gpu": "1"}, "values": [[10, "1"], [25, "2"]]},
                {"metric": {"gpu": "2", "pod": "a]b}c"}, "values": [[10.5, "NaN"]]},
                {"metric": {"gpu": "3"}, "values": [[10, "7"], [25, "8"], [40, "9"]]},
            ],
        },
    }
    tidy = dict(matrix, data=dict(matrix["data"], result=matrix["data"]["result"][::2]))
    fast = parse_matrix(json.dumps(tidy, separators=(",", ":")).encode())
    slow = parse_matrix(json.dumps(tidy, indent=1).encode())
    odd = parse_matrix(json.dumps(matrix, separators=(",", ":")).encode())
    assert fast.blocks is not None and slow.blocks is None and odd.blocks is None
    for m in (fast, slow):
        np.testing.assert_array_equal(m.lens, [2, 3])
        np.testing.assert_array_equal(m.times, [10, 25, 10, 25, 40])
        np.testing.assert_array_equal(m.values, [1, 2, 7, 8, 9])
    assert odd.labels[1]["pod"] == "a]b}c"
    np.testing.assert_array_equal(odd.lens, [2, 1, 3])
    assert np.isnan(odd.values[2])
    with pytest.raises(ResponseError, match="range matrix"):
        parse_matrix(body([]))


def test_dcgm_sentinels_are_missing_not_numbers():
    raw = np.array(
        [9223372036854775794, 9223372036854775807, 2147483632, 2147483647,
         140737488355328.0, 140737488355329.0, np.inf, np.nan, 45.0, 2147483000.0, 0.0]
    )  # fmt: skip
    out = clean_values(raw)
    assert np.isnan(out[:8]).all()
    np.testing.assert_array_equal(out[8:], [45.0, 2147483000.0, 0.0])


def test_text_exposition_parsing():
    text = (
        "# HELP DCGM_FI_DEV_GPU_TEMP GPU temperature (in C).\n"
        "# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n"
        'DCGM_FI_DEV_GPU_TEMP{gpu="0",Hostname="h1",modelName="NVIDIA H100 80GB HBM3"} 34\n'
        'DCGM_FI_DEV_GPU_TEMP{gpu="1",hostname="h1",pod="a\\"b\\\\c"} +Inf 1700000000000\n'
        "DCGM_FI_DEV_POWER_USAGE 12.5\n"
        "other_metric 1\n"
    )
    out = parse_exposition(text, {"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE"})
    assert set(out) == {"DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE"}
    temp = out["DCGM_FI_DEV_GPU_TEMP"]
    assert temp.raw == ["34", "+Inf"]
    assert decode_text_labels(temp.blocks[1]) == {"gpu": "1", "hostname": "h1", "pod": 'a"b\\c'}
    assert decode_text_labels(temp.blocks[0])["modelName"] == "NVIDIA H100 80GB HBM3"


def test_metric_and_label_overrides():
    text = layout_text().replace(
        "telemetry:\n",
        "telemetry:\n  host_labels: [node]\n  gpu_label: minor\n"
        "  metrics: {temp_c: site_gpu_temp_celsius}\n",
    )
    fac = facility_from_text(text)
    names = metric_names(fac.layout.telemetry)
    assert names["temp_c"] == ("site_gpu_temp_celsius",)
    assert names["power_w"] == ("DCGM_FI_DEV_POWER_USAGE",)
    page = 'site_gpu_temp_celsius{node="A01-02",minor="4"} 61\n'
    b = FrameBuilder(GpuMapper(fac))
    b.add_text("temp_c", parse_exposition(page)["site_gpu_temp_celsius"])
    assert b.gpu["temp_c"][fac.gpu_of("A01-02", 4)] == 61
    bad = layout_text().replace("telemetry:\n", "telemetry:\n  metrics: {temp: x}\n")
    with pytest.raises(ValueError, match="unknown metric 'temp'"):
        metric_names(facility_from_text(bad).layout.telemetry)


def test_gpu_uuids_must_name_gpus_of_the_layout():
    text = layout_text().replace("A01-03/gpu7", "A01-09/gpu7")
    with pytest.raises(ValueError, match="gpu_uuids: 1 entries"):
        GpuMapper(facility_from_text(text))


def test_throttle_and_xid_events(facility, monkeypatch):
    from twin.model.frame import EventKind
    from twin.telemetry import dcgm
    from twin.telemetry.dcgm import GpuEvents

    n = facility.n_gpus
    track = GpuEvents(facility)
    a = facility.gpu_of("A01-02", 0)

    def gpu(throttle: dict, xid: dict | None = None):
        t = np.zeros(n, dtype=np.float32)
        x = np.zeros(n, dtype=np.float32)
        for g, v in throttle.items():
            t[g] = v
        for g, v in (xid or {}).items():
            x[g] = v
        return {"throttle": t, "xid": x, "temp_c": np.full(n, 88.0, dtype=np.float32)}

    # HW thermal starts on gpu2; GPU idle (0x1) is no slowdown; XID 48 on gpu5
    ev = track(1.0, gpu({a + 2: 0x40, a + 3: 0x1}, {a + 5: 48}))
    assert [(e.kind, e.item) for e in ev] == [
        (EventKind.THROTTLE_START, "A01-02/gpu2"),
        (EventKind.ALARM, "A01-02/gpu5"),
    ]
    assert ev[0].message == "A01-02/gpu2 started throttling at 88 degC" and ev[1].severity == 2
    assert track(2.0, gpu({a + 2: 0x40}, {a + 5: 48})) == []  # nothing new
    missing = gpu({}, {a + 5: 48})
    missing["throttle"][a + 2] = np.nan  # no data: still throttling
    assert track(3.0, missing) == []
    ev = track(4.0, gpu({}, {a + 5: 79}))
    assert [(e.kind, e.item) for e in ev] == [
        (EventKind.THROTTLE_END, "A01-02/gpu2"),
        (EventKind.ALARM, "A01-02/gpu5"),
    ]
    # many GPUs at once: one event per rack
    monkeypatch.setattr(dcgm, "MAX_GPU_EVENTS", 4)
    ev = GpuEvents(facility)(5.0, gpu(dict.fromkeys(range(n), 0x20), dict.fromkeys(range(n), 13)))
    assert [(e.kind, e.item, e.message) for e in ev] == [
        (EventKind.THROTTLE_START, "A01", f"{n} GPUs in A01 started throttling"),
        (EventKind.ALARM, "A01", f"{n} GPUs in A01 reported an XID"),
    ]


def test_a_value_that_is_no_string_is_no_value():
    """Prometheus writes values as strings; a JSON true was recorded as 1.0 C."""
    doc = {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [
                {"metric": {"gpu": "0"}, "value": [1.7e9, True]},
                {"metric": {"gpu": "1"}, "value": [1.7e9, "21.5"]},
                {"metric": {"gpu": "2"}, "value": [1.7e9, 22]},
            ],
        },
    }
    vec = parse_vector(json.dumps(doc, indent=1).encode())
    np.testing.assert_array_equal(vec.values, [np.nan, 21.5, np.nan])
