"""Twin's heat transport run on the CFD's own air velocity: which half of the model an
error belongs to.

Twin's rack inlets depend on two models in turn: the airflow (a fast momentum march) and the
heat carried by that air (an upwind finite-volume solve with a turbulent diffusivity). Solve
the heat on the CFD's velocity instead of Twin's and compare again: what error remains is
the heat transport's (its numerical diffusion, its eddy diffusivity, the grid), the
difference from the ordinary comparison is the airflow's. Calibrating the eddy viscosity or
the turbulent Prandtl number can only mend the part its model owns.

The CFD's velocity arrives cell-centred on Twin's grid (``CfdField.velocity_ms``); each face
takes the mean of its two cells, and the field is then projected divergence-free with the
ports' own flows set (``FlowModel.from_velocity``), so the heat solve conserves energy as an
ordinary one does; the flow through containment panels is the CFD's, not redistributed by
the projection as Twin's march does. How far to trust the split: Twin's own flow passed
through its cell centres and back comes out within about 0.1-0.25 K of its own rack inlets,
and a CFD's face means are far from divergence-free next to ports and solids (the
projection moves the faces by 0.2-0.5 m/s RMS in the validation rooms), so the split's
figures move by up to 0.45 K between a 0.15 m and a 0.2 m grid. Read a difference of more
than about half a kelvin between the two comparisons as the airflow's.

``through_m`` splits the airflow's share once more. Twin marches the momentum on a coarser
grid (``model.FLOW_CELL_M``) and prolongs it onto the heat grid; handed the CFD's velocity
held on that grid instead (each coarse face the mean of its two cells, projected there,
prolonged and projected again, as the march's field is), the heat shows what the momentum
grid alone costs: no march on that grid can do better than its best field, and the CFD's
mean field is as good a candidate as any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.physics.grid import Grid

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.physics.model import ThermalResult
    from twin.physics.params import PhysicsParams


def faces_from_cells(velocity_ms: np.ndarray, grid: Grid) -> tuple[np.ndarray, ...]:
    """(u, v, w) face velocities from cell-centred ones ((nx, ny, nz, 3), NaN or anything in
    solids): each face the mean of the two cells it joins, a solid or the hall's edge
    counting as still air. Closed faces are zeroed later by the projection."""
    vel = np.where(grid.fluid[..., None] & np.isfinite(velocity_ms), velocity_ms, 0.0)
    out = []
    for a in range(3):
        pad = [(0, 0)] * 3
        pad[a] = (1, 1)
        p = np.pad(vel[..., a], pad)
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        out.append(0.5 * (p[tuple(lo)] + p[tuple(hi)]))
    return tuple(out)


def heat_on_flow(
    fac: Facility,
    hall: int,
    cell_m: float,
    velocity_ms: np.ndarray,
    params: PhysicsParams | None = None,
    through_m: float | None = None,
) -> ThermalResult:
    """Twin's steady result with its heat solved on ``velocity_ms`` (cell-centred on the
    grid of ``cell_m``, as ``twin.cfd.source.load_field`` gives it) instead of on its own
    airflow. Everything else (ports, sources, units at capacity, the eddy diffusivity's
    formula, evaluated on that velocity) is Twin's. ``through_m``: ``velocity_ms`` is on the
    grid of that cell instead, and reaches the heat grid as Twin's momentum field does
    (``prolong``; see the module's docstring)."""
    from twin.physics.airflow import FlowModel, prolong
    from twin.physics.grid import build_grid
    from twin.physics.heat import HeatModel
    from twin.physics.model import ThermalModel

    # no momentum march, nor a coarse grid to march it on: its field is replaced
    model = ThermalModel(fac, hall, cell_m, flow_iterations=0, params=params, flow_cell_m=cell_m)
    grid = model.grid
    held = grid if through_m is None else build_grid(fac, hall, through_m)
    if velocity_ms.shape != held.shape + (3,):
        raise ValueError(
            f"the CFD's velocity is on a {velocity_ms.shape[:-1]} grid, Twin's is {held.shape}"
        )
    faces = faces_from_cells(velocity_ms, held)
    if through_m is not None:
        coarse = FlowModel(held).from_velocity(*faces, keep_panels=True)
        faces = prolong(held, coarse, grid)
    flow = model.flow_model.from_velocity(*faces, keep_panels=True)
    model.flow = flow
    model.heat = HeatModel(fac, grid, flow, model.params.turbulent_prandtl)
    model.state = None
    return model.solve()
