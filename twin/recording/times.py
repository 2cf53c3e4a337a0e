"""Times as people type them for a recording: one reading everywhere (CLI, reader, window).

``12:30`` means twelve minutes thirty into the recording (mm:ss; ``1:02:03`` is h:mm:ss), as
on a player's scrubber; durations (``90``, ``90s``, ``5m``, ``1h30m``, optionally after ``+``)
count from the start too; an ISO 8601 time (UTC unless zoned) or epoch seconds is absolute.
"""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s)")
EPOCH_MIN_S = 1e9  # a bare number this large is a Unix time, not an offset (2001 onwards)


def parse_duration(text: str) -> float:
    """``"30m"``, ``"1h30m"``, ``"1m30"``, ``"90s"``, ``"45"`` (seconds) -> seconds;
    ValueError otherwise."""
    text = text.strip().lower()
    try:
        return float(text)
    except ValueError:
        pass
    tail = 0.0
    if m := re.fullmatch(r"(.*[hms])\s*(\d+(?:\.\d+)?)", text):  # "1m30": seconds last
        text, tail = m.group(1), float(m.group(2))
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise ValueError(f"not a duration: {text!r} (e.g. 30m, 1h30m, 90s)")
    return sum(float(n) * _UNITS[u] for n, u in parts) + tail


def parse_at(text: str, start_s: float) -> float:
    """A time in a recording that starts at ``start_s`` -> seconds since the epoch."""
    raw = text
    text = text.strip()
    offset = text.removeprefix("+")
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}(\.\d+)?", offset):
        parts = [float(x) for x in offset.split(":")]
        if any(x >= 60 for x in parts[1:]):
            raise ValueError(f"not a time: {raw!r} (minutes and seconds run 0-59)")
        secs = 0.0
        for x in parts:
            secs = secs * 60 + x
        return start_s + secs
    try:
        value = float(offset)
    except ValueError:
        pass
    else:
        return value if value >= EPOCH_MIN_S and not text.startswith("+") else start_s + value
    try:
        return start_s + parse_duration(offset)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"not a time: {raw!r} (use mm:ss or h:mm:ss from the recording start, 90s / 5m "
            "from the start, or an ISO 8601 time)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.timestamp()
