"""The incident report as one self-contained HTML file: inline CSS, inline SVG charts and
inline PNG snapshots (base64), no script and nothing fetched, so it opens offline and prints.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np

from twin.model.atomic import write_text_atomic
from twin.model.facility import Facility
from twin.model.frame import EventKind, reads_off
from twin.model.units import ratio_text
from twin.physics.energy import gap_note
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C
from twin.recording.format import filled_text
from twin.recording.reader import Recording, open_recording
from twin.report.incident import Incident, gather
from twin.report.svg import Series, line_chart, mmss

#: snapshot(facility, frame, title) -> PNG bytes; the caller brings a renderer
Snapshot = Callable[[Facility, object, str], bytes]
SEV = {0: "info", 1: "warning", 2: "critical"}
#: events marked on every chart whatever their severity (a recovery matters to the reader)
MARKED_KINDS = (EventKind.UNIT_FAILED, EventKind.UNIT_RECOVERED, EventKind.FAILOVER)
#: before / after a critical event, seconds
SNAP_BEFORE_S, SNAP_AFTER_S = 60.0, 300.0
MAX_SNAP_EVENTS = 3

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1000px;color:#1d232a}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0}td,th{padding:3px 10px;border-bottom:1px solid #e5e8eb;text-align:left}
th{background:#f4f6f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev-critical{color:#d62728;font-weight:600}.sev-warning{color:#b07800}.sev-info{color:#6c757d}
.muted{color:#6c757d}.kpi{display:inline-block;margin:6px 18px 6px 0}.kpi b{font-size:20px;display:block}
svg.chart{display:block;margin:6px 0 14px}.ct{font-weight:600;font-size:13px}.ax{font-size:11px;fill:#57606a}
.lg{font-size:12px}.lim{font-size:11px}.plot{fill:#fbfcfd;stroke:#d0d7de}.grid{stroke:#eef1f4}
.pts circle{opacity:0}.pts circle:hover{opacity:1}
figure{display:inline-block;margin:4px 8px 12px 0}figure img{width:300px;border:1px solid #d0d7de}
figcaption{font-size:12px;color:#57606a}
"""


@dataclass
class ReportInfo:
    path: Path
    seconds: float
    snapshots: int
    bytes: int
    #: damage the reader read past (``Recording.warnings``), also shown in the report
    warnings: tuple[str, ...] = ()


def build_report(
    recording: str | Path | Recording,
    out: str | Path,
    snapshot: Snapshot | None = None,
    facility: Facility | None = None,
) -> ReportInfo:
    """Write the incident report of ``recording`` (a path, or an open ``Recording``, which
    is read and left open: a window's replay must not open its file twice) to ``out``,
    atomically."""
    t0 = time.perf_counter()
    if isinstance(recording, Recording):
        fac, inc, snaps = _read(recording, snapshot, facility)
    else:
        with open_recording(recording) as rec:
            fac, inc, snaps = _read(rec, snapshot, facility)
    parts = [
        _summary(fac, inc),
        _timeline(inc),
        _snap_html(snaps),
        _worst(fac, inc),
        _cooling(fac, inc),
        _energy(inc),
        _heat(fac, inc),
    ]
    title = f"Incident report: {escape(inc.layout_name)}"
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body><h1>{title}</h1>"
        + "\n".join(parts)
        + f'<p class="muted">Written by twin report from {escape(inc.path)}.</p></body></html>'
    )
    write_text_atomic(out, html)
    return ReportInfo(
        Path(out), time.perf_counter() - t0, len(snaps), len(html.encode()), tuple(inc.warnings)
    )


def _read(rec: Recording, snapshot: Snapshot | None, facility: Facility | None):
    fac = facility or rec.facility()
    rec.check_layout(fac)
    inc = gather(rec, fac)
    return fac, inc, (_snapshots(rec, fac, inc, snapshot) if snapshot else [])


def _utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _events_marks(inc: Incident) -> list[tuple[float, str, int]]:
    return [
        (inc.rel(e.time_s), f"{e.kind}: {e.item} {e.message}", e.severity)
        for e in inc.events
        if e.severity >= 1 or e.kind in MARKED_KINDS
    ]


