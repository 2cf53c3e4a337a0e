"""Host-name patterns (``{rack}-{slot:02d}``): checked once when the layout is read, so that
formatting one never raises, never reaches an attribute, and never pads a name to gigabytes."""

from __future__ import annotations

import re
import string

from twin.model.limits import MAX_HOST_NAME, MAX_HOST_WIDTH

FIELDS = ("rack", "row", "hall", "slot", "n")
_WIDTH = re.compile(r"^(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)")


def check_host_pattern(pattern: str) -> str:
    """``pattern`` if it formats with ``FIELDS`` alone into a name of at most ``MAX_HOST_NAME``
    characters; else ``ValueError`` saying what is wrong (pydantic shows it for the field)."""
    if not pattern:
        raise ValueError("host pattern is empty: use e.g. '{rack}-{slot:02d}'")
    what = f"host pattern {pattern!r}"
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(f"{what} is not a format string: {exc}") from None
    literal = 0
    for text, field, spec, conversion in parts:
        literal += len(text)
        if field is None:
            continue
        if field not in FIELDS:
            raise ValueError(
                f"{what}: {{{field}}} is not allowed; use only "
                + ", ".join(f"{{{f}}}" for f in FIELDS)
            )
        if conversion is not None:
            raise ValueError(f"{what}: conversions such as !{conversion} are not allowed")
        if "{" in (spec or ""):
            raise ValueError(f"{what}: nested fields in a format spec are not allowed")
        width = _WIDTH.match(spec or "")
        if width and width.group(1) and int(width.group(1)) > MAX_HOST_WIDTH:
            raise ValueError(
                f"{what}: width {width.group(1)} is too wide (at most {MAX_HOST_WIDTH})"
            )
        precision = re.search(r"\.(\d+)", spec or "")
        if precision and int(precision.group(1)) > MAX_HOST_WIDTH:
            raise ValueError(
                f"{what}: precision {precision.group(1)} is too wide (at most {MAX_HOST_WIDTH})"
            )
    if literal > MAX_HOST_NAME:
        raise ValueError(f"{what} is too long for a host name (at most {MAX_HOST_NAME})")
    try:
        pattern.format(rack="R", row="A", hall="H", slot=1, n=1)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise ValueError(f"{what} cannot be formatted: {exc}") from None
    return pattern
