"""Where each item of an imported layout came from. The layout's own validation finds some
problems only a layout can have (an id with a space, a rack 60 km along its row, two racks on
one spot) and reports them at a field of the generated YAML (``rows[0].racks[3].id``, line 11),
which nobody sees: here each is placed back at the rack list's line and column, saying what
is wrong in the list's terms."""

from __future__ import annotations

import re
from typing import Any

from twin.api import Problem
from twin_racklist.layout import Geometry, _Rack
from twin_racklist.table import Table

_ITEM = re.compile(r"^(halls|rows|power)\[(\d+)\](?:\.racks\[(\d+)\])?\.?(.*)$")
_PATTERN = re.compile(r"^String should match pattern '\^(\[.*\])\+\$'$")
_RACK_FIELDS = {
    "type": "type",
    "rotation_deg": "rotation_deg",
    "servers": "servers",
    "load": "power_kw",
}

Place = tuple[int | None, str, str]  # (line, column, message)


def value_at(data: Any, field: str) -> Any:
    """The value at a field path (``rows[0].racks[1].position_m[0]``), or None."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", field):
        try:
            data = data[int(index)] if index else data[name]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def id_message(kind: str, value: Any, message: str) -> str:
    """``String should match pattern '^[A-Za-z0-9_.:/+\\-]+$'`` said of ``'A 01'`` as what
    is wrong with it: which characters, what an id may hold, and a spelling that would do."""
    m = _PATTERN.match(message)
    if m is None or not isinstance(value, str):
        return f"{kind} {_short(value)}: {message}"
    allowed = m.group(1)
    bad = [c for c in dict.fromkeys(value) if not re.fullmatch(allowed, c)]
    if not bad:
        return f"{kind} {_short(value)}: {message}"
    names = ["a space" if c == " " else repr(c) for c in bad]
    said = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    inside = allowed[1:-1].replace("A-Za-z0-9", "")
    rule = " ".join(re.sub(r"\\(.)", r"\1", inside))
    text = f"{kind} {_short(value)} holds {said}, which an id may not (letters, digits and {rule})"
    fixed = re.sub(f"[^{allowed[1:-1]}]+", "-", value).strip("-")
    return text + (f"; e.g. {fixed!r}" if fixed and re.fullmatch(f"{allowed}+", fixed) else "")


class Origins:
    """The rack list behind one imported layout: ``place`` maps a validation problem back to
    the line and column of the rack it concerns."""

    def __init__(self, table: Table, racks: list[_Rack], data: dict, geometry: Geometry):
        self.table, self.data, self.geometry = table, data, geometry
        self.by_id = {r.id: r for r in racks}
        self.racks = racks
        self._consequence = False  # set by place(): a problem that follows from another

    def problems(self, problems: list[Problem]) -> list[Problem]:
        """The problems placed in the rack list, in the list's order; repeats (a bad hall id
        is found at the hall and at each row in it) said once, and a hall too big left out
        where the rack that made it so is itself refused (too far along its row)."""
        placed: dict[tuple[int | None, str, str], Problem] = {}
        consequences: set[tuple[int | None, str, str]] = set()
        for p in problems:
            self._consequence = False
            line, column, message = (
                self.place(p.field, p.message) if p.field else (None, "", p.message)
            )
            heading = self.table.headings.get(column, column)
            key = (line, heading, message)
            placed.setdefault(
                key, Problem(message, heading, line, str(self.table.path), p.severity)
            )
            if self._consequence:
                consequences.add(key)
        causes = {key[:2] for key in placed if key not in consequences}
        kept = [p for key, p in placed.items() if key not in consequences or key[:2] not in causes]
        return sorted(kept, key=lambda p: (p.line is None, p.line or 0))

    def place(self, field: str, message: str) -> Place:
        """(line, column, message) of a problem the validation found at ``field``."""
        m = _ITEM.match(field)
        if m is None:
            if field == "name":
                return (
                    None,
                    "option name",
                    id_message("layout name", self.data.get("name"), message),
                )
            return None, field, message
        section, i, j, rest = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        item = value_at(self.data, f"{section}[{i}]") or {}
        if section == "rows" and j is not None:
            rack = value_at(item, f"racks[{j}]") or {}
            return self._rack(self.by_id.get(rack.get("id")), rest, message)
        if section == "rows":
            return self._row(item, rest, message)
        if section == "halls":
            return self._hall(item, rest, message)
        return self._feed(item, rest, message)

    def _rack(self, rack: _Rack | None, rest: str, message: str) -> Place:
        if rack is None:
            return None, "rack", message
        key = re.split(r"[.\[]", rest, maxsplit=1)[0]
        if key == "id":
            return rack.line, "rack", id_message("rack id", rack.id, message)
        if key == "feeds":
            return self._feed_of(rack, "b" if rest.startswith("feeds.b") else "a", message)
        if key in _RACK_FIELDS:
            return rack.line, _RACK_FIELDS[key], f"rack {rack.id}: {message}"
        axis = {"[0]": 0, "[1]": 1}.get(rest[len("position_m") :]) if key == "position_m" else None
        if rack.xy is not None:
            return rack.line, "y_m" if axis == 1 else "x_m", f"rack {rack.id}: {message}"
        if axis is None:
            return rack.line, "position", f"rack {rack.id}: {message}"
        at = value_at(self._rack_data(rack.id), f"position_m[{axis}]")
        return (
            rack.line,
            "position",
            f"rack {rack.id} would stand at {'xy'[axis]} = {at:g} m (placed by its row and "
            f"position): {message}",
        )

    def _row(self, row: dict, rest: str, message: str) -> Place:
        lines = [r.line for r in self.racks if r.row == row.get("id")]
        line = min(lines) if lines else None
        if rest == "id":
            return line, "row", id_message("row id", row.get("id"), message)
        if rest == "hall":
            return line, "hall", id_message("hall id", row.get("hall"), message)
        return line, "row", f"row {row.get('id')}: {message}"

    def _hall(self, hall: dict, rest: str, message: str) -> Place:
        hid = hall.get("id")
        lines = [r.line for r in self.racks if r.hall == hid]
        line = min(lines) if lines else None
        if rest == "id":
            return line, "hall", id_message("hall id", hid, message)
        if rest == "size_m[2]":
            return None, "option height_m", f"hall {hid} height: {message}"
        axis = {"size_m[0]": 0, "size_m[1]": 1}.get(rest)
        if axis is None:
            return line, "hall", f"hall {hid}: {message}"
        return self._hall_size(hall, axis, message)

    def _hall_size(self, hall: dict, axis: int, message: str) -> Place:
        """A hall too big: at the rack that reaches farthest, which made it so."""
        hid, size = hall.get("id"), value_at(hall, f"size_m[{axis}]")
        racks = [
            (value_at(rack, f"position_m[{axis}]"), rack.get("id"))
            for row in self.data.get("rows", [])
            if row.get("hall") == hid
            for rack in row.get("racks", [])
        ]
        at, rid = max(racks, key=lambda r: r[0]) if racks else (0.0, None)
        rack = self.by_id.get(rid)
        if rack is None:
            return None, "hall", f"hall {hid}: {message}"
        column = "position" if rack.xy is None else ("x_m", "y_m")[axis]
        self._consequence = True
        return (
            rack.line,
            column,
            f"hall {hid} would be {size:g} m {('wide', 'deep')[axis]} (rack {rid} at "
            f"{'xy'[axis]} = {at:g} m plus {self.geometry.margin_m:g} m margin): {message}",
        )

    def _feed(self, device: dict, rest: str, message: str) -> Place:
        fid = device.get("id")
        if rest == "type":
            return None, "option pdu_type", message  # said once, not once per feed
        for rack in self.racks:
            for side, feed in zip("ab", rack.feeds, strict=True):
                if feed == fid:
                    return self._feed_of(rack, side, message)
        return None, "feeds", f"feed {fid}: {message}"

    def _feed_of(self, rack: _Rack, side: str, message: str) -> Place:
        feed = rack.feeds[0 if side == "a" else 1]
        column = "feeds" if "feeds" in self.table.headings else f"feed_{side}"
        return rack.line, column, id_message("feed id", feed, message)

    def _rack_data(self, rid: str) -> dict:
        for row in self.data.get("rows", []):
            for rack in row.get("racks", []):
                if rack.get("id") == rid:
                    return rack
        return {}
