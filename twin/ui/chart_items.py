"""Several items of one kind on one chart: each item's panels (``panels_for``) merged panel by
panel, every line named after its item and drawn in the item's colour, so that two racks'
inlets read apart at a glance and the read-out says whose value it is."""

from __future__ import annotations

import pyqtgraph as pg

from twin.ui.charts import LINE_STYLES, Line, Panel

#: One colour per charted item, far apart in hue and bright on the dark plot background.
#: The limit lines' amber and red (A1, slowdown) come last, so that the first few items
#: never look like a limit.
ITEM_COLOURS = (
    "#4fc3f7",  # sky blue
    "#ff8a65",  # coral
    "#9ccc65",  # lime
    "#ce93d8",  # lilac
    "#fff176",  # yellow
    "#4db6ac",  # teal
    "#f48fb1",  # pink
    "#e0e0e0",  # light grey
)
#: The most items one chart shows (one colour each).
MAX_CHART_ITEMS = len(ITEM_COLOURS)


def merge_items(items: list[tuple[str, list[Panel]]]) -> list[Panel]:
    """Panels of several items (``(name, panels)``, same kind) as one set of panels.

    One item comes back unchanged. With more, a panel of one line per item (rack inlet,
    power) draws each item in its colour, labelled with its name; an item's own lines (GPU
    and HBM, supply and return) keep the item's colour and differ by dash. A server or host
    (a line per GPU, more lines than dashes) gets one hue per line instead. A limit that
    applies to several items is drawn once.
    """
    if len(items) == 1:
        return items[0][1]
    merged: dict[str, Panel] = {}
    for k, (name, panels) in enumerate(items):
        for panel in panels:
            out = merged.setdefault(panel.title, Panel(panel.title, panel.unit))
            n = len(panel.lines)
            for j, line in enumerate(panel.lines):
                if n <= len(LINE_STYLES):
                    colour, style = ITEM_COLOURS[k % len(ITEM_COLOURS)], list(LINE_STYLES)[j]
                else:
                    hue = k * n + j
                    colour = pg.intColor(hue, hues=len(items) * n, sat=180).name()
                    style = "solid"
                label = f"{name} {line.label}" if n > 1 else name
                out.lines.append(Line(label, colour, line.times, line.values, line.width, style))
            for ref in panel.refs:
                if ref not in out.refs:
                    out.refs.append(ref)
    return list(merged.values())
