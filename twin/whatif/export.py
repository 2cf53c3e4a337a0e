"""A what-if and a sweep as people read them: a text report for the terminal and CSV rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from twin.model.atomic import write_text_atomic


def write_csv(path: str | Path, rows: list[dict]) -> None:
    """Rows (dicts with the same keys) as CSV, written atomically; None is an empty cell."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
    write_text_atomic(path, buf.getvalue())


def _min(x) -> str:
    return "never" if x is None else f"{x:.1f} min"


def _first(x) -> str:
    """ " (first after 6.3 min)", or nothing when none did within the run ("first after never"
    read as a broken sentence)."""
    return "" if x is None else f" (first after {x:.1f} min)"


def whatif_text(res) -> str:
    """Summary, overloads, the racks soonest in trouble and the first GPUs to slow down."""
    s = res.summary()
    past = s["air_past_limit_min"]
    followed = (
        f"{s['duration_min']:.0f} min"
        if past is None
        else (f"{past:.1f} of {s['duration_min']:.0f} min")
    )
    lines = [
        f"what if {' + '.join(s['failed'])} fail ({res.start_label}), hall {s['hall']}, "
        f"followed {followed} in {res.dt_s:g} s steps ({res.seconds:.1f} s)",
        *([f"  {air_limit_line(past)}"] if past is not None else []),
        *([f"  {ramp_line(s['ramped_units'])}"] if s["ramp_applied"] else []),
        f"  dark: {s['racks_dark']} racks, {s['gpus_dark']} GPUs; on one feed: "
        f"{s['racks_single_fed']} racks",
        f"  GPUs reaching slowdown: {s['gpus_throttled']}{_first(s['ride_through_min'])}; "
        f"shut down by heat: {s['gpus_shut_down']}",
        f"  racks leaving A1 allowable (32 C): {s['racks_outside_allowable']}"
        f"{_first(s['first_rack_outside_allowable_min'])}",
    ]
    before = before_line(s)
    if before:
        lines.append(f"  {before}")
    for o in s["overloaded"]:
        lines.append(
            f"  OVERLOAD {o['id']} ({o['kind']}): {o['load_kw']:.1f} kW on a "
            f"{o['capacity_kw']:.1f} kW rating"
        )
    if not s["overloaded"]:
        lines.append("  no power device over its rating after failover")
    lines.append(
        f"{'rack':12s} {'state':10s} {'GPUs':>5s} {'thr':>5s} {'before':>6s} {'slowdown':>10s} "
        f"{'>27 C':>10s} {'>32 C':>10s} {'peak in':>8s}"
    )
    for r in res.racks_ranked()[:20]:
        state = "DARK" if r["dark"] else ("one feed" if r["single_fed"] else "")
        peak = "" if r["peak_inlet_c"] is None else f"{r['peak_inlet_c']:.1f}"
        # past 32 C (so past 27 C) before the failure: not the failure's 0.0 min
        rec, allow = (
            ("before", "before")
            if r["outside_at_start"]
            else (_min(r["outside_recommended_min"]), _min(r["outside_allowable_min"]))
        )
        lines.append(
            f"{r['id']:12s} {state:10s} {r['gpus']:5d} {r['gpus_throttled']:5d} "
            f"{r['gpus_throttled_at_start']:6d} {_min(r['first_slowdown_min']):>10s} {rec:>10s} "
            f"{allow:>10s} {peak:>8s}"
        )
    return "\n".join(lines)


def ramp_line(units: list[str]) -> str:
    """Which units the what-if ran faster after the loss (``--ramp``): none where every other
    running unit of the hall already ran at its rating, which the line says rather than
    leaving the asked-for ramp unmentioned."""
    if not units:
        return "ramped none after the loss: the hall's other running units already run at their rated flow"
    return f"ramped to their rated flow after the loss: {', '.join(units)}"


def air_limit_line(past_min: float) -> str:
    """Why a transient stopped early: its air left what the model (and any hall) holds."""
    from twin.physics.plausible import AIR_LIMIT_WHY
    from twin.whatif.engine import AIR_LIMIT_C

    return (
        f"stopped at {past_min:.1f} min: the hall's air passed {AIR_LIMIT_C:.0f} C, which no "
        f"data hall reaches {AIR_LIMIT_WHY}: what comes later is not followed"
    )


def before_line(summary: dict) -> str | None:
    """What was past its limits before any failure, which the counts leave out (None: nothing
    was)."""
    slow = summary.get("gpus_throttled_at_start", 0)
    shut = summary.get("gpus_shut_down_at_start", 0)
    racks = summary.get("racks_outside_allowable_at_start", 0)
    # an overloaded start: its figures hold a supply its units cannot, and it warms anyway
    over = summary.get("start_overload_note")
    over = f"; and {over}, followed from there" if over else ""
    if not (slow or shut or racks or over):
        return None
    return (
        f"before the failure: {slow} GPUs at slowdown ({shut} at shutdown), {racks} racks past "
        f"A1 allowable; not counted as the failure's{over}"
    )


def sweep_text(sweep) -> str:
    """The ranked N-1 table."""
    before = before_line(sweep.cases[0]) if sweep.cases else None
    lines = [
        f"N-1 sweep: {len(sweep.cases)} cases on {sweep.where} ({sweep.workers} workers), "
        f"{sweep.seconds:.1f} s",
        *([before] if before else []),
        *(
            ["an air unit's loss ramps the hall's other units to their rated flow (--ramp)"]
            if sweep.options.get("ramp")
            else []
        ),
        f"{'failed':20s} {'GPUs dark':>9s} {'throttled':>9s} {'ride-through':>13s} "
        f"{'racks >32 C':>11s}  overloads",
    ]
    for c in sweep.cases:
        over = ", ".join(o["id"] for o in c["overloaded"]) or "-"
        lines.append(
            f"{'+'.join(c['failed']):20s} {c['gpus_dark']:9d} {c['gpus_throttled']:9d} "
            f"{_min(c['ride_through_min']):>13s} {c['racks_outside_allowable']:11d}  {over}"
        )
    return "\n".join(lines)
