"""The momentum march under buoyancy: chunks of ``BUOYANCY_CHUNK`` steps, each under the
Boussinesq force of a heat solve of the flow the chunk before left, until the chunks are spent
or one moves no rack's mean inlet by ``SETTLED_K``. ``ThermalModel`` runs it after the march
without buoyancy; a settled march's last heat solve (model, hierarchy, temperatures) is the
steady solve's start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.physics.airflow import Flow, FlowModel
from twin.physics.grid import Grid
from twin.physics.heat import HeatModel, HeatState

#: Buoyant pseudo-steps per heat solve: the march under buoyancy re-solves the temperatures
#: that drive it this often. A force frozen from the first heat solve, held over a long march
#: (100 steps: 33 buoyant), turned the test aisle's hot row ends into a hot middle (4.6 K RMS
#: from its CFD); re-solved every 8 steps the same march keeps the CFD's pattern (1.5 K).
#: The default march's 8 buoyant steps are one chunk.
BUOYANCY_CHUNK = 8
#: The buoyant march stops when a chunk moved no rack's mean inlet by this much (between the
#: heat solves before and after it): the 0.1 K the CFD references are judged settled by
#: (every inlet within 0.1 K over their last 300 iterations), and from which a report says
#: the air had not settled (``model.UNSETTLED_K``, the same). The first chunk moves the
#: contained and hot-aisle validation rooms by 0.014-0.035 K (with the panels' leak measured
#: against the CFD's face flux, ``airflow.PANEL_LEAK_FACTOR``; 0.011-0.015 K before it), the
#: GB200 pod by 0.0005 K, and every room whose air wanders by 0.49-5.3 K. It was 0.02 K, a
#: fifth of the CFD's standard, until the hot aisle's first chunk moved it by 0.032 K.
SETTLED_K = 0.1
#: Relative residual of the heat solves whose temperatures drive the buoyant march (the
#: steady solve's is ``model.HEAT_TOL``, 1e-6). The buoyant steps'
#: converged projections (``airflow.BUOYANT_PROJECTION_CG``) let the flow answer small changes
#: of that force: at 1e-4 a re-solve warm-started from the temperatures before an edit read a
#: rack's maximum inlet 0.20 K off the cold solve's (0.0056 K with one V-cycle a step); at
#: 1e-5 within 0.0005 K, so the answer does not depend on where the solve started.
BUOYANCY_HEAT_TOL = 1e-5
#: Relative residual of the projections whose field feeds a buoyancy heat solve (the mean of
#: the march before buoyancy, of each buoyant chunk but the last): at 1e-5, the heat solve's
#: own tolerance, instead of the final field's 1e-7, such a projection takes 6-7 CG
#: iterations instead of 9-10, and no rack inlet of the ten validation rooms or the demo hall
#: moved by more than 0.0002 K. A march that settles ends on such a field: its mass error is
#: then about 1e-8 of the air moved (1e-14 after a 1e-7 projection), its rack inlets within
#: 4e-9 K of the tighter field's in the two settled validation rooms.
BUOYANCY_PROJECTION_TOL = 1e-5


@dataclass
class BuoyantMarch:
    """Where a buoyant march ended."""

    flow: Flow
    #: the temperatures of its last heat solve (``flow``'s own when it settled, else those
    #: that drove its last chunk), on the march's grid, NaN in solids
    air_c: np.ndarray
    #: the rack inlets (grid rack order, NaN without front flow) of the heat solve that drove
    #: its last chunk: what ``results.march_change`` measures the answer against
    inlets: np.ndarray
    #: the heat model of ``flow`` when the march settled (None: it ran every chunk)
    settled: HeatModel | None


def march(
    fac: Facility,
    fm: FlowModel,
    flow: Flow,
    steps: int,
    pr_t: float,
    start_c: np.ndarray | None,
    tol: float,
    final_projection: bool,
) -> BuoyantMarch | None:
    """Up to ``steps`` buoyant steps on ``fm``'s grid from ``flow`` (divergence-free), the
    first heat solve started from ``start_c`` (a field on that grid, or None). ``tol`` and
    ``final_projection`` as ``ThermalModel._march``'s. None where the hall has no supply
    (no steady temperatures to drive it): the flow stays as it is."""
    heat = HeatModel(fac, fm.grid, flow, pr_t)
    if not heat.has_supply:
        return None
    air_w = fac.air_heat_w()
    x0 = None if start_c is None else x0_from(heat, start_c, air_w)
    done, marched = 0, flow.iterations
    before = None  # the rack inlets of the heat solve that drove the last chunk
    settled = None
    while done < steps:
        x0, _, _ = heat.solve(air_w, x0=x0, tol=BUOYANCY_HEAT_TOL)
        inlets = np.where(heat.front_flow > 0, heat.W_rack @ x0.t_cells, np.nan)
        if before is not None and _largest_change(inlets, before) < SETTLED_K:
            # the last chunk moved no rack inlet by SETTLED_K: the rest would not either. Its
            # flow was projected as a finished march's, so this heat solve's model (and its
            # hierarchy) and temperatures serve the steady solve that follows
            inlets, air, settled = before, _air_field(heat, x0, fm.grid)[0], heat
            break
        before = inlets
        air, t_ref = _air_field(heat, x0, fm.grid)
        n = min(BUOYANCY_CHUNK, steps - done)
        done += n
        flow = fm.solve(
            temp_c=air,
            t_ref_c=t_ref,
            iterations=n,
            start=flow,
            # a chunk but the last only as tightly as the next heat solve needs: should that
            # find the march settled, the flow is final at that tolerance (its rack inlets
            # within 4e-9 K of a 1e-7 projection's in the two settled validation rooms)
            tol=tol if done >= steps else max(tol, BUOYANCY_PROJECTION_TOL),
            # the next chunk's heat solve needs a divergence-free field
            final_projection=final_projection or done < steps,
        )
        marched += flow.iterations
        if done < steps:
            heat = HeatModel(fac, fm.grid, flow, pr_t)
    flow.iterations = marched
    return BuoyantMarch(flow, air, inlets, settled)


def _air_field(heat: HeatModel, x: HeatState, grid: Grid) -> tuple[np.ndarray, float]:
    """The air temperatures of a heat solve on the march's grid (NaN in solids), and their
    mean, the Boussinesq force's reference."""
    air = np.full(grid.n_cells, np.nan)
    air[heat.cells] = x.t_cells
    air = air.reshape(grid.shape)
    return air, float(np.nanmean(air)) if np.isfinite(air).any() else 20.0


def _largest_change(a: np.ndarray, b: np.ndarray) -> float:
    """The largest |a - b| where both are numbers (inf where none is: not settled)."""
    d = np.abs(a - b)
    return float(np.nanmax(d)) if np.isfinite(d).any() else float("inf")


def x0_from(heat: HeatModel, air_c: np.ndarray, air_w: np.ndarray) -> HeatState:
    """A heat solve's starting point from a previous field of ``heat``'s grid (cells an edit
    opened take the mean)."""
    t = air_c.ravel()[heat.cells]
    bad = ~np.isfinite(t)
    if bad.any():
        t = np.where(bad, np.nanmean(t) if (~bad).any() else 20.0, t)
    return HeatState(t, heat.sources(t, heat.rack_dt(air_w)))
