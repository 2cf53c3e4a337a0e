"""The initial and boundary fields of a generated case (``0/``) set each port as the README
says the CFD runs it: every patch of the mesh in every field and nothing else, each rack's
and unit's flow and each supply's temperature as the layout gives them, a rack's rear taking
its own front's mean temperature, outflows drawn as the outflow mode says, inlet turbulence
where air blows in and wall functions on the walls. Read with the dictionary parser of
``test_case_dictionaries.py`` and checked against figures from the layout, not the writer's
own description of the case."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.test_case_dictionaries import parse
from twin.cfd import foam_case
from twin.model.loader import load_layout

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"
CELL_M = 0.4
RHO_CP = 1.19 * 1005  # the rooms' air (their YAML)

CASES = [
    ("cold-containment-leaky", "kEpsilon", "extrapolated"),  # tiles, racks, grilles, panels
    ("wall-crah-perimeter", "kOmegaSST", "even"),  # CRAH intakes, mixed racks
    ("open-aisle-85", "kEpsilon", "fixed"),
]


# per test, not per module: mutation testing credits a fixture's call to the first test only
@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def case(request, tmp_path_factory):
    room, turbulence, outflow = request.param
    fac = load_layout(ROOMS / f"{room}.yaml")
    path = tmp_path_factory.mktemp(room)
    desc = foam_case.write_case(fac, path, cell_m=CELL_M, turbulence=turbulence, outflow=outflow)
    # the patches' owners and kinds: which rack, unit, tile area or grille each one is
    owners = {p["name"]: (p["kind"], p["owner_id"]) for p in desc["patches"]}
    return fac, path, turbulence, outflow, owners


def _mesh_patches(path: Path) -> dict[str, int]:
    """Each boundary patch of the written mesh and its number of faces."""
    text = (path / "constant" / "polyMesh" / "boundary").read_text()
    return {m[0]: int(m[1]) for m in re.findall(r"(\w+)\s*\{[^}]*?nFaces\s+(\d+);", text)}


def _vector(value: str) -> np.ndarray:
    """``uniform (x y z)`` as an array."""
    return np.array(value.split(None, 1)[1].strip("()").split(), float)


def _field(path: Path, name: str) -> dict:
    return parse((path / "0" / name).read_text())


def _expected_flows(fac, owners: dict) -> dict[str, float]:
    """Each port's flow into the room (m3/s) from the layout: a rack's rear blows in and its
    front draws out its airflow, a CRAH draws its own, the tiles supply what the layout says
    (or, fed by CRAHs through the unmeshed plenum, what the CRAHs blow in), and the grilles
    take back the supply between them."""
    rack_q = dict(zip(fac.rack_ids, fac.rack_airflow_m3s, strict=True))
    unit_q = dict(zip(fac.air_unit_ids, fac.air_unit_airflow_m3s, strict=True))
    supplies = {s.id: s for s in fac.layout.cooling.supplies}
    out = {}
    for name, (kind, owner) in owners.items():
        if kind == "rack_front":
            out[name] = -rack_q[owner]
        elif kind == "rack_rear":
            out[name] = rack_q[owner]
        elif kind == "unit_in":
            out[name] = -unit_q[owner]
        elif kind == "supply":
            s = supplies[owner]
            out[name] = s.flow_m3s if s.flow_m3s is not None else sum(unit_q.values())
    return out


def test_every_field_has_every_patch_of_the_mesh(case):
    _, path, turbulence, _, owners = case
    patches = set(_mesh_patches(path))
    assert patches == {"wall", *owners}
    names = ["U", "T", "p_rgh", "p", "k", "nut", "alphat"]
    names += ["epsilon", "omega"] if turbulence == "kOmegaSST" else ["epsilon"]
    assert sorted(p.name for p in (path / "0").iterdir()) == sorted(names)
    for name in names:
        assert set(_field(path, name)["boundaryField"]) == patches, name


def test_each_port_moves_the_layouts_air(case):
    fac, path, _, outflow, owners = case
    u = _field(path, "U")
    assert (u["dimensions"], u["internalField"]) == ("[0 1 -1 0 0 0 0]", "uniform (0 0 0)")
    bf = u["boundaryField"]
    assert bf["wall"] == {"type": "noSlip"}
    want = _expected_flows(fac, owners)
    faces = _mesh_patches(path)
    grilles = 0.0
    for name, (kind, _) in owners.items():
        bc = bf[name]
        q = want.get(name)
        if q is not None and q > 0:  # blows in: its flow, whatever the outflow mode
            assert bc["type"] == "flowRateInletVelocity", name
            assert float(bc["volumetricFlowRate"].split()[1]) == pytest.approx(q, rel=1e-7)
            assert bc["extrapolateProfile"] == "no"
            continue
        if outflow == "extrapolated":
            assert bc["type"] == "flowRateOutletVelocity", name
            drawn = float(bc["volumetricFlowRate"].split()[1])
        elif outflow == "fixed":
            assert bc["type"] == "flowRateInletVelocity", name
            drawn = -float(bc["volumetricFlowRate"].split()[1])
        else:  # even: the flow over the face's area, its direction out of the room
            assert bc["type"] == "fixedNormalSlip", name
            assert bc["fixedValue"] == bc["value"]
            v = _vector(bc["fixedValue"])
            assert np.count_nonzero(v) == 1, name  # along the face's normal only
            drawn = float(np.abs(v).sum()) * faces[name] * CELL_M**2
        if kind == "grille":
            grilles += drawn
        else:
            assert drawn == pytest.approx(-q, rel=1e-7), name
    supply = sum(q for n, q in want.items() if owners[n][0] == "supply")
    drawn_by_units = -sum(q for n, q in want.items() if owners[n][0] == "unit_in")
    if any(kind == "grille" for kind, _ in owners.values()):
        assert grilles == pytest.approx(supply - drawn_by_units, rel=1e-6)


def test_even_draws_point_out_of_the_room(tmp_path):
    fac = load_layout(ROOMS / "wall-crah-perimeter.yaml")
    desc = foam_case.write_case(fac, tmp_path, cell_m=CELL_M, outflow="even")
    bf = _field(tmp_path, "U")["boundaryField"]
    fronts = [p for p in desc["patches"] if p["kind"] == "rack_front"]
    assert len(fronts) == len(fac.rack_ids)
    for p in fronts:
        v = _vector(bf[p["name"]]["fixedValue"])
        r = fac.rack_index[p["owner_id"]]
        # a rack's front faces -y unrotated (row B, across the tiles from row A), +y turned
        # 180 (row A): the air leaves the room into its front, against the way it faces
        faces_y = -np.cos(np.radians(fac.rack_rotation_deg[r]))
        assert np.sign(v[1]) == -np.sign(faces_y) and v[0] == v[2] == 0.0, p["name"]


def test_each_port_brings_its_temperature(case):
    fac, path, _, _, owners = case
    t = _field(path, "T")
    bf = t["boundaryField"]
    assert bf["wall"] == {"type": "zeroGradient"}
    fronts = {owner: n for n, (kind, owner) in owners.items() if kind == "rack_front"}
    supplies = {s.id: s for s in fac.layout.cooling.supplies}
    units_c = set(np.round(fac.air_unit_supply_c, 6))
    for name, (kind, owner) in owners.items():
        bc = bf[name]
        if kind == "rack_rear":  # its front's mean temperature; the heat is a source inside
            assert bc["type"] == "outletMappedUniformInlet"
            assert bc["outletPatch"] == fronts[owner]
        elif kind == "supply":
            assert bc["type"] == "fixedValue"
            s = supplies[owner]
            want = s.supply_c if s.supply_c is not None else units_c.pop()
            assert float(bc["value"].split()[1]) == pytest.approx(want, abs=1e-6)
        else:
            assert bc == {"type": "zeroGradient"}, name
    # the air starts halfway between the supply and the return the heat balance gives
    flows = _expected_flows(fac, owners)
    q_sup = sum(q for n, q in flows.items() if owners[n][0] == "supply")
    heat_w = float(fac.air_heat_w().sum())
    (s,) = fac.layout.cooling.supplies
    t_sup = s.supply_c if s.supply_c is not None else float(np.mean(fac.air_unit_supply_c))
    t0 = t_sup + 0.5 * heat_w / (RHO_CP * q_sup)
    assert float(t["internalField"].split()[1]) == pytest.approx(t0, abs=0.006)


def test_turbulence_enters_with_the_air_and_walls_have_wall_functions(case):
    _, path, turbulence, _, owners = case
    blows_in = {n for n, (kind, _) in owners.items() if kind in ("rack_rear", "supply")}
    k = _field(path, "k")["boundaryField"]
    eps = _field(path, "epsilon")["boundaryField"]
    assert k["wall"]["type"] == "kqRWallFunction"
    assert eps["wall"]["type"] == "epsilonWallFunction"
    fields = [(k, "turbulentIntensityKineticEnergyInlet", "intensity", "0.05")]
    fields.append((eps, "turbulentMixingLengthDissipationRateInlet", "mixingLength", "0.1"))
    if turbulence == "kOmegaSST":
        omega = _field(path, "omega")["boundaryField"]
        assert omega["wall"]["type"] == "omegaWallFunction"
        fields.append((omega, "turbulentMixingLengthFrequencyInlet", "mixingLength", "0.1"))
    for bf, inlet, key, value in fields:
        for name in owners:
            if name in blows_in:
                assert (bf[name]["type"], bf[name][key]) == (inlet, value), name
            else:
                assert bf[name] == {"type": "zeroGradient"}, name
    nut = _field(path, "nut")["boundaryField"]
    alphat = _field(path, "alphat")["boundaryField"]
    assert nut["wall"]["type"] == "nutkWallFunction"
    # the wall function's turbulent Prandtl number is the case's own (0.85, OpenFOAM's usual)
    prt = parse((path / "constant" / "transportProperties").read_text())["Prt"]
    assert (alphat["wall"]["type"], alphat["wall"]["Prt"], prt) == (
        "alphatJayatillekeWallFunction",
        "0.85",
        "0.85",
    )
    for name in owners:
        assert nut[name]["type"] == alphat[name]["type"] == "calculated", name


def test_the_pressures(case):
    _, path, _, _, owners = case
    p_rgh = _field(path, "p_rgh")
    p = _field(path, "p")
    assert p_rgh["dimensions"] == p["dimensions"] == "[0 2 -2 0 0 0 0]"
    for name in ["wall", *owners]:
        assert p_rgh["boundaryField"][name] == {
            "type": "fixedFluxPressure",
            "rho": "rhok",
            "value": "uniform 0",
        }, name
        assert p["boundaryField"][name] == {"type": "calculated", "value": "uniform 0"}, name


def _header(path: Path) -> dict:
    """A file's FoamFile header (OpenFOAM picks its reader by the class)."""
    block = re.search(r"FoamFile\s*\{(.*?)\}", path.read_text(), re.S).group(1)
    return dict(re.findall(r"^\s*(\w+)\s+\"?([^\";]*)\"?;", block, re.M))


