"""Rack-list rows to ``twin-layout/1`` data: racks placed by row and position, rows paired
front to front across cold aisles, every feed named in the list made a PDU.

Placement when the list gives ``row`` and ``position`` (not ``x``/``y``): positions are
1-based slots along x, one rack width apart; the rows of a hall, in the order they first
appear, pair up front to front: the first of a pair faces +y, the second -y, with a cold
aisle of ``cold_aisle_m`` between them and a hot aisle of ``hot_aisle_m`` before the next
pair. The hall is sized to hold it all with ``margin_m`` of floor around, rounded up to
whole floor tiles. Cooling is left for the designer to add in the editor.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from twin.api import LAYOUT_FORMAT, Catalog, InputError
from twin_racklist.table import Table

DEFAULT_RACK_TYPE = "rack-600x1200-48u"
DEFAULT_PDU_TYPE = "pdu-300kva"
DEFAULT_HALL = "HALL-1"

_SERVER = re.compile(r"^(?:(\d+)\s*[x×*]\s*)?([A-Za-z0-9][A-Za-z0-9._-]*?)(?:\s*[x×*]\s*(\d+))?$")


@dataclass(frozen=True)
class Geometry:
    """Aisle and margin sizes for placing racks by row and position."""

    cold_aisle_m: float = 1.8
    hot_aisle_m: float = 1.2
    margin_m: float = 3.0
    tile_m: float = 0.6
    height_m: float = 4.0


@dataclass
class _Rack:
    line: int
    id: str
    row: str
    hall: str
    type: str
    position: int | None
    xy: tuple[float, float] | None
    rotation_deg: float | None
    servers: list[dict]
    feeds: tuple[str | None, str | None]
    power_kw: float | None


def _number(table: Table, line: int, column: str, text: str, kind=float):
    """A cell as a finite number (``inf``, ``1e400`` and ``nan`` are refused by name, before
    ``int()`` could overflow on them)."""
    try:
        value = float(text)
    except ValueError:
        raise table.error(line, column, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise table.error(line, column, f"{text!r} is not a finite number")
    if kind is int:
        if not value.is_integer():
            raise table.error(line, column, f"{text!r} is not a whole number")
        return int(value)
    return value


#: The largest aisle, margin or hall height an option may give: far beyond any hall, and small
#: enough that sums of them stay finite (the layout's own limits then say what is too big).
MAX_OPTION_M = 1000.0


def geometry_from_options(path: Path, **options: object) -> Geometry:
    """``Geometry`` from importer options (text from ``--option``, or numbers), each checked
    and, when bad, named: ``racks.csv: option margin_m: 'abc' is not a number``."""
    values = {}
    for name, given in options.items():
        where = f"option {name}"
        try:
            value = float(given)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise InputError(path, None, where, f"{given!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(path, None, where, f"{given!r} is not a finite number")
        low = 0.0 if name != "height_m" else math.ulp(0.0)
        if not low <= value <= MAX_OPTION_M:
            raise InputError(
                path, None, where, f"{value:g} m is not between 0 and {MAX_OPTION_M:g} m"
            )
        values[name] = value
    return Geometry(**values)


def _servers(table: Table, line: int, text: str, catalog: Catalog) -> list[dict]:
    """``4x dgx-h100``, ``dgx-h100*4``, ``2x hgx-h100-8gpu + network-switch-1u``."""
    out = []
    for part in re.split(r"[+;,]", text):
        part = part.strip()
        if not part:
            continue
        m = _SERVER.match(part)
        if m is None:
            raise table.error(line, "servers", f"cannot read {part!r}; write e.g. '4x dgx-h100'")
        count = int(m.group(1) or m.group(3) or 1)
        kind = m.group(2)
        item = catalog.get(kind)
        if item is None or item.kind != "server":
            known = ", ".join(i.id for i in catalog.of_kind("server"))
            raise table.error(line, "servers", f"unknown server type {kind!r}; known: {known}")
        if not 1 <= count <= 64:
            raise table.error(line, "servers", f"{count} servers of one type (1-64)")
        out.append({"type": kind, "count": count})
    return out


def _feeds(table: Table, line: int, values: dict[str, str]) -> tuple[str | None, str | None]:
    if "feeds" in values:
        parts = [p for p in re.split(r"[\s/,;|]+", values["feeds"]) if p]
        if len(parts) > 2:
            raise table.error(
                line, "feeds", f"{values['feeds']!r} names {len(parts)} feeds; a rack has A and B"
            )
        parts += [None] * (2 - len(parts))
        return parts[0], parts[1]
    return values.get("feed_a"), values.get("feed_b")


def read_racks(table: Table, catalog: Catalog, default_rack_type: str) -> list[_Rack]:
    """Every row of the list as a rack; the first bad cell is raised at its line and column."""
    reader = _RackReader(table, catalog, default_rack_type)
    racks = [reader.rack(line, values) for line, values in table.rows]
    if not racks:
        raise table.error(table.header_line, "rack", "the list has no racks")
    return racks


class _RackReader:
    """One row at a time into a ``_Rack``, remembering the rack ids and slots already named so
    that a repeat is refused at its own line, naming the line it repeats. The checks run in
    a fixed order (id, row, type, place, load, then the numbers), so a row with several bad
    cells is always reported at the same one."""

    def __init__(self, table: Table, catalog: Catalog, default_rack_type: str):
        self.table, self.catalog, self.default_rack_type = table, catalog, default_rack_type
        self.seen: dict[str, int] = {}  # rack id -> line
        self.slots: dict[tuple[str, str, int], int] = {}  # (hall, row, position) -> line

    def rack(self, line: int, v: dict[str, str]) -> _Rack:
        """The rack one row of the list describes."""
        table = self.table
        rid = self._new_id(line, v)
        if "row" not in v:
            raise table.error(line, "row", f"rack {rid!r} has no row")
        rtype = self._rack_type(line, v)
        has_xy = self._has_xy(line, v)
        position = None if has_xy else self._free_position(line, v, rid)
        servers, power_kw = self._load(line, v)
        return _Rack(
            line=line,
            id=rid,
            row=v["row"],
            hall=v.get("hall", DEFAULT_HALL),
            type=rtype,
            position=position,
            xy=(
                (_number(table, line, "x_m", v["x_m"]), _number(table, line, "y_m", v["y_m"]))
                if has_xy
                else None
            ),
            rotation_deg=(
                _number(table, line, "rotation_deg", v["rotation_deg"])
                if "rotation_deg" in v
                else None
            ),
            servers=servers,
            feeds=_feeds(table, line, v),
            power_kw=power_kw,
        )

    def _new_id(self, line: int, v: dict[str, str]) -> str:
        """The row's rack id, refused when missing or already listed."""
        rid = v.get("rack")
        if rid is None:
            raise self.table.error(line, "rack", "no rack id")
        if rid in self.seen:
            raise self.table.error(
                line, "rack", f"rack {rid!r} is listed twice (also line {self.seen[rid]})"
            )
        self.seen[rid] = line
        return rid

    def _rack_type(self, line: int, v: dict[str, str]) -> str:
        """The row's rack type (the default when the cell is empty), which the catalog must
        know as a rack."""
        rtype = v.get("type", self.default_rack_type)
        item = self.catalog.get(rtype)
        if item is None or item.kind != "rack":
            known = ", ".join(i.id for i in self.catalog.of_kind("rack"))
            raise self.table.error(line, "type", f"unknown rack type {rtype!r}; known: {known}")
        return rtype

    def _has_xy(self, line: int, v: dict[str, str]) -> bool:
        """Whether the row places its rack by x and y; half a pair is refused."""
        has_xy = "x_m" in v or "y_m" in v
        if has_xy and not ("x_m" in v and "y_m" in v):
            raise self.table.error(
                line, "x_m" if "x_m" not in v else "y_m", "give both x and y, or neither"
            )
        return has_xy

    def _free_position(self, line: int, v: dict[str, str], rid: str) -> int:
        """The row's slot along its row: a whole number from 1, not taken by an earlier rack
        of the same row and hall."""
        table = self.table
        if "position" not in v:
            raise table.error(line, "position", f"rack {rid!r} has neither a position nor x/y")
        position = _number(table, line, "position", v["position"], int)
        if position < 1:
            raise table.error(line, "position", f"positions count from 1, got {position}")
        key = (v.get("hall", DEFAULT_HALL), v["row"], position)
        if key in self.slots:
            raise table.error(
                line,
                "position",
                f"row {v['row']} position {position} is taken (line {self.slots[key]})",
            )
        self.slots[key] = line
        return position

    def _load(self, line: int, v: dict[str, str]) -> tuple[list[dict], float | None]:
        """(servers, design power in kW): a rack's load comes from one or the other."""
        table = self.table
        servers = _servers(table, line, v["servers"], self.catalog) if "servers" in v else []
        power_kw = _number(table, line, "power_kw", v["power_kw"]) if "power_kw" in v else None
        if servers and power_kw is not None:
            raise table.error(line, "power_kw", "give servers or a power figure, not both")
        return servers, power_kw


