"""The plugin registry: discovery without importing, lazy loading, broken plugins reported
(never raised into Twin), and plugin commands on the `twin` command line."""

from __future__ import annotations

import subprocess
import sys
import types
from importlib.metadata import EntryPoint

import pytest

from twin import plugins


@pytest.fixture
def fresh(monkeypatch):
    """A registry of its own, seeing only the entry points a test gives it."""
    found: dict[str, list[EntryPoint]] = {}
    monkeypatch.setattr(plugins, "entry_points", lambda group: found.get(group, []))
    reg = plugins.PluginRegistry()
    monkeypatch.setattr(plugins, "registry", reg)
    return reg, found


def _module(monkeypatch, name: str, **attrs) -> None:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    monkeypatch.setitem(sys.modules, name, mod)


def test_discovery_lists_builtins_and_imports_nothing(fresh, monkeypatch):
    reg, found = fresh
    found[plugins.EXPORTERS] = [
        EntryPoint("never", "twin_test_never_imported:x", plugins.EXPORTERS)
    ]
    infos = reg.infos()
    assert {(i.group, i.name) for i in infos} >= {
        (plugins.SOURCES, "simulated"),
        (plugins.EXPORTERS, "never"),
    }
    assert all(i.status == plugins.NOT_LOADED for i in infos)
    assert "twin_test_never_imported" not in sys.modules
    builtin = reg.info(plugins.SOURCES, "simulated")
    assert builtin.distribution == "twin" and builtin.version == __import__("twin").__version__


def test_load_once_and_status(fresh, monkeypatch):
    reg, found = fresh
    calls = []

    class Thing:
        def read(self, path):
            return {}

    _module(monkeypatch, "twin_test_good", Thing=Thing)
    found[plugins.IMPORTERS] = [EntryPoint("good", "twin_test_good:Thing", plugins.IMPORTERS)]
    assert reg.load(plugins.IMPORTERS, "good") is Thing
    calls.append(1)
    assert reg.load(plugins.IMPORTERS, "good") is Thing
    assert reg.info(plugins.IMPORTERS, "good").status == plugins.LOADED


def test_broken_plugins_are_recorded_not_raised_into_twin(fresh, monkeypatch):
    reg, found = fresh
    source = "raise RuntimeError('licence server unreachable')"
    mode = types.SimpleNamespace(values=lambda facility, frame: [], clim=lambda facility: None)
    _module(monkeypatch, "twin_test_ok", mode=mode)
    found[plugins.COLOUR_MODES] = [
        EntryPoint("missing", "twin_test_no_such_module:mode", plugins.COLOUR_MODES),
        EntryPoint("crashing", "twin_test_crashing:mode", plugins.COLOUR_MODES),
        EntryPoint("exits", "twin_test_exits:mode", plugins.COLOUR_MODES),
        EntryPoint("ok", "twin_test_ok:mode", plugins.COLOUR_MODES),
    ]

    class Finder:  # a module that raises at import, like a plugin whose set-up fails
        def find_spec(self, name, path=None, target=None):
            import importlib.util

            if name == "twin_test_crashing":
                loader = types.SimpleNamespace(
                    create_module=lambda spec: None,
                    exec_module=lambda module: exec(source, module.__dict__),
                )
                return importlib.util.spec_from_loader(name, loader)
            if name == "twin_test_exits":
                loader = types.SimpleNamespace(
                    create_module=lambda spec: None,
                    exec_module=lambda module: exec("raise SystemExit(3)", module.__dict__),
                )
                return importlib.util.spec_from_loader(name, loader)
            return None

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    loaded = reg.load_all(plugins.COLOUR_MODES)
    assert list(loaded) == ["ok"]  # the good one still loads
    crashing = reg.info(plugins.COLOUR_MODES, "crashing")
    assert crashing.status == plugins.FAILED
    assert crashing.error == "RuntimeError: licence server unreachable"
    assert "Traceback" in crashing.details
    assert "ModuleNotFoundError" in reg.info(plugins.COLOUR_MODES, "missing").error
    assert reg.info(plugins.COLOUR_MODES, "exits").status == plugins.FAILED
    with pytest.raises(plugins.PluginError, match="colour mode 'crashing'.*licence server"):
        reg.load(plugins.COLOUR_MODES, "crashing")
    with pytest.raises(plugins.PluginError, match="no colour mode 'nope'; available: crashing"):
        reg.load(plugins.COLOUR_MODES, "nope")


def test_broken_metadata_is_reported(monkeypatch):
    def broken(group):
        raise ValueError("bad entry_points.txt in some-dist")

    monkeypatch.setattr(plugins, "entry_points", broken)
    reg = plugins.PluginRegistry()
    assert [i.name for i in reg.infos(plugins.SOURCES)] == sorted(plugins.BUILTIN[plugins.SOURCES])
    assert any("bad entry_points.txt" in e for e in reg.discovery_errors)


