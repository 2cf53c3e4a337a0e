"""Time-series plots (pyqtgraph) of the selected GPU, server, rack or unit, stacked with a
shared time axis, reference lines (slowdown, TDP, ASHRAE limits) and a cursor at the current
time. Where the values come from (a recording's one-item history, or a rolling buffer of a
live source) is the caller's business: it passes a ``fetch`` function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from twin.model.facility import Facility
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C

pg.setConfigOptions(antialias=True, background="#1f2329", foreground="#c9d1d9")

#: fetch(kind, index, metrics) -> (times, {metric: values})
Fetch = Callable[[str, int, list[str]], tuple[np.ndarray, dict[str, np.ndarray]]]


#: kind -> panels: (title, unit, [(metric, label, colour, scale)])
CHART_SPECS: dict[str, list[tuple[str, str, list[tuple[str, str, str, float]]]]] = {
    "gpu": [
        (
            "Temperature",
            "°C",
            [("temp_c", "GPU", "#ff7043", 1.0), ("mem_temp_c", "HBM", "#ffca28", 1.0)],
        ),
        ("Power", "W", [("power_w", "Power", "#42a5f5", 1.0)]),
        ("Utilisation", "%", [("util_pct", "Utilisation", "#66bb6a", 1.0)]),
        ("SM clock", "MHz", [("sm_clock_mhz", "SM clock", "#ab47bc", 1.0)]),
    ],
    # a point sensor reads room air: held to the same A1 limits as a rack's inlet
    "sensor": [("Air temperature", "°C", [("temp_c", "Sensor", "#4fc3f7", 1.0)])],
    "rack": [
        # the A1 limits apply to the inlet only: the exhaust gets its own axis
        ("Inlet", "°C", [("inlet_c", "Inlet", "#4fc3f7", 1.0)]),
        ("Exhaust", "°C", [("exhaust_c", "Exhaust", "#ff7043", 1.0)]),
        ("Power", "kW", [("power_w", "Power", "#42a5f5", 1e-3)]),
    ],
    "air_unit": [
        (
            "Air temperature",
            "°C",
            [("supply_c", "Supply", "#4fc3f7", 1.0), ("return_c", "Return", "#ff7043", 1.0)],
        ),
        ("Load", "kW", [("load_w", "Load", "#42a5f5", 1e-3)]),
        ("Airflow", "m³/s", [("flow_m3s", "Flow", "#26a69a", 1.0)]),
        ("State", "on", [("state", "Running", "#66bb6a", 1.0)]),
    ],
    "cdu": [
        (
            "Coolant temperature",
            "°C",
            [("supply_c", "Supply", "#4fc3f7", 1.0), ("return_c", "Return", "#ff7043", 1.0)],
        ),
        ("Load", "kW", [("load_w", "Load", "#42a5f5", 1e-3)]),
        ("Flow", "L/s", [("flow_lps", "Flow", "#26a69a", 1.0)]),
        ("State", "on", [("state", "Pumps running", "#66bb6a", 1.0)]),
    ],
    "power": [
        ("Load", "kW", [("load_w", "Load", "#42a5f5", 1e-3)]),
        ("State", "on", [("state", "Energised", "#66bb6a", 1.0)]),
    ],
}
#: Smallest y span per unit, so a flat line does not fill the plot with noise
MIN_Y_RANGE = {"°C": 5.0, "W": 50.0, "kW": 5.0, "%": 10.0, "MHz": 200.0, "on": 1.2, "m³/s": 1.0}
#: Units whose axis starts at zero: a 2 % swing of 116 kW must not look like a cliff
ZERO_BASED = ("W", "kW", "%", "MHz", "on", "m³/s", "L/s")


#: The chart panel's least height (pixels): room for a plot with its axis labels.
CHART_MIN_HEIGHT_PX = 150


class ClockAxis(pg.AxisItem):
    """Time axis in the timeline's terms: mm:ss from ``origin_s`` (a recording's start), or
    wall-clock UTC (hh:mm:ss) with no origin (live)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.origin_s: float | None = None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph's names)
        """pyqtgraph's ticks, none closer than a second: the labels are whole seconds, and
        an empty chart's 0-1 s range was labelled "00:00:00" a dozen times over."""
        levels = super().tickValues(minVal, maxVal, size)
        return [(spacing, values) for spacing, values in levels if spacing >= 1.0]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        import datetime as dt

        out = []
        for v in values:
            if self.origin_s is not None:
                s = int(round(v - self.origin_s))
                sign, s = ("-" if s < 0 else ""), abs(s)
                out.append(
                    f"{sign}{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
                    if s >= 3600
                    else f"{sign}{s // 60:02d}:{s % 60:02d}"
                )
            else:
                out.append(dt.datetime.fromtimestamp(v, dt.UTC).strftime("%H:%M:%S"))
        return out


