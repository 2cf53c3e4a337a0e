"""Airflow and heat in a data hall: voxel grid, flow field, heat transport, GPU temperatures
and cooling metrics (numpy, scipy and pyamg only; no Qt, no VTK).

Use::

    from twin.physics import ThermalModel, solve_steady

    res = solve_steady(facility, hall=0, cell_m=0.2, failed=["CRAH-2"])   # one call
    model = ThermalModel(facility, hall=0, cell_m=0.2)   # keeps grid, flow and solvers
    res = model.solve(rack_power_w)                      # steady state for these loads
    res = model.step(dt_s, rack_power_w, gpu_power_w)    # one replay frame (stable sub-steps)
    model.set_failed(["CRAH-2"], unit_flow_scale=None)   # fan change: new flow, same AMG,
                                                         # air temperatures kept for step()
    res2 = solve_steady(edited_facility, warm_start=res)  # after a small edit (rack moved,
                                                         # turned, added): the heat solves
                                                         # start from res's temperatures; the
                                                         # flow is marched as cold, so the
                                                         # answer is a cold solve's

The flow depends only on geometry and fan states: a new layout geometry needs a new
``ThermalModel``; fan changes use ``set_failed``; loads never re-solve the flow.
Racks in other halls, GPUs of other halls, etc. come back NaN; pick the hall by index.

How it works: ``grid`` voxelises the hall (racks and units solid, ports where air enters and
leaves; containment panels close faces but leak as a plate 2 % open does, whatever the
march's step; a roofed hot aisle returns through its
roof when the hall has no grilles, or through the ceiling grille above it); ``airflow`` marches a fast-fluid-dynamics projection method (semi-Lagrangian momentum,
Chen-Xu eddy viscosity, Boussinesq buoyancy, AMG pressure projection) to a steady,
divergence-free field (momentum is marched on a grid of at least 0.2 m and projected onto
finer ones); ``heat`` carries temperature with conservative upwind advection and
turbulent diffusion (steady: one sparse solve; transient: explicit steps at the stability
limit); ``devices`` gives GPU and CDU temperatures; ``metrics`` the ASHRAE/RCI/RTI/SHI figures.

Result API for the render layer (``ThermalResult``; all arrays are owned by the result, take
them as they are, no copy needed):

- ``res.air_c``: (nx, ny, nz) float64 air temperature in C, NaN inside solids; C-ordered, x
  indexed [i, j, k] (k, along z, varies fastest in memory). Cell (i, j, k) has its centre at
  ``res.origin_m + (i + 0.5, j + 0.5, k + 0.5) * res.cell_m`` in hall-local metres (z up from
  the floor); ``res.grid.site_origin_m`` places the hall in the site; ``res.grid.shape``.
- ``res.velocity``: (u, v, w) cell-centred velocity components in m/s, each (nx, ny, nz)
  (``res.flow.u/v/w`` are the staggered face values: (nx+1, ny, nz), (nx, ny+1, nz),
  (nx, ny, nz+1)).
- ``res.grid.fluid``: (nx, ny, nz) bool, True where the cell is air.
- per rack (facility rack order, NaN for racks of other halls): ``rack_inlet_mean_c``,
  ``rack_inlet_max_c``, ``rack_exhaust_c``, ``rack_airflow_m3s``, ``rack_ashrae``
  (0 A1 recommended, 1 allowable, 2 outside).
- per GPU (facility GPU order): ``gpu_temp_c``, ``gpu_coolant_c`` (inlet air at the GPU's
  height plus its rack's air shortfall, ``results.air_shortfall_k``, infinite in a rack that
  moves no air; or CDU supply for liquid-cooled GPUs), ``gpu_throttled`` (bool).
- per air unit: ``air_unit_supply_c``, ``air_unit_return_c``, ``air_unit_load_w``,
  ``air_unit_capacity_w``, ``air_unit_at_capacity``; per CDU: ``cdu_load_w``,
  ``cdu_supply_c``, ``cdu_return_c``.
- hall: ``supply_mean_c``, ``return_mean_c``, ``heat_in_w``, ``heat_out_w``,
  ``heat_stored_w`` (taken up by the air over a transient step; 0 when steady; in = out +
  stored), ``energy_error`` (the solver's error only), ``mass_error``, ``overloaded``, ``metrics`` (rci_hi, rci_lo, rti in %,
  shi, rhi as fractions), ``seconds``.
"""

import importlib
from typing import TYPE_CHECKING

#: Public names and their modules, imported on first use: ``twin.physics.cells`` (the cell-size
#: policy the window and the CLI read at start) must not pull in scipy, pyamg and the
#: compiled kernels.
_NAMES = {
    "DEFAULT_CELL_M": "twin.physics.cells",
    "choose_cell_m": "twin.physics.cells",
    "Grid": "twin.physics.grid",
    "GridError": "twin.physics.grid",
    "build_grid": "twin.physics.grid",
    "ThermalError": "twin.physics.heat",
    "ThermalModel": "twin.physics.model",
    "ThermalResult": "twin.physics.model",
    "solve_steady": "twin.physics.model",
}

if TYPE_CHECKING:
    from twin.physics.cells import DEFAULT_CELL_M, choose_cell_m
    from twin.physics.grid import Grid, GridError, build_grid
    from twin.physics.heat import ThermalError
    from twin.physics.model import ThermalModel, ThermalResult, solve_steady


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'twin.physics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_CELL_M",
    "Grid",
    "GridError",
    "ThermalError",
    "ThermalModel",
    "ThermalResult",
    "build_grid",
    "choose_cell_m",
    "solve_steady",
]
