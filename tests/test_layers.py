"""The layering contracts of pyproject.toml hold (import-linter), so Qt and VTK stay out of the core."""

from __future__ import annotations

import os
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


def test_contracts_catch_a_layer_skip_an_indirect_import_and_a_plugin_reaching_in(tmp_path):
    """The contracts fail on a copy of the tree where the model imports the session through a
    helper (an indirect upward import) and a plugin imports ``twin.model`` directly."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    shutil.copytree(ROOT / "twin", tmp_path / "twin", ignore=shutil.ignore_patterns("__pycache__"))
    paths = [str(tmp_path)]
    for src in sorted((ROOT / "plugins").glob("*/src")):
        shutil.copytree(src, tmp_path / "plugins" / src.parent.name / "src")
        paths.append(str(tmp_path / "plugins" / src.parent.name / "src"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "twin" / "model" / "_helper.py").write_text("import twin.physics._upward\n")
    (tmp_path / "twin" / "physics" / "_upward.py").write_text("import twin.session\n")
    nvml = tmp_path / "plugins" / "twin-nvml" / "src" / "twin_nvml" / "source.py"
    nvml.write_text(nvml.read_text() + "\nimport twin.model.facility\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    res = subprocess.run(
        [exe, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "twin.physics is not allowed to import twin.session" in out
    assert "twin.model is not allowed to import twin.physics" in out or "_helper" in out
    assert "twin_nvml is not allowed to import twin.model" in out


def test_built_in_sources_match_the_declared_entry_points():
    """``twin.plugins.BUILTIN`` (used when the package metadata is missing, e.g. a checkout
    never installed) is the same table as pyproject.toml's entry points: one list, checked."""
    import tomllib

    from twin import plugins

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    for group, table in plugins.BUILTIN.items():
        assert declared.get(group) == table, group
