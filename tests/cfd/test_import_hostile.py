"""Foreign CFD files that crash VTK's C++ readers: read in a child process
(``twin.render.cfd_child``), they are refused with what happened, and neither ``twin cfd
compare`` nor the window (``tests/ui/test_cfd_compare.py``) goes down with the reader.

Before, a file claiming three billion points aborted the process (``std::bad_alloc``) and a
cell naming a point the file does not hold segfaulted it: ``twin cfd compare`` ended with
exit code 134 or 139 and no word, the window with its unsaved work."""

from __future__ import annotations

import multiprocessing
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from twin.cli import main

pv = pytest.importorskip("pyvista")
from twin.render import cfd_child  # noqa: E402
from twin.render.cfd_child import ReadCancelled, read_cfd_isolated  # noqa: E402
from twin.render.cfd_import import CfdImportError, read_cfd  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROOM = ROOT / "tests" / "validation" / "rooms" / "open-aisle-85.yaml"
#: What the appended file below claims: 3e9 points of 3 float32 each.
CLAIMED_VALUES = 9_000_000_000


def claims_too_many_points(path: Path) -> Path:
    """A .vtu whose raw appended block says it holds 3e9 points (36 GB): VTK allocates the
    count before it reads, and aborts on std::bad_alloc."""
    head = (
        '<?xml version="1.0"?>\n<VTKFile type="UnstructuredGrid" version="0.1" '
        'header_type="UInt64"><UnstructuredGrid><Piece NumberOfPoints="3000000000" '
        'NumberOfCells="1"><Points><DataArray type="Float32" NumberOfComponents="3" '
        'format="appended" offset="0"/></Points><Cells><DataArray type="Int64" '
        'Name="connectivity" format="ascii">0</DataArray><DataArray type="Int64" '
        'Name="offsets" format="ascii">1</DataArray><DataArray type="UInt8" Name="types" '
        'format="ascii">1</DataArray></Cells><PointData><DataArray type="Float32" Name="T" '
        'format="ascii">1</DataArray></PointData></Piece></UnstructuredGrid>'
        '<AppendedData encoding="raw">_'
    )
    tail = b"\0" * 64 + b"</AppendedData></VTKFile>\n"
    path.write_bytes(head.encode() + struct.pack("<Q", CLAIMED_VALUES * 4) + tail)
    return path


def names_a_point_it_lacks(path: Path) -> Path:
    """A legacy .vtk with two points and a hexahedron naming point 2,000,000,000: the
    cell centres are computed from memory far beyond the points, and VTK segfaults."""
    path.write_text(
        "# vtk DataFile Version 3.0\nhostile\nASCII\nDATASET UNSTRUCTURED_GRID\n"
        "POINTS 2 float\n0 0 0 1 1 1\nCELLS 1 9\n8 0 1 2000000000 5 6 7 8 9\n"
        "CELL_TYPES 1\n12\nCELL_DATA 1\nSCALARS T float 1\nLOOKUP_TABLE default\n300\n"
    )
    return path


def _ends_a_process(path: Path) -> int:
    """The return code of a fresh Python that reads ``path`` with ``read_cfd`` in itself."""
    code = f"from twin.render.cfd_import import read_cfd; read_cfd({str(path)!r})"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, cwd=ROOT)
    return run.returncode


@pytest.mark.parametrize(
    ("make", "name", "sig"),
    [
        (claims_too_many_points, "huge.vtu", signal.SIGABRT),
        (names_a_point_it_lacks, "oob.vtk", signal.SIGSEGV),
    ],
)
def test_the_files_end_a_process_that_reads_them_itself(tmp_path, make, name, sig):
    """The premise of the tests below: read in-process, each file kills the reader's
    process (if a VTK release stops crashing on one, this says so)."""
    assert _ends_a_process(make(tmp_path / name)) == -sig


def test_a_file_that_aborts_the_reader_is_refused_with_vtks_last_error(tmp_path):
    path = claims_too_many_points(tmp_path / "huge.vtu")
    with pytest.raises(CfdImportError) as e:
        read_cfd_isolated(path)
    assert str(e.value) == (
        f"{path}: cannot be read as VTK: VTK's reader crashed (signal SIGABRT); its last "
        f"error: Unable to allocate {CLAIMED_VALUES} elements of size 4 bytes. The file is "
        "damaged or not what it says it holds."
    )


def test_a_file_that_segfaults_the_reader_is_refused_naming_the_signal(tmp_path):
    path = names_a_point_it_lacks(tmp_path / "oob.vtk")
    with pytest.raises(CfdImportError) as e:
        read_cfd_isolated(path)
    assert str(e.value) == (
        f"{path}: cannot be read as VTK: VTK's reader crashed (signal SIGSEGV). The file is "
        "damaged or not what it says it holds."
    )


