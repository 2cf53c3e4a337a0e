"""``twin info run.h5``: summarise a recording: span, items, metrics, events, size."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="summarise a recording")
    p.add_argument("recording", metavar="RECORDING.h5")
    p.add_argument("--events", action="store_true", help="list every event")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def summary(rec) -> dict:
    """The facts ``twin info`` prints, as a dictionary."""
    from collections import Counter

    n = rec.n_frames
    rate = (n - 1) / rec.duration_s if n > 1 and rec.duration_s > 0 else None
    return {
        "file": str(rec.path),
        "format": rec.format,
        "layout": rec.layout_name,
        "layout_hash": rec.layout_hash[:16],
        "start": iso(rec.start_s),
        "end": iso(rec.end_s),
        "duration_s": rec.duration_s,
        "frames": n,
        "rate_hz": rate,
        "items": dict(rec.counts),
        "metrics": {
            kind: [f"{name} [{unit}, {res:g}]" for name, unit, res in metrics]
            for kind, metrics in rec.metrics.items()
        },
        "events": dict(Counter(str(e.kind) for e in rec.events)),
        "size_bytes": rec.size_bytes,
        "samples": rec.n_samples,
        "bytes_per_sample": rec.bytes_per_sample,
        "filled_by_model": list(rec.filled_by_model),
        "warnings": list(getattr(rec, "warnings", [])),
    }


def iso(t: float, timespec: str = "seconds") -> str | None:
    """Any stored time as text: ISO 8601 within the calendar, else the raw seconds (a damaged
    file may hold 2^63 or -1e300); None for NaN (no time)."""
    import datetime as dt
    import math

    if math.isnan(t):
        return None
    try:
        return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec=timespec)
    except (OverflowError, ValueError, OSError):
        return f"{t:.6g} s since 1970 (outside the calendar)"


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.recording import RecordingError, open_recording

    try:
        with open_recording(args.recording) as rec:
            info = summary(rec)
            info["energy"] = _energy(rec, info["warnings"])
            info["assumed"] = _assumed(rec) if info["energy"] else []
            events = rec.events if args.events else []
    except RecordingError as exc:
        print(f"twin info: {exc}", file=sys.stderr)
        return 1
    if args.json:
        if args.events:
            info["event_list"] = [
                {
                    "time_s": e.time_s,
                    "kind": str(e.kind),
                    "item": e.item,
                    "message": e.message,
                    "severity": e.severity,
                }
                for e in events
            ]
        print(json.dumps(info, indent=2))
        return 0
    rate = f", {info['rate_hz']:g} Hz" if info["rate_hz"] else ""
    print(f"{info['file']}  ({info['format']})")
    print(f"  layout   {info['layout']}  (hash {info['layout_hash']})")
    print(
        f"  span     {info['start']} .. {info['end']}  "
        f"({_hms(info['duration_s'])}, {info['frames']} frames{rate})"
    )
    print("  items    " + ", ".join(f"{v} {k}" for k, v in info["items"].items() if v))
    for kind, metrics in info["metrics"].items():
        print(f"  {kind:8s} " + ", ".join(metrics))
    total = sum(info["events"].values())
    detail = ", ".join(f"{v} {k}" for k, v in sorted(info["events"].items()))
    print(f"  events   {total}" + (f" ({detail})" if detail else ""))
    print(
        f"  size     {info['size_bytes'] / 1e6:.2f} MB, {info['samples']:,} samples, "
        f"{info['bytes_per_sample']:.3f} bytes per sample"
    )
    if info["filled_by_model"]:
        from twin.recording.format import filled_text

        print(f"  filled   {filled_text(info['filled_by_model'])}")
    if info["energy"]:
        print(energy_line(info["energy"]))
    for what in info["assumed"]:
        print(f"  assumed  {what}")
    for w in info["warnings"]:
        print(f"  warning  {w}")
    for e in events:
        when = (iso(e.time_s) or "?").replace("T", " ").replace("+00:00", "")
        print(f"  {when}  {e.kind!s:15s} {e.item:24s} {e.message}")
    return 0


def energy_line(en: dict) -> str:
    """The recording's energy and PUE (its range frame by frame), or that it has no IT load
    to divide by."""
    from twin.model.units import ratio_text
    from twin.physics.energy import gap_note

    pue = (
        f"PUE {en['pue']} (frames {en['pue_min']}..{en['pue_max']})"
        if en["pue"] is not None
        else f"PUE {ratio_text(float('nan'))}"
    )
    return (
        f"  energy   IT {en['it_kwh']:,.1f} kWh, facility {en['facility_kwh']:,.1f} kWh, "
        f"{pue}{gap_note(en)}"
    )


def _energy(rec, warnings: list[str]) -> dict | None:
    """The facility energy over the recording (up to 240 frames spread over it), or None
    when its embedded layout does not load (a recorded layout that does not line up with
    the data is said in ``warnings``)."""
    from twin.commands.energy import recording_energy
    from twin.model.errors import LayoutError

    if rec.n_frames == 0:
        return None
    from twin.recording import LayoutMismatch, RecordingError

    try:
        return recording_energy(rec, max_frames=240).summary()
    except LayoutMismatch as exc:
        warnings.append(f"no energy: {str(exc).removeprefix(f'{rec.path}: ')}")
        return None
    except (LayoutError, ValueError, RecordingError, ArithmeticError):
        return None  # a damaged recording still gets its summary, without energy


def _assumed(rec) -> list[str]:
    """What the energy line takes from the layout for want of readings (``assumed_readings``);
    nothing where the file cannot say (the energy read it; a damaged table is said above)."""
    from twin.physics.energy import assumed_readings
    from twin.recording import RecordingError

    try:
        return assumed_readings(rec)
    except RecordingError:
        return []


def _hms(seconds: float) -> str:
    import math

    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
