"""Load a layout file: parse, validate, check references and geometry, then build the Facility.

All or nothing: any error raises ``LayoutError`` (and only that) with every problem found, each
naming the file, line and field; no partly built facility escapes.
"""

from __future__ import annotations

import stat
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from twin.model.catalog import Catalog, shipped_catalog
from twin.model.errors import LayoutError, Problem, field_path
from twin.model.facility import Facility
from twin.model.geometry import footprints, outside, overlapping_pairs
from twin.model.limits import MAX_LAYOUT_BYTES, MAX_YAML_NODES
from twin.model.sanity import (
    check_host_names,
    check_placement,
    check_plant_physics,
    check_totals,
    count_nodes,
)
from twin.model.schema import FORMAT, Layout, Row
from twin.model.yamlpos import Fallback, gc_paused, lines_of, load_fast
from twin.model.yamlsplit import load_with_lines_parallel

Loc = tuple
#: Lines of many field paths at once (``yamlpos.lines_of`` for one text).
Placer = Callable[[list[tuple]], list[int | None]]
#: Problems placed and reported at most; the rest are counted.
MAX_PROBLEMS = 200


def parse_layout(text: str, path: str | Path | None = None) -> Layout:
    """Text to a schema-valid ``Layout`` (no cross-reference checks yet)."""
    return parse_layout_placed(text, path)[0]


def _load_yaml(text: str) -> tuple[Any, Placer, int | None, _RowsAhead]:
    """The data, where its fields stand, its value count when known without aliases, and
    rows validated while other processes read the rest of a big text.

    The lean one-pass loader covers what layouts use (a big text's parts read in parallel);
    aliases, tags and the like go through PyYAML's own constructor, and their lines through a
    second pass over the text."""
    ahead = _RowsAhead()
    try:
        data, lines, nodes = load_with_lines_parallel(text, meanwhile=ahead.validate)
        return data, lines.lines_of, nodes, ahead
    except Fallback:
        return load_fast(text), partial(lines_of, text), None, _RowsAhead()


class _RowsAhead:
    """The first part's rows, validated while the other parts of a big text are still being
    read: the layout's validation takes a valid ``Row`` as it is (the model it would make of
    the same data), so it then validates only the rest. A row that fails stays as read, for
    the layout's validation to report and place its problems as always."""

    def __init__(self) -> None:
        self.source: list | None = None
        self.rows: list = []

    def validate(self, data: Any) -> None:
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            return
        self.source, self.rows = rows, []
        for row in rows:
            try:
                self.rows.append(Row.model_validate(row))
            except (ValidationError, RecursionError):
                self.rows.append(row)

    def merged(self, data: Any) -> Any:
        """``data`` with the rows validated ahead in place of their raw form (a copy)."""
        if not self.rows or not isinstance(data, dict) or data.get("rows") is not self.source:
            return data
        return {**data, "rows": self.rows + data["rows"][len(self.rows) :]}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """``gc_paused``; a ``LayoutError`` leaves it with the frames it came through cleared, so
    the data they held (millions of values for a big file) is freed by reference counting
    before the collector resumes, instead of walked by its first collection."""
    with gc_paused():
        try:
            yield
        except LayoutError as exc:
            traceback.clear_frames(exc.__traceback__)
            raise


def parse_layout_placed(text: str, path: str | Path | None = None) -> tuple[Layout, Placer]:
    """``parse_layout``, and where each field of the text stands (for later problems)."""
    with _collector_paused():
        return _parse_placed(text, path)


