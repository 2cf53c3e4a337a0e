"""A ``QUndoStack`` over a document's own undo stack (``twin.model.history.UndoStack``).

Why two stacks: the model's stack is the truth (it does the edits, merges drag steps and knows
the saved state, and works without Qt); the ``QUndoStack`` gives the window Qt's Undo/Redo
actions and a ``QUndoView`` for free. Each ``QUndoCommand`` here stands for one model command:
it is pushed to the model first (so a refused edit never reaches the Qt history), and
``undo``/``redo`` step the model stack. Both stacks merge exactly the same pushes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from twin.model.document import LayoutDocument
from twin.model.edits import Command
from twin.model.errors import EditError

MERGE_ID = 1


class _QtCommand(QUndoCommand):
    def __init__(self, adapter: UndoAdapter, cmd: Command, merged: bool):
        super().__init__(cmd.text)
        self.adapter, self.cmd, self.merged = adapter, cmd, merged
        self._done_once = False

    def id(self) -> int:
        return MERGE_ID if self.cmd.merge_key is not None else -1

    def redo(self) -> None:
        if not self._done_once:  # the model already did it in UndoAdapter.push
            self._done_once = True
            return
        self.adapter.doc.history.redo()

    def undo(self) -> None:
        self.adapter.doc.history.undo()

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt name)
        if isinstance(other, _QtCommand) and other.merged:
            self.setText(self.cmd.text)
            return True
        return False


class UndoAdapter(QObject):
    """Push model commands; Qt's stack mirrors them. ``failed(message)`` when an edit is
    refused (the document is unchanged)."""

    failed = Signal(str)

    def __init__(self, doc: LayoutDocument, parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.stack = QUndoStack(self)
        doc.history.clean_changed.connect(self._model_clean)

    def _qt_may_merge(self, cmd: Command) -> bool:
        """What ``QUndoStack.push`` requires before it even asks the top command to merge."""
        s = self.stack
        i = s.index()
        if cmd.merge_key is None or i == 0 or i == s.cleanIndex():
            return False
        top = s.command(i - 1)
        return isinstance(top, _QtCommand) and top.cmd.merge_key is not None

    def push(self, cmd: Command) -> bool:
        """Do ``cmd``; False (and ``failed`` emitted) if the model refused it."""
        hist = self.doc.history
        if not self._qt_may_merge(cmd):
            hist.seal()  # Qt will add a new entry: the model must not merge either
        before = hist.index
        try:
            hist.push(cmd)
        except EditError as exc:
            self.failed.emit(str(exc))
            return False
        merged = hist.index == before and before > 0
        self.stack.push(_QtCommand(self, cmd, merged))
        return True

    def seal(self) -> None:
        """The next push starts a new undo step (end of a drag)."""
        self.doc.history.seal()

    def set_clean(self) -> None:
        self.stack.setClean()

    def _model_clean(self, clean: bool) -> None:
        if clean and not self.stack.isClean():
            self.stack.setClean()

    def detach(self) -> None:
        try:
            self.doc.history.clean_changed.disconnect(self._model_clean)
        except (TypeError, ValueError, RuntimeError):
            pass
        self.stack.clear()