#: GPUs of a server drawn as one line each (up to this many)
MAX_GPU_LINES = 8


#: Line dashes (``Line.style``): one item's several lines on a shared chart tell apart by
#: dash while its colour names the item; the legend (HTML) draws the same dash.
LINE_STYLES = {
    "solid": (Qt.PenStyle.SolidLine, "━━"),
    "dash": (Qt.PenStyle.DashLine, "━&nbsp;━"),
    "dot": (Qt.PenStyle.DotLine, "·&nbsp;·&nbsp;·"),
    "dashdot": (Qt.PenStyle.DashDotLine, "━&nbsp;·"),
}


@dataclass
class Line:
    label: str
    colour: str
    times: np.ndarray
    values: np.ndarray
    width: float = 2.0
    style: str = "solid"  # a LINE_STYLES name

    def pen(self):
        return pg.mkPen(self.colour, width=self.width, style=LINE_STYLES[self.style][0])


@dataclass
class Panel:
    title: str
    unit: str
    lines: list[Line] = field(default_factory=list)
    refs: list[tuple[float, str, str]] = field(default_factory=list)  # value, label, colour


def _legend_html(panel: Panel) -> str:
    items = " &nbsp; ".join(
        f'<span style="color:{line.colour}">{LINE_STYLES[line.style][1]} {line.label}</span>'
        for line in panel.lines
    )
    return (
        f"{panel.title}: {items}"
        if len(panel.lines) > 1
        else f'<span style="color:{panel.lines[0].colour}">━ {panel.title}</span>'
    )


def _label_opts(value: float, colour: str, panel: Panel) -> dict:
    """A limit's label: the highest limit's at the right under its line (the top of the plot
    would cut it off above), the others above theirs further left, so that two close limits'
    labels never overlap in a short plot."""
    if value == max(v for v, _, _ in panel.refs):
        return {"position": 0.98, "color": colour, "anchors": [(1, 0), (1, 0)]}
    return {"position": 0.8, "color": colour, "anchors": [(1, 1), (1, 1)]}