def _summary(fac: Facility, inc: Incident) -> str:
    fails = inc.failures
    what = (
        "; ".join(
            f"<b>{escape(e.item)}</b> {escape(str(e.kind).replace('_', ' '))} at {mmss(inc.rel(e.time_s))}"
            for e in fails
        )
        or "no unit failure or failover recorded"
    )
    kpis = [
        ("span", mmss(inc.end_s - inc.start_s)),
        ("GPUs", f"{fac.n_gpus:,}"),
        ("throttled GPU-hours", f"{inc.throttled_gpu_hours:.2f}"),
        (
            "peak GPU",
            f"{np.nanmax(inc.gpu_peak_c):.1f} °C" if inc.gpu_peak_c is not None else "n/a",
        ),
        (
            "peak rack inlet",
            f"{np.nanmax(inc.rack_peak_c):.1f} °C" if inc.rack_peak_c is not None else "n/a",
        ),
        ("IT energy", f"{inc.it_energy_kwh:,.1f} kWh"),
    ]
    if inc.energy is not None and len(inc.energy.time_s):
        en = inc.energy.summary()
        kpis.append(("facility energy", f"{en['facility_kwh']:,.1f} kWh"))
        if en["pue"] is not None:
            kpis.append(("PUE", f"{en['pue']:.3f}"))
    k = "".join(f'<span class="kpi"><b>{escape(v)}</b>{escape(n)}</span>' for n, v in kpis)
    k += "".join(f'<p class="sev-warning">Damaged recording: {escape(w)}</p>' for w in inc.warnings)
    if inc.filled_by_model:
        k += f'<p class="muted">Filled: {escape(filled_text(inc.filled_by_model))}.</p>'
    return (
        f"<h2>Summary</h2><p>Layout <b>{escape(inc.layout_name)}</b>, {_utc(inc.start_s)} to "
        f"{_utc(inc.end_s)} ({inc.n_frames:,} frames). What failed: {what}.</p>{k}"
    )


def _timeline(inc: Incident) -> str:
    rows = [
        f'<tr><td class="n">{mmss(inc.rel(e.time_s))}</td><td class="sev-{SEV.get(e.severity, "info")}">'
        f"{SEV.get(e.severity, e.severity)}</td><td>{escape(str(e.kind))}</td><td>{escape(e.item)}</td>"
        f"<td>{escape(e.message)}</td></tr>"
        for e in inc.events
    ]
    body = "".join(rows) or '<tr><td colspan="5" class="muted">no events</td></tr>'
    marks = _events_marks(inc)
    chart = ""
    if inc.gpus_throttling is not None:
        chart = line_chart(
            inc.t,
            [Series("GPUs throttled by heat", inc.gpus_throttling.astype(float))],
            title="GPUs throttling (heat or power brake)",
            unit="GPUs",
            events=marks,
            y_min_span=4,
            y_floor=0.0,
        )
    return (
        "<h2>Event timeline</h2><table><tr><th>time</th><th>severity</th><th>event</th><th>item</th>"
        f"<th>message</th></tr>{body}</table>{chart}"
    )


def _snapshots(rec, fac, inc: Incident, snapshot: Snapshot) -> list[tuple[str, bytes]]:
    crit = [e for e in inc.events if e.severity >= 2][:MAX_SNAP_EVENTS]
    out = []
    for e in crit:
        for label, t in (
            ("before", max(inc.start_s, e.time_s - SNAP_BEFORE_S)),
            ("at", e.time_s),
            ("after", min(inc.end_s, e.time_s + SNAP_AFTER_S)),
        ):
            cap = f"{e.item} {e.kind}: {label} ({mmss(inc.rel(t))})"
            out.append((cap, snapshot(fac, rec.frame_at(t), cap)))
    return out


def _snap_html(snaps: list[tuple[str, bytes]]) -> str:
    if not snaps:
        return ""
    figs = "".join(
        f'<figure><img alt="{escape(c)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f"<figcaption>{escape(c)}</figcaption></figure>"
        for c, png in snaps
    )
    return f"<h2>The hall before, at and after each critical event</h2><p class='muted'>GPUs coloured by temperature; throttling GPUs outlined.</p>{figs}"


