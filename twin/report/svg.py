"""Line charts as inline SVG: no script, no network, readable in any browser and in print.

What people expect from a dashboard chart, within a static page: one time base (mm:ss from
the recording's start) shared with the event list, event markers, limits drawn only on the
series they apply to, the legend outside the data, a y range that does not turn 2 % into a
cliff (``y_min_span``), and hover read-outs (each sampled point carries a ``<title>``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
SEVERITY_COLOURS = {0: "#6c757d", 1: "#e09f00", 2: "#d62728"}
MAX_POINTS = 240


@dataclass
class Series:
    label: str
    values: np.ndarray
    colour: str | None = None


def mmss(seconds: float) -> str:
    s = int(round(seconds))
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def _nice_step(span: float, n: int) -> float:
    raw = span / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


_TIME_STEPS_S = (
    1,
    2,
    5,
    10,
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
)


def _time_step(span_s: float, n: int) -> float:
    """A tick step a clock reader expects (30 s, 5 min, 15 min, 1 h...)."""
    for s in _TIME_STEPS_S:
        if span_s / s <= n:
            return float(s)
    # past n days: whole days by 1, 2, 5 x 10^k, so that a span of years (a recording with a
    # gap of decades) still gets at most n ticks, not one per day (38 MB of SVG, then
    # MemoryError for a gap of 1e11 s)
    days = span_s / 86400.0 / n
    mag = 10.0 ** math.floor(math.log10(days)) if days > 0 and math.isfinite(days) else 1.0
    nice = next((m * mag for m in (1, 2, 5, 10) if m * mag >= days), 10 * mag)
    return float(86400.0 * max(nice, 1.0))


def _y_range(series: list[Series], limits, y_min_span: float) -> tuple[float, float]:
    vals = np.concatenate([s.values[np.isfinite(s.values)] for s in series] or [np.zeros(0)])
    lim = [v for v, _, _ in limits]
    if len(vals) == 0:
        lo, hi = (min(lim), max(lim)) if lim else (0.0, 1.0)
    else:
        lo, hi = float(vals.min()), float(vals.max())
        if lim:  # a limit in view only when the data comes near it
            near = [
                v
                for v in lim
                if lo - 0.25 * (hi - lo + y_min_span) <= v <= hi + 0.25 * (hi - lo + y_min_span)
            ]
            lo, hi = min([lo, *near]), max([hi, *near])
    if hi - lo < y_min_span:
        mid = 0.5 * (hi + lo)
        lo, hi = mid - 0.5 * y_min_span, mid + 0.5 * y_min_span
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


@dataclass
class _Plot:
    """The data area of a chart: its place in the picture (px) and the ranges it shows."""

    left: int
    top: int
    pw: int
    ph: int
    t0: float
    t1: float
    y0: float
    y1: float

    def x(self, v):
        return self.left + (np.asarray(v, float) - self.t0) / (self.t1 - self.t0) * self.pw

    def y(self, v):
        return self.top + (1.0 - (np.asarray(v, float) - self.y0) / (self.y1 - self.y0)) * self.ph


def _grid(p: _Plot) -> list[str]:
    """Value grid lines with their labels on the left, time grid lines with mm:ss below."""
    out = []
    ystep = _nice_step(p.y1 - p.y0, 4)
    for v in np.arange(math.ceil(p.y0 / ystep) * ystep, p.y1, ystep):
        y = float(p.y(v))
        out.append(
            f'<line x1="{p.left}" x2="{p.left + p.pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{p.left - 6}" y="{y + 4:.1f}" class="ax" text-anchor="end">{v:g}</text>'
        )
    tstep = _time_step(p.t1 - p.t0, 7)
    for v in np.arange(math.ceil(p.t0 / tstep) * tstep, p.t1 + 1e-9, tstep):
        x = float(p.x(v))
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{p.top}" y2="{p.top + p.ph}" class="grid"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{p.top + p.ph + 16}" class="ax" text-anchor="middle">'
            f"{mmss(v)}</text>"
        )
    return out


def _event_marks(p: _Plot, events) -> list[str]:
    """A dashed vertical line per event in the time range, coloured by severity."""
    out = []
    for te, label, sev in events:
        if p.t0 <= te <= p.t1:
            x = float(p.x(te))
            c = SEVERITY_COLOURS.get(sev, "#6c757d")
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{p.top}" y2="{p.top + p.ph}" stroke="{c}" '
                f'stroke-dasharray="4 3"><title>{mmss(te)} {escape(label)}</title></line>'
            )
    return out


def _limit_lines(p: _Plot, limits) -> list[str]:
    """A labelled dashed horizontal line per limit in the value range."""
    out = []
    for v, label, colour in limits:
        if p.y0 <= v <= p.y1:
            y = float(p.y(v))
            out.append(
                f'<line x1="{p.left}" x2="{p.left + p.pw}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{colour}" stroke-dasharray="6 3"/>'
                f'<text x="{p.left + p.pw - 4}" y="{y - 4:.1f}" class="lim" fill="{colour}" '
                f'text-anchor="end">{escape(label)}</text>'
            )
    return out


def _series_lines(p: _Plot, t: np.ndarray, series: list[Series], unit: str) -> list[str]:
    """Each series as a polyline through at most ``MAX_POINTS`` samples (the last always
    kept), a hover read-out on each, and its legend entry right of the plot."""
    out = []
    stride = max(1, int(math.ceil(len(t) / MAX_POINTS)))
    for k, s in enumerate(series):
        colour = s.colour or PALETTE[k % len(PALETTE)]
        v = np.asarray(s.values, float)
        idx = np.arange(0, len(t), stride)
        if len(t) and idx[-1] != len(t) - 1:
            idx = np.append(idx, len(t) - 1)
        pts = [(float(p.x(t[i])), float(p.y(v[i])), i) for i in idx if np.isfinite(v[i])]
        if pts:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
            out.append(f'<g fill="{colour}" class="pts">')
            for x, y, i in pts:
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(s.label)} '
                    f"{mmss(t[i])}: {v[i]:.1f} {escape(unit)}</title></circle>"
                )
            out.append("</g>")
        ly = p.top + 12 + 16 * k
        out.append(
            f'<rect x="{p.left + p.pw + 12}" y="{ly - 9}" width="12" height="3" fill="{colour}"/>'
            f'<text x="{p.left + p.pw + 30}" y="{ly - 4}" class="lg">{escape(s.label)}</text>'
        )
    return out


def line_chart(
    times_s: np.ndarray,
    series: list[Series],
    *,
    title: str,
    unit: str,
    limits: list[tuple[float, str, str]] = (),
    events: list[tuple[float, str, int]] = (),
    y_min_span: float = 1.0,
    y_floor: float | None = None,
    width: int = 760,
    height: int = 230,
) -> str:
    """An SVG line chart. ``times_s``: seconds from the recording's start; ``limits``: (value,
    label, colour) lines for these series only; ``events``: (seconds, label, severity);
    ``y_floor``: the axis starts no lower (counts start at 0)."""
    t = np.asarray(times_s, float)
    left, right, top, bottom = 58, 170, 26, 34
    pw, ph = width - left - right, height - top - bottom
    t0, t1 = (float(t[0]), float(t[-1])) if len(t) else (0.0, 1.0)
    t1 = t1 if t1 > t0 else t0 + 1.0
    y0, y1 = _y_range(series, list(limits), y_min_span)
    if y_floor is not None and y0 < y_floor:
        y1, y0 = y1 + (y_floor - y0), y_floor
    p = _Plot(left, top, pw, ph, t0, t1, y0, y1)
    return "\n".join(
        [
            f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}">',
            f'<text x="{left}" y="16" class="ct">{escape(title)} ({escape(unit)})</text>',
            f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" class="plot"/>',
            *_grid(p),
            *_event_marks(p, events),
            *_limit_lines(p, limits),
            *_series_lines(p, t, series, unit),
            "</svg>",
        ]
    )
