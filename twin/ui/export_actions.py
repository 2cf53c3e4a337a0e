"""File menu exports that need a recording: the incident report (self-contained HTML) and the
history of the selected item as CSV or Parquet. (The 3D view as PNG is File › Export Image….)"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from twin.model.frame import METRICS

#: every kind a recording keeps a history of
HISTORY_KINDS = tuple(METRICS)


class Exports:
    """The export actions of one window."""

    def __init__(self, window) -> None:
        self.window = window
        from twin.ui.actions import Action

        reg = window.action_registry
        self.act_report = reg.add(
            Action(
                "file.export_report",
                "Export Incident &Report…",
                "File",
                "3_export",
                1,
                self.report_dialog,
                tip="Write the open recording's incident report as one HTML file",
            )
        )
        self.act_history = reg.add(
            Action(
                "file.export_history",
                "Export Selection &History…",
                "File",
                "3_export",
                2,
                self.history_dialog,
                tip="Write the selected item's recorded history as CSV or Parquet",
            )
        )

    def _selection(self) -> tuple[str, int] | None:
        sel = self.window.view.selection
        return None if sel is None else (sel.kind, sel.index)

    def _recording(self):
        replay = getattr(self.window.extensions.get("replay"), "replay", None)
        return None if replay is None else replay.recording

    def _need_recording(self):
        rec = self._recording()
        if rec is None:
            QMessageBox.information(
                self.window, "Export", "Open a recording first (File › Open Recording…)."
            )
        return rec

    # ------------------------------------------------------------------ report
    def report_dialog(self) -> None:
        rec = self._need_recording()
        if rec is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Export Incident Report",
            str(Path(rec.path).with_suffix(".html")),
            "HTML (*.html)",
        )
        if path:
            self.export_report(path)

    def export_report(self, path: str | Path, snapshots: bool = True) -> str:
        """Write the report of the open recording; returns the status message shown."""
        from twin.render.offscreen import png_snapshot
        from twin.report import build_report

        rec = self._recording()
        if rec is None:
            raise ValueError("no recording is open")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            snap = png_snapshot() if snapshots else None
            info = build_report(rec, path, snap, self.window.facility)
        finally:
            QApplication.restoreOverrideCursor()
        msg = f"Incident report written to {info.path} ({info.snapshots} snapshots)"
        self.window.statusBar().showMessage(msg, 6000)
        return msg

    # ------------------------------------------------------------------ history
    def history_dialog(self) -> None:
        rec = self._need_recording()
        sel = self._selection()
        if rec is None:
            return
        if sel is None or sel[0] not in HISTORY_KINDS:
            QMessageBox.information(
                self.window,
                "Export",
                "Select a GPU, rack, air unit, CDU, power device or sensor first.",
            )
            return
        from twin.ui.describe import item_id

        name = item_id(self.window.facility, *sel).replace("/", "_")
        from twin.recording.history_export import FORMATS

        filters = ";;".join(f"{fmt} (*{suffix})" for suffix, fmt in FORMATS.items())
        path, chosen = QFileDialog.getSaveFileName(
            self.window, "Export Selection History", f"{name}.csv", filters
        )
        if not path:
            return
        if Path(path).suffix.lower() not in FORMATS:  # no suffix typed: the chosen filter's
            path += next((s for s, f in FORMATS.items() if chosen.startswith(f)), ".csv")
        try:
            self.export_history(path)
        except (OSError, ValueError, KeyError) as exc:  # KeyError: not in this recording
            QMessageBox.warning(self.window, "Export Selection History", str(exc))

    def export_history(self, path: str | Path) -> int:
        """Write the selected item's whole recorded history (CSV or Parquet, by ``path``'s
        suffix); returns the number of rows."""
        from twin.recording.history_export import history_table, write_history
        from twin.ui.describe import item_id

        rec = self._recording()
        kind, index = self._selection()
        table = history_table(rec, kind, index, item_id(self.window.facility, kind, index))
        n = write_history(table, path)
        self.window.statusBar().showMessage(f"{n} rows written to {path}", 6000)
        return n


def install(window) -> Exports:
    return Exports(window)
