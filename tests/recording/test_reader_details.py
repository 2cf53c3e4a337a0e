"""The reader on files other tools (or older writers) could produce: a byte-string format tag,
a header without its optional attributes or without a kind; the exact errors it gives; frames
closer than a second apart; and ``metric_rows``, the whole-row reads the incident report uses."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from tests.recording.test_roundtrip import T0, synthetic
from twin.model.frame import Frame
from twin.recording import (
    LayoutMismatch,
    Recorder,
    RecordingError,
    RecordingFormatError,
    open_recording,
)

N = 70  # a whole 64-frame history block and a tail


@pytest.fixture(scope="module")
def frames(small_facility):
    return [synthetic(small_facility, i) for i in range(N)]


@pytest.fixture(scope="module")
def good(tmp_path_factory, small_facility, frames):
    path = tmp_path_factory.mktemp("rec") / "good.h5"
    with Recorder(path, small_facility) as rec:
        for f in frames:
            rec.append(f)
    return path


@pytest.fixture
def edited(good, tmp_path):
    def make(edit):
        dst = tmp_path / "edited.h5"
        shutil.copy(good, dst)
        with h5py.File(dst, "r+") as f:
            edit(f)
        return dst

    return make


def test_a_fixed_length_byte_string_format_tag_is_read(edited):
    def as_bytes(f):
        f.attrs["format"] = np.bytes_(b"twin-recording/1")  # as C or MATLAB tools write it

    with open_recording(edited(as_bytes)) as rec:
        assert rec.format == "twin-recording/1" and rec.n_frames == N


def test_a_format_tag_that_is_not_utf8_is_not_a_twin_recording(edited):
    def garbled(f):
        f.attrs["format"] = np.bytes_(b"twin-recording/1\xff")

    path = edited(garbled)
    with pytest.raises(RecordingFormatError) as err:
        open_recording(path)
    # the bad byte decodes to U+FFFD, so the version "1\ufffd" is no number
    assert str(err.value) == f"{path}: unknown recording format 'twin-recording/1\ufffd'"


def test_a_header_without_its_optional_attributes(edited, small_facility):
    def strip(f):
        for name in ("layout_name", "layout_hash", "items_hash", "created_utc", "writer"):
            del f.attrs[name]

    with open_recording(edited(strip)) as rec:
        assert (rec.layout_name, rec.layout_hash, rec.items_hash, rec.created_utc) == ("",) * 4
        assert rec.n_frames == N and not rec.matches(small_facility)
        with pytest.raises(LayoutMismatch, match="recorded for layout ''"):
            rec.check_layout(small_facility)


def test_a_kind_left_out_of_the_counts_has_no_items(edited, small_facility):
    def drop_cdus(f):
        counts = small_facility.counts()
        assert counts["cdu"] > 0
        del counts["cdu"]
        f.attrs["counts_json"] = __import__("json").dumps(counts)

    with open_recording(edited(drop_cdus)) as rec:
        assert "cdu" not in rec.metrics and "gpu" in rec.metrics
        f = rec.frame(5)
        assert f.cdu == {} and f.gpu["power_w"].shape == (small_facility.n_gpus,)
        with pytest.raises(KeyError, match="no cdu metrics"):
            rec.history("cdu", 0)


@pytest.mark.parametrize(("value", "lo", "hi"), [(1e30, "0.0001", "100"), (1e-5, "0.0001", "100")])
def test_an_implausible_resolution_is_damage(edited, value, lo, hi):
    def set_it(f):
        f["frames/rack/inlet_c"].attrs["resolution"] = value

    path = edited(set_it)
    with pytest.raises(RecordingError) as err:
        open_recording(path)
    assert str(err.value) == (
        f"{path}: damaged attribute: /frames/rack/inlet_c resolution is {value:g}, expected a "
        f"step from {lo} to {hi} (Twin writes 0.1)"
    )


def test_a_resolution_at_the_ends_of_the_range_reads(edited):
    for value in (0.1 / 1000, 0.1 * 1000):

        def set_it(f, value=value):
            f["frames/rack/inlet_c"].attrs["resolution"] = value

        with open_recording(edited(set_it)) as rec:
            assert rec.resolution("rack", "inlet_c") == value


def test_saturated_codes_read_as_no_reading(edited):
    def saturate(f):
        ds = f["frames/gpu/temp_c"]
        row = ds[0]
        row[:3] = [32767, -32767, 32766]
        ds[0] = row

    with open_recording(edited(saturate)) as rec:
        t = rec.frame(0).gpu["temp_c"]
        assert np.isnan(t[:2]).all() and t[2] == pytest.approx(3276.6)


def test_a_bad_resolution_is_named_with_its_file_and_dataset(edited):
    def zero(f):
        f["frames/rack/inlet_c"].attrs["resolution"] = 0.0

    path = edited(zero)
    with pytest.raises(RecordingError) as err:
        open_recording(path)
    message = str(err.value)
    head = f"{path}: damaged attribute: /frames/rack/inlet_c resolution is "
    assert message.startswith(head) and message.endswith(", expected a positive number")
    assert message[len(head) :] == "0.0, expected a positive number"


def test_a_damaged_count_is_shown_as_written_not_as_numpy_repr(edited):
    def fractional(f):
        f.attrs["block_frames"] = np.int64(-3)

    path = edited(fractional)
    with pytest.raises(RecordingError) as err:
        open_recording(path)
    assert "attribute block_frames is -3, expected a whole number from" in str(err.value)
    assert "np." not in str(err.value)


def test_missing_history_is_named(edited):
    path = edited(lambda f: f.__delitem__("history/rack"))
    with pytest.raises(RecordingError) as err:
        open_recording(path)
    assert str(err.value) == f"{path}: missing dataset /history/rack"


def test_frames_closer_than_a_second_and_at_the_same_time(tmp_path, small_facility):
    """Only a time that goes back is damage: 4 Hz frames and a repeated time read back."""
    times = T0 + np.array([0.0, 0.25, 0.5, 0.5, 0.75, 1.0])
    path = tmp_path / "fast.h5"
    with Recorder(path, small_facility) as rec:
        for k, t in enumerate(times):
            f = Frame.empty(float(t), small_facility.counts())
            f.rack["inlet_c"][:] = 20.0 + k
            rec.append(f)
    with open_recording(path) as rec:
        np.testing.assert_array_equal(rec.times, times)
        assert rec.frame_at(T0 + 0.6).rack["inlet_c"][0] == pytest.approx(23.0)  # last at 0.5
        assert rec.frame_at(T0 + 0.3).rack["inlet_c"][0] == pytest.approx(21.0)


def test_metric_rows_every_step_th_frame_across_chunks(good, frames, small_facility):
    with open_recording(good) as rec:
        # 70 frames, every 3rd, read 4 rows at a time: 24 rows in 6 chunks of 12 frames
        times, rows = rec.metric_rows("gpu", "power_w", step=3, chunk_rows=4)
        np.testing.assert_array_equal(times, T0 + np.arange(0, N, 3))
        want = np.array([frames[i].gpu["power_w"] for i in range(0, N, 3)])
        assert rows.shape == (24, small_facility.n_gpus) and rows.dtype == np.float32
        assert np.abs(rows - want).max() <= 0.5 + 1e-3  # 1 W resolution
        times, rows = rec.metric_rows("rack", "power_w")
        assert len(times) == rows.shape[0] == N
        with pytest.raises(KeyError, match=r"no metric gpu\.nonsense in .*good\.h5"):
            rec.metric_rows("gpu", "nonsense")
        with pytest.raises(ValueError, match="step must be at least 1, got 0"):
            rec.metric_rows("gpu", "power_w", step=0)


def test_metric_rows_of_a_recording_without_frames(tmp_path, small_facility):
    path = tmp_path / "empty.h5"
    Recorder(path, small_facility).close()
    with open_recording(path) as rec:
        times, rows = rec.metric_rows("gpu", "temp_c")
        assert times.shape == (0,) and rows.shape == (0, small_facility.n_gpus)


def test_events_read_back_with_their_kind_item_and_severity(good, frames):
    want = [(e.time_s, e.kind, e.item, e.message, e.severity) for f in frames for e in f.events]
    assert len(want) == 2  # synthetic() raises an alarm at frames 7 and 57
    with open_recording(good) as rec:
        got = [(e.time_s, e.kind, e.item, e.message, e.severity) for e in rec.events]
        assert got == want
        assert [e.message for e in rec.frame(7).events] == ["alarm 7"]
        assert rec.frame(8).events == [] and rec.frame(0).events == []


def test_event_text_that_is_not_utf8_reads_with_replacement_characters(edited):
    def garble(f):
        ev = f["events"][()]
        ev["message"][0] = b"fan \xff\xfe failed"
        ev["item"][0] = b"A0\xe2"  # a character cut in half
        f["events"][...] = ev

    with open_recording(edited(garble)) as rec:
        first = rec.events[0]
        assert first.message == "fan \ufffd\ufffd failed" and first.item == "A0\ufffd"
        assert rec.warnings == []


def test_a_metric_without_a_units_attribute_takes_the_metrics_unit(edited):
    def strip(f):
        del f["frames/gpu/temp_c"].attrs["units"]
        del f["frames/rack/power_w"].attrs["units"]

    with open_recording(edited(strip)) as rec:
        assert rec.units("gpu", "temp_c") == "degC" and rec.units("rack", "power_w") == "W"


def test_an_event_at_the_first_frame_belongs_to_it(tmp_path, small_facility):
    """Frame 0 carries every event up to its time; frame i those after frame i - 1."""
    from twin.model.frame import Event, EventKind

    path = tmp_path / "ev.h5"
    with Recorder(path, small_facility) as rec:
        for i in range(3):
            f = Frame.empty(T0 + i, small_facility.counts())
            f.events.append(Event(T0 + i, EventKind.NOTE, "A01", f"at {i}"))
            rec.append(f)
    with open_recording(path) as rec:
        assert [[e.message for e in rec.frame(i).events] for i in range(3)] == [
            ["at 0"],
            ["at 1"],
            ["at 2"],
        ]


def test_an_item_out_of_range_says_how_many_there_are(good, small_facility):
    n = small_facility.n_gpus
    with open_recording(good) as rec, pytest.raises(IndexError) as err:
        rec.history("gpu", n)
    assert str(err.value) == f"gpu {n} out of range ({n} items)"


def test_one_frame_blocks_are_a_valid_recording(tmp_path, small_facility, frames):
    """block_frames = 1 (the smallest the header allows): every frame is its own history
    block."""
    path = tmp_path / "b1.h5"
    with Recorder(path, small_facility, block_frames=1) as rec:
        for f in frames[:5]:
            rec.append(f)
    with open_recording(path) as rec:
        assert rec.block_frames == 1 and rec.n_frames == 5
        _, h = rec.history("rack", 1, ["power_w"])
        want = [f.rack["power_w"][1] for f in frames[:5]]
        assert np.abs(h["power_w"] - want).max() <= 0.5 + 1e-3


def test_history_blocks_written_in_item_slices_read_back(tmp_path, small_facility, frames,
                                                          monkeypatch):  # fmt: skip
    """A history block is written in slices of items (bounding the temporary array); slices
    of 5 items over 64 GPUs (the last one short) give the same history as one slice."""
    from twin.recording import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "_WRITE_SLICE", 5)
    path = tmp_path / "sliced.h5"
    with Recorder(path, small_facility) as rec:
        for f in frames:
            rec.append(f)
    with open_recording(path) as rec:
        for g in (0, 4, 5, 33, small_facility.n_gpus - 1):
            _, h = rec.history("gpu", g, ["power_w"])
            want = [f.gpu["power_w"][g] for f in frames]
            assert np.abs(h["power_w"] - want).max() <= 0.5 + 1e-3, g