def test_a_readable_file_reads_as_it_does_in_this_process(tmp_path):
    """Points, temperature, velocity, the field's name and its siblings: the same arrays,
    bit for bit, as ``read_cfd`` here."""
    grid = pv.ImageData(dimensions=(7, 5, 4), spacing=(0.3, 0.3, 0.3))
    grid = grid.cast_to_unstructured_grid()
    rng = np.random.default_rng(3)
    grid.cell_data["T"] = rng.uniform(290, 310, grid.n_cells)
    grid.cell_data["TMean"] = rng.uniform(290, 310, grid.n_cells)
    grid.cell_data["U"] = rng.normal(size=(grid.n_cells, 3))
    path = tmp_path / "cfd.vtu"
    grid.save(str(path))
    here, there = read_cfd(path, "TMean"), read_cfd_isolated(path, "TMean")
    assert (there.name, there.others) == ("TMean", ("T",)) == (here.name, here.others)
    for k in cfd_child.ARRAYS:
        np.testing.assert_array_equal(getattr(there, k), getattr(here, k))
    assert there.velocity_ms.shape == (grid.n_cells, 3)


def test_a_refusal_in_the_child_comes_back_in_its_own_words(tmp_path):
    path = tmp_path / "broken.vtu"
    path.write_text("not vtk")
    with pytest.raises(CfdImportError) as there:
        read_cfd_isolated(path)
    with pytest.raises(CfdImportError) as here:
        read_cfd(path)
    assert str(there.value) == str(here.value)
    assert str(there.value).startswith(f"{path}: cannot be read as VTK (Error parsing XML")


def test_a_missing_file_and_a_table_are_read_without_a_child(tmp_path, monkeypatch):
    def no_child(*_a, **_k):
        raise AssertionError("a child was started")

    monkeypatch.setattr(cfd_child, "_read_in_child", no_child)
    with pytest.raises(CfdImportError, match="no such file or case"):
        read_cfd_isolated(tmp_path / "nothing.vtu")
    table = tmp_path / "points.csv"
    table.write_text("x,y,z,T\n0,0,0,20\n1,0,0,21\n0,1,0,22\n")
    assert read_cfd_isolated(table).temp.tolist() == [20.0, 21.0, 22.0]


def test_a_cancelled_read_kills_its_child_at_once(tmp_path):
    """The window cancels a comparison it no longer wants (a newer one, the window closing):
    the child goes with it, not when its file is read."""
    path = names_a_point_it_lacks(tmp_path / "oob.vtk")
    t0 = time.perf_counter()
    with pytest.raises(ReadCancelled):
        read_cfd_isolated(path, cancelled=lambda: time.perf_counter() - t0 > 0.05)
    # at the next look (every 0.2 s), not when the child next says something (it takes
    # about 0.6 s to start here)
    assert time.perf_counter() - t0 < 0.5
    assert multiprocessing.active_children() == []


