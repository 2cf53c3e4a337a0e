"""The thermal consequence of an edit: after each edit the hall is re-solved on the window's
solver service (debounced, so a drag costs one solve at its end) and the Edit panel and the
inspector show how the selected rack's inlet changed. The thermal view draws the same answer.

While a document is open for editing, every thermal request of the window solves a
``Snapshot`` of it (``HallJobs.freeze``): the GUI goes on editing the live facility while the
worker reads the copy.

The answer's thermal design rules go to the Problems panel; for a layout that declares N+1 or
2N cooling a second, later job fails each air unit of the hall in turn and adds "does not
survive the loss of X" (a new edit cancels it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from twin.model import units
from twin.physics import cells
from twin.physics.hall_jobs import BASELINE, DEBOUNCE_S, STEADY, Snapshot, ThermalAnswer

#: The redundancy check's key on the solver, and how long it waits after the answer it checks
#: (a burst of edits costs one check, after the last re-solve).
REDUNDANCY = "thermal.redundancy"
REDUNDANCY_DELAY_S = 1.0

if TYPE_CHECKING:
    from twin.model.document import LayoutDocument
    from twin.model.facility import Facility


def inlet_max(answer: ThermalAnswer) -> dict[str, float]:
    """Each solved rack's hottest inlet (°C) by rack id."""
    res = answer.result
    return {
        rid: float(v)
        for rid, v in zip(answer.facility.rack_ids, res.rack_inlet_max_c, strict=True)
        if np.isfinite(v)
    }