def _parse_placed(text: str, path: str | Path | None) -> tuple[Layout, Placer]:
    name = str(path) if path is not None else "<layout>"
    if len(text) > MAX_LAYOUT_BYTES:
        msg = f"file too large: {len(text):,} characters (at most {MAX_LAYOUT_BYTES:,})"
        raise LayoutError([Problem(msg, "", None, name)], path)
    try:
        data, place, nodes, ahead = _load_yaml(text)
    except RecursionError:
        raise LayoutError([Problem("YAML nested too deeply", "", None, name)], path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = (
            "YAML error"
            if isinstance(exc, yaml.constructor.ConstructorError)
            else "YAML syntax error"
        )
        msg = f"{what}: {getattr(exc, 'problem', None) or exc}"
        raise LayoutError([Problem(msg, "", line, name)], path) from None
    if not isinstance(data, dict):
        raise LayoutError(
            [Problem("the file must hold a mapping (key: value) at the top", "", 1, name)], path
        )
    fmt = data.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("twin-layout/"):
            msg = f"format {fmt!r} is not supported by this version of Twin (it reads {FORMAT!r})"
        else:
            msg = f"not a Twin layout: 'format' must be {FORMAT!r}"
        raise LayoutError([Problem(msg, "format", place([("format",)])[0], name)], path)
    # a layout has about one value per 7 characters; aliases (*name) may repeat some, but a
    # few hundred bytes that expand to millions of racks are an attack, not a hall
    budget = min(MAX_YAML_NODES, 100_000 + len(text))
    if (nodes if nodes is not None else count_nodes(data, budget)) > budget:
        msg = (
            f"too many items: more than {budget:,} values once YAML aliases (*name) are "
            f"expanded, in {len(text):,} characters (the limit of a layout)"
        )
        raise LayoutError([Problem(msg, "", None, name)], path)
    try:
        return Layout.model_validate(ahead.merged(data)), place
    except RecursionError:
        raise LayoutError([Problem("YAML nested too deeply", "", None, name)], path) from None
    except ValidationError as exc:
        raise LayoutError(_schema_problems(exc, place, name), path) from None


def _schema_problems(exc: ValidationError, place: Placer, name: str) -> list[Problem]:
    errs = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errs]
    # discriminated unions put the tag in the path; drop it from what we show and place
    shown = [tuple(p for k, p in enumerate(loc) if not _is_kind_tag(loc, k)) for loc in locs]
    problems = []
    for e, loc, where, line in zip(errs, locs, shown, place(shown), strict=True):
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}"
        problems.append(Problem(msg, field_path(where), line, name))
    return problems


def _is_kind_tag(loc: tuple, k: int) -> bool:
    """Whether ``loc[k]`` is the tag pydantic puts after ``catalog[i]`` for the item's kind
    (``chiller`` is also a plant's field, so only that position counts)."""
    return k >= 2 and loc[k - 2] == "catalog" and isinstance(loc[k - 1], int) and loc[k] in _KINDS


_KINDS = {
    "gpu",
    "server",
    "rack",
    "air_unit",
    "cdu",
    "utility",
    "switchgear",
    "transformer",
    "ups",
    "pdu",
    "rpp",
    "busway",
    "chiller",
    "dry_cooler",
    "cooling_tower",
}


def check_references(layout: Layout, catalog: Catalog) -> list[tuple[Loc, str]]:
    """Ids unique, references resolvable, types of the right kind, servers fit their racks."""
    check = _References(layout, catalog)
    check.rows()
    check.power()
    check.cooling_and_sensors()
    return check.out + _check_energy(layout, catalog) + check_plant_physics(layout)


