"""The window's end of the solver service: thermal requests go out through ``HallJobs`` and
the answers come back on the GUI thread, newest only, as Qt signals that the editor and the
thermal view both listen to.

The service emits on its worker thread; ``_arrived`` is connected queued to this object (which
lives on the GUI thread), so listeners run on the GUI thread whatever they are. An answer whose
key was asked again meanwhile is dropped here: the newer request's answer follows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from twin.physics.hall_jobs import HallJobs, ThermalAnswer, ThermalRequest
from twin.physics.solver_service import Job, Outcome, SolverService


class SolverRelay(QObject):
    """One per window (``window.solver``): ``jobs`` to ask for thermal solves and
    ``solved``/``failed`` to hear them; ``submit`` any other job and hear it in ``done``."""

    solved = Signal(object)  # ThermalAnswer
    failed = Signal(object)  # Outcome of a thermal request (``error``; ``tag`` its request)
    done = Signal(object)  # Outcome of every job delivered (thermal or not)
    asked = Signal(object)  # Job, as it is submitted
    _arrived = Signal(object)  # Outcome, emitted on the worker thread

    def __init__(self, parent: QObject | None = None, service: SolverService | None = None):
        super().__init__(parent)
        self.service = service if service is not None else SolverService("twin-solver")
        self.jobs = HallJobs(self.service)
        self._awaiting: dict[Any, Job] = {}
        #: the last answer delivered (the editor takes its baseline from it when it is current)
        self.last: ThermalAnswer | None = None
        self._arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.service.finished.connect(self._from_worker)
        self.service.failed.connect(self._from_worker)

    def request(self, facility, hall: int, **options: Any) -> Job | None:
        """``HallJobs.request``, remembered until its answer is delivered."""
        return self._track(self.jobs.request(facility, hall, **options))

    def submit(
        self, key: Any, fn, *, delay_s: float = 0.0, tag: Any = None, background: bool = False
    ) -> Job | None:
        """Any job ``fn(token)`` on the window's solver; its ``Outcome`` comes in ``done``.
        ``background``: a long job (a sweep, a search, a fit) that the thermal view's and the
        editor's solves do not wait behind (``SolverService``)."""
        return self._track(
            self.service.submit(key, fn, delay_s=delay_s, tag=tag, background=background)
        )

    def _track(self, job: Job | None) -> Job | None:
        if job is not None:
            self._awaiting[job.key] = job
            self.asked.emit(job)
        return job

    def awaiting(self, key: Any) -> Job | None:
        """The job of ``key`` whose answer is still to come, if any."""
        return self._awaiting.get(key)

    def busy(self, key: Any = None) -> bool:
        """Whether an answer (of ``key``) is still to come."""
        return bool(self._awaiting) if key is None else key in self._awaiting

    def cancel(self, key: Any = None) -> None:
        self.service.cancel(key)
        if key is None:
            self._awaiting.clear()
        else:
            self._awaiting.pop(key, None)

    def shutdown(self) -> None:
        """No more answers: the running solve ends in its daemon thread, unheeded."""
        self.service.shutdown()
        self._awaiting.clear()

    def _from_worker(self, outcome: Outcome) -> None:
        self._arrived.emit(outcome)

    def _deliver(self, outcome: Outcome) -> None:
        job = outcome.job
        current = self._awaiting.get(job.key) is job and self.service.is_current(job)
        if not current and not (job.keep_running and job.key in self._awaiting):
            return  # asked again (or cancelled) since: that answer follows
        if current:
            del self._awaiting[job.key]
        self.done.emit(outcome)
        if not isinstance(job.tag, ThermalRequest):
            return
        if outcome.error:
            self.failed.emit(outcome)
        else:
            self.last = outcome.value
            self.solved.emit(outcome.value)
