"""Damaged, foreign, newer and mismatched recordings give a clear RecordingError (or
subclass), never a crash or a hang."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from twin.model.loader import facility_from_text
from twin.recording import (
    LayoutMismatch,
    Recorder,
    RecordingError,
    RecordingFormatError,
    open_recording,
)
from twin.telemetry.simulator import Simulator

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def good(tmp_path_factory, small_facility):
    path = tmp_path_factory.mktemp("rec") / "good.h5"
    sim = Simulator(small_facility, "crah-trip", seed=2, start_s=5_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(140):
            rec.append(sim.step())
    return path


def copy(good, tmp_path, name="copy.h5"):
    dst = tmp_path / name
    shutil.copy(good, dst)
    return dst


def read_everything(path):
    with open_recording(path) as rec:
        for i in range(rec.n_frames):
            rec.frame(i)
        for g in range(0, rec.counts["gpu"], 37):
            rec.history("gpu", g)
        return rec.n_frames


def contents(path) -> list:
    """Everything a reader can get out of a recording, for comparing two files."""
    out: list = []
    with open_recording(path) as rec:
        out.append(rec.n_frames)
        for i in range(rec.n_frames):
            f = rec.frame(i)
            out.append(f.time_s)
            for kind in rec.counts:
                out.extend(np.asarray(v).tobytes() for v in f.group(kind).values())
        for kind, n in rec.counts.items():
            for item in range(n):
                times, h = rec.history(kind, item)
                out.append(times.tobytes())
                out.extend(v.tobytes() for v in h.values())
        out.extend((e.time_s, e.kind, e.item, e.message, e.severity) for e in rec.events)
        out.append(rec.layout_text)
    return out


def test_good_file_reads(good):
    assert read_everything(good) == 140


def test_missing_file_and_not_hdf5(tmp_path):
    with pytest.raises(RecordingError, match="no such recording"):
        open_recording(tmp_path / "nope.h5")
    text = tmp_path / "notes.h5"
    text.write_text("this is not HDF5\n" * 100)
    with pytest.raises(RecordingError, match="cannot open as HDF5"):
        open_recording(text)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    with pytest.raises(RecordingError):
        open_recording(empty)


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1, 0.01])
def test_truncated(good, tmp_path, keep):
    dst = copy(good, tmp_path)
    data = dst.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(RecordingError):
        read_everything(dst)


@pytest.mark.parametrize("where", [0.05, 0.15, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
def test_corrupted_bytes(good, tmp_path, where):
    dst = copy(good, tmp_path)
    data = bytearray(dst.read_bytes())
    at = int(len(data) * where)
    rng = np.random.default_rng(int(where * 100))
    data[at : at + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    # garbage in compressed data or metadata: an error naming the file, or (when the bytes
    # hit slack space) a file that reads back exactly what was written; never garbage
    try:
        got = contents(dst)
    except RecordingError as exc:
        assert str(dst) in str(exc)
    else:
        assert got == contents(good), "corrupted bytes read back as different values"


def test_missing_dataset(good, tmp_path):
    dst = copy(good, tmp_path)
    with h5py.File(dst, "r+") as f:
        del f["frames/gpu/temp_c"]
    with pytest.raises(RecordingError, match="missing dataset for metric gpu/temp_c"):
        open_recording(dst)
    dst = copy(good, tmp_path, "c2.h5")
    with h5py.File(dst, "r+") as f:
        del f["time_s"]
    with pytest.raises(RecordingError, match="missing dataset /time_s"):
        open_recording(dst)


def test_newer_format_and_foreign_files(good, tmp_path):
    dst = copy(good, tmp_path)
    with h5py.File(dst, "r+") as f:
        f.attrs["format"] = "twin-recording/2"
    with pytest.raises(RecordingFormatError, match="newer Twin"):
        open_recording(dst)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(RecordingFormatError, match="not a Twin recording"):
        open_recording(other)
    dst = copy(good, tmp_path, "c3.h5")
    with h5py.File(dst, "r+") as f:
        f.attrs["format"] = "twin-recording/x"
    with pytest.raises(RecordingFormatError, match="unknown recording format"):
        open_recording(dst)


def test_item_count_disagrees_with_header(good, tmp_path):
    dst = copy(good, tmp_path)
    with h5py.File(dst, "r+") as f:
        f.attrs["counts_json"] = '{"gpu": 5, "rack": 8, "air_unit": 2, "cdu": 1, "power": 6}'
    with pytest.raises(RecordingError, match="items"):
        open_recording(dst)


def test_different_layout(good, small_facility):
    from twin.telemetry.replay import ReplaySource

    text = small_facility.source_text.replace(
        "      - {id: A03, position_m: [4.2, 4], servers: [{type: dgx-h100, count: 4}], "
        "feeds: {a: PDU-A, b: PDU-B}}\n",
        "",
    )
    assert text != small_facility.source_text
    other = facility_from_text(text, "other.yaml")
    with open_recording(good) as rec:
        assert not rec.matches(other)
        with pytest.raises(LayoutMismatch, match="open the recording's own layout"):
            rec.check_layout(other)
    with pytest.raises(LayoutMismatch):
        ReplaySource(other, good)
    # the recording's own layout always works
    src = ReplaySource.open(good, autoplay=False)
    assert src.facility.counts() == small_facility.counts()
    src.stop()


def test_history_replaced_by_a_group(good, tmp_path):
    dst = copy(good, tmp_path)
    with h5py.File(dst, "r+") as f:
        del f["history/gpu"]
        f.create_group("history/gpu")
    with pytest.raises(RecordingError, match="not a history table"):
        open_recording(dst)


@pytest.mark.parametrize("kind", ["folder", "pipe", "loop", "missing"])
def test_what_is_not_a_recording_file_is_named_for_what_it_is(tmp_path, kind):
    """A folder, a named pipe and a symbolic link loop all read "no such recording file"."""
    import os

    path = tmp_path / "run.h5"
    expected = {
        "folder": "is a folder, not a recording file",
        "pipe": "is a named pipe, not a recording file",
        "loop": "cannot read: Too many levels of symbolic links",
        "missing": "no such recording file",
    }[kind]
    if kind == "folder":
        path.mkdir()
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "loop":
        path.symlink_to(path)
    with pytest.raises(RecordingError) as e:
        open_recording(path)
    assert str(e.value) == f"{path}: {expected}"


def test_what_counts_as_a_twin_recording(tmp_path):
    import h5py

    from twin.recording.format import is_twin_recording

    made = {}
    for name, tag in (("new", b"twin-recording/2"), ("none", None), ("other", "netcdf4")):
        made[name] = tmp_path / f"{name}.h5"
        with h5py.File(made[name], "w") as f:
            if tag is not None:
                f.attrs["format"] = tag
    cut = tmp_path / "cut.h5"
    cut.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)  # the signature, then nothing
    text = tmp_path / "text.h5"
    text.write_text("twin-recording/1")
    assert is_twin_recording(made["new"]) and is_twin_recording(str(made["new"]))
    for path in (made["none"], made["other"], cut, text, tmp_path, tmp_path / "absent.h5"):
        assert not is_twin_recording(path), path
