"""The headless session: newest frame per tick, physics hook, recording, source swaps."""

from __future__ import annotations

import time

import numpy as np
import pytest

from twin.model.loader import facility_from_text
from twin.recording import open_recording
from twin.session import Session
from twin.telemetry.frame import Frame
from twin.telemetry.source import SourceState, SourceStatus

LAYOUT = """\
format: twin-layout/1
name: session test
halls: [{id: H1, size_m: [10, 8, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [3, 3], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [3.6, 3], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
power:
  - {id: U, type: utility-feed-5mva}
  - {id: UPS, type: ups-1250kw, upstream: U}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS}
cooling:
  air_units: [{id: CRAH-1, type: crah-150kw, hall: H1, position_m: [7, 1]}]
"""


@pytest.fixture(scope="module")
def fac():
    return facility_from_text(LAYOUT, "session.yaml")


class ListSource:
    """A scripted source: hands out prepared frames one poll at a time."""

    def __init__(self, facility, frames):
        self.facility = facility
        self.frames = list(frames)
        self.started = self.stopped = False

    def start(self):
        self.started = True

    def poll(self):
        return self.frames.pop(0) if self.frames else None

    def stop(self):
        self.stopped = True

    def status(self):
        return SourceStatus(SourceState.PLAYING, frames=len(self.frames))


class AddOne:
    """A stand-in physics model: fills rack inlets from nothing."""

    def update(self, frame):
        frame.rack["inlet_c"] = np.full(2, 21.0, np.float32)


def frames(fac, times):
    return [Frame.empty(t, fac.counts()) for t in times]


def test_tick_records_and_fills_in(tmp_path, fac):
    src = ListSource(fac, frames(fac, [10.0, 11.0, 11.0, 9.0, 12.0]))
    s = Session(fac, src, physics=AddOne())
    s.start()
    assert src.started
    rec = s.record(tmp_path / "s.h5")
    got = [s.tick() for _ in range(6)]
    assert got[-1] is None  # nothing new: no frame, no wait
    assert s.frame.time_s == 12.0 and s.frames == 5
    assert np.all(s.frame.rack["inlet_c"] == 21.0)
    assert s.skipped_records == 2  # a repeated and an earlier time (a seek) are not recorded
    assert s.status().state == SourceState.PLAYING
    s.close()
    assert src.stopped and s.recorder is None
    assert rec.n_frames == 3
    with open_recording(tmp_path / "s.h5") as r:
        assert list(r.times) == [10.0, 11.0, 12.0]
        assert np.all(r.frame(0).rack["inlet_c"] == pytest.approx(21.0))


def test_open_with_simulated_source_and_recording(tmp_path, fac):
    path = tmp_path / "layout.yaml"
    path.write_text(LAYOUT)
    with Session.open(
        path, "simulated", record=tmp_path / "live.h5", speed=100, seed=1, start_s=0, physics=False
    ) as s:
        s.start()
        deadline = time.monotonic() + 5
        while s.frames < 5 and time.monotonic() < deadline:
            s.tick()
            time.sleep(0.01)
        assert s.frames >= 5
        assert s.frame.gpu["temp_c"].shape == (fac.n_gpus,)
    with open_recording(tmp_path / "live.h5") as r:
        assert r.n_frames >= 5
        assert np.all(np.diff(r.times) > 0)


def test_session_without_source(fac):
    s = Session(fac)
    assert s.tick() is None and s.status() is None
    old = ListSource(fac, [])
    s.set_source(old)
    s.set_source(ListSource(fac, frames(fac, [1.0])))
    assert old.stopped
    assert s.tick().time_s == 1.0


@pytest.mark.slow
def test_physics_fills_what_live_telemetry_lacks(fac):
    pytest.importorskip("twin.physics")
    from twin.telemetry.physics_air import PhysicsFill

    fill = PhysicsFill(fac)
    live = []
    for t in (100.0, 101.0, 102.0):
        f = Frame(time_s=t, gpu={"power_w": np.full(fac.n_gpus, 600.0, np.float32)})
        f.rack["inlet_c"] = np.array([np.nan, 25.5], np.float32)  # one rack measured
        live.append(f)
    s = Session(fac, ListSource(fac, live), physics=fill)
    for _ in live:
        f = s.tick()
    inlet = f.rack["inlet_c"]
    assert inlet[1] == pytest.approx(25.5)  # a measurement is kept
    assert 15 < inlet[0] < 40  # the gap is modelled
    assert np.all(np.isfinite(f.rack["exhaust_c"]))
    assert np.all(f.rack["exhaust_c"][0] > inlet[0])
    assert np.all(np.isfinite(f.air_unit["return_c"]))
