"""File › Open Recent: the last layouts opened, kept per user in QSettings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10


class RecentFiles:
    """Keeps ``settings['recent_files']`` and fills ``menu`` from it; ``open_path(p)`` runs
    when the user picks one."""

    def __init__(self, settings: QSettings, menu: QMenu, open_path: Callable[[str], None]):
        self.settings, self.menu, self.open_path = settings, menu, open_path
        self.refresh()

    def files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        files = [p] + [f for f in self.files() if f != p]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self.settings.sync()
        self.refresh()

    def clear(self) -> None:
        self.settings.setValue("recent_files", [])
        self.refresh()

    def refresh(self) -> None:
        self.menu.clear()
        files = self.files()
        for i, f in enumerate(files):
            act = self.menu.addAction(f"&{i + 1}  {Path(f).name}")
            act.setToolTip(f)
            act.setStatusTip(f)
            act.triggered.connect(lambda _c=False, p=f: self.open_path(p))
        if files:
            self.menu.addSeparator()
            self.menu.addAction("Clear Recent", self.clear)
        self.menu.setEnabled(bool(files))
