"""Calibration: the fit finds parameters that reproduce a field made with known ones, the
CLI stores them in the layout with their provenance, the calibrated layout solves with them,
and the same fit runs from a recording's rack inlet sensors or its point sensors alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import calibrate
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.params import PhysicsParams

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"
CELL = 0.3
TRUTH = PhysicsParams(2.5, 0.5)


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


@pytest.fixture(scope="module")
def truth(fac):
    return ThermalModel(fac, 0, CELL, params=TRUTH).solve()


def test_fit_recovers_a_field_made_with_known_parameters(fac, truth):
    t = calibrate.targets_from_field(fac, truth.grid, truth.air_c, source="synthetic")
    assert len(t.rack_c) == 10 and len(t.point_c) > 300
    f = calibrate.fit(fac, 0, CELL, t)
    # the defaults are measurably off; the fit takes the error down by an order of magnitude
    assert f.before["rack_rms_k"] > 0.2 and f.before["point_rms_k"] > 0.4
    assert f.after["rack_rms_k"] < 0.05 and f.after["point_rms_k"] < 0.1
    assert f.params.eddy_viscosity_scale == pytest.approx(2.5, rel=0.25)
    assert f.params.turbulent_prandtl == pytest.approx(0.5, rel=0.25)


def test_cli_stores_the_fit_and_the_layout_solves_with_it(fac, truth, tmp_path, capsys):
    from twin.cli import main

    pv = pytest.importorskip("pyvista")
    g = truth.grid
    cloud = pv.PolyData((np.argwhere(g.fluid) + 0.5) * g.cell_m)
    cloud.point_data["T"] = truth.air_c[g.fluid]
    src = tmp_path / "cfd.vtp"
    cloud.save(str(src))
    out = tmp_path / "calibrated.yaml"
    argv = ["cfd", "calibrate", str(ROOM), str(src), "-o", str(out), "--cell", str(CELL), "--json"]
    assert main(argv) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["after"]["rack_rms_k"] < rep["before"]["rack_rms_k"] / 5
    cal = load_layout(out)
    ph = cal.layout.physics
    assert ph.eddy_viscosity_scale == pytest.approx(rep["params"]["eddy_viscosity_scale"])
    assert ph.calibration.source == str(src)
    assert ph.calibration.rms_after_k == pytest.approx(rep["after"]["rack_rms_k"], abs=1e-3)
    # the original's comments are kept; the calibrated layout solves with its own parameters
    assert "# fronts face +y" in out.read_text()
    res = ThermalModel(cal, 0, CELL).solve()
    explicit = ThermalModel(fac, 0, CELL, params=PhysicsParams.of(cal.layout)).solve()
    assert np.array_equal(res.rack_inlet_mean_c, explicit.rack_inlet_mean_c)
    assert np.abs(res.rack_inlet_mean_c - truth.rack_inlet_mean_c).max() < 0.2
    # and says so wherever its air temperatures are read: twin thermal, its JSON
    p = rep["params"]
    line = (
        f"model calibrated to {src} on {ph.calibration.fitted_at[:10]}: eddy viscosity "
        f"x{p['eddy_viscosity_scale']:.2f}, turbulent Prandtl number "
        f"{p['turbulent_prandtl']:.2f}; RMS {ph.calibration.rms_before_k:.2f} -> "
        f"{ph.calibration.rms_after_k:.2f} K"
    )
    assert main(["thermal", str(out), "--cell", str(CELL)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == line
    assert main(["thermal", str(out), "--cell", str(CELL), "--json"]) == 0
    phj = json.loads(capsys.readouterr().out)["physics"]
    assert phj["note"] == line and phj["calibration"]["source"] == str(src)
    assert phj["eddy_viscosity_scale"] == pytest.approx(p["eddy_viscosity_scale"], abs=1e-4)


def test_a_layout_without_a_physics_block_says_nothing_of_one(tmp_path, capsys):
    from twin.cli import main

    assert main(["thermal", str(ROOM), "--cell", "0.4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["physics"] == {
        "eddy_viscosity_scale": 1.0,
        "turbulent_prandtl": 0.9,
        "calibration": None,
        "note": None,
    }
    hand = tmp_path / "hand.yaml"
    hand.write_text(ROOM.read_text() + "physics: {eddy_viscosity_scale: 2, turbulent_prandtl: 1}\n")
    assert main(["thermal", str(hand), "--cell", "0.4"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "model parameters set in the layout: eddy viscosity x2.00, turbulent Prandtl number 1.00"
    )


def test_fit_from_a_recordings_rack_inlet_sensors(fac, truth, tmp_path):
    from twin.model.frame import Frame
    from twin.recording.reader import open_recording
    from twin.recording.recorder import Recorder

    path = tmp_path / "site.h5"
    rng = np.random.default_rng(3)
    with Recorder(path, fac) as rec:
        for i in range(12):  # a steady hour, sensors with 0.1 K noise
            fr = Frame.empty(1.8e9 + 300 * i, fac.counts())
            fr.rack["inlet_c"][:] = truth.rack_inlet_mean_c + rng.normal(0, 0.1, fac.n_racks)
            fr.rack["power_w"][:] = fac.rack_power_w
            rec.append(fr)
    with open_recording(path) as rec:
        t = calibrate.targets_from_recording(rec, fac)
    assert np.abs(t.rack_c - truth.rack_inlet_mean_c).max() < 0.15
    assert t.rack_power_w == pytest.approx(fac.rack_power_w)
    f = calibrate.fit(fac, 0, CELL, t)
    assert f.after["rack_rms_k"] < 0.1 < f.before["rack_rms_k"]


def test_layout_physics_block_is_validated(tmp_path):
    from twin.model.errors import LayoutError

    bad = ROOM.read_text() + "physics:\n  eddy_viscosity_scale: -1\n"
    p = tmp_path / "bad.yaml"
    p.write_text(bad)
    with pytest.raises(LayoutError, match="physics.eddy_viscosity_scale"):
        load_layout(p)


def test_fit_from_a_recordings_point_sensors(fac, truth, tmp_path):
    """The layout's ``sensors:`` alone (no rack inlet in the recording) calibrate the model."""
    from twin.model.frame import Frame
    from twin.model.loader import load_layout
    from twin.physics.sample import sample_field
    from twin.recording.reader import open_recording
    from twin.recording.recorder import Recorder

    g = truth.grid
    rng = np.random.default_rng(7)
    # 24 points between air cell centres, from floor to ceiling, all over the room
    air = np.argwhere(np.isfinite(truth.air_c))
    pts = air[rng.choice(len(air), 24, replace=False)] + 0.5 + rng.uniform(-0.4, 0.4, (24, 3))
    pts *= g.cell_m
    lines = ["sensors:"] + [
        f"  - {{id: S{i}, hall: {fac.hall_ids[0]}, position_m: [{x:.3f}, {y:.3f}, {z:.3f}]}}"
        for i, (x, y, z) in enumerate(pts)
    ]
    path = tmp_path / "room.yaml"
    path.write_text(ROOM.read_text() + "\n".join(lines) + "\n")
    site = load_layout(path)
    true_c = sample_field(truth.air_c, g.cell_m, site.sensor_position_m)
    assert np.isfinite(true_c).all()
    with Recorder(tmp_path / "site.h5", site) as rec:
        for i in range(12):  # a steady hour, sensors with 0.1 K noise, no rack inlets
            fr = Frame.empty(1.8e9 + 300 * i, site.counts())
            fr.sensor["temp_c"][:] = true_c + rng.normal(0, 0.1, len(true_c))
            rec.append(fr)
    with open_recording(tmp_path / "site.h5") as rec:
        t = calibrate.targets_from_recording(rec, site)
    assert len(t.rack_c) == 0 and len(t.point_c) == 24
    assert t.points_m == pytest.approx(site.sensor_position_m)
    assert np.abs(t.point_c - true_c).max() < 0.15
    f = calibrate.fit(site, 0, CELL, t)
    assert f.before["point_rms_k"] > 0.4
    assert f.after["point_rms_k"] < 0.15
    assert f.params.eddy_viscosity_scale == pytest.approx(2.5, rel=0.15)
    assert f.params.turbulent_prandtl == pytest.approx(0.5, rel=0.15)
    # the racks, which the fit never saw, land on the truth's too
    res = ThermalModel(site, 0, CELL, params=f.params).solve()
    base = ThermalModel(site, 0, CELL).solve()
    err_after = np.abs(res.rack_inlet_mean_c - truth.rack_inlet_mean_c).max()
    err_before = np.abs(base.rack_inlet_mean_c - truth.rack_inlet_mean_c).max()
    assert err_after < err_before / 3


