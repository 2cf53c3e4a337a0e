"""The polyMesh a validation case is written with reads back as the mesh Twin built: every
point, face, owner and neighbour, each patch's faces, each cell zone, and each file's
header (OpenFOAM picks its reader by the header's class). Only OpenFOAM itself read these
files before (``make validate-cfd``), so a mistake in them showed hours later or never."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from twin.cfd.foam_mesh import mesh_from_grid, write_polymesh
from twin.cfd.foam_read import read_label_list
from twin.model.loader import load_layout
from twin.physics.grid import build_grid

ROOMS = Path(__file__).resolve().parents[1] / "validation" / "rooms"


def _header(text: str) -> dict[str, str]:
    block = re.search(r"FoamFile\s*\{(.*?)\}", text, re.S).group(1)
    return dict(re.findall(r"^\s*(\w+)\s+\"?([^\";]*)\"?;", block, re.M))


def _body(text: str) -> str:
    return text[text.index("}", text.index("FoamFile")) + 1 :]


def _list(text: str) -> list[str]:
    """The entries of a file's top-level list ``N ( ... )``, one per line."""
    body = _body(text).strip()
    n, rest = body.split("\n", 1)
    rows = rest.strip()[1:-1].strip().split("\n")
    assert len(rows) == int(n)
    return rows


# written afresh for each test (not once per module): mutation testing attributes a call to
# the test that made it, so a module-wide fixture credited every read-back to the first test
@pytest.fixture(params=["cold-containment-leaky", "wall-crah-perimeter"])
def written(request, tmp_path_factory):
    fac = load_layout(ROOMS / f"{request.param}.yaml")
    mesh = mesh_from_grid(build_grid(fac, 0, 0.4))
    case = tmp_path_factory.mktemp(request.param)
    write_polymesh(mesh, case)
    return mesh, case / "constant" / "polyMesh"


def test_each_file_says_what_it_holds(written):
    mesh, d = written
    classes = {
        "points": "vectorField",
        "faces": "faceList",
        "owner": "labelList",
        "neighbour": "labelList",
        "cellZones": "regIOobject",
        "boundary": "polyBoundaryMesh",
    }
    for name, cls in classes.items():
        head = _header((d / name).read_text())
        assert head["class"] == cls and head["object"] == name
        assert head["location"] == "constant/polyMesh" and head["format"] == "ascii"
    note = (
        f"nPoints:{len(mesh.points)}  nCells:{mesh.n_cells}  nFaces:{len(mesh.faces)}  "
        f"nInternalFaces:{len(mesh.neighbour)}"
    )
    for name in ("owner", "neighbour"):
        assert _header((d / name).read_text())["note"] == note


def test_points_faces_owners_and_neighbours_read_back(written):
    mesh, d = written
    pts = np.array(
        [[float(v) for v in r.strip("()").split()] for r in _list((d / "points").read_text())]
    )
    assert np.allclose(pts, mesh.points, atol=5e-7)
    faces = [
        re.fullmatch(r"4\((\d+) (\d+) (\d+) (\d+)\)", r).groups()
        for r in _list((d / "faces").read_text())
    ]
    assert np.array_equal(np.array(faces, dtype=int), mesh.faces)
    assert np.array_equal(read_label_list(d / "owner"), mesh.owner)
    assert np.array_equal(read_label_list(d / "neighbour"), mesh.neighbour)
    # every internal face joins a lower cell to a higher one, as OpenFOAM requires
    n_in = len(mesh.neighbour)
    assert np.all(mesh.owner[:n_in] < mesh.neighbour)


def test_the_boundary_lists_every_patch_in_order(written):
    mesh, d = written
    text = _body((d / "boundary").read_text())
    assert text.strip().split("\n", 1)[0] == str(len(mesh.patches))
    got = re.findall(
        r"^\s{4}(\S+)\n\s{4}\{\n\s+type\s+(\w+);(\n\s+inGroups\s+1\(wall\);)?\n\s+nFaces\s+(\d+);"
        r"\n\s+startFace\s+(\d+);\n\s{4}\}",
        text,
        re.M,
    )
    assert [(n, t, int(f), int(s)) for n, t, _, f, s in got] == [tuple(p) for p in mesh.patches]
    assert all((g != "") == (t == "wall") for _, t, g, _, _ in got)
    # the patches cover the boundary faces one after another
    starts = [s for *_, s in mesh.patches]
    ends = [s + n for _, _, n, s in mesh.patches]
    assert starts[0] == len(mesh.neighbour) and starts[1:] == ends[:-1]
    assert ends[-1] == len(mesh.faces)
    assert text.rstrip().endswith("}\n)")


