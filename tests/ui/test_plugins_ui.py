"""Plugins in the window: Help › Plugins, connecting to a source plugin with options read
from its constructor, import and export through plugins, and colour-mode plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import numpy as np
import pytest

from twin import plugins
from twin.api import BackgroundSource, Frame, SourceState

pytestmark = pytest.mark.gui


class CountingSource(BackgroundSource):
    """A test source plugin: every GPU at ``base_c`` plus the frame number."""

    name = "counting"

    def __init__(self, facility, base_c: float = 30.0, every_s: float = 0.05, label: str = "lab"):
        super().__init__(facility)
        self.base_c, self.every_s, self.label = base_c, every_s, label

    def _run(self) -> None:
        self._set_state(SourceState.CONNECTED, self.label)
        k = 0
        while not self._stopping.is_set():
            frame = Frame.empty(1.78e9 + k, self.facility.counts())
            frame.gpu["temp_c"][:] = self.base_c + k
            self._publish(frame)
            k += 1
            if self._sleep(self.every_s):
                break


#: What Help › Plugins' check imports in its child process, which cannot see this module's
#: in-memory plugins: the same names, in a real file on sys.path.
ON_DISK = """\
from twin.api import BackgroundSource


class CountingSource(BackgroundSource):
    def __init__(self, facility, base_c=30.0, every_s=0.05, label="lab"):
        super().__init__(facility)
