"""Starting the desktop app: display check, Qt application, dark engineering style."""

from __future__ import annotations

import os
import sys


def has_display() -> bool:
    """Whether a window can open: always on Windows/macOS, on Linux only with X or Wayland."""
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def apply_style(app) -> None:
    """Fusion with a dark palette that matches the 3D view."""
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    p = QPalette()
    roles = QPalette.ColorRole
    colours = {
        roles.Window: "#2b2f36",
        roles.WindowText: "#e6e9ed",
        roles.Base: "#1f2329",
        roles.AlternateBase: "#262a31",
        roles.ToolTipBase: "#1f2329",
        roles.ToolTipText: "#e6e9ed",
        roles.Text: "#e6e9ed",
        roles.Button: "#333842",
        roles.ButtonText: "#e6e9ed",
        roles.BrightText: "#ff5c5c",
        roles.Link: "#5fb8ff",
        roles.Highlight: "#1f6fb2",
        roles.HighlightedText: "#ffffff",
        roles.PlaceholderText: "#8a929c",
    }
    for role, colour in colours.items():
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Text, QColor("#6b727c"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.ButtonText, QColor("#6b727c"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.WindowText, QColor("#6b727c"))
    app.setPalette(p)
    app.setStyleSheet(
        "QDockWidget::title { background: #333842; padding: 4px; }"
        "QStatusBar QLabel { padding: 0 6px; }"
        "QToolBar { border: none; spacing: 4px; }"
    )


def _set_icon(app) -> None:
    from PySide6.QtGui import QIcon

    from twin.model.catalog import assets_dir

    icon = assets_dir() / "icons" / "twin.svg"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))


def application():
    """The QApplication, created once with Twin's names and style."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setOrganizationName("Twin")
        app.setApplicationName("Twin")
        app.setDesktopFileName("twin")  # matches the installed twin.desktop (taskbar icon)
        _set_icon(app)
        apply_style(app)
        from twin.ui.gui_gc import collect_on_gui_thread

        collect_on_gui_thread(app)  # the app Twin starts: collect garbage on its thread only
    return app
