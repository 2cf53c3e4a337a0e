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
        pass

    _module(monkeypatch, "twin_test_good", Thing=Thing)
    found[plugins.IMPORTERS] = [EntryPoint("good", "twin_test_good:Thing", plugins.IMPORTERS)]
    assert reg.load(plugins.IMPORTERS, "good") is Thing
    calls.append(1)
    assert reg.load(plugins.IMPORTERS, "good") is Thing
    assert reg.info(plugins.IMPORTERS, "good").status == plugins.LOADED


def test_broken_plugins_are_recorded_not_raised_into_twin(fresh, monkeypatch):
    reg, found = fresh
    source = "raise RuntimeError('licence server unreachable')"
    _module(monkeypatch, "twin_test_ok", mode=object())
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
        assert reg.info(plugins.IMPORTERS, "hangs").status == plugins.FAILED
        t0 = time.perf_counter()  # a second ask does not wait again for the same import
        assert reg.load_all(plugins.IMPORTERS) == {"fine": Fine}
        assert time.perf_counter() - t0 < 0.25
        with pytest.raises(plugins.PluginError, match="is not 'module:object'"):
            reg.load(plugins.IMPORTERS, "blank")
    finally:
        release.set()


def test_a_plugin_command_named_as_twins_own_is_reported_shadowed(fresh, monkeypatch, capsys):
    """It was listed as loaded, yet 'twin thermal' always runs Twin's own command."""
    from twin.cli import main

    reg, found = fresh

    class Shadow:
        help = "never runs"

    _module(monkeypatch, "twin_test_shadow", Shadow=Shadow)
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
