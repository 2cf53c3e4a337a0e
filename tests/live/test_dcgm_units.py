"""The DCGM building blocks one by one, against values worked out here: the sentinels at
their exact bounds, violation counters folded into throttle bits, the mapper's statistics
and its UUID learning, and the frame a builder hands on."""

from __future__ import annotations

import numpy as np
import pytest
from live_support import MYSTERY, layout_text

from twin.model.frame import THROTTLE_HW_THERMAL, THROTTLE_SW_POWER_CAP, THROTTLE_SW_THERMAL
from twin.model.loader import facility_from_text
from twin.telemetry.dcgm import (
    FrameBuilder,
    GpuMapper,
    MapStats,
    ResponseError,
    check_time,
    clean_values,
    is_plain_name,
    metric_names,
    parse_matrix,
    parse_scalar,
    parse_vector,
    series_values,
)


@pytest.fixture(scope="module")
def fac():
    return facility_from_text(layout_text())


def test_sentinels_are_missing_exactly_at_their_bounds():
    # int64 blanks 0x7ffffffffffffff0.. (all ~9.2234e18 as float64), int32 blanks
    # 0x7ffffff0..0x7fffffff, fp64 blanks from 2**47 (16 codes); just outside: numbers
    values = np.array(
        [
            9223372036854775794.0, 9.2e18,  # int64 blank / a (huge) number just below the blanks
            2147483632.0, 2147483647.0, 2147483631.0, 2147483648.0,  # int32 bounds
            140737488355328.0, 140737488355343.0, 140737488355344.0, 140737488355327.0,
            np.inf, -np.inf, np.nan, -5.0, 0.0, 41.5,
        ]
    )  # fmt: skip
    got = clean_values(values)
    missing = [True, False, True, True, False, False, True, True, False, False]
    missing += [True, True, True, False, False, False]
    np.testing.assert_array_equal(np.isnan(got), missing)
    ok = ~np.array(missing)
    np.testing.assert_array_equal(got[ok], values[ok])
    # the input is left alone
    assert values[0] == 9223372036854775794.0
    # a clean array comes back as float64 with the same values
    clean = clean_values(np.array([1, 2, 3], dtype=np.int32))
    assert clean.dtype == np.float64 and clean.tolist() == [1.0, 2.0, 3.0]


def test_series_values_reads_go_spellings_and_skips_one_bad_value():
    assert series_values([]).shape == (0,)
    got = series_values(["1.5", "NaN", "+Inf", "-Inf", "2e3"])
    assert got[0] == 1.5 and np.isnan(got[1]) and got[2] == np.inf and got[3] == -np.inf
    assert got[4] == 2000.0
    got = series_values(["7", "garbage", "8.25"])
    assert got[0] == 7.0 and np.isnan(got[1]) and got[2] == 8.25 and got.dtype == np.float64


def test_names_and_overrides():
    assert is_plain_name("DCGM_FI_DEV_GPU_TEMP") and is_plain_name("a:b_c1")
    assert not is_plain_name("max by (gpu) (DCGM_FI_DEV_GPU_TEMP)")
    assert not is_plain_name("1abc") and not is_plain_name("")


def builder(fac) -> FrameBuilder:
    return FrameBuilder(GpuMapper(fac))


def test_violation_counters_fold_into_the_throttle_bits(fac):
    n = fac.n_gpus
    b = builder(fac)
    b.fold_violations({})  # nothing to fold: no throttle array appears
    assert "throttle" not in b.gpu
    throttle = np.full(n, np.nan, dtype=np.float32)
    throttle[0] = 0
    throttle[1] = THROTTLE_SW_POWER_CAP
    throttle[2] = THROTTLE_HW_THERMAL
    b.add_array("throttle", throttle)
    thermal = np.zeros(n)
    thermal[[1, 3, 5]] = [0.5, 2.0, np.nan]
    power = np.zeros(n)
    power[[0, 3]] = 1e-3
    b.fold_violations({THROTTLE_SW_THERMAL: thermal, THROTTLE_SW_POWER_CAP: power})
    t = b.gpu["throttle"]
    assert t.dtype == np.float32
    assert t[0] == THROTTLE_SW_POWER_CAP  # known 0, power counter grew
    assert t[1] == THROTTLE_SW_POWER_CAP | THROTTLE_SW_THERMAL
    assert t[2] == THROTTLE_HW_THERMAL  # nothing grew: as reported
    assert t[3] == THROTTLE_SW_THERMAL | THROTTLE_SW_POWER_CAP  # unknown before, both grew
    assert np.isnan(t[4]) and np.isnan(t[5])  # unknown and nothing (or NaN) grew: unknown
    # without a throttle metric at all the counters alone make the bits
    b = builder(fac)
    b.fold_violations({THROTTLE_SW_THERMAL: thermal})
    t = b.gpu["throttle"]
    assert t[1] == t[3] == THROTTLE_SW_THERMAL and np.isnan(t[0]) and np.isnan(t[5])


