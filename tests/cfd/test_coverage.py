"""A CFD field that does not cover the hall: Twin compares only where it has values. A file in
millimetres or in another origin's axes is refused with where its points lie (it used to be
read as if it filled the hall: every rack 8-17 K off, rc 0), and a field over part of the
hall leaves out the racks it does not reach instead of lending them its edge's values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import field
from twin.model.loader import load_layout
from twin.physics import solve_steady
from twin.physics.grid import GRILLE, RACK_FRONT

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"
CELL_M = 0.3


@pytest.fixture(scope="module")
def solved():
    fac = load_layout(ROOM)
    return fac, solve_steady(fac, 0, CELL_M)


def _cloud(res, tmp_path: Path, name: str, scale: float = 1.0, shift=(0.0, 0.0, 0.0), keep=None):
    """Twin's own field 1.5 K warmer as a kelvin point cloud at its cell centres, moved and
    scaled as a foreign exporter might, ``keep`` (mask over points) cut from it."""
    pv = pytest.importorskip("pyvista")
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    t = res.air_c[g.fluid] + 1.5 + 273.15
    if keep is not None:
        m = keep(pts)
        pts, t = pts[m], t[m]
    cloud = pv.PolyData(pts * scale + np.asarray(shift))
    cloud.point_data["T"] = t
    path = tmp_path / f"{name}.vtp"
    cloud.save(str(path))
    return path


def _compare(path: Path, capsys, json_out: bool = True):
    from twin.cli import main

    args = ["cfd", "compare", str(ROOM), str(path), "--cell", str(CELL_M)]
    rc = main(args + (["--json"] if json_out else []))
    return rc, capsys.readouterr()


def test_a_field_in_millimetres_is_refused_and_says_so(solved, tmp_path, capsys):
    _, res = solved
    path = _cloud(res, tmp_path, "mm", scale=1000.0)
    rc, out = _compare(path, capsys)
    assert rc == 1 and out.out == ""
    assert str(path) in out.err and "reaches no rack inlet of hall ROOM" in out.err
    assert "millimetres" in out.err
    # where its points lie: the first cell centre, 0.15 m, in millimetres
    assert "x 150.00.." in out.err and "the hall's air x 0.00..7.20" in out.err


def test_a_field_in_other_axes_is_refused_with_its_offset(solved, tmp_path, capsys):
    _, res = solved
    path = _cloud(res, tmp_path, "site", shift=(100.0, 50.0, 0.0))
    rc, out = _compare(path, capsys)
    assert rc == 1 and out.out == ""
    # the cloud's first centre is half a cell from the hall's corner, then shifted
    assert "lies (+100.15, +50.15, +0.15) m from it" in out.err
    assert "millimetres" not in out.err


def test_a_field_over_part_of_the_hall_leaves_out_the_racks_it_does_not_reach(
    solved, tmp_path, capsys
):
    fac, res = solved
    # the CFD ends at x = 3.0 m, between A2/B2 (1.8-3.0 m) and A3/B3 (3.0-3.6 m)
    path = _cloud(res, tmp_path, "half", keep=lambda p: p[:, 0] < 3.0)
    rc, out = _compare(path, capsys)
    assert rc == 0
    got = json.loads(out.out)
    rows = {r["id"]: r for r in got["rows"]}
    outside = set(got["source"]["racks_outside"])
    assert set(rows) | outside == set(fac.rack_ids) and not set(rows) & outside
    # racks wholly inside read the field exactly; those 0.6 m or more beyond its last
    # point (farther than the reach, 1.5 x 0.3 m) are left out, not lent its edge
    for rid in ("A1", "A2", "B1", "B2"):
        assert rows[rid]["error_k"] == pytest.approx(-1.5, abs=0.005)
    assert {"A4", "A5", "B4", "B5"} <= outside
    fluid_x = (np.argwhere(res.grid.fluid)[:, 0] + 0.5) * CELL_M
    inside = float(np.mean(fluid_x < 3.0))
    # the cells within the reach past the edge (one column of 0.3 m) count as covered
    one_more = float(np.mean(fluid_x < 3.3))
    assert inside <= got["source"]["coverage"] <= one_more + 1e-4
    # the table's text says what was left out
    rc, out = _compare(path, capsys, json_out=False)
    assert rc == 0
    assert f"{len(outside)} racks it does not reach are left out" in out.out
    assert "A5" in out.out.splitlines()[0]


def test_the_cfd_spacing_is_its_points_nearest_neighbour_distance():
    ax = np.arange(6) * 0.15
    lattice = np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    assert field.point_spacing_m(lattice) == pytest.approx(0.15)
    assert field.point_spacing_m(lattice[:1]) == 0.0


def test_a_rack_is_read_only_where_half_its_inlet_flow_has_values(solved):
    fac, res = solved
    g = res.grid
    p = g.ports
    a1 = fac.rack_index["A1"]
    fr = np.flatnonzero((p.kind == RACK_FRONT) & (p.owner == a1))
    w = -p.q[fr]
    air = res.air_c.copy()
    flat = air.reshape(-1)
    # one front cell missing: the flow-weighted mean of the others, by hand
    flat[p.cell[fr[0]]] = np.nan
    local = list(g.rack_ids).index(a1)
    mean, mx, _ = field.rack_figures(g, air)
    t = res.air_c.reshape(-1)[p.cell[fr[1:]]]
    assert mean[local] == pytest.approx((w[1:] * t).sum() / w[1:].sum(), abs=1e-9)
    assert mx[local] == pytest.approx(t.max())
    # all but one missing: that one carries under half the rack's flow, so no reading
    assert w[-1] < 0.5 * w.sum()
    flat[p.cell[fr[:-1]]] = np.nan
    mean, mx, _ = field.rack_figures(g, air)
    assert np.isnan(mean[local]) and np.isnan(mx[local])
    others = np.arange(len(mean)) != local
    assert np.isfinite(mean[others]).all()


def test_the_return_is_read_only_where_half_its_flow_has_values(solved):
    _, res = solved
    p = res.grid.ports
    rt = np.flatnonzero(p.kind == GRILLE)
    q = -p.q[rt]
    air = res.air_c.copy()
    flat = air.reshape(-1)
    flat[p.cell[rt[0]]] = np.nan
    t = res.air_c.reshape(-1)[p.cell[rt[1:]]]
    assert field.rack_figures(res.grid, air)[2] == pytest.approx((q[1:] * t).sum() / q[1:].sum())
    keep = rt[np.argmax(q)]  # the strongest grille cell alone still carries under half
    assert q.max() < 0.5 * q.sum()
    flat[p.cell[rt[rt != keep]]] = np.nan
    assert np.isnan(field.rack_figures(res.grid, air)[2])


def test_values_at_a_meshs_vertices_cover_every_cell_between_them(solved):
    """Point data on a mesh whose vertices are Twin's cell corners: each cell's nearest value
    is a corner, half a cell's diagonal (0.26 m) away, and every air cell takes one."""
    _, res = solved
    g = res.grid
    axes = [np.arange(n + 1) * g.cell_m + o for n, o in zip(g.shape, g.origin_m, strict=True)]
    vx = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    t = 20.0 + vx[:, 0] + 2.0 * vx[:, 1] + 0.5 * vx[:, 2]
    out = field.from_points(vx, t, g)
    assert np.isfinite(out[g.fluid]).all() and np.isnan(out[~g.fluid]).all()
    # each cell took one of its own eight corners: within half a cell of its centre's value
    c = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    at_centre = 20.0 + c[:, 0] + 2.0 * c[:, 1] + 0.5 * c[:, 2]
    assert np.abs(out[g.fluid] - at_centre).max() <= 0.5 * g.cell_m * 3.5 + 1e-9