def _ceil_tiles(x: float, tile: float) -> float:
    """``x`` up to whole tiles; a size too big for that is left as it is for the layout's
    limits to refuse (``math.ceil`` of infinity raises)."""
    tiles = x / tile - 1e-9
    if not math.isfinite(tiles):
        return x
    return round(math.ceil(tiles) * tile, 3)


#: A rack where it stands: (rack, x, y, rotation in degrees), x and y unrounded.
_Placed = tuple[_Rack, float, float, float]


def build_layout(
    racks: list[_Rack],
    catalog: Catalog,
    name: str,
    geometry: Geometry = Geometry(),
    pdu_type: str = DEFAULT_PDU_TYPE,
) -> dict:
    """The ``twin-layout/1`` data for the racks (see the module docstring for placement)."""
    doc: dict = {"format": LAYOUT_FORMAT, "name": name, "halls": [], "rows": [], "power": []}
    for hall, rows in _rows_by_hall(racks).items():
        in_hall = [r for r in racks if r.hall == hall]
        placed = _place_hall(in_hall, rows, catalog, geometry)
        for row, members in placed.items():
            out = [_rack_data(r, round(x, 3), round(y, 3), rot) for r, x, y, rot in members]
            doc["rows"].append({"id": row, "hall": hall, "racks": out})
        doc["halls"].append(_hall_data(hall, placed, catalog, geometry))
        doc["power"] += [{"id": f, "type": pdu_type, "hall": hall} for f in _feed_ids(in_hall)]
    if not doc["power"]:
        del doc["power"]
    return doc