def _worst(fac: Facility, inc: Incident) -> str:
    marks = _events_marks(inc)

    def chart(rows, names, per: float = 1.0, **kw) -> str:
        """One line per named item: column k of ``rows`` (time x items) in units of ``per``."""
        series = [Series(n, rows[:, k] / per) for k, n in enumerate(names)]
        return line_chart(inc.t, series, events=marks, **kw)

    out = []
    if inc.no_rack_inlets:
        why = NOT_RECORDED.format(what="No rack inlet was")
        out.append(f'<h2>Worst racks</h2><p class="muted">{escape(why)}.</p>')
    if inc.worst_racks:
        names = [fac.rack_ids[r] for r in inc.worst_racks]
        rows = "".join(
            f'<tr><td>{escape(n)}</td><td class="n">{inc.rack_peak_c[r]:.1f}</td></tr>'
            for n, r in zip(names, inc.worst_racks, strict=True)
        )
        out.append(
            f"<h2>Worst racks</h2><table><tr><th>rack</th><th>peak inlet °C</th></tr>{rows}</table>"
        )
        limits = [
            (A1_RECOMMENDED_C[1], "A1 recommended 27 °C", "#e09f00"),
            (A1_ALLOWABLE_C[1], "A1 allowable 32 °C", "#d62728"),
        ]
        out.append(
            chart(inc.rack["inlet_c"], names, title="Rack inlet (hottest point)", unit="°C",
                  limits=limits, y_min_span=4)
        )  # fmt: skip
        if np.isfinite(inc.rack["power_w"]).any():  # live DCGM telemetry holds none
            out.append(
                chart(inc.rack["power_w"], names, 1e3, title="Rack power", unit="kW", y_min_span=10)
            )
    if inc.worst_gpus:
        names = [fac.gpu_label(g) for g in inc.worst_gpus]
        slow = float(np.min(fac.gpu_slowdown_c[inc.worst_gpus]))
        rows = "".join(
            f'<tr><td>{escape(n)}</td><td>{escape(fac.rack_ids[fac.gpu_rack[g]])}</td><td class="n">{inc.gpu_peak_c[g]:.1f}</td></tr>'
            for n, g in zip(names, inc.worst_gpus, strict=True)
        )
        out.append(
            f"<h2>Worst GPUs</h2><table><tr><th>GPU</th><th>rack</th><th>peak °C</th></tr>{rows}</table>"
        )
        out.append(
            chart(inc.gpu["temp_c"], names, title="GPU temperature", unit="°C",
                  limits=[(slow, f"slowdown {slow:.0f} °C", "#d62728")], y_min_span=10)
        )  # fmt: skip
        if "power_w" in inc.gpu:
            out.append(
                chart(inc.gpu["power_w"], names, title="GPU power", unit="W", y_min_span=100)
            )
        if "throttling" in inc.gpu:
            out.append(
                chart(inc.gpu["throttling"], names, title="GPU throttled by heat (1 = yes)",
                      unit="flag", y_min_span=1, y_floor=0.0)
            )  # fmt: skip
    return "\n".join(out)


def _cooling(fac: Facility, inc: Incident) -> str:
    marks = _events_marks(inc)
    out = ["<h2>Cooling over time</h2>"]
    if inc.hall_inlet_max_c is not None:
        out.append(
            line_chart(
                inc.t,
                [
                    Series("hottest rack inlet", inc.hall_inlet_max_c),
                    Series("mean rack inlet", inc.hall_inlet_mean_c),
                ],
                title="Rack inlets across the recording",
                unit="°C",
                events=marks,
                limits=[
                    (A1_RECOMMENDED_C[1], "A1 recommended 27 °C", "#e09f00"),
                    (A1_ALLOWABLE_C[1], "A1 allowable 32 °C", "#d62728"),
                ],
                y_min_span=4,
            )
        )
        out.append(
            line_chart(
                inc.t,
                [Series("RCI_HI", inc.rci_hi_pct)],
                title="Rack Cooling Index (high side)",
                unit="%",
                events=marks,
                limits=[(100.0, "ideal", "#2ca02c"), (90.0, "poor below 90 %", "#d62728")],
                y_min_span=10,
            )
        )
    if inc.units:
        ids = fac.air_unit_ids
        cap = float(np.max(fac.air_unit_capacity_w)) / 1e3 if len(ids) else 0.0
        charts = [
            _units_chart(inc, ids, "return_c", 1.0, marks, title="Air unit return", unit="°C",
                         y_min_span=4),
            _units_chart(inc, ids, "load_w", 1e3, marks, title="Air unit load", unit="kW",
                         y_floor=0.0, limits=[(cap, f"capacity {cap:.0f} kW", "#d62728")],
                         y_min_span=20),
        ]  # fmt: skip
        if not any(charts):
            why = NOT_RECORDED.format(what="No air unit's return or load was")
            charts.append(f'<p class="muted">{escape(why)}.</p>')
        out.extend(c for c in charts if c)
    return "\n".join(out)


def _units_chart(inc: Incident, ids, name: str, per: float, marks, **kw) -> str:
    """One line per air unit with a reading of ``name``, or "" where none has one (an empty
    chart reads as a flat zero)."""
    rows = inc.units[name]
    series = [
        Series(u, rows[:, k] / per) for k, u in enumerate(ids) if np.isfinite(rows[:, k]).any()
    ]
    return line_chart(inc.t, series, events=marks, **kw) if series else ""


