"""What the energy takes from the layout for want of readings, frame by frame (the Energy
dock) and over a recording (``twin energy --recording``, ``twin info``, the report): counted
per item, a reading of the wrong length as none, kinds the layout lacks not named."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.model.frame import Frame
from twin.model.loader import load_layout
from twin.physics.energy import EnergyModel, assumed_readings, frame_assumed
from twin.recording import Recorder, open_recording

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"  # 6 racks, 2 CRAHs, no CDU
RACKS = "racks without a power reading of their own"
HOW = "from their GPUs' readings, their nominal power where those are missing too"


def _read_all(fac, t: float = 1.8e9) -> Frame:
    f = Frame.empty(t, fac.counts())
    f.rack["power_w"][:] = fac.rack_power_w
    f.air_unit["state"][:] = 1.0
    f.air_unit["flow_m3s"][:] = fac.air_unit_airflow_m3s
    return f


def test_a_frame_names_what_its_items_did_not_read():
    fac = load_layout(HALL)
    assert len(fac.cdu_ids) == 0 and fac.n_racks == 6 and len(fac.air_unit_ids) == 2
    f = _read_all(fac)
    assert frame_assumed(fac, f) == []
    f.rack["power_w"][[1, 4]] = np.nan
    f.air_unit["flow_m3s"] = np.array([5.0])  # one value for two units: no reading
    assert frame_assumed(fac, f) == [
        f"{RACKS} (2 of 6): {HOW}",
        "air units without a flow reading (2 of 2): their fans at rated flow",
    ]
    del f.air_unit["state"]
    assert "air units without a state reading (2 of 2): taken as running" in frame_assumed(fac, f)
    # the breakdown of that frame carries them as notes, as the dock shows them
    notes = EnergyModel(fac).breakdown(EnergyModel(fac).from_frame(f)).notes
    assert [n for n in notes if n.startswith("assumed: ")] == [
        f"assumed: {a}" for a in frame_assumed(fac, f)
    ]


def test_a_recording_names_items_unread_in_any_frame_it_looks_at(tmp_path):
    """Racks 2 and 5 unread once, in one frame: two racks (not one frame, nor "something");
    in a long recording, a frame between the 64 looked at is not looked at."""
    fac = load_layout(HALL)
    for n, unread_at, said in ((10, 7, [f"{RACKS} (2 of 6): {HOW}"]), (130, 1, [])):
        path = tmp_path / f"r{n}.h5"
        with Recorder(path, fac) as rec:
            for i in range(n):
                f = _read_all(fac, 1.8e9 + i)
                if i == unread_at:
                    f.rack["power_w"][[2, 5]] = np.nan
                rec.append(f)
        with open_recording(path) as rec:
            assert assumed_readings(rec) == said


NO_RACKS = """\
format: twin-layout/1
name: a hall not yet filled
halls: [{id: H, size_m: [7.2, 6.0, 3.0]}]
rows: []
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H, position_m: [5.8, 0.45], rotation_deg: 180}]
"""


def test_a_hall_with_no_racks_still_names_its_units(tmp_path):
    """The racks' line is left out (none), not the lines after it."""
    from twin.model.loader import facility_from_text

    fac = facility_from_text(NO_RACKS)
    frame = Frame.empty(1.8e9, fac.counts())
    units = [
        "air units without a state reading (1 of 1): taken as running",
        "air units without a flow reading (1 of 1): their fans at rated flow",
    ]
    assert frame_assumed(fac, frame) == units
    with Recorder(tmp_path / "r.h5", fac) as rec:
        rec.append(frame)
    with open_recording(tmp_path / "r.h5") as rec:
        assert "rack" not in rec.metrics and assumed_readings(rec) == units