def test_a_field_of_no_finite_value_is_refused_as_such(solved, tmp_path, capsys):
    # an exporter that wrote NaN everywhere: said so, not blamed on where the points lie
    _, res = solved
    path = _cloud(res, tmp_path, "nan")
    pv = pytest.importorskip("pyvista")
    cloud = pv.read(str(path))
    cloud.point_data["T"] = np.full(cloud.n_points, np.nan)
    cloud.save(str(path))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (numpy's "All-NaN slice" warning no more)
        rc, out = _compare(path, capsys)
    assert rc == 1 and out.out == ""
    assert f"{path}: its temperature field 'T' has no finite value" in out.err
    assert "lies" not in out.err


def test_a_field_in_the_halls_axes_is_not_said_to_lie_elsewhere(solved, tmp_path, capsys):
    # the hall's own place and size, but no rack reached (its values only on the floor):
    # no offset to blame, so none is suggested
    _, res = solved
    path = _cloud(res, tmp_path, "floor", keep=lambda p: p[:, 2] < 0.2)
    rc, out = _compare(path, capsys)
    assert rc == 1 and "reaches no rack inlet" in out.err
    assert "lies (" not in out.err


def _hall():
    """A stand-in hall of 10 x 10 x 5 m in 0.5 m cells, from the origin."""
    import types

    grid = types.SimpleNamespace(origin_m=(0.0, 0.0, 0.0), shape=(20, 20, 10), cell_m=0.5, hall=0)
    return types.SimpleNamespace(hall_ids=["H"]), grid


def _span(scale: float, shift: float = 0.0) -> np.ndarray:
    """Two points at the hall's corners, scaled, then shifted along every axis."""
    return np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 5.0]]) * scale + shift


