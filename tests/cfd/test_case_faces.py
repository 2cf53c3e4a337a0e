"""An aisle's air budget read from a Twin-written case's face flux (phi), not its cell-centred
U, which under-reads what a porous panel passes (``twin.cfd.case_faces``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import write_fields
from twin.cfd import aisles, case_faces, foam_read, source
from twin.cfd.foam_mesh import foam_header, mesh_from_grid, write_polymesh
from twin.model.loader import load_layout
from twin.physics import solve_steady

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "cold-containment-leaky.yaml"
CELL_M = 0.3


@pytest.fixture(scope="module")
def contained():
    """The contained validation room solved at 0.3 m, and its mesh as a case would have it."""
    fac = load_layout(ROOM)
    res = solve_steady(fac, 0, CELL_M)
    return fac, res, mesh_from_grid(res.grid)


def _phi(mesh, res) -> np.ndarray:
    """Twin's own flow through each internal face of the mesh, owner to neighbour, found
    from the face's corner points and the two cells' centres (not from grid indices)."""
    g, h = res.grid, res.grid.cell_m
    n = len(mesh.neighbour)
    corners = mesh.points[mesh.faces[:n]]  # (n, 4, 3)
    centre = corners.mean(axis=1)
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normal /= np.linalg.norm(normal, axis=1)[:, None]
    cell_centres = (np.array(np.unravel_index(mesh.cell_flat, g.shape)).T + 0.5) * h + g.origin_m
    towards = cell_centres[mesh.neighbour] - cell_centres[mesh.owner[:n]]
    normal *= np.sign((normal * towards).sum(axis=1))[:, None]
    axis = np.argmax(np.abs(normal), axis=1)
    at = (centre - g.origin_m) / h
    phi = np.empty(n)
    for a, vel in enumerate((res.flow.u, res.flow.v, res.flow.w)):
        m = axis == a
        idx = np.floor(at[m]).astype(int)
        idx[:, a] = np.rint(at[m, a]).astype(int)  # the face's own plane
        phi[m] = vel[tuple(idx.T)] * normal[m, a] * h * h
    return phi


def _write_flux(case: Path, time: str, name: str, values: np.ndarray) -> None:
    rows = "\n".join(f"{x:.12g}" for x in values)
    (case / time / name).write_text(
        foam_header("surfaceScalarField", name, time)
        + f"internalField nonuniform List<scalar> {len(values)}(\n{rows}\n);\n"
    )


def _case(tmp_path, contained, u_scale: float = 0.0, fluxes: dict | None = None) -> Path:
    """A case as ``foam_case`` leaves it, reduced to what is read back: mesh, cell map, T as
    Twin's, U as Twin's cell velocity times ``u_scale``, and the face fluxes given
    (default: phi, Twin's own flow)."""
    fac, res, mesh = contained
    case = tmp_path / "case"
    case.mkdir()
    write_polymesh(mesh, case)
    np.save(case / "twin_cells.npy", mesh.cell_flat)
    (case / "twin_case.json").write_text(json.dumps({"cell_m": CELL_M, "hall": "ROOM"}))
    vel = np.stack(res.flow.cell_velocity(), -1).reshape(-1, 3)[mesh.cell_flat]
    t = res.air_c.ravel()[mesh.cell_flat]
    write_fields(case, "500", {"T": t, "U": vel * u_scale, "TMean": t, "UMean": vel * u_scale})
    for name, values in (fluxes if fluxes is not None else {"phi": _phi(mesh, res)}).items():
        _write_flux(case, "500", name, values)
    return case


def test_the_faces_read_back_as_the_flow_that_wrote_them(contained, tmp_path):
    fac, res, mesh = contained
    case = _case(tmp_path, contained)
    results = foam_read.latest_time(case, "T")
    faces = case_faces.face_velocities(case, res.grid, results)
    g = res.grid
    for a, (got, want, gate) in enumerate(
        zip(faces, (res.flow.u, res.flow.v, res.flow.w), (g.gx, g.gy, g.gz), strict=True)
    ):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[a], hi[a] = slice(0, -1), slice(1, None)
        inner = np.zeros(got.shape, bool)  # faces between two air cells: the mesh's internal
        sl = [slice(None)] * 3
        sl[a] = slice(1, -1)
        inner[tuple(sl)] = g.fluid[tuple(lo)] & g.fluid[tuple(hi)]
        assert np.abs(want[inner]).max() > 0.1  # air moves across this axis
        assert got[inner] == pytest.approx(want[inner], abs=1e-9)
        assert not got[~inner].any()  # walls, ports and solids are no internal face
        assert gate.shape == got.shape


def test_the_aisle_is_read_from_phi_whatever_the_cells_say(contained, tmp_path):
    """U written as still air: through cell centres the panels would pass nothing; from phi
    each side carries what Twin's own faces do, and the sides balance what the racks draw
    beyond the tiles' supply (10 x 1.7 - 15.3 m3/s, from the layout)."""
    fac, res, _ = contained
    case = _case(tmp_path, contained, u_scale=0.0)
    cfd = source.load_field(case, fac, res.grid)
    (a,) = source.compare_field(fac, res, cfd)["aisles"]
    assert a["faces"] == "phi" and a["cfd_top_m"] == a["box_m"][-1]
    for s in a["sides"]:
        assert s["read"] == 1.0  # every face: a flux has no gaps
        assert s["cfd"]["in_m3s"] == pytest.approx(s["twin"]["in_m3s"], abs=1e-9)
        assert s["cfd"]["out_m3s"] == pytest.approx(s["twin"]["out_m3s"], abs=1e-9)
        assert s["cfd"]["in_c"] == pytest.approx(s["twin"]["in_c"])
    net = sum(s["cfd"]["in_m3s"] - s["cfd"]["out_m3s"] for s in a["sides"])
    assert net == pytest.approx(10 * 1.7 - 15.3, abs=1e-6)
    west, east, _, _, top = a["sides"]
    assert min(west["cfd"]["in_m3s"], east["cfd"]["in_m3s"], top["cfd"]["in_m3s"]) > 0.3
    line = aisles.text_lines([a])[0]
    assert "air through the faces (the case's phi, Twin's own)" in line


def test_a_running_mean_is_read_from_phimean(contained, tmp_path):
    fac, res, mesh = contained
    phi = _phi(mesh, res)
    case = _case(tmp_path, contained, u_scale=1.0, fluxes={"phi": phi, "phiMean": 2 * phi})
    cfd = source.load_field(case, fac, res.grid, field="TMean")
    (a,) = source.compare_field(fac, res, cfd)["aisles"]
    assert a["faces"] == "phiMean"
    west = a["sides"][0]
    assert west["cfd"]["in_m3s"] == pytest.approx(2 * west["twin"]["in_m3s"], abs=1e-9)


def test_without_a_flux_the_aisle_is_read_through_cell_centres(contained, tmp_path):
    """A case from before cases averaged phi (TMean without phiMean), or with no phi at all:
    both sides through cell centres, as any CFD field's, and nothing said of a flux."""
    fac, res, mesh = contained
    case = _case(tmp_path, contained, u_scale=1.0, fluxes={"phi": _phi(mesh, res)})
    for field in ("TMean", "T"):
        if field == "T":
            (case / "500" / "phi").unlink()
        cfd = source.load_field(case, fac, res.grid, field=field)
        (a,) = source.compare_field(fac, res, cfd)["aisles"]
        assert "faces" not in a and cfd.note == ""
        assert "air between air cells" in aisles.text_lines([a])[0]
        for s in a["sides"]:  # Twin's own air on both sides, read alike
            for k in ("in_m3s", "out_m3s"):
                assert s["cfd"][k] == pytest.approx(s["twin"][k], abs=1e-6)


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("short", "holds 5 values, its mesh"),
        ("labels", "are not of its"),
        ("pairs", "joins cells that are not neighbours"),
        ("missing", "polyMesh/owner: No such file"),
    ],
)
def test_a_damaged_flux_or_mesh_falls_back_to_cell_centres_and_says_why(
    contained, tmp_path, damage, said
):
    fac, res, mesh = contained
    case = _case(tmp_path, contained, u_scale=1.0)
    if damage == "short":
        _write_flux(case, "500", "phi", np.zeros(5))
    elif damage == "labels":
        poly = case / "constant" / "polyMesh" / "neighbour"
        text = poly.read_text()
        head, body = text.split("(", 1)
        labels = body.split()
        labels[0] = str(len(mesh.cell_flat))  # one past the mesh's last cell
        poly.write_text(head + "(" + " ".join(labels))
    elif damage == "pairs":  # a face between two cells that do not touch
        poly = case / "constant" / "polyMesh" / "neighbour"
        text = poly.read_text()
        head, body = text.split("(", 1)
        labels = body.replace(")", " ").split()
        labels[0], labels[-1] = labels[-1], labels[0]
        poly.write_text(head + "(" + " ".join(labels) + ")\n")
    else:
        (case / "constant" / "polyMesh" / "owner").unlink()
    cfd = source.load_field(case, fac, res.grid)
    (a,) = source.compare_field(fac, res, cfd)["aisles"]
    assert "faces" not in a
    assert said in cfd.note and cfd.note.endswith("the aisles are read through cell centres")


