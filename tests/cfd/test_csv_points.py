"""A CFD field exported as a table of points (``twin.cfd.csv_points``): ParaView's "Save
Data" CSV, Fluent's whitespace ASCII export, a data-centre tool's semicolon CSV; and the
tables that cannot be read, each refused with its file, line and column."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_case
from twin.cfd.csv_points import CsvPointsError, normalise, read_csv_points
from twin.cfd.foam_mesh import held_at_inlet
from twin.cfd.source import load_field
from twin.model.loader import load_layout
from twin.physics.grid import RACK_FRONT, build_grid

POINTS = np.array([[0.1, 0.2, 0.3], [1.5, 2.5, 0.5], [3.25, 0.75, 2.0]])
T_C = np.array([18.5, 24.25, 31.0])
U_MS = np.array([[0.5, -0.25, 1.0], [0.0, 0.125, -2.0], [3.0, 0.0, 0.0]])


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_paraviews_csv_any_column_order(tmp_path):
    rows = [
        f"{t},{t + 1},{u[0]},{u[1]},{u[2]},{p[0]},{p[1]},{p[2]}"
        for p, t, u in zip(POINTS, T_C, U_MS, strict=True)
    ]
    head = '"T","TMean","U:0","U:1","U:2","Points:0","Points:1","Points:2"\n'
    got = read_csv_points(_write(tmp_path / "pv.csv", head + "\n".join(rows) + "\n"))
    assert got["points_m"].tolist() == POINTS.tolist()
    assert got["temp"].tolist() == T_C.tolist()
    assert got["velocity_ms"].tolist() == U_MS.tolist()
    assert (got["name"], got["others"]) == ("T", ("TMean",))
    mean = read_csv_points(tmp_path / "pv.csv", field="TMean")
    assert mean["temp"].tolist() == (T_C + 1).tolist()
    assert (mean["name"], mean["others"]) == ("TMean", ("T",))


def test_fluents_ascii_export(tmp_path):
    head = "cellnumber x-coordinate y-coordinate z-coordinate temperature x-velocity y-velocity z-velocity\n"
    rows = [
        f"{i + 1:8d} {p[0]:14.6e} {p[1]:14.6e} {p[2]:14.6e} {t + 273.15:14.8e}  {u[0]:.6e} {u[1]:.6e} {u[2]:.6e}"
        for i, (p, t, u) in enumerate(zip(POINTS, T_C, U_MS, strict=True))
    ]
    got = read_csv_points(_write(tmp_path / "fluent.txt", head + "\n".join(rows) + "\n"))
    np.testing.assert_allclose(got["points_m"], POINTS, rtol=1e-6)
    np.testing.assert_allclose(got["temp"], T_C + 273.15, rtol=1e-9)
    np.testing.assert_allclose(got["velocity_ms"], U_MS, rtol=1e-6)
    assert got["name"] == "temperature"


def test_a_semicolon_table_with_units_a_bom_and_comments(tmp_path):
    text = (
        "\ufeff# exported by a room CFD tool\n\n"
        "X [m];Y [m];Z [m];Temperature (C);Vx;Vy;Vz\n"
        + "\n".join(
            ";".join(map(str, [*p, t, *u])) for p, t, u in zip(POINTS, T_C, U_MS, strict=True)
        )
        + "\n# end\n"
    )
    got = read_csv_points(_write(tmp_path / "room.csv", text))
    assert got["points_m"].tolist() == POINTS.tolist()
    assert got["temp"].tolist() == T_C.tolist()
    assert got["velocity_ms"].tolist() == U_MS.tolist()
    assert got["name"] == "Temperature (C)"


def test_a_table_without_velocity_has_none(tmp_path):
    text = "x,y,z,T\n" + "\n".join(
        f"{p[0]},{p[1]},{p[2]},{t}" for p, t in zip(POINTS, T_C, strict=True)
    )
    got = read_csv_points(_write(tmp_path / "t.csv", text))
    assert got["velocity_ms"] is None and got["others"] == ()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("X [m]", "x"),
        ('"x-coordinate"', "x coordinate"),
        ("Static_Temperature (K)", "static temperature"),
        ("  Points:0 ", "points:0"),
        ("T", "t"),
    ],
)
def test_column_names_are_matched_without_case_units_or_separators(name, expected):
    assert normalise(name) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "x,y,T\n1,2,3\n",
            "no z coordinate column (such as z, Points:2 or z-coordinate); its columns: x, y, T",
        ),
        (
            "x,y,z,p\n1,2,3,4\n",
            "no temperature column (t, tmean, temperature, static temperature, t c, air c); its columns: x, y, z, p",
        ),
        ("x,y,z,T\n1,2,3,20\n1,2,3,abc\n", "line 3, column 'T': 'abc' is not a number"),
        ("x,y,z,T\n1,2,3,20\n\n# note\n1,2,3\n", "line 5 has 3 columns, its header 4"),
        ("x,y,z,T\n", "no data rows after its header (line 1)"),
        (
            "x,y,z,T\n1,2,3,20\n1,2\r,3,21\n",
            "line 3: not a table row (a carriage return inside it)",
        ),
        (
            "x,y\r,z,T\n1,2,3,20\n",
            "line 1 (the header): not a table row (a carriage return inside it)",
        ),
        ("# only a comment\n\n", "no header row (an empty table)"),
    ],
)
def test_a_table_that_cannot_be_read_is_refused_with_where(tmp_path, text, message):
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(path)
    assert str(e.value) == f"{path}: {message}"


def test_a_field_asked_for_that_the_table_lacks(tmp_path):
    path = _write(tmp_path / "t.csv", "x,y,z,T\n1,2,3,20\n")
    with pytest.raises(
        CsvPointsError, match=r"no temperature column \(TMean\); its columns: x, y, z, T"
    ):
        read_csv_points(path, field="TMean")


def test_compare_reads_a_table_as_the_same_field(tmp_path, capsys):
    """The contained room at 0.3 m: its field as a Twin case and as a CSV of the same cells'
    centres give the same comparison, and the table's kind is said."""
    pytest.importorskip("pyvista")
    from twin.cli import main

    room = Path(__file__).parents[1] / "validation/rooms/cold-containment-leaky.yaml"
    fac = load_layout(room)
    grid = build_grid(fac, 0, 0.3)
    air = np.where(grid.fluid.ravel(), 18.0 + np.arange(grid.n_cells) % 7, np.nan)
    air[grid.ports.cell[grid.ports.kind == RACK_FRONT]] = 30.0
    air = air.reshape(grid.shape)
    case = write_case(
        tmp_path / "c", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )
    ii, jj, kk = np.nonzero(grid.fluid)
    centres = (np.stack([ii, jj, kk], 1) + 0.5) * grid.cell_m
    table = tmp_path / "field.csv"
    table.write_text(
        "x,y,z,T\n"
        + "\n".join(
            f"{x:.6f},{y:.6f},{z:.6f},{t:.6f}"
            for (x, y, z), t in zip(centres, air[grid.fluid], strict=True)
        )
    )
    a, b = load_field(case, fac, grid), load_field(table, fac, grid, _reader())
    # the case leaves out the cells it holds at the rack's inlet by construction; a foreign
    # table says nothing of how it was made, so all its cells are read
    held = held_at_inlet(grid)
    assert np.isnan(a.air_c.ravel()[held]).all() and np.isfinite(b.air_c.ravel()[held]).all()
    assert (a.held_cells, b.held_cells) == (len(held), 0)
    b.air_c.ravel()[held] = np.nan
    np.testing.assert_array_equal(a.air_c, b.air_c)
    assert b.kind == "table"
    outs = []
    for source in (case, table):
        assert main(["cfd", "compare", str(room), str(source), "--cell", "0.3", "--json"]) == 0
        outs.append(json.loads(capsys.readouterr().out))
    assert outs[1]["source"]["kind"] == "table"
    assert [r["cfd_mean_c"] for r in outs[1]["rows"]] == [r["cfd_mean_c"] for r in outs[0]["rows"]]
    assert outs[1]["rms_k"] == outs[0]["rms_k"]