def test_readings_no_room_air_can_take_are_left_out_of_the_targets(fac, tmp_path):
    """A recording another tool wrote may hold a probe's fault code (-999 C) or a reading in
    tenths of a degree (235 for 23.5 C): the mean is taken over the room-air readings only."""
    from twin.model.frame import Frame
    from twin.recording.reader import open_recording
    from twin.recording.recorder import Recorder

    text = ROOM.read_text() + "sensors:\n  - {id: S1, hall: ROOM, position_m: [3.9, 3.0, 1.2]}\n"
    (tmp_path / "room.yaml").write_text(text)
    site = load_layout(tmp_path / "room.yaml")
    with Recorder(tmp_path / "site.h5", site) as rec:
        readings = [(22.0, 24.0), (24.0, 26.0), (-999.0, 25.0), (23.0, 235.0), (22, 24), (24, 26)]
        for i, (inlet, probe) in enumerate(readings):  # a steady hall: 23 C and 25 C
            fr = Frame.empty(1.8e9 + 60 * i, site.counts())
            fr.rack["inlet_c"][:] = inlet
            fr.sensor["temp_c"][:] = probe
            rec.append(fr)
    with open_recording(tmp_path / "site.h5") as rec:
        t = calibrate.targets_from_recording(rec, site)
    assert t.rack_c == pytest.approx(np.full(site.n_racks, 23.0), abs=0.05)
    assert t.point_c == pytest.approx([25.0], abs=0.05)