def test_the_flux_goes_with_its_temperature_field():
    assert case_faces.flux_name("T") == "phi"
    assert case_faces.flux_name("TMean") == "phiMean"


def test_a_uniform_flux_and_an_owner_list_of_internal_faces_alone_read(contained, tmp_path):
    """``uniform 0`` (no air through any face) is a flux of every internal face; an owner
    list that stops at the internal faces (the patches' owners left off) is enough."""
    fac, res, mesh = contained
    case = _case(tmp_path, contained, u_scale=1.0)
    (case / "500" / "phi").write_text(
        foam_header("surfaceScalarField", "phi", "500") + "internalField uniform 0;\n"
    )
    poly = case / "constant" / "polyMesh" / "owner"
    head, body = poly.read_text().split("(", 1)
    n = len(mesh.neighbour)
    owners = body.replace(")", " ").split()[:n]
    poly.write_text(head.rsplit(str(len(mesh.owner)), 1)[0] + f"{n}\n(" + " ".join(owners) + ")\n")
    results = foam_read.latest_time(case, "T")
    faces = case_faces.face_velocities(case, res.grid, results)
    assert [f.shape for f in faces] == [f.shape for f in (res.flow.u, res.flow.v, res.flow.w)]
    assert not any(f.any() for f in faces)
    cfd = source.load_field(case, fac, res.grid)
    (a,) = source.compare_field(fac, res, cfd)["aisles"]
    assert a["faces"] == "phi" and cfd.note == ""
    assert all(s["cfd"]["in_m3s"] == s["cfd"]["out_m3s"] == 0 for s in a["sides"])


