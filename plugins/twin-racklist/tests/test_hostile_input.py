"""``twin import`` against hostile input: outputs it must not write over, errors that point at
the rack list's own row and column, one-line messages instead of tracebacks, and a written
layout that always loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.cli import main

CSV = "rack,row,position,servers,feeds\nA01,A,1,4x dgx-h100,P1/P2\nA02,A,2,4x dgx-h100,P1/P2\n"


def _write(folder: Path, text: str, name: str = "racks.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _twin(capsys, *argv: object) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


# ------------------------------------------------------------------------------ outputs
def test_import_never_writes_over_its_own_input(tmp_path, capsys):
    src = _write(tmp_path, CSV)
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / "." / "racks.csv", "--force")
    assert rc == 2
    assert err.startswith("twin import: ") and "is also an input" in err
    assert err.count("\n") == 1
    assert src.read_text(encoding="utf-8") == CSV


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("folder", "is a folder"),
        ("missing/out.yaml", "no folder"),
        ("run.h5", "HDF5"),
    ],
)
def test_import_refuses_an_output_it_cannot_or_must_not_write(tmp_path, capsys, target, says):
    src = _write(tmp_path, CSV)
    (tmp_path / "folder").mkdir()
    (tmp_path / "run.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    rc, _, err = _twin(capsys, "import", src, "-o", tmp_path / target, "--force")
    assert rc == 2 and err.startswith("twin import: ") and says in err, err
    assert (tmp_path / "run.h5").read_bytes().startswith(b"\x89HDF")