@pytest.mark.parametrize("what", ["garbage", "missing", "other layout"])
def test_a_bad_recording_is_refused_by_name(tmp_path, capsys, what):
    """Not HDF5, no file, or a recording of another layout: one line naming the file, exit
    1, and the layout untouched (it raised a RecordingError with a traceback)."""
    from twin.cli import main
    from twin.model.frame import Frame
    from twin.recording.recorder import Recorder

    src = tmp_path / "site.h5"
    if what == "garbage":
        src.write_bytes(b"\x89HDF\r\n" + bytes(range(256)) * 8)
    elif what == "other layout":
        other = load_layout(Path(__file__).resolve().parents[2] / "layouts" / "test-room.yaml")
        with Recorder(src, other) as rec:
            rec.append(Frame.empty(1.8e9, other.counts()))
    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    before = layout.read_text()
    assert main(["cfd", "calibrate", str(layout), str(src), "--cell", str(CELL)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("twin cfd calibrate: ") and str(src) in err and "Traceback" not in err
    assert layout.read_text() == before


@pytest.mark.parametrize("budget", ["0", "-5", "nan", "inf", "soon"])
def test_a_budget_that_is_not_a_positive_time_is_refused(tmp_path, capsys, budget):
    """A budget of 0, -5 or nan was taken and the fit ran anyway: now argparse refuses it
    (exit 2) before anything is read, naming the option."""
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    ref = ROOM.parents[1] / "references" / "open-aisle-85.json"
    with pytest.raises(SystemExit) as exc:
        main(["cfd", "calibrate", str(layout), str(ref), "--budget", budget])
    assert exc.value.code == 2
    assert "argument --budget" in capsys.readouterr().err


def test_a_recording_span_given_for_a_cfd_field_is_refused(tmp_path, capsys):
    """--from/--to only pick a recording's span: given with a CFD source they were ignored
    without a word; now the fit is refused and the layout left as it was."""
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    before = layout.read_text()
    ref = ROOM.parents[1] / "references" / "open-aisle-85.json"
    assert main(["cfd", "calibrate", str(layout), str(ref), "--from=-1h"]) == 1
    err = capsys.readouterr().err
    assert "--from/--to pick a span of a recording" in err and str(ref) in err
    assert layout.read_text() == before


class _Landscape:
    """A stand-in model whose rack inlets are the targets plus 0.3 K less ``dip_k`` times a
    bump centred on an eddy-viscosity scale of 3 and a Prandtl number of 2: a source the
    layout's parameters (1.0 / 0.9) miss by 0.3 K, and that other parameters match only
    ``dip_k`` better."""

    centre = (3.0, 2.0)

    def __init__(self, dip_k: float, nu: float, pr: float = 0.9):
        self.dip_k, self.nu, self.pr = dip_k, nu, pr

    def solve(self, power=None):
        import types

        nu0, pr0 = self.centre
        bump = np.exp(-(np.log(self.nu / nu0) ** 2) - (np.log(self.pr / pr0) ** 2))
        return types.SimpleNamespace(rack_inlet_mean_c=np.full(4, 20.3 - self.dip_k * bump))


def _solve_on(monkeypatch, landscape: type, dip_k: float) -> None:
    """The fit's solves answered by ``landscape`` (its bump ``dip_k`` deep)."""
    monkeypatch.setattr(
        calibrate,
        "_model",
        lambda f, h, c, p, t: landscape(dip_k, p.eddy_viscosity_scale, p.turbulent_prandtl),
    )
    monkeypatch.setattr(
        calibrate, "_with_prandtl", lambda m, pr, power: landscape(dip_k, m.nu, pr).solve()
    )


@pytest.mark.parametrize(
    ("dip_k", "min_gain_k", "kept"),
    [(0.005, calibrate.MIN_GAIN_K, True), (0.05, calibrate.MIN_GAIN_K, False), (0.05, 0.06, True)],
)
def test_a_fit_that_barely_helps_keeps_the_layouts_parameters(
    fac, monkeypatch, dip_k, min_gain_k, kept
):
    """A fit must lower an RMS by the targets' ``min_gain_k`` (a recording's: half its
    resolution) to replace the layout's parameters."""
    _solve_on(monkeypatch, _Landscape, dip_k)
    t = calibrate.Targets(np.arange(4), np.full(4, 20.0), min_gain_k=min_gain_k)
    f = calibrate.fit(fac, 0, CELL, t)
    start = PhysicsParams.of(fac.layout)
    assert f.kept is kept
    best = f.best[0] if kept else f.params
    # the search found the bump either way: near 3 / 2
    assert best.eddy_viscosity_scale == pytest.approx(3.0, rel=0.15)
    assert best.turbulent_prandtl == pytest.approx(2.0, rel=0.15)
    if kept:
        assert f.params == start and f.after == f.before
        assert f.best[1]["rack_rms_k"] == pytest.approx(0.3 - dip_k, abs=5e-4)
    else:
        assert f.after["rack_rms_k"] == pytest.approx(0.3 - dip_k, abs=5e-3)
    assert calibrate.gain_k(f.before, f.best[1] if kept else f.after) == pytest.approx(
        f.before["rack_rms_k"] - (f.best[1] if kept else f.after)["rack_rms_k"]
    )


def test_the_cli_says_a_kept_fit_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    before = layout.read_bytes()
    _solve_on(monkeypatch, _Landscape, 0.005)
    ref = tmp_path / "ref.json"
    ref.write_text(
        json.dumps(
            {
                "room": "r",
                "racks": [{"id": r, "inlet_mean_c": 20.0} for r in ("A1", "A2", "B1", "B2")],
            }
        )
    )
    monkeypatch.setattr(
        "twin.commands.cfd._targets",
        lambda fac, h, cell, args: calibrate.Targets(np.arange(4), np.full(4, 20.0), source="ref"),
    )
    assert main(["cfd", "calibrate", str(layout), str(ref), "--cell", str(CELL), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["kept"] is True and rep["written"] is None
    assert rep["params"] == {"eddy_viscosity_scale": 1.0, "turbulent_prandtl": 0.9}
    assert rep["best"]["params"]["eddy_viscosity_scale"] == pytest.approx(3.0, rel=0.15)
    assert layout.read_bytes() == before
    assert main(["cfd", "calibrate", str(layout), str(ref), "--cell", str(CELL)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("kept eddy_viscosity_scale 1.000, turbulent_prandtl 0.900 (4 racks")
    # from 0.2992 K at the layout's own (the bump's tail reaches it) to 0.2950 K
    assert "(2.995 / 1.999) moves the rack RMS by -0.004 K: it lowers neither by 0.01 K" in text
    assert "(nothing written)" in text and "wrote" not in text
    assert layout.read_bytes() == before


def test_cli_never_writes_the_calibrated_layout_over_its_field(tmp_path, capsys):
    """`-o` naming the CFD file it fits to was found only after the fit, and a VTK file was
    replaced with YAML; now refused first (exit 2), whatever the file holds."""
    from twin.cli import main

    src = tmp_path / "cfd.vtu"
    src.write_bytes(b"a CFD field")
    argv = ["cfd", "calibrate", str(ROOM), str(src), "-o", str(src), "--cell", str(CELL)]
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        f"twin cfd calibrate: {src} is also an input of this command; choose another output file\n"
    )
    assert src.read_bytes() == b"a CFD field"


def test_a_fit_stops_at_the_first_solve_its_check_refuses(fac, truth):
    """A window's superseded fit: ``check`` raises before the fourth solve of the search, and
    nothing more is solved (the first solve, at the layout's parameters, is not a search
    step)."""
    t = calibrate.targets_from_field(fac, truth.grid, truth.air_c, source="synthetic")
    calls = []

    def check():
        calls.append(1)
        if len(calls) == 4:
            raise InterruptedError("superseded")

    with pytest.raises(InterruptedError, match="superseded"):
        calibrate.fit(fac, 0, CELL, t, check=check)
    assert len(calls) == 4


def test_provenance_and_stored_params_are_what_the_layout_keeps(fac, truth):
    """The racks' RMS heads the provenance; a source of point sensors alone, the points'."""
    t = calibrate.targets_from_field(fac, truth.grid, truth.air_c, source="case/T")
    before = {"rack_rms_k": 0.81234, "point_rms_k": 1.5, "cost": 2.0}
    after = {"rack_rms_k": 0.20456, "point_rms_k": 0.9, "cost": 0.4}
    f = calibrate.Fit(PhysicsParams(1.234567, 0.654321), before, after, 9, 1.0, [])
    prov = calibrate.provenance(f, t, 0.3, "elsewhere")
    assert {k: prov[k] for k in ("source", "samples", "rms_before_k", "rms_after_k", "cell_m")} == {
        "source": "case/T", "samples": t.n, "rms_before_k": 0.812, "rms_after_k": 0.205,
        "cell_m": 0.3,
    }  # fmt: skip
    import datetime as dt

    age = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(prov["fitted_at"])
    assert dt.timedelta(0) <= age < dt.timedelta(seconds=5)
    points = calibrate.Targets(np.zeros(0, np.int64), np.zeros(0), t.points_m, t.point_c)
    prov = calibrate.provenance(f, points, 0.2, "elsewhere")
    assert (prov["source"], prov["rms_before_k"], prov["rms_after_k"]) == ("elsewhere", 1.5, 0.9)
    nameless = calibrate.Targets(t.rack_index, t.rack_c)  # no source named anywhere
    assert calibrate.provenance(f, nameless, 0.2)["source"] == ""
    assert calibrate.stored_params(f.params) == {
        "eddy_viscosity_scale": 1.2346, "turbulent_prandtl": 0.6543,
    }  # fmt: skip


def test_targets_from_a_source_read_the_field_it_is_asked_for(fac, truth, tmp_path):
    """A reader's field name reaches it, and a field out of the hall's place is refused."""
    from twin.cfd.source import CfdPoints

    g = truth.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m
    asked = []

    def reader(path, field):
        asked.append(field)
        temp = truth.air_c[g.fluid] + (1.0 if field == "TMean" else 0.0)
        return CfdPoints(pts, temp, field or "T", others=("TMean",))

    src = tmp_path / "cfd.vtu"
    src.write_text("")
    plain = calibrate.targets_from_source(fac, 0, CELL, src, reader)
    mean = calibrate.targets_from_source(fac, 0, CELL, src, reader, "TMean")
    assert asked == [None, "TMean"] and plain.source == str(src)
    np.testing.assert_allclose(mean.rack_c, plain.rack_c + 1.0, atol=1e-9)
    np.testing.assert_allclose(mean.point_c, plain.point_c + 1.0, atol=1e-9)

    # a finer field (0.1 m) whose air warms along y, across the rows: its racks are read at
    # its own cell, where its mesh puts the fronts, as the comparison reads them, not on
    # Twin's 0.3 m grid
    size = np.asarray(g.shape) * g.cell_m
    fine = np.stack(
        np.meshgrid(*(np.arange(0.05, size[a], 0.1) for a in range(3)), indexing="ij"), -1
    ).reshape(-1, 3)

    def finer(path, field):
        return CfdPoints(fine, 18.0 + 2.0 * fine[:, 1], "T")

    from twin.cfd.field import rack_figures
    from twin.cfd.source import load_field
    from twin.physics.grid import build_grid

    grid = build_grid(fac, 0, CELL)
    own = load_field(src, fac, grid, finer).figures(grid)[0]
    t = calibrate.targets_from_source(fac, 0, CELL, src, finer)
    np.testing.assert_array_equal(t.rack_c, own[np.isfinite(own)])
    on_twins = rack_figures(grid, load_field(src, fac, grid, finer).air_c)[0]
    assert np.abs(t.rack_c - on_twins[np.isfinite(own)]).max() > 0.01

    def in_fahrenheit(path, field):
        return CfdPoints(pts, truth.air_c[g.fluid] * 1.8 + 32.0, "T")

    with pytest.raises(ValueError, match=r"cfd\.vtu: not calibrated to: its coldest air reads"):
        calibrate.targets_from_source(fac, 0, CELL, src, in_fahrenheit)

    def moved_and_in_fahrenheit(path, field):  # both notes, one after the other
        return CfdPoints(pts + [2.0, 0.0, 0.0], truth.air_c[g.fluid] * 1.8 + 32.0, "T")

    with pytest.raises(ValueError) as e:
        calibrate.targets_from_source(fac, 0, CELL, src, moved_and_in_fahrenheit)
    assert re.search(r"not calibrated to: its points span .* axes is compared as if in place; "
                     r"its coldest air reads", str(e.value))  # fmt: skip


def test_the_budget_is_read_on_the_clock_given(fac, truth):
    """A window's fit runs as a background job, held at its checks while the view solves:
    its budget is read on the job's ``working_s`` clock, which stands still while it is
    held. A clock past the budget after the first search step stops the search there; one
    that stands still lets it run as far as the plain one does."""
    t = calibrate.targets_from_field(fac, truth.grid, truth.air_c, source="synthetic")
    full = calibrate.fit(fac, 0, CELL, t, budget_s=50.0, clock=lambda: 0.0)
    ticks = iter([0.0])
    late = calibrate.fit(fac, 0, CELL, t, budget_s=50.0, clock=lambda: next(ticks, 1e9))
    nus = {round(h[0], 9) for h in late.history}
    assert len(nus) == 1  # only the Prandtl search at the layout's own eddy viscosity
    assert len({round(h[0], 9) for h in full.history}) > 1
    assert late.evaluations < full.evaluations


def test_a_parameter_at_the_edge_of_its_range_is_a_warning():
    """Each bound of ``PhysicsParams.BOUNDS``, and ``EDGE_RATIO`` inside it, is the edge."""
    (nu_lo, nu_hi), (pr_lo, pr_hi) = PhysicsParams.BOUNDS
    inside = 1.15 * 1.0001
    assert calibrate.EDGE_RATIO == 1.15
    assert calibrate.edge_note(PhysicsParams()) is None
    assert calibrate.edge_note(PhysicsParams(nu_lo * inside, pr_hi / inside)) is None
    assert calibrate.edge_note(PhysicsParams(nu_hi / inside, pr_lo * inside)) is None
    at = calibrate.EDGE_RATIO  # exactly that far from a bound: not yet the edge
    assert calibrate.edge_note(PhysicsParams(nu_lo * at, pr_hi / at)) is None
    assert calibrate.edge_note(PhysicsParams(nu_hi / at, pr_lo * at)) is None
    assert calibrate.edge_note(PhysicsParams(nu_hi / 1.149, 0.9)) == (
        "eddy_viscosity_scale 8.703 (range 0.1 to 10) at the edge of what a fit may take: the "
        "source asks for more than the model's physics gives, which usually means it is not "
        "this hall's air as the layout draws it (another hall, a heat-balance simulation, racks "
        "or tiles elsewhere)"
    )
    both = calibrate.edge_note(PhysicsParams(nu_lo * 1.149, pr_lo))
    assert both.startswith(
        "eddy_viscosity_scale 0.115 (range 0.1 to 10) and turbulent_prandtl 0.200 (range 0.2 to 3)"
        " at the edge"
    )
    assert calibrate.edge_note(PhysicsParams(1.0, pr_hi * 0.87)).startswith(
        "turbulent_prandtl 2.610 (range 0.2 to 3) at the edge"
    )


class _EdgeLandscape(_Landscape):
    """A source best matched at a Prandtl number of 0.21, by the bound: as the demo hall's
    heat-balance simulation asked (its fit: x6.6 and 0.221)."""

    centre = (3.0, 0.21)


def test_the_cli_warns_of_a_fit_at_the_edge_of_its_range(tmp_path, monkeypatch, capsys):
    from twin.cli import main

    layout = tmp_path / "room.yaml"
    layout.write_text(ROOM.read_text())
    _solve_on(monkeypatch, _EdgeLandscape, 0.2)
    monkeypatch.setattr(
        "twin.commands.cfd._targets",
        lambda fac, h, cell, args: calibrate.Targets(np.arange(4), np.full(4, 20.0), source="x"),
    )
    args = ["cfd", "calibrate", str(layout), str(ROOM), "--cell", str(CELL), "--dry-run"]
    assert main([*args, "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    pr = rep["params"]["turbulent_prandtl"]
    assert pr == pytest.approx(0.21, rel=0.1) and "kept" not in rep
    assert rep["edge_note"] == calibrate.edge_note(PhysicsParams(**rep["params"]))
    assert rep["edge_note"].startswith(f"turbulent_prandtl {pr:.3f} (range 0.2 to 3) at the edge")
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"  WARNING: {rep['edge_note']}"
    # a fit inside the range says nothing of one
    monkeypatch.setattr(_EdgeLandscape, "centre", (3.0, 2.0))
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["edge_note"] is None