@pytest.mark.parametrize(
    ("scale", "hint"),
    [(1000.0, True), (100.0, True), (99.9, False), (10_000.0, True), (10_001.0, False)],
)
def test_the_millimetre_hint_is_given_from_100_to_10000_times_the_halls_size(scale, hint):
    from twin.cfd.source import _misplaced

    fac, grid = _hall()
    msg = _misplaced(Path("f.vtp"), fac, grid, 0.0, _span(scale))
    assert (f"It is {scale:.0f} times the hall's size: is it in millimetres?" in msg) is hint
    assert "in the hall's own axes" in msg and "lies (" not in msg


@pytest.mark.parametrize(
    ("scale", "shift", "hint"),
    [
        (1.0, 2.5, True),
        (0.5, 2.5, True),
        (2.0, 2.5, True),
        (0.49, 2.5, False),  # not about the hall's size
        (2.01, 2.5, False),
        (1.0, 1.0, False),  # two cells off: not said to lie elsewhere
        (1.0, 1.5, True),
        (1.0, -2.5, True),
    ],
)
def test_the_other_axes_hint_is_given_for_about_the_halls_size_more_than_two_cells_off(
    scale, shift, hint
):
    from twin.cfd.source import _misplaced

    fac, grid = _hall()
    msg = _misplaced(Path("f.vtp"), fac, grid, 0.0, _span(scale, shift))
    off = f"{shift:+.2f}"
    assert (f"lies ({off}, {off}, {off}) m from it: give it in the hall's axes." in msg) is hint
    assert "millimetres" not in msg


def test_a_misplaced_files_message_in_full():
    from twin.cfd.source import _misplaced

    fac, grid = _hall()
    msg = _misplaced(Path("f.vtp"), fac, grid, 0.5, _span(1.0, 20.0))
    assert msg == (
        "f.vtp: its field reaches no rack inlet of hall H (it gives 50.0 % of the hall's air a "
        "value). Its points span x 20.00..30.00, y 20.00..30.00, z 20.00..25.00 m; the hall's "
        "air x 0.00..10.00, y 0.00..10.00, z 0.00..5.00 m, in the hall's own axes (from its "
        "corner, on the floor). It is about the hall's size but lies (+20.00, +20.00, +20.00) m "
        "from it: give it in the hall's axes."
    )
    assert _misplaced(Path("f.vtp"), fac, grid, 0.0, None) == (
        "f.vtp: its field reaches no rack inlet of hall H (it gives 0.0 % of the hall's air a "
        "value)."
    )
    assert _misplaced(Path("f.vtp"), fac, grid, 0.0, np.zeros((0, 3))).endswith("a value).")


def test_a_field_short_of_the_ceiling_reaches_every_rack_and_says_so(solved, tmp_path, capsys):
    _, res = solved
    path = _cloud(res, tmp_path, "low", keep=lambda p: p[:, 2] < 2.4)
    rc, out = _compare(path, capsys, json_out=False)
    assert rc == 0
    line = next(ln for ln in out.out.splitlines() if "the field covers" in ln)
    assert line.endswith("of the hall's air; it reaches every rack's inlet")
    assert " 0 racks" not in out.out


def test_the_sources_coverage_and_spacing_are_given_to_the_tenth_of_a_millimetre(
    solved, tmp_path, capsys
):
    """A cloud 0.01 % larger than the hall's cells (spacing 0.30003 m), over part of it."""
    _, res = solved
    path = _cloud(res, tmp_path, "wide", scale=1.0001, keep=lambda p: p[:, 0] < 3.0)
    rc, out = _compare(path, capsys)
    assert rc == 0
    src = json.loads(out.out)["source"]
    assert src["spacing_m"] == 0.3
    raw = float(np.mean((np.argwhere(res.grid.fluid)[:, 0] + 0.5) * CELL_M < 3.3))
    assert src["coverage"] == round(src["coverage"], 4) and abs(src["coverage"] - raw) < 0.01
    assert round(src["coverage"], 3) != src["coverage"]


