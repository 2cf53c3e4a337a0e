"""``twin plugins --check`` imports each plugin in a child process: one whose import ends the
process, crashes it, hangs with the GIL held or raises KeyboardInterrupt is listed FAILED with
what happened, and every other plugin is still checked and listed. Each test installs real
throwaway distributions (a ``.dist-info`` with entry points, and their modules) in a folder
on PYTHONPATH and runs the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin import plugin_check, plugins

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
print("the good exporter says hello at import")


class Exporter:
    name, title, takes_frames = "good", "Good", False

    def write(self, facility, path, frames=None, **options):
        pass


exporter = Exporter()
"""

#: Entry points of the throwaway distribution, by name; each module's source is in MODULES.
#: The names sort the killer between two good plugins: the one after it must still be checked.
ENTRY_POINTS = {
    "a-good": "twin_check_good:exporter",
    "b-killer": "twin_check_killer:exporter",
    "c-good": "twin_check_good:exporter",
    "d-exits": "twin_check_exits:exporter",
    "e-five": "twin_check_five:NUMBER",
}
MODULES = {
    "twin_check_good": GOOD,
    "twin_check_exits": "raise SystemExit(4)\n",
    "twin_check_five": "NUMBER = 5\n",
}

KILLERS = {
    "os._exit": ("import os\nos._exit(3)\n", "its import ended the process (exit code 3)"),
    "segfault": (
        "import ctypes\nctypes.string_at(0)\n",
        "its import crashed the process (signal SIGSEGV)",
    ),
    "KeyboardInterrupt": ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    # in C code, holding the GIL: the old import thread's timeout could never fire
    "hang with the GIL held": (
        "import itertools\nsum(itertools.repeat(1))\n",
        "its import did not finish within 1 s (hung?)",
    ),
    "hang asleep": (
        "import time\ntime.sleep(60)\n",
        "its import did not finish within 1 s (hung?)",
    ),
}


def _install(site: Path, killer: str) -> None:
    """The distribution twin-check-test 0.1 in ``site``: its entry points and modules."""
    info = site / "twin_check_test-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: twin-check-test\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in ENTRY_POINTS.items())
    (info / "entry_points.txt").write_text(f"[{plugins.EXPORTERS}]\n{lines}")
    for module, source in {**MODULES, "twin_check_killer": killer}.items():
        (site / f"{module}.py").write_text(source)


def _check(site: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """``twin plugins --check ARGS`` with ``site`` on the path and a 1 s import timeout."""
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
        "TWIN_PLUGIN_IMPORT_S": "1",
        "TMPDIR": str(site / "tmp"),  # where each child's traceback file is, while it runs
    }
    (site / "tmp").mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "twin.cli", "plugins", "--check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=site,
    )


def _installed_plugins() -> set[str]:
    """The names of the plugins installed here (Twin's own and the first-party ones)."""
    return {i.name for i in plugins.PluginRegistry().infos() if i.group in plugins.GROUPS}


@pytest.mark.parametrize("killer", list(KILLERS))
def test_a_plugin_that_kills_its_check_is_failed_and_every_other_plugin_is_checked(
    tmp_path, killer
):
    source, why = KILLERS[killer]
    _install(tmp_path, source)
    t0 = time.perf_counter()
    done = _check(tmp_path)
    assert time.perf_counter() - t0 < 30
    assert done.returncode == 1, done.stdout + done.stderr
    lines = {line.split()[1]: line for line in done.stdout.splitlines()[1:]}
    assert lines["b-killer"].endswith(f" failed: {why}")
    assert lines["a-good"].endswith(" loaded") and lines["c-good"].endswith(" loaded")
    assert lines["d-exits"].endswith(" failed: SystemExit: 4")
    assert lines["e-five"].endswith(
        " failed: TypeError: its entry point e-five = twin_check_five:NUMBER gave int 5; "
        "twin.exporters expects an Exporter (twin.api): an object with a write method"
    )
    others = _installed_plugins()
    assert others and all(lines[name].endswith(" loaded") for name in others)
    assert "the good exporter says hello at import" in done.stderr  # not in the table
    assert list((tmp_path / "tmp").iterdir()) == []  # no child's traceback file left behind


