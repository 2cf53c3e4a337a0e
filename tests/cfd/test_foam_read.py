"""``twin.cfd.foam_read`` on files built byte by byte: binary fields and label lists of every
word size and byte order OpenFOAM's ``arch`` names, lists cut at their last byte, headers
that are not there, and each refusal's words. (``test_foam_formats.py`` reads what OpenFOAM
itself wrote.)"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from twin.cfd import foam_read
from twin.cfd.foam_read import FoamReadError

VALUES = np.array([290.25, -1.5, 1e-3, 3.0e5, 125.0])


def _head(cls: str, arch: str | None, fmt: str = "binary") -> bytes:
    arch_line = f'    arch        "{arch}";\n' if arch is not None else ""
    return (
        "/*--------------------------------*- C++ -*----------------------------------*\\\n"
        f"FoamFile\n{{\n    version     2.0;\n    format      {fmt};\n    class       {cls};\n"
        f"{arch_line}    object      x;\n}}\n// * * * * * * * //\n\n"
    ).encode("latin-1")


def _field(path: Path, values, dtype: str, arch: str | None, vector: bool = False, end=b")"):
    kind = "vector" if vector else "scalar"
    n = len(values)
    body = np.asarray(values, dtype).tobytes()
    path.write_bytes(
        _head("volVectorField" if vector else "volScalarField", arch)
        + f"dimensions [0 0 0 1 0 0 0];\n\ninternalField   nonuniform List<{kind}> \n{n}\n(".encode()
        + body
        + end
        + b"\n;\n\nboundaryField\n{\n    walls { type zeroGradient; }\n}\n"
    )
    return path


def _labels(path: Path, labels, dtype: str, arch: str | None, end=b")"):
    path.write_bytes(
        _head("labelList", arch)
        + f"{len(labels)}\n(".encode()
        + np.asarray(labels, dtype).tobytes()
        + end
        + b"\n\n\n// ************************************************************************* //\n"
    )
    return path


@pytest.mark.parametrize(
    ("arch", "dtype"),
    [
        ("LSB;label=32;scalar=64", "<f8"),
        ("LSB;label=64;scalar=32", "<f4"),
        ("MSB;label=32;scalar=64", ">f8"),
        ("MSB;label=64;scalar=32", ">f4"),
        (None, "<f8"),  # no arch: OpenFOAM's default
    ],
)
def test_a_binary_field_is_read_in_its_arch(tmp_path, arch, dtype):
    f = _field(tmp_path / "T", VALUES, dtype, arch)
    want = VALUES.astype(dtype).astype(float)
    assert foam_read.read_internal_field(f).tolist() == want.tolist()
    vec = np.arange(12.0).reshape(4, 3) * 0.5 - 1.0
    u = _field(tmp_path / "U", vec, dtype, arch, vector=True)
    assert foam_read.read_internal_field(u).tolist() == vec.tolist()


@pytest.mark.parametrize(
    ("arch", "dtype"),
    [
        ("LSB;label=32;scalar=64", "<i4"),
        ("LSB;label=64;scalar=64", "<i8"),
        ("MSB;label=32;scalar=64", ">i4"),
        ("MSB;label=64;scalar=32", ">i8"),
        (None, "<i4"),
    ],
)
def test_a_binary_label_list_is_read_in_its_arch(tmp_path, arch, dtype):
    labels = [4, 0, 125, 3, 70_000, 2]  # 125 is the byte '}'
    f = _labels(tmp_path / "cellProcAddressing", labels, dtype, arch)
    got = foam_read.read_label_list(f)
    assert got.tolist() == labels and got.dtype == np.int64


def test_an_arch_that_leaves_a_size_out_takes_openfoams_default_for_it(tmp_path):
    f = _field(tmp_path / "T", VALUES, ">f8", "MSB;label=64")  # scalars 64-bit
    assert foam_read.read_internal_field(f).tolist() == VALUES.tolist()
    a = _labels(tmp_path / "a", [7, 125, 3], ">i4", "MSB;scalar=32")  # labels 32-bit
    assert foam_read.read_label_list(a).tolist() == [7, 125, 3]


def test_an_arch_with_a_byte_that_is_not_ascii_is_still_read(tmp_path):
    f = _field(tmp_path / "T", VALUES, "<f8", "LSB;label=32;scalar=64;\xe9")
    assert foam_read.read_internal_field(f).tolist() == VALUES.tolist()


def test_an_unknown_word_size_is_refused_naming_it(tmp_path):
    f = _field(tmp_path / "T", VALUES, "<f8", "LSB;label=32;scalar=128")
    with pytest.raises(FoamReadError) as e:
        foam_read.read_internal_field(f)
    assert str(e.value) == f"{f}: binary with an unknown word size (LSB;label=32;scalar=128)"
    a = _labels(tmp_path / "a", [1, 2], "<i4", "LSB;label=16;scalar=64")
    with pytest.raises(FoamReadError) as e:
        foam_read.read_label_list(a)
    assert str(e.value) == f"{a}: binary with an unknown word size (LSB;label=16;scalar=64)"


def test_a_binary_list_must_end_at_its_last_byte(tmp_path):
    """Exactly the values and ')' to the end of the file is whole; a list a byte short, or
    whose closing byte is not ')', is damaged."""
    whole = tmp_path / "T"
    whole.write_bytes(_field(whole, VALUES, "<f8", None).read_bytes().split(b")\n;")[0] + b")")
    assert foam_read.read_internal_field(whole).tolist() == VALUES.tolist()
    short = _field(tmp_path / "short", VALUES, "<f8", None)
    short.write_bytes(whole.read_bytes()[:-2])  # the last value's last byte gone, then ')'
    wrong = _field(tmp_path / "wrong", VALUES, "<f8", None, end=b"]")
    for f in (short, wrong):
        with pytest.raises(FoamReadError) as e:
            foam_read.read_internal_field(f)
        assert str(e.value) == f"{f}: its binary list of 5 values is cut short or damaged"
    labels = _labels(tmp_path / "l", [1, 2, 3], "<i4", None)
    end = labels.read_bytes().index(b")\n\n\n//") + 1
    labels.write_bytes(labels.read_bytes()[:end])
    assert foam_read.read_label_list(labels).tolist() == [1, 2, 3]
    bad = _labels(tmp_path / "bad", [1, 2, 3], "<i4", None, end=b"]")
    with pytest.raises(FoamReadError) as e:
        foam_read.read_label_list(bad)
    assert str(e.value) == f"{bad}: its binary list of 3 labels is cut short or damaged"


def _ascii(path: Path, cls: str, body: str) -> Path:
    path.write_bytes(_head(cls, None, fmt="ascii") + body.encode())
    return path


def test_ascii_fields_and_their_refusals(tmp_path):
    s = _ascii(
        tmp_path / "T",
        "volScalarField",
        "internalField nonuniform List<scalar> 3(1.5 2.5 3.5);\n"
        "boundaryField { inlet { type fixedValue; value nonuniform List<scalar> 2(7 8); } }\n",
    )
    assert foam_read.read_internal_field(s).tolist() == [1.5, 2.5, 3.5]
    u = _ascii(tmp_path / "u", "volScalarField", "internalField uniform 21.5;\n")
    assert foam_read.read_internal_field(u, 3).tolist() == [21.5] * 3
    refusals = {
        "internalField uniform 21.5;\n": "a uniform field needs the cell count",
        "internalField uniform\n": "its uniform internalField has no value",
        "internalField uniform warm;\n": (
            "its uniform internalField does not parse (could not convert string to float: 'warm')"
        ),
        "dimensions [0 0 0 1 0 0 0];\n": "no internalField",
        "internalField nonuniform List<tensor> 1((1 2 3 4 5 6 7 8 9));\n": (
            "internalField is not a List<scalar> or List<vector>"
        ),
        "internalField nonuniform List<scalar> 2(1.5 abc);\n": (
            "internalField does not parse (could not convert string to float: 'abc')"
        ),
        "internalField nonuniform List<scalar> 3(1.5 2.5);\n": (
            "internalField has 2 values, header says 3"
        ),
    }
    for i, (body, why) in enumerate(refusals.items()):
        f = _ascii(tmp_path / f"bad{i}", "volScalarField", body)
        with pytest.raises(FoamReadError) as e:
            foam_read.read_internal_field(f)
        assert str(e.value) == f"{f}: {why}"


def test_ascii_label_lists_and_their_refusals(tmp_path):
    compact = tmp_path / "c"
    compact.write_bytes(b"FoamFile { format ascii; class labelList; }3(4 5 6)\n")
    assert foam_read.read_label_list(compact).tolist() == [4, 5, 6]
    commented = _ascii(tmp_path / "k", "labelList", "3\n(\n4\n5\n6\n)\n// end (of list)\n")
    assert foam_read.read_label_list(commented).tolist() == [4, 5, 6]
    refusals = {
        b"3(4 5 6)\n": "not a labelList",  # no FoamFile header
        _head("labelList", None, "ascii") + b"3(4 x 6)\n": (
            "its labels do not parse (invalid literal for int() with base 10: 'x')"
        ),
        _head("labelList", None, "ascii") + b"3(4 5)\n": "it has 2 labels, its header says 3",
        _head("labelList", None, "ascii") + b"(4 5)\n": "not a labelList",
    }
    for i, (data, why) in enumerate(refusals.items()):
        f = tmp_path / f"bad{i}"
        f.write_bytes(data)
        with pytest.raises(FoamReadError) as e:
            foam_read.read_label_list(f)
        assert str(e.value) == f"{f}: {why}"


def test_a_file_that_cannot_be_opened_says_why(tmp_path):
    (tmp_path / "T").mkdir()
    with pytest.raises(FoamReadError) as e:
        foam_read.read_internal_field(tmp_path / "T")
    assert str(e.value) == f"{tmp_path / 'T'}: Is a directory"
    cut = tmp_path / "T.gz"
    cut.write_bytes(gzip.compress(b"internalField uniform 1;\n" * 50)[:30])
    with pytest.raises(FoamReadError) as e:
        foam_read.read_internal_field(cut, 2)
    assert str(e.value).startswith(f"{cut}: Compressed file ended before")


# ---------------------------------------------------------------- where the results are

DATA = Path(__file__).parent / "data" / "foam-decomposed"


@pytest.fixture
def case(tmp_path) -> Path:
    shutil.copytree(DATA, tmp_path / "case")
    return tmp_path / "case"


def test_the_default_field_is_t(case):
    assert foam_read.latest_time(case).files("T") == [case / "1" / "T.gz"]


def test_a_time_the_first_processor_has_not_reached_is_not_read(case):
    shutil.rmtree(case / "1")
    (case / "processor1" / "2").mkdir()
    shutil.copy(case / "processor1" / "1" / "T", case / "processor1" / "2" / "T")
    assert foam_read.latest_time(case, "T").time == 1.0
    shutil.rmtree(case / "processor1" / "2")
    (case / "processor0" / "2").mkdir()
    shutil.copy(case / "processor0" / "1" / "T", case / "processor0" / "2" / "T")
    assert foam_read.latest_time(case, "T").time == 1.0


def test_no_results_at_all_is_refused_saying_so(case):
    for d in ("1", "processor0", "processor1"):
        shutil.rmtree(case / d)
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, "T")
    assert str(e.value) == f"{case}: no time directory holds a field 'T'"


def test_collated_results_are_compared_by_time(case):
    """Collated results at the case's own newest time are not newer; at 0.5 with nothing
    else they are (a time after the initial one); a directory that only looks like one
    (``processors_old``) is not one."""
    (case / "processors2" / "1").mkdir(parents=True)
    (case / "processors2" / "1" / "T").write_text("x")
    (case / "processors_old" / "7").mkdir(parents=True)
    (case / "processors_old" / "7" / "T").write_text("x")
    assert foam_read.latest_time(case, "T").time == 1.0
    for d in ("1", "processor0", "processor1"):
        shutil.rmtree(case / d)
    shutil.rmtree(case / "processors2" / "1")
    (case / "processors2" / "0.5").mkdir()
    (case / "processors2" / "0.5" / "T").write_text("x")
    with pytest.raises(FoamReadError, match=r"newest results \(time 0.5\) are in processors2"):
        foam_read.latest_time(case, "T")


def test_a_decomposed_uniform_field_takes_each_processors_cell_count(case):
    shutil.rmtree(case / "1")
    for p in ("processor0", "processor1"):
        _ascii(case / p / "1" / "k", "volScalarField", "internalField uniform 0.25;\n")
    assert foam_read.latest_time(case, "k").read("k").tolist() == [0.25] * 12
    whole = foam_read.Results(1.0, (case / "0.5",))
    (case / "0.5").mkdir()
    _ascii(case / "0.5" / "k", "volScalarField", "internalField uniform 0.5;\n")
    assert whole.read("k", 3).tolist() == [0.5] * 3


def test_a_decomposition_that_does_not_cover_the_mesh_is_refused(case):
    shutil.rmtree(case / "1")
    poly = case / "processor1" / "constant" / "polyMesh"
    a = poly / "cellProcAddressing"
    labels = foam_read.read_label_list(a).tolist()
    _labels(a, [labels[0]] * len(labels), "<i4", None)  # one cell six times
    latest = foam_read.latest_time(case, "T")
    with pytest.raises(FoamReadError) as e:
        latest.read("T")
    assert str(e.value) == (
        f"{case}: its processors' cellProcAddressing do not cover the mesh's 12 cells once each"
    )
    a.unlink()
    with pytest.raises(FoamReadError) as e:
        latest.read("T")
    assert str(e.value) == f"{poly}: no cellProcAddressing to reassemble T from"


# ---------------------------------------------------------------- monitors and logs


def _monitor(case: Path, name: str, start: str, text: str, file: str = "surfaceFieldValue.dat"):
    d = case / "postProcessing" / name / start
    d.mkdir(parents=True, exist_ok=True)
    (d / file).write_text(text)
    return d / file


def test_a_monitor_merges_its_restarts_later_files_winning(tmp_path):
    import os

    assert foam_read.read_monitor(tmp_path, "m").shape == (0, 2)
    _monitor(tmp_path, "m", "0", "# Time  areaAverage(T)\n\n1 20.5\n2 21.0\n3 21.5\n")
    # a restart at 2 repeats 3; its second file (written later) repeats 4
    first = _monitor(tmp_path, "m", "2", "# restart\n3 22.0\n4 22.5\nnot numbers\n5\n")
    later = _monitor(tmp_path, "m", "2", "4 23.0\n#5 9\n6 x\n7 24.0\n", "surfaceFieldValue_0.dat")
    os.utime(first, (1000, 1000))
    os.utime(later, (2000, 2000))
    got = foam_read.read_monitor(tmp_path, "m")
    assert got.tolist() == [[1, 20.5], [2, 21.0], [3, 22.0], [4, 23.0], [7, 24.0]]
    os.utime(first, (3000, 3000))  # now the other file is the later
    assert foam_read.read_monitor(tmp_path, "m")[3].tolist() == [4, 22.5]
    _monitor(tmp_path, "empty", "0", "# header only\n")
    assert foam_read.read_monitor(tmp_path, "empty").shape == (0, 2)


def test_the_execution_time_at_an_iteration_and_the_last(tmp_path):
    log = tmp_path / "log"
    log.write_text(
        "Starting time loop\n\nTime = 1\n\nExecutionTime = 0.5 s  ClockTime = 1 s\n\nTime = 2\n\n"
        "ExecutionTime = 1.25 s  ClockTime = 2 s\n\nTime = 1\n\nExecutionTime = 9.5 s\n"
        "\nTime = 3\n\n"
    )
    assert foam_read.execution_time_s(log) == 9.5
    assert foam_read.execution_time_s(log, 2) == 1.25
    assert foam_read.execution_time_s(log, 1) == 9.5  # a restart's later report of it
    assert np.isnan(foam_read.execution_time_s(log, 3))  # reached, not reported yet
    assert np.isnan(foam_read.execution_time_s(log, 4))
    assert np.isnan(foam_read.execution_time_s(tmp_path / "none"))
    empty = tmp_path / "empty"
    empty.write_text("Time = 1\n")
    assert np.isnan(foam_read.execution_time_s(empty))
    first = tmp_path / "first"
    first.write_text("\nTime = 1\n\nExecutionTime = 0.75 s\n")
    assert foam_read.execution_time_s(first, 1) == 0.75


def test_a_run_decomposed_for_one_processor(case):
    """processor0 alone holds the results (a one-processor decomposition, here its six
    cells; its addressing names cells 0-5 of a mesh of six)."""
    shutil.rmtree(case / "1")
    shutil.rmtree(case / "processor1")
    a = case / "processor0" / "constant" / "polyMesh" / "cellProcAddressing"
    own = foam_read.read_label_list(a)
    vals = foam_read.read_internal_field(case / "processor0" / "1" / "T")
    latest = foam_read.latest_time(case, "T")
    with pytest.raises(FoamReadError) as e:
        latest.read("T")
    assert str(e.value) == (
        f"{case}: its processors' cellProcAddressing do not cover the mesh's 6 cells once each"
    )
    _labels(a, np.argsort(own), "<i4", None)  # renumbered 0-5 in the same order
    assert latest.read("T").tolist() == vals[np.argsort(np.argsort(own))].tolist()
    with pytest.raises(FoamReadError) as e:
        latest.read("T", 12)
    assert str(e.value) == f"{case}: its processor directories hold 6 cells of T, the mesh has 12"


def test_newer_results_left_out_are_said(case):
    assert foam_read.latest_time(case, "T").skipped == ""
    (case / "2").mkdir()
    (case / "2" / "U").write_text("x")  # its U written, its T not yet
    assert foam_read.latest_time(case, "T").skipped == (
        "its time 2 has no T (a run still writing it?): read at time 1"
    )
    assert foam_read.latest_time(case, None).skipped == ""  # it holds a field
    (case / "2" / "U").unlink()
    assert foam_read.latest_time(case, None).skipped == (
        "its time 2 has no field (a run still writing it?): read at time 1"
    )
    shutil.rmtree(case / "1")
    shutil.rmtree(case / "2")
    (case / "processor1" / "3").mkdir()
    (case / "processor1" / "3" / "T").write_text("x")
    latest = foam_read.latest_time(case, "T")
    assert (latest.time, latest.decomposed) == (1.0, True)
    assert latest.skipped == (
        "its time 3 is in 1 of its 2 processor directories (a run still writing it?): "
        "read at time 1"
    )


def test_the_newest_time_holding_any_of_several_fields(case):
    (case / "2").mkdir()
    (case / "2" / "TMean").write_text("x")
    (case / "3").mkdir()
    (case / "3" / "U").write_text("x")
    latest = foam_read.latest_time(case, ("T", "TMean"))
    assert latest.time == 2.0
    assert (
        latest.skipped == "its time 3 has no T or TMean (a run still writing it?): read at time 2"
    )
    assert foam_read.latest_time(case, ("T",)).time == 1.0


def test_any_field_in_the_refusals_words(case):
    for d in ("processor0", "processor1"):
        shutil.rmtree(case / d)
    (case / "1").rename(case / "0")
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, None)
    assert str(e.value) == (
        f"{case}: only its initial time 0 holds a field: the run has written no result yet"
    )
    shutil.rmtree(case / "0")
    with pytest.raises(FoamReadError) as e:
        foam_read.latest_time(case, None)
    assert str(e.value) == f"{case}: no time directory holds a field"