def test_installed_entry_point_overrides_the_builtin(fresh, monkeypatch):
    reg, found = fresh

    class Mine:
        pass

    _module(monkeypatch, "twin_test_mine", Mine=Mine)
    found[plugins.SOURCES] = [EntryPoint("simulated", "twin_test_mine:Mine", plugins.SOURCES)]
    assert reg.load(plugins.SOURCES, "simulated") is Mine


def _twin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "twin.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_plugins_command_lists_every_group():
    done = _twin("plugins")
    assert done.returncode == 0, done.stderr
    listed = {tuple(line.split()[:2]) for line in done.stdout.splitlines()[1:]}
    expected = {(i.group, i.name) for i in plugins.PluginRegistry().infos()}
    assert listed == expected  # every group's plugins, each on its own line
    assert "not loaded" in done.stdout  # listing imports nothing


class _HalfExporter:
    """Writes part of its file, then dies: the target must keep what it held."""

    name, title, takes_frames = "half", "Half", False

    def write(self, facility, path, frames=None, **options):
        path.write_text("PARTIAL OUTPUT " * 100)
        raise RuntimeError("died midway")


class _WholeExporter:
    name, title, takes_frames = "whole", "Whole", False

    def write(self, facility, path, frames=None, **options):
        path.write_text(f"{facility.n_racks} racks\n")


def test_an_exporter_that_fails_leaves_the_old_file_whole(fresh, monkeypatch, tmp_path, capsys):
    from pathlib import Path

    from twin.cli import main

    reg, found = fresh
    _module(monkeypatch, "twin_test_export", HALF=_HalfExporter(), WHOLE=_WholeExporter())
    found[plugins.EXPORTERS] = [
        EntryPoint("half", "twin_test_export:HALF", plugins.EXPORTERS),
        EntryPoint("whole", "twin_test_export:WHOLE", plugins.EXPORTERS),
    ]
    layout = Path(__file__).parent / "whatif" / "small-hall.yaml"
    out = tmp_path / "hall.out"
    out.write_text("the file that was there\n")
    assert main(["export", "half", str(layout), "-o", str(out)]) == 1
    assert "the half exporter failed: RuntimeError: died midway" in capsys.readouterr().err
    assert out.read_text() == "the file that was there\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.out"]  # no part left over
    assert main(["export", "whole", str(layout), "-o", str(out)]) == 0
    assert out.read_text() == "6 racks\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.out"]