def test_gpus_with_data_and_the_frame(fac):
    n = fac.n_gpus
    b = builder(fac)
    assert b.gpus_with_data() == 0
    temp = np.full(n, np.nan, dtype=np.float32)
    temp[:3] = [40, 41, 42]
    power = np.full(n, np.nan, dtype=np.float32)
    power[[2, 7]] = 300
    b.add_array("temp_c", temp)
    b.add_array("power_w", power.astype(np.float64))
    assert b.gpus_with_data() == 4  # GPUs 0, 1, 2 and 7
    assert b.gpu["power_w"].dtype == np.float32
    f = b.frame(123.5)
    assert f.time_s == 123.5
    np.testing.assert_array_equal(f.gpu["temp_c"], temp)
    np.testing.assert_array_equal(f.gpu["power_w"], power)
    assert np.isnan(f.gpu["util_pct"]).all() and f.gpu["util_pct"].shape == (n,)
    assert f.rack["inlet_c"].shape == (fac.n_racks,)


def test_mapper_counts_matches_and_learns_uuids(fac):
    m = GpuMapper(fac)
    stats = MapStats()
    labels = [
        {"Hostname": "A01-01", "gpu": "0", "UUID": "GPU-new-uuid"},
        {"Hostname": "nobody", "gpu": "1", "UUID": "GPU-new-uuid"},  # same GPU, renamed host
        {"hostname": "A01-02", "gpu": "3"},  # second host label name
        {"Hostname": "A01-01", "gpu": "x"},  # not a GPU index
        {"Hostname": "ghost", "gpu": "0"},
        {"UUID": f"GPU-{MYSTERY}-0005"},  # only the layout's UUID table knows it
    ]
    index = m.index_labels(labels, stats)
    a1, a2, a3 = (fac.gpu_of(h, 0) for h in ("A01-01", "A01-02", "A01-03"))
    assert index.tolist() == [a1, a1, a2 + 3, -1, -1, a3 + 5]
    assert stats.series == 6 and stats.matched == 4
    assert stats.unmatched == {("A01-01", "x", None), ("ghost", "0", None)}
    # a series cached as unmatched maps once a later batch teaches its UUID
    m2 = GpuMapper(fac)
    s2 = MapStats()
    first = m2.index_labels([{"Hostname": "renamed", "gpu": "2", "UUID": "GPU-u2"}], s2)
    assert first.tolist() == [-1] and s2.matched == 0
    again = m2.index_labels(
        [
            {"Hostname": "A01-02", "gpu": "2", "UUID": "GPU-u2"},
            {"Hostname": "renamed", "gpu": "2", "UUID": "GPU-u2"},
        ],
        s2,
    )
    assert again.tolist() == [a2 + 2, a2 + 2] and s2.series == 3 and s2.matched == 2


def test_mapper_blocks_match_labels_and_reuse_the_last_index(fac):
    import json

    from twin.telemetry.dcgm import decode_json_labels

    m = GpuMapper(fac)
    blocks = [
        json.dumps({"Hostname": "A01-01", "gpu": "4"}).encode(),
        json.dumps({"Hostname": "ghost", "gpu": "4"}).encode(),
        json.dumps({"Hostname": "A01-03", "gpu": "1", "UUID": "x"}).encode(),
    ]
    stats = MapStats()
    index = m.index_blocks(blocks, decode_json_labels, stats)
    want = [fac.gpu_of("A01-01", 4), -1, fac.gpu_of("A01-03", 1)]
    assert index.tolist() == want
    assert stats.series == 3 and stats.matched == 2
    assert stats.unmatched == {("ghost", "4", None)}
    # the same blocks again: the same answer, counted again
    again = m.index_blocks(list(blocks), decode_json_labels, stats)
    assert again.tolist() == want and stats.series == 6 and stats.matched == 4


def test_metric_override_errors():
    from twin.model.schema import TelemetryMapping

    names = metric_names(TelemetryMapping(metrics={"temp_c": "  my_temp  "}))
    assert names["temp_c"] == ("my_temp",)
    with pytest.raises(ValueError, match="unknown metric 'bogus'"):
        metric_names(TelemetryMapping(metrics={"bogus": "x"}))
    with pytest.raises(ValueError, match=r"telemetry.metrics.power_w: empty metric name"):
        metric_names(TelemetryMapping(metrics={"power_w": "  "}))


