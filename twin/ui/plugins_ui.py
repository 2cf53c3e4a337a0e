"""Plugins in the window: Help › Plugins (every plugin's name, version, group, status and
last error), File › Connect to Source Plugin… (any installed ``twin.sources`` plugin, its
options read from its constructor), File › Import / Export (every importer and exporter),
and the colour-mode plugins under View › Colour By. Nothing is imported until used; a plugin
that fails says why in a message box and in Help › Plugins, and the window carries on."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twin import plugin_check, plugins
from twin.render import colour_modes
from twin.ui.actions import Action, Submenu, live_actions

if TYPE_CHECKING:
    from twin.ui.main_window import MainWindow

#: Sources with their own dialogs or menus (File › Connect to Prometheus…, recordings).
OWN_DIALOG = ("replay", "prometheus", "scrape")
COLUMNS = ("Name", "Version", "Group", "Status", "Last error")


class PluginsDialog(QDialog):
    """Help › Plugins: one row per plugin; the full traceback of a failure in its tooltip."""

    #: a check finished: the registry it filled, and a note ('' or why it ran in-process)
    checked = Signal(object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Plugins")
        self.setObjectName("plugins_dialog")
        self.resize(900, 420)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.check_button = QPushButton("Check All", self)
        self.check_button.setToolTip(
            "Import every plugin in a separate process and show which fail (one that ends or "
            "crashes its process is refused here from then on)"
        )
        self.check_button.clicked.connect(self.check_all)
        self.checked.connect(self._on_checked)
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.check_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Installed plugins (loaded when first used):", self))
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        infos = plugins.infos()
        self.table.setRowCount(len(infos))
        for row, info in enumerate(infos):
            cells = (
                info.name,
                f"{info.distribution} {info.version}",
                info.group,
                info.status,
                info.error,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if info.details:
                    item.setToolTip(info.details)
                if info.status == plugins.FAILED:
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def check_all(self) -> None:
        """Import every plugin in a child process (``twin.plugin_check``), on a worker thread
        so the window stays live however long an import takes: a plugin whose import ends
        or crashes its process, or hangs, is listed failed and never imported into the
        window, instead of taking it (and unsaved work) down."""
        if not self.check_button.isEnabled():
            return
        self.check_button.setEnabled(False)
        self.check_button.setText("Checking…")
        self.note.setText("Importing every plugin in a separate process…")
        probe = plugins.PluginRegistry()

        def run() -> None:
            note = plugin_check.check(probe, fallback=False)
            try:
                self.checked.emit(probe, note)
            except RuntimeError:  # the dialog was closed meanwhile: nobody to tell
                pass

        threading.Thread(target=run, name="Help › Plugins check", daemon=True).start()

    def _on_checked(self, probe: plugins.PluginRegistry, note: str) -> None:
        plugins.registry.adopt(probe)
        self.refresh()
        self.note.setText(note)
        self.check_button.setText("Check All")
        self.check_button.setEnabled(True)

    def rows(self) -> list[tuple[str, ...]]:
        """The table's text, row by row (what a user reads)."""
        return [
            tuple(self.table.item(r, c).text() for c in range(len(COLUMNS)))
            for r in range(self.table.rowCount())
        ]


