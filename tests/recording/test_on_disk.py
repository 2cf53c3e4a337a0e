"""The file a ``Recorder`` writes has the layout ``twin/recording/format.py`` documents: its
header attributes, each dataset's filters, and integer types just wide enough."""

from __future__ import annotations

import datetime as dt
import json

import h5py
import numpy as np
import pytest

from tests.recording.test_roundtrip import T0, synthetic
from twin.recording import Recorder
from twin.recording import format as fmt


def _record(path, fac, n=3, **kwargs):
    with Recorder(path, fac, **kwargs) as rec:
        for i in range(n):
            rec.append(synthetic(fac, i))
    return path


def test_header_attributes(tmp_path, small_facility):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path = _record(tmp_path / "r.h5", small_facility)
    after = dt.datetime.now(dt.UTC)
    with h5py.File(path, "r") as f:
        a = f.attrs
        assert a["format"] == "twin-recording/1" and a["writer"] == "twin"
        assert a["layout_name"] == "small test hall"
        assert a["block_frames"] == 64
        assert json.loads(a["counts_json"]) == small_facility.counts()
        assert len(a["layout_hash"]) == len(a["items_hash"]) == 64  # sha256 hex digests
        created = dt.datetime.fromisoformat(a["created_utc"])
        assert created.utcoffset() == dt.timedelta(0) and before <= created <= after
        assert a["created_utc"].endswith("+00:00") and "." not in a["created_utc"]  # whole s


def test_filters_of_every_dataset(tmp_path, small_facility):
    """Frame rows gzip level 1 + shuffle, history lzf + shuffle, events gzip."""
    path = _record(tmp_path / "r.h5", small_facility)
    with h5py.File(path, "r") as f:
        for kind in f["frames"]:
            for name, ds in f["frames"][kind].items():
                assert (ds.compression, ds.compression_opts, ds.shuffle) == ("gzip", 1, True), name
                assert ds.chunks == (1, min(ds.shape[1], fmt.FRAME_CHUNK_ITEMS))
                assert ds.fillvalue == np.iinfo(ds.dtype).min == ds.attrs["missing"]
        for kind, ds in f["history"].items():
            assert (ds.compression, ds.shuffle) == ("lzf", True), kind
            assert ds.chunks == (min(ds.shape[0], fmt.HISTORY_CHUNK_ITEMS), 64)
        assert f["events"].compression == "gzip"
        assert f["time_s"].dtype == np.float64 and f["time_s"].maxshape == (None,)
        assert f["events"].maxshape == (None,)


def test_compression_can_be_turned_off_and_an_unknown_one_is_refused(tmp_path, small_facility):
    path = _record(tmp_path / "plain.h5", small_facility, compression="none",
                   history_compression="")  # fmt: skip
    with h5py.File(path, "r") as f:
        assert f["frames/gpu/temp_c"].compression is None and not f["frames/gpu/temp_c"].shuffle
        assert f["history/gpu"].compression is None
    with pytest.raises(ValueError, match=r"unknown compression 'zstd' \(use lzf, gzip or none\)"):
        Recorder(tmp_path / "z.h5", small_facility, compression="zstd")


def test_integer_types_just_wide_enough():
    # degC spans +-1000: 10,000 steps of 0.1 K need int16, 1,000 steps of 1 K too, 100 of 10 K fit int8
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 0.1) == np.int16
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 1.0) == np.int16
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 10.0) == np.int8
    # a GPU's power is bounded by kind (5 kW): 5,000 steps of 1 W; a rack's W has no bound
    assert fmt.storage_dtype("gpu", "power_w", "W", 1.0) == np.int16
    assert fmt.storage_dtype("rack", "power_w", "W", 1.0) == np.int32
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 0.01) == np.int32  # 100,000 steps
    # one step of headroom below the type's top: 125 steps fit int8, 126 do not
    assert fmt.storage_dtype("gpu", "util_pct", "%", 120 / 125) == np.int8
    assert fmt.storage_dtype("gpu", "util_pct", "%", 120 / 126) == np.int16
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 1000 / 32765) == np.int16
    assert fmt.storage_dtype("gpu", "temp_c", "degC", 1000 / 32766) == np.int32


def test_encode_rounds_to_the_nearest_step_and_marks_missing():
    v = np.array([0.26, -0.26, 0.24, np.nan, 1e6, -1e6], np.float32)
    got = fmt.encode(v, 0.5, np.dtype(np.int8))
    # 0.52 -> 1, -0.52 -> -1, 0.48 -> 0; NaN is -128; beyond +-127 steps clipped to +-127
    assert got.dtype == np.int8 and got.tolist() == [1, -1, 0, -128, 127, -127]
    got = fmt.encode(np.array([123456.7, np.nan]), 1.0, np.dtype(np.int32))
    assert got.tolist() == [123457, -(2**31)]
    back = fmt.decode(got, 1.0)
    assert back.dtype == np.float32 and back[0] == 123457.0 and np.isnan(back[1])


def test_time_axis_is_written_last_and_whole(tmp_path, small_facility):
    """Each flush writes the rows appended since the last one, once: 70 frames appended in
    four flushes read back as exactly T0 .. T0 + 69."""
    path = tmp_path / "r.h5"
    rec = Recorder(path, small_facility, flush_interval_s=1e9)
    for i in range(70):
        rec.append(synthetic(small_facility, i))
        if i in (9, 10, 40):
            rec.flush()
            rec.flush()  # nothing new: writes nothing
    rec.close()
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(f["time_s"][()], T0 + np.arange(70))
        assert f["frames/gpu/power_w"].shape == (70, small_facility.n_gpus)
        assert f["history/gpu"].shape == (small_facility.n_gpus, 128)  # two blocks, one padded


def test_layout_hash_ignores_the_order_of_a_mapping(small_facility):
    """The hash is of the validated layout, not its formatting: the same exporter-metric
    overrides written in another order hash the same; another override does not."""
    from tests.conftest import TELEMETRY_LAYOUT
    from twin.model.loader import facility_from_text

    def with_metrics(text: str):
        return facility_from_text(
            TELEMETRY_LAYOUT + f"telemetry: {{metrics: {{{text}}}}}\n", "t.yaml"
        )

    a = with_metrics("temp_c: GPU_TEMP, power_w: GPU_POWER")
    b = with_metrics("power_w: GPU_POWER, temp_c: GPU_TEMP")
    c = with_metrics("power_w: GPU_POWER, temp_c: GPU_TEMP_2")
    assert fmt.layout_hash(a) == fmt.layout_hash(b) != fmt.layout_hash(c)
    assert fmt.layout_hash(a) != fmt.layout_hash(small_facility)


def test_a_replaced_recording_is_made_durable_in_its_own_folder(tmp_path, monkeypatch):
    """After the rename, the folder holding the target (not the working directory) is
    fsynced, so the new name survives a power cut."""
    import os

    from twin.recording import safe_output

    target_dir = tmp_path / "out"
    target_dir.mkdir()
    target = target_dir / "run.h5"
    with h5py.File(target, "w"):
        pass
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to name an open descriptor's path")
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real_fsync(fd)

    monkeypatch.chdir(tmp_path)
    out = safe_output.SafeOutput(target, force=True)
    with h5py.File(out.path, "w") as f:
        f.attrs["tag"] = "new"
    monkeypatch.setattr(safe_output.os, "fsync", spy)
    assert out.finish(3) == f"replaced {target}"
    assert synced == [str(target_dir)]
