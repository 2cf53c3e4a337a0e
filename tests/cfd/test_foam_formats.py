"""OpenFOAM results as runs leave them, not only as Twin writes them: compressed
(``writeCompression on``), binary (``writeFormat binary``), decomposed and never
reconstructed (``processorN`` directories, how any run on several cores leaves its results),
or not run at all. Before, a Twin case in any of the first three was read at its initial
time 0 without a word (its seeded field compared as if it were the answer), a binary one
stopped on a bare UnicodeDecodeError, and a foreign decomposed or unrun case was compared at
time 0 too.

``data/foam-decomposed`` is a real OpenFOAM case of 3 x 2 x 2 cells (``blockMesh``, fields
written at time 1, then ``foamFormatConvert`` and ``decomposePar`` on two processors):
its time 1 is gzip-compressed ASCII, each processor's binary, ``arch
"LSB;label=32;scalar=64"``. Cell ``i + 3 j + 6 k`` holds the T and U below."""

from __future__ import annotations

import gzip
import shutil
import types
from pathlib import Path

import numpy as np
import pytest

from tests.cfd.cases import read_back, write_case
from twin.cfd import foam_read
from twin.cfd.foam_mesh import foam_header
from twin.cfd.foam_read import FoamReadError
from twin.cfd.source import load_field
from twin.model.loader import load_layout
from twin.physics.grid import RACK_FRONT, build_grid

DATA = Path(__file__).parent / "data" / "foam-decomposed"
N = 12
T_K = np.array([290.0 + 0.5 * i + (i % 3) * 0.125 for i in range(N)])
U_MS = np.array([(0.25 * i, -0.5 * i, 1.0 + i) for i in range(N)])


@pytest.fixture
def case(tmp_path) -> Path:
    shutil.copytree(DATA, tmp_path / "case")
    return tmp_path / "case"


def test_compressed_fields_are_read(case):
    latest = foam_read.latest_time(case, "T")
    assert (latest.time, latest.decomposed) == (1.0, False)
    assert latest.files("T") == [case / "1" / "T.gz"]
    assert latest.read("T").tolist() == T_K.tolist()
    assert latest.read("U").tolist() == U_MS.tolist()


def test_a_decomposed_run_is_reassembled_in_the_meshs_cell_order(case):
    shutil.rmtree(case / "1")
    latest = foam_read.latest_time(case, "T")
    assert latest.decomposed
    assert latest.dirs == (case / "processor0" / "1", case / "processor1" / "1")
    assert latest.read("T", N).tolist() == T_K.tolist()
    assert latest.read("U").tolist() == U_MS.tolist()
    with pytest.raises(FoamReadError, match="hold 12 cells of T, the mesh has 13"):
        latest.read("T", 13)


def test_each_processors_binary_field_holds_its_own_cells(case):
    """Each processor's binary T read alone, against the cells its binary
    cellProcAddressing names: together every cell once."""
    seen = []
    for p in ("processor0", "processor1"):
        addr = foam_read.read_label_list(case / p / "constant" / "polyMesh" / "cellProcAddressing")
        vals = foam_read.read_internal_field(case / p / "1" / "T")
        assert vals.tolist() == T_K[addr].tolist()
        assert foam_read.read_internal_field(case / p / "1" / "U").tolist() == U_MS[addr].tolist()
        seen += addr.tolist()
    assert sorted(seen) == list(range(N))
    assert 0 < len(addr) < N


def test_the_newest_results_are_read_wherever_they_are(case):
    (case / "1").rename(case / "0.5")  # an older reconstructed time beside the processors' 1
    assert foam_read.latest_time(case, "T").decomposed
    shutil.rmtree(case / "processor1" / "1")  # a time only one processor reached
    latest = foam_read.latest_time(case, "T")
    assert (latest.time, latest.decomposed) == (0.5, False)


def test_a_case_with_only_its_initial_time_is_refused(case):
    for p in ("processor0", "processor1"):
        shutil.rmtree(case / p)
    (case / "1").rename(case / "0")
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, "T")
    assert str(e.value) == (
        f"{case}: only its initial time 0 holds a field 'T': the run has written no result yet"
    )


def test_results_in_the_collated_format_are_refused_naming_it(case):
    """``decomposePar -fileHandler collated`` writes every processor's fields into one file
    under ``processors2/`` (VTK cannot read it either): said, not read past."""
    for p in ("processor0", "processor1"):
        shutil.rmtree(case / p)
    (case / "processors2" / "0.5").mkdir(parents=True)
    (case / "processors2" / "0.5" / "T").write_text("older")
    assert foam_read.latest_time(case, "T").time == 1.0  # older than the case's own: read
    (case / "processors2" / "2").mkdir()
    (case / "processors2" / "2" / "T").write_text("newer")
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, "T")
    assert str(e.value) == (
        f"{case}: its newest results (time 2) are in processors2, OpenFOAM's collated format, "
        "which Twin cannot read: run `reconstructPar` first"
    )
    shutil.rmtree(case / "1")
    with pytest.raises(FoamReadError, match="newest results .time 2. are in processors2"):
        foam_read.latest_time(case, None)


