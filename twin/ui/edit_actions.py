"""The editor's actions, declared on the window's action registry (``twin.ui.actions``):
Edit › Undo/Redo/Edit Layout, the edit operations and Snap To, File › Save Layout / Save As,
and the Edit toolbar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from twin.ui.actions import Action, Submenu

if TYPE_CHECKING:
    from twin.ui.editor import Editor

SNAP_CHOICES = (0.0, 0.1, 0.3, 0.6, 1.2)
S = QKeySequence.StandardKey
#: Edit menu groups: undo and edit mode first, the window's selection items, then the edits.
UNDO, EDITS = "1_undo", "5_edit"


class EditActions:
    """The actions of one editor, enabled as edit mode and the selection allow."""

    def __init__(self, editor: Editor):
        self.editor = editor
        self.registry = editor.window.action_registry
        group = editor.group
        self.undo = self._add("edit.undo", "&Undo", "Edit", UNDO, 0, group.undo, S.Undo, bar=1)
        self.redo = self._add("edit.redo", "&Redo", "Edit", UNDO, 1, group.redo, bar=2)
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self._follow_undo_group()
        self.edit = self._add(
            "edit.edit_layout", "&Edit Layout", "Edit", UNDO, 2, None, "Ctrl+E", bar=0,
            tip="Move, add and remove racks", checkable=True,
        )  # fmt: skip
        self.edit.triggered.connect(editor.set_active)  # (the checked state, not toggled)
        self._edit_operations()
        files = editor.files
        self.save = self._add(
            "file.save", "&Save Layout", "File", "2_save", 0, files.save, S.Save, bar=7,
            tip="Save the edited layout",
        )  # fmt: skip
        self.save_as = self._add(
            "file.save_as", "Save Layout &As…", "File", "2_save", 1, files.save_as_dialog,
            "Ctrl+Shift+S",
        )  # fmt: skip
        self._snap_menu(self.registry)

    def _add(self, aid, title, menu, group, order, slot, shortcut=None, bar=None, **kw):
        if bar is not None:
            kw.update(toolbar="Edit", toolbar_order=bar)
        return self.registry.add(Action(aid, title, menu, group, order, slot, shortcut, **kw))

    def _edit_operations(self) -> None:
        ops = self.editor.ops
        for order, (name, title, slot, shortcut, bar) in enumerate(
            (
                ("rotate", "&Rotate 90°", lambda: ops.rotate(90.0), "R", 3),
                ("rotate_back", "Rotate −90°", lambda: ops.rotate(-90.0), "Shift+R", None),
                ("delete", "&Delete Racks", ops.delete, S.Delete, 5),
                ("duplicate", "D&uplicate Racks", ops.duplicate, "Ctrl+D", 4),
                ("align", "&Align in Row", ops.align, "Ctrl+L", 6),
            )
        ):
            act = self._add(f"edit.{name}", title, "Edit", EDITS, order, slot, shortcut, bar=bar)
            setattr(self, name, act)

    def _follow_undo_group(self) -> None:
        """Undo/Redo say what they undo and are enabled only when there is something."""
        group = self.editor.group
        self.undo.setEnabled(group.canUndo())
        self.redo.setEnabled(group.canRedo())
        group.canUndoChanged.connect(self.undo.setEnabled)
        group.canRedoChanged.connect(self.redo.setEnabled)
        group.undoTextChanged.connect(lambda t: self.undo.setText(f"&Undo {t}".rstrip()))
        group.redoTextChanged.connect(lambda t: self.redo.setText(f"&Redo {t}".rstrip()))

    def _snap_menu(self, reg) -> None:
        reg.add_submenu(Submenu("Edit/Snap To", "S&nap To", EDITS, 9))
        self.snap: dict[float | None, QAction] = {}
        for order, pitch in enumerate((None, *SNAP_CHOICES)):
            title = (
                "Floor tile pitch"
                if pitch is None
                else ("Off" if pitch == 0 else f"{pitch:g} m grid")
            )
            aid = "edit.snap." + ("tile" if pitch is None else f"{pitch:g}")
            self.snap[pitch] = reg.add(
                Action(
                    aid,
                    title,
                    "Edit/Snap To",
                    "1_pitch",
                    order,
                    lambda p=pitch: self.editor.set_pitch(p),
                    exclusive="edit.snap",
                    checked=pitch is None,
                )
            )

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
            group = self.snap[None].actionGroup()
            group.setExclusive(False)
            for a in self.snap.values():
                a.setChecked(False)
            group.setExclusive(True)
        else:
            self.snap[pitch_m].setChecked(True)