def panels_for(facility: Facility, kind: str, index: int, fetch: Fetch) -> list[Panel]:
    """The panels to draw for one item (a server or host shows each of its GPUs)."""
    f = facility
    if kind in ("server", "host"):
        owner = f.gpu_server if kind == "server" else f.gpu_host
        gpus = np.flatnonzero(owner == index)[:MAX_GPU_LINES]
        temp = Panel("GPU temperatures", "°C")
        power = Panel("GPU power", "W")
        for k, g in enumerate(gpus):
            times, vals = fetch("gpu", int(g), ["temp_c", "power_w"])
            colour = pg.intColor(k, hues=max(len(gpus), 1), sat=180).name()
            label = f"gpu{f.gpu_local[g]}"
            temp.lines.append(Line(label, colour, times, vals["temp_c"], 1.5))
            power.lines.append(Line(label, colour, times, vals["power_w"], 1.5))
        if len(gpus):
            temp.refs.append((float(f.gpu_slowdown_c[gpus[0]]), "slowdown", "#ff3b3b"))
            power.refs.append((float(f.gpu_tdp_w[gpus[0]]), "TDP", "#9aa4b0"))
        return [temp, power]
    specs = CHART_SPECS.get(kind)
    if specs is None:
        return []
    metrics = [m for _, _, lines in specs for m, *_ in lines]
    times, values = fetch(kind, index, metrics)
    panels = []
    for title, unit, lines in specs:
        p = Panel(title, unit)
        for metric, label, colour, scale in lines:
            v = values.get(metric)
            if v is not None:
                p.lines.append(Line(label, colour, times, np.asarray(v, dtype=float) * scale))
        if p.lines:
            panels.append(p)
    if kind == "gpu" and panels:
        panels[0].refs.append((float(f.gpu_slowdown_c[index]), "slowdown", "#ff3b3b"))
        for p in panels:
            if p.title == "Power":
                p.refs.append((float(f.gpu_tdp_w[index]), "TDP", "#9aa4b0"))
    if kind in ("rack", "sensor"):
        for p in panels:
            if p.title in ("Inlet", "Air temperature"):
                p.refs.append((A1_RECOMMENDED_C[1], "A1 recommended", "#ffb000"))
                p.refs.append((A1_ALLOWABLE_C[1], "A1 allowable", "#ff3b3b"))
    return panels


