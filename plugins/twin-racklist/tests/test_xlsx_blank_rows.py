"""An .xlsx rack list with blank rows above its headings: a few hundred (as exports have) still
import; the heading row is looked for in the first ``MAX_HEADING_ROW`` rows only, and past
that the message names the file, the sheet and how far it looked; a used range that claims
every column and row (A1:XFD1048576) does not make blank rows 16,384 cells wide. Speed is
asserted as work done (rows parsed, cells handed over), never as a time."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from twin_racklist import table as table_module
from twin_racklist.importer import importer

from twin.api import InputError
from twin.cli import main

openpyxl = pytest.importorskip("openpyxl")
from openpyxl.cell import WriteOnlyCell  # noqa: E402
from openpyxl.styles import PatternFill  # noqa: E402
from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # noqa: E402
from openpyxl.worksheet._reader import WorkSheetParser  # noqa: E402

HEADINGS = ["Rack", "Row", "Position", "Servers"]
RACKS = [["A01", "A", 1, "4x dgx-h100"], ["A02", "A", 2, "4x dgx-h100"], ["B01", "B", 1, ""]]


def _formatted_blank_rows(path: Path, blank: int, width: int = 8, headings: bool = True) -> Path:
    """``blank`` rows of ``width`` filled cells holding nothing (as a sheet formatted before
    it was filled in), then the headings and three racks."""
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet("Racks")
    fill = PatternFill("solid", fgColor="FFFF00")
    for _ in range(blank):
        row = [WriteOnlyCell(ws) for _ in range(width)]
        for cell in row:
            cell.fill = fill
        ws.append(row)
    for cells in [HEADINGS, *RACKS] if headings else []:
        ws.append(cells)
    book.save(path)
    return path


def _headings_at(path: Path, row: int, dimension: str | None = None) -> Path:
    """Headings at ``row`` with no rows at all above them; the sheet's ``<dimension>`` (the
    used range it claims) rewritten to ``dimension`` if given."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Racks"
    for r, cells in enumerate([HEADINGS, *RACKS], start=row):
        for c, value in enumerate(cells, start=1):
            ws.cell(row=r, column=c, value=value)
    book.save(path)
    if dimension is not None:
        _claim(path, dimension)
    return path


def _claim(path: Path, dimension: str) -> None:
    """Rewrite the first sheet's ``<dimension ref>``, as a sheet formatted to the last cell
    (or a careless exporter) has it."""
    with zipfile.ZipFile(path) as book:
        items = [(item, book.read(item.filename)) for item in book.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for item, data in items:
            if item.filename == "xl/worksheets/sheet1.xml":
                text, n = re.subn(r'<dimension ref="[^"]*"\s*/>', "", data.decode())
                assert n == 1
                data = text.replace("<sheetViews>", f'<dimension ref="{dimension}"/><sheetViews>')
                data = data.encode()
            book.writestr(item, data)


@pytest.fixture
def parsed(monkeypatch) -> list[int]:
    """The numbers of the sheet rows openpyxl's parser reads from the file, in order."""
    seen: list[int] = []
    parse = WorkSheetParser.parse

    def counting(self):
        for number, cells in parse(self):
            seen.append(number)
            yield number, cells

    monkeypatch.setattr(WorkSheetParser, "parse", counting)
    return seen


@pytest.fixture
def widths(monkeypatch) -> list[int]:
    """How many cells each row handed to the importer has."""
    seen: list[int] = []
    iter_rows = ReadOnlyWorksheet.iter_rows

    def counting(self, *args, **kwargs):
        for cells in iter_rows(self, *args, **kwargs):
            seen.append(len(cells))
            yield cells

    monkeypatch.setattr(ReadOnlyWorksheet, "iter_rows", counting)
    return seen


def test_an_export_with_a_few_hundred_blank_formatted_rows_on_top_imports(tmp_path):
    path = _formatted_blank_rows(tmp_path / "racks.xlsx", 300)
    table = table_module.read_xlsx(path)
    assert table.header_line == 301
    assert [line for line, _ in table.rows] == [302, 303, 304]
    assert importer.read(path)["rows"][0]["racks"][0]["id"] == "A01"


def test_headings_on_the_last_row_looked_at_import(tmp_path):
    table = table_module.read_xlsx(_headings_at(tmp_path / "racks.xlsx", 10_000))
    assert table.header_line == 10_000 and len(table.rows) == 3


def test_headings_past_the_last_row_looked_at_are_refused_naming_file_sheet_and_how_far(
    tmp_path, widths
):
    path = _headings_at(tmp_path / "racks.xlsx", 10_001)
    with pytest.raises(InputError) as caught:
        table_module.read_xlsx(path)
    assert str(caught.value) == (
        f"{path}: sheet 'Racks' has no headings in its first 10,000 rows (all blank), which is "
        "as far as a rack list's headings are looked for: delete the blank rows above them"
    )
    assert len(widths) == 10_000  # rows looked at, not one more


def test_twin_import_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_HEADING_ROW", 50)
    path = _formatted_blank_rows(tmp_path / "racks.xlsx", 50)
    rc = main(["import", str(path), "-o", str(tmp_path / "out.yaml")])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1, err
    assert err.startswith(f"twin import: {path}: sheet 'Racks' has no headings in its first 50 ")
    assert not (tmp_path / "out.yaml").exists()


def test_the_search_parses_no_further_than_the_limit(tmp_path, monkeypatch, parsed):
    """1,000 formatted blank rows and nothing else, the limit patched down to 50: the parser
    reads row 51 to learn that row 50 was the last looked at, and stops there."""
    monkeypatch.setattr(table_module, "MAX_HEADING_ROW", 50)
    path = _formatted_blank_rows(tmp_path / "racks.xlsx", 1_000, headings=False)
    with pytest.raises(InputError) as caught:
        table_module.read_xlsx(path)
    assert parsed == list(range(1, 52))
    assert str(caught.value).endswith(
        "sheet 'Racks' has no headings in its first 50 rows (all "
        "blank), which is as far as a rack list's headings are looked for: delete the blank rows "
        "above them"
    )


def test_a_shorter_sheet_is_still_empty_not_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_HEADING_ROW", 50)
    path = _formatted_blank_rows(tmp_path / "racks.xlsx", 49, headings=False)
    with pytest.raises(InputError, match=r"racks\.xlsx: sheet 'Racks' is empty$"):
        table_module.read_xlsx(path)


def test_a_used_range_claiming_every_cell_does_not_widen_blank_rows(tmp_path, widths):
    """A1:XFD1048576 above 300 missing rows: each was handed over 16,384 cells wide (5 million
    cells looked at before the headings); now a missing row is no cells at all."""
    path = _headings_at(tmp_path / "racks.xlsx", 301, dimension="A1:XFD1048576")
    book = openpyxl.load_workbook(path, read_only=True)
    assert (book.worksheets[0].max_row, book.worksheets[0].max_column) == (1_048_576, 16_384)
    book.close()
    table = table_module.read_xlsx(path)
    assert table.header_line == 301
    assert table.rows[-1] == (304, {"rack": "B01", "row": "B", "position": "1"})
    assert sum(widths) <= 301 * 4 and max(widths) == 4


def test_a_sheet_claiming_every_cell_but_holding_none_is_empty(tmp_path, widths):
    path = tmp_path / "racks.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Racks"
    book.save(path)
    _claim(path, "A1:XFD1048576")
    with pytest.raises(InputError, match=r"racks\.xlsx: sheet 'Racks' is empty$"):
        table_module.read_xlsx(path)
    assert sum(widths) == 0
