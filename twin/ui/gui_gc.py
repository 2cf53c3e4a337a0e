"""Python's cyclic garbage collection on the GUI thread only.

Why: the collector runs in whichever thread happens to allocate when a generation fills up.
When that is a worker (a telemetry source, the background solver) and the garbage holds VTK
objects (an interactor style of a closed plotter, kept in a cycle by an observer), their
destructors take VTK's garbage-collector lock while holding the GIL; if the GUI thread is
rendering at that moment, inside that lock, and VTK calls back into Python, it waits for the
GIL. Both wait for ever: the window freezes. Seen in the test suite under load (a worker
deleting a ``vtkInteractorStyleRubberBandPick`` while the main thread rendered labels).

So the automatic collector is switched off and run instead from a timer on the GUI thread
(pyqtgraph's ``GarbageCollector``, which does exactly this, with the same thresholds)."""

from __future__ import annotations

#: seconds between the GUI thread's checks of the collector's generation counts
INTERVAL_S = 0.5


def collect_on_gui_thread(app, interval_s: float = INTERVAL_S):
    """Make ``app``'s thread the only one that runs the cyclic collector (idempotent); the
    collector object is kept on the app so that it lives as long as the app."""
    collector = getattr(app, "_twin_gc", None)
    if collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        collector = GarbageCollector(interval=interval_s)
        app._twin_gc = collector
    return collector