class ChartPanel(QWidget):
    """Stacked plots of one item's history with a cursor line at the current time.
    Clicking in a plot asks to seek there (``seek_requested``)."""

    seek_requested = Signal(float)
    #: the user zoomed or panned the time axis to (start_s, end_s)
    time_range_chosen = Signal(float, float)
    #: the user asked for the whole span again (double-click in a plot)
    fit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select a GPU, server, rack or unit to plot its history", self)
        self.title.setStyleSheet("font-weight: 600; padding: 2px 4px;")
        # a narrow dock wraps it rather than widening (a dock that widens on a selection
        # moves the 3D view under the mouse)
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.ci.setSpacing(2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        #: the title row; whoever owns the dock may add buttons after the title
        self.tools = QHBoxLayout()
        self.tools.setContentsMargins(0, 0, 0, 0)
        self.tools.addWidget(self.title, 1)
        lay.addLayout(self.tools)
        lay.addWidget(self.graphics, 1)
        # never squeezed to an unreadable strip by the docks around it
        self.setMinimumHeight(CHART_MIN_HEIGHT_PX)
        self.plots: list[pg.PlotItem] = []
        self.curves: list[list[pg.PlotDataItem]] = []
        self.cursors: list[pg.InfiniteLine] = []
        self.panels: list[Panel] = []
        self.cursor_t: float | None = None
        #: the time range shown (start_s, end_s); None: the whole data span
        self.time_range: tuple[float, float] | None = None
        #: a recording's start: the time axis reads mm:ss from it, as the timeline does
        self.time_origin_s: float | None = None
        #: (time, colour) of events, drawn on every plot
        self.event_marks: list[tuple[float, str]] = []
        self.readout = QLabel("", self)
        self.readout.setStyleSheet("color: #9aa4b0; padding: 0 4px;")
        self.layout().insertWidget(1, self.readout)
        self.graphics.scene().sigMouseClicked.connect(self._clicked)
        self.graphics.scene().sigMouseMoved.connect(self._hover)

    # ------------------------------------------------------------------ content
    def clear(self, message: str = "") -> None:
        self.graphics.clear()
        self.plots, self.curves, self.cursors, self.panels = [], [], [], []
        if message:
            self.title.setText(message)

    def show_panels(self, title: str, panels: list[Panel]) -> None:
        """Replace the plots with ``panels`` (one stacked plot each, time axes linked)."""
        self.clear()
        self.title.setText(title)
        self.panels = panels
        for k, panel in enumerate(panels):
            plot = self._new_plot(k, panel, bottom=k == len(panels) - 1)
            if k > 0:  # one time axis: zoom and pan move every plot
                plot.setXLink(self.plots[0])
            self.curves.append(self._plot_lines(plot, panel))
            self._add_limits(plot, panel)
            self.cursors.append(self._add_time_marks(plot))
            self.plots.append(plot)
        self._watch_time_zoom()

    def _new_plot(self, row: int, panel: Panel, bottom: bool) -> pg.PlotItem:
        """An empty plot for ``panel`` in row ``row``; only the bottom one labels its times."""
        axis = ClockAxis(orientation="bottom")
        axis.origin_s = self.time_origin_s
        # no pyqtgraph context menu: made without one, because making a ViewBox's menu
        # and then dropping it (setMenuEnabled(False)) reparents a fresh top-level QMenu,
        # which segfaulted a CI run under Xvfb
        plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": axis}, enableMenu=False)
        # zoom and pan the time range (wheel, drag); the value axis follows the data
        plot.getViewBox().setMouseEnabled(x=True, y=False)
        plot.getViewBox().setDefaultPadding(0.08)  # limit labels stay inside
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setLabel("left", panel.unit, **{"font-size": "8pt"})
        plot.getAxis("left").setWidth(52)
        plot.setLimits(minYRange=MIN_Y_RANGE.get(panel.unit, 1.0))
        plot.hideButtons()
        if not bottom:
            plot.getAxis("bottom").setStyle(showValues=False)
        if panel.lines:  # the legend is the plot's title line: never over the data
            plot.setTitle(_legend_html(panel), size="8pt")
        if panel.unit in ZERO_BASED:
            plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(None)))
        return plot

    @staticmethod
    def _plot_lines(plot: pg.PlotItem, panel: Panel) -> list:
        """One curve per line of the panel (gaps where a value is missing)."""
        return [
            plot.plot(
                line.times,
                line.values,
                pen=line.pen(),
                name=panel.title if len(panel.lines) == 1 else line.label,
                connect="finite",
            )
            for line in panel.lines
        ]

    @staticmethod
    def _add_limits(plot: pg.PlotItem, panel: Panel) -> None:
        """Dashed lines at the panel's limits (the range takes them in: how close is it)."""
        for value, label, colour in panel.refs:
            if np.isfinite(value):
                ref = pg.InfiniteLine(
                    value,
                    angle=0,
                    pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                    label=label,
                    labelOpts=_label_opts(value, colour, panel),
                )
                plot.addItem(ref)

    def _add_time_marks(self, plot: pg.PlotItem) -> pg.InfiniteLine:
        """The time cursor (returned) and a dotted line at each event."""
        cursor = pg.InfiniteLine(self.cursor_t or 0.0, angle=90, pen=pg.mkPen("#e9eef3", width=1.5))
        cursor.setVisible(self.cursor_t is not None)
        plot.addItem(cursor, ignoreBounds=True)
        for t, colour in self.event_marks:
            plot.addItem(
                pg.InfiniteLine(
                    t, angle=90, pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DotLine)
                ),
                ignoreBounds=True,
            )
        return cursor

    # ------------------------------------------------------------------ time range
    def _watch_time_zoom(self) -> None:
        """Report the user's zoom and pan of the time axis (any plot: they are linked) and
        show the chosen range on the new plots. The value axis keeps the whole span's range,
        so zero and the limits stay in view and panning does not rescale it."""
        for plot in self.plots:
            plot.getViewBox().sigRangeChangedManually.connect(self._zoomed)
        self._apply_time_range()

    def _zoomed(self, _mask) -> None:
        t0, t1 = self.plots[0].getViewBox().viewRange()[0]
        self.time_range = (float(t0), float(t1))
        self.time_range_chosen.emit(*self.time_range)

    def set_time_range(self, time_range: tuple[float, float] | None) -> None:
        """Show ``time_range`` (start_s, end_s) on every plot; None: the whole data span."""
        self.time_range = (
            None if time_range is None else (float(time_range[0]), float(time_range[1]))
        )
        self._apply_time_range()

    def _apply_time_range(self) -> None:
        if not self.plots:
            return
        if self.time_range is None:
            for plot in self.plots:
                plot.enableAutoRange(x=True)
        else:
            self.plots[0].setXRange(*self.time_range, padding=0.0)

    def shown_time_range(self) -> tuple[float, float] | None:
        """The time range the plots show now (None with no plots)."""
        if not self.plots:
            return None
        t0, t1 = self.plots[0].getViewBox().viewRange()[0]
        return float(t0), float(t1)

    def append(self, t: float, values: list[list[float]]) -> None:
        """Live data: add one sample per line (``values[panel][line]``)."""
        for panel, curves, vals in zip(self.panels, self.curves, values, strict=False):
            for line, curve, v in zip(panel.lines, curves, vals, strict=False):
                line.times = np.append(line.times, t)
                line.values = np.append(line.values, v)
                curve.setData(line.times, line.values, connect="finite")

    def trim(self, t_min: float) -> None:
        """Drop live samples older than ``t_min`` (the rolling window)."""
        for panel, curves in zip(self.panels, self.curves, strict=False):
            for line, curve in zip(panel.lines, curves, strict=False):
                keep = line.times >= t_min
                if not keep.all():
                    line.times, line.values = line.times[keep], line.values[keep]
                    curve.setData(line.times, line.values, connect="finite")

    def set_time_origin(self, origin_s: float | None) -> None:
        """Read the time axis as mm:ss from ``origin_s`` (None: wall-clock)."""
        self.time_origin_s = origin_s
        for plot in self.plots:
            plot.getAxis("bottom").origin_s = origin_s
            plot.getAxis("bottom").picture = None
            plot.getAxis("bottom").update()

    def set_events(self, times, severities) -> None:
        """Event markers for the plots drawn from now on (warnings and worse)."""
        colours = {1: "#ffb000", 2: "#ff3b3b"}
        self.event_marks = [
            (float(t), colours[int(s)])
            for t, s in zip(times, severities, strict=True)
            if int(s) in colours
        ]

    def readout_at(self, t: float) -> str:
        """Every line's value at the sample nearest ``t``, in words (the hover read-out)."""
        parts = []
        for panel in self.panels:
            for line in panel.lines:
                if len(line.times) == 0:
                    continue
                i = int(np.clip(np.searchsorted(line.times, t), 0, len(line.times) - 1))
                if i > 0 and abs(line.times[i - 1] - t) < abs(line.times[i] - t):
                    i -= 1
                v = line.values[i]
                name = panel.title if len(panel.lines) == 1 else f"{panel.title} {line.label}"
                parts.append(
                    f"{name} {v:,.1f} {panel.unit}" if np.isfinite(v) else f"{name} no data"
                )
        if not parts:
            return ""
        axis = self.plots[0].getAxis("bottom") if self.plots else None
        when = axis.tickStrings([t], 1.0, 1.0)[0] if axis is not None else f"{t:.0f}"
        return f"{when}  " + ", ".join(parts)

    def _hover(self, pos) -> None:
        for plot in self.plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                text = self.readout_at(float(vb.mapSceneToView(pos).x()))
                self.readout.setText(text)
                self.readout.setToolTip(text)  # the whole line when the dock is narrower
                return

    def set_cursor(self, t: float) -> None:
        self.cursor_t = float(t)
        for c in self.cursors:
            c.setValue(self.cursor_t)
            c.setVisible(True)

    def n_points(self) -> int:
        """Finite samples drawn over all lines."""
        return sum(int(np.isfinite(line.values).sum()) for p in self.panels for line in p.lines)

    def _clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for plot in self.plots:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(event.scenePos()):
                if event.double():  # the whole span again (here, and for whoever binds it)
                    self.set_time_range(None)
                    self.fit_requested.emit()
                else:
                    self.seek_requested.emit(float(vb.mapSceneToView(event.scenePos()).x()))
                return