def source_parameters(cls: type) -> list[inspect.Parameter]:
    """The options a source class takes after ``facility`` (keyword-capable ones only)."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]  # self
    out = []
    for p in params:
        if p.name == "facility" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append(p)
    return out


def parse_option(param: inspect.Parameter, text: str) -> Any:
    """A typed value for a parameter from what was typed: by its default's type, else by its
    annotation; empty means the default (or None)."""
    text = text.strip()
    if not text:
        return None if param.default is inspect.Parameter.empty else param.default
    kind = type(param.default) if param.default not in (inspect.Parameter.empty, None) else None
    hint = str(param.annotation)
    if kind is bool or "bool" in hint:
        return text.lower() in ("1", "true", "yes", "on")
    if kind is int or hint.startswith("int"):
        return int(text)
    if kind is float or hint.startswith("float"):
        return float(text)
    return text


class SourcePluginDialog(QDialog):
    """File › Connect to Source Plugin…: pick a source, fill in its options."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Connect to Source Plugin")
        self.setObjectName("source_plugin_dialog")
        self.setMinimumWidth(480)
        self.combo = QComboBox(self)
        for name in plugins.names(plugins.SOURCES):
            if name not in OWN_DIALOG:
                self.combo.addItem(name)
        self.form = QFormLayout()
        self.fields: dict[str, tuple[inspect.Parameter, QLineEdit]] = {}
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #ff7b72")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        top = QFormLayout()
        top.addRow("Source:", self.combo)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.combo.currentTextChanged.connect(self.choose)
        self.choose(self.combo.currentText())

    def choose(self, name: str) -> None:
        """Show the chosen source's options (its plugin is imported now)."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        self.error.setText("")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(False)
        if not name:
            return
        try:
            cls = plugins.load(plugins.SOURCES, name)
            params = source_parameters(cls)
        except (plugins.PluginError, TypeError, ValueError) as exc:
            self.error.setText(f"This plugin cannot be used: {exc}")
            return
        for p in params:
            edit = QLineEdit(self)
            edit.setObjectName(f"option_{p.name}")
            if p.default not in (inspect.Parameter.empty, None):
                edit.setText(str(p.default))
            elif p.default is None:
                edit.setPlaceholderText("(default)")
            self.form.addRow(p.name + ":", edit)
            self.fields[p.name] = (p, edit)
        ok.setEnabled(True)

    def options(self) -> dict[str, Any]:
        """Typed keyword options; ValueError naming the field that does not parse."""
        out = {}
        for name, (param, edit) in self.fields.items():
            try:
                value = parse_option(param, edit.text())
            except ValueError:
                raise ValueError(f"{name}: {edit.text()!r} is not a valid value") from None
            if value is not inspect.Parameter.empty and not (
                value is None and param.default is None
            ):
                out[name] = value
        return out


class PluginsExtension:
    """The window's plugin menus (``window.extensions["plugins_ui"]``)."""

    def __init__(self, window: MainWindow):
        self.window = window
        reg = window.action_registry
        self.act_connect = reg.add(
            Action(
                "file.connect_plugin",
                "Connect to &Source Plugin…",
                "File",
                "5_live",
                5,
                self.connect_dialog,
                tip="Show telemetry from an installed source plugin",
            )
        )
        self._add_import_export(reg)
        reg.add(Action("help.plugins", "&Plugins…", "Help", "1_help", 1, self.show_plugins))
        self._add_colourings(reg)
        window.view.events.design_colouring.connect(self._on_colouring)
        window.frame_shown.connect(self._on_frame)

    def _add_import_export(self, reg) -> None:
        """File › Import and File › Export To: one item per installed importer or exporter
        (greyed out when there is none); titles are read when a menu opens."""
        self.import_menu = reg.add_submenu(Submenu("File/Import", "&Import", "3_export", 1))
        self.export_menu = reg.add_submenu(Submenu("File/Export To", "E&xport To", "3_export", 2))
        for i, name in enumerate(plugins.names(plugins.IMPORTERS)):
            reg.add(
                Action(
                    f"file.import.{name}",
                    f"{name}…",
                    "File/Import",
                    "1_plugins",
                    i,
                    lambda n=name: self.import_dialog(n),
                )
            )
        self.export_actions = [
            reg.add(
                Action(
                    f"file.export.{name}",
                    f"{name}…",
                    "File/Export To",
                    "1_plugins",
                    i,
                    lambda n=name: self.export_dialog(n),
                )
            )
            for i, name in enumerate(plugins.names(plugins.EXPORTERS))
        ]
        self.import_menu.aboutToShow.connect(lambda: _titles(self.import_menu, plugins.IMPORTERS))
        self.export_menu.aboutToShow.connect(lambda: _titles(self.export_menu, plugins.EXPORTERS))
        self.import_menu.setEnabled(bool(self.import_menu.actions()))
        self.export_menu.setEnabled(bool(self.export_actions))

    def _add_colourings(self, reg) -> None:
        """View › Colour By: one exclusive item per installed colour-mode plugin."""
        self.colour_actions: dict[str, QAction] = {
            name: reg.add(
                Action(
                    f"view.colour.{name}",
                    name,
                    "View/Colour By",
                    "2_plugins",
                    i,
                    lambda n=name: self.set_colouring(n),
                    exclusive="design_colouring",
                )
            )
            for i, name in enumerate(colour_modes.plugin_modes())
        }

    @property
    def colouring(self) -> str | None:
        """The plugin colour mode shown, if any."""
        name = self.window.view.design_colouring
        return name if name in self.colour_actions else None

    def _on_colouring(self, name: str) -> None:
        act = self.colour_actions.get(name)
        if act is not None and not act.isChecked():
            act.setChecked(True)

    # ------------------------------------------------------------------ help
    def show_plugins(self) -> PluginsDialog:
        dialog = PluginsDialog(self.window)
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ sources
    def connect_dialog(self) -> bool:
        w = self.window
        if w.facility is None:
            QMessageBox.information(w, "Connect", "Open a layout first.")
            return False
        dialog = SourcePluginDialog(w)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            try:
                options = dialog.options()
            except ValueError as exc:
                dialog.error.setText(str(exc))
                continue
            return self.connect(dialog.combo.currentText(), **options)
        return False

    def connect(self, name: str, **options: Any) -> bool:
        """Show the source plugin ``name`` on the open layout (errors in a message box)."""
        return bool(self.window.extensions["replay"].start_source(name, **options))

    # ------------------------------------------------------------------ import / export
    def import_dialog(self, name: str) -> Path | None:
        w = self.window
        try:
            importer = plugins.load(plugins.IMPORTERS, name)
        except plugins.PluginError as exc:
            QMessageBox.warning(w, "Import", str(exc))
            return None
        patterns = " ".join(f"*{e}" for e in importer.extensions)
        src, _ = QFileDialog.getOpenFileName(
            w, importer.title, "", f"{importer.title} ({patterns})"
        )
        if not src:
            return None
        out, _ = QFileDialog.getSaveFileName(
            w, "Save Layout As", str(Path(src).with_suffix(".yaml")), "Layout (*.yaml)"
        )
        return self.import_file(name, Path(src), Path(out)) if out else None

    def import_file(self, name: str, src: Path, out: Path) -> Path | None:
        """Import ``src`` with importer ``name``, write the layout to ``out`` and open it. As
        ``twin import``: never over ``src``; problems at the list's own rows when the importer
        places them (``read_layout``); the file name escaped in the header (a name with a line
        break would write YAML of its own); written only if the text loads back."""
        from twin.importing import (
            ImporterCrash,
            NotWritten,
            import_file,
            layout_header,
            verify_written,
        )
        from twin.model.atomic import check_target, write_text_atomic
        from twin.model.errors import LayoutError

        w = self.window
        try:
            check_target(out, inputs=(src,))
            text, facility = import_file(src, name)
            write_text_atomic(
                out, layout_header(src, by="Twin") + text, verify_written(out, facility)
            )
        except (
            ValueError, LayoutError, OSError, plugins.PluginError, ImporterCrash, NotWritten
        ) as exc:  # fmt: skip
            QMessageBox.warning(w, "Import", f"Cannot import {src.name}:\n{exc}")
            return None
        w.open_layout(out)
        return out

    def export_dialog(self, name: str) -> Path | None:
        w = self.window
        if w.facility is None:
            QMessageBox.information(w, "Export", "Open a layout first.")
            return None
        try:
            exporter = plugins.load(plugins.EXPORTERS, name)
        except plugins.PluginError as exc:
            QMessageBox.warning(w, "Export", str(exc))
            return None
        stem = w.facility.path.stem if w.facility.path else "twin"
        patterns = " ".join(f"*{e}" for e in exporter.extensions)
        out, _ = QFileDialog.getSaveFileName(
            w,
            f"Export {exporter.title}",
            stem + exporter.extensions[0],
            f"{exporter.title} ({patterns})",
        )
        return self.export_file(name, Path(out)) if out else None

    def export_file(self, name: str, out: Path) -> Path | None:
        """Write the open layout with exporter ``name``, with the frame on screen (if any) as
        its telemetry snapshot."""
        w = self.window
        exporter = plugins.load(plugins.EXPORTERS, name)
        frames = [w.last_frame] if exporter.takes_frames and w.last_frame is not None else []
        try:
            exporter.write(w.facility, out, frames)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is shown, never fatal
            plugins.registry.record_failure(plugins.EXPORTERS, name, exc)
            QMessageBox.warning(
                w, "Export", f"Cannot export {out.name}:\n{type(exc).__name__}: {exc}"
            )
            return None
        what = " with the telemetry on screen" if frames else ""
        w.statusBar().showMessage(f"Exported {out}{what}", 6000)
        return out

    # ------------------------------------------------------------------ colour modes
    def set_colouring(self, name: str) -> bool:
        """Colour by a colour-mode plugin (with the frame on screen, and each new one)."""
        w = self.window
        if w.scene is None:
            return False
        w.view.set_design_colouring(name)  # the window applies it (and says why if it fails)
        return w.view.design_colouring == name

    def _on_frame(self, frame) -> None:
        name = self.colouring
        if name is None or self.window.scene is None:
            return
        if not getattr(plugins.load(plugins.COLOUR_MODES, name), "uses_frame", False):
            return
        try:
            colour_modes.apply_mode(self.window.scene, name, frame)
        except ValueError:
            self.window.view.set_design_colouring("none")
        else:
            self.window.plotter.render()


def _titles(menu, group: str) -> None:
    """Name each plugin's action by its title once the menu opens (the plugin loads then);
    one that fails to load keeps its name, greyed, with the error as its tooltip."""
    for action in live_actions(menu):
        name = action.objectName().rsplit(".", 1)[-1]
        if name not in plugins.names(group):
            continue
        try:
            action.setText(f"{plugins.load(group, name).title} ({name})…")
        except plugins.PluginError as exc:
            action.setEnabled(False)
            action.setToolTip(str(exc))
        except AttributeError:
            pass


def install(window: MainWindow) -> PluginsExtension:
    return PluginsExtension(window)