@pytest.mark.parametrize(("shift_m", "warned"), [(0.0, False), (0.2, False), (0.4, True)])
def test_a_field_moved_by_more_than_a_cell_and_a_half_is_warned_of(
    solved, tmp_path, capsys, shift_m, warned
):
    """Moved 3 m a field still reached the racks and was compared (13 K RMS, rank -0.55)
    with only a coverage note. Its points are cell centres, half a cell (0.15 m) inside the
    walls: moved 0.2 m they reach 0.05 m past the far wall, within half a cell; moved 0.4 m,
    0.25 m past it."""
    _, res = solved
    path = _cloud(res, tmp_path, "moved", shift=(shift_m, 0.0, 0.0))
    rc, out = _compare(path, capsys)
    assert rc == 0
    source = json.loads(out.out)["source"]
    assert ("placement" in source) == warned and "cold_air" not in source
    if warned:
        wall = res.grid.shape[0] * CELL_M
        past = shift_m - 0.5 * CELL_M
        assert (
            f"they reach {past:.2f} m past the hall's wall at x = {wall:.2f} m"
            in (source["placement"])
        )
        rc, out = _compare(path, capsys, json_out=False)
        assert f"{path}: WARNING: its points span x {0.5 * CELL_M + shift_m:.2f}.." in out.out


def test_a_field_in_fahrenheit_is_warned_of_and_not_calibrated_to(solved, tmp_path, capsys):
    from twin.cli import main

    fac, res = solved
    pv = pytest.importorskip("pyvista")
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    cloud = pv.PolyData(pts)
    cloud.point_data["T"] = res.air_c[g.fluid] * 9.0 / 5.0 + 32.0
    path = tmp_path / "fahrenheit.vtp"
    cloud.save(str(path))
    rc, out = _compare(path, capsys)
    assert rc == 0
    note = json.loads(out.out)["source"]["cold_air"]
    cold_f = np.percentile(res.air_c[g.fluid] * 9.0 / 5.0 + 32.0, 1)
    supply = min(u.supply_c for u in fac.layout.cooling.supplies if u.supply_c is not None)
    assert note.startswith(f"its coldest air reads {cold_f:.1f} C, the hall's coldest ")
    assert f"set to {supply:.1f} C" in note
    rc = main(["cfd", "calibrate", str(ROOM), str(path), "--cell", str(CELL_M), "--dry-run"])
    err = capsys.readouterr().err
    assert rc != 0 and f"{path}: not calibrated to: its coldest air reads" in err


def test_a_velocity_that_holds_no_number_is_not_compared(solved, tmp_path, capsys):
    """Every U value NaN printed 'RMS difference nan m/s (mean speed Twin nan, CFD nan)'."""
    pv = pytest.importorskip("pyvista")
    _, res = solved
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    cloud = pv.PolyData(pts)
    cloud.point_data["T"] = res.air_c[g.fluid]
    cloud.point_data["U"] = np.full((len(pts), 3), np.nan)
    path = tmp_path / "u-nan.vtp"
    cloud.save(str(path))
    rc, out = _compare(path, capsys)
    assert rc == 0
    got = json.loads(out.out)
    assert "velocity" not in got and "aisles" not in got
    assert got["source"]["note"] == "its velocity holds no number: not compared"
    assert got["rms_k"] == pytest.approx(0.0, abs=1e-9)
    rc, out = _compare(path, capsys, json_out=False)
    assert "nan m/s" not in out.out and f"{path}: its velocity holds no number" in out.out


def _points_reader(points_m: np.ndarray, temp: np.ndarray):
    """A reader (``load_field``'s) that gives these points and temperatures, as a file's."""
    from twin.cfd.source import CfdPoints

    return lambda path, name: CfdPoints(points_m, temp, "T")


def test_a_field_of_nan_and_of_no_room_air_says_how_many_values_are_nan(solved):
    """NaN above the floor, 1000 C on it: the refusal counted the cells that cannot be room
    air but said nothing of NaN, so a file of NaNs read as one in the wrong place."""
    from twin.cfd.source import CfdCoverageError, load_field

    fac, res = solved
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    floor = pts[:, 2] < 0.2
    t = np.where(floor, 1000.0, np.nan)
    t[np.flatnonzero(floor)[:3]] = np.inf
    n_nan = int(np.isnan(t).sum())
    with pytest.raises(CfdCoverageError) as e:
        load_field(Path("f.csv"), fac, g, _points_reader(pts, t))
    msg = str(e.value)
    assert msg.startswith("f.csv: its field reaches no rack inlet of hall ROOM")
    assert (
        f"a value). Of its {len(t):,} temperature values, {n_nan:,} are NaN (not a number) "
        "and 3 are infinite. "
    ) in msg
    hot = int(floor.sum()) - 3
    assert f" {hot:,} of its cells in the hall hold values that cannot be room air" in msg