class EditThermal(QObject):
    """Inlet temperatures before and after the last edit, for one editor's document."""

    updated = Signal(object)  # ThermalResult of the latest edit (or the baseline)

    def __init__(self, window, enabled: bool = True):
        super().__init__(window)
        self.window = window
        self.relay = window.solver
        self.enabled = enabled
        self.doc: LayoutDocument | None = None
        self.hall = 0  # the hall re-solved: the selected rack's
        self.before: dict[str, float] | None = None
        self.after: dict[str, float] | None = None
        self.error = ""
        self.off = ""
        #: the latest answer's hall is overloaded: its inlets hold the units' set supply
        self.overloaded = False
        #: thermal design rules of the latest answer (twin.physics.thermal_checks)
        self.rules: list = []
        #: the N+1 / 2N check of the latest answer: units whose loss the hall does not survive
        self.redundancy: list = []
        self.redundancy_error = ""
        self._snapshot: Snapshot | None = None  # of the document as it is now
        self._edited = False  # since attach
        self.relay.solved.connect(self._on_answer)
        self.relay.failed.connect(self._on_failure)
        self.relay.done.connect(self._on_done)

    @property
    def problems(self) -> list:
        """Every thermal problem of the document as it is now."""
        return self.rules + self.redundancy

    # ------------------------------------------------------------------ document
    def attach(self, doc: LayoutDocument) -> None:
        self.doc = doc
        self.before = self.after = None
        self.rules, self.redundancy = [], []
        self._snapshot = None
        self._edited = False
        self.relay.jobs.freeze = self._freeze

    def detach(self) -> None:
        self.doc = None
        self._snapshot = None
        self.relay.cancel(BASELINE)
        self.relay.cancel(REDUNDANCY)
        if self.relay.jobs.freeze == self._freeze:
            self.relay.jobs.freeze = None

    def _freeze(self, facility: Facility) -> Snapshot | None:
        """A copy of the document for the worker (the same one until the next edit)."""
        doc = self.doc
        if doc is None or facility is not doc.facility:
            return None
        if self._snapshot is None:
            self._snapshot = Snapshot.of(doc.facility)
        return self._snapshot

    # ------------------------------------------------------------------ asking
    @property
    def busy(self) -> bool:
        return self.relay.busy(STEADY) or self.relay.busy(BASELINE)

    @property
    def checking_redundancy(self) -> bool:
        return self.relay.busy(REDUNDANCY)

    def solvable_hall(self, selected: list[str]) -> int | None:
        """The hall to re-solve (the selected rack's), or None when it is too large to
        re-solve per edit at the window's cell size."""
        fac = self.doc.facility
        if not len(fac.hall_ids):
            return None
        h = 0
        if selected and selected[-1] in fac.rack_index:
            h = int(fac.rack_hall[fac.rack_index[selected[-1]]])
        cell = self.relay.jobs.settings.cell_for(fac, h)
        return h if cells.resolves_per_edit(fac, h, cell) else None

    def edited(self, selected: list[str]) -> None:
        """The document changed: solve its new state once the edits pause."""
        self._snapshot = None
        self._edited = True
        self.relay.cancel(REDUNDANCY)  # of the state before this edit
        self.redundancy, self.redundancy_error = [], ""
        if self.enabled and self.doc is not None:
            self._ask(selected, STEADY, DEBOUNCE_S)

    def baseline(self, selected: list[str]) -> None:
        """The state before the first edit: the last answer when it is of this state,
        else a solve of it now."""
        if not self.enabled or self.doc is None:
            return
        last = self.relay.last
        if last is not None and self._current(last) and not last.stepped:
            hall = self.solvable_hall(selected)
            if hall is not None and last.request.hall == hall:
                self._take(last)
                return
        self._ask(selected, BASELINE, 0.0)

    def _ask(self, selected: list[str], key: str, delay_s: float) -> None:
        hall = self.solvable_hall(selected)
        if hall is None:
            self.error = ""
            self.off = "Thermal re-solve off: this hall is too large to re-solve per edit"
            return
        self.off = ""
        self.hall = hall
        # the solver's modules load here, on the GUI thread: a first import on the worker
        # can deadlock on the import lock against the GUI thread importing something lazily
        import twin.physics.model  # noqa: F401

        self.relay.request(self.doc.facility, hall, key=key, delay_s=delay_s)

    # ------------------------------------------------------------------ answers
    def _current(self, answer: ThermalAnswer) -> bool:
        """Whether the answer is of the document as it is now."""
        doc = self.doc
        req = answer.request.facility
        if doc is None:
            return False
        if isinstance(req, Snapshot):
            return req is self._snapshot
        return req is doc.facility and not self._edited

    def _on_answer(self, answer: ThermalAnswer) -> None:
        doc = self.doc
        if doc is None or answer.source is not doc.facility:
            return
        if answer.key not in (STEADY, BASELINE) or answer.stepped:
            return
        self._take(answer)

    def _take(self, answer: ThermalAnswer) -> None:
        from twin.physics.thermal_checks import thermal_violations

        self.error = ""
        if self.after is not None:
            self.before = self.after
        self.after = inlet_max(answer)
        self.overloaded = bool(answer.result.overloaded)
        self.rules = list(thermal_violations(answer.facility, answer.result))
        self.redundancy, self.redundancy_error = [], ""
        self._check_redundancy(answer)
        self.updated.emit(answer.result)

    def _check_redundancy(self, answer: ThermalAnswer) -> None:
        """For N+1 / 2N cooling: fail each air unit of the answer's hall in turn, later, on
        the solver (its own model, so the view's answer and stepping are left alone)."""
        fac, req = answer.facility, answer.request
        if fac.layout.cooling_redundancy == "N":
            return
        warm = answer.result.warm

        def check(token):
            from twin.physics.model import ThermalModel
            from twin.physics.thermal_checks import unit_loss_violations

            token.check()
            model = ThermalModel(fac, req.hall, req.cell_m, req.failed, warm_start=warm)
            return unit_loss_violations(fac, model, progress=lambda _k, _n: token.check())

        self.relay.submit(REDUNDANCY, check, delay_s=REDUNDANCY_DELAY_S, tag=answer)

    def _on_done(self, outcome) -> None:
        if outcome.key != REDUNDANCY or self.doc is None or not self._current(outcome.tag):
            return
        if outcome.error:
            self.redundancy_error = outcome.error
        else:
            self.redundancy = list(outcome.value)
        self.updated.emit(outcome.tag.result)

    def _on_failure(self, outcome) -> None:
        if self.doc is not None and outcome.key in (STEADY, BASELINE):
            self.error = outcome.error
            # the last answer's rules no longer hold: the failed solve is the hall's problem
            # (a hall with no possible steady state, as the design check says it)
            from twin.model.checks.base import Violation
            from twin.model.errors import field_path
            from twin.physics.thermal_checks import hall_said

            hall = self.doc.facility.hall_ids[self.hall]
            said = hall_said(hall, outcome.error)  # the physics' own words name the hall
            self.rules = [
                Violation(
                    "thermal-solve",
                    "error",
                    said or f"hall {hall!r}: the thermal solve failed: {outcome.error}",
                    (hall,),
                    field_path(("halls", self.hall)),
                )
            ]
            self.redundancy, self.redundancy_error = [], ""
            self.updated.emit(None)

    # ------------------------------------------------------------------ text
    def text(self, selected: list[str]) -> str:
        """The Edit panel's lines: the selected rack's inlet before and after the last edit,
        the hottest inlet, and whether a re-solve runs."""
        if not self.enabled:
            return "Thermal re-solve off"
        if self.off:
            return self.off
        if self.error:
            return f"Thermal solve failed: {self.error}"
        after = self.after
        if after is None:
            return "Solving airflow and heat…" if self.busy else ""
        rid = selected[-1] if selected else None
        lines = []
        if rid is not None and rid in after:
            lines.append(f"Inlet of {rid}: {self.change(rid)}")
        elif rid is not None:
            lines.append(f"No inlet figure for {rid} (outside the solved hall, or inside a solid)")
        if after:
            hottest = max(after, key=after.get)
            lines.append(f"Hottest inlet: {hottest} {after[hottest]:.1f} °C")
        if self.overloaded:  # the figures hold a supply the units cannot (Problems says why)
            lines.append("No steady state: the inlets run hotter than shown")
        if self.busy:
            lines.append("Re-solving…")
        elif self.checking_redundancy:
            lines.append("Checking the hall survives the loss of each air unit…")
        elif self.redundancy_error:
            lines.append(f"Redundancy check failed: {self.redundancy_error}")
        return "\n".join(lines)

    def change(self, rack_id: str) -> str | None:
        """ "before → after °C (±d K)" for a rack, or just "after °C" with no before."""
        after = (self.after or {}).get(rack_id)
        if after is None:
            return None
        before = (self.before or {}).get(rack_id)
        if before is None:
            return f"{after:.1f} °C"
        return f"{before:.1f} → {after:.1f} °C ({units.signed_text(after - before)} K)"