def test_cfd_compare_says_why_and_exits_1(tmp_path, capsys):
    path = claims_too_many_points(tmp_path / "huge.vtu")
    assert main(["cfd", "compare", str(ROOM), str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"twin cfd compare: {path}: cannot be read as VTK: VTK's reader ")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_cfd_calibrate_says_why_and_leaves_the_layout_alone(tmp_path, capsys):
    layout = tmp_path / "room.yaml"
    layout.write_bytes(ROOM.read_bytes())
    path = names_a_point_it_lacks(tmp_path / "oob.vtk")
    assert main(["cfd", "calibrate", str(layout), str(path)]) == 1
    assert "crashed (signal SIGSEGV)" in capsys.readouterr().err
    assert layout.read_bytes() == ROOM.read_bytes()


def test_the_reasons_a_child_can_end(tmp_path):
    """Exit codes and signals in words, VTK's error line without its colour and prefix."""
    err = tmp_path / "stderr.txt"
    err.write_text(
        "\x1b[0m\x1b[31m2026-12-06 15:05:30.177 (   0.204s) [    7FA70C25CB80]"
        "vtkGenericDataArray.txx:457    ERR| vtkTypeFloat32Array (0x55cf4be06780): Unable "
        "to allocate 12 elements of size 4 bytes. \x1b[0m\nterminate called after throwing\n"
    )
    f = Path("f.vtu")
    assert cfd_child._died(f, 3, err) == (
        "f.vtu: cannot be read as VTK: VTK's reader ended its process (exit code 3); its "
        "last error: Unable to allocate 12 elements of size 4 bytes. The file is damaged or "
        "not what it says it holds."
    )
    assert "crashed (signal SIGKILL)." in cfd_child._died(f, -9, tmp_path / "none.txt")
    assert "crashed (signal 99)" in cfd_child._died(f, -99, tmp_path / "none.txt")


# ------------------------------------------------------- the child's side, run in this process


@pytest.fixture
def stderr_kept():
    """The child's function points fd 2 at a file; put this process's back afterwards."""
    saved = os.dup(2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _run_child(path, field, folder: Path) -> dict:
    """What the child's function replies, after its word that it began."""
    receive, send = multiprocessing.Pipe(duplex=False)
    cfd_child._child(send, str(path), field, str(folder))
    try:
        assert receive.recv() == cfd_child.BEGAN
        return receive.recv()
    finally:
        receive.close()


def test_the_child_saves_each_array_and_replies_with_the_names(tmp_path, stderr_kept):
    grid = pv.ImageData(dimensions=(4, 3, 3), spacing=(0.3, 0.3, 0.3))
    grid = grid.cast_to_unstructured_grid()
    grid.cell_data["T"] = np.arange(grid.n_cells, dtype=float) + 290.0
    grid.cell_data["TMean"] = np.arange(grid.n_cells, dtype=float) + 280.0
    path = tmp_path / "cfd.vtu"
    grid.save(str(path))
    out = tmp_path / "out"
    out.mkdir()
    assert _run_child(path, "TMean", out) == {"name": "TMean", "others": ["T"]}
    np.testing.assert_array_equal(np.load(out / "temp.npy"), read_cfd(path, "TMean").temp)
    assert _run_child(path, None, out) == {"name": "T", "others": ["TMean"]}
    here = read_cfd(path)
    np.testing.assert_array_equal(np.load(out / "temp.npy"), here.temp)
    np.testing.assert_array_equal(np.load(out / "points_m.npy"), here.points_m)
    # no velocity in the file: no file for it, and it reads back as none
    assert sorted(p.name for p in out.glob("*.npy")) == ["points_m.npy", "temp.npy"]
    assert read_cfd_isolated(path).velocity_ms is None


def test_the_child_replies_a_refusal_and_any_other_failure_in_words(
    tmp_path, stderr_kept, monkeypatch
):
    out = tmp_path / "out"
    out.mkdir()
    bad = tmp_path / "broken.vtu"
    bad.write_text("not vtk")
    with pytest.raises(CfdImportError) as here:
        read_cfd(bad)
    assert _run_child(bad, None, out) == {"error": str(here.value)}

    def boom(path, field):
        os.write(2, b"a line of the reader's own\n")
        raise RuntimeError("boom")

    monkeypatch.setattr(cfd_child, "read_cfd", boom)
    assert _run_child(bad, None, out) == {
        "error": f"{bad}: cannot be read as CFD (RuntimeError: boom)"
    }
    assert (out / "stderr.txt").read_text() == "a line of the reader's own\n"


def test_a_table_is_read_with_the_field_asked_for(tmp_path):
    table = tmp_path / "points.csv"
    table.write_text("x,y,z,T,T2\n0,0,0,20,30\n1,0,0,21,31\n0,1,0,22,32\n")
    got = read_cfd_isolated(table, "T2")
    assert got.name == "T2" and got.temp.tolist() == [30.0, 31.0, 32.0]


def test_a_cancelled_read_says_so(tmp_path):
    path = names_a_point_it_lacks(tmp_path / "oob.vtk")
    with pytest.raises(ReadCancelled) as e:
        read_cfd_isolated(path, cancelled=lambda: True)
    assert str(e.value) == "the CFD file's read was cancelled"


def test_vtks_last_error_line_is_read_whatever_else_the_child_wrote(tmp_path):
    err = tmp_path / "stderr.txt"
    long = "Unable to read " + "x" * 400 + "."
    err.write_bytes(
        b"\xff\xfe not UTF-8\n"
        + b"... ERR| vtkXMLReader (0x1f): first error\n"
        + f"... ERR| vtkXMLReader (0x2f): {long}\n".encode()
    )
    assert cfd_child._last_vtk_error(err) == long[:300]
    err.write_text("... ERR| vtkXMLReader (0x1f): Cannot read cell X.\n")
    assert cfd_child._last_vtk_error(err) == "Cannot read cell X"
    assert "exit code 0)" in cfd_child._died(Path("f.vtu"), 0, tmp_path / "none.txt")


def test_a_child_that_ends_before_it_begins_is_not_blamed_on_the_file(tmp_path, monkeypatch):
    """A child process that never ran Twin's code (here /bin/true in place of Python; a
    broken installation, a script without a main guard) is no verdict on the file."""
    import multiprocessing.spawn

    grid = pv.ImageData(dimensions=(3, 3, 3)).cast_to_unstructured_grid()
    grid.cell_data["T"] = np.full(grid.n_cells, 300.0)
    path = tmp_path / "fine.vtu"
    grid.save(str(path))
    monkeypatch.setattr(multiprocessing.spawn, "_python_exe", b"/bin/true")
    with pytest.raises(CfdImportError) as e:
        read_cfd_isolated(path)
    assert str(e.value) == (
        f"{path}: not read: the process Twin reads CFD files in ended before it began (exit code 0)"
    )
