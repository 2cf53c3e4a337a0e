"""Does a foreign CFD field stand where the hall is, and in its units? A mesh moved by a few
metres, given in another room's axes or in degrees Fahrenheit still reaches the rack inlets,
so it was compared (and calibrated to) with only a coverage note: 13 K RMS and a rank
correlation of -0.55 for a mesh 3 m off, a calibration that set the eddy viscosity to 5.
These checks say what is off in the report, and calibration refuses such a field."""

from __future__ import annotations

import numpy as np

#: How far the CFD's coldest air (its 1st percentile) may lie from the hall's coldest supply
#: set point (K): a unit short of capacity supplies a little warmer; a field in Fahrenheit
#: (65 F for 18 C) or run with other set points differs by far more.
COLD_AIR_TOLERANCE_K = 5.0


def hall_air_box(grid) -> tuple[np.ndarray, np.ndarray]:
    """The corners (m, the hall's own axes) of the box the grid's cells fill."""
    lo = np.asarray(grid.origin_m, float)
    return lo, lo + np.asarray(grid.shape) * grid.cell_m


def span_text(lo, hi) -> str:
    """``x 0.00..12.00, y ..., z ...``: a box as the messages write it."""
    return ", ".join(f"{a} {x:.2f}..{y:.2f}" for a, x, y in zip("xyz", lo, hi, strict=True))


def extent_note(points_m: np.ndarray | None, grid, spacing_m: float | None) -> str:
    """Where a foreign field's points reach past the hall's walls (x, y) by more than half its
    own spacing or Twin's cell, with both spans, or "". A field over part of the hall stops
    short of its walls (the coverage note says so); points below the floor or above the
    ceiling may be a plenum or a void the CFD models and Twin does not."""
    if points_m is None or len(points_m) == 0:
        return ""
    pts = np.asarray(points_m, float)
    lo_p, hi_p = pts.min(0), pts.max(0)
    lo_h, hi_h = hall_air_box(grid)
    # mesh points lie on the walls, cell centres half a cell inside them
    tol = 0.5 * max(spacing_m or 0.0, grid.cell_m)
    beyond = np.array([lo_h[0] - lo_p[0], lo_h[1] - lo_p[1], hi_p[0] - hi_h[0], hi_p[1] - hi_h[1]])
    k = int(np.argmax(beyond))
    if beyond[k] <= tol:
        return ""
    wall = (lo_h[0], lo_h[1], hi_h[0], hi_h[1])[k]
    return (
        f"its points span {span_text(lo_p, hi_p)} m, the hall's air {span_text(lo_h, hi_h)} m (its own "
        f"axes, from its corner on the floor): they reach {beyond[k]:.2f} m past the hall's "
        f"wall at {'xy'[k % 2]} = {wall:.2f} m. A field moved, of another room or in other "
        "axes is compared as if in place"
    )


def cold_air_note(air_c: np.ndarray, fluid: np.ndarray, supply_c: np.ndarray) -> str:
    """Where the field's coldest air (1st percentile of the hall's air cells) is further than
    ``COLD_AIR_TOLERANCE_K`` from the hall's coldest supply set point, or ""."""
    supply = np.asarray(supply_c, float)
    supply = supply[np.isfinite(supply)]
    air = air_c[fluid & np.isfinite(air_c)]
    if not supply.size or not air.size:
        return ""
    cold = float(np.percentile(air, 1))
    set_c = float(supply.min())
    if abs(cold - set_c) <= COLD_AIR_TOLERANCE_K:
        return ""
    return (
        f"its coldest air reads {cold:.1f} C, the hall's coldest supply is set to {set_c:.1f} C: "
        f"a field in Fahrenheit, or run with other supply temperatures, differs by "
        f"{cold - set_c:+.1f} K everywhere"
    )


def hall_supply_c(fac, grid) -> np.ndarray:
    """The supply temperatures the hall's air comes in at: its air units' set points and its
    supply regions' own temperatures (tiles fed at a fixed temperature)."""
    hall = fac.hall_ids[grid.hall]
    regions = [
        s.supply_c for s in fac.layout.cooling.supplies if s.hall == hall and s.supply_c is not None
    ]
    units = np.asarray(fac.air_unit_supply_c, float)[np.asarray(grid.unit_ids, dtype=int)]
    return np.concatenate([units, np.asarray(regions, float)])
