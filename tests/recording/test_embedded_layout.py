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


def test_a_layout_edited_in_the_window_is_recorded_as_edited(tmp_path, small_facility):
    """The editor patches the window's facility in place and leaves the file's text on it:
    a recording started after a rack was moved embedded the file as opened, which its own
    layout hash (of the layout as edited) then refused."""
    import copy

    from twin.model import edits as E
    from twin.model.document import LayoutDocument

    fac = copy.deepcopy(small_facility)
    doc = LayoutDocument(fac.layout, path=fac.path, source_text=fac.source_text)
    doc.facility = fac
    rack = fac.rack_ids[0]
    y0 = float(fac.rack_center_m[0, 1])
    E.translate(doc, [rack], (0.0, 0.6)).do(doc)
    assert fac.source_text is not None and fac.edits == 1
    path = tmp_path / "edited.h5"
    sim = Simulator(fac, "normal", seed=4, start_s=1_800_000_000.0)
    with Recorder(path, fac) as rec:
        for _ in range(3):
            rec.append(sim.step())
    with open_recording(path) as rec:
        got = rec.facility()
    assert float(got.rack_center_m[got.rack_index[rack], 1]) == pytest.approx(y0 + 0.6)
