"""Powers written for people: kW up to a few megawatts, MW beyond (a 187,411 kW factory reads
as 187.4 MW)."""

from __future__ import annotations

import math

#: From this power up (W) a figure is written in MW.
MW_FROM_W = 10e6


def power_unit(power_w: float) -> tuple[float, str]:
    """(watts per unit, unit) to write ``power_w`` and powers beside it in: MW from
    ``MW_FROM_W``, kW below."""
    return (1e6, "MW") if abs(power_w) >= MW_FROM_W else (1e3, "kW")


def power_text(power_w: float, digits: int = 1) -> str:
    """``power_w`` in kW, or in MW from ``MW_FROM_W``; ``digits`` after the point."""
    scale, unit = power_unit(power_w)
    return f"{power_w / scale:,.{digits}f} {unit}"


def load_text(load_w: float, capacity_w: float) -> str:
    """``load / capacity unit (share %)`` in one unit, chosen by the larger of the two."""
    if capacity_w <= 0:
        return power_text(load_w)
    scale, unit = power_unit(max(load_w, capacity_w))
    return (
        f"{load_w / scale:,.1f} / {capacity_w / scale:,.0f} {unit} "
        f"({100 * load_w / capacity_w:.0f} %)"
    )


def count_text(n: int, noun: str) -> str:
    """``1 hall``, ``2 halls``, ``1,400 racks``, ``2 processes``: a count with its noun in
    the right number (English's regular plurals)."""
    n = int(n)
    if n == 1:
        return f"1 {noun}"
    suffix = "es" if noun.endswith(("s", "x", "ch", "sh")) else "s"
    return f"{n:,} {noun}{suffix}"


def finite_or_none(x: float | None, nd: int) -> float | None:
    """``x`` rounded to ``nd`` places for JSON, or None where it is None, NaN or infinite
    (JSON has no NaN: ``json.dumps`` writes one that strict readers refuse)."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


def ratio_text(x: float, digits: int = 3) -> str:
    """A PUE or another ratio over the IT load, or ``n/a (no IT load)`` where there is none
    to divide by (NaN): a hall with its racks off, a blackout frame."""
    return f"{x:.{digits}f}" if math.isfinite(x) else "n/a (no IT load)"


def ratio_change_text(before: float, after: float, arrow: str = "->") -> str:
    """``1.234 -> 1.201``, or one ``n/a (no IT load)`` where neither has an IT load to divide
    by (the set-point optimiser changes no IT load)."""
    if math.isfinite(before) or math.isfinite(after):
        return f"{ratio_text(before)} {arrow} {ratio_text(after)}"
    return ratio_text(before)


def signed_text(x: float, digits: int = 1) -> str:
    """A difference with its sign, ``+1.3`` or ``-0.4``; one that rounds to zero is ``+0.0``
    (Python writes -0.04 as "-0.0", a change that reads as a fall)."""
    return f"{round(float(x), digits) + 0.0:+.{digits}f}"


def above_text(value: float, limit: float) -> str:
    """``value`` to one decimal, or to as many more (up to three) as it takes to read above
    ``limit``: a rack inlet of 32.04 C "reaches 32.0 C, above 32 C" read as a contradiction."""
    for digits in (1, 2, 3):
        text = f"{value:.{digits}f}"
        if float(text) > limit:
            return text
    return f"{value:.1f}"