class _References:
    """One pass over a layout's ids and references, collecting (location, message) problems."""

    def __init__(self, layout: Layout, catalog: Catalog) -> None:
        self.layout, self.catalog = layout, catalog
        self.out: list[tuple[Loc, str]] = []
        self.seen: dict[str, Loc] = {}
        self.hosts: dict[str, Loc] = {}
        self.halls: set[str] = set()
        for i, h in enumerate(layout.halls):
            self.unique(h.id, ("halls", i))
            self.halls.add(h.id)
        self.power_ids = {d.id for d in layout.power}
        self.cdu_ids = {c.id for c in layout.cooling.cdus}
        # what is wrong with a type (None: nothing), once per type: 140,000 racks share a few
        self._type_problems: dict[tuple[str, tuple[str, ...]], str | None] = {}
        self._server_types: dict[str, tuple[str | None, str | None, int, int]] = {}

    def unique(self, item_id: str, loc: Loc) -> None:
        if item_id in self.seen:
            first = field_path(self.seen[item_id])
            self.out.append((loc + ("id",), f"duplicate id {item_id!r} (first used at {first})"))
        else:
            self.seen[item_id] = loc

    def typed(self, type_id: str, kinds: tuple[str, ...], loc: Loc) -> bool:
        problem = self.type_problem(type_id, kinds)
        if problem is not None:
            self.out.append((loc + ("type",), problem))
        return problem is None

    def type_problem(self, type_id: str, kinds: tuple[str, ...]) -> str | None:
        key = (type_id, kinds)
        if key not in self._type_problems:
            item = self.catalog.get(type_id)
            problem = None
            if item is None:
                problem = f"unknown type {type_id!r}: not in the catalog"
            elif item.kind not in kinds:
                problem = f"type {type_id!r} is a {item.kind}, expected {' or '.join(kinds)}"
            self._type_problems[key] = problem
        return self._type_problems[key]

    def in_hall(self, hall: str, loc: Loc) -> None:
        if hall not in self.halls:
            self.out.append((loc + ("hall",), f"unknown hall {hall!r}"))

    # ------------------------------------------------------------------ rows and racks
    def rows(self) -> None:
        for ri, row in enumerate(self.layout.rows):
            rloc = ("rows", ri)
            self.unique(row.id, rloc)
            self.in_hall(row.hall, rloc)
            for k, rack in enumerate(row.racks):
                self.rack(rack, rloc + ("racks", k))

    def rack(self, rack, loc: Loc) -> None:
        self.unique(rack.id, loc)
        rack_ok = self.typed(rack.type, ("rack",), loc)
        used_u = 0
        for si, grp in enumerate(rack.servers):
            used_u += self.server_group(grp, loc, si)
        if rack_ok and used_u > self.catalog[rack.type].u:
            have = self.catalog[rack.type].u
            self.out.append(
                (loc + ("servers",), f"servers need {used_u}U, rack {rack.type!r} has {have}U")
            )
        if rack.servers and rack.load is not None:
            self.out.append((loc + ("load",), "give either servers or load, not both"))
        for side in ("a", "b"):
            ref = getattr(rack.feeds, side)
            if ref is not None and ref not in self.power_ids:
                self.out.append((loc + ("feeds", side), f"unknown power device {ref!r}"))
        if rack.cdu is not None and rack.cdu not in self.cdu_ids:
            self.out.append((loc + ("cdu",), f"unknown CDU {rack.cdu!r}"))

    def server_type(self, type_id: str) -> tuple[str | None, str | None, int, int]:
        """(what is wrong with it as a server type, with its GPU, its U, its hosts)."""
        if type_id not in self._server_types:
            problem, gpu_problem, u, hosts = self.type_problem(type_id, ("server",)), None, 0, 0
            if problem is None:
                st = self.catalog[type_id]
                if st.gpu and self.catalog.get(st.gpu) is None:
                    gpu_problem = f"server type {type_id!r} names unknown GPU {st.gpu!r}"
                u, hosts = st.u, st.hosts
            self._server_types[type_id] = (problem, gpu_problem, u, hosts)
        return self._server_types[type_id]

    def server_group(self, grp, rack_loc: Loc, si: int) -> int:
        """Check one server group; the rack units it takes (0 when its type is unknown)."""
        problem, gpu_problem, u, hosts = self.server_type(grp.type)
        if problem is not None or gpu_problem is not None:
            self.out.append((rack_loc + ("servers", si, "type"), problem or gpu_problem))
        if problem is not None:
            return 0
        if grp.hosts is not None:
            sloc = rack_loc + ("servers", si)
            want = grp.count * hosts
            if len(grp.hosts) != want:
                self.out.append(
                    (sloc + ("hosts",), f"{len(grp.hosts)} host names given, {want} needed")
                )
            for hn, hname in enumerate(grp.hosts):
                if hname in self.hosts:
                    first = field_path(self.hosts[hname])
                    self.out.append(
                        (sloc + ("hosts", hn), f"host {hname!r} already used at {first}")
                    )
                self.hosts[hname] = sloc + ("hosts", hn)
        return u * grp.count

    # ------------------------------------------------------------------ power
    def power(self) -> None:
        kinds = ("utility", "switchgear", "transformer", "ups", "pdu", "rpp", "busway")
        for i, d in enumerate(self.layout.power):
            loc = ("power", i)
            self.unique(d.id, loc)
            self.typed(d.type, kinds, loc)
            if d.upstream is not None and d.upstream not in self.power_ids:
                self.out.append((loc + ("upstream",), f"unknown power device {d.upstream!r}"))
            if d.hall is not None:
                self.in_hall(d.hall, loc)
        up = {d.id: d.upstream for d in self.layout.power}
        for i, d in enumerate(self.layout.power):
            cur, steps = d.upstream, 0
            while cur is not None and cur in up and steps <= len(up):
                if cur == d.id:
                    self.out.append(
                        (("power", i, "upstream"), f"power chain of {d.id!r} loops back on itself")
                    )
                    break
                cur, steps = up[cur], steps + 1

    # ------------------------------------------------------------------ cooling and sensors
    def cooling_and_sensors(self) -> None:
        cool = self.layout.cooling
        for name, items, kind in (
            ("air_units", cool.air_units, "air_unit"),
            ("cdus", cool.cdus, "cdu"),
        ):
            for i, u in enumerate(items):
                loc = ("cooling", name, i)
                self.unique(u.id, loc)
                self.typed(u.type, (kind,), loc)
                self.in_hall(u.hall, loc)
        for name in ("supplies", "returns", "containment"):
            for i, item in enumerate(getattr(cool, name)):
                loc = ("cooling", name, i)
                self.unique(item.id, loc)
                self.in_hall(item.hall, loc)
        for i, s in enumerate(self.layout.sensors):
            self.unique(s.id, ("sensors", i))
            self.in_hall(s.hall, ("sensors", i))


