"""The layering contracts of pyproject.toml hold (import-linter), so Qt and VTK stay out of the core."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("import-linter is not installed (it is a test dependency)")
    res = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_core_imports_without_qt_or_vtk():
    code = (
        "import sys\n"
        "import twin.model.loader, twin.model.facility, twin.model.frame\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'vtk', 'vtkmodules', 'pyvista')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