@pytest.mark.parametrize(
    ("killer", "first_line"),
    [
        ("KeyboardInterrupt", "Traceback (most recent call last):"),
        ("segfault", "Fatal Python error: Segmentation fault"),  # from the child's faulthandler
        ("hang with the GIL held", "Timeout (0:00:01)!"),
    ],
)
def test_verbose_shows_the_tracebacks_the_child_sent_back(tmp_path, killer, first_line):
    """Where the plugin was when it failed, crashed or hung: its file and line."""
    _install(tmp_path, KILLERS[killer][0])
    done = _check(tmp_path, "--verbose")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    details = out[out.index(" b-killer ") : out.index(" c-good ")].splitlines()[1:]
    assert details[0] == f"    {first_line}"
    assert any("twin_check_killer.py" in line and "<module>" in line for line in details)
    assert "raise SystemExit(4)" in out[out.index(" d-exits ") :]  # a plain failure's, still


def test_json_keeps_its_fields_and_holds_nothing_a_plugin_printed(tmp_path):
    _install(tmp_path, KILLERS["os._exit"][0])
    done = _check(tmp_path, "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {row["name"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert rows["b-killer"] == {
        "name": "b-killer",
        "group": plugins.EXPORTERS,
        "value": "twin_check_killer:exporter",
        "distribution": "twin-check-test",
        "version": "0.1",
        "status": "failed",
        "error": "its import ended the process (exit code 3)",
    }
    assert rows["c-good"]["status"] == "loaded" and rows["c-good"]["error"] == ""


@pytest.fixture
def one_good_plugin(monkeypatch):
    """A registry of its own that sees one good exporter, in a real module file."""
    from importlib.metadata import EntryPoint

    found = {plugins.EXPORTERS: [EntryPoint("good", "twin.api:Exporter", plugins.EXPORTERS)]}
    monkeypatch.setattr(plugins, "entry_points", lambda group: found.get(group, []))
    return plugins.PluginRegistry(builtin={})


def test_a_child_that_cannot_start_falls_back_to_checking_here(one_good_plugin, monkeypatch):
    reg = one_good_plugin

    class NoProcesses:
        def Pipe(self, duplex):  # noqa: N802 - multiprocessing's name
            import multiprocessing

            return multiprocessing.Pipe(duplex)

        def Process(self, **kwargs):  # noqa: N802
            raise OSError("fork bomb protection")

    monkeypatch.setattr(plugin_check, "get_context", lambda method: NoProcesses())
    note = plugin_check.check(reg, timeout_s=5)
    assert note == (
        "could not start a process to check plugins in (OSError: fork bomb protection): "
        "checked them in this one"
    )
    assert reg.info(plugins.EXPORTERS, "good").status == plugins.LOADED


def test_a_child_that_ends_before_it_is_ready_falls_back_to_checking_here(
    one_good_plugin, monkeypatch
):
    reg = one_good_plugin
    monkeypatch.setattr(plugin_check, "_child", os._exit)  # os._exit(conn, todo): TypeError
    note = plugin_check.check(reg, timeout_s=5)
    assert note.startswith("could not start a process to check plugins in (it ended before it")
    assert "exit code 1" in note
    assert reg.info(plugins.EXPORTERS, "good").status == plugins.LOADED


def test_the_window_s_check_imports_nothing_here_when_no_child_starts(one_good_plugin, monkeypatch):
    """Help › Plugins holds unsaved work: with no child to check in, it says so and imports
    nothing into its own process (where a plugin that ends it would end the window)."""
    reg = one_good_plugin
    monkeypatch.setattr(plugin_check, "_child", os._exit)
    note = plugin_check.check(reg, timeout_s=5, fallback=False)
    assert note.startswith("could not start a process to check plugins in (it ended before it")
    assert note.endswith("): not checked")
    assert reg.info(plugins.EXPORTERS, "good").status == plugins.NOT_LOADED
