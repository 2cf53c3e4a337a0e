"""Read a CFD field exported as a table of points: a header row naming the columns, then one
row per cell or node with its coordinates and temperature (and air velocity), as ParaView's
"Save Data" writes it (``Points:0``, ``T``, ``U:0``), Fluent's ASCII export (``x-coordinate``,
``temperature``, ``x-velocity``) or a data-centre CFD tool's CSV. Why: not every CFD tool
writes VTK or an OpenFOAM case, and every one of them writes a table."""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: File suffixes read as a table (by ``twin.render.cfd_import.read_cfd``).
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
#: Temperature columns tried in order (normalised: lower case, units, quotes, '-' and '_'
#: dropped), unless one is asked for.
TEMPERATURE_NAMES = ("t", "tmean", "temperature", "static temperature", "t c", "air c")
#: Each axis's coordinate column, as different tools name it.
COORDINATE_NAMES = tuple(
    {
        a,
        f"points:{i}",
        f"{a} coordinate",
        f"coordinate {a}",
        f"coordinates:{i}",
        f"position {a}",
        f"centroid {a}",
        f"cell centers:{i}",
        f"cellcenters:{i}",
    }
    for i, a in enumerate("xyz")
)
#: Velocity columns, x y z, tried in order.
VELOCITY_NAMES = (
    ("u:0", "u:1", "u:2"),
    ("umean:0", "umean:1", "umean:2"),
    ("velocity:0", "velocity:1", "velocity:2"),
    ("x velocity", "y velocity", "z velocity"),
    ("velocity x", "velocity y", "velocity z"),
    ("velocity[i]", "velocity[j]", "velocity[k]"),
    ("vx", "vy", "vz"),
    ("u", "v", "w"),
)


#: Units a column's name may give in a trailing bracket ('X [mm]', 'Vx (ft/min)'), to
#: metres and metres per second; temperatures to Celsius as (scale, offset). A table in a
#: US tool's units (feet, fpm, Fahrenheit) would otherwise be read as metres and Celsius.
LENGTH_M = {"m": 1.0, "mm": 1e-3, "cm": 1e-2, "in": 0.0254, "ft": 0.3048}
SPEED_MS = {"m/s": 1.0, "mm/s": 1e-3, "ft/s": 0.3048, "ft/min": 0.00508, "fpm": 0.00508}
TEMPERATURE_C = {"c": (1.0, 0.0), "k": (1.0, -273.15), "f": (5.0 / 9.0, -160.0 / 9.0)}


#: A unit in a trailing bracket of a column's name: 'X [mm]', 'Temperature (°C)'.
_UNIT = re.compile(r"\s*[\[(]([^\])]*)[\])]\s*$")


class CsvPointsError(ValueError):
    """A table that cannot be read as a CFD field (the file, line and column named)."""


def normalise(name: str) -> str:
    """A column name as matched: 'X [m]' -> 'x', 'x-coordinate' -> 'x coordinate',
    '"Temperature (K)"' -> 'temperature'."""
    name = name.strip().strip("\"'").strip()
    name = _UNIT.sub("", name)  # a trailing unit
    return re.sub(r"[\s_-]+", " ", name.lower()).strip()


def unit(name: str) -> str | None:
    """The unit a column's name gives in a trailing bracket, as the tables above key it
    ('X [mm]' -> 'mm', 'Temperature (°F)' -> 'f', 'Vx [ft/min]' -> 'ft/min'); None when it
    gives none."""
    m = _UNIT.search(name)
    if not m:
        return None
    return re.sub(r"\s+|°|deg(rees?)?", "", m.group(1).lower()) or None


def _factors(path: Path, cols: list[str], use: list[int]) -> list[tuple[float, float]]:
    """(scale, offset) per column read (x, y, z, T, then the velocity's), from the units
    their names give; a unit that is not known for its column is refused, naming both."""
    tables = [LENGTH_M] * 3 + [TEMPERATURE_C] + [SPEED_MS] * (len(use) - 4)
    out = []
    for i, table in zip(use, tables, strict=True):
        u = unit(cols[i])
        if u is not None and u not in table:
            raise CsvPointsError(
                f"{path}: column {cols[i]!r}: its unit {u!r} is not one of {', '.join(table)}"
            )
        f = 1.0 if u is None else table[u]
        out.append(f if isinstance(f, tuple) else (f, 0.0))
    return out


