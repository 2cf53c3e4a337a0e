"""A recording's embedded layout swapped or edited after recording (another hall's text, a
rack deleted) no longer lines up with its arrays: reading it against them would put every
value on the wrong rack or GPU. The reader refuses it by the header's hashes, by name."""

from __future__ import annotations

import h5py
import pytest

from tests.conftest import SMALL_LAYOUT, TELEMETRY_LAYOUT
from twin.cli import main
from twin.recording import LayoutMismatch, Recorder, open_recording
from twin.telemetry.simulator import Simulator

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def recording(tmp_path, small_facility):
    path = tmp_path / "run.h5"
    sim = Simulator(small_facility, "normal", seed=4, start_s=1_800_000_000.0)
    with Recorder(path, small_facility) as rec:
        for _ in range(30):
            rec.append(sim.step())
    return path


def _embed(path, text):
    with h5py.File(path, "r+") as f:
        del f["layout"]
        f.create_dataset("layout", data=text, dtype=h5py.string_dtype("utf-8"))


def test_the_recorded_layout_loads(recording, small_facility):
    with open_recording(recording) as rec:
        assert rec.facility().rack_ids == small_facility.rack_ids


@pytest.mark.parametrize(
    "text",
    [SMALL_LAYOUT, TELEMETRY_LAYOUT.replace("      - {id: B03,", "      # - {id: B03,")],
    ids=["another-hall", "a-rack-deleted"],
)
def test_a_swapped_layout_is_refused_by_name(recording, text, capsys):
    _embed(recording, text)
    with open_recording(recording) as rec:
        with pytest.raises(LayoutMismatch, match="does not line up with the recorded data"):
            rec.facility()
    # info still summarises the file, and says why it has no energy
    assert main(["info", str(recording)]) == 0
    out = capsys.readouterr().out
    assert "warning  no energy: the layout embedded in the recording" in out
    assert "energy   IT" not in out
    assert main(["report", str(recording), "-o", str(recording.with_suffix(".html"))]) == 1
    assert "does not line up with the recorded data" in capsys.readouterr().err