def test_each_field_file_says_what_it_holds(case):
    _, path, turbulence, _, _ = case
    dims = {  # SI exponents: kg m s K mol A cd
        "U": "[0 1 -1 0 0 0 0]",
        "T": "[0 0 0 1 0 0 0]",
        "p_rgh": "[0 2 -2 0 0 0 0]",
        "p": "[0 2 -2 0 0 0 0]",
        "k": "[0 2 -2 0 0 0 0]",
        "epsilon": "[0 2 -3 0 0 0 0]",
        "omega": "[0 0 -1 0 0 0 0]",
        "nut": "[0 2 -1 0 0 0 0]",
        "alphat": "[0 2 -1 0 0 0 0]",
    }
    for f in (path / "0").iterdir():
        h = _header(f)
        cls = "volVectorField" if f.name == "U" else "volScalarField"
        assert (h["class"], h["object"], h["location"], h["format"]) == (cls, f.name, "0", "ascii")
        d = _field(path, f.name)
        assert d["dimensions"] == dims[f.name], f.name
        value = d["internalField"].split(None, 1)
        assert value[0] == "uniform", f.name
        if f.name in ("p_rgh", "p", "nut", "alphat"):
            assert value[1] == "0", f.name  # pressures and eddy viscosities start at zero


def test_each_racks_heat_enters_in_a_zone_of_its_own(case):
    """fvOptions puts each rack's heat (its power over the air's rho cp, K m3/s) into a cell
    zone the mesh has, one per rack."""
    fac, path, _, _, owners = case
    sources = parse((path / "constant" / "fvOptions").read_text())
    zones = set(
        re.findall(
            r"^(\w+)\n\{\n\s+type cellZone;",
            (path / "constant/polyMesh/cellZones").read_text(),
            re.M,
        )
    )
    power = dict(zip(fac.rack_ids, fac.air_heat_w(), strict=True))
    heat = {n: s for n, s in sources.items() if s["type"] == "scalarSemiImplicitSource"}
    rears = {n: owner for n, (kind, owner) in owners.items() if kind == "rack_rear"}
    assert len(heat) == len(rears)
    for name, owner in rears.items():
        zone = name.replace("rr_", "heat_")
        coeffs = heat[zone]["scalarSemiImplicitSourceCoeffs"]
        assert coeffs["cellZone"] == zone and zone in zones
        assert (coeffs["selectionMode"], coeffs["volumeMode"]) == ("cellZone", "absolute")
        su, sp = coeffs["injectionRateSuSp"]["T"].strip("()").split()
        assert float(su) == pytest.approx(power[owner] / RHO_CP, rel=1e-7) and float(sp) == 0