def test_a_binary_field_cut_short_is_refused_with_its_file(case):
    f = case / "processor0" / "1" / "T"
    data = f.read_bytes()
    f.write_bytes(data[: data.index(b"List<scalar>") + 40])  # into its values
    with pytest.raises(FoamReadError) as e:
        foam_read.read_internal_field(f)
    assert str(e.value) == f"{f}: its binary list of 6 values is cut short or damaged"
    a = case / "processor1" / "constant" / "polyMesh" / "cellProcAddressing"
    data = a.read_bytes()
    a.write_bytes(data[: data.index(b"(", data.index(b"}")) + 10])
    with pytest.raises(FoamReadError, match="binary list of 6 labels is cut short"):
        foam_read.read_label_list(a)


def test_a_damaged_gzip_file_is_refused_with_its_file(case):
    f = case / "1" / "T.gz"
    f.write_bytes(f.read_bytes()[:60])
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, "T").read("T")
    assert str(e.value).startswith(f"{f}: ")


def test_vtk_reads_a_decomposed_run(case):
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import read_cfd

    shutil.rmtree(case / "1")
    got = read_cfd(case)
    # each cell's value where its centre lies: cell i + 3 j + 6 k spans [i/3, (i+1)/3) x ...
    ijk = np.floor(got.points_m * [3, 2, 2]).astype(int)
    assert got.temp.tolist() == T_K[ijk @ [1, 3, 6]].tolist()
    assert got.velocity_ms.tolist() == U_MS[ijk @ [1, 3, 6]].tolist()


def test_vtk_refuses_a_case_that_has_not_run(case):
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import CfdImportError, read_cfd

    for p in ("processor0", "processor1"):
        shutil.rmtree(case / p)
    (case / "1").rename(case / "0")
    with pytest.raises(CfdImportError) as e:
        read_cfd(case)
    assert str(e.value) == (
        f"{case}: only its initial time 0 holds any of T, TMean, temperature, Temperature, T_c, "
        "air_c: the run has written no result yet"
    )


# ---------------------------------------------------------------- a Twin-written case


@pytest.fixture(scope="module")
def room():
    """The contained validation room at 0.3 m, a field with every air cell its own value
    and 30 C at the rack fronts."""
    fac = load_layout(Path(__file__).parents[1] / "validation/rooms/cold-containment-leaky.yaml")
    grid = build_grid(fac, 0, 0.3)
    air = np.where(grid.fluid.ravel(), 18.0 + np.arange(grid.n_cells) % 7, np.nan)
    air[grid.ports.cell[grid.ports.kind == RACK_FRONT]] = 30.0
    return fac, grid, air.reshape(grid.shape)


def _figures(case: Path, fac, grid) -> tuple:
    cfd = load_field(case, fac, grid)
    return cfd.air_c, cfd.figures(grid)


def _ascii(path: Path, cls: str, body: str) -> None:
    path.write_text(foam_header(cls, path.name, path.parent.name) + body)