def _rows_by_hall(racks: list[_Rack]) -> dict[str, list[str]]:
    """Each hall's rows, halls and rows in the order the list first names them: that order
    pairs the rows up."""
    halls: dict[str, list[str]] = {}
    for r in racks:
        rows = halls.setdefault(r.hall, [])
        if r.row not in rows:
            rows.append(r.row)
    return halls


def _place_hall(
    in_hall: list[_Rack], rows: list[str], catalog: Catalog, g: Geometry
) -> dict[str, list[_Placed]]:
    """Each row of one hall with its racks where they stand, in slot order (then list order)."""
    depth = max(catalog[r.type].size_m[1] for r in in_hall)
    placed: dict[str, list[_Placed]] = {}
    for k, row in enumerate(rows):
        y, rotation = _row_line(k, depth, g)
        members = [r for r in in_hall if r.row == row]
        width = max(catalog[r.type].size_m[0] for r in members)
        placed[row] = [
            _place(r, width, y, rotation, g)
            for r in sorted(members, key=lambda r: (r.position or 0, r.line))
        ]
    return placed


def _row_line(k: int, depth: float, g: Geometry) -> tuple[float, float]:
    """(y of the rack centres, rotation) of a hall's row ``k``: rows pair up front to front,
    the first of a pair facing +y, the second -y beyond the cold aisle, each pair one hot
    aisle after the one before."""
    pitch_y = 2 * depth + g.cold_aisle_m + g.hot_aisle_m
    pair, side = divmod(k, 2)
    y0 = g.margin_m + pair * pitch_y
    if side == 0:
        return y0 + depth / 2, 180.0
    return y0 + 1.5 * depth + g.cold_aisle_m, 0.0


def _place(r: _Rack, width: float, y: float, rotation: float, g: Geometry) -> _Placed:
    """Where a rack stands: its own x and y if the list gives them, else its slot along the
    row (slots ``width`` apart); its own rotation if given, else the row's."""
    if r.xy is not None:
        x, yy = r.xy
    else:
        x, yy = g.margin_m + (r.position - 0.5) * width, y
    return r, x, yy, r.rotation_deg if r.rotation_deg is not None else rotation


def _hall_data(hall: str, placed: dict[str, list[_Placed]], catalog: Catalog, g: Geometry) -> dict:
    """A hall big enough for every rack in it, however turned, with the margin around,
    in whole tiles."""
    extent_x, extent_y = 0.0, 0.0
    for members in placed.values():
        for r, x, y, _ in members:
            w, d = catalog[r.type].size_m[:2]
            extent_x = max(extent_x, x + max(w, d) / 2)
            extent_y = max(extent_y, y + max(w, d) / 2)
    return {
        "id": hall,
        "size_m": [
            _ceil_tiles(extent_x + g.margin_m, g.tile_m),
            _ceil_tiles(extent_y + g.margin_m, g.tile_m),
            g.height_m,
        ],
        "tile_m": g.tile_m,
    }


def _feed_ids(in_hall: list[_Rack]) -> list[str]:
    """The feeds a hall's racks name, each once, in the order first named."""
    feeds: list[str] = []
    for r in in_hall:
        feeds += [f for f in r.feeds if f and f not in feeds]
    return feeds


def _rack_data(r: _Rack, x: float, y: float, rotation: float) -> dict:
    data: dict = {"id": r.id, "type": r.type, "position_m": [x, y], "rotation_deg": rotation}
    if r.servers:
        data["servers"] = r.servers
    if r.power_kw is not None:
        data["load"] = {"power_kw": r.power_kw, "delta_t_k": 12.0}
    feeds = {k: f for k, f in zip(("a", "b"), r.feeds, strict=True) if f}
    if feeds:
        data["feeds"] = feeds
    return data