def _reader():
    from twin.render.cfd_import import read_cfd

    return read_cfd


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_windows_code_page_header_is_read(tmp_path):
    """A Windows tool's 'Temperature (°C)' in cp1252 (byte 0xB0), not UTF-8: it stopped on
    "'utf-8' codec can't decode byte 0xb0" before."""
    f = _bytes(tmp_path / "cp.csv", b"x\ty\tz\tTemperature (\xb0C)\n1\t2\t3\t20.5\n4\t5\t6\t21\n")
    got = read_csv_points(f)
    assert got["name"] == "Temperature (°C)"
    assert got["temp"].tolist() == [20.5, 21.0]
    assert got["points_m"].tolist() == [[1, 2, 3], [4, 5, 6]]


def test_quoted_values_one_row_and_an_unnamed_index_column(tmp_path):
    quoted = _write(tmp_path / "q.csv", '"x","y","z","T"\n"1","2","3","20.5"\n')
    got = read_csv_points(quoted)
    assert got["points_m"].tolist() == [[1, 2, 3]] and got["temp"].tolist() == [20.5]
    # a table written with its row index first, that column unnamed
    idx = _write(tmp_path / "i.csv", ",x,y,z,T\n0,1,2,3,20\n1,4,5,6,21\n")
    got = read_csv_points(idx)
    assert got["points_m"].tolist() == [[1, 2, 3], [4, 5, 6]]
    assert got["temp"].tolist() == [20.0, 21.0]


def test_indented_comments_are_comments(tmp_path):
    f = _write(tmp_path / "c.csv", "  # exported\nx,y,z,T\n1,2,3,20\n   # a note\n1,2,3,abc\n")
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(f)
    assert str(e.value) == f"{f}: line 5, column 'T': 'abc' is not a number"