def test_the_flux_is_read_at_the_time_its_temperature_was(contained, tmp_path):
    """A later time holding a flux but no temperature (a run stopped while writing) is not
    read: the air budget is of the same solution as the temperatures."""
    fac, res, _ = contained
    case = _case(tmp_path, contained)
    (case / "600").mkdir()
    _write_flux(case, "600", "phi", np.full(len(contained[2].neighbour), 0.5))
    cfd = source.load_field(case, fac, res.grid)
    (a,) = source.compare_field(fac, res, cfd)["aisles"]
    west = a["sides"][0]
    assert west["cfd"]["in_m3s"] == pytest.approx(west["twin"]["in_m3s"], abs=1e-9)
    # a running mean is read where the newest running mean is, with its own flux
    write_fields(case, "600", {"T": res.air_c.ravel()[contained[2].cell_flat]})
    cfd = source.load_field(case, fac, res.grid, field="TMean")
    assert cfd.aisle_faces is None  # (500 has TMean but no phiMean)
    _write_flux(case, "500", "phiMean", _phi(contained[2], res))
    cfd = source.load_field(case, fac, res.grid, field="TMean")
    assert cfd.aisle_faces is not None and cfd.aisle_faces.flux == "phiMean"


def test_each_side_is_read_on_its_own_grid(contained, tmp_path):
    """Twin at 0.2 m against a 0.3 m case: the CFD's box ends where the 0.3 m layers put the
    racks' top (2.1 m; Twin's at 2.2 m), and its sides carry the case's flux, which is
    Twin's 0.3 m flow here, not the 0.2 m one it is compared with."""
    fac, coarse, _ = contained
    case = _case(tmp_path, contained)
    fine = solve_steady(fac, 0, 0.2)
    cfd = source.load_field(case, fac, fine.grid)
    (a,) = source.compare_field(fac, fine, cfd)["aisles"]
    (box,) = aisles.aisle_boxes(fac, coarse.grid)
    own = aisles.side_flows(
        coarse.grid, box, (coarse.flow.u, coarse.flow.v, coarse.flow.w), coarse.air_c
    )
    assert a["box_m"][-1] == pytest.approx(2.2) and a["cfd_top_m"] == pytest.approx(2.1)
    for s, o in zip(a["sides"], own, strict=True):
        assert s["cfd"]["in_m3s"] == pytest.approx(o["in_m3s"], abs=1e-9)
    assert aisles.text_lines([a])[0].startswith(
        "aisle over TILES (x 1.80-4.80 m, y 2.40-3.60 m, up to 2.20 m, the CFD's cells to "
        "2.10 m): air through the faces (the case's phi, Twin's own)"
    )


def test_every_reason_a_case_was_read_otherwise_is_said_in_turn(contained, tmp_path):
    """A run still writing time 600, a flux cut short, then a velocity of NaN: each reason,
    in that order, one after the other."""
    fac, res, mesh = contained
    case = _case(tmp_path, contained, u_scale=1.0)
    _write_flux(case, "500", "phi", np.zeros(5))
    n = len(mesh.cell_flat)
    write_fields(case, "600", {"U": np.zeros((n, 3))})
    running = "its time 600 has no T (a run still writing it?): read at time 500; "
    cfd = source.load_field(case, fac, res.grid)
    flux = f"{case}: its phi at time 500 holds 5 values, its mesh {len(mesh.neighbour):,} "
    assert cfd.note == running + flux + "internal faces: the aisles are read through cell centres"
    assert cfd.velocity_ms is not None
    write_fields(case, "500", {"U": np.full((n, 3), np.nan)})
    cfd = source.load_field(case, fac, res.grid)
    assert cfd.velocity_ms is None and cfd.note.startswith(running)
    assert cfd.note.endswith(
        "the aisles are read through cell centres; its velocity holds no number: not compared"
    )