def test_every_dictionary_says_what_it_holds(case):
    """Each file of system/ and constant/ names its class, itself and its directory as
    OpenFOAM looks them up (a start-up variant, swapped in for the first iterations, names
    the file it stands in for); the run writes ASCII fields at full precision, uncompressed,
    and keeps every written time."""
    _, path, turbulence, _, _ = case
    files = [
        *(path / "system").iterdir(),
        *(p for p in (path / "constant").iterdir() if p.is_file()),
    ]
    assert sorted(f.name for f in files) == sorted(
        ["controlDict", "fvSchemes", "fvSolution", "fvSchemes.startup", "fvSolution.startup"]
        + ["fvOptions", "g", "transportProperties", "turbulenceProperties"]
    )
    for f in files:
        h = _header(f)
        cls = "uniformDimensionedVectorField" if f.name == "g" else "dictionary"
        assert (h["class"], h["object"], h["location"]) == (
            cls,
            f.name.split(".")[0],
            f.parent.name,
        ), f.name
    control = parse((path / "system" / "controlDict").read_text())
    assert {k: control[k] for k in ("purgeWrite", "writeCompression", "timeFormat")} == {
        "purgeWrite": "0",
        "writeCompression": "off",
        "timeFormat": "general",
    }
    assert control["writePrecision"] == control["timePrecision"] == "8"
    schemes = parse((path / "system" / "fvSchemes").read_text())["divSchemes"]
    turb = "omega" if turbulence == "kOmegaSST" else "epsilon"
    assert schemes[f"div(phi,{turb})"] == schemes["div(phi,k)"]
    assert ("div(phi,omega)" in schemes) is (turbulence == "kOmegaSST")