@pytest.mark.parametrize("value", ["1_000", "\u0661\u0662"])
def test_what_numpy_does_not_take_for_a_number_is_named(tmp_path, value):
    """Python's float takes '1_000' and Arabic-Indic digits; numpy's reader does not."""
    f = _write(tmp_path / "n.csv", f"x,y,z,T\n1,2,3,20\n1,2,3,{value}\n")
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(f)
    assert str(e.value) == f"{f}: line 3, column 'T': {value!r} is not a number"


def test_a_directory_is_refused_saying_so(tmp_path):
    d = tmp_path / "d.csv"
    d.mkdir()
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(d)
    assert str(e.value) == f"{d}: Is a directory"


def test_units_in_the_column_names_are_honoured(tmp_path):
    """A US tool's table in feet, Fahrenheit and feet per minute reads as the metric one
    (1 ft = 0.3048 m, 1 fpm = 0.00508 m/s, C = (F - 32) 5/9); a column in kelvin too."""
    rows = []
    for p, t, u in zip(POINTS, T_C, U_MS, strict=True):
        ft, f, fpm = p / 0.3048, t * 9 / 5 + 32, u / 0.00508
        rows.append(",".join(repr(float(v)) for v in [*ft, f, *fpm]))
    head = "X (ft),Y (ft),Z (ft),Temperature (°F),Vx (fpm),Vy (ft/min),Vz (fpm)\n"
    got = read_csv_points(_write(tmp_path / "us.csv", head + "\n".join(rows) + "\n"))
    np.testing.assert_allclose(got["points_m"], POINTS, rtol=1e-12)
    np.testing.assert_allclose(got["temp"], T_C, rtol=1e-12)
    np.testing.assert_allclose(got["velocity_ms"], U_MS, rtol=1e-12, atol=1e-15)
    for spelt in ("deg F", "degF", "degrees F"):
        named = head.replace("°F", spelt)
        again = read_csv_points(_write(tmp_path / "f.csv", named + "\n".join(rows) + "\n"))
        np.testing.assert_allclose(again["temp"], T_C, rtol=1e-12)
    mixed = "x [mm],y [cm],z [m],T [K]\n" + "\n".join(
        f"{float(p[0]) * 1000!r},{float(p[1]) * 100!r},{float(p[2])!r},{float(t) + 273.15!r}"
        for p, t in zip(POINTS, T_C, strict=True)
    )
    got = read_csv_points(_write(tmp_path / "mixed.csv", mixed))
    np.testing.assert_allclose(got["points_m"], POINTS, rtol=1e-12)
    np.testing.assert_allclose(got["temp"], T_C, rtol=1e-12)


def test_a_unit_not_known_for_its_column_is_refused(tmp_path):
    f = _write(tmp_path / "u.csv", "x [m],y [m],z [furlong],T (C)\n1,2,3,20\n")
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(f)
    assert str(e.value) == (
        f"{f}: column 'z [furlong]': its unit 'furlong' is not one of m, mm, cm, in, ft"
    )
    f = _write(tmp_path / "t.csv", "x,y,z,Temperature (m/s)\n1,2,3,20\n")
    with pytest.raises(CsvPointsError, match=r"its unit 'm/s' is not one of c, k, f$"):
        read_csv_points(f)


@pytest.mark.parametrize(
    ("text", "line", "n", "head"),
    [
        ("x,y,z,T\n1,2,3,20\n1,2,3,21,99\n1,2,3,22\n", 3, 5, 4),  # one more: 99 was lost
        ("x,y,z,T,p\n1,2,3,20,0\n1,2,3,21\n", 3, 4, 5),  # short of a column it does not read
        ("x,y,z,T\n# a note\n\n1,2,3,20\n1,2 # ,3,4\n", 5, 2, 4),  # a comment hides none
        ('x,y,z,T,name\n1,2,3,20,"A,1"\n1,2,3,21,"B,2",7\n', 3, 6, 5),  # quoted delimiters
        ("x y z T\n1 2  3 20\n1 2 3 21 5\n", 3, 5, 4),  # whitespace-separated
        ("x,y,z,T\n1,2,3,20,5\n1,2,3,abc\n", 2, 5, 4),  # the first fault, before a bad number
    ],
)
def test_a_row_of_another_count_of_columns_than_the_header_is_refused(
    tmp_path, text, line, n, head
):
    """A ragged row was read as far as its columns went: an extra column dropped in silence,
    the table's columns possibly shifted. Refused with its line and both counts."""
    path = _write(tmp_path / "ragged.csv", text)
    with pytest.raises(CsvPointsError) as e:
        read_csv_points(path)
    assert str(e.value) == f"{path}: line {line} has {n} columns, its header {head}"


def test_rows_as_wide_as_the_header_with_comments_and_quotes_are_read(tmp_path):
    text = 'x,y,z,T,name\n1,2,3,20,"A,1" # first\n\n# a, b, c\n4,5,6,21,"B # 2"\n'
    got = read_csv_points(_write(tmp_path / "ok.csv", text))
    assert got["points_m"].tolist() == [[1, 2, 3], [4, 5, 6]] and got["temp"].tolist() == [20, 21]