def test_a_twin_case_reads_the_same_compressed_or_decomposed(room, tmp_path):
    fac, grid, air = room
    vel = np.zeros(grid.shape + (3,))
    vel[..., 2] = 0.5
    plain = write_case(tmp_path / "plain", types.SimpleNamespace(grid=grid), air, vel)
    air_c, (mean, mx, ret, read_m) = _figures(plain, fac, grid)
    assert mean == pytest.approx(np.full(fac.n_racks, 30.0), rel=1e-12)
    assert read_m == 0.3

    gz = shutil.copytree(plain, tmp_path / "gz")
    for name in ("T", "U"):
        f = gz / "500" / name
        (gz / "500" / f"{name}.gz").write_bytes(gzip.compress(f.read_bytes()))
        f.unlink()
    got_air, got = _figures(gz, fac, grid)
    np.testing.assert_array_equal(got_air, air_c)
    for a, b in zip(got, (mean, mx, ret, read_m), strict=True):
        np.testing.assert_array_equal(a, b)

    # two processors, each a shuffled half of the cells; no reconstructed time left
    dec = shutil.copytree(plain, tmp_path / "dec")
    t = foam_read.read_internal_field(dec / "500" / "T")
    u = foam_read.read_internal_field(dec / "500" / "U")
    order = np.random.default_rng(1).permutation(len(t))
    for p, addr in enumerate(np.array_split(order, 2)):
        poly = dec / f"processor{p}" / "constant" / "polyMesh"
        poly.mkdir(parents=True)
        (dec / f"processor{p}" / "500").mkdir()
        _ascii(
            poly / "cellProcAddressing",
            "labelList",
            f"{len(addr)}\n(\n" + "\n".join(map(str, addr)) + "\n)\n",
        )
        vals = "\n".join(f"{x:.9g}" for x in t[addr])
        _ascii(
            dec / f"processor{p}" / "500" / "T",
            "volScalarField",
            f"internalField nonuniform List<scalar> {len(addr)}(\n{vals}\n);\n",
        )
        vecs = "\n".join(f"({a:.9g} {b:.9g} {c:.9g})" for a, b, c in u[addr])
        _ascii(
            dec / f"processor{p}" / "500" / "U",
            "volVectorField",
            f"internalField nonuniform List<vector> {len(addr)}(\n{vecs}\n);\n",
        )
    shutil.rmtree(dec / "500")
    got_air, got = _figures(dec, fac, grid)
    np.testing.assert_array_equal(got_air, air_c)
    for a, b in zip(got, (mean, mx, ret, read_m), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_twin_case_that_has_not_run_is_refused(room, tmp_path):
    fac, grid, air = room
    case = write_case(
        tmp_path / "c", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )
    (case / "500").rename(case / "0")
    with pytest.raises(FoamReadError, match="only its initial time 0 holds a field 'T'"):
        load_field(case, fac, grid)


# ---------------------------------------------------------------- foamToVTK's multi-block file

VTM = Path(__file__).parent / "data" / "foamToVTK" / "v_0.vtm"


def test_vtk_reads_the_air_of_foam_to_vtks_multi_block_file():
    """``foamToVTK`` (of the case above, at time 1) writes the internal mesh beside each
    patch's faces: the air is the internal mesh's 12 cells, not the 32 wall faces too
    (whose values are the boundary condition's, and whose centres, half a cell from the
    cells', would halve the spacing the racks are read at). It stopped on an
    AttributeError before."""
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import read_cfd

    got = read_cfd(VTM)
    assert len(got.temp) == N
    ijk = np.floor(got.points_m * [3, 2, 2]).astype(int)
    assert got.temp.tolist() == T_K[ijk @ [1, 3, 6]].tolist()
    assert got.velocity_ms.tolist() == U_MS[ijk @ [1, 3, 6]].tolist()


def test_a_multi_block_point_cloud_keeps_every_block(tmp_path):
    """Blocks without volume cells (points, as a probe export writes them) are all air."""
    pv = pytest.importorskip("pyvista")
    from twin.render.cfd_import import read_cfd

    blocks = pv.MultiBlock()
    for z in (0.5, 1.5):
        pts = pv.PolyData(np.array([[1.0, 1.0, z], [2.0, 1.0, z]]))
        pts.point_data["T"] = np.array([20.0, 21.0]) + z
        blocks.append(pts)
    path = tmp_path / "probes.vtm"
    blocks.save(str(path))
    got = read_cfd(path)
    assert sorted(got.temp.tolist()) == [20.5, 21.5, 21.5, 22.5]


def test_a_multi_block_file_missing_its_internal_mesh_is_refused(tmp_path):
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import CfdImportError, read_cfd

    copy = shutil.copytree(VTM.parent, tmp_path / "vtk")
    (copy / "v_0" / "internal.vtu").unlink()  # its walls' faces left: not the air
    with pytest.raises(CfdImportError) as e:
        read_cfd(copy / "v_0.vtm")
    msg = str(e.value)
    assert msg.startswith(f"{copy / 'v_0.vtm'}: cannot be read as VTK (")
    assert "internal.vtu" in msg


def test_vtk_reads_an_ensight_gold_export():
    """EnSight Gold, as ``foamToEnsight`` (and Fluent, STAR-CCM+ and CFX) export it: the
    internal mesh and the wall patch are two parts of unstructured cells, the wall's 32
    faces not air."""
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import read_cfd

    got = read_cfd(Path(__file__).parent / "data" / "ensight" / "e.case")
    assert len(got.temp) == N
    ijk = np.floor(got.points_m * [3, 2, 2]).astype(int)
    assert got.temp.tolist() == T_K[ijk @ [1, 3, 6]].tolist()
    assert got.velocity_ms.tolist() == U_MS[ijk @ [1, 3, 6]].tolist()


def test_a_twin_case_is_read_at_the_newest_time_holding_t(room, tmp_path, capsys):
    """A newer time directory without T (a run stopped while writing it: its U written, its
    T not yet) does not hide the last whole one."""
    fac, grid, air = room
    case = write_case(
        tmp_path / "c", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )
    (case / "600").mkdir()
    u600 = (case / "500" / "U").read_text().replace("(0 0 0)", "(9 9 9)")
    (case / "600" / "U").write_text(u600)  # another velocity, at the time not read
    from twin.cfd.field import twin_case_fields

    assert twin_case_fields(case) == ("T",)
    cfd = load_field(case, fac, grid)
    kept = read_back(grid)
    np.testing.assert_array_equal(cfd.air_c[kept], air[kept])
    assert np.all(cfd.velocity_ms[grid.fluid] == 0.0)  # U of the time read, 500
    # and says so: in the report, its JSON and the window's summary
    note = "its time 600 has no T (a run still writing it?): read at time 500"
    assert cfd.note == note
    from twin.cfd.source import _source_figures
    from twin.commands.cfd import _print_source_notes

    assert _source_figures(cfd)["note"] == note
    _print_source_notes(_source_figures(cfd))
    assert f"{case}: {note}\n" in capsys.readouterr().out
    (case / "600" / "U").unlink()
    (case / "600").rmdir()
    assert load_field(case, fac, grid).note == ""
    assert "note" not in _source_figures(load_field(case, fac, grid))


def test_a_field_compared_is_said_missing_from_a_newer_time(room, tmp_path):
    """--field TMean of a case whose newest time has T but not yet its TMean."""
    fac, grid, air = room
    case = write_case(
        tmp_path / "c", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )
    shutil.copy(case / "500" / "T", case / "500" / "TMean")
    (case / "600").mkdir()
    shutil.copy(case / "500" / "T", case / "600" / "T")
    assert load_field(case, fac, grid).note == ""
    assert load_field(case, fac, grid, field="TMean").note == (
        "its time 600 has no TMean (a run still writing it?): read at time 500"
    )


def test_a_field_compared_is_read_at_the_newest_time_that_holds_it(room, tmp_path):
    """--field TMean of a case whose newest time holds TMean but not T (its T written at an
    earlier time only): the newest TMean is read, and no note says otherwise (it read the
    TMean of the newest time holding T, 500, and said nothing)."""
    fac, grid, air = room
    case = write_case(
        tmp_path / "c", types.SimpleNamespace(grid=grid), air, np.zeros(grid.shape + (3,))
    )
    shutil.copy(case / "500" / "T", case / "500" / "TMean")
    (case / "600").mkdir()
    mean = (case / "500" / "T").read_text()
    warmer = air + 1.0
    write_case(
        tmp_path / "w", types.SimpleNamespace(grid=grid), warmer, np.zeros(grid.shape + (3,))
    )
    (case / "600" / "TMean").write_text((tmp_path / "w" / "500" / "T").read_text())
    assert mean != (case / "600" / "TMean").read_text()
    cfd = load_field(case, fac, grid, field="TMean")
    kept = read_back(grid)
    np.testing.assert_allclose(cfd.air_c[kept], warmer[kept], atol=1e-9)
    assert cfd.note == ""
    # T itself is still read at the newest time holding it, and says what it left out
    assert load_field(case, fac, grid).note == (
        "its time 600 has no T (a run still writing it?): read at time 500"
    )


def test_vtk_reads_a_running_case_at_its_last_whole_time(case):
    """A foreign run whose newest time holds U but not yet T is read at the time before."""
    pytest.importorskip("pyvista")
    from twin.render.cfd_import import read_cfd

    (case / "2").mkdir()
    shutil.copy(case / "1" / "U.gz", case / "2" / "U.gz")
    got = read_cfd(case)
    ijk = np.floor(got.points_m * [3, 2, 2]).astype(int)
    assert got.name == "T" and got.temp.tolist() == T_K[ijk @ [1, 3, 6]].tolist()


def test_a_foreign_case_says_when_its_newest_time_lacks_the_field_compared(case, room):
    """A run that writes TMean beside T, stopped while writing time 2 (T there, no TMean):
    its TMean is the one at time 1, and the comparison says why."""
    from twin.cfd.source import CfdPoints

    fac, grid, air = room
    shutil.copy(case / "1" / "T.gz", case / "1" / "TMean.gz")
    (case / "2").mkdir()
    shutil.copy(case / "1" / "T.gz", case / "2" / "T.gz")
    pts = (np.argwhere(grid.fluid) + 0.5) * grid.cell_m + grid.origin_m
    asked = []

    def reader(path, name):  # the room's air, as VTK's reader would give the case's
        asked.append(name)
        return CfdPoints(pts, air[grid.fluid], name or "T")

    cfd = load_field(case, fac, grid, reader, field="TMean")
    assert asked == ["TMean"] and cfd.kind == "openfoam" and cfd.field_name == "TMean"
    assert cfd.note == "its time 2 has no TMean (a run still writing it?): read at time 1"
    assert load_field(case, fac, grid, reader).note == ""  # its T is at time 2
