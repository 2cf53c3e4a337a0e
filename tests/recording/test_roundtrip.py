"""Recorder and reader: values at their stated resolution, NaN, history across blocks,
events, the embedded layout, and a reader watching a file while it grows."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from twin.model.frame import METRICS, Event, EventKind, Frame
from twin.recording import Recorder, open_recording
from twin.recording import format as fmt
from twin.telemetry.simulator import Simulator

T0 = 1_790_000_000.0


def synthetic(fac, i: int) -> Frame:
    rng = np.random.default_rng(i)
    f = Frame.empty(T0 + i, fac.counts())
    f.gpu["temp_c"][:] = 40 + 30 * rng.random(fac.n_gpus)
    f.gpu["power_w"][:] = rng.uniform(70, 700, fac.n_gpus)
    f.gpu["job"][:] = 123456
    f.gpu["temp_c"][i % fac.n_gpus] = np.nan
    f.rack["power_w"][:] = rng.uniform(1e3, 1.3e5, fac.n_racks)
    f.power["load_w"][:] = rng.uniform(0, 2e6, len(fac.power_ids))
    if i % 50 == 7:
        f.events.append(Event(T0 + i, EventKind.ALARM, "A01", f"alarm {i}", 2))
    return f


@pytest.fixture
def recorded(tmp_path, small_facility):
    path = tmp_path / "run.h5"
    frames = [synthetic(small_facility, i) for i in range(150)]  # 2 blocks + a tail
    with Recorder(path, small_facility) as rec:
        for f in frames:
            rec.append(f)
    return path, frames


def test_frames_round_trip_at_resolution(recorded, small_facility):
    path, frames = recorded
    with open_recording(path) as rec:
        assert rec.format == "twin-recording/1"
        assert rec.n_frames == 150
        assert rec.start_s == T0 and rec.end_s == T0 + 149
        for i in (0, 63, 64, 127, 128, 149):
            got = rec.frame(i)
            want = frames[i]
            for kind, metrics in METRICS.items():
                for name, _, res in metrics:
                    if small_facility.counts()[kind] == 0:
                        continue
                    a, b = got.group(kind)[name], want.group(kind)[name]
                    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
                    ok = ~np.isnan(b)
                    assert np.all(np.abs(a[ok] - b[ok]) <= res / 2 + 1e-3 * np.abs(b[ok])), name


def test_attrs_state_resolution_and_units(recorded):
    path, _ = recorded
    with h5py.File(path, "r") as f:
        ds = f["frames/gpu/temp_c"]
        assert ds.attrs["resolution"] == pytest.approx(0.1) and ds.attrs["units"] == "degC"
        assert ds.dtype == np.int16 and ds.chunks[0] == 1
        hist = f["history/gpu"]
        assert hist.dtype["temp_c"] == np.int16 and hist.dtype["job"] == np.int32
        assert hist.chunks[1] == f.attrs["block_frames"]
        assert f["frames/rack/power_w"].dtype == np.int32
        assert f.attrs["format"] == "twin-recording/1"
        assert ds.compression is not None


def test_history_matches_frames_across_blocks_and_tail(recorded, small_facility):
    path, frames = recorded
    with open_recording(path) as rec:
        for g in (0, 5, small_facility.n_gpus - 1):
            times, h = rec.history("gpu", g)
            assert len(times) == 150
            want = np.array([f.gpu["temp_c"][g] for f in frames])
            np.testing.assert_array_equal(np.isnan(h["temp_c"]), np.isnan(want))
            ok = ~np.isnan(want)
            assert np.abs(h["temp_c"][ok] - want[ok]).max() <= 0.051
            assert np.abs(h["power_w"] - [f.gpu["power_w"][g] for f in frames]).max() <= 0.51
        # a window that starts mid-block and ends in the tail
        times, h = rec.history("rack", 2, ["power_w"], T0 + 30.5, T0 + 140)
        assert times[0] == T0 + 31 and times[-1] == T0 + 140
        want = np.array([f.rack["power_w"][2] for f in frames[31:141]])
        assert np.abs(h["power_w"] - want).max() <= 0.51
        with pytest.raises(KeyError):
            rec.history("nonsense", 0)
        with pytest.raises(KeyError):
            rec.history("gpu", 0, ["nonsense"])
        with pytest.raises(IndexError):
            rec.history("gpu", small_facility.n_gpus)


def test_frame_at_seeks_by_time_and_events(recorded):
    path, _ = recorded
    with open_recording(path) as rec:
        assert rec.frame_at(T0 + 57.9).time_s == T0 + 57
        assert rec.frame_at(T0 - 100).time_s == T0
        assert rec.frame_at(T0 + 1e6).time_s == T0 + 149
        assert [e.message for e in rec.frame_at(T0 + 107).events] == ["alarm 107"]
        assert rec.frame_at(T0 + 108).events == []
        assert [e.message for e in rec.events] == ["alarm 7", "alarm 57", "alarm 107"]
        assert len(rec.events_between(T0, T0 + 60)) == 2
        only_racks = rec.frame(3, kinds=("rack",))
        assert only_racks.gpu == {} and "inlet_c" in only_racks.rack


def test_layout_embedded_and_matched(recorded, small_facility):
    path, _ = recorded
    with open_recording(path) as rec:
        assert rec.layout_text == small_facility.source_text
        fac = rec.facility()
        assert fac.counts() == small_facility.counts()
        assert rec.matches(small_facility) and rec.layout_name == "small test hall"
        rec.check_layout(fac)


def test_simulated_data_compresses_below_two_bytes(tmp_path, small_facility):
    sim = Simulator(small_facility, "normal", seed=1, start_s=T0)
    path = tmp_path / "sim.h5"
    with Recorder(path, small_facility) as rec:
        for _ in range(256):
            rec.append(sim.step())
    with open_recording(path) as r:
        assert r.bytes_per_sample < 2.0


def test_recorder_rejects_bad_frames(tmp_path, small_facility):
    from twin.recording import RecordingError

    with Recorder(tmp_path / "x.h5", small_facility) as rec:
        rec.append(Frame.empty(T0, small_facility.counts()))
        with pytest.raises(RecordingError, match="before the previous"):
            rec.append(Frame.empty(T0 - 1, small_facility.counts()))
        bad = Frame.empty(T0 + 1, small_facility.counts())
        bad.gpu["temp_c"] = np.zeros(3, np.float32)
        with pytest.raises(RecordingError, match="shape"):
            rec.append(bad)
        # a frame missing a metric records it as missing
        partial = Frame(time_s=T0 + 2, gpu={"temp_c": np.full(small_facility.n_gpus, 50.0)})
        rec.append(partial)
    with open_recording(tmp_path / "x.h5") as r:
        f = r.frame(-1)
        assert np.all(f.gpu["temp_c"] == 50.0) and np.all(np.isnan(f.gpu["power_w"]))
    rec.close()  # closing twice is harmless
    with pytest.raises(RecordingError, match="closed"):
        rec.append(partial)


def test_reader_follows_a_growing_file(tmp_path, small_facility):
    path = tmp_path / "live.h5"
    rec = Recorder(path, small_facility, flush_interval_s=0.0)
    try:
        for i in range(10):
            rec.append(synthetic(small_facility, i))
        reader = open_recording(path)
        assert reader.n_frames == 10
        for i in range(10, 100):
            rec.append(synthetic(small_facility, i))
        assert reader.refresh() == 90
        assert reader.n_frames == 100 and reader.end_s == T0 + 99
        _, h = reader.history("gpu", 1, ["power_w"])  # a whole block, then /frames rows
        want = [synthetic(small_facility, i).gpu["power_w"][1] for i in range(100)]
        assert np.abs(h["power_w"] - want).max() <= 0.51
        _, h = reader.history("gpu", 1, ["power_w"], T0 + 70, T0 + 80)  # only the tail
        assert np.abs(h["power_w"] - want[70:81]).max() <= 0.51
        reader.close()
    finally:
        rec.close()


def test_encoding_helpers_wrap_exactly():
    raw = np.array([[-32768, 32767, -5, 0, 32000, -32000, 7, 7]], dtype=np.int16)
    back = fmt.delta_decode(fmt.delta_encode(raw), 4)
    assert np.array_equal(back, raw)
    v = np.array([1.04, np.nan, -3.06, 1e9], dtype=np.float32)
    enc = fmt.encode(v, 0.1, np.dtype(np.int16))
    dec = fmt.decode(enc, 0.1)
    assert dec[0] == pytest.approx(1.0) and np.isnan(dec[1]) and dec[2] == pytest.approx(-3.1)
    assert enc[3] == 32767 and np.isnan(dec[3])  # clipped to the type, read as no reading


@pytest.mark.parametrize(
    ("dtype", "res", "edge"),
    [(np.int16, 0.1, 32767), (np.int8, 1.0, 127), (np.int32, 100.0, 2**31 - 1)],
)
def test_values_past_the_type_read_as_no_reading_and_the_last_steps_inside_as_themselves(
    dtype, res, edge
):
    v = np.array([(edge - 1) * res, -(edge - 1) * res, edge * res * 10, -edge * res * 10])
    enc = fmt.encode(v, res, np.dtype(dtype))
    assert enc.tolist() == [edge - 1, -(edge - 1), edge, -edge]  # -edge: the type's min + 1
    dec = fmt.decode(enc, res, np.float64)
    np.testing.assert_allclose(dec[:2], v[:2], rtol=1e-12)
    assert np.isnan(dec[2:]).all()


def test_parse_time_forms(recorded):
    path, _ = recorded
    with open_recording(path) as rec:
        start = rec.start_s  # 1_790_000_000 = 2026-09-21T14:13:20Z
        assert rec.parse_time("+90s") == start + 90
        assert rec.parse_time("+1m30") == start + 90
        assert rec.parse_time("00:40") == start + 40  # mm:ss into the recording
        assert rec.parse_time("1:40") == start + 100
        assert rec.parse_time("0:00:05") == start + 5
        assert rec.parse_time("90") == start + 90
        assert rec.parse_time("2026-09-21T14:15:00") == start + 100
        assert rec.parse_time(str(start + 7)) == start + 7
        assert rec.frame_at(rec.parse_time("+100")).time_s == start + 100
        with pytest.raises(ValueError, match="mm:ss"):
            rec.parse_time("teatime")


def test_a_recording_at_a_non_default_resolution_reads_back(tmp_path, small_facility, monkeypatch):
    """The reader decodes with each dataset's own ``resolution`` attribute, not today's
    defaults: a file written at 0.01 degC and 10 W steps reads back at those steps."""
    from twin.recording import recorder as recorder_module

    custom = {
        kind: tuple(
            (
                name,
                unit,
                {("gpu", "temp_c"): 0.01, ("rack", "power_w"): 10.0}.get((kind, name), res),
            )
            for name, unit, res in metrics
        )
        for kind, metrics in METRICS.items()
    }
    monkeypatch.setattr(recorder_module, "METRICS", custom)
    path = tmp_path / "fine.h5"
    frames = [synthetic(small_facility, i) for i in range(70)]  # a whole block and a tail
    with Recorder(path, small_facility) as rec:
        for f in frames:
            rec.append(f)
    monkeypatch.undo()
    with h5py.File(path, "r") as f:
        assert f["frames/gpu/temp_c"].attrs["resolution"] == pytest.approx(0.01)
        assert f["frames/rack/power_w"].attrs["resolution"] == pytest.approx(10.0)
    with open_recording(path) as rec:
        assert rec.resolution("gpu", "temp_c") == pytest.approx(0.01)
        assert rec.resolution("rack", "power_w") == pytest.approx(10.0)
        assert rec.resolution("gpu", "power_w") == pytest.approx(1.0)  # default kept
        for i in (0, 63, 64, 69):
            got, want = rec.frame(i), frames[i]
            a, b = got.gpu["temp_c"], want.gpu["temp_c"]
            ok = ~np.isnan(b)
            np.testing.assert_array_equal(np.isnan(a), ~ok)
            assert np.abs(a[ok] - b[ok]).max() <= 0.005 + 1e-5
            assert np.abs(got.rack["power_w"] - want.rack["power_w"]).max() <= 5.0 + 1e-2
        times, h = rec.history("gpu", 5, ["temp_c"])
        want = np.array([f.gpu["temp_c"][5] for f in frames])
        ok = ~np.isnan(want)
        assert np.abs(h["temp_c"][ok] - want[ok]).max() <= 0.005 + 1e-5