def _check_energy(layout: Layout, catalog: Catalog) -> list[tuple[Loc, str]]:
    """Plant types of the right kind, and every unit or hall a plant serves known."""
    out: list[tuple[Loc, str]] = []
    if layout.energy is None:
        return out
    cool = layout.cooling
    known = {u.id for u in cool.air_units} | {c.id for c in cool.cdus}
    known |= {h.id for h in layout.halls} | {"air", "liquid"}
    seen: set[str] = set()
    for i, plant in enumerate(layout.energy.plants):
        loc: Loc = ("energy", "plants", i)
        if plant.id in seen:
            out.append((loc + ("id",), f"duplicate plant id {plant.id!r}"))
        seen.add(plant.id)
        for name, kinds in (
            ("chiller", ("chiller",)),
            ("heat_rejection", ("dry_cooler", "cooling_tower")),
        ):
            ref = getattr(plant, name)
            item = catalog.get(ref) if ref else None
            if ref and item is None:
                out.append((loc + (name,), f"unknown type {ref!r}: not in the catalog"))
            elif item is not None and item.kind not in kinds:
                out.append(
                    (loc + (name,), f"type {ref!r} is a {item.kind}, expected {' or '.join(kinds)}")
                )
        for k, ref in enumerate(plant.serves):
            if ref not in known:
                out.append((loc + ("serves", k), f"unknown air unit, CDU or hall {ref!r}"))
    return out


def check_before_build(layout: Layout, catalog: Catalog) -> list[tuple[Loc, str]]:
    """What must hold before a ``Facility`` is built from ``layout``: references resolve and
    the totals (racks, hosts, GPUs) are within the limits, so nothing huge is allocated."""
    return check_references(layout, catalog) or check_totals(layout, catalog)


def _rack_locs(layout: Layout) -> list[Loc]:
    return [
        ("rows", ri, "racks", k)
        for ri, row in enumerate(layout.rows)
        for k in range(len(row.racks))
    ]


