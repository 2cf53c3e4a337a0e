"""What calibration fits to and how it scores a solve: the residuals' weights, the slices a
CFD field gives, the span and sensors a recording gives, and the loads the Prandtl search
solves at (gaps mutation testing of ``cfd/calibrate.py`` found)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.cfd.test_calibrate_recorded import ROOM, STEP_S, _record, _sited, _steady, _targets
from twin.cfd import calibrate
from twin.cfd.compare import sample_cells
from twin.model.loader import load_layout
from twin.physics import ThermalModel
from twin.physics.grid import build_grid

CELL = 0.4


@pytest.fixture(scope="module")
def fac():
    return load_layout(ROOM)


@pytest.fixture(scope="module")
def solved(fac):
    return ThermalModel(fac, 0, CELL).solve()


# ------------------------------------------------------------------------ errors
def _offsets_targets(fac, res, rack_off, point_off):
    """Targets whose residuals (Twin minus target) are exactly the offsets given: racks in
    facility order, points at four air cells' centres."""
    idx = np.arange(len(rack_off))
    pts = np.array([[1.0, 1.0, 1.0], [2.6, 1.0, 1.4], [1.0, 2.2, 0.6], [3.4, 3.0, 1.8]])[
        : len(point_off)
    ]
    twin_pts = sample_cells(res, pts) if len(pts) else np.zeros(0)
    assert np.isfinite(twin_pts).all()
    return calibrate.Targets(
        idx,
        res.rack_inlet_mean_c[idx] - np.asarray(rack_off),
        pts.reshape(-1, 3),
        twin_pts - np.asarray(point_off),
    )


def test_points_weigh_as_much_together_as_the_racks_together(fac, solved):
    rack_off = [0.1, -0.2, 0.3, 0.0, 0.4, -0.1, 0.2, 0.0, -0.3]
    point_off = [1.0, -2.0, 0.5]
    e = calibrate.errors(solved, _offsets_targets(fac, solved, rack_off, point_off))
    # the room's 9 racks, 3 points: each point counts 9 / 3 times
    assert e["cost"] == pytest.approx(0.44 + 3 * 5.25, abs=1e-9)
    assert e["rack_rms_k"] == pytest.approx(math.sqrt(0.44 / 9), abs=1e-9)
    assert e["point_rms_k"] == pytest.approx(math.sqrt(5.25 / 3), abs=1e-9)


def test_points_alone_or_racks_alone_count_as_they_are(fac, solved):
    e = calibrate.errors(solved, _offsets_targets(fac, solved, [], [1.0, -2.0]))
    assert e["cost"] == pytest.approx(5.0, abs=1e-9) and math.isnan(e["rack_rms_k"])
    e = calibrate.errors(solved, _offsets_targets(fac, solved, [0.3, 0.4], []))
    assert e["cost"] == pytest.approx(0.25, abs=1e-9) and math.isnan(e["point_rms_k"])


def test_from_its_start_each_set_counts_by_its_own_error_there(fac, solved):
    """The fit's cost: each set's mean square over its own at the start, so a tenth off the
    racks counts as much as a tenth off the points (racks 0.125 / 0.25, points 2.5 / 4)."""
    t = _offsets_targets(fac, solved, [0.3, 0.4], [1.0, -2.0])
    start = {"rack_rms_k": 0.5, "point_rms_k": 2.0}
    assert calibrate.errors(solved, t, start)["cost"] == pytest.approx(0.5 + 0.625, abs=1e-12)
    # a start already exact counts from the report's resolution, not from zero
    exact = {"rack_rms_k": 0.0, "point_rms_k": 2.0}
    assert calibrate.errors(solved, t, exact)["cost"] == pytest.approx(
        0.125 / calibrate.MIN_GAIN_K**2 + 0.625, rel=1e-12
    )
    racks_only = _offsets_targets(fac, solved, [0.3, 0.4], [])
    assert calibrate.errors(solved, racks_only, start)["cost"] == pytest.approx(0.5, abs=1e-12)
    points_only = _offsets_targets(fac, solved, [], [1.0, -2.0])
    assert calibrate.errors(solved, points_only, start)["cost"] == pytest.approx(0.625, abs=1e-12)


