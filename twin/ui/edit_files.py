"""The editor's files: atomic saves (a layout the loader would refuse is not saved), the
autosave tick, the unsaved-changes question, and crash recovery offered at start and when a
layout with a recovery file is opened."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from twin.model.errors import LayoutError
from twin.model.recovery import Recovery
from twin.model.save import ChangedOnDisk, SaveError
from twin.model.save import save as save_document

if TYPE_CHECKING:
    from twin.ui.editor import Editor

Button = QMessageBox.StandardButton


class EditFiles:
    """Saving and recovery for one editor (its ``doc``, ``undo`` and ``store``)."""

    def __init__(self, editor: Editor):
        self.editor = editor
        self.recovery_box: QMessageBox | None = None
        self.recover_button = None
        self.save_error_box: QMessageBox | None = None

    @property
    def window(self):
        return self.editor.window

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        """Save to the document's file (Save As when it has none)."""
        ed = self.editor
        if ed.doc is None:
            if self.window.facility is None:
                return False
            ed.ensure_document()
        if ed.doc.path is None:
            return self.save_as_dialog()
        return self.save_as(None)

    def save_as_dialog(self) -> bool:
        ed = self.editor
        if ed.doc is None and self.window.facility is not None:
            ed.ensure_document()
        if ed.doc is None:
            return False
        start = str(ed.doc.path) if ed.doc.path else "layout.yaml"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save Layout As", start, "Twin layouts (*.yaml *.yml)"
        )
        return self.save_as(path) if path else False

    def save_as(self, path) -> bool:
        """Save atomically (``None``: the current file). On failure the file is unchanged and
        the reasons are shown."""
        ed = self.editor
        doc = ed.doc
        try:
            try:
                target = save_document(doc, path)
            except ChangedOnDisk as exc:
                if not ed.ask_overwrite_changed(str(exc)):
                    ed.status("Not saved: the file was changed on disk", 6000)
                    return False
                target = save_document(doc, path, overwrite_changed=True)
        except SaveError as exc:
            self._show_save_error(exc)
            return False
        doc.facility.path = target
        ed.undo.set_clean()
        ed.store.discard(doc)
        ed.update_title()
        ed.update_actions()
        ed.status(f"Saved {target}")
        return True

    def _show_save_error(self, exc: SaveError) -> None:
        detail = "\n".join(str(p) for p in exc.problems[:20])
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Layout not saved", str(exc), Button.Ok, self.window
        )
        box.setObjectName("save_error_box")
        if detail:
            box.setDetailedText(detail)
            box.setInformativeText(detail if len(detail) < 800 else detail[:800] + "…")
        box.open()
        self.save_error_box = box
        self.editor.status(str(exc), 6000)

    def autosave_tick(self) -> bool:
        """Write the recovery file if due (the timer calls this every few seconds)."""
        autosaver = self.editor.autosaver
        if autosaver is None:
            return False
        try:
            return autosaver.tick()
        except OSError as exc:
            self.editor.status(f"Autosave failed: {exc}", 6000)
            return False

    # ------------------------------------------------------------------ unsaved work
    def confirm_discard(self) -> bool:
        """True when the current edits may go (saved, discarded or none)."""
        ed = self.editor
        if ed.doc is None or not ed.doc.dirty:
            return True
        answer = ed.ask_unsaved()
        if answer == Button.Cancel:
            return False
        if answer == Button.Save:
            return self.save()
        ed.store.discard(ed.doc)
        return True

    def close_boxes(self) -> None:
        for box in (self.recovery_box, self.save_error_box):
            if box is not None:
                box.close()

    # ------------------------------------------------------------------ recovery
    def offer_crashed(self) -> None:
        """At start: offer the newest recovery left by a process that is gone."""
        if self.window.facility is not None or self.recovery_box is not None:
            return
        entries = self.editor.store.crashed()
        if entries:
            self.offer_recovery(entries[0])

    def offer_pending(self, facility) -> None:
        """On opening a layout: offer its recovery file, if it has one."""
        if facility.path is not None and self.recovery_box is None:
            entry = self.editor.store.pending(facility.path)
            if entry is not None:
                self.offer_recovery(entry)

    def offer_recovery(self, entry: Recovery) -> None:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))
        what = entry.layout_path.name if entry.layout_path else (entry.name or "an untitled layout")
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Recover unsaved changes?",
            f"Twin stopped with unsaved changes to {what} (autosaved {when}).",
            Button.NoButton,
            self.window,
        )
        box.setInformativeText("Recover them, or discard the recovery file?")
        box.setObjectName("recovery_box")
        self.recover_button = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(self.recover_button)

        def finished(_result: int) -> None:
            clicked = box.clickedButton()
            self.recovery_box = None
            role = box.buttonRole(clicked) if clicked is not None else None
            if role == QMessageBox.ButtonRole.AcceptRole:
                self.recover(entry)
            elif role == QMessageBox.ButtonRole.DestructiveRole:
                self.editor.store.discard(entry)
            box.deleteLater()

        box.finished.connect(finished)
        self.recovery_box = box
        box.open()

    def recover(self, entry: Recovery) -> bool:
        """Show a recovered document (dirty, in edit mode)."""
        ed = self.editor
        try:
            doc = ed.store.recover(entry)
        except (LayoutError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot recover", str(exc))
            return False
        ed.detach()
        ed.show_facility(doc.facility)
        ed.attach(doc)
        ed.set_active(True)
        ed.status(f"Recovered unsaved changes to {doc.layout.name}")
        return True