def check_geometry(fac: Facility) -> list[tuple[Loc, str]]:
    """Racks and units inside their hall, no two footprints overlapping, power within rating."""
    out: list[tuple[Loc, str]] = []
    locs = _rack_locs(fac.layout)
    corners = footprints(fac.rack_center_m[:, :2], fac.rack_size_m[:, :2], fac.rack_rotation_deg)
    hall_rect = np.concatenate(
        [np.zeros_like(fac.hall_size_m[:, :2]), fac.hall_size_m[:, :2]], axis=1
    )
    for r in np.flatnonzero(outside(corners, hall_rect[fac.rack_hall])):
        out.append(
            (
                locs[r] + ("position_m",),
                f"rack {fac.rack_ids[r]!r} lies outside hall {fac.hall_ids[fac.rack_hall[r]]!r}",
            )
        )
    too_tall = fac.rack_size_m[:, 2] > fac.hall_size_m[fac.rack_hall, 2]
    for r in np.flatnonzero(too_tall):
        out.append((locs[r] + ("type",), f"rack {fac.rack_ids[r]!r} is taller than its hall"))
    # units share the floor with racks
    unit_corners = [corners]
    unit_group = [fac.rack_hall]
    unit_locs = list(locs)
    unit_names = list(fac.rack_ids)
    for kind, key in (("air_unit", "air_units"), ("cdu", "cdus")):
        c = footprints(
            getattr(fac, f"{kind}_center_m")[:, :2],
            getattr(fac, f"{kind}_size_m")[:, :2],
            getattr(fac, f"{kind}_rotation_deg"),
        )
        hall = getattr(fac, f"{kind}_hall")
        for i in np.flatnonzero(outside(c, hall_rect[hall])):
            out.append(
                (
                    ("cooling", key, int(i), "position_m"),
                    f"{getattr(fac, f'{kind}_ids')[i]!r} lies outside hall {fac.hall_ids[hall[i]]!r}",
                )
            )
        unit_corners.append(c)
        unit_group.append(hall)
        unit_locs += [("cooling", key, i) for i in range(len(c))]
        unit_names += getattr(fac, f"{kind}_ids")
    allc = np.concatenate(unit_corners)
    for i, j in overlapping_pairs(allc, np.concatenate(unit_group)):
        out.append(
            (unit_locs[j] + ("position_m",), f"{unit_names[j]!r} overlaps {unit_names[i]!r}")
        )
    load = fac.power_load_w()
    for p in np.flatnonzero(load > fac.power_capacity_w * (1 + 1e-9)):
        out.append(
            (
                ("power", int(p), "capacity_kw"),
                f"{fac.power_ids[p]!r} carries {load[p] / 1e3:.1f} kW in normal operation, over its {fac.power_capacity_w[p] / 1e3:.1f} kW rating",
            )
        )
    return out


def facility_from_text(
    text: str, path: str | Path | None = None, catalog: Catalog | None = None
) -> Facility:
    """Validate text fully and build its Facility, or raise ``LayoutError``."""
    with _collector_paused():
        return _facility_from_text(text, path, catalog)


def _facility_from_text(text: str, path: str | Path | None, catalog: Catalog | None) -> Facility:
    name = str(path) if path is not None else "<layout>"
    layout, place = parse_layout_placed(text, path)
    cat = (catalog or shipped_catalog()).with_items(layout.catalog)
    problems = check_before_build(layout, cat)
    if not problems:
        problems = check_host_names(layout, cat)
    if not problems:
        try:
            fac = Facility(layout, cat, path)
        except (KeyError, IndexError, ValueError) as exc:  # a check above should have caught it
            raise LayoutError(
                [Problem(f"inconsistent layout: {exc}", "", None, name)], path
            ) from None
        problems = check_geometry(fac) + check_placement(layout, fac.hall_size_m)
    if problems:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS]  # enough to act on; placing a million takes minutes
        lines = place([loc for loc, _ in problems])
        shown = [
            Problem(msg, field_path(loc), line, name)
            for (loc, msg), line in zip(problems, lines, strict=True)
        ]
        if more > 0:
            shown.append(Problem(f"... and {more:,} more problems", "", None, name))
        raise LayoutError(shown, path)
    fac.source_text = text
    return fac


def load_layout(path: str | Path, catalog: Catalog | None = None) -> Facility:
    """Load and fully validate a layout file into a ``Facility``, or raise ``LayoutError``."""
    path = Path(path)
    try:
        st = path.stat()
        size = st.st_size
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            # a FIFO blocked for ever, /dev/zero would fill the memory
            what = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
            msg = f"not a layout file: {path} is {what}"
            raise LayoutError([Problem(msg, "", None, str(path))], path)
        if size > MAX_LAYOUT_BYTES:
            msg = f"file too large: {size:,} bytes (at most {MAX_LAYOUT_BYTES:,})"
            raise LayoutError([Problem(msg, "", None, str(path))], path)
        raw = path.read_bytes()
    except OSError as exc:
        raise LayoutError(
            [Problem(f"cannot read file: {exc.strerror or exc}", "", None, str(path))], path
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutError(
            [Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", "", None, str(path))],
            path,
        ) from None
    return facility_from_text(text, path, catalog)