def test_the_gain_is_the_larger_fall_and_unknown_without_one():
    nan = float("nan")
    assert calibrate.gain_k(
        {"rack_rms_k": 0.5, "point_rms_k": 0.9}, {"rack_rms_k": 0.4, "point_rms_k": 0.6}
    ) == pytest.approx(0.3)
    assert calibrate.gain_k(
        {"rack_rms_k": nan, "point_rms_k": 0.9}, {"rack_rms_k": nan, "point_rms_k": 1.0}
    ) == pytest.approx(-0.1)
    both = {"rack_rms_k": nan, "point_rms_k": nan}
    assert math.isnan(calibrate.gain_k(both, both))


def test_the_prandtl_search_solves_at_the_targets_loads(fac):
    """Each Prandtl number is tried on the march's flow at the loads the targets were taken
    at: at the layout's own Prandtl number that is the model's own solve of those loads."""
    half = 0.5 * fac.rack_power_w
    model = ThermalModel(fac, 0, CELL)
    expected = model.solve(half).rack_inlet_mean_c
    nominal = model.solve().rack_inlet_mean_c
    assert np.nanmax(np.abs(expected - nominal)) > 0.3
    got = calibrate._with_prandtl(model, 0.9, half).rack_inlet_mean_c
    assert np.nanmax(np.abs(got - expected)) < 1e-3


# ------------------------------------------------------------------------ a CFD field
@pytest.fixture(scope="module")
def field(fac):
    """The 7.2 x 6 x 3 m room's 0.25 m grid (29 x 24 x 12 cells) holding 20 C + x + 10 z (C, m) in its air."""
    grid = build_grid(fac, 0, 0.25)
    x, y, z = np.meshgrid(*(grid.centers(a) for a in range(3)), indexing="ij")
    return grid, np.where(grid.fluid, 20.0 + x + 10.0 * z, np.nan)


def _slices(grid, z_c: float) -> set[tuple[float, float, float]]:
    """Centres of the air cells in the horizontal layer centred at ``z_c`` and the vertical
    layer across the hall's middle (x = 3.625 m: the 15th of 29 columns)."""
    x, y, z = np.meshgrid(*(grid.centers(a) for a in range(3)), indexing="ij")
    on = grid.fluid & (np.isclose(z, z_c) | np.isclose(x, 3.625))
    return {tuple(np.round(p, 6)) for p in np.stack([x[on], y[on], z[on]], 1)}


def test_a_field_gives_its_slice_at_1_2_m_and_across_the_middle(fac, field):
    grid, air = field
    assert grid.shape == (29, 24, 12)
    t = calibrate.targets_from_field(fac, grid, air)
    got = {tuple(np.round(p, 6)) for p in t.points_m}
    assert got == _slices(grid, 1.125) and len(got) == len(t.point_c) > 500  # 1.0-1.25 m
    x, z = t.points_m[:, 0], t.points_m[:, 2]
    assert np.allclose(t.point_c, 20.0 + x + 10.0 * z)
    assert t.source == "" and t.rack_index.tolist() == list(grid.rack_ids)


def test_a_slice_above_the_hall_is_its_top_layer(fac, field):
    grid, air = field
    t = calibrate.targets_from_field(fac, grid, air, z_m=100.0, source="cfd.vtu")
    assert {tuple(np.round(p, 6)) for p in t.points_m} == _slices(grid, 2.875)
    assert t.source == "cfd.vtu"


def test_rack_inlets_read_at_the_cfds_own_cell_are_taken_as_given(fac, field):
    grid, air = field
    given = np.full(len(grid.rack_ids), 25.0)
    given[[2, 5]] = [np.nan, 31.5]
    t = calibrate.targets_from_field(fac, grid, air, rack_mean_c=given)
    assert t.rack_index.tolist() == [r for i, r in enumerate(grid.rack_ids) if i != 2]
    assert t.rack_c.tolist() == [31.5 if i == 5 else 25.0 for i in range(len(given)) if i != 2]