def test_each_cell_zone_reads_back(written):
    mesh, d = written
    text = _body((d / "cellZones").read_text())
    assert text.strip().split("\n", 1)[0] == str(len(mesh.zones))
    got = re.findall(
        r"^(\S+)\n\{\n\s+type cellZone;\n\s+cellLabels List<label> (\d+)\(([\d ]*)\);\n\}",
        text,
        re.M,
    )
    assert [g[0] for g in got] == list(mesh.zones)
    for name, n, labels in got:
        cells = np.array(labels.split(), dtype=int)
        assert int(n) == len(cells) and np.array_equal(cells, mesh.zones[name])
    assert text.rstrip().endswith(")")


def test_a_racks_heat_goes_one_cell_beyond_its_rear_even_against_the_wall():
    """Rack 0 blows -x from cell (1, 1, 0) into (0, 1, 0), the hall's first column; rack 1
    from (0, 2, 1), where the wall leaves its port cell; rack 2 from (2, 0, 1) +x towards a
    solid (3, 0, 1), which leaves its port cell too."""
    import types

    from twin.cfd.foam_mesh import _heat_zones
    from twin.physics.grid import RACK_FRONT, RACK_REAR

    shape = (4, 3, 2)
    fluid = np.ones(shape, bool)
    fluid[3, 0, 1] = False
    cells = [(1, 1, 0), (0, 2, 1), (2, 0, 1), (3, 2, 0)]
    ports = types.SimpleNamespace(
        kind=np.array([RACK_REAR, RACK_REAR, RACK_REAR, RACK_FRONT]),
        cell=np.array([np.ravel_multi_index(c, shape) for c in cells]),
        axis=np.array([0, 0, 0, 0]),
        sign=np.array([-1, -1, 1, 1]),
        owner=np.array([0, 1, 2, 0]),
    )
    grid = types.SimpleNamespace(ports=ports, shape=shape, fluid=fluid)
    cid = np.arange(np.prod(shape)) + 100  # OpenFOAM's cell labels, offset to tell apart
    zones = _heat_zones(grid, cid)
    at = {c: int(np.ravel_multi_index(c, shape)) + 100 for c in [(0, 1, 0), (0, 2, 1), (2, 0, 1)]}
    assert {k: v.tolist() for k, v in zones.items()} == {
        "heat_0": [at[(0, 1, 0)]],
        "heat_1": [at[(0, 2, 1)]],
        "heat_2": [at[(2, 0, 1)]],
    }


def test_a_case_of_one_hall_has_its_own_ports_and_a_room_units_supply(tmp_path):
    """A fan wall blowing into the room (no raised floor to feed) brings its set point in
    through its patch; another hall's return grille is no port of this hall's case."""
    from twin.cfd.foam_case import port_patches

    text = (ROOMS / "open-aisle-85.yaml").read_text()
    text = text.replace("    floor: raised\n    plenum_m: 0.6\n", "    floor: slab\n", 1)
    text = text.replace(
        "halls:\n",
        "halls:\n  - id: OTHER\n    origin_m: [20.0, 0.0]\n    size_m: [6.0, 6.0, 3.0]\n",
        1,
    )
    text = text.replace(
        "  returns:\n",
        "  air_units:\n    - {id: FW-1, hall: ROOM, type: fanwall-300kw, position_m: [6.4, 3.0],"
        " rotation_deg: 90, supply_c: 19.5, discharge: front}\n"
        "  returns:\n    - {id: GRILLE-X, hall: OTHER, rect_m: [1.0, 1.0, 2.0, 2.0], kind: ceiling}\n",
        1,
    )
    (tmp_path / "two.yaml").write_text(text)
    fac = load_layout(tmp_path / "two.yaml")
    hall = fac.hall_ids.index("ROOM")
    grid = build_grid(fac, hall, 0.4)
    ports = port_patches(fac, hall, grid, mesh_from_grid(grid))
    outs = [(p.owner_id, p.temp_c) for p in ports if p.kind == "unit_out"]
    assert outs == [("FW-1", 19.5)]
    assert sorted(p.owner_id for p in ports if p.kind == "grille") == ["GRILLE-A", "GRILLE-B"]
