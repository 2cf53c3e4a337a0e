"""``make mutate`` retests every mutant once a test file of the module changed: mutmut only
retests mutants of changed code, so a survivor that a new test kills stayed a survivor."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutate_tool", ROOT / "tools" / "mutate.py")
mutate = importlib.util.module_from_spec(spec)
sys.modules["mutate_tool"] = mutate  # its dataclasses look their module up there
spec.loader.exec_module(mutate)


def _touch(path: Path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    os.utime(path, (mtime, mtime))


def test_a_test_file_newer_than_the_verdicts_marks_them_stale(tmp_path):
    work, root = tmp_path / "work", tmp_path / "repo"
    _touch(work / "mutants" / "twin" / "a.py.meta", 1000.0)
    _touch(work / "mutants" / "twin" / "b.py.meta", 2000.0)
    _touch(root / "tests" / "test_a.py", 900.0)
    _touch(root / "tests" / "pkg" / "test_b.py", 950.0)
    tests = ["tests/test_a.py", "tests/pkg"]
    assert not mutate.tests_changed(work, tests, root)
    # newer than the oldest verdict: that verdict may be a survivor the new test kills
    _touch(root / "tests" / "pkg" / "test_b.py", 1500.0)
    assert mutate.tests_changed(work, tests, root)


def test_no_verdicts_yet_is_not_stale(tmp_path):
    _touch(tmp_path / "repo" / "tests" / "test_a.py", 5000.0)
    assert not mutate.tests_changed(tmp_path / "work", ["tests/test_a.py"], tmp_path / "repo")


def test_a_module_changed_since_its_run_is_retested_whole(tmp_path):
    """mutmut keeps its first run's record of which tests reach which function: a function
    split out of another since then was counted as reached by none (80 mutants of
    cfd/source.py), so a changed module starts afresh too."""
    work, root = tmp_path / "work", tmp_path / "repo"
    _touch(work / "mutants" / "twin" / "m.py.meta", 1000.0)
    _touch(root / "twin" / "m.py", 900.0)
    _touch(root / "tests" / "test_m.py", 900.0)
    assert not mutate.retest_all(work, "twin/m.py", ["tests/test_m.py"], root)
    _touch(root / "twin" / "m.py", 1100.0)
    assert mutate.retest_all(work, "twin/m.py", ["tests/test_m.py"], root)
    _touch(root / "twin" / "m.py", 900.0)
    _touch(root / "tests" / "test_m.py", 1100.0)
    assert mutate.retest_all(work, "twin/m.py", ["tests/test_m.py"], root)