def _energy(inc: Incident) -> str:
    """Facility power and PUE over the recording (``twin.physics.energy``)."""
    en = inc.energy
    if en is None or len(en.time_s) < 2:
        return ""
    t = en.time_s - inc.start_s
    marks = _events_marks(inc)
    s = en.summary()
    return "\n".join(
        [
            "<h2>Energy</h2>",
            f"<p>IT {s['it_kwh']:,.1f} kWh, facility {s['facility_kwh']:,.1f} kWh, cooling "
            f"{s['cooling_kwh']:,.1f} kWh: PUE {_pue_span(s)}{escape(gap_note(s))}.</p>",
            "".join(
                f'<p class="muted">Assumed: {escape(what)}.</p>' for what in inc.energy_assumed
            ),
            line_chart(
                t,
                [Series("PUE", en.pue)],
                title="Power usage effectiveness",
                unit="",
                events=marks,
                y_min_span=0.1,
            ),
            line_chart(
                t,
                [
                    Series("facility", en.total_w / 1e3),
                    Series("IT", en.it_w / 1e3),
                    Series("cooling", en.cooling_w / 1e3),
                ],
                title="Facility power",
                unit="kW",
                events=marks,
                y_floor=0.0,
                y_min_span=20,
            ),
        ]
    )


def _pue_span(s: dict) -> str:
    """The span's PUE and its range frame by frame, or that there is no IT load to divide by
    (a recording of racks at 0 W read "PUE None over the span, from None to None")."""
    if s["pue"] is None:
        return ratio_text(float("nan"))
    return f"{s['pue']} over the span, from {s['pue_min']} to {s['pue_max']} frame by frame"


#: What the report says where a recording holds no rack inlet, or no air unit's load: live
#: DCGM telemetry is GPU readings only.
NOT_RECORDED = (
    "{what} recorded (dcgm-exporter serves GPU readings only; twin record --physics fills "
    "the air from the airflow model)"
)


def _heat(fac: Facility, inc: Incident) -> str:
    """Each air unit's heat removed, its share, peak load and time off; the rest of the IT
    energy went to liquid loops or stayed in the room, said only where every unit's load was
    recorded (a unit with no reading removed an unknown heat, not none)."""
    if inc.unit_energy_kwh is None:
        return ""
    head = "<h2>Where the heat went</h2>"
    load = inc.units["load_w"]
    seen = np.isfinite(load).any(axis=0)
    if not seen.any():
        why = NOT_RECORDED.format(what="No air unit's load was")
        return f'{head}<p class="muted">{escape(why)}, so where the heat went is not known.</p>'
    total = float(inc.unit_energy_kwh[seen].sum())
    rows = [
        _heat_row(fac, inc, k, total) if seen[k] else _unread_row(fac, k) for k in range(len(seen))
    ]
    table = (
        f"{head}<table><tr><th>air unit</th><th>heat removed kWh</th><th>share</th>"
        f"<th>peak load / capacity kW</th><th>time off</th></tr>{''.join(rows)}</table>"
    )
    if not seen.all():
        return table + (
            f"<p>IT energy {inc.it_energy_kwh:.1f} kWh; the air units whose load was recorded "
            f"removed {total:.1f} kWh; {int((~seen).sum())} of {len(seen)} units' loads were not "
            "recorded, so what went to liquid loops is not known.</p>"
        )
    gap = inc.it_energy_kwh - total
    gap = 0.0 if abs(gap) < 0.05 else gap
    return table + (
        f"<p>IT energy {inc.it_energy_kwh:.1f} kWh; air units removed {total:.1f} kWh; the rest "
        f"({gap:.1f} kWh) went to liquid loops or stayed in the room.</p>"
    )


def _heat_row(fac: Facility, inc: Incident, k: int, total: float) -> str:
    e = float(inc.unit_energy_kwh[k])
    peak = float(np.nanmax(inc.units["load_w"][:, k])) / 1e3
    off = int(np.sum(reads_off(inc.units["state"][:, k]))) * inc.dt_s
    return (
        f'<tr><td>{escape(fac.air_unit_ids[k])}</td><td class="n">{e:.1f}</td><td class="n">{100 * e / total if total else 0:.0f} %</td>'
        f'<td class="n">{peak:.0f} / {fac.air_unit_capacity_w[k] / 1e3:.0f}</td><td class="n">{mmss(off)}</td></tr>'
    )


def _unread_row(fac: Facility, k: int) -> str:
    return (
        f'<tr><td>{escape(fac.air_unit_ids[k])}</td><td class="muted" colspan="3">load not '
        'recorded</td><td class="n"></td></tr>'
    )
