"""``twin import`` against hostile input: outputs it must not write over, errors that point at
the rack list's own row and column, one-line messages instead of tracebacks, and a written
layout that always loads."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from twin_racklist.importer import importer

from twin import plugins
from twin.api import LayoutError, load_layout
from twin.cli import main

CSV = "rack,row,position,servers,feeds\nA01,A,1,4x dgx-h100,P1/P2\nA02,A,2,4x dgx-h100,P1/P2\n"


def _write(folder: Path, text: str, name: str = "racks.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _twin(capsys, *argv: object) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


# ------------------------------------------------------------------------------ outputs
def test_import_never_writes_over_its_own_input(tmp_path, capsys):
    src = _write(tmp_path, CSV)
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / "." / "racks.csv", "--force")
    assert rc == 2
    assert err.startswith("twin import: ") and "is also an input" in err
    assert err.count("\n") == 1
    assert src.read_text(encoding="utf-8") == CSV


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("folder", "is a folder"),
        ("missing/out.yaml", "no folder"),
        ("run.h5", "HDF5"),
    ],
)
def test_import_refuses_an_output_it_cannot_or_must_not_write(tmp_path, capsys, target, says):
    src = _write(tmp_path, CSV)
    (tmp_path / "folder").mkdir()
    (tmp_path / "run.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / target, "--force")
    assert rc == 2 and err.startswith("twin import: ") and says in err, err
    assert (tmp_path / "run.h5").read_bytes().startswith(b"\x89HDF")


# ------------------------------------------------------------------------------ error positions
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a space in a rack id, the commonest case: the row and column, and what is wrong
            "rack,row,position\nA 01,A,1\nA02,A,2\n",
            [r"racks\.csv:2: rack: rack id 'A 01' holds a space, which an id may not"],
        ),
        ("Rack,Row,Position\nA01,Row A,1\n", [r"racks\.csv:2: Row: row id 'Row A' holds a space"]),
        (
            "rack,row,position,hall\nA01,A,1,Hall #2\n",
            [r"racks\.csv:2: hall: hall id 'Hall #2' holds a space and '#'"],
        ),
        (  # a position far along the row: the rack's own line (the hall's size follows)
            "rack,row,position\nA01,A,1\nA02,A,100000\n",
            [r"racks\.csv:3: position: rack A02 would stand at x = [\d.]+ m .*10000"],
        ),
        (  # a rack the layout could hold, in a hall bigger than a hall may be
            "rack,row,position\nA01,A,1\nA02,A,5000\nA03,A,2\n",
            [
                r"racks\.csv:3: position: hall HALL-1 would be [\d.]+ m wide \(rack A02 at "
                r"x = [\d.]+ m plus 3 m margin\): .*2000",
            ],
        ),
        ("rack,row,x (m),y (m)\nA01,A,4,20000\n", [r"racks\.csv:2: y \(m\): rack A01: .*10000"]),
        (  # two racks given the same spot
            "rack,row,x,y\nA01,A,4,4\nA02,A,4,4\n",
            [r"racks\.csv:[23]: x: .*(overlap|A01|A02)"],
        ),
    ],
)
def test_layout_errors_name_the_rack_lists_row_and_column(tmp_path, capsys, text, expected):
    src = _write(tmp_path, text)
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / "out.yaml")
    assert rc == 1 and not (tmp_path / "out.yaml").exists()
    assert "imported by" not in err, err
    problems = [line.strip() for line in err.splitlines() if re.search(r"racks\.csv:\d", line)]
    assert len(problems) == len(expected), err
    for problem, pattern in zip(sorted(problems), sorted(expected), strict=True):
        assert re.search(pattern, problem), (pattern, err)


def test_one_problem_is_one_line(tmp_path, capsys):
    src = _write(tmp_path, "rack,row,position\nA 01,A,1\n")
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / "out.yaml")
    assert rc == 1 and err.count("\n") == 1
    assert err.startswith(f"twin import: {src}:2: rack: rack id 'A 01' holds a space"), err


def test_the_importer_places_its_problems_for_any_caller(tmp_path):
    src = _write(tmp_path, "rack,row,position\nA01,A,1\nA 02,A,2\n")
    with pytest.raises(LayoutError) as caught:
        importer.read_layout(src)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.field) == (str(src), 3, "rack")


# ------------------------------------------------------------------------------ no tracebacks
OK = "rack,row,position\nA01,A,1\nA02,A,2\n"


@pytest.mark.parametrize(
    ("text", "extra", "rc", "message"),
    [
        ("rack,row,position\nA01,A,inf\n", [], 1, r"racks\.csv:2: position: 'inf' is not a finite"),
        ("rack,row,position\nA01,A,1e400\n", [], 1, r"racks\.csv:2: position: '1e400' is not a fi"),
        ("rack,row,position\nA01,A,1\nA02,A,-inf\n", [], 1, r"racks\.csv:3: position: '-inf' is"),
        ("rack,row,position\nA01,A,nan\n", [], 1, r"racks\.csv:2: position: 'nan' is not a finite"),
        ("rack,row,x,y\nA01,A,1.7e308,1\n", [], 1, r"racks\.csv:2: x: rack A01: .*10000"),
        (OK, ["--option", "margin_m=1e308"], 1, r"racks\.csv: option margin_m: 1e\+308 m is not"),
        (OK, ["--option", "hot_aisle_m=-1"], 1, r"racks\.csv: option hot_aisle_m: -1 m is not"),
        (OK, ["--option", "cold_aisle_m=abc"], 1, r"racks\.csv: option cold_aisle_m: 'abc' is not"),
        (OK, ["--option", "height_m=nan"], 1, r"racks\.csv: option height_m: 'nan' is not a fin"),
        (OK, ["--option", "noequals"], 2, r"--option wants KEY=VALUE, got 'noequals'"),
        (OK, ["--option", "3x=1"], 2, r"--option wants KEY=VALUE, got '3x=1'"),
        (OK, ["--option", "colour=red"], 1, r"racks\.csv: unknown importer option\(s\): colour"),
        (  # a cell over the csv module's 128 KB field limit
            'rack,row,position\nA01,A,1\nA02,A,"' + "1" * 200_000 + '"\n',
            [],
            1,
            r"racks\.csv:3: a cell of over 131,072 characters",
        ),
        ("rack,row,position\nA01,A,1\nA02\0,A,2\n", [], 1, r"racks\.csv:3: rack: .*'\\x00'"),
    ],
)
def test_bad_input_is_one_line_naming_the_file_and_row_or_option(
    tmp_path, capsys, text, extra, rc, message
):
    src = _write(tmp_path, text)
    got, _, err = _twin(capsys, "import", src, "-o", tmp_path / "out.yaml", *extra)
    assert got == rc, err
    assert err.startswith("twin import: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "out.yaml").exists()


def test_option_values_stay_text_until_the_importer_reads_them(tmp_path, capsys):
    src = _write(tmp_path, OK)
    out = tmp_path / "out.yaml"
    rc, _, err = _twin(capsys, "import", src, "-o", out, "--option", "name=2e5")
    assert rc == 0, err
    assert "\nname: 2e5\n" in out.read_text(encoding="utf-8") or "name: '2e5'" in out.read_text()


def test_an_importer_crash_is_one_line_naming_the_importer(tmp_path, capsys, monkeypatch):
    def crash(*args, **kwargs):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(plugins, "registry", plugins.PluginRegistry())  # it records the crash
    monkeypatch.setattr(importer, "read_traced", crash)
    src = _write(tmp_path, OK)
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / "out.yaml")
    assert rc == 1 and err.count("\n") == 1, err
    assert plugins.registry.info(plugins.IMPORTERS, "racklist").status == plugins.FAILED
    assert err == "twin import: the racklist importer failed: OverflowError: cannot convert " + (
        "float infinity to integer\n"
    )


# ------------------------------------------------------------------------------ what is written
def test_a_file_name_with_line_breaks_cannot_write_yaml_into_the_header(tmp_path, capsys):
    src = _write(tmp_path, OK, "nl\nname: evil\nformat: x\n#\u2028\x85.csv")
    out = tmp_path / "out.yaml"
    rc, _, err = _twin(capsys, "import", src, "-o", out)
    assert rc == 0, err
    first, second = out.read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# Imported from 'nl\\nname: evil\\nformat: x\\n#")
    assert second == "format: twin-layout/1"
    back = load_layout(out)
    assert back.rack_ids == ["A01", "A02"]
    assert back.layout.name == "nl name: evil format: x #"  # the default name, on one line


def test_what_would_not_load_back_is_not_written(tmp_path, capsys, monkeypatch):
    command = importlib.import_module("twin.commands.import")
    monkeypatch.setattr(command, "layout_header", lambda src: "format: twin-layout/1\n")
    src = _write(tmp_path, OK)
    out = tmp_path / "out.yaml"
    out.write_text("the layout that was there\n", encoding="utf-8")
    rc, _, err = _twin(capsys, "import", src, "-o", out, "--force")
    assert rc == 1, err
    assert err.startswith(f"twin import: not written: {out} would not load back: ")
    assert "given twice" in err and err.count("\n") == 1, err
    assert out.read_text(encoding="utf-8") == "the layout that was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml", "racks.csv"]  # no temp


# ------------------------------------------------------------------------------ speed
def test_xlsx_rows_are_read_no_wider_than_the_headings(tmp_path, monkeypatch):
    """A sheet whose used range runs to the last column (XFD, 16,384) is read only as wide as
    its headings: 200,000 such rows took 18 s, every row built 16,384 cells wide."""
    openpyxl = pytest.importorskip("openpyxl")
    from twin_racklist import table as table_module

    book = openpyxl.Workbook()
    ws = book.active
    for col, heading in enumerate(["rack", "row", "position"], start=1):
        ws.cell(row=2, column=col, value=heading)  # row 1 left empty
    ws.cell(row=2, column=16384, value="notes")  # a heading no column is named by
    for n in range(1, 41):
        for col, value in enumerate([f"A{n:02d}", "A", n], start=1):
            ws.cell(row=n + 2, column=col, value=value)
        ws.cell(row=n + 2, column=16384, value=1)
    path = tmp_path / "wide.xlsx"
    book.save(path)
    widths: list[int] = []
    add = table_module.Table.add
    monkeypatch.setattr(
        table_module.Table,
        "add",
        lambda self, line, cells: (widths.append(len(cells)), add(self, line, cells))[1],
    )
    table = table_module.read_xlsx(path)
    assert [line for line, _ in table.rows] == list(range(3, 43))
    assert table.rows[-1][1] == {"rack": "A40", "row": "A", "position": "40"}
    assert max(widths) <= 3