def test_response_errors_say_what_was_wrong():
    import json

    from twin.telemetry.dcgm import ResponseError, parse_matrix, parse_scalar, parse_vector

    def err(fn, body) -> str:
        with pytest.raises(ResponseError) as info:
            fn(body if isinstance(body, bytes) else json.dumps(body).encode())
        return str(info.value)

    assert err(parse_vector, b"<html>").startswith("response is not JSON: ")
    assert err(parse_vector, [1, 2]) == "response is not a JSON object"
    assert err(parse_vector, {"status": "error"}) == "query failed: error: no error message"
    assert (
        err(parse_vector, {"status": "error", "errorType": "bad_data", "error": "parse error"})
        == "query failed: bad_data: parse error"
    )
    assert (
        err(parse_vector, {"status": "success", "data": {}}) == "response has no data.result list"
    )
    scalar = {"status": "success", "data": {"resultType": "scalar", "result": [1.5, "3"]}}
    assert err(parse_vector, scalar) == "query returned a scalar, not one series per GPU"
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    assert err(parse_vector, matrix) == "expected an instant vector, got resultType 'matrix'"
    vec = {"status": "success", "data": {"resultType": "vector", "result": []}}
    assert err(parse_matrix, vec) == "expected a range matrix, got resultType 'vector'"
    # scalars: the value of a scalar result, the first sample of a vector, None when empty
    assert parse_scalar(json.dumps(scalar).encode()) == 3.0
    one = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {}, "value": [1.0, "42.5"]}]}}  # fmt: skip
    assert parse_scalar(json.dumps(one).encode()) == 42.5
    assert parse_scalar(json.dumps(vec).encode()) is None


def test_a_single_series_takes_the_fast_path_and_pretty_json_the_slow_one():
    import json

    from twin.telemetry.dcgm import parse_matrix, parse_vector

    one = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"Hostname": "A01-01", "gpu": "0"}, "value": [1800000000.5, "41"]}]}}  # fmt: skip
    fast = parse_vector(json.dumps(one, separators=(",", ":")).encode())
    assert fast.blocks is not None and fast.values.tolist() == [41.0] and fast.time_s == 1.8e9 + 0.5
    slow = parse_vector(json.dumps(one, indent=2).encode())
    assert slow.blocks is None and slow.labels == [{"Hostname": "A01-01", "gpu": "0"}]
    assert slow.values.dtype == np.float64 and slow.values.tolist() == [41.0]
    assert slow.time_s == 1.8e9 + 0.5
    rng = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"gpu": "1"}, "values": [[10, "1"], [11, "2.5"]]}]}}  # fmt: skip
    m = parse_matrix(json.dumps(rng, separators=(",", ":")).encode())
    assert m.blocks is not None and m.lens.tolist() == [2]
    assert m.times.tolist() == [10.0, 11.0] and m.values.tolist() == [1.0, 2.5]
    m2 = parse_matrix(json.dumps(rng, indent=1).encode())
    assert m2.blocks is None and m2.labels == [{"gpu": "1"}]
    assert m2.times.tolist() == [10.0, 11.0] and m2.values.tolist() == [1.0, 2.5]


def test_sample_times_outside_2000_to_2100_are_refused():
    from twin.telemetry.dcgm import ResponseError, check_time

    assert check_time(None) is None
    assert check_time(946_684_800.0) == 946_684_800.0  # 2000-01-01, inclusive
    assert check_time(4_102_444_800.0) == 4_102_444_800.0  # 2100-01-01, inclusive
    for bad in (946_684_799.9, 4_102_444_800.1, float("nan"), float("inf"), 0.0):
        with pytest.raises(ResponseError, match=r"impossible frame time \(.*not between 2000"):
            check_time(bad, "frame time")


def test_label_blocks_that_are_not_objects_and_broken_ranges():
    import json

    from twin.telemetry.dcgm import ResponseError, decode_json_labels, parse_matrix

    assert decode_json_labels(b'{"gpu": "1"}') == {"gpu": "1"}
    with pytest.raises(ResponseError, match="^series labels are not an object$"):
        decode_json_labels(b'["gpu", "1"]')
    with pytest.raises(ResponseError, match="^malformed series labels: "):
        decode_json_labels(b'{"gpu": ')
    broken = {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}}]}}
    with pytest.raises(ResponseError, match="^malformed series in range result: KeyError"):
        parse_matrix(json.dumps(broken).encode())


