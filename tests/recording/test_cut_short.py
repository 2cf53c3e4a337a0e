"""A closed recording whose tables were cut short afterwards (a copy stopped early, a tool
that shrank one dataset) reads what is left and says what was lost; a file still being
written, or one written before the recorder marked its close, reads as before."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from twin.cli import main
from twin.recording import Recorder, RecordingError, open_recording
from twin.recording import format as fmt
from twin.telemetry.simulator import Simulator

pytestmark = pytest.mark.timeout(60)

N = 150


@pytest.fixture(scope="module")
def closed(tmp_path_factory, small_facility):
    path = tmp_path_factory.mktemp("cut") / "closed.h5"
    sim = Simulator(small_facility, "normal", seed=2, start_s=1_800_000_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(N):
            rec.append(sim.step())
    return path


def _copy(src, tmp_path, edit):
    dst = tmp_path / "edited.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def _cut(name, rows):
    def edit(f):
        f[name].resize(rows, axis=0)

    return edit


def test_the_recorder_marks_its_close(closed, small_facility, tmp_path):
    with h5py.File(closed, "r") as f:
        assert int(f.attrs[fmt.CLOSED_FRAMES]) == N
    with Recorder(tmp_path / "open.h5", small_facility) as rec:
        with h5py.File(rec.path, "r", swmr=True) as f:
            assert int(f.attrs[fmt.CLOSED_FRAMES]) == -1
    with open_recording(closed) as rec:
        assert rec.closed_frames == N and rec.n_frames == N and rec.warnings == []


@pytest.mark.parametrize("table", ["frames/gpu/temp_c", "time_s"])
def test_a_table_cut_after_close_is_read_with_a_warning(closed, tmp_path, table, capsys):
    path = _copy(closed, tmp_path, _cut(table, 10))
    with open_recording(path) as rec:
        assert rec.n_frames == 10
        (note,) = rec.warnings
        assert f"closed with {N} frames" in note
        assert f"/{table} 10 rows" in note and "first 10 frames" in note
        # the rows left are the recording's own
        with open_recording(closed) as whole:
            np.testing.assert_array_equal(rec.times, whole.times[:10])
            np.testing.assert_array_equal(rec.frame(9).gpu["temp_c"], whole.frame(9).gpu["temp_c"])
    assert main(["info", str(path)]) == 0
    assert "cut short" in capsys.readouterr().out


@pytest.mark.parametrize("mark", [-1, None], ids=["still-open", "before-the-mark"])
def test_an_unclosed_or_older_file_reads_its_shortest_table_silently(closed, tmp_path, mark):
    def edit(f):
        _cut("frames/gpu/temp_c", 10)(f)
        if mark is None:
            del f.attrs[fmt.CLOSED_FRAMES]
        else:
            f.attrs[fmt.CLOSED_FRAMES] = np.int64(mark)

    with open_recording(_copy(closed, tmp_path, edit)) as rec:
        assert rec.n_frames == 10 and rec.closed_frames is None and rec.warnings == []


@pytest.mark.parametrize("value", ["many", -2, 2.5])
def test_a_damaged_close_mark_is_named(closed, tmp_path, value):
    def edit(f):
        f.attrs[fmt.CLOSED_FRAMES] = value

    with pytest.raises(RecordingError, match="attribute frames_closed is"):
        open_recording(_copy(closed, tmp_path, edit))


@pytest.mark.parametrize(
    "command",
    [
        ["energy", "{layout}", "--recording", "{path}"],
        [
            "export",
            "usd",
            "{layout}",
            "--recording",
            "{path}",
            "--from",
            "0s",
            "--to",
            "5s",
            "-o",
            "{out}.usda",
        ],
        ["report", "{path}", "-o", "{out}.html", "--no-snapshots"],
    ],
    ids=lambda c: c[0],
)
def test_commands_that_read_a_cut_file_say_so(closed, small_layout_file, tmp_path, command, capsys):
    path = _copy(closed, tmp_path, _cut("frames/gpu/power_w", 10))
    args = [a.format(path=path, layout=small_layout_file, out=tmp_path / "out") for a in command]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert f"twin {command[0]}: warning: {path}: cut short" in err
    assert "/frames/gpu/power_w 10 rows" in err
    if command[0] == "report":
        html = (tmp_path / "out.html").read_text()
        assert "Damaged recording: cut short" in html
