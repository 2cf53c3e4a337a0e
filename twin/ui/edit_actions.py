"""The editor's menu items, shortcuts and toolbar: Edit › Undo/Redo/Edit Layout, the edit
operations and Snap To, File › Save Layout / Save As, and the Edit toolbar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

if TYPE_CHECKING:
    from twin.ui.editor import Editor

SNAP_CHOICES = (0.0, 0.1, 0.3, 0.6, 1.2)
S = QKeySequence.StandardKey


class EditActions:
    """The actions of one editor, enabled as edit mode and the selection allow."""

    def __init__(self, editor: Editor):
        self.editor = editor
        w = editor.window
        self.undo = editor.group.createUndoAction(w, "&Undo")
        self.undo.setShortcut(S.Undo)
        self.redo = editor.group.createRedoAction(w, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.edit = self._act(
            "&Edit Layout", editor.set_active, "Ctrl+E", "Move, add and remove racks", True
        )
        ops, files = editor.ops, editor.files
        self.rotate = self._act("&Rotate 90°", lambda: ops.rotate(90.0), "R")
        self.rotate_back = self._act("Rotate −90°", lambda: ops.rotate(-90.0), "Shift+R")
        self.delete = self._act("&Delete Racks", ops.delete, S.Delete)
        self.duplicate = self._act("D&uplicate Racks", ops.duplicate, "Ctrl+D")
        self.align = self._act("&Align in Row", ops.align, "Ctrl+L")
        self.save = self._act("&Save Layout", files.save, S.Save, "Save the edited layout")
        self.save_as = self._act("Save Layout &As…", files.save_as_dialog, "Ctrl+Shift+S")
        self._build_edit_menu()
        self._build_file_menu()
        self._build_toolbar()

    def _act(self, text, slot, shortcut=None, tip="", checkable=False) -> QAction:
        a = QAction(text, self.editor.window)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.setStatusTip(tip)
        a.setCheckable(checkable)
        a.triggered.connect(slot)
        return a

    def _build_edit_menu(self) -> None:
        menu = self.editor.window.menus["Edit"]
        first = menu.actions()[0] if menu.actions() else None
        for a in (self.undo, self.redo, self.edit):
            menu.insertAction(first, a)
        menu.insertSeparator(first)
        menu.addSeparator()
        for a in (self.rotate, self.rotate_back, self.delete, self.duplicate, self.align):
            menu.addAction(a)
        self.snap_menu = menu.addMenu("S&nap To")
        group = QActionGroup(self.editor)
        self.snap: dict[float | None, QAction] = {}
        for pitch in (None, *SNAP_CHOICES):
            title = (
                "Floor tile pitch"
                if pitch is None
                else ("Off" if pitch == 0 else f"{pitch:g} m grid")
            )
            a = QAction(title, self.editor.window, checkable=True)
            a.triggered.connect(lambda _c=False, p=pitch: self.editor.set_pitch(p))
            group.addAction(a)
            self.snap_menu.addAction(a)
            self.snap[pitch] = a
        self.snap[None].setChecked(True)

    def _build_file_menu(self) -> None:
        w = self.editor.window
        anchor = w.act_export
        w.menus["File"].insertAction(anchor, self.save)
        w.menus["File"].insertAction(anchor, self.save_as)
        w.menus["File"].insertSeparator(anchor)

    def _build_toolbar(self) -> None:
        bar = self.editor.window.add_toolbar("Edit")
        for a in (
            self.edit,
            self.undo,
            self.redo,
            self.rotate,
            self.duplicate,
            self.delete,
            self.align,
            self.save,
        ):
            bar.addAction(a)

    def update(self) -> None:
        ed = self.editor
        has_layout = ed.window.facility is not None
        self.edit.setEnabled(has_layout)
        self.edit.setChecked(ed.active)
        sel = ed.active and bool(ed.selected)
        for a in (self.rotate, self.rotate_back, self.delete, self.duplicate):
            a.setEnabled(sel)
        self.align.setEnabled(ed.active and len(ed.selected) > 1)
        self.save.setEnabled(ed.doc is not None)
        self.save_as.setEnabled(ed.doc is not None or has_layout)

    def show_pitch(self, pitch_m: float | None) -> None:
        """Tick the Snap To item of this pitch (none when it is not one of the choices)."""
        if pitch_m is not None and pitch_m not in self.snap:
            for a in self.snap.values():
                a.setChecked(False)
        else:
            self.snap[pitch_m].setChecked(True)
