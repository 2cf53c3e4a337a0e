"""The OpenFOAM case written from a layout: a valid closed hexahedral mesh of exactly the
model's air cells, patches that carry the model's port flows, the rack heat as sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from twin.cfd.foam_case import write_case
from twin.cfd.foam_mesh import mesh_from_grid
from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"


def _face_vectors(mesh):
    p = mesh.points[mesh.faces]
    return 0.5 * np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 1])


@pytest.mark.parametrize("room", ["cold-containment-leaky", "wall-crah-plenum-mixed"])
def test_mesh_is_closed_hexahedra_of_the_air_cells(room):
    fac = load_layout(ROOMS / f"{room}.yaml")
    grid = build_grid(fac, 0, 0.3)
    mesh = mesh_from_grid(grid)
    n_int = len(mesh.neighbour)
    assert mesh.n_cells == int(grid.fluid.sum())
    # every cell is a hexahedron: six faces, and its outward face vectors sum to zero
    count = np.bincount(mesh.owner, minlength=mesh.n_cells) + np.bincount(
        mesh.neighbour, minlength=mesh.n_cells
    )
    assert (count == 6).all()
    sv = _face_vectors(mesh)
    net = np.zeros((mesh.n_cells, 3))
    np.add.at(net, mesh.owner, sv)
    np.add.at(net, mesh.neighbour, -sv[:n_int])
    assert np.abs(net).max() < 1e-9
    # every face has the cell's area, internal faces in upper-triangular order
    assert np.allclose(np.linalg.norm(sv, axis=1), 0.09)
    assert (mesh.owner[:n_int] < mesh.neighbour).all()
    key = mesh.owner[:n_int] * mesh.n_cells + mesh.neighbour
    assert (np.diff(key) > 0).all()
    # boundary faces point out of the room's air: the sum over all of them is zero
    assert np.abs(sv[n_int:].sum(0)).max() < 1e-9
    # patches tile the boundary faces in order
    starts = [s for _, _, _, s in mesh.patches]
    sizes = [n for _, _, n, _ in mesh.patches]
    assert starts[0] == n_int and starts[-1] + sizes[-1] == len(mesh.faces)
    assert all(a + n == b for a, n, b in zip(starts, sizes, starts[1:], strict=False))


def _open_panel_faces(grid, mesh_open_axis: int):
    """(panel faces, faces left open) of one axis, as the mesh builder sees them."""
    from twin.cfd.foam_mesh import _panel_open

    a = mesh_open_axis
    g = (grid.gx, grid.gy, grid.gz)[a]
    lo = np.zeros(g.shape, bool)
    hi = np.zeros(g.shape, bool)
    sl_lo, sl_hi = [slice(None)] * 3, [slice(None)] * 3
    sl_lo[a], sl_hi[a] = slice(1, None), slice(0, -1)
    lo[tuple(sl_lo)] = grid.fluid
    hi[tuple(sl_hi)] = grid.fluid
    panel = lo & hi & (g > 0) & (g < 1)
    return panel, _panel_open(g, lo & hi, a)


@pytest.mark.parametrize("cell_m", [0.15, 0.2])
def test_panel_leaks_are_spread_evenly_over_each_panel(cell_m):
    # the leaky room's cold aisle (x 1.8-4.8, y 2.4-3.6, 2.2 m high): two doors normal to x
    # and a roof normal to z, 2 % open
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    grid = build_grid(fac, 0, cell_m)
    for a in (0, 2):
        panel, open_ = _open_panel_faces(grid, a)
        assert open_.sum() and not (open_ & ~panel).any()
        for k in np.unique(np.nonzero(panel)[a]):
            sl = [slice(None)] * 3
            sl[a] = k
            p, o = panel[tuple(sl)], open_[tuple(sl)]
            # its share of the plane's faces, to the nearest whole face
            assert o.sum() == round(0.02 * p.sum()) >= 1
            # each slot at the centre of its own stratum: no slot on the panel's edge, and
            # no two slots closer than the spacing an even spread gives
            pu, pv = np.nonzero(p)
            ou, ov = np.nonzero(o)
            assert (ou > pu.min()).all() and (ou < pu.max()).all()
            assert (ov > pv.min()).all() and (ov < pv.max()).all()
            if len(ou) > 1:
                d = np.hypot(ou[:, None] - ou[None, :], ov[:, None] - ov[None, :])
                spacing = np.sqrt(p.sum() / len(ou))
                assert d[~np.eye(len(ou), dtype=bool)].min() >= 0.7 * spacing
    # both doors of the aisle leak alike (the room is symmetric end to end)
    panel, open_ = _open_panel_faces(grid, 0)
    doors = np.unique(np.nonzero(panel)[0])
    assert len(doors) == 2
    assert (open_[doors[0]] == open_[doors[1]]).all()


def test_port_patches_carry_the_model_flows_and_heat(tmp_path):
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    desc = write_case(fac, tmp_path / "case", cell_m=0.3, max_iter=100)
    patches = {p["name"]: p for p in desc["patches"]}
    # each rack: front draws, rear returns its airflow, rear rise = P / (rho cp Q)
    for r in range(10):
        f, b = patches[f"rf_{r}"], patches[f"rr_{r}"]
        assert f["flow_m3s"] == pytest.approx(-1.0) and b["flow_m3s"] == pytest.approx(1.0)
        assert b["rise_k"] == pytest.approx(15000 / (1.19 * 1005 * 1.0))
    # tiles 8.5 m3/s at 18 C; two ceiling grilles of equal area take 4.25 each
    assert patches["sup_0"]["flow_m3s"] == pytest.approx(8.5)
    assert patches["sup_0"]["temp_c"] == 18.0
    assert patches["gr_0"]["flow_m3s"] == pytest.approx(-4.25)
    assert sum(p["flow_m3s"] for p in desc["patches"]) == pytest.approx(0.0, abs=1e-9)
    case = tmp_path / "case"
    u = (case / "0" / "U").read_text()
    assert re.search(r"sup_0\s*\{[^}]*volumetricFlowRate constant 8\.5;", u)
    # heat: one source per rack, P / (rho cp) in K m3/s, in the cells behind its rear
    src = [
        float(x)
        for x in re.findall(
            r"T\s+\(([-0-9.e+]+) 0\);", (case / "constant" / "fvOptions").read_text()
        )
    ]
    assert sum(src) * 1.19 * 1005 == pytest.approx(150_000, rel=1e-6)
    zones = (case / "constant" / "polyMesh" / "cellZones").read_text()
    assert zones.count("type cellZone;") == 10
    boundary = (case / "constant" / "polyMesh" / "boundary").read_text()
    n_faces = dict(
        re.findall(r"(\w+)\s*\{\s*type\s+\w+;(?:\s*inGroups[^;]*;)?\s*nFaces\s+(\d+);", boundary)
    )
    # a 0.6 x 2.2 m rack face at 0.3 m cells: 2 x 7 faces (2.2 m rounds to 7 cells)
    assert int(n_faces["rf_0"]) == 14
    assert json.loads((case / "twin_case.json").read_text())["n_cells"] == desc["n_cells"]
    # no panels: SIMPLEC, as the references without containment were run
    assert "consistent yes;" in (case / "system" / "fvSolution").read_text()


def test_porous_panels_leave_every_panel_face_open_and_resist_along_its_normal(tmp_path):
    from twin.cfd.foam_case import panel_darcy_per_m2
    from twin.cfd.foam_mesh import panel_axes

    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    grid = build_grid(fac, 0, 0.15)
    porous, slots = mesh_from_grid(grid, "porous"), mesh_from_grid(grid, "slots")
    cid = np.full(grid.n_cells, -1)
    cid[porous.cell_flat] = np.arange(porous.n_cells)
    touched = {a: set() for a in range(3)}
    n_panel = n_slot = 0
    for a in (0, 1, 2):
        panel, open_ = _open_panel_faces(grid, a)
        n_panel, n_slot = n_panel + panel.sum(), n_slot + open_.sum()
        fi, fj, fk = np.nonzero(panel)
        lo = [fi, fj, fk]
        lo[a] = lo[a] - 1
        for ijk in (tuple(lo), (fi, fj, fk)):
            touched[a] |= set(cid[np.ravel_multi_index(ijk, grid.shape)].tolist())
    assert n_panel > 300 and n_slot < 0.03 * n_panel
    # every panel face is an internal face: each closed one was two wall faces with slots
    assert len(porous.neighbour) - len(slots.neighbour) == n_panel - n_slot
    assert len(slots.faces) - len(porous.faces) == n_panel - n_slot
    # the zones: the cells either side of a panel face, disjoint, named by the normals
    zones = {k: set(v.tolist()) for k, v in porous.zones.items() if k.startswith("panel_")}
    assert sorted(zones) == ["panel_x", "panel_xz", "panel_z"]
    assert sum(map(len, zones.values())) == len(set().union(*zones.values()))
    for a in (0, 1, 2):
        assert touched[a] == set().union(*(z for k, z in zones.items() if a in panel_axes(k)))
    # fvOptions: a Darcy resistance along each zone's normals only, no Forchheimer term (its
    # factor is the air's whole speed, along the panel too); plain SIMPLE for the panels
    write_case(fac, tmp_path / "case", cell_m=0.15, max_iter=10)
    opts = (tmp_path / "case" / "constant" / "fvOptions").read_text()
    d = panel_darcy_per_m2(0.15)
    for name in zones:
        block = re.search(name + r"\s*\{.*?d\s+\(([^)]*)\);\s*f\s+\(([^)]*)\);", opts, re.S)
        want = [d if a in panel_axes(name) else 0.0 for a in range(3)]
        assert [float(x) for x in block.group(1).split()] == pytest.approx(want, rel=1e-7)
        assert [float(x) for x in block.group(2).split()] == [0.0, 0.0, 0.0]
    for f in ("fvSolution", "fvSolution.startup"):
        assert "consistent no;" in (tmp_path / "case" / "system" / f).read_text()
    # the two cells drop, at 0.2 m/s through the panel, what a 2 % open sharp-edged orifice
    # plate drops (K = 1 / (0.61 x 0.02)^2: 134 m2/s2, 160 Pa), and half that at 0.1 m/s
    nu = 1.5e-5
    for u, loss in ((0.2, 134.37), (0.1, 67.19)):
        assert nu * d * u * (2 * 0.15) == pytest.approx(loss, abs=0.01)
    assert nu * d * 0.2 * (2 * 0.15) == pytest.approx(0.5 * 0.2**2 / (0.61 * 0.02) ** 2)


def test_a_case_can_be_written_for_k_omega_sst(tmp_path):
    """The same room with the k-omega SST model: omega with inlet values where air blows in
    and wall functions on the walls, its transport scheme and the wall distance SST needs;
    the k-epsilon case (the references') has none of them."""
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    ke = write_case(fac, tmp_path / "ke", cell_m=0.3, max_iter=10)
    sst = write_case(fac, tmp_path / "sst", cell_m=0.3, max_iter=10, turbulence="kOmegaSST")
    assert (ke["turbulence"], sst["turbulence"]) == ("kEpsilon", "kOmegaSST")
    assert not (tmp_path / "ke" / "0" / "omega").exists()
    assert "div(phi,omega)" not in (tmp_path / "ke" / "system" / "fvSchemes").read_text()
    turb = (tmp_path / "sst" / "constant" / "turbulenceProperties").read_text()
    assert re.search(r"RASModel\s+kOmegaSST;", turb)
    omega = (tmp_path / "sst" / "0" / "omega").read_text()
    assert re.search(r"sup_0\s*\{\s*type\s+turbulentMixingLengthFrequencyInlet;", omega)
    assert re.search(r"rr_0\s*\{\s*type\s+turbulentMixingLengthFrequencyInlet;", omega)
    assert re.search(r"rf_0\s*\{\s*type\s+zeroGradient;", omega)  # air leaves there
    assert re.search(r"\bwall\s*\{\s*type\s+omegaWallFunction;", omega)
    for name in ("fvSchemes", "fvSchemes.startup"):
        schemes = (tmp_path / "sst" / "system" / name).read_text()
        assert "div(phi,omega)" in schemes and "wallDist { method meshWave; }" in schemes
    for name in ("fvSolution", "fvSolution.startup"):
        sol = (tmp_path / "sst" / "system" / name).read_text()
        assert '"(U|T|k|omega)"' in sol and "consistent no;" in sol
        # relaxed harder than k-epsilon: it diverged at k-epsilon's factors
        assert 'equations { U 0.3; T 0.5; "(k|omega)" 0.3; }' in sol and "p_rgh 0.2;" in sol
        assert (
            "div(phi,omega)  bounded Gauss upwind;"
            in (tmp_path / "sst" / "system" / name.replace("fvSolution", "fvSchemes")).read_text()
        )
    ke_sol = (tmp_path / "ke" / "system" / "fvSolution").read_text()
    assert 'equations { U 0.7; T 0.7; "(k|epsilon)" 0.7; }' in ke_sol
    with pytest.raises(ValueError, match="turbulence model 'kOmega'"):
        write_case(fac, tmp_path / "bad", cell_m=0.3, turbulence="kOmega")


@pytest.mark.parametrize("turbulence", ["kEpsilon", "kOmegaSST"])
def test_porous_panels_hold_still_air_so_no_eddy_carries_heat_through_them(tmp_path, turbulence):
    """Every porous panel layer holds its turbulence at rest (OpenFOAM's
    scalarFixedValueConstraint): the eddy viscosity the model derives there, and so the
    turbulent diffusivity that mixed heat straight through the panels, is negligible beside
    the air's own viscosity; no other cell zone is touched."""
    fac = load_layout(ROOMS / "cold-containment-leaky.yaml")
    write_case(fac, tmp_path / "case", cell_m=0.3, max_iter=10, turbulence=turbulence)
    opts = (tmp_path / "case" / "constant" / "fvOptions").read_text()
    cell_zones = (tmp_path / "case" / "constant" / "polyMesh" / "cellZones").read_text()
    zones = re.findall(r"^(\w+)\s*\{\s*type cellZone;", cell_zones, re.M)
    panels = [z for z in zones if z.startswith("panel_")]
    assert panels and len(panels) < len(zones)  # the racks' heat zones are the others
    held = re.findall(
        r"(\w+)_still\s*\{\s*type\s+scalarFixedValueConstraint;.*?cellZone\s+(\w+);\s*"
        r"fieldValues\s*\{\s*k\s+([-0-9.e+]+);\s*(\w+)\s+([-0-9.e+]+);\s*\}",
        opts,
        re.S,
    )
    assert sorted(z for z, _, _, _, _ in held) == sorted(panels)
    for name, zone, k, second, value in held:
        assert name == zone
        k, value = float(k), float(value)
        if turbulence == "kEpsilon":
            assert second == "epsilon"
            nu_t = 0.09 * k * k / value
        else:
            assert second == "omega"
            nu_t = k / value
        assert 0.0 <= nu_t < 1e-6 * 1.5e-5


def _u_patches(case: Path) -> dict[str, str]:
    """Each patch's velocity condition in 0/U, as written."""
    u = (case / "0" / "U").read_text()
    return dict(re.findall(r"^    (\w+)\n    \{\n(.*?)^    \}\n", u, re.S | re.M))


def test_outflows_leave_with_their_own_momentum(tmp_path):
    """By default every port air leaves through (rack fronts, grilles) takes the cell's
    velocity scaled to its flow, every inflow keeps its fixed flow, and the case says which it
    was; ``outflow="fixed"`` fixes the whole velocity, as the older references were run."""
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    fixed = write_case(fac, tmp_path / "fixed", cell_m=0.3, max_iter=10, outflow="fixed")
    ext = write_case(fac, tmp_path / "ext", cell_m=0.3, max_iter=10)
    assert (fixed["outflow_u"], ext["outflow_u"]) == ("fixed", "extrapolated")
    before, after = _u_patches(tmp_path / "fixed"), _u_patches(tmp_path / "ext")
    outflows = [p for p in ext["patches"] if p["flow_m3s"] < 0]
    assert {p["name"][:3] for p in outflows} == {"rf_", "gr_"}
    for p in ext["patches"]:
        if p["flow_m3s"] < 0:
            assert "type            flowRateOutletVelocity;" in after[p["name"]]
            rate = re.search(r"volumetricFlowRate constant ([0-9.e+-]+);", after[p["name"]])
            assert float(rate.group(1)) == pytest.approx(-p["flow_m3s"])
        else:
            assert after[p["name"]] == before[p["name"]]
        assert "flowRateInletVelocity" in before[p["name"]]
    assert after["wall"] == before["wall"]
    with pytest.raises(ValueError, match="outflow"):
        write_case(fac, tmp_path / "bad", cell_m=0.3, outflow="sliding")


def test_even_outflows_draw_their_flow_evenly_across_the_face(tmp_path):
    """``outflow="even"``: each outflow port fixes the velocity across it (its flow over its
    area, pointing out of the room: into row A's racks at -y, row B's at +y, up through the
    ceiling grilles) and leaves the velocity along it to the air (``fixedNormalSlip``)."""
    fac = load_layout(ROOMS / "open-aisle-85.yaml")
    h = 0.3
    desc = write_case(fac, tmp_path / "even", cell_m=h, max_iter=10, outflow="even")
    u = _u_patches(tmp_path / "even")
    boundary = (tmp_path / "even" / "constant" / "polyMesh" / "boundary").read_text()
    n_faces = {n: int(c) for n, c in re.findall(r"(\w+)\n\s*\{[^}]*?nFaces\s+(\d+);", boundary)}
    out = {"A": (0, -1, 0), "B": (0, 1, 0), "GRILLE": (0, 0, 1)}
    seen = set()
    for p in desc["patches"]:
        if p["flow_m3s"] >= 0:
            assert "fixedNormalSlip" not in u[p["name"]]
            continue
        assert "type            fixedNormalSlip;" in u[p["name"]]
        v = np.array(
            [
                float(x)
                for x in re.search(r"fixedValue +uniform \((.*?)\);", u[p["name"]]).group(1).split()
            ]
        )
        direction = out[p["owner_id"][0] if p["kind"] == "rack_front" else "GRILLE"]
        speed = -p["flow_m3s"] / (n_faces[p["name"]] * h * h)
        assert v == pytest.approx(speed * np.array(direction), abs=1e-6)
        seen.add(p["name"][:3])
    assert seen == {"rf_", "gr_"}
