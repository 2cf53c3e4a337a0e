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


@pytest.fixture(scope="module", params=["cold-containment-leaky", "wall-crah-perimeter"])
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
