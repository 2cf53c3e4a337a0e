"""A rack list as rows of named cells, from CSV or XLSX, each with the line (CSV) or row
(spreadsheet) it came from, so every later complaint can point at it."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from twin.api import InputError

#: Canonical column -> the headings sites use for it (compared lower-case, with spaces,
#: dashes and units in brackets removed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "rack": ("rack", "rackid", "rackname", "id", "name", "cabinet"),
    "row": ("row", "rowid", "rowname"),
    "position": ("position", "pos", "slot", "positioninrow", "rackposition"),
    "type": ("type", "racktype", "model", "enclosure"),
    "servers": ("servers", "contents", "equipment", "systems"),
    "feeds": ("feeds", "feed", "powerfeeds", "pdus", "pdu"),
    "feed_a": ("feeda", "afeed", "pdua", "feed1"),
    "feed_b": ("feedb", "bfeed", "pdub", "feed2"),
    "hall": ("hall", "datahall", "room"),
    "x_m": ("x", "xm"),
    "y_m": ("y", "ym"),
    "rotation_deg": ("rotation", "rotationdeg", "orientation"),
    "power_kw": ("powerkw", "loadkw", "designkw", "power", "kw"),
}
REQUIRED = ("rack", "row")


def _key(heading: object) -> str:
    text = re.sub(r"\(.*?\)|\[.*?\]", "", str(heading or "")).lower()
    return re.sub(r"[\s_\-./]+", "", text)


_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}


class Table:
    """Rows of a rack list: ``rows`` is a list of (line number, {column: text})."""

    def __init__(self, path: Path, headings: list[object], header_line: int):
        self.path = path
        self.header_line = header_line
        self.columns: dict[int, str] = {}  # cell index -> canonical column
        self.headings: dict[str, str] = {}  # canonical column -> heading as written
        for i, heading in enumerate(headings):
            name = _ALIASES.get(_key(heading))
            if name is None or name in self.headings:
                continue
            self.columns[i] = name
            self.headings[name] = str(heading).strip()
        missing = [c for c in REQUIRED if c not in self.headings]
        if missing:
            raise InputError(
                path,
                header_line,
                "header",
                f"no {' or '.join(missing)} column (headings found: "
                f"{', '.join(str(h) for h in headings if h not in (None, '')) or 'none'}); "
                f"a rack list needs at least: {', '.join(REQUIRED)}",
            )
        self.rows: list[tuple[int, dict[str, str]]] = []

    def add(self, line: int, cells: list[object]) -> None:
        values = {}
        for i, name in self.columns.items():
            value = cells[i] if i < len(cells) else None
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # spreadsheets store 3 as 3.0
            text = "" if value is None else str(value).strip()
            if text:
                values[name] = text
        if values:
            self.rows.append((line, values))

    def error(self, line: int, column: str, message: str) -> InputError:
        return InputError(self.path, line, self.headings.get(column, column), message)


def read_csv(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            path, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    table: Table | None = None
    try:
        for cells in reader:
            if table is None:
                if any(c.strip() for c in cells):
                    table = Table(path, cells, reader.line_num)
                continue
            table.add(reader.line_num, cells)
    except csv.Error as exc:  # a cell over the field limit, a stray quote: at its line
        raise InputError(path, reader.line_num, "", _csv_problem(exc)) from None
    if table is None:
        raise InputError(path, None, "", "the file is empty")
    return table


def _csv_problem(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"a cell of over {csv.field_size_limit():,} characters: not a rack list "
            "(or a quote left open)"
        )
    return f"cannot read the CSV here: {exc}"


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    try:
        import openpyxl
    except ImportError:
        raise InputError(
            path, None, "", "reading .xlsx needs openpyxl: pip install 'twin-racklist[xlsx]'"
        ) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise InputError(path, None, "", f"not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(
                path, None, "sheet", f"no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        table = _xlsx_rows(path, ws)
    finally:
        book.close()
    if table is None:
        raise InputError(path, None, "", f"sheet {ws.title!r} is empty")
    return table


#: How far down a sheet its heading row (the first row with anything in it) is looked for.
#: An export may have a few hundred blank, formatted rows above its headings; a sheet blank
#: for its first 10,000 rows is not a rack list (or not the sheet meant), and is said so in
#: about a second, not after parsing a million formatted-but-empty rows (100,000 took 11 s).
MAX_HEADING_ROW = 10_000


def _xlsx_rows(path: Path, ws) -> Table | None:
    """The headings, then the rows below read only as wide as the last column a heading
    names: a sheet whose used range claims every column (XFD) made each row 16,384 cells,
    18 s for 200,000 rows. None when the sheet ends before anything is in it."""
    last = ws.max_row  # as the sheet's <dimension> claims; None when it does not say
    ws.reset_dimensions()  # from here rows are only as wide as their own cells
    found = _heading_row(path, ws, last)
    if found is None:
        return None
    number, headings = found
    table = Table(path, headings, number)
    width = max(table.columns) + 1  # Table refuses headings without a rack and a row column
    below = ws.iter_rows(min_row=number + 1, max_row=last, max_col=width, values_only=True)
    for line, cells in enumerate(below, start=number + 1):
        table.add(line, list(cells))
    return table


def _heading_row(path: Path, ws, last: int | None) -> tuple[int, list[object]] | None:
    """(row number, cells) of the first row with anything in it, looked for in the first
    ``MAX_HEADING_ROW`` rows only (and not past the last row the sheet claims, as before).
    Blank rows are cheap: a missing one comes as no cells, a formatted one only as wide as
    its formatted cells, not as wide as the used range claims (16,384 cells for XFD)."""
    limit = MAX_HEADING_ROW if last is None else min(last, MAX_HEADING_ROW)
    number = 0
    for number, cells in enumerate(ws.iter_rows(max_row=limit, values_only=True), start=1):
        if any(c not in (None, "") for c in cells):
            return number, list(cells)
    if number < MAX_HEADING_ROW:
        return None  # the sheet ended first: it is empty
    raise InputError(
        path,
        None,
        "",
        f"sheet {ws.title!r} has no headings in its first {MAX_HEADING_ROW:,} rows (all "
        "blank), which is as far as a rack list's headings are looked for: delete the blank "
        "rows above them",
    )
