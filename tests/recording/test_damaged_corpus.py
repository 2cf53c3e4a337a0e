"""Recordings edited by hand or by a broken tool: every damaged attribute or dataset gives a
clear ``RecordingError`` (or a warning, when reading can go on), and ``twin info`` says so with
exit 1, never a traceback. Each case names the damage and the message it must give."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from twin.cli import main
from twin.recording import Recorder, RecordingError, open_recording
from twin.telemetry.simulator import Simulator

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def good(tmp_path_factory, small_facility):
    path = tmp_path_factory.mktemp("rec") / "good.h5"
    sim = Simulator(small_facility, "crah-trip", seed=3, start_s=1_800_000_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(80):
            rec.append(sim.step())
    return path


def _attr(name, value, where="/"):
    def damage(f):
        f[where].attrs[name] = value

    return damage


def _del_attr(name, where="/"):
    def damage(f):
        del f[where].attrs[name]

    return damage


def _replace(name, make):
    def damage(f):
        del f[name]
        make(f, name)

    return damage


def _times(edit):
    def damage(f):
        t = f["time_s"][()]
        f["time_s"][...] = edit(t)

    return damage


def _metric(f) -> str:
    return next(f"frames/gpu/{k}" for k in f["frames/gpu"])


def _frames_attr(value):
    def damage(f):
        f[_metric(f)].attrs["resolution"] = value

    return damage


def _frames_replace(make):
    def damage(f):
        name = _metric(f)
        del f[name]
        make(f, name)

    return damage


def _bad_event_times(f):
    ev = f["events"][()]
    assert len(ev) >= 1, "the scenario must have events"
    ev["time_s"][0] = np.nan
    f["events"][...] = ev


ERRORS = [
    ("block-frames-0", _attr("block_frames", 0), "block_frames"),
    ("block-frames-negative", _attr("block_frames", -5), "block_frames"),
    ("block-frames-text", _attr("block_frames", "many"), "block_frames"),
    ("block-frames-huge", _attr("block_frames", 1e300), "block_frames"),
    ("block-frames-nan", _attr("block_frames", np.nan), "block_frames"),
    ("block-frames-fraction", _attr("block_frames", 2.5), "block_frames"),
    ("counts-missing", _del_attr("counts_json"), "item counts"),
    ("counts-not-json", _attr("counts_json", "{gpu: 3"), "not JSON"),
    ("counts-list", _attr("counts_json", "[1, 2]"), "not a mapping"),
    ("counts-negative", _attr("counts_json", '{"gpu": -1}'), "counts_json"),
    ("counts-huge", _attr("counts_json", '{"gpu": 1e15}'), "counts_json"),
    ("counts-text", _attr("counts_json", '{"gpu": "lots"}'), "counts_json"),
    ("counts-disagree", _attr("counts_json", '{"gpu": 7}'), "header says"),
    ("format-missing", _del_attr("format"), "not a Twin recording"),
    ("format-garbage", _attr("format", "twin-recording/abc"), "unknown recording format"),
    ("format-newer", _attr("format", "twin-recording/99"), "newer Twin"),
    ("format-other", _attr("format", "hdf5-of-someone-else/1"), "not a Twin recording"),
    ("layout-missing", _replace("layout", lambda f, n: None), "missing dataset /layout"),
    ("events-missing", _replace("events", lambda f, n: None), "missing dataset /events"),
    (
        "events-ints",
        _replace("events", lambda f, n: f.create_dataset(n, data=np.arange(5))),
        "not an events table",
    ),
    (
        "events-2d",
        _replace("events", lambda f, n: f.create_dataset(n, data=np.zeros((2, 2)))),
        "not a 1-D dataset",
    ),
    ("events-group", _replace("events", lambda f, n: f.create_group(n)), "not a 1-D dataset"),
    ("time-missing", _replace("time_s", lambda f, n: None), "missing dataset /time_s"),
    (
        "time-2d",
        _replace("time_s", lambda f, n: f.create_dataset(n, data=np.zeros((80, 2)))),
        "not a 1-D dataset",
    ),
    (
        "time-text",
        _replace("time_s", lambda f, n: f.create_dataset(n, data=np.array([b"x"] * 80))),
        "not times",
    ),
    ("time-reversed", _times(lambda t: t[::-1]), "time axis"),
    (
        "time-one-step-back",
        _times(lambda t: np.where(np.arange(len(t)) == 40, t[10], t)),
        "frame 40",
    ),
    # times that are no date ended energy, report and render in OverflowError or "year
    # -29719" tracebacks, and a gap of 1e11 s a report in MemoryError
    ("time-2^63", _times(lambda t: t - t[0] + 2.0**63), "frame 0 is at 9.22337e"),
    ("time-1e300", _times(lambda t: t - t[0] + 1e300), "frame 0 is at 1e\\+300 s, not a date"),
    ("time-year-9999", _times(lambda t: t - t[0] + 253_402_400_000.0), "between 1900 and 2200"),
    ("time-before-1900", _times(lambda t: t - t[0] - 1e12), "frame 0 is at -1e\\+12 s"),
    (
        "time-gap-of-3000-years",
        _times(lambda t: np.where(np.arange(len(t)) >= 40, t + 1e11, t)),
        "frame 40 is at",
    ),
    # a frame with no time between written ones: the rest used to be dropped in silence
    (
        "time-nan-inside",
        _times(lambda t: np.where(np.arange(len(t)) == 30, np.nan, t)),
        "frame 30 has no time .nan. but frame 31 after it has one",
    ),
    ("resolution-0", _frames_attr(0.0), "resolution"),
    ("resolution-nan", _frames_attr(np.nan), "resolution"),
    ("resolution-negative", _frames_attr(-0.1), "resolution"),
    ("resolution-inf", _frames_attr(np.inf), "resolution"),
    ("resolution-text", _frames_attr("fine"), "resolution"),
    (
        "frames-float",
        _frames_replace(lambda f, n: f.create_dataset(n, data=np.zeros((80, 336)))),
        "not scaled integers",
    ),
    (
        "frames-1d",
        _frames_replace(lambda f, n: f.create_dataset(n, data=np.zeros(80, "i2"))),
        "not a .time x item. table",
    ),
    (
        "frames-narrow",
        _frames_replace(lambda f, n: f.create_dataset(n, data=np.zeros((80, 3), "i2"))),
        "items, header says",
    ),
    (
        "block-frames-32",
        _attr("block_frames", 32),
        "blocks of 64 frames, the header's block_frames says 32",
    ),
    ("block-frames-1", _attr("block_frames", 1), "block_frames says 1"),
    ("history-missing", _replace("history/gpu", lambda f, n: None), "missing dataset /history"),
    ("history-group", _replace("history/gpu", lambda f, n: f.create_group(n)), "history table"),
]


@pytest.fixture
def damaged(good, tmp_path):
    def make(damage):
        dst = tmp_path / "damaged.h5"
        shutil.copy(good, dst)
        with h5py.File(dst, "r+") as f:
            damage(f)
        return dst

    return make


def _read_everything(path):
    with open_recording(path) as rec:
        for i in range(rec.n_frames):
            rec.frame(i)
        for g in range(0, rec.counts.get("gpu", 0), 50):
            rec.history("gpu", g)
        return rec


@pytest.mark.parametrize(("name", "damage", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_damage_gives_a_clear_error(damaged, name, damage, message, capsys):
    path = damaged(damage)
    with pytest.raises(RecordingError, match=message):
        _read_everything(path)
    assert main(["info", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "edit", "shown"),
    [
        ("minus-1", lambda t: t - t[0] - 1.0, "1969-12-31T23:59:59"),
        ("year-1900", lambda t: t - t[0] - 2_208_988_800.0, "1900-01-01T00:00:00"),
        ("year-2199", lambda t: t - t[0] + 7_258_118_000.0, "2199-12-31T23:53:20"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_info_prints_any_stored_time(damaged, name, edit, shown, capsys):
    path = damaged(_times(edit))
    assert main(["info", "--events", str(path)]) == 0
    out = capsys.readouterr().out
    assert shown in out and "80 frames" in out


def test_damaged_event_is_skipped_with_a_warning(damaged, capsys):
    path = damaged(_bad_event_times)
    rec = _read_everything(path)
    assert any("damaged event" in w for w in rec.warnings)
    assert main(["info", "--events", str(path)]) == 0
    assert "warning" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "filled"),
    [
        (
            '["rack/inlet_c", "gpu/no_such", "air_unit/load_w", "rack/exhaust_c"]',
            ("rack/inlet_c", "air_unit/load_w", "rack/exhaust_c"),
        ),
        ("[rack/inlet_c", None),  # not JSON
        ('{"rack": "inlet_c"}', None),  # not a list
        ('["rack/inlet_c", 3]', None),  # not all names
    ],
    ids=["unknown-names-dropped", "not-json", "mapping", "not-names"],
)
def test_a_damaged_filled_by_model_counts_every_air_reading_as_the_model_s(
    damaged, value, filled, capsys
):
    """Which readings a live session's physics filled: kept where a name is unknown (a newer
    metric); damaged, every rack and air-unit metric is taken as possibly the model's, said as
    a warning, as a fit to the model's figures taken for readings would fit it to itself."""
    path = damaged(_attr("filled_by_model", value))
    rec = _read_everything(path)
    if filled is not None:
        assert rec.filled_by_model == filled and rec.warnings == []
        assert main(["info", str(path)]) == 0
        assert (
            "\n  filled   rack inlet_c, exhaust_c; air_unit load_w: the airflow model's where the "
            "telemetry measured none\n"
        ) in capsys.readouterr().out
        return
    every = sorted(
        f"{kind}/{name}" for kind in ("rack", "air_unit") for name, _, _ in rec.metrics[kind]
    )
    assert list(rec.filled_by_model) == every
    assert rec.warnings == [
        "damaged header: filled_by_model is not a list of metrics, so every rack and air-unit "
        "reading is taken as possibly the airflow model's"
    ]
    assert main(["info", str(path)]) == 0
    assert "  warning  damaged header: filled_by_model" in capsys.readouterr().out