# ------------------------------------------------------------------------ a recording
def test_the_span_ends_where_asked(fac, tmp_path):
    """A CRAH that trips after the span asked for does not enter it."""
    base = _steady(fac, 22.0, fac.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        if i >= 8:
            fr.air_unit["state"][0] = 0.0

    path = _record(tmp_path / "r.h5", fac, 12, fill)
    from twin.recording.reader import open_recording

    with open_recording(path) as rec:
        t1 = rec.times[0] + 7 * STEP_S
        t = calibrate.targets_from_recording(rec, fac, None, t1)
        assert t.conditions.failed == () and t.source.endswith("r.h5 0:00-0:35")
        with pytest.raises(ValueError, match="CRAH-1 went off at 0:40"):
            calibrate.targets_from_recording(rec, fac)


def test_a_sensor_that_read_nothing_is_left_out(tmp_path):
    site = _sited(tmp_path)
    base = _steady(site, 22.0, site.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.sensor["temp_c"][:] = [np.nan, 25.0]

    t = _targets(_record(tmp_path / "r.h5", site, 6, fill), site)
    assert t.point_c.tolist() == [25.0]
    assert t.points_m.tolist() == [[5.0, 3.0, 1.2]]


@pytest.mark.parametrize(
    ("filled", "racks"), [(("rack/inlet_c",), 0), (("rack/exhaust_c", "air_unit/load_w"), 9)]
)
def test_rack_inlets_the_model_filled_are_left_out_and_the_sensors_kept(tmp_path, filled, racks):
    """A live recording made with ``--physics``: its rack inlets may be the model's, so only
    the sensors are fitted to, and the source says why the racks are not."""
    site = _sited(tmp_path)
    base = _steady(site, 22.0, site.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.sensor["temp_c"][:] = [24.0, 25.0]

    t = _targets(_record(tmp_path / "r.h5", site, 6, fill, filled_by_model=filled), site)
    assert len(t.rack_index) == len(t.rack_c) == racks and site.n_racks == 9
    assert t.point_c.tolist() == [24.0, 25.0]
    left_out = " (its rack inlets left out: the airflow model filled them)"
    assert t.source.endswith("r.h5 0:00-0:25" + (left_out if racks == 0 else ""))


def test_modelled_inlets_and_no_sensor_is_refused_saying_why(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)
    path = _record(tmp_path / "r.h5", fac, 4, base, filled_by_model=("rack/inlet_c",))
    with pytest.raises(ValueError) as exc:
        _targets(path, fac)
    assert str(exc.value) == calibrate.MODELLED_INLETS_NOTE


def test_a_live_recording_s_racks_are_solved_at_their_gpus_power(tmp_path):
    """Live DCGM data: GPU power, no rack power. The fit solves the hall at the racks' power
    as their GPUs read it (``rack_power_from_readings``), not at their nameplate; a rack
    whose GPUs never read keeps its nominal power."""
    from pathlib import Path

    from twin.physics.devices import rack_power_from_readings

    hall = Path(__file__).parents[1] / "whatif" / "small-hall.yaml"
    (tmp_path / "gpus.yaml").write_text(
        hall.read_text()
        + "sensors:\n  - {id: S1, hall: HALL-1, position_m: [3.0, 3.0, 1.2]}\n"
        + "  - {id: S2, hall: HALL-1, position_m: [5.0, 3.0, 1.2]}\n"
    )
    site = load_layout(tmp_path / "gpus.yaml")
    base = _steady(site, np.nan, np.nan)
    gpu_w = np.where(site.gpu_rack == 0, np.nan, 0.4 * site.gpu_tdp_w)
    gpu_w[site.gpu_rack == 1] = 0.9 * site.gpu_tdp_w[site.gpu_rack == 1]

    def fill(i, fr):
        base(i, fr)
        fr.sensor["temp_c"][:] = [24.0, 25.0]
        fr.gpu["power_w"][:] = gpu_w

    t = _targets(_record(tmp_path / "r.h5", site, 6, fill), site)
    want = rack_power_from_readings(site, None, gpu_w)
    assert want[0] == site.rack_power_w[0] and (want[1:] < site.rack_power_w[1:]).all()
    np.testing.assert_allclose(t.rack_power_w, want, rtol=1e-4)


def test_a_span_with_no_temperature_is_refused_in_words(fac, tmp_path):
    base = _steady(fac, np.nan, fac.rack_power_w)
    with pytest.raises(ValueError) as exc:
        _targets(_record(tmp_path / "r.h5", fac, 4, base), fac)
    assert str(exc.value) == (
        "the recording holds no rack inlet or point sensor temperature in that span"
    )


def test_a_refused_span_says_how_to_pick_another(fac, tmp_path):
    base = _steady(fac, 22.0, fac.rack_power_w)

    def fill(i, fr):
        base(i, fr)
        fr.rack["inlet_c"][0] = 22.0 + (i >= 4)

    with pytest.raises(ValueError) as exc:
        _targets(_record(tmp_path / "r.h5", fac, 6, fill), fac)
    assert str(exc.value).endswith(
        "rack A1's inlet moved +1.0 K. Pick a span where it held, with --from and --to"
    )