def test_an_export_goes_through_a_fifo_and_never_over_its_inputs(
    fresh, monkeypatch, tmp_path, capsys
):
    """As root, '-o /dev/null' replaced the device with the exported file (os.replace)."""
    import os
    import shutil
    import stat
    import threading
    from pathlib import Path

    from twin.cli import main

    reg, found = fresh
    _module(monkeypatch, "twin_test_export2", WHOLE=_WholeExporter())
    found[plugins.EXPORTERS] = [EntryPoint("whole", "twin_test_export2:WHOLE", plugins.EXPORTERS)]
    layout = tmp_path / "hall.yaml"
    shutil.copy(Path(__file__).parent / "whatif" / "small-hall.yaml", layout)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()), daemon=True)
    reader.start()
    assert main(["export", "whole", str(layout), "-o", str(fifo)]) == 0
    reader.join(10)
    assert got == ["6 racks\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    text = layout.read_text()
    assert main(["export", "whole", str(layout), "-o", str(layout)]) == 2
    assert capsys.readouterr().err.endswith(
        f"twin export: {layout} is also an input of this command; choose another output file\n"
    )
    assert layout.read_text() == text
    assert main(["export", "whole", str(layout), "-o", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.yaml", "pipe"]


def test_a_plugin_whose_import_hangs_is_given_up_and_the_rest_load(fresh, monkeypatch):
    """A plugin that never finished importing hung every command that looked through its
    group (``twin import`` of a CSV another importer reads)."""
    import threading
    import time

    reg, found = fresh
    release = threading.Event()

    class Hangs(EntryPoint):
        def load(self):
            release.wait(30)
            return object()

    class Fine:
        extensions = (".csv",)

        def read(self, path):
            return {}

    _module(monkeypatch, "twin_test_fine", Fine=Fine)
    found[plugins.IMPORTERS] = [
        Hangs("hangs", "twin_test_hangs:X", plugins.IMPORTERS),
        EntryPoint("fine", "twin_test_fine:Fine", plugins.IMPORTERS),
        EntryPoint("blank", "", plugins.IMPORTERS),
    ]
    monkeypatch.setenv("TWIN_PLUGIN_IMPORT_S", "0.3")
    try:
        t0 = time.perf_counter()
        with pytest.raises(plugins.PluginError, match=r"did not finish within 0\.3 s"):
            reg.load(plugins.IMPORTERS, "hangs")
        assert time.perf_counter() - t0 < 5.0
        hung = reg.info(plugins.IMPORTERS, "hangs")
        assert hung.status == plugins.FAILED
        assert hung.error == "its import did not finish within 0.3 s (hung?)"
        t0 = time.perf_counter()  # a second ask does not wait again for the same import
        assert reg.load_all(plugins.IMPORTERS) == {"fine": Fine}
        assert time.perf_counter() - t0 < 0.25
        with pytest.raises(plugins.PluginError, match="is not 'module:object'"):
            reg.load(plugins.IMPORTERS, "blank")
    finally:
        release.set()


def test_a_plugin_command_named_as_twins_own_is_reported_shadowed(
    fresh, monkeypatch, capsys, tmp_path
):
    """It was listed as loaded, yet 'twin thermal' always runs Twin's own command."""
    from twin.cli import main

    reg, found = fresh
    # a module file on the path: --check imports it in a child process
    (tmp_path / "twin_test_shadow.py").write_text(
        "class Shadow:\n"
        "    help = 'never runs'\n\n"
        "    def register(self, parser):\n"
        "        pass\n\n"
        "    def run(self, args):\n"
        "        return 0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found[plugins.COMMANDS] = [
        EntryPoint("thermal", "twin_test_shadow:Shadow", plugins.COMMANDS),
        EntryPoint("mine", "twin_test_shadow:Shadow", plugins.COMMANDS),
    ]
    assert main(["plugins", "--check"]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("twin.commands") and " thermal " in x)
    assert line.endswith("failed: shadowed: Twin's own 'thermal' command runs instead; rename it")
    mine = next(x for x in out.splitlines() if " mine " in x)
    assert mine.endswith("loaded")


def _dist(root, name: str, entry_points_txt: str):
    """An installed distribution ``name`` 0.1 under ``root`` (a folder on ``sys.path``) with
    this ``entry_points.txt``; the file's path."""
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points_txt)
    return info / "entry_points.txt"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (  # importlib.metadata raised on it, and every group's lookup with it: none listed
            "[twin.exporters]\nmine = twin_test_mine_exp:exporter\njustaname\n",
            "line 3: 'justaname' is not 'name = module:object': none of its entry points can "
            "be read",
        ),
        (  # importlib.metadata dropped the lines before a [group] line in silence
            "[twin.exporters\nmine = twin_test_mine_exp:exporter\n",
            "line 1: '[twin.exporters' comes before any [group] line: it and the lines after it "
            "up to one are ignored",
        ),
    ],
)
def test_a_distribution_whose_entry_points_txt_is_malformed_is_reported(
    monkeypatch, tmp_path, capsys, text, why
):
    from twin.cli import main

    path = _dist(tmp_path, "twin-test-broken", text)
    _dist(tmp_path, "twin-test-fine", "[twin.exporters]\nfine = twin_test_fine_exp:exporter\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "registry", plugins.PluginRegistry())
    assert main(["plugins"]) == 0
    lines = capsys.readouterr().out.splitlines()
    broken = [x for x in lines if "twin-test-broken" in x]
    assert len(broken) == 1 and broken[0].endswith(f"failed: {path}: {why}")
    # the other distributions' plugins are still listed
    assert any(" fine " in x and "twin-test-fine" in x for x in lines)


@pytest.mark.parametrize(
    ("group", "expects"),
    [
        (plugins.SOURCES, "a class (or factory) to call with the facility"),
        (plugins.IMPORTERS, "an Importer (twin.api): an object with a read method"),
        (plugins.EXPORTERS, "an Exporter (twin.api): an object with a write method"),
        (plugins.COLOUR_MODES, "a ColourMode (twin.api): an object with values, clim methods"),
        (plugins.COMMANDS, "a Command (twin.api): an object with register, run methods"),
    ],
)
def test_an_entry_point_to_an_object_of_the_wrong_kind_is_failed(
    fresh, monkeypatch, group, expects
):
    """An int was listed as loaded, and failed only where Twin first used it."""
    reg, found = fresh
    _module(monkeypatch, "twin_test_kinds", NUMBER=5)
    found[group] = [EntryPoint("five", "twin_test_kinds:NUMBER", group)]
    assert "five" not in reg.load_all(group)
    info = reg.info(group, "five")
    assert info.status == plugins.FAILED
    assert info.error == (
        f"TypeError: its entry point five = twin_test_kinds:NUMBER gave int 5; {group} "
        f"expects {expects}"
    )


def test_an_object_without_one_of_its_groups_methods_is_failed(fresh, monkeypatch):
    reg, found = fresh

    class RunsOnly:
        help = "no register"

        def run(self, args):
            return 0

    _module(monkeypatch, "twin_test_kinds", command=RunsOnly())
    found[plugins.COMMANDS] = [EntryPoint("half", "twin_test_kinds:command", plugins.COMMANDS)]
    with pytest.raises(plugins.PluginError, match=r"command 'half' \(twin_test_kinds:command\)"):
        reg.load(plugins.COMMANDS, "half")
    assert reg.info(plugins.COMMANDS, "half").error.startswith(
        "TypeError: its entry point half = twin_test_kinds:command gave "
        "test_an_object_without_one_of_its_groups_methods_is_failed.<locals>.RunsOnly object "
        "(no register method); twin.commands expects a Command (twin.api)"
    )