"""
KILLER = "import os\nos._exit(3)\n"


@pytest.fixture
def test_plugins(monkeypatch, tmp_path, add_plugins):
    """The real installed plugins plus a working source, a broken exporter and one whose
    import ends its process (in memory here; on disk for a check's child process)."""
    (tmp_path / "twin_test_ui_plugins.py").write_text(ON_DISK)
    (tmp_path / "twin_test_ui_killer.py").write_text(KILLER)
    monkeypatch.syspath_prepend(str(tmp_path))
    add_plugins(
        [
            EntryPoint("counting", "twin_test_ui_plugins:CountingSource", plugins.SOURCES),
            EntryPoint("broken", "twin_test_ui_no_such_module:exporter", plugins.EXPORTERS),
            EntryPoint("killer", "twin_test_ui_killer:exporter", plugins.EXPORTERS),
        ],
        {"twin_test_ui_plugins": {"CountingSource": CountingSource}},
    )


@pytest.fixture
def ext(test_plugins, opened):
    return opened.extensions["plugins_ui"]


def test_help_plugins_lists_name_version_group_status_and_error(ext, qtbot, tmp_path):
    dialog = ext.show_plugins()
    qtbot.addWidget(dialog)
    rows = {(r[0], r[2]): r for r in dialog.rows()}
    assert rows[("simulated", plugins.SOURCES)][1:4] == (
        f"twin {__import__('twin').__version__}",
        plugins.SOURCES,
        plugins.NOT_LOADED,
    )
    assert ("broken", plugins.EXPORTERS) in rows
    # imports every plugin in a child process, off the GUI thread: the broken one fails, the
    # one that ends its process is listed with what it did, and the window lives on
    dialog.check_all()
    assert not dialog.check_button.isEnabled()
    qtbot.waitUntil(dialog.check_button.isEnabled, timeout=60_000)
    rows = {(r[0], r[2]): r for r in dialog.rows()}
    name, version, group, status, error = rows[("broken", plugins.EXPORTERS)]
    assert status == plugins.FAILED and "ModuleNotFoundError" in error
    assert rows[("killer", plugins.EXPORTERS)][3:] == (
        plugins.FAILED,
        "its import ended the process (exit code 3)",
    )
    assert rows[("counting", plugins.SOURCES)][3] == plugins.LOADED
    assert rows[("simulated", plugins.SOURCES)][3] == plugins.LOADED
    assert dialog.note.text() == ""  # checked in a child, not in the window's own process
    # from now on the window refuses to import it, instead of ending with it (made harmless
    # on disk first, so that a window that did import it fails this test rather than ends)
    (tmp_path / "twin_test_ui_killer.py").write_text("raise RuntimeError('imported')\n")
    with pytest.raises(plugins.PluginError, match=r"'killer'.*ended the process \(exit code 3\)"):
        plugins.registry.load(plugins.EXPORTERS, "killer")
    assert ext.window.isVisible()
    dialog.close()


def test_a_check_keeps_what_the_window_already_loaded(ext, qtbot):
    """A plugin loaded in the window stays loaded whatever a fresh process says of it (this
    one's module exists only in the window's memory)."""
    plugins.registry.load(plugins.SOURCES, "counting")
    probe = plugins.PluginRegistry()
    probe.record_failure(plugins.SOURCES, "counting", ModuleNotFoundError("not in the child"))
    probe.record_deadly(
        plugins.EXPORTERS, "broken", "its import ended the process (exit code 9)", ""
    )
    plugins.registry.adopt(probe)
    assert plugins.registry.info(plugins.SOURCES, "counting").status == plugins.LOADED
    assert plugins.registry.load(plugins.SOURCES, "counting") is CountingSource
    broken = plugins.registry.info(plugins.EXPORTERS, "broken")
    assert (broken.status, broken.error) == (
        plugins.FAILED,
        "its import ended the process (exit code 9)",
    )
    with pytest.raises(plugins.PluginError, match="exit code 9"):
        plugins.registry.load(plugins.EXPORTERS, "broken")


def test_connect_to_a_source_plugin_with_typed_options(ext, qtbot):
    from twin.ui.plugins_ui import SourcePluginDialog

    dialog = SourcePluginDialog(ext.window)
    qtbot.addWidget(dialog)
    dialog.combo.setCurrentText("counting")
    assert set(dialog.fields) == {"base_c", "every_s", "label"}
    assert dialog.fields["base_c"][1].text() == "30.0"  # defaults read from the constructor
    dialog.fields["base_c"][1].setText("55")
    dialog.fields["label"][1].setText("bench-7")
    options = dialog.options()
    assert options == {"base_c": 55.0, "every_s": 0.05, "label": "bench-7"}
    dialog.fields["every_s"][1].setText("fast")
    with pytest.raises(ValueError, match="every_s: 'fast'"):
        dialog.options()
    dialog.close()
    w = ext.window
    assert ext.connect("counting", **options)
    assert isinstance(w.source, CountingSource) and w.source.label == "bench-7"
    qtbot.waitUntil(lambda: w.last_frame is not None, timeout=10000)
    assert w.last_frame.gpu["temp_c"][0] >= 55
    w.stop_source()


def test_export_from_the_window_with_the_frame_on_screen(ext, tmp_path):
    pytest.importorskip("twin_usd")
    from pxr import Usd

    w = ext.window
    frame = Frame.empty(1.78e9, w.facility.counts())
    frame.rack["inlet_c"][:] = 24.5
    w.show_frame(frame)
    out = ext.export_file("usd", tmp_path / "hall.usda")
    assert out is not None
    stage = Usd.Stage.Open(str(out))
    rack = next(p for p in stage.Traverse() if p.GetAttribute("twin:kind").Get() == "rack")
    assert rack.GetAttribute("twin:telemetry:inletC").Get() == pytest.approx(24.5)


def test_import_a_rack_list_opens_the_new_layout(ext, qtbot, tmp_path):
    pytest.importorskip("twin_racklist")
    src = tmp_path / "racks.csv"
    src.write_text("Rack,Row,Position,Servers\nR1,A,1,4x dgx-h100\nR2,A,2,4x dgx-h100\n")
    with qtbot.waitSignal(ext.window.layout_loaded, timeout=30000):
        out = ext.import_file("racklist", src, tmp_path / "racks.yaml")
    assert out is not None and out.is_file()
    assert ext.window.facility.rack_ids == ["R1", "R2"]


def test_import_from_the_window_checks_as_twin_import_does(ext, qtbot, tmp_path, monkeypatch):
    """Never over the rack list it reads; problems at the list's own row; a file name with a
    line break escaped in the header, and the layout written loads."""
    pytest.importorskip("twin_racklist")
    from PySide6.QtWidgets import QMessageBox

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: said.append(text))
    src = tmp_path / "racks.csv"
    src.write_text("Rack,Row,Position\nA 01,A,1\n")
    assert ext.import_file("racklist", src, src) is None
    assert "also an input" in said[-1] and src.read_text().startswith("Rack,Row")
    assert ext.import_file("racklist", src, tmp_path / "out.yaml") is None
    assert f"{src}:2: Rack: rack id 'A 01' holds a space" in said[-1]
    odd = tmp_path / "nl\nformat: x\n#.csv"
    odd.write_text("Rack,Row,Position\nR1,A,1\n")
    with qtbot.waitSignal(ext.window.layout_loaded, timeout=30000):
        out = ext.import_file("racklist", odd, tmp_path / "odd.yaml")
    assert out is not None, said
    assert out.read_text().splitlines()[0] == "# Imported from 'nl\\nformat: x\\n#.csv' by Twin."
    assert ext.window.facility.rack_ids == ["R1"]


def test_colour_mode_plugin_follows_the_frames(ext):
    pytest.importorskip("twin_margin")
    w = ext.window
    frame = Frame.empty(1.78e9, w.facility.counts())
    frame.gpu["temp_c"][:] = 70.0
    w.show_frame(frame)
    assert ext.set_colouring("thermal-margin")
    expected = w.facility.gpu_slowdown_c - 70.0
    assert np.allclose(w.scene._gpu_values[:, 0], expected)
    frame2 = Frame.empty(1.78e9 + 1, w.facility.counts())
    frame2.gpu["temp_c"][:] = 80.0
    w.show_frame(frame2)  # a new frame recolours by the plugin, not by the live metric
    assert np.allclose(w.scene._gpu_values[:, 0], w.facility.gpu_slowdown_c - 80.0)