def test_a_case_written_with_the_defaults_is_the_references_mesh_started_from_rest(tmp_path):
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    desc = foam_case.write_case(fac, tmp_path)
    assert (desc["cell_m"], desc["turbulence"], desc["outflow_u"]) == (
        0.15,
        "kEpsilon",
        "extrapolated",
    )
    assert desc["shape"] == [48, 40, 20]  # 7.2 x 6.0 x 3.0 m in 0.15 m cells
    assert "endTime         6000;" in (tmp_path / "system" / "controlDict").read_text()


def test_a_roofed_hot_aisle_without_grilles_returns_through_its_roof(tmp_path):
    """A hall with no return grilles whose hot aisle is roofed returns its air through the
    roof (ducted to the units, as Twin's grid has it): the case's one return patch takes the
    tiles' whole flow back."""
    text = (ROOMS / "hot-aisle-ducted-45kw.yaml").read_text()
    start = text.index("  returns:")
    end = text.index("  containment:")
    layout = tmp_path / "roofed.yaml"
    layout.write_text(text[:start] + text[end:])
    fac = load_layout(layout)
    assert not fac.layout.cooling.returns and fac.layout.cooling.containment[0].roof
    desc = foam_case.write_case(fac, tmp_path / "case", cell_m=CELL_M)
    returns = [p for p in desc["patches"] if p["kind"] == "grille"]
    assert [p["owner_id"] for p in returns] == ["roof-0"]
    supplied = sum(s.flow_m3s for s in fac.layout.cooling.supplies)  # 2 x 12 m3/s
    assert -returns[0]["flow_m3s"] == pytest.approx(supplied, rel=1e-9)
