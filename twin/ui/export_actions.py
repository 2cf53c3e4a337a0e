"""File menu exports that need a recording: the incident report (self-contained HTML) and the
history of the selected item as CSV. (The 3D view as PNG is File › Export Image….)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

HISTORY_KINDS = ("gpu", "rack", "air_unit", "cdu", "power")


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
                "Export Selection &History (CSV)…",
                "File",
                "3_export",
                2,
                self.history_dialog,
                tip="Write the selected item's recorded history as CSV",
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
                self.window, "Export", "Select a GPU, rack, air unit, CDU or power device first."
            )
            return
        from twin.ui.describe import item_id

        name = item_id(self.window.facility, *sel).replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export Selection History", f"{name}.csv", "CSV (*.csv)"
        )
        if path:
            self.export_history(path)

    def export_history(self, path: str | Path) -> int:
        """Write the selected item's whole recorded history; returns the number of rows."""
        from twin.whatif.export import write_csv

        rec = self._recording()
        kind, index = self._selection()
        times, values = rec.history(kind, index)
        names = list(values)
        rows = [
            {
                "time_utc": dt.datetime.fromtimestamp(float(t), dt.UTC).isoformat(),
                "t_s": round(float(t) - rec.start_s, 3),
                **{
                    n: (None if v != v else float(v)) for n, v in ((n, values[n][k]) for n in names)
                },
            }
            for k, t in enumerate(times)
        ]
        write_csv(path, rows)
        self.window.statusBar().showMessage(f"{len(rows)} rows written to {path}", 6000)
        return len(rows)


def install(window) -> Exports:
    return Exports(window)