def _text(raw: bytes) -> str:
    """A line as UTF-8 (its byte-order mark dropped), or, where it is not, as Latin-1: a
    Windows tool's "Temperature (°C)" in its own code page."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _header(path: Path) -> tuple[int, list[str], str | None]:
    """(line number of the header, 1-based; its columns; the delimiter, None for spaces)."""
    try:
        with path.open("rb") as f:
            for number, raw in enumerate(f, 1):  # noqa: B007 (the header's, after the loop)
                line = _text(raw)
                if line.strip() and not line.lstrip().startswith("#"):
                    break
            else:
                raise CsvPointsError(f"{path}: no header row (an empty table)")
    except OSError as e:
        raise CsvPointsError(f"{path}: {e.strerror}") from e
    delim = next((d for d in (",", ";", "\t") if d in line), None)
    try:
        return number, _row(line, delim), delim
    except ValueError as e:
        raise CsvPointsError(f"{path}: line {number} (the header): {e}") from None


def _find(names: list[str], wanted) -> int | None:
    return next((i for i, n in enumerate(names) if n in wanted), None)


def _columns(path: Path, cols: list[str], field: str | None):
    """The indices of the coordinates, the temperature and the velocity (or None) columns,
    the temperature's name and the other temperature columns'."""
    norm = [normalise(c) for c in cols]
    xyz = [_find(norm, names) for names in COORDINATE_NAMES]
    if None in xyz:
        missing = "xyz"[xyz.index(None)]
        raise CsvPointsError(
            f"{path}: no {missing} coordinate column (such as {missing}, Points:"
            f"{'xyz'.index(missing)} or {missing}-coordinate); its columns: {', '.join(cols)}"
        )
    wanted = (normalise(field),) if field else TEMPERATURE_NAMES
    t = next((i for w in wanted for i, n in enumerate(norm) if n == w), None)
    if t is None:
        raise CsvPointsError(
            f"{path}: no temperature column ({field or ', '.join(TEMPERATURE_NAMES)}); its "
            f"columns: {', '.join(cols)}"
        )
    vel = None
    for names in VELOCITY_NAMES:
        found = [_find(norm, (n,)) for n in names]
        if None not in found:
            vel = found
            break
    others = tuple(cols[i] for i, n in enumerate(norm) if n in TEMPERATURE_NAMES and i != t)
    return xyz, t, vel, cols[t], others


def read_csv_points(path: str | Path, field: str | None = None) -> dict:
    """The table's points (N, 3), temperatures (N,) and velocities (N, 3) or None, the
    temperature column's name and the other temperature columns' names."""
    path = Path(path)
    header_line, cols, delim = _header(path)
    xyz, t, vel, name, others = _columns(path, cols, field)
    use = xyz + [t] + (vel or [])
    factors = _factors(path, cols, use)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no data": said below
            data = np.loadtxt(
                path,
                delimiter=delim,
                skiprows=header_line,
                usecols=use,
                ndmin=2,
                comments="#",
                quotechar='"',
                # the numbers are ASCII; any byte decodes, so a header or a text column
                # in another code page (a Windows tool's "Temperature (°C)") reads too
                encoding="latin-1",
            )
    except ValueError as e:
        why = _first_bad(path, header_line, delim, use, cols) or str(e)
        raise CsvPointsError(f"{path}: {why}") from None
    if len(data) == 0:
        raise CsvPointsError(f"{path}: no data rows after its header (line {header_line})")
    ragged = _ragged(path, header_line, delim, len(cols))
    if ragged:
        raise CsvPointsError(f"{path}: {ragged}")
    scale, offset = np.array(factors).T
    data = data * scale + offset  # x * 1.0 + 0.0 is x: a table in SI units reads as written
    velocity = data[:, 4:7] if vel else None
    return {
        "points_m": data[:, :3],
        "temp": data[:, 3],
        "velocity_ms": velocity,
        "name": name,
        "others": others,
    }


def _row(line: str, delim: str | None) -> list[str]:
    """One line's cells (ValueError for a line the csv module cannot split, such as a
    carriage return inside it)."""
    try:
        row = next(csv.reader([line.strip()], delimiter=delim or " ", skipinitialspace=True))
    except csv.Error as e:
        why = "a carriage return inside it" if "\r" in line.strip() else str(e)
        raise ValueError(f"not a table row ({why})") from None
    return row if delim else [c for c in row if c]


def _first_bad(path: Path, header_line: int, delim: str | None, use: list[int], cols) -> str:
    """Where the table stops being numbers: the first data line with another count of
    columns than its header, or a value in a column read that is not a number ('' when none
    is found)."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            line = _text(raw)
            if number <= header_line or not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                row = _cells(line, delim)
            except ValueError as e:
                return f"line {number}: {e}"
            if len(row) != len(cols):
                return f"line {number} has {len(row)} columns, its header {len(cols)}"
            for i in use:
                try:  # as numpy reads numbers: ASCII, no '_' (Python's float takes both)
                    if "_" in row[i] or not row[i].isascii():
                        raise ValueError(row[i])
                    float(row[i])
                except ValueError:
                    return f"line {number}, column {cols[i]!r}: {row[i]!r} is not a number"
    return ""


