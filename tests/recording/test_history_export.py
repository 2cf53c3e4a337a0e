"""A selection's history exported as CSV and Parquet: every sample, its time in UTC, missing
samples as empty cells / nulls, units in the Parquet schema; an unknown suffix refused and an
existing file left whole."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.recording.test_roundtrip import T0, synthetic
from twin.recording import Recorder, open_recording
from twin.recording.history_export import history_table, write_history

N_FRAMES = 70  # a whole 64-frame block and a tail
GPU = 3  # synthetic() blanks GPU i % n_gpus at frame i: GPU 3 misses frame 3


@pytest.fixture
def table(tmp_path, small_facility):
    path = tmp_path / "run.h5"
    frames = [synthetic(small_facility, i) for i in range(N_FRAMES)]
    with Recorder(path, small_facility) as rec:
        for f in frames:
            rec.append(f)
    with open_recording(path) as rec:
        yield history_table(rec, "gpu", GPU, small_facility.gpu_label(GPU)), frames


def test_parquet_holds_every_sample_with_utc_times_nulls_and_units(table, tmp_path):
    tab, frames = table
    out = tmp_path / "gpu.parquet"
    assert write_history(tab, out) == N_FRAMES
    pt = pq.read_table(out)
    assert pt.num_rows == N_FRAMES
    assert pt.column_names[:2] == ["time_utc", "t_s"] and "temp_c" in pt.column_names
    times = pt.column("time_utc").to_pylist()
    assert times[0] == dt.datetime.fromtimestamp(T0, dt.UTC)
    assert times[-1] - times[0] == dt.timedelta(seconds=N_FRAMES - 1)
    assert pt.column("t_s").to_pylist() == [float(i) for i in range(N_FRAMES)]
    temps = pt.column("temp_c").to_pylist()
    assert temps[GPU] is None and pt.column("temp_c").null_count == 1  # the one blank frame
    want = np.array([f.gpu["temp_c"][GPU] for f in frames], np.float64)
    got = np.array([np.nan if v is None else v for v in temps])
    ok = np.isfinite(want)
    np.testing.assert_allclose(got[ok], want[ok], atol=0.05 + 1e-6)  # recorded at 0.1 K
    assert pt.column("power_w").null_count == 0
    assert pt.schema.field("temp_c").metadata == {b"unit": b"degC"}
    assert pt.schema.field("power_w").metadata == {b"unit": b"W"}
    meta = pt.schema.metadata
    assert meta[b"twin.kind"] == b"gpu" and meta[b"twin.item"] == tab.item.encode()
    assert meta[b"twin.recording"].endswith(b"run.h5")


def test_csv_and_parquet_agree(table, tmp_path):
    tab, _ = table
    write_history(tab, tmp_path / "h.csv")
    write_history(tab, tmp_path / "h.parquet")
    rows = list(csv.DictReader((tmp_path / "h.csv").open()))
    pt = pq.read_table(tmp_path / "h.parquet")
    assert len(rows) == pt.num_rows == N_FRAMES
    assert rows[GPU]["temp_c"] == ""
    for name in tab.columns:
        col = pt.column(name).to_pylist()
        for k in (0, GPU, N_FRAMES - 1):
            assert (rows[k][name] == "") == (col[k] is None)
            if col[k] is not None:
                assert float(rows[k][name]) == pytest.approx(col[k], abs=1e-9)
    assert rows[-1]["time_utc"] == pt.column("time_utc")[-1].as_py().isoformat()


def test_unknown_suffix_is_refused_and_the_old_file_kept(table, tmp_path):
    tab, _ = table
    out = tmp_path / "h.xlsx"
    out.write_text("keep me")
    with pytest.raises(ValueError, match=r"h\.xlsx.*\.csv, \.parquet"):
        write_history(tab, out)
    assert out.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.xlsx", "run.h5"]


def test_csv_text_of_a_hand_made_table():
    """Each row: the UTC time, seconds from the start to the ms, each value or an empty cell;
    lines end in a bare newline."""
    from twin.recording.history_export import HistoryTable, csv_text

    start = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    tab = HistoryTable(
        "rack",
        "A01",
        np.array([start, start + 0.5, start + 61.0004]),
        start,
        {"inlet_c": np.array([21.5, np.nan, 22.0]), "power_w": np.array([1000.0, 1001.0, np.inf])},
        {"inlet_c": "degC", "power_w": "W"},
    )
    assert csv_text(tab) == (
        "time_utc,t_s,inlet_c,power_w\n"
        "2026-01-01T00:00:00+00:00,0.0,21.5,1000.0\n"
        "2026-01-01T00:00:00.500000+00:00,0.5,,1001.0\n"
        "2026-01-01T00:01:01.000400+00:00,61.0,22.0,\n"
    )


def test_parquet_names_the_layout_and_recording(table, tmp_path):
    tab, _ = table
    write_history(tab, tmp_path / "h.parquet")
    meta = pq.read_table(tmp_path / "h.parquet").schema.metadata
    assert meta[b"twin.layout"] == b"small test hall"
    assert meta[b"twin.recording"] == str(tmp_path / "run.h5").encode()
    assert tab.kind == "gpu" and tab.start_s == T0 and len(tab) == N_FRAMES
