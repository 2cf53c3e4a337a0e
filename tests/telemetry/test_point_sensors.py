"""Point sensors (the layout's ``sensors:``) travel in frames: the simulator reads them from
its airflow physics at their positions, recordings keep them (and still open without them),
and a layout whose sensors differ does not line up with a recording of another's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.frame import Frame
from twin.model.loader import load_layout

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "wall-crah-plenum-mixed.yaml"
#: hall-local points: mid cold aisle at inlet height, behind row B, under the ceiling
SENSORS = {"S-CA": (3.9, 3.0, 1.2), "S-HA": (3.9, 5.4, 1.5), "S-TOP": (1.5, 3.0, 2.7)}


def with_sensors(tmp_path, sensors=SENSORS, name="room.yaml"):
    lines = ["sensors:"] + [
        f"  - {{id: {i}, hall: ROOM, position_m: [{x}, {y}, {z}]}}"
        for i, (x, y, z) in sensors.items()
    ]
    p = tmp_path / name
    p.write_text(ROOM.read_text() + "\n".join(lines) + "\n")
    return load_layout(p)


def test_the_facility_indexes_its_sensors(tmp_path):
    fac = with_sensors(tmp_path)
    assert fac.ids_of("sensor") == list(SENSORS)
    assert fac.counts()["sensor"] == 3
    assert fac.sensor_position_m == pytest.approx(np.array(list(SENSORS.values())))
    assert list(fac.sensor_hall) == [0, 0, 0]


def test_simulated_sensors_read_the_physics_air_at_their_positions(tmp_path):
    from twin.telemetry.simulator import Simulator

    fac = with_sensors(tmp_path)
    sim = Simulator(fac, "normal", seed=1, start_s=0, physics=True)
    sim.step()  # builds the physics
    model = sim.physics.models[0]
    seen = []
    follow = model.follow
    model.follow = lambda *a, **k: seen.append(follow(*a, **k)) or seen[-1]
    frame = sim.step()
    res = seen[-1]
    got = frame.sensor["temp_c"]
    assert np.all(np.isfinite(got))
    # independently: trilinear between the eight cell centres round each point (all air)
    h = res.cell_m
    for s, p in enumerate(fac.sensor_position_m):
        x = p / h - 0.5
        i = np.floor(x).astype(int)
        f = x - i
        cube = res.air_c[i[0] : i[0] + 2, i[1] : i[1] + 2, i[2] : i[2] + 2]
        assert np.isfinite(cube).all()
        w = np.einsum("i,j,k->ijk", [1 - f[0], f[0]], [1 - f[1], f[1]], [1 - f[2], f[2]])
        assert got[s] == pytest.approx(float((w * cube).sum()), abs=1e-4)
    # the cold aisle reads cooler than the hot aisle behind row B
    assert got[0] < got[1] - 3.0


def test_without_the_physics_sensors_read_nothing(tmp_path):
    from twin.telemetry.simulator import Simulator

    fac = with_sensors(tmp_path)
    frame = Simulator(fac, "normal", seed=1, start_s=0).step()
    assert frame.sensor["temp_c"].shape == (3,)
    assert np.isnan(frame.sensor["temp_c"]).all()


def _record(path, fac, values):
    from twin.recording.recorder import Recorder

    with Recorder(path, fac) as rec:
        for i, v in enumerate(values):
            fr = Frame.empty(1.8e9 + 60 * i, fac.counts())
            fr.sensor["temp_c"][:] = v
            rec.append(fr)


def test_recordings_keep_sensor_readings(tmp_path):
    from twin.recording.reader import open_recording

    fac = with_sensors(tmp_path)
    vals = [np.array([18.04, 35.5, np.nan]), np.array([18.5, 36.26, 27.0])]
    _record(tmp_path / "s.h5", fac, vals)
    with open_recording(tmp_path / "s.h5") as rec:
        assert rec.matches(fac)
        for i, v in enumerate(vals):
            got = rec.frame(i).sensor["temp_c"]
            assert got == pytest.approx(v, abs=0.05, nan_ok=True)
        _, hist = rec.history("sensor", 1)
        assert hist["temp_c"] == pytest.approx([35.5, 36.3], abs=0.05)


def test_a_layout_with_other_sensors_does_not_line_up(tmp_path):
    from twin.model.frame_map import FrameMap
    from twin.recording.reader import open_recording

    fac = with_sensors(tmp_path)
    _record(tmp_path / "s.h5", fac, [np.array([18.0, 35.0, 27.0])])
    swapped = with_sensors(
        tmp_path, {"S-TOP": SENSORS["S-TOP"], "S-CA": SENSORS["S-CA"]}, name="other.yaml"
    )
    with open_recording(tmp_path / "s.h5") as rec:
        assert not rec.matches(swapped)
        frame = FrameMap.between(rec.facility(), swapped).apply(rec.frame(0))
    # matched by id: S-TOP first, then S-CA; S-HA is gone
    assert frame.sensor["temp_c"] == pytest.approx([27.0, 18.0])


def test_a_recording_from_before_sensors_still_opens(tmp_path):
    """A file written before sensors were recorded: no sensor counts, tables or hash."""
    import json

    import h5py

    from twin.recording.reader import open_recording

    fac = with_sensors(tmp_path)
    path = tmp_path / "old.h5"
    _record(path, fac, [np.array([18.0, 35.0, 27.0])])
    with h5py.File(path, "r+") as f:
        counts = json.loads(f.attrs["counts_json"])
        del counts["sensor"]
        f.attrs["counts_json"] = json.dumps(counts)
        del f.attrs["sensors_hash"]
        del f["frames/sensor"], f["history/sensor"]
    with open_recording(path) as rec:
        assert rec.matches(fac)
        assert rec.frame(0).sensor == {}
