"""Write a complete OpenFOAM case (buoyantBoussinesqSimpleFoam, k-epsilon, second-order
convection) for one hall of a Twin layout.

Boundary conditions follow Twin's ports exactly: each rack front draws its airflow out of the
room and its rear gives it back at the front's mean temperature (``outletMappedUniformInlet``),
and the rack's air-side heat is added one cell further into the air (a
``scalarSemiImplicitSource`` of P / (rho cp) on T; this OpenFOAM's mapped inlet has no
offset; see ``foam_mesh._heat_zones`` for why not in the cell at the patch), so the exhaust
leaves those cells P / (rho cp Q) warmer; supply regions and air-unit
discharges blow a fixed flow at the supply temperature; air-unit intakes and return grilles
take a fixed flow back. Air leaves (rack fronts, intakes, grilles) with its own velocity
(``OUTFLOW_MODES``). Walls are adiabatic with wall functions. Every flow is fixed, so the
pressure level is set by a reference cell. ``twin_case.json`` in the case records what each
patch is, so that the results can be read back onto the layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twin.cfd import case_files
from twin.cfd.foam_mesh import (
    WALL,
    FoamMesh,
    foam_header,
    mesh_from_grid,
    panel_axes,
    write_polymesh,
)
from twin.cfd.turbulence import TURBULENCE_MODELS
from twin.model.facility import Facility
from twin.physics.grid import (
    PANEL_LEAK,
    PANEL_U_REF_MS,
    RACK_FRONT,
    RACK_REAR,
    SUPPLY,
    UNIT_IN,
    UNIT_OUT,
    build_grid,
    panel_loss_k,
)
from twin.physics.heat import supplies_air

#: Turbulence at the inflows: intensity and mixing length (m) of tile and rack jets.
INLET_INTENSITY = 0.05
INLET_MIXING_M = 0.1
#: Boussinesq expansion coefficient of air near 300 K (1/T), 1/K.
BETA_PER_K = 1.0 / 300.0
NU_M2S = 1.5e-5
PR, PRT = 0.71, 0.85
#: Monitoring window (iterations) and the steadiness asked of the rack inlets in it.
WINDOW_IT = 300
STEADY_K = 0.1
BALANCE_TOL = 0.005
#: Convergence is judged every this many iterations, where the fields are written: a run
#: stops on one of them whenever the judge's poll comes, so a rerun ends where the first did.
CHECK_IT = 100


@dataclass
class PortPatch:
    """What one patch is: its port kind, owner (rack/unit/supply/grille index), net flow into
    the room (m3/s) and, for inflows, the temperature (or rise, for rack rears)."""

    name: str
    kind: str
    owner_id: str
    flow_m3s: float
    temp_c: float | None = None
    rise_k: float | None = None
    front: str | None = None
    #: the air's velocity through the patch, m/s (x, y, z), were it drawn evenly over it
    even_ms: tuple[float, float, float] | None = None


def supply_temps(fac: Facility, hall: int, grid) -> tuple[np.ndarray, np.ndarray]:
    """Supply temperature of each supply region and each air unit of the hall (set points;
    an underfloor-fed region gets the flow-weighted mean of the underfloor units' set points)."""
    hid = fac.hall_ids[hall]
    sup = [s for s in fac.layout.cooling.supplies if s.hall == hid]
    uf = grid.unit_underfloor & (grid.unit_flow_m3s > 0)
    if uf.any():
        plenum_c = float(
            np.sum(fac.air_unit_supply_c[uf] * grid.unit_flow_m3s[uf])
            / grid.unit_flow_m3s[uf].sum()
        )
    else:
        plenum_c = np.nan
    s_c = np.array([plenum_c if s.supply_c is None else s.supply_c for s in sup], float)
    return s_c, fac.air_unit_supply_c.copy()


def port_patches(fac: Facility, hall: int, grid, mesh: FoamMesh) -> list[PortPatch]:
    """Describe every port patch of the mesh (see :class:`PortPatch`)."""
    hid = fac.hall_ids[hall]
    p = grid.ports
    sup = [s for s in fac.layout.cooling.supplies if s.hall == hid]
    grilles = [g for g in fac.layout.cooling.returns if g.hall == hid]
    s_c, u_c = supply_temps(fac, hall, grid)
    air = fac.layout.air
    rho_cp = air.density_kg_m3 * air.cp_j_kgk
    heat = fac.air_heat_w()
    # per port (kind, owner): its net flow, and its velocity were it spread evenly over faces
    keys, of = np.unique(np.stack([p.kind, p.owner], 1), axis=0, return_inverse=True)
    of = of.ravel()
    velocity = np.zeros((len(p.q), 3))
    velocity[np.arange(len(p.q)), p.axis] = p.sign * p.q / grid.cell_m**2
    faces = np.bincount(of, minlength=len(keys))
    mean_v = np.stack([np.bincount(of, velocity[:, a], len(keys)) for a in range(3)], 1)
    mean_v /= faces[:, None]
    flow_sum = np.bincount(of, p.q, len(keys))
    flows = {(int(k), int(o)): float(q) for (k, o), q in zip(keys, flow_sum, strict=True)}
    even = {
        (int(k), int(o)): tuple(float(x) for x in v) for (k, o), v in zip(keys, mean_v, strict=True)
    }
    out = []
    for name, (k, o) in mesh.patch_ports.items():
        q = flows[(k, o)]
        if k in (RACK_FRONT, RACK_REAR):
            pp = PortPatch(
                name, "rack_front" if k == RACK_FRONT else "rack_rear", fac.rack_ids[o], q
            )
            if k == RACK_REAR:
                pp.rise_k = float(heat[o] / (rho_cp * q)) if q > 0 else 0.0
                pp.front = f"rf_{o}"
        elif k == SUPPLY:
            pp = PortPatch(name, "supply", sup[o].id, q, temp_c=float(s_c[o]))
        elif k == UNIT_OUT:
            pp = PortPatch(name, "unit_out", fac.air_unit_ids[o], q, temp_c=float(u_c[o]))
        elif k == UNIT_IN:
            pp = PortPatch(name, "unit_in", fac.air_unit_ids[o], q)
        else:
            gid = grilles[o].id if o < len(grilles) else f"roof-{o}"
            pp = PortPatch(name, "grille", gid, q)
        pp.even_ms = even[(k, o)]
        out.append(pp)
    return out


def _bc(ports: list[PortPatch], wall: str, port_fn) -> str:
    body = [f"    {WALL}\n    {{\n{wall}    }}\n"]
    for pp in ports:
        body.append(f"    {pp.name}\n    {{\n{port_fn(pp)}    }}\n")
    return "boundaryField\n{\n" + "".join(body) + "}\n"


def _field(path: Path, cls: str, dims: str, internal: str, bf: str) -> None:
    path.write_text(
        foam_header(cls, path.name, "0") + f"dimensions      {dims};\n\n"
        f"internalField   uniform {internal};\n\n" + bf
    )


#: initial turbulence: kinetic energy (m2/s2) and its dissipation rate (m2/s3)
_K0, _EPS0 = 1e-3, 2e-5
_OMEGA0 = _EPS0 / (0.09 * _K0)
_ZERO_GRADIENT = "        type            zeroGradient;\n"
_CALCULATED = "        type            calculated;\n        value           uniform 0;\n"


#: How the velocity of an outflow port (rack fronts, unit intakes, return grilles) is set.
#: "even" (the references'): ``fixedNormalSlip``, the port's flow drawn evenly over its face
#: and the air's own velocity along it, as a rack's fans draw through its door. It diverges
#: from a field at rest (within 20 iterations in the perimeter room, with and without the
#: gentle start, and when switched to after the 200-iteration start-up), so a reference is
#: run "extrapolated" first and continued "even" from its last field
#: (``foam_run.seed_from``; ``run_cfd.py``). "extrapolated" (the default of a case written
#: on its own): ``flowRateOutletVelocity``, the cell's velocity scaled to the port's flow;
#: the air leaves with its own momentum, but the draw follows the air arriving (its
#: coefficient of variation over a rack face 0.4-0.85 in the open aisle), so the face's mean
#: temperature and that of the air the rack takes in differ by up to 3 K at the row ends.
#: "fixed": the whole vector, the flow's normal velocity and none along the face, as the
#: references before December 2026 were run. The air leaving then takes none of its
#: momentum along the face with it, so the air it leaves behind speeds up: the tiles' jets
#: ran up the rack fronts faster than they left the tiles (4.0 m/s at 1.2-1.5 m against
#: 2.6 m/s at the tiles, in the perimeter room), carried tile air over the racks and drew
#: warm air in at the aisle's ends (the end racks 1.5-2.8 K warmer).
OUTFLOW_MODES = ("extrapolated", "fixed", "even")


def _u_port(pp: PortPatch, outflow: str = "extrapolated") -> str:
    if outflow == "even" and pp.flow_m3s < 0:
        v = " ".join(f"{x:.8g}" for x in pp.even_ms)
        return (
            "        type            fixedNormalSlip;\n"
            f"        fixedValue      uniform ({v});\n        value           uniform ({v});\n"
        )
    if outflow == "extrapolated" and pp.flow_m3s < 0:
        return (
            "        type            flowRateOutletVelocity;\n"
            f"        volumetricFlowRate constant {-pp.flow_m3s:.8g};\n"
            "        value           uniform (0 0 0);\n"
        )
    return (
        "        type            flowRateInletVelocity;\n"
        f"        volumetricFlowRate constant {pp.flow_m3s:.8g};\n"
        "        extrapolateProfile no;\n        value           uniform (0 0 0);\n"
    )


def _t_port(pp: PortPatch, t0_c: float) -> str:
    """A rack's rear takes its front's mean temperature (the rack's heat is a source inside);
    supplies have their temperature; returns let the air leave as it is."""
    if pp.kind == "rack_rear":
        return (
            "        type            outletMappedUniformInlet;\n"
            f"        outletPatch     {pp.front};\n"
            f"        value           uniform {t0_c:.4g};\n"
        )
    if pp.temp_c is not None:
        return f"        type            fixedValue;\n        value           uniform {pp.temp_c:.6g};\n"
    return _ZERO_GRADIENT


def _k_port(pp: PortPatch) -> str:
    if pp.flow_m3s > 0:
        return (
            "        type            turbulentIntensityKineticEnergyInlet;\n"
            f"        intensity       {INLET_INTENSITY};\n        value           uniform {_K0};\n"
        )
    return _ZERO_GRADIENT


def _mixing_length_inlet(bc: str, value: float):
    """A port condition for epsilon or omega: set from the inlet mixing length where air
    blows in, zero gradient where it leaves."""

    def port(pp: PortPatch) -> str:
        if pp.flow_m3s > 0:
            return (
                f"        type            {bc};\n"
                f"        mixingLength    {INLET_MIXING_M};\n        value           uniform {value};\n"
            )
        return _ZERO_GRADIENT

    return port


_e_port = _mixing_length_inlet("turbulentMixingLengthDissipationRateInlet", _EPS0)
_o_port = _mixing_length_inlet("turbulentMixingLengthFrequencyInlet", _OMEGA0)


def _write_fields(
    case: Path,
    ports: list[PortPatch],
    t0_c: float,
    turbulence: str = "kEpsilon",
    outflow: str = "extrapolated",
) -> None:
    """The initial and boundary fields in ``0/``: flow and temperature, then turbulence."""
    z = Path(case) / "0"
    z.mkdir(parents=True, exist_ok=True)
    _write_flow_fields(z, ports, t0_c, outflow)
    _write_turbulence_fields(z, ports)
    if turbulence == "kOmegaSST":
        _field(
            z / "omega",
            "volScalarField",
            "[0 0 -1 0 0 0 0]",
            f"{_OMEGA0}",
            _bc(
                ports,
                f"        type            omegaWallFunction;\n        value           uniform {_OMEGA0};\n",
                _o_port,
            ),
        )


def _write_flow_fields(z: Path, ports: list[PortPatch], t0_c: float, outflow: str) -> None:
    """Velocity (ports carry the model's flows; ``outflow``: see ``OUTFLOW_MODES``),
    temperature and the pressures."""
    _field(
        z / "U",
        "volVectorField",
        "[0 1 -1 0 0 0 0]",
        "(0 0 0)",
        _bc(ports, "        type            noSlip;\n", lambda pp: _u_port(pp, outflow)),
    )
    _field(
        z / "T",
        "volScalarField",
        "[0 0 0 1 0 0 0]",
        f"{t0_c:.4g}",
        _bc(ports, _ZERO_GRADIENT, lambda pp: _t_port(pp, t0_c)),
    )
    ffp = "        type            fixedFluxPressure;\n        rho             rhok;\n        value           uniform 0;\n"
    _field(z / "p_rgh", "volScalarField", "[0 2 -2 0 0 0 0]", "0", _bc(ports, ffp, lambda pp: ffp))
    calc = _CALCULATED
    _field(z / "p", "volScalarField", "[0 2 -2 0 0 0 0]", "0", _bc(ports, calc, lambda pp: calc))


def _write_turbulence_fields(z: Path, ports: list[PortPatch]) -> None:
    """k and epsilon (inlet values at the ports that blow in, wall functions on the walls),
    and the turbulent viscosity and diffusivity they give."""
    _field(
        z / "k",
        "volScalarField",
        "[0 2 -2 0 0 0 0]",
        f"{_K0}",
        _bc(
            ports,
            f"        type            kqRWallFunction;\n        value           uniform {_K0};\n",
            _k_port,
        ),
    )
    _field(
        z / "epsilon",
        "volScalarField",
        "[0 2 -3 0 0 0 0]",
        f"{_EPS0}",
        _bc(
            ports,
            f"        type            epsilonWallFunction;\n        value           uniform {_EPS0};\n",
            _e_port,
        ),
    )
    _field(
        z / "nut",
        "volScalarField",
        "[0 2 -1 0 0 0 0]",
        "0",
        _bc(
            ports,
            "        type            nutkWallFunction;\n        value           uniform 0;\n",
            lambda pp: _CALCULATED,
        ),
    )
    _field(
        z / "alphat",
        "volScalarField",
        "[0 2 -1 0 0 0 0]",
        "0",
        _bc(
            ports,
            f"        type            alphatJayatillekeWallFunction;\n        Prt             {PRT};\n"
            "        value           uniform 0;\n",
            lambda pp: _CALCULATED,
        ),
    )


def _dict(path: Path, obj: str, body: str, loc: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(foam_header("dictionary", obj, loc) + body)


def _monitors(ports: list[PortPatch]) -> str:
    """Function objects: each rack front's mean temperature and each non-rack patch's
    enthalpy flux (sum of phi T), every iteration, for the convergence and balance checks."""
    out = []
    for pp in ports:
        if pp.kind in ("rack_front", "rack_rear"):
            op, extra = "areaAverage", ""
        else:
            op, extra = "weightedSum", "        weightField     phi;\n"
        out.append(
            f"    mon_{pp.name}\n    {{\n        type            surfaceFieldValue;\n"
            '        libs            ("libfieldFunctionObjects.so");\n'
            "        writeControl    timeStep;\n        writeInterval   1;\n"
            "        log             false;\n        writeFields     false;\n"
            f"        regionType      patch;\n        name            {pp.name};\n"
            f"        operation       {op};\n{extra}        fields          (T);\n    }}\n"
        )
    mean = (
        "            {\n                mean on;\n"
        "                prime2Mean off;\n                base iteration;\n"
        f"                window {2 * WINDOW_IT};\n                windowType approximate;\n"
        "            }\n"
    )
    # running means of T and U (TMean, UMean): the reference of a room that never settles;
    # and of the face flux (phiMean), which an aisle's air budget is read from exactly
    # (``twin.cfd.case_faces``: cell-centred U under-reads a porous panel's leak)
    fields = "".join(f"            {name}\n{mean}" for name in ("T", "U", "phi"))
    out.append(
        "    TMean\n    {\n        type            fieldAverage;\n"
        '        libs            ("libfieldFunctionObjects.so");\n'
        "        writeControl    writeTime;\n"
        f"        fields\n        (\n{fields}        );\n    }}\n"
    )
    return "functions\n{\n" + "".join(out) + "}\n"


def panel_darcy_per_m2(cell_m: float, open_fraction: float = PANEL_LEAK) -> float:
    """The Darcy coefficient d (1/m2) of a porous panel layer (two cells, one either side of
    the panel) that drops, at ``PANEL_U_REF_MS`` through it, what a thin plate
    ``open_fraction`` open drops: the loss K (1/2) u^2 of a sharp-edged orifice (kinematic),
    K = 1 / (Cd phi)^2 with Cd = 0.61, over 2 h of nu d u: d = K u_ref / (4 h nu).

    Linear in the velocity, as Twin's panel conductance is. OpenFOAM's quadratic
    (Forchheimer) term multiplies by the air's whole speed, along the panel too: inside a
    contained aisle, where the racks pull air along the doors and the roof, that made the
    panels several times stiffer than the plate's own loss where the air ran along them."""
    return float(panel_loss_k(open_fraction)) * PANEL_U_REF_MS / (4.0 * cell_m * NU_M2S)


def _porosity(zone: str, d_per_m2: float) -> str:
    """A DarcyForchheimer porosity on ``zone`` resisting flow along its panels' normals only
    (air moves freely along a panel: into a rack's top servers under a roof, say)."""
    d = [d_per_m2 if a in panel_axes(zone) else 0.0 for a in range(3)]
    return (
        f"{zone}\n{{\n    type            explicitPorositySource;\n    active          true;\n"
        "    explicitPorositySourceCoeffs\n    {\n        selectionMode   cellZone;\n"
        f"        cellZone        {zone};\n        type            DarcyForchheimer;\n"
        f"        d   ({d[0]:.8g} {d[1]:.8g} {d[2]:.8g});\n"
        "        f   (0 0 0);\n"
        "        coordinateSystem\n        {\n            origin  (0 0 0);\n"
        "            rotation\n            {\n                type    none;\n            }\n"
        "        }\n    }\n}\n"
    )


#: Turbulence held in a porous panel layer (k, m2/s2, and its dissipation, m2/s3): still air.
#: A porous layer stands for a panel, but the turbulence model saw open air there and mixed
#: heat straight through it: in the contained room's reference (alphat 0.05-0.07 m2/s in the
#: layers) the doors and roof let 12.2 K m3/s into the aisle by turbulent diffusion beside the
#: 11.9 the leaking air carried, and the hot aisle's panels shed 11.7 K m3/s against 2.2
#: carried. A solid panel, 2 % open, passes no eddies (Twin's panel faces diffuse nothing);
#: held at these values the layer's eddy viscosity is ~1e-11 m2/s and its heat crosses only
#: with the air that leaks.
PANEL_K, PANEL_EPSILON = 1e-8, 1e-6


def _panel_still_air(zone: str, turbulence: str) -> str:
    """A constraint holding ``zone``'s turbulence at ``PANEL_K`` (and its dissipation, or
    the matching specific dissipation for k-omega SST): no eddy mixing through a panel."""
    if turbulence == "kOmegaSST":
        second = f"omega {PANEL_EPSILON / (0.09 * PANEL_K):.8g};"
    else:
        second = f"epsilon {PANEL_EPSILON:.8g};"
    return (
        f"{zone}_still\n{{\n    type            scalarFixedValueConstraint;\n"
        "    active          true;\n    selectionMode   cellZone;\n"
        f"    cellZone        {zone};\n"
        f"    fieldValues\n    {{\n        k {PANEL_K:.8g};\n        {second}\n    }}\n}}\n"
    )


def _write_sources(
    case: Path,
    ports: list[PortPatch],
    zones: tuple[str, ...] = (),
    cell_m: float = 0.15,
    turbulence: str = "kEpsilon",
) -> None:
    """constant/fvOptions: each rack's air-side heat (K m3/s) in its exhaust cells, and the
    porous panel layers' resistance and still air (``zones``: the mesh's ``panel_*`` cell
    zones)."""
    body = [_porosity(z, panel_darcy_per_m2(cell_m)) for z in zones]
    body += [_panel_still_air(z, turbulence) for z in zones]
    for pp in ports:
        if pp.kind != "rack_rear" or not pp.flow_m3s > 0:
            continue
        src = pp.rise_k * pp.flow_m3s
        zone = pp.name.replace("rr_", "heat_")
        body.append(
            f"{zone}\n{{\n    type            scalarSemiImplicitSource;\n    active          true;\n"
            f"    scalarSemiImplicitSourceCoeffs\n    {{\n        selectionMode   cellZone;\n"
            f"        cellZone        {zone};\n        volumeMode      absolute;\n"
            f"        injectionRateSuSp\n        {{\n            T   ({src:.8g} 0);\n        }}\n"
            "    }\n}\n"
        )
    _dict(Path(case) / "constant" / "fvOptions", "fvOptions", "".join(body), "constant")


def _schemes(order: str, turbulence: str = "kEpsilon") -> str:
    """fvSchemes: second-order (linearUpwind) convection of U and T; ``first`` (upwind) is
    the start-up variant a run begins with where jets are strong (see ``foam_run``);
    k-omega SST adds omega's convection and the wall distance it needs."""
    sst = turbulence == "kOmegaSST"
    # SST's k and omega upwind: with limitedLinear they fed the wall-CRAH room's divergence
    turb_conv = "upwind" if sst else "limitedLinear 1"
    conv = {
        "second": ("bounded Gauss linearUpwind grad(U)", "bounded Gauss linearUpwind grad(T)"),
        "first": ("bounded Gauss upwind", "bounded Gauss upwind"),
    }[order]
    return (
        "ddtSchemes { default steadyState; }\n"
        "gradSchemes\n{\n    default         Gauss linear;\n"
        "    grad(U)         cellLimited Gauss linear 1;\n"
        "    grad(T)         cellLimited Gauss linear 1;\n}\n"
        "divSchemes\n{\n    default         none;\n"
        f"    div(phi,U)      {conv[0]};\n"
        f"    div(phi,T)      {conv[1]};\n"
        f"    div(phi,k)      bounded Gauss {turb_conv};\n"
        "    div(phi,epsilon) bounded Gauss limitedLinear 1;\n"
        + (f"    div(phi,omega)  bounded Gauss {turb_conv};\n" if sst else "")
        + "    div((nuEff*dev2(T(grad(U))))) Gauss linear;\n}\n"
        "laplacianSchemes { default Gauss linear corrected; }\n"
        "interpolationSchemes { default linear; }\n"
        "snGradSchemes { default corrected; }\n"
        + ("wallDist { method meshWave; }\n" if sst else "")
    )


def _write_system(
    case: Path,
    ports: list[PortPatch],
    max_iter: int,
    t_ref_c: float,
    porous: bool = False,
    turbulence: str = "kEpsilon",
    gentle_start: bool = False,
) -> None:
    """controlDict, schemes and solution settings, and the constant properties."""
    c = Path(case)
    _dict(
        c / "system" / "controlDict",
        "controlDict",
        "application     buoyantBoussinesqSimpleFoam;\nstartFrom       latestTime;\n"
        f"startTime       0;\nstopAt          endTime;\nendTime         {max_iter};\n"
        f"deltaT          1;\nwriteControl    timeStep;\nwriteInterval   {CHECK_IT};\n"
        "purgeWrite      0;\nwriteFormat     ascii;\nwritePrecision  8;\n"
        "writeCompression off;\ntimeFormat      general;\ntimePrecision   8;\n"
        "runTimeModifiable true;\n\n" + _monitors(ports),
        "system",
    )
    for name, order in (("fvSchemes", "second"), ("fvSchemes.startup", "first")):
        _dict(c / "system" / name, "fvSchemes", _schemes(order, turbulence), "system")
    _write_solution(c, porous, turbulence, gentle_start)
    _write_constants(c, t_ref_c, turbulence)


#: Under-relaxation (p_rgh, U, T, turbulence) of the second-order phase and of the start-up.
#: Porous panels: plain SIMPLE with the pressure relaxed harder (SIMPLEC's consistent
#: correction diverged within 25 iterations on the ducted hot aisle's panels: their
#: resistance, ~2,200 1/s, dwarfs the momentum equation's own diagonal). k-omega SST: plain
#: SIMPLE relaxed harder still in both phases (with SIMPLEC at k-epsilon's factors, and
#: with U 0.5, the wall-CRAH room diverged at iterations 458 and 1,065).
RELAXATION = {
    "kEpsilon": ((0.7, 0.7, 0.7, 0.7), (0.3, 0.5, 0.7, 0.5)),
    "porous": ((0.3, 0.7, 0.7, 0.7), (0.2, 0.5, 0.7, 0.5)),
    "kOmegaSST": ((0.2, 0.3, 0.5, 0.3), (0.2, 0.3, 0.5, 0.3)),
}
#: The start-up of a case written with ``gentle_start``: plain SIMPLE, the pressure relaxed
#: as for porous panels. The wall-CRAH perimeter room's 0.2 m mesh diverged at iteration 22
#: under the k-epsilon start-up (SIMPLEC, p_rgh 0.3, U 0.5) and converges under this one; a
#: steady answer does not depend on the relaxation that reaches it.
GENTLE_START = (0.2, 0.5, 0.7, 0.5)


def _write_solution(c: Path, porous: bool, turbulence: str, gentle_start: bool = False) -> None:
    """fvSolution for both phases (see ``RELAXATION`` and ``GENTLE_START``)."""
    turb = "k|omega" if turbulence == "kOmegaSST" else "k|epsilon"
    key = turbulence if turbulence != "kEpsilon" else ("porous" if porous else "kEpsilon")
    main, start = RELAXATION[key]
    simplec = key == "kEpsilon"
    phases = (
        ("fvSolution", main, simplec),
        (
            "fvSolution.startup",
            GENTLE_START if gentle_start else start,
            simplec and not gentle_start,
        ),
    )
    for name, (p_rgh, u, t, ke), simplec in phases:
        _dict(
            c / "system" / name,
            "fvSolution",
            "solvers\n{\n    p_rgh\n    {\n        solver GAMG;\n        smoother GaussSeidel;\n"
            "        tolerance 1e-7;\n        relTol 0.05;\n    }\n"
            f'    "(U|T|{turb})"\n    {{\n        solver smoothSolver;\n'
            "        smoother symGaussSeidel;\n        tolerance 1e-8;\n        relTol 0.1;\n    }\n}\n"
            "SIMPLE\n{\n    nNonOrthogonalCorrectors 0;\n"
            f"    consistent {'yes' if simplec else 'no'};\n"
            "    pRefCell 0;\n    pRefValue 0;\n}\n"
            f"relaxationFactors\n{{\n    fields {{ p_rgh {p_rgh}; }}\n"
            f'    equations {{ U {u}; T {t}; "({turb})" {ke}; }}\n}}\n',
            "system",
        )


def _write_constants(c: Path, t_ref_c: float, turbulence: str) -> None:
    """Transport and turbulence properties, and gravity."""
    _dict(
        c / "constant" / "transportProperties",
        "transportProperties",
        f"transportModel  Newtonian;\nnu              {NU_M2S};\nbeta            {BETA_PER_K:.6g};\n"
        f"TRef            {t_ref_c:.4g};\nPr              {PR};\nPrt             {PRT};\n",
        "constant",
    )
    _dict(
        c / "constant" / "turbulenceProperties",
        "turbulenceProperties",
        f"simulationType RAS;\nRAS\n{{\n    RASModel        {turbulence};\n    turbulence      on;\n"
        "    printCoeffs     on;\n}\n",
        "constant",
    )
    (c / "constant" / "g").write_text(
        foam_header("uniformDimensionedVectorField", "g", "constant")
        + "dimensions      [0 1 -2 0 0 0 0];\nvalue           (0 0 -9.81);\n"
    )


def _check_supplied(fac: Facility, hall: int, grid) -> None:
    """Refuse a hall no air is supplied to: its case would start the air at the racks' heat
    over no flow (4e12 C), and a CFD of it has no steady state to find."""
    if not supplies_air(grid):
        raise ValueError(
            f"hall {fac.hall_ids[hall]} of {fac.layout.name} is supplied no air (no tiles, "
            "diffusers or running air units blow into it): its racks' heat has nowhere to go, "
            "so a CFD of its air has no steady state to find"
        )


def _supply_return_c(fac: Facility, grid, ports: list[PortPatch]) -> tuple[float, float, float]:
    """(flow-weighted supply temperature, the return it mixes to with the racks' heat, that
    heat in W)."""
    sup = [pp for pp in ports if pp.temp_c is not None]
    q_sup = float(sum(pp.flow_m3s for pp in sup))
    t_sup = float(sum(pp.flow_m3s * pp.temp_c for pp in sup) / max(q_sup, 1e-12))
    air = fac.layout.air
    heat_w = float(fac.air_heat_w()[grid.rack_ids].sum())
    t_ret = t_sup + heat_w / (air.density_kg_m3 * air.cp_j_kgk * max(q_sup, 1e-12))
    return t_sup, t_ret, heat_w


def write_case(
    fac: Facility,
    case: str | Path,
    hall: int = 0,
    cell_m: float = 0.15,
    max_iter: int = 6000,
    panels: str = "porous",
    turbulence: str = "kEpsilon",
    gentle_start: bool = False,
    outflow: str = "extrapolated",
) -> dict:
    """Generate the OpenFOAM case for one hall at ``cell_m`` and return its description
    (also written to ``twin_case.json``); ``panels``: how containment panels leak, "porous"
    or "slots" (see ``foam_mesh``); ``turbulence``: one of ``TURBULENCE_MODELS``;
    ``gentle_start``: start with ``GENTLE_START`` (for a case whose start-up diverged);
    ``outflow``: how outflow ports set the velocity, one of ``OUTFLOW_MODES``."""
    if outflow not in OUTFLOW_MODES:
        raise ValueError(f"outflow {outflow!r}: one of {', '.join(OUTFLOW_MODES)}")
    if turbulence not in TURBULENCE_MODELS:
        raise ValueError(f"turbulence model {turbulence!r}: one of {', '.join(TURBULENCE_MODELS)}")
    case = Path(case)
    grid = build_grid(fac, hall, cell_m)
    _check_supplied(fac, hall, grid)
    mesh = mesh_from_grid(grid, panels=panels)
    ports = port_patches(fac, hall, grid, mesh)
    write_polymesh(mesh, case)
    t_sup, t_ret, heat_w = _supply_return_c(fac, grid, ports)
    air = fac.layout.air
    _write_fields(case, ports, 0.5 * (t_sup + t_ret), turbulence, outflow)
    panel_zones = tuple(z for z in mesh.zones if z.startswith("panel_"))
    _write_system(case, ports, max_iter, t_sup, bool(panel_zones), turbulence, gentle_start)
    _write_sources(case, ports, panel_zones, cell_m, turbulence)
    desc = {
        "format": "twin-cfd-case/1",
        "layout": fac.layout.name,
        "hall": fac.hall_ids[hall],
        "cell_m": cell_m,
        "shape": list(grid.shape),
        "n_cells": mesh.n_cells,
        "heat_w": heat_w,
        "rho_cp": air.density_kg_m3 * air.cp_j_kgk,
        "supply_mean_c": t_sup,
        "panels": panels,
        "turbulence": turbulence,
        "gentle_start": gentle_start,
        "outflow_u": outflow,
        "panel_darcy_per_m2": panel_darcy_per_m2(cell_m) if panel_zones else None,
        "panel_still_k": PANEL_K if panel_zones else None,
        "patches": [pp.__dict__ for pp in ports],
        # where the ports are: a case read back onto a layout whose ports moved is refused
        "port_digest": case_files.port_digest(grid),
    }
    (case / "twin_case.json").write_text(json.dumps(desc, indent=1))
    np.save(case / "twin_cells.npy", mesh.cell_flat.astype(np.int64))
    return desc