def test_recorder_refuses_a_frame_without_a_time(tmp_path, small_facility):
    sim = Simulator(small_facility, "normal", seed=1, start_s=1_800_000_000.0)
    with Recorder(tmp_path / "r.h5", small_facility) as rec:
        rec.append(sim.step())
        frame = sim.step()
        frame.time_s = float("nan")
        with pytest.raises(RecordingError, match="not a number"):
            rec.append(frame)
        rec.append(sim.step())
    with open_recording(tmp_path / "r.h5") as rec:
        assert rec.n_frames == 2  # the frames after the refused one are all there


@pytest.mark.timeout(30, method="thread")  # HDF5 loops in C, deaf to the signal method
@pytest.mark.parametrize("obj", [0, 1])
def test_a_global_heap_hdf5_would_loop_on_is_refused_at_once(good, tmp_path, obj, capsys):
    """Sixteen zero bytes over an object header in the first global heap collection (where
    the string attributes live) made HDF5 loop for ever on the first attribute read, at full
    CPU and deaf to Ctrl-C: every command that opened the recording hung."""
    data = bytearray(good.read_bytes())
    at = data.find(b"GCOL")
    assert at >= 0
    offset = 16  # the collection's header, then each object's: 16 bytes, its data by 8
    for _ in range(obj):
        offset += (
            16 + (int.from_bytes(data[at + offset + 8 : at + offset + 16], "little") + 7) // 8 * 8
        )
    data[at + offset : at + offset + 16] = bytes(16)
    path = tmp_path / "heap.h5"
    path.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match=r"global heap object at byte \d+ has no size"):
        open_recording(path)
    assert main(["info", str(path)]) == 1
    assert str(path) in capsys.readouterr().err


def test_the_heap_walk_passes_every_recording_this_suite_writes(good):
    from twin.recording.heap_check import looping_heap_at

    assert looping_heap_at(good) is None
    assert b"GCOL" in good.read_bytes()  # the walk has something to walk
