"""``make mutate``: mutation score per core module, printed like ``twin bench``.

mutmut reads one ``[tool.mutmut]`` table from the ``pyproject.toml`` of the directory it runs
in, and runs the configured tests once before it tries any mutant. To keep each run to one
module and the test files that exercise it (a whole-suite run takes hours on a shared 2-core
machine), each module gets a scratch directory under ``build/mutate/`` holding links to the
checkout and a ``pyproject.toml`` whose ``[tool.mutmut]`` is the shared table plus that
module's ``only_mutate`` and test files from ``[tool.twin.mutate.modules]``. mutmut keeps its
results there, so a rerun retests only what changed.

The score is killed / (mutants − listed equivalents); mutants no test reaches count as
survivors. Equivalent mutants are listed in ``[tool.twin.mutate.equivalent]``, each with the
reason it cannot be told apart from the original.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Paths the tests read beside the package, linked into every scratch directory.
LINKED = ("twin", "tests", "layouts", "assets", "plugins", "README.md")
#: mutmut's exit codes per verdict (mutmut/stats.py, status_by_exit_code).
KILLED_CODES = {1, 3, -11, -9}  # a test failed, pytest errored, or the mutant crashed it
TIMEOUT_CODES = {36, 24, -24, 152, 255}  # the mutant made the tests run past their limit
NOT_REACHED_CODES = {5, 33}  # no test ran the mutated function: a survivor


@dataclass
class Score:
    module: str
    mutants: int
    killed: int
    survived: list[str]
    timeouts: int
    equivalent: int
    no_tests: int
    of_total: int = 0  # with --sample: how many mutants the module has in all

    @property
    def percent(self) -> float:
        counted = self.mutants - self.equivalent
        return 100.0 * self.killed / counted if counted else 100.0


def load_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def slug(module: str) -> str:
    return module.removeprefix("twin/").removesuffix(".py").rstrip("/").replace("/", ".")


def scratch_pyproject(text: str, base: dict, module: str, tests: list[str]) -> str:
    """The checkout's pyproject with ``[tool.mutmut]`` narrowed to one module."""
    pattern = module + "*" if module.endswith("/") else module
    table = dict(base)
    table.update(
        source_paths=["twin"],
        only_mutate=[pattern],
        pytest_add_cli_args_test_selection=tests,
        also_copy=[p for p in LINKED if p not in ("twin", "tests")],
    )
    lines = ["[tool.mutmut]"] + [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    stripped = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[)", "", text)
    return stripped.rstrip() + "\n\n" + "\n".join(lines) + "\n"


def prepare(module: str, tests: list[str], config: dict) -> Path:
    work = ROOT / "build" / "mutate" / slug(module)
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = work / name
        if not link.is_symlink():
            if link.exists():
                shutil.rmtree(link)
            link.symlink_to(ROOT / name)
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    base = config["tool"].get("mutmut", {})
    (work / "pyproject.toml").write_text(scratch_pyproject(text, base, module, tests), "utf-8")
    return work


def mutmut_exe() -> str:
    local = Path(sys.executable).with_name("mutmut")
    return str(local) if local.exists() else "mutmut"


#: mutmut's own first steps of ``mutmut run`` (mutmut/__main__.py, _run): write every mutant
#: to the scratch directory without running a test, so a sample can be drawn from their names.
GENERATE = """
import os
import mutmut.__main__ as m
from mutmut.mutation.trampoline import set_mutant_under_test
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths()
m.store_lines_covered_by_tests(); m.create_mutants(1)
"""


def stale(work: Path, module: str, root: Path = ROOT) -> bool:
    """True when a source file of the module changed after mutmut last wrote its mutants'
    records: their names (numbered per function) may no longer be the code's."""
    src = root / module
    for path in [src] if src.is_file() else sorted(src.rglob("*.py")):
        meta = work / "mutants" / path.relative_to(root).with_name(path.name + ".meta")
        if meta.exists() and meta.stat().st_mtime < path.stat().st_mtime:
            return True
    return False


def tests_changed(work: Path, tests: list[str], root: Path = ROOT) -> bool:
    """True when a test file of the module changed after mutmut last recorded a verdict:
    mutmut retests only mutants of changed code, so a survivor that a new test kills would
    stay a survivor."""
    metas = list((work / "mutants").rglob("*.py.meta"))
    if not metas:
        return False
    oldest = min(m.stat().st_mtime for m in metas)
    for test in tests:
        path = root / test
        files = [path] if path.is_file() else path.rglob("*.py")
        if any(f.stat().st_mtime > oldest for f in files):
            return True
    return False


def retest_all(work: Path, module: str, tests: list[str], root: Path = ROOT) -> bool:
    """Whether every mutant must be tested again, with mutmut's records started afresh:
    a test file changed (a survivor a new test kills would stay one), or the module did
    (mutmut's record of which tests reach which function is kept from its first run, so a
    function split out of another since was counted as reached by no test: 80 of
    ``cfd/source.py``'s mutants, once ``load_field`` had given ``_read_points`` its body)."""
    return tests_changed(work, tests, root) or stale(work, module, root)


def mutant_names(work: Path, module: str) -> list[str]:
    """Every mutant of the module, generating them first when mutmut has not yet or when the
    module changed since (a sample drawn from stale names would miss the new mutants)."""
    if stale(work, module) or not any(k.startswith("twin." + slug(module)) for k in results(work)):
        env = dict(os.environ, PYTHONPATH="", PYTHONDONTWRITEBYTECODE="1")
        python = str(Path(mutmut_exe()).with_name("python"))
        subprocess.run([python, "-c", GENERATE], cwd=work, env=env, check=True)
    return sorted(k for k in results(work) if k.startswith("twin." + slug(module)))


def sample(work: Path, module: str, n: int) -> list[str]:
    """A fixed random sample (seed 0) of the module's mutants, the same on every run."""
    names = mutant_names(work, module)
    return names if n >= len(names) else sorted(random.Random(0).sample(names, n))


def run_module(work: Path, children: int, names: list[str] | None = None) -> int:
    """Run mutmut in the module's scratch directory (only ``names`` when given); its progress
    goes to ``mutmut.log``."""
    env = dict(os.environ, PYTHONPATH="", PYTHONDONTWRITEBYTECODE="1")
    cmd = [mutmut_exe(), "run", "--max-children", str(children), *(names or [])]
    with open(work / "mutmut.log", "w", encoding="utf-8") as log:
        code = subprocess.run(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    if code.returncode:
        tail = (work / "mutmut.log").read_text("utf-8", "replace")[-2000:]
        print(f"mutmut failed in {work}:\n{tail}", file=sys.stderr)
    return code.returncode


def results(work: Path) -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's per-file ``.meta`` records."""
    codes: dict[str, int | None] = {}
    for meta in (work / "mutants").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return codes


def score(
    module: str, work: Path, equivalent: dict[str, str], only: list[str] | None = None
) -> Score:
    prefix = "twin." + slug(module)
    codes = {k: v for k, v in results(work).items() if k.startswith(prefix)}
    if only is not None:
        codes = {k: v for k, v in codes.items() if k in set(only)}
    caught = KILLED_CODES | TIMEOUT_CODES
    # a listed "equivalent" that a test kills is not one (mutant numbers move when the code
    # changes): say so, and count it as killed like any other
    wrong = sorted(k for k, c in codes.items() if k in equivalent and c in caught)
    for name in wrong:
        print(f"    listed as equivalent but killed: {name}", file=sys.stderr)
    equivalent = {k: v for k, v in equivalent.items() if k not in wrong}
    killed = sum(1 for k, c in codes.items() if c in KILLED_CODES and k not in equivalent)
    timeouts = sum(1 for k, c in codes.items() if c in TIMEOUT_CODES and k not in equivalent)
    survived = sorted(k for k, c in codes.items() if c not in caught and k not in equivalent)
    return Score(
        module=module,
        mutants=len(codes),
        killed=killed + timeouts,
        survived=survived,
        timeouts=timeouts,
        equivalent=sum(1 for k in codes if k in equivalent),
        no_tests=sum(1 for c in codes.values() if c in NOT_REACHED_CODES),
    )


def print_score(s: Score, target: float) -> None:
    name = f"mutate.{slug(s.module)}_killed_pct"
    note = (
        f"killed {s.killed}/{s.mutants - s.equivalent} ({s.equivalent} equivalent, "
        f"{len(s.survived)} survived, {s.timeouts} timed out, {s.no_tests} not reached)"
    )
    if s.of_total > s.mutants:
        note += f", a sample of {s.mutants} of {s.of_total} mutants"
    mark = "" if s.percent >= target else f"  BELOW TARGET {target:g} %"
    print(f"{name:40s} {s.percent:12.4g} %  {note}{mark}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="run only modules whose path contains this")
    parser.add_argument("--report", action="store_true", help="print scores, run nothing")
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once")
    parser.add_argument(
        "--sample", type=int, metavar="N", help="test a fixed random sample of N mutants per module"
    )
    args = parser.parse_args(argv)
    config = load_config()
    mutate = config["tool"]["twin"]["mutate"]
    target = float(mutate.get("target_pct", 85))
    equivalent = mutate.get("equivalent", {})
    modules = {m: t for m, t in mutate["modules"].items() if not args.only or args.only in m}
    if not modules:
        parser.error(f"no module matches {args.only!r}")
    below = 0
    for module, tests in modules.items():
        work = prepare(module, tests, config)
        if not args.report and retest_all(work, module, tests):
            shutil.rmtree(work / "mutants")
        names = sample(work, module, args.sample) if args.sample else None
        if not args.report:
            print(f"# mutate {module} ...", file=sys.stderr, flush=True)
            run_module(work, args.children, names)
        s = score(module, work, equivalent, names)
        if names is not None:
            s.of_total = len(mutant_names(work, module))
        print_score(s, target)
        if args.survivors:
            for name in s.survived:
                print(f"    survived {name}")
        below += s.percent < target
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
