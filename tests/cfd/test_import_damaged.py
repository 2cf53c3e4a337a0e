"""Foreign CFD files read through VTK (``twin.render.cfd_import``), whole and cut short: a
run's field file half written, or a VTU copy that stopped, is refused with VTK's reason and
the file, not read as another field (TMean for T) or as an empty mesh "with no temperature
field"."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.cfd.foam_case import write_case
from twin.cfd.foam_mesh import foam_header
from twin.model.loader import load_layout

pv = pytest.importorskip("pyvista")
from twin.render.cfd_import import CfdImportError, read_cfd  # noqa: E402

ROOM = Path(__file__).resolve().parents[1] / "validation" / "rooms" / "open-aisle-85.yaml"


def _scalar(path: Path, name: str, values: np.ndarray) -> None:
    path.write_text(
        foam_header("volScalarField", name, path.parent.name)
        + "dimensions [0 0 0 1 0 0 0];\n"
        + f"internalField nonuniform List<scalar> {len(values)}(\n"
        + "\n".join(f"{x:.9g}" for x in values)
        + '\n);\nboundaryField\n{\n    ".*" { type zeroGradient; }\n}\n'
    )


@pytest.fixture
def case(tmp_path) -> tuple[Path, np.ndarray]:
    """A case ``twin.cfd.foam_case`` wrote (0.3 m mesh), with a time 100 holding T and TMean
    as a foreign run leaves them (no ``twin_case.json``, so VTK reads it)."""
    fac = load_layout(ROOM)
    path = tmp_path / "case"
    write_case(fac, path, cell_m=0.3, max_iter=10)
    (path / "twin_case.json").unlink()
    n = len(np.load(path / "twin_cells.npy"))
    t = 300.0 + np.arange(n) % 17  # kelvin, a pattern with no two neighbours alike
    (path / "100").mkdir()
    _scalar(path / "100" / "T", "T", t)
    _scalar(path / "100" / "TMean", "TMean", t - 5.0)
    return path, t


def test_a_case_is_read_at_its_latest_time(case):
    path, t = case
    got = read_cfd(path)
    assert got.name == "T"
    np.testing.assert_allclose(np.sort(got.temp), np.sort(t))
    assert got.points_m.shape == (len(t), 3)


def test_a_field_file_cut_short_is_refused_not_swapped_for_another(case):
    path, _ = case
    f = path / "100" / "T"
    text = f.read_text()
    f.write_text(text[: len(text) // 2])
    with pytest.raises(CfdImportError) as e:
        read_cfd(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: the case cannot be read")
    assert str(f) in msg  # VTK's reason names the file (and the line it stopped at)


def test_a_vtk_file_cut_short_is_refused_with_vtks_reason(tmp_path):
    grid = pv.ImageData(
        dimensions=(30, 20, 10), spacing=(0.2, 0.2, 0.2)
    ).cast_to_unstructured_grid()
    grid.cell_data["T"] = np.linspace(18.0, 35.0, grid.n_cells)
    whole = tmp_path / "cfd.vtu"
    grid.save(str(whole), binary=False)
    assert read_cfd(whole).temp.size == grid.n_cells
    data = whole.read_bytes()
    cut = tmp_path / "cut.vtu"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(CfdImportError) as e:
        read_cfd(cut)
    msg = str(e.value)
    assert msg.startswith(f"{cut}: cannot be read as VTK (")
    assert "no temperature field" not in msg and "XML" in msg


def test_a_case_names_its_other_temperature_fields_and_reads_the_one_asked_for(case):
    """A case that keeps a running mean (TMean) beside T: T is read by default and TMean is
    named as the alternative; asked for, TMean is read and T named."""
    path, t = case
    got = read_cfd(path)
    assert (got.name, got.others) == ("T", ("TMean",))
    mean = read_cfd(path, "TMean")
    assert (mean.name, mean.others) == ("TMean", ("T",))
    np.testing.assert_allclose(np.sort(mean.temp), np.sort(t - 5.0))


def test_a_foreign_case_loads_as_openfoam_read_through_vtk(case):
    """No ``twin_case.json``: the case is read through VTK at its cell centres (kelvin to
    Celsius), not taken for a Twin-written one."""
    from twin.cfd.source import load_field
    from twin.physics.grid import build_grid

    path, t = case
    fac = load_layout(ROOM)
    grid = build_grid(fac, 0, 0.3)
    got = load_field(path, fac, grid, read_cfd)
    assert (got.kind, got.field_name, got.other_fields) == ("openfoam", "T", ("TMean",))
    cells = np.load(path / "twin_cells.npy")
    np.testing.assert_allclose(got.air_c.ravel()[cells], t - 273.15, atol=1e-9)


def test_a_twin_case_whose_temperature_holds_vectors_is_refused_naming_it(tmp_path):
    """A Twin-written case whose T file holds a vector per cell ended in numpy's 'operands
    could not be broadcast together with shapes (40,30,12,3) (40,30,12)'."""
    from twin.cfd.foam_read import FoamReadError
    from twin.cfd.source import load_field
    from twin.physics.grid import build_grid

    fac = load_layout(ROOM)
    path = tmp_path / "case"
    write_case(fac, path, cell_m=0.3, max_iter=10)
    n = len(np.load(path / "twin_cells.npy"))
    (path / "100").mkdir()
    (path / "100" / "T").write_text(
        foam_header("volVectorField", "T", "100")
        + "dimensions [0 0 0 1 0 0 0];\n"
        + f"internalField nonuniform List<vector> {n}(\n"
        + "\n".join("(300 301 302)" for _ in range(n))
        + '\n);\nboundaryField\n{\n    ".*" { type zeroGradient; }\n}\n'
    )
    grid = build_grid(fac, 0, 0.3)
    with pytest.raises(FoamReadError) as e:
        load_field(path, fac, grid, read_cfd)
    assert str(e.value) == f"{path}: its T is not a scalar field (values of shape (3,) per cell)"


def test_a_twin_recording_is_refused_before_the_solve_saying_what_takes_one(
    tmp_path, capsys, monkeypatch
):
    """`twin cfd compare LAYOUT run.h5` read the recording as a VTK file and answered "not a
    CFF Fluent file", after the layout's solve. A recording is refused first, pointing to
    calibrate; another HDF5 file (a Fluent CFF case is one) still goes to the reader."""
    import h5py

    from twin.cli import main
    from twin.physics import model

    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the refusal")

    monkeypatch.setattr(model.ThermalModel, "solve", no_solve)
    rec = tmp_path / "run.h5"
    with h5py.File(rec, "w") as f:
        f.attrs["format"] = "twin-recording/1"
    assert main(["cfd", "compare", str(ROOM), str(rec)]) == 1
    assert capsys.readouterr().err == (
        f"twin cfd compare: {rec} is a Twin recording, not a CFD field (compare reads an "
        "OpenFOAM case, a VTK or EnSight file, a table of points or a stored reference); to "
        f"fit the model to a recording's sensors: twin cfd calibrate LAYOUT {rec}\n"
    )
    other = tmp_path / "case.cas.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = b"fluent"
    with pytest.raises(AssertionError, match="solved before the refusal"):
        main(["cfd", "compare", str(ROOM), str(other)])
