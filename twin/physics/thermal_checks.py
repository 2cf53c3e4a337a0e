"""Design rules that need the thermal solve: what the static checks (``model.constraints``)
cannot see, because it depends on where the air goes.

From one steady solve of a hall:
- a rack whose hottest inlet is above ASHRAE A1 recommended (27 C) is a warning, above
  allowable (32 C) an error;
- an air unit the solve runs at its capacity (its supply warms above the set point) is an
  error;
- GPUs that reach their slowdown temperature at nominal load are an error;
and, for halls whose ``cooling_redundancy`` is N+1 or 2N, one more steady solve per running
air unit with that unit failed and the others at their rated flow: "does not survive the loss
of unit X" when it leaves a rack outside A1 allowable, GPUs at slowdown or no steady state, and
a warning when it survives with a unit driven to its capacity (``unit_loss``, the rule the
set-point optimiser's failure cases keep too).

CDU capacity is a static check (the liquid share of heat is known without the air), so it
stays in ``model.constraints``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from twin.model.constraints import Violation
from twin.model.errors import field_path
from twin.model.facility import Facility
from twin.model.units import above_text
from twin.physics.heat import ThermalError
from twin.physics.metrics import A1_ALLOWABLE_C, A1_RECOMMENDED_C
from twin.physics.model import ThermalModel, ThermalResult
from twin.physics.plausible import impossible
from twin.physics.results import overload_note
from twin.physics.unit_loss import Survival, ramped_flow_scale, survival


def _rack_field(fac: Facility, r: int) -> str:
    ri = int(fac.rack_row[r])
    k = int(np.flatnonzero(np.flatnonzero(fac.rack_row == ri) == r)[0])
    return field_path(("rows", ri, "racks", k))


def _unit_field(a: int) -> str:
    return field_path(("cooling", "air_units", a))


def thermal_violations(fac: Facility, res: ThermalResult) -> list[Violation]:
    """Inlet, air-unit capacity and GPU slowdown rules from one steady result. A result with
    impossible figures (``plausible.impossible``: a hall whose units move almost no air
    reads 100,000 C) is one error for the hall, without them."""
    why = impossible(res)
    if why:  # the figures mean nothing: the hall's one error, its cause where known
        text = OVERLOADED if res.overloaded else f"no possible steady state, so no figures ({why})"
        return [_hall_error(fac, res, text)]
    # an overloaded hall's figures hold its units' set supply, which they cannot: its racks
    # run hotter than shown (``results.overload_note``, the hall's error below)
    hotter = res.overloaded
    out = _inlet_violations(fac, res, hotter)
    for a in np.flatnonzero(res.air_unit_at_capacity):
        out.append(
            Violation(
                "thermal-air-unit",
                "error",
                f"air unit {fac.air_unit_ids[a]!r} runs at its {res.air_unit_capacity_w[a] / 1e3:.0f}"
                f" kW capacity: its supply warms to {res.air_unit_supply_c[a]:.1f} C",
                (fac.air_unit_ids[a],),
                _unit_field(int(a)),
            )
        )
    if res.overloaded:
        out.append(_hall_error(fac, res, overload_note(fac, res)))
    thr = np.flatnonzero(res.gpu_throttled & (fac.gpu_hall == res.grid.hall))
    if len(thr):
        by_rack = np.bincount(fac.gpu_rack[thr], minlength=fac.n_racks)
        for r in np.flatnonzero(by_rack):
            g = thr[fac.gpu_rack[thr] == r]
            text = (
                f"{by_rack[r]} GPU(s) of rack {fac.rack_ids[r]!r} reach slowdown at nominal load "
                f"(hottest {np.max(res.gpu_temp_c[g]):.1f} C"
                f"{' or more: no steady state' if hotter else ''})"
            )
            out.append(_rack_violation(fac, int(r), "thermal-gpu", "error", text))
    return out


def _inlet_violations(fac: Facility, res: ThermalResult, hotter: bool) -> list[Violation]:
    """A rack whose hottest inlet is above ASHRAE A1 recommended (a warning) or allowable (an
    error); ``hotter``: the figures understate the inlets (an overloaded hall)."""
    out: list[Violation] = []
    racks = res.grid.rack_ids
    mx = res.rack_inlet_max_c[racks]
    for r, t in zip(racks, mx, strict=True):
        if not np.isfinite(t) or t <= A1_RECOMMENDED_C[1]:
            continue
        bad = t > A1_ALLOWABLE_C[1]
        limit = "allowable (32 C)" if bad else "recommended (27 C)"
        t_text = above_text(t, A1_ALLOWABLE_C[1] if bad else A1_RECOMMENDED_C[1])
        text = (
            f"inlet of rack {fac.rack_ids[r]!r} reaches {t_text} C"
            f"{' or more (no steady state)' if hotter else ''}, above ASHRAE A1 {limit}"
        )
        out.append(
            _rack_violation(fac, int(r), "thermal-inlet", "error" if bad else "warning", text)
        )
    return out


def _rack_violation(fac: Facility, r: int, kind: str, severity: str, text: str) -> Violation:
    """A rule broken at one rack: the rack is its item and its layout entry its field."""
    return Violation(kind, severity, text, (fac.rack_ids[r],), _rack_field(fac, r))


#: what the design check says of a hall whose heat its running air units cannot remove
OVERLOADED = (
    "its racks send more heat to the air than its running air units can remove; no steady state"
)


def solve_failure(fac: Facility, hall: int, exc: Exception) -> Violation:
    """The error of a hall whose steady solve failed (``ThermalError``: no air supply at all),
    in the design check's words: the hall's one thermal problem."""
    h = fac.hall_ids[hall]
    text = hall_said(h, str(exc)) or f"hall {h!r}: {exc}"
    return Violation("thermal-air-unit", "error", text, (h,), "cooling.air_units")


def hall_said(hall_id: str, said: str) -> str | None:
    """The solver's words about a hall ("hall H has no air supply ...", "hall H: no steady
    state: ...") with the hall named once, quoted as the design check names it; None where
    they do not begin with the hall (a fault's words, said as they are)."""
    for named, joint in ((f"hall {hall_id} ", " "), (f"hall {hall_id}: ", ": ")):
        if said.startswith(named):
            return f"hall {hall_id!r}{joint}{said.removeprefix(named)}"
    return None


def _hall_error(fac: Facility, res: ThermalResult, text: str) -> Violation:
    """An error of the whole hall (no steady state, or no possible figures)."""
    h = fac.hall_ids[res.grid.hall]
    return Violation("thermal-air-unit", "error", f"hall {h!r}: {text}", (h,), "cooling.air_units")


def unit_loss_violations(
    fac: Facility, model: ThermalModel, progress: Callable[[int, int], None] | None = None
) -> list[Violation]:
    """For an N+1 or 2N hall: fail each running air unit of ``model``'s hall in turn, the
    others ramped to their rated flow (steady state); an error per unit whose loss the hall
    does not survive, a warning per loss it survives with a unit at its capacity. ``model``
    is left with its original fan states."""
    if fac.layout.cooling_redundancy == "N":
        return []
    hall = model.hall
    before = (tuple(model.failed), model.unit_flow_scale, model.rack_flow_scale)
    units = [
        i
        for i in np.flatnonzero((fac.air_unit_hall == hall) & fac.air_unit_on)
        if fac.air_unit_ids[i] not in before[0]
    ]
    ramped = ramped_flow_scale(fac, hall)
    out: list[Violation] = []
    try:
        for k, a in enumerate(units):
            uid = fac.air_unit_ids[a]
            model.set_failed(before[0] + (uid,), unit_flow_scale=ramped)
            try:
                judged = survival(fac, model.solve())
            except ThermalError:  # the hall's only running unit: nothing left to supply air
                judged = Survival(problems=["no air supply is left (no steady state)"])
            loss = f"the loss of {uid!r} ({fac.layout.cooling_redundancy})"
            items = (uid,)
            if not judged.survives:
                what, severity = f"does not survive {loss}: {'; '.join(judged.problems)}", "error"
            elif judged.at_capacity:
                what = f"survives {loss} with {'; '.join(judged.at_capacity)}"
                severity = "warning"
                # the units it strains are shown with it (Problems, the 3D highlight)
                items += tuple(u for u in judged.full_units if u != uid)
            else:
                what = ""
            if what:
                out.append(
                    Violation(
                        "thermal-redundancy",
                        severity,
                        f"hall {fac.hall_ids[hall]!r} {what}",
                        items,
                        _unit_field(int(a)),
                    )
                )
            if progress:
                progress(k + 1, len(units))
    finally:
        if units:
            model.set_failed(before[0], unit_flow_scale=before[1], rack_flow_scale=before[2])
    return out