def test_builder_arrays_are_float32_and_a_new_response_is_mapped_anew(fac):
    import json

    from twin.telemetry.dcgm import Vector, decode_json_labels

    b = builder(fac)
    blocks = [json.dumps({"Hostname": "A01-01", "gpu": str(g)}).encode() for g in range(3)]
    b.add_vector("temp_c", Vector(values=np.array([40.0, 41.0, 42.0]), blocks=blocks))
    assert b.gpu["temp_c"].dtype == np.float32
    b.fold_violations({THROTTLE_SW_THERMAL: np.ones(fac.n_gpus)})
    assert b.gpu["throttle"].dtype == np.float32
    # another response with other series: mapped again, not given the last one's index
    m = b.mapper
    other = [json.dumps({"Hostname": "A01-02", "gpu": str(g)}).encode() for g in range(3)]
    index = m.index_blocks(other, decode_json_labels, MapStats())
    a2 = fac.gpu_of("A01-02", 0)
    assert index.tolist() == [a2, a2 + 1, a2 + 2]
    # a series with no host label at all is unmatched under (None, gpu, uuid)
    stats = MapStats()
    assert m.index_labels([{"gpu": "1"}], stats).tolist() == [-1]
    assert stats.unmatched == {(None, "1", None)}


def test_throttle_start_is_a_warning_and_its_end_is_information(fac):
    from twin.telemetry.dcgm import GpuEvents

    n = fac.n_gpus
    track = GpuEvents(fac)
    hot = np.zeros(n, dtype=np.float32)
    hot[0] = THROTTLE_HW_THERMAL
    (start,) = track(1.0, {"throttle": hot})
    (end,) = track(2.0, {"throttle": np.zeros(n, dtype=np.float32)})
    assert (start.severity, end.severity) == (1, 0)
    assert start.message == "A01-01/gpu0 started throttling"  # no temperature given


def test_impossible_values_are_dropped_and_counted_with_an_example(fac):
    import json

    from twin.telemetry.dcgm import Vector

    b = builder(fac)
    blocks = [json.dumps({"Hostname": "A01-01", "gpu": str(g)}).encode() for g in range(4)]
    # 40 C is fine; +Inf and 500 C no GPU reports; -30 C is within -40..200
    b.add_vector("temp_c", Vector(values=np.array([40.0, np.inf, 500.0, -30.0]), blocks=blocks))
    t = b.gpu["temp_c"][:4]
    assert t[0] == 40.0 and np.isnan(t[1]) and np.isnan(t[2]) and t[3] == -30.0
    count, example = b.rejected["temp_c"]
    assert count == 2 and example == np.inf  # the first bad value as the server sent it


def test_text_label_escapes():
    from twin.telemetry.dcgm import check_time, decode_text_labels

    got = decode_text_labels('{a="x\\ny",b="q\\"r",c="s\\\\t"}')
    assert got == {"a": "x\ny", "b": 'q"r', "c": "s\\t"}
    with pytest.raises(ValueError, match="; nothing recorded from this answer$"):
        check_time(1.0)


def test_known_uuids_are_the_layouts_table_and_those_learned(fac):
    m = GpuMapper(fac, fac.layout.telemetry)
    first = fac.gpu_of("A01-01", 0)
    assert first == 0  # the facility's first GPU: index 0 must count as known
    assert m.resolve(("A01-01", "0", "GPU-learned-0")) == first  # learned from a series
    known = m.known_uuids()
    assert known["GPU-learned-0"] == 0
    for g in range(8):  # the layout's table: A01-03's GPUs by UUID
        assert known[f"GPU-{MYSTERY}-{g:04d}"] == fac.gpu_of("A01-03", g)
    assert len(known) == 9


def test_an_impossible_time_is_named_a_sample_time_by_default():
    with pytest.raises(ResponseError, match=r"^server sent an impossible sample time \(5\.0"):
        check_time(5.0)


def test_a_malformed_scalar_says_so():
    body = b'{"status":"success","data":{"resultType":"scalar","result":[1700000000,"x"]}}'
    with pytest.raises(ResponseError, match=r"^malformed scalar result: ValueError\("):
        parse_scalar(body)


@pytest.mark.parametrize("kind", ["vector", "matrix"])
def test_a_truncated_answer_is_an_error_not_fewer_series(kind):
    """An answer cut off after its last complete series (a dropped connection) must not
    read as the series it has: it does not end the JSON."""
    point = '"value":[1700000000,"50"]' if kind == "vector" else '"values":[[1700000000,"50"]]'
    series = ",".join(
        '{"metric":{"Hostname":"A01-01","gpu":"' + str(g) + '"},' + point + "}" for g in range(3)
    )
    body = '{"status":"success","data":{"resultType":"' + kind + '","result":[' + series + "]}}"
    parse = parse_vector if kind == "vector" else parse_matrix
    assert len(parse(body.encode())) == 3
    with pytest.raises(ResponseError):
        parse(body[:-2].encode())  # "...}]" without its closing "}}"
