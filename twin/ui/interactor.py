"""Closing a pyvistaqt ``QtInteractor`` without leaving a dead Qt wrapper behind.

pyvistaqt keeps Python wrappers of the widget's GL context and of the context's ``QSurface``.
Qt deletes both with the widget, but a ``QSurface`` is not a ``QObject``: shiboken never hears of
its deletion and keeps the wrapper registered at that address for as long as the interactor's
Python object lives. The next Qt object allocated there (a menu's separator, say) then comes back
to Python as that dead ``QSurface``, and code that asks it ``isSeparator()`` fails."""

from __future__ import annotations

from pyvistaqt import QtInteractor


def close_interactor(plotter: QtInteractor) -> None:
    """Close the view (VTK releases its GL resources) and forget Qt's context and surface."""
    plotter.close()
    forget = getattr(plotter, "_forget_context", None)  # pyvistaqt >= 0.12 (a QOpenGLWidget)
    if forget is not None:
        forget()  # its own reset for a context Qt has deleted: context and surface -> None
