"""The undo history of a layout document: commands done so far, with undo/redo, merging and a
clean (saved) point. Kept apart from the commands themselves (``twin.model.edits``) so the
document owns a history without importing the edits that act on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psygnal import Signal

if TYPE_CHECKING:
    from twin.model.document import LayoutDocument
    from twin.model.edits import Command


class UndoStack:
    """Commands done so far, with undo/redo, merging and a clean (saved) point.

    Signals: ``changed()`` after push/undo/redo; ``clean_changed(bool)``.
    """

    changed = Signal()
    clean_changed = Signal(bool)

    def __init__(self, doc: LayoutDocument):
        self.doc = doc
        self.commands: list[Command] = []
        self.index = 0  # commands[:index] are done
        self.clean_index: int | None = 0  # None: no state in the history is the saved one
        self._sealed = False

    # state
    @property
    def is_clean(self) -> bool:
        return self.clean_index == self.index

    @property
    def can_undo(self) -> bool:
        return self.index > 0

    @property
    def can_redo(self) -> bool:
        return self.index < len(self.commands)

    @property
    def undo_text(self) -> str:
        return self.commands[self.index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self.commands[self.index].text if self.can_redo else ""

    def _after(self, was_clean: bool) -> None:
        self.changed.emit()
        if self.is_clean != was_clean:
            self.clean_changed.emit(self.is_clean)
            self.doc.dirty_changed.emit(not self.is_clean)

    # operations
    def push(self, cmd: Command) -> Command:
        """Do ``cmd`` and record it (or merge it into the previous one). If it raises
        ``EditError`` nothing is recorded and the document is unchanged."""
        was_clean = self.is_clean
        cmd.do(self.doc)
        del self.commands[self.index :]
        if self.clean_index is not None and self.clean_index > self.index:
            self.clean_index = None
        top = self.commands[-1] if self.commands else None
        if top is not None and not self._sealed and top.merge_with(cmd):
            if self.clean_index == self.index:
                self.clean_index = None  # the saved state was the one before the merge
        else:
            self.commands.append(cmd)
            self.index += 1
        self._sealed = False
        self._after(was_clean)
        return cmd

    def seal(self) -> None:
        """End merging: the next command starts a new undo step (call on mouse release)."""
        self._sealed = True

    def undo(self) -> None:
        if not self.can_undo:
            return
        was_clean = self.is_clean
        self.commands[self.index - 1].undo(self.doc)
        self.index -= 1
        self._sealed = True
        self._after(was_clean)

    def redo(self) -> None:
        if not self.can_redo:
            return
        was_clean = self.is_clean
        self.commands[self.index].do(self.doc)
        self.index += 1
        self._sealed = True
        self._after(was_clean)

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        was_clean = self.is_clean
        self.clean_index = self.index
        self._sealed = True
        self._after(was_clean)

    def set_dirty(self) -> None:
        """Mark that no state in the history is saved (e.g. a recovered document)."""
        was_clean = self.is_clean
        self.clean_index = None
        self._after(was_clean)

    def clear(self) -> None:
        was_clean = self.is_clean
        self.commands.clear()
        self.index = 0
        self.clean_index = 0 if was_clean else None
        self._after(was_clean)
