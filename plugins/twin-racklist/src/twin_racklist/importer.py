"""The ``racklist`` importer: a site's rack list (CSV or Excel) into a Twin layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twin.api import Facility, InputError, LayoutError, facility_from_data, shipped_catalog
from twin_racklist.layout import (
    DEFAULT_PDU_TYPE,
    DEFAULT_RACK_TYPE,
    build_layout,
    geometry_from_options,
    read_racks,
)
from twin_racklist.origins import Origins
from twin_racklist.table import read_csv, read_xlsx


class RackListImporter:
    """Columns (headings matched loosely, any order): rack, row, position (or x and y in
    metres), type, servers (``4x dgx-h100``), feeds (``PDU-1A / PDU-1B``, or feed A and
    feed B), and optionally hall, rotation, power (kW, for a rack without servers)."""

    name = "racklist"
    title = "Rack list (CSV, Excel)"
    extensions = (".csv", ".xlsx")

    def read(self, path: Path, **options: Any) -> dict:
        """The layout data (``read_layout`` also validates it, errors at the list's rows)."""
        return self.read_traced(path, **options)[0]

    def read_layout(self, path: Path, **options: Any) -> tuple[str, Facility]:
        """(YAML text, validated Facility). What only the layout's validation finds (an id
        with a space, a rack too far along its row) is raised as ``LayoutError`` at the rack
        list's line and column, not at a line of YAML nobody sees. ``twin import`` and File ›
        Import use this when an importer has it."""
        path = Path(path)
        data, origins = self.read_traced(path, **options)
        try:
            return facility_from_data(data, f"{path} (imported by {self.name})")
        except LayoutError as exc:
            raise LayoutError(origins.problems(exc.problems), path) from None

    def read_traced(
        self,
        path: Path,
        name: str | None = None,
        sheet: str | None = None,
        rack_type: str = DEFAULT_RACK_TYPE,
        pdu_type: str = DEFAULT_PDU_TYPE,
        cold_aisle_m: float | str = 1.8,
        hot_aisle_m: float | str = 1.2,
        margin_m: float | str = 3.0,
        height_m: float | str = 4.0,
        **unknown: Any,
    ) -> tuple[dict, Origins]:
        """The layout data and where each of its racks, rows, halls and feeds came from."""
        path = Path(path)
        if unknown:
            raise InputError(path, None, "", f"unknown importer option(s): {', '.join(unknown)}")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            table = read_csv(path)
        elif suffix == ".xlsx":
            table = read_xlsx(path, sheet)
        else:
            raise InputError(
                path, None, "", f"a rack list is .csv or .xlsx, not {suffix or 'no extension'}"
            )
        catalog = shipped_catalog()
        racks = read_racks(table, catalog, rack_type)
        geometry = geometry_from_options(
            path,
            cold_aisle_m=cold_aisle_m,
            hot_aisle_m=hot_aisle_m,
            margin_m=margin_m,
            height_m=height_m,
        )
        title = str(name) if name else _printable(path.stem) or "imported rack list"
        data = build_layout(racks, catalog, title, geometry, pdu_type)
        return data, Origins(table, racks, data, geometry)


def _printable(text: str) -> str:
    """A file name as a layout name: line breaks and other unprintables made spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


#: What the ``twin.importers`` entry point names.
importer = RackListImporter()
