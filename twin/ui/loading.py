"""Layout loading off the GUI thread: parse, validate and build the Facility (and its design
loads) in a pool thread, then hand the result back through a queued signal."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from twin.model.errors import LayoutError
from twin.model.loader import load_layout
from twin.ui.describe import Loads


class _Signals(QObject):
    loaded = Signal(object, object, object)  # path, facility, loads
    failed = Signal(object, str)  # path, message


class _Job(QRunnable):
    def __init__(self, path: Path, signals: _Signals):
        super().__init__()
        self.path = path
        self.signals = signals

    def run(self) -> None:
        try:
            facility = load_layout(self.path)
            loads = Loads.of(facility)
        except LayoutError as exc:
            self.signals.failed.emit(self.path, str(exc))
            return
        except Exception as exc:  # a loader bug must not kill the app: report it
            self.signals.failed.emit(self.path, f"{type(exc).__name__}: {exc}")
            return
        self.signals.loaded.emit(self.path, facility, loads)


class LayoutLoader(QObject):
    """``load(path)`` starts a background load; ``loaded(path, facility, loads)`` or
    ``failed(path, message)`` follows on the GUI thread."""

    loaded = Signal(object, object, object)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._signals = _Signals()
        self._signals.loaded.connect(self.loaded)
        self._signals.failed.connect(self.failed)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

    def load(self, path: str | Path) -> None:
        self.pool.start(_Job(Path(path), self._signals))

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