def test_a_twin_case_all_nan_says_so_and_one_in_kelvin_says_no_nan(solved, tmp_path):
    """A Twin-written case: its values counted over the cells it gives a value (those it
    holds at the rack's inlet are left out by construction, not NaN in the file)."""
    from tests.cfd.cases import read_back, write_case
    from twin.cfd.source import CfdCoverageError, load_field

    fac, res = solved
    g = res.grid
    still = np.zeros(g.shape + (3,))
    nan_case = write_case(tmp_path / "nan", res, np.full(g.shape, np.nan), still)
    with pytest.raises(CfdCoverageError) as e:
        load_field(nan_case, fac, g)
    n = int(read_back(g).sum())
    assert f"Of its {n:,} temperature values, {n:,} are NaN (not a number)." in str(e.value)
    kelvin = write_case(tmp_path / "k", res, res.air_c + 273.15, still)
    with pytest.raises(CfdCoverageError) as e:
        load_field(kelvin, fac, g)
    assert "Of its" not in str(e.value)  # no value is NaN or infinite: nothing said of them
    assert str(e.value).endswith(
        " of its cells in the hall hold values that cannot be room air (temperature outside "
        "-50..150 C: kelvin read as Celsius, or Fahrenheit? or velocity not finite or over "
        "100 m/s)."
    )


def test_a_velocity_given_at_a_few_points_is_compared_where_it_is(solved):
    """A file whose U covers a few cells of one layer (a probe line, a partial export): the
    cells near them have a velocity and are compared; it is not 'a velocity of no number'."""
    from twin.cfd.source import CfdPoints, load_field

    fac, res = solved
    g = res.grid
    pts = (np.argwhere(g.fluid) + 0.5) * g.cell_m + g.origin_m
    at = pts[(pts[:, 2] == pts[0, 2]) & (pts[:, 1] == pts[0, 1])][:5]  # five cells in a row
    vel = np.tile([0.5, 0.0, 0.0], (len(at), 1))

    def reader(path, name):
        return CfdPoints(pts, res.air_c[g.fluid], "T", velocity_points_m=at, velocity_ms=vel)

    cfd = load_field(Path("probe.vtu"), fac, g, reader)
    assert cfd.note == "" and cfd.velocity_ms is not None
    given = np.isfinite(cfd.velocity_ms).all(-1)
    assert 5 <= given.sum() < 0.05 * g.fluid.sum()
    np.testing.assert_array_equal(
        cfd.velocity_ms[given], np.tile([0.5, 0.0, 0.0], (given.sum(), 1))
    )


def test_nan_text_counts_nan_and_infinite_values_and_says_nothing_of_none():
    from twin.cfd.source import nan_text

    assert nan_text(np.array([20.0, 21.5])) == ""
    assert nan_text(np.array([20.0, np.nan, np.inf, -np.inf, np.nan], np.float32)) == (
        "Of its 5 temperature values, 2 are NaN (not a number) and 2 are infinite."
    )


@pytest.mark.parametrize("past_m, warned", [(0.28, False), (0.34, True)])
def test_a_coarser_fields_points_may_reach_past_the_walls_by_half_its_own_spacing(
    solved, past_m, warned
):
    """A 0.6 m CFD's points past the hall's walls by up to 0.3 m (half its spacing, more
    than half Twin's 0.3 m cell) are where its cell centres are, not a field out of place."""
    from twin.cfd.source import CfdPoints, load_field

    fac, res = solved
    g = res.grid
    size = np.asarray(g.shape) * g.cell_m
    axes = [np.arange(-past_m, size[a] + past_m + 1e-9, 0.6) for a in range(2)]
    axes.append(np.arange(0.3, size[2], 0.6))
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    temp = np.full(len(pts), 20.0)

    def reader(path, name):
        return CfdPoints(pts, temp, "T")

    cfd = load_field(Path("coarse.vtu"), fac, g, reader)
    assert cfd.spacing_m == pytest.approx(0.6)
    assert (cfd.placement != "") == warned
    if warned:
        assert f"they reach {past_m:.2f} m past the hall's wall at x = 0.00 m" in cfd.placement
