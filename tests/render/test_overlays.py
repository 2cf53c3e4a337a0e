"""Overlays: fixed colour ranges (never scaled to the frame), throttle classes, job slots,
alarm state replayed from events, outlines in an off-screen scene, and
``twin render --recording --at`` writing the recorded instant."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv

from twin.cli import main
from twin.model.frame import (
    THROTTLE_GPU_IDLE,
    THROTTLE_HW_SLOWDOWN,
    THROTTLE_SW_POWER_CAP,
    THROTTLE_SW_THERMAL,
    Event,
    EventKind,
    Frame,
)
from twin.model.loader import load_layout
from twin.model.metrics import job_colour_index, throttle_class
from twin.recording.times import parse_at
from twin.render.overlays import (
    AlertLayer,
    alarm_levels,
    colour_gpus,
    gpu_scale,
    throttling,
)
from twin.render.scene import Scene


@pytest.fixture
def facility(small_layout):
    return load_layout(small_layout)


def test_scales_are_fixed_and_come_from_gpu_limits(facility):
    t = gpu_scale(facility, "temp_c")
    assert t.clim == (20.0, 95.0)
    assert [m.value for m in t.marks] == [89.0, 92.0]  # H100 slowdown and shutdown
    assert gpu_scale(facility, "power_w").clim == (0.0, 700.0)  # H100 TDP
    assert gpu_scale(facility, "util_pct").clim == (0.0, 100.0)
    assert gpu_scale(facility, "mem_temp_c").marks[0].value == 95.0
    with pytest.raises(ValueError, match="unknown GPU metric"):
        gpu_scale(facility, "colour_of_money")


def test_throttle_classes_jobs_and_throttling_gpus():
    bits = np.array(
        [0, THROTTLE_GPU_IDLE, THROTTLE_SW_POWER_CAP, THROTTLE_SW_THERMAL | THROTTLE_HW_SLOWDOWN,
         THROTTLE_SW_POWER_CAP | THROTTLE_SW_THERMAL, np.nan]
    )  # fmt: skip
    np.testing.assert_array_equal(throttle_class(bits), [0, 1, 2, 3, 3, np.nan])
    frame = Frame(0.0, gpu={"throttle": bits})
    np.testing.assert_array_equal(throttling(frame), [2, 3, 4])  # idle is not throttling
    np.testing.assert_array_equal(
        job_colour_index(np.array([0, 3, 23, np.nan])), [np.nan, 3, 3, np.nan]
    )


def test_alarm_state_follows_events(facility):
    ev = [
        Event(1, EventKind.UNIT_FAILED, "CRAH-1", "", 2),
        Event(2, EventKind.ALARM, "A01", "", 1),
        Event(3, EventKind.ALARM, "A02", "", 2),
        Event(4, EventKind.ALARM_CLEARED, "A01", "", 0),
        Event(5, EventKind.JOB_START, "job 7", "", 0),
    ]
    assert alarm_levels(facility, ev) == {"CRAH-1": 2, "A02": 2}
    live = alarm_levels(facility, ev[:2])
    assert alarm_levels(facility, [Event(6, EventKind.UNIT_RECOVERED, "CRAH-1")], live) == {
        "A01": 1
    }


def test_colouring_and_outlines_in_a_scene(facility):
    plotter = pv.Plotter(off_screen=True, window_size=[320, 240])
    try:
        scene = Scene(facility, plotter)
        n = facility.n_gpus
        temps = np.linspace(30, 60, n).astype(np.float32)  # the frame spans 30-60 only
        bits = np.zeros(n, dtype=np.float32)
        bits[[1, 5]] = THROTTLE_SW_THERMAL
        frame = Frame(0.0, gpu={"temp_c": temps, "throttle": bits})
        assert colour_gpus(scene, frame, "temp_c")
        assert scene.gpu_colouring.clim == (20.0, 95.0)  # not (30, 60)
        np.testing.assert_array_equal(np.asarray(scene._gpu_values)[:, 0], temps)
        assert not colour_gpus(scene, Frame(0.0), "temp_c")  # no such metric: untouched
        alerts = AlertLayer(scene)
        alerts.update(throttling(frame), {"A02": 1, "CRAH-1": 2, f"{facility.gpu_label(0)}": 2})
        assert alerts.counts() == {"throttling": 2, "alarmed": 3}
        assert alerts._meshes["throttle"].n_cells == 2 * 12
        assert alerts.alarmed["rack"] == {facility.rack_index["A02"]: 1, 0: 2}
        scene.set_visible("throttling", False)
        alerts.update(throttling(frame), {})
        assert not alerts._actors["throttle"].GetVisibility()
        assert alerts._meshes["crit"].n_cells == 0
    finally:
        plotter.close()


def test_parse_at():
    assert parse_at("12:30", 1000.0) == 1750.0
    assert parse_at("1:02:03", 0.0) == 3723.0
    assert parse_at("90", 10.0) == 100.0
    assert parse_at("+12:30", 0.0) == parse_at("12m30s", 0.0) == 750.0
    assert parse_at("2026-01-01T00:00:10Z", 0.0) == 1767225610.0
    with pytest.raises(ValueError, match="not a time"):
        parse_at("half past", 0.0)
    with pytest.raises(ValueError, match="0-59"):
        parse_at("1:75", 0.0)


def test_render_recording_at(small_layout, tmp_path, capsys):
    rec = tmp_path / "run.h5"
    args = ["simulate", str(small_layout), "--scenario", "crah-trip", "--duration", "12s"]
    assert main([*args, "--fail-at", "4s", "-o", str(rec), "-q"]) == 0
    out = tmp_path / "shot.png"
    common = ["render", str(small_layout), "--recording", str(rec), "--size", "320", "240"]
    assert main([*common, "--at", "0:08", "--metric", "power_w", "-o", str(out)]) == 0
    assert "power_w at +0:00:08" in capsys.readouterr().out
    # the picture is coloured by the recording: another metric at the same instant, or no
    # recording at all, gives other pixels
    import pyvista as pv

    def pixels(path):
        return np.asarray(pv.read(path).point_data["PNGImage"])[:, :3].astype(float)

    temp = tmp_path / "temp.png"
    assert main([*common, "--at", "0:08", "--metric", "temp_c", "-o", str(temp)]) == 0
    plain = tmp_path / "plain.png"
    assert main([*common[:2], "--size", "320", "240", "-o", str(plain)]) == 0
    capsys.readouterr()
    power_px, temp_px, plain_px = pixels(out), pixels(temp), pixels(plain)
    assert power_px.shape == (320 * 240, 3) and power_px.std() > 10
    assert np.abs(power_px - temp_px).max() > 50 and (power_px != temp_px).any(axis=1).sum() > 200
    assert (power_px != plain_px).any(axis=1).sum() > 200
    assert main([*common, "--at", "5:00", "-o", str(out)]) == 2
    assert "outside the recording" in capsys.readouterr().err
    assert main([*common, "--metric", "vibes", "-o", str(out)]) == 2
    assert "unknown --metric" in capsys.readouterr().err
    other = tmp_path / "other.yaml"
    other.write_text(small_layout.read_text().replace("{id: B02, ", "{id: B09, "))
    assert main(["render", str(other), "--recording", str(rec), "-o", str(out)]) == 1
    assert "recorded for layout" in capsys.readouterr().err


def test_job_legend_names_the_largest_jobs():
    from twin.render.overlays import job_labels

    labels = job_labels(np.array([0, 5, 5, 25, 7, np.nan]))
    assert labels == {5.0: "job 5 (2 GPUs)", 7.0: "job 7 (1 GPUs)"}  # job 25 shares slot 5


def test_render_recording_of_a_layout_without_gpus(tmp_path, capsys):
    """Racks given by load (layouts/test-room.yaml) have no GPUs to colour: the recorded
    instant still renders, its point sensors coloured by their readings."""
    from pathlib import Path

    import pyvista as pv

    room = Path(__file__).resolve().parents[2] / "layouts" / "test-room.yaml"
    layout = tmp_path / "room.yaml"
    layout.write_text(
        room.read_text() + "sensors:\n  - {id: T-1, hall: ROOM, position_m: [6.0, 4.5, 1.2]}\n"
    )
    rec = tmp_path / "run.h5"
    assert (
        main(["simulate", str(layout), "--duration", "3s", "--physics", "-o", str(rec), "-q"]) == 0
    )
    out = tmp_path / "shot.png"
    common = ["render", str(layout), "--size", "320", "240", "--view", "top"]
    assert main([*common, "--recording", str(rec), "--at", "0:02", "-o", str(out)]) == 0
    plain = tmp_path / "plain.png"
    assert main([*common, "-o", str(plain)]) == 0
    capsys.readouterr()
    shot = np.asarray(pv.read(out).point_data["PNGImage"])[:, :3].astype(int)
    before = np.asarray(pv.read(plain).point_data["PNGImage"])[:, :3].astype(int)
    # the sensor's sphere took its reading's band colour (green: 18-27 C): some pixels differ
    assert (shot != before).any(axis=1).sum() > 20
