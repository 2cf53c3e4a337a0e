"""Small parts: no function over 60 lines and no class over 400 lines in ``twin/`` and in the
first-party plugins' code (``plugins/*/src``; their tests are not held to it), except the ones
listed here, which are still to be split (issue #10). The list may only shrink: a new long
function, or a listed one that grew, fails; one split below the limit must leave the list."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
#: Where the rule holds: the application, and the source of every plugin shipped with it.
SOURCES = [ROOT / "twin", *sorted((ROOT / "plugins").glob("*/src"))]
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 400

#: "path:qualified name" -> lines it has now. Shrink it; never add to it.
STILL_TO_SPLIT: dict[str, int] = {}


def _sizes() -> dict[str, int]:
    out: dict[str, int] = {}
    for path in sorted(p for source in SOURCES for p in source.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def walk(node: ast.AST, prefix: str, rel: str = rel) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    name = f"{prefix}{child.name}"
                    lines = child.end_lineno - child.lineno + 1
                    limit = (
                        MAX_CLASS_LINES if isinstance(child, ast.ClassDef) else MAX_FUNCTION_LINES
                    )
                    if lines > limit:
                        out[f"{rel}:{name}"] = lines
                    walk(child, f"{name}.", rel)

        walk(tree, "")
    return out


def test_no_new_long_functions_or_classes():
    sizes = _sizes()
    new = {k: v for k, v in sizes.items() if k not in STILL_TO_SPLIT}
    grew = {k: (STILL_TO_SPLIT[k], v) for k, v in sizes.items() if v > STILL_TO_SPLIT.get(k, v)}
    assert not new, f"split these (over {MAX_FUNCTION_LINES}/{MAX_CLASS_LINES} lines): {new}"
    assert not grew, f"these grew (listed -> now): {grew}"


def test_the_list_only_names_what_is_still_long():
    sizes = _sizes()
    done = sorted(k for k in STILL_TO_SPLIT if k not in sizes)
    assert not done, f"split below the limit: remove from STILL_TO_SPLIT: {done}"


def test_the_rule_reaches_every_shipped_plugin():
    """A plugin moved or renamed must not drop out of the rule unnoticed."""
    plugins = sorted(
        p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file()
    )
    covered = sorted(s.parent.name for s in SOURCES[1:])
    missing = sorted(set(plugins) - set(covered))
    assert plugins and not missing, f"plugins whose code is not in a src/ the rule reads: {missing}"
