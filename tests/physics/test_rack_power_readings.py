"""A rack's power from a frame that has no reading of its own: live dcgm-exporter telemetry
has GPU power and no rack power. Before, the energy model, the what-if's start and the live
physics fill each had their own answer: the first two took the rack's nominal power (a hall
at a third of its load read as fully loaded: IT energy and PUE off by the difference), the
fill its GPUs plus 60 % of the rest, whatever their load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.cli import main
from twin.model.frame import Frame
from twin.model.loader import load_layout
from twin.physics.devices import rack_power_from_readings
from twin.physics.energy import EnergyModel
from twin.recording import Recorder
from twin.whatif.start import StartState

HALL = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"
TDP_W = 700.0  # each of the hall's 192 H100s, 32 a rack
NOMINAL_W = 40_800.0  # each of its six racks
OTHER_W = NOMINAL_W - 32 * TDP_W  # 18,400 W of CPUs, memory, NICs and fans


@pytest.fixture(scope="module")
def fac():
    f = load_layout(HALL)
    assert (f.n_racks, f.n_gpus) == (6, 192) and (f.gpu_tdp_w == TDP_W).all()
    assert (f.rack_power_w == NOMINAL_W).all() and (f.gpu_rack == np.repeat(np.arange(6), 32)).all()
    return f


def readings(fac):
    """Rack 0: all 32 GPUs at 350 W; rack 1: 16 at 210 W, 16 silent; rack 2: none read, but
    the rack reads 12 kW; rack 3: its own 9 kW reading beside GPUs at 700 W; racks 4, 5:
    nothing."""
    gpu = np.full(fac.n_gpus, np.nan)
    gpu[0:32] = 350.0
    gpu[32:48] = 210.0
    gpu[96:128] = 700.0
    rack = np.array([np.nan, np.nan, 12_000.0, 9_000.0, np.nan, np.nan])
    return rack, gpu


def expected(fac) -> np.ndarray:
    """Worked by hand: load = GPU power over TDP of the GPUs that read."""
    half = 0.5  # rack 0: 350 / 700
    third = 0.3  # rack 1: 210 / 700, its silent 16 taken at the same
    return np.array(
        [
            32 * 350.0 + OTHER_W * (0.4 + 0.6 * half),
            32 * 210.0 + OTHER_W * (0.4 + 0.6 * third),
            12_000.0,
            9_000.0,  # the rack's own reading wins
            NOMINAL_W,
            NOMINAL_W,
        ]
    )


def test_each_rack_from_its_own_reading_its_gpus_or_its_nominal(fac):
    rack, gpu = readings(fac)
    np.testing.assert_allclose(rack_power_from_readings(fac, rack, gpu), expected(fac), rtol=1e-12)
    # readings of the wrong length, or none, are no readings
    np.testing.assert_array_equal(
        rack_power_from_readings(fac, rack[:3], gpu[:10]), fac.rack_power_w
    )
    np.testing.assert_array_equal(rack_power_from_readings(fac), fac.rack_power_w)
    # a caller that counts readings (a calibration's span means) asks NaN for a rack unread
    want = expected(fac)
    want[4:] = np.nan
    np.testing.assert_allclose(rack_power_from_readings(fac, rack, gpu, np.nan), want, rtol=1e-12)


def test_gpus_past_their_tdp_do_not_lift_the_rest_past_its_nominal(fac):
    gpu = np.full(fac.n_gpus, np.nan)
    gpu[:32] = 770.0  # a 10 % power excursion
    assert rack_power_from_readings(fac, None, gpu)[0] == pytest.approx(32 * 770.0 + OTHER_W)


def _frame(fac) -> Frame:
    rack, gpu = readings(fac)
    f = Frame.empty(1_800_000_000.0, fac.counts())
    f.rack["power_w"][:] = rack
    f.gpu["power_w"][:] = gpu
    return f


def test_the_energy_model_and_the_what_if_start_read_the_same(fac):
    frame = _frame(fac)
    model = EnergyModel(fac)
    np.testing.assert_allclose(model.from_frame(frame).rack_power_w, expected(fac), rtol=1e-6)
    start = StartState.from_frame(fac, frame)
    np.testing.assert_allclose(start.rack_power_w, expected(fac), rtol=1e-6)


def test_a_recording_of_gpu_readings_counts_their_power(fac, tmp_path, capsys):
    """``twin energy --recording`` of a live recording (GPU power, no rack power): its IT is
    the racks' power as read from their GPUs (204.7 kW), not their nameplate (244.8 kW)."""
    path = tmp_path / "live.h5"
    with Recorder(path, fac) as rec:
        for i in range(3):
            f = _frame(fac)
            f.time_s += 60.0 * i
            f.rack["power_w"][:] = np.nan
            rec.append(f)
    assert main(["energy", str(HALL), "--recording", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rack, gpu = readings(fac)
    it_kw = rack_power_from_readings(fac, None, gpu).sum() / 1e3
    assert it_kw == pytest.approx(204.672) and fac.rack_power_w.sum() == 244_800.0
    assert out["mean_it_kw"] == pytest.approx(it_kw, abs=0.01)
    assert out["it_kwh"] == pytest.approx(it_kw * 120 / 3600, abs=0.002)


def test_gpu_readings_are_read_only_where_racks_go_unread(fac, tmp_path):
    """A simulated recording holds every rack's power: its GPUs (102,848 a frame in the
    factory's) are not read for the energy; a live one's racks read nothing: they are."""
    from twin.physics.devices import rack_power_kinds
    from twin.recording import open_recording

    kinds = ("rack", "air_unit")
    for name, blank, want in (("sim", False, kinds), ("live", True, (*kinds, "gpu"))):
        path = tmp_path / f"{name}.h5"
        with Recorder(path, fac) as rec:
            for i in range(130):
                f = _frame(fac)
                f.time_s += i
                f.rack["power_w"][:] = np.nan if blank else 30_000.0
                if i == 1 and not blank:
                    f.rack["power_w"][0] = np.nan  # between the 64 frames sampled (every 2nd)
                rec.append(f)
        with open_recording(path) as rec:
            assert rack_power_kinds(rec, kinds) == want
            assert rack_power_kinds(rec, (*kinds, "gpu")) == (*kinds, "gpu")


def _stand_in(nominal_w, gpu_rack, tdp_w=700.0):
    """What the rule reads of a facility: racks' nominal power, GPUs' racks and TDPs."""
    from types import SimpleNamespace

    gpu_rack = np.asarray(gpu_rack)
    return SimpleNamespace(
        rack_power_w=np.asarray(nominal_w, float),
        n_racks=len(nominal_w),
        n_gpus=len(gpu_rack),
        gpu_rack=gpu_rack,
        gpu_tdp_w=np.full(len(gpu_rack), tdp_w),
    )


def test_racks_without_gpus_after_the_last_that_has_some_keep_their_reading_or_nominal():
    f = _stand_in([2000.0, 5000.0, 3000.0], [0, 0, 1])  # rack 1's GPU is silent, rack 2 has none
    gpu = np.array([350.0, 350.0, np.nan])
    got = rack_power_from_readings(f, np.array([np.nan, np.nan, 2500.0]), gpu)
    np.testing.assert_allclose(got, [700.0 + 600.0 * (0.4 + 0.6 * 0.5), 5000.0, 2500.0])


def test_a_rack_whose_gpus_alone_pass_its_nominal_has_no_other_power():
    f = _stand_in([1000.0], [0, 0])  # two 700 W GPUs in a rack declared at 1 kW
    assert rack_power_from_readings(f, None, np.array([700.0, 700.0]))[0] == 1400.0


def test_a_reading_below_zero_does_not_take_the_rest_of_the_rack_below_idle():
    f = _stand_in([2000.0], [0, 0])  # 600 W of other power
    got = rack_power_from_readings(f, None, np.array([-70.0, -70.0]))[0]
    assert got == pytest.approx(-140.0 + 600.0 * 0.4)


def test_a_recording_without_gpus_is_read_as_it_is(tmp_path):
    """A hall of racks given by their load: no GPU to read, whatever its racks hold."""
    from twin.physics.devices import rack_power_kinds
    from twin.recording import open_recording

    room = load_layout(Path(__file__).parents[1] / "validation" / "rooms" / "open-aisle-85.yaml")
    assert room.n_gpus == 0
    with Recorder(tmp_path / "r.h5", room) as rec:
        for i in range(3):
            rec.append(Frame.empty(1_800_000_000.0 + i, room.counts()))  # racks read nothing
    with open_recording(tmp_path / "r.h5") as rec:
        assert rack_power_kinds(rec, ("rack",)) == ("rack",)


def test_a_short_recording_is_looked_at_frame_by_frame(fac, tmp_path):
    """Under 128 frames every frame's racks are looked at: one rack unread once is found."""
    from twin.physics.devices import rack_power_kinds
    from twin.recording import open_recording

    with Recorder(tmp_path / "r.h5", fac) as rec:
        for i in range(100):
            f = _frame(fac)
            f.time_s += i
            f.rack["power_w"][:] = 30_000.0
            if i == 1:
                f.rack["power_w"][0] = np.nan
            rec.append(f)
    with open_recording(tmp_path / "r.h5") as rec:
        assert rack_power_kinds(rec, ("rack",)) == ("rack", "gpu")
