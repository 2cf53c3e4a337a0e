"""A solve that breaks conservation or physics ends with an error, never with numbers.

DESIGN: mass and energy balance to within 1 %, always. A result outside that, or with air or
device temperatures no data hall can reach, means the input or the solver went wrong, and
printing it (``twin thermal`` exiting 0 with a 1.7e13 °C exhaust) would be worse than saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.physics.heat import ThermalError

if TYPE_CHECKING:
    from twin.physics.model import ThermalResult

#: Largest relative mass or energy imbalance of a steady solve.
MAX_BALANCE_ERROR = 0.01
#: Air anywhere in a hall (°C): below freezing-point supply, above a fire's onset.
AIR_C = (-40.0, 150.0)
#: Why nothing the model says of air past ``AIR_C`` holds (what a report says beside it).
AIR_LIMIT_WHY = "(its equipment trips and its walls take up heat first; the model has neither)"
#: A GPU's junction: below the coldest supply, above any shutdown threshold.
DEVICE_C = (-40.0, 250.0)


def span_outside(values, limits: tuple[float, float]) -> tuple[float, float] | None:
    """The lowest and highest of ``values`` (NaN left out) when any is not finite or outside
    ``limits``; None when all are inside (or there are none)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    lo, hi = limits
    if not v.size or (np.all(np.isfinite(v)) and lo <= v.min() and v.max() <= hi):
        return None
    return float(v.min()), float(v.max())


def impossibilities(res: ThermalResult) -> list[str]:
    """What is impossible about a steady result: each broken balance or out-of-range
    temperature as a phrase (empty when nothing is). The design check, the set-point optimiser
    and the unit-loss rule judge such a hall by this, not by its figures."""
    problems = []
    if not np.isfinite(res.mass_error) or res.mass_error > MAX_BALANCE_ERROR:
        problems.append(f"mass balance off by {res.mass_error:.3g} (limit {MAX_BALANCE_ERROR:g})")
    heat = max(res.heat_in_w, 1.0)
    if not np.isfinite(res.energy_error) or (
        res.heat_in_w > 1.0 and res.energy_error > MAX_BALANCE_ERROR
    ):
        problems.append(
            f"energy balance off by {res.energy_error:.3g} (heat in {heat / 1e3:.1f} kW, "
            f"out {res.heat_out_w / 1e3:.1f} kW; limit {MAX_BALANCE_ERROR:g})"
        )
    for name, values, (lo, hi) in (
        ("air", res.air_c, AIR_C),
        ("rack exhaust", res.rack_exhaust_c, AIR_C),
        ("GPU", res.gpu_temp_c, DEVICE_C),
    ):
        span = span_outside(values, (lo, hi))
        if span is not None:
            problems.append(
                f"{name} temperatures from {span[0]:.4g} to {span[1]:.4g} °C, outside the "
                f"physical range {lo:g}..{hi:g} °C"
            )
    return problems


def impossible(res: ThermalResult) -> str:
    """The first of ``impossibilities`` for a verdict to name ("" when the result is possible):
    "air temperatures from 1.02e+05 to ... °C, outside the physical range -40..150 °C"."""
    problems = impossibilities(res)
    return problems[0] if problems else ""


def check_result(res: ThermalResult, hall: str = "") -> None:
    """Raise ``ThermalError`` naming what is impossible about a steady result."""
    problems = impossibilities(res)
    if problems:
        where = f"hall {hall}: " if hall else ""
        if res.overloaded:  # the cause, not only its symptom
            where += (
                "no steady state: its racks send more heat to the air than its running air "
                "units can remove, and "
            )
        raise ThermalError(
            f"{where}the solve gives impossible results, so none are shown: "
            + "; ".join(problems)
            + " (check the layout's flows, powers and supply temperatures)"
        )