#: A line up to its comment: a '#' outside double quotes starts one, as numpy reads it.
_UNCOMMENTED = re.compile(r'(?:[^"#]|"[^"]*(?:"|$))*')


def _cells(line: str, delim: str | None) -> list[str]:
    """A data line's cells as numpy's reader splits them: its comment dropped, and split
    at any run of spaces or tabs when the table has no delimiter."""
    line = _UNCOMMENTED.match(line).group(0)
    if delim is None and '"' not in line:
        return line.split()
    return _row(line, delim)


def _ragged(path: Path, header_line: int, delim: str | None, n_cols: int) -> str:
    """The first data line whose count of columns is not the header's (numpy's reader, told
    which columns to read, ignores a column more and one fewer past them), or ''. Why
    vectorised: a million-row table is checked in a tenth of its read; only the lines the
    count flags, and those with a quote or a comment, are split one by one."""
    with path.open("rb") as f:
        for _ in range(header_line):
            f.readline()
        for i, raw in _suspect_lines(f, delim, n_cols):
            line = _text(raw)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            number = header_line + 1 + i
            try:
                n = len(_cells(line, delim))
            except ValueError as e:
                return f"line {number}: {e}"
            if n != n_cols:
                return f"line {number} has {n} columns, its header {n_cols}"
    return ""


#: Bytes of a table checked at once (``_suspect_lines``): read and compared in pieces that
#: stay in the processor's cache, a million-row table is checked twice as fast.
_PIECE = 1 << 22


def _suspect_lines(f, delim: str | None, n_cols: int) -> Iterator[tuple[int, bytes]]:
    """(index, bytes) of the lines left in ``f`` whose count of columns may not be
    ``n_cols`` (``_flagged``), in order."""
    first = 0
    while piece := f.read(_PIECE):
        piece += f.readline()  # to the end of its last line
        flagged, newlines = _flagged(piece, delim, n_cols)
        if len(flagged):
            lines = piece.split(b"\n")
            yield from ((first + int(i), lines[i]) for i in flagged)
        first += newlines


#: Per delimiter, every byte but it and the newline (deleted: what is left, counted).
_NOT_DELIMITER = {d: bytes(b for b in range(256) if b not in (ord(d), 10)) for d in ",;\t"}


def _flagged(piece: bytes, delim: str | None, n_cols: int) -> tuple[np.ndarray, int]:
    """The indices of the lines of ``piece`` that its delimiters (or, without one, its runs
    of bytes other than blanks and control characters) do not give ``n_cols`` columns,
    blank and comment lines among them, and of those with a quote or a '#', which only
    splitting them can tell; and its count of newlines."""
    odd = b'"' in piece or b"#" in piece
    a = np.frombuffer(piece, np.uint8)
    if delim is not None:
        kept = piece.translate(None, _NOT_DELIMITER[delim])
        newlines = kept.count(b"\n")
        if not odd and kept == (delim.encode() * (n_cols - 1) + b"\n") * newlines:
            return np.zeros(0, int), newlines  # every line as wide as the header: the usual
        counts = np.diff(np.flatnonzero(np.frombuffer(kept + b"\n", np.uint8) == 10), prepend=-1)
    else:
        gap = a < 33  # a blank (space, tab, carriage return, newline) or a control character
        starts = np.flatnonzero(gap[:-1] > gap[1:]) + 1  # a field's first byte
        if len(a) and not gap[0]:
            starts = np.insert(starts, 0, 0)
        ends = np.flatnonzero(a == 10)
        newlines = len(ends)
        counts = np.diff(np.searchsorted(starts, np.append(ends, len(a))), prepend=0)
    flagged = counts != n_cols  # one more than newlines: the text after the last
    flagged[-1] &= not piece.endswith(b"\n")
    if odd:
        ends = np.append(np.flatnonzero(a == 10), len(a))
        flagged[np.searchsorted(ends, np.flatnonzero((a == 34) | (a == 35)))] = True
    return np.flatnonzero(flagged), newlines
