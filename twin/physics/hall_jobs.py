"""The thermal solves of one window, on the solver service: every asker (the editor after an
edit, the thermal view for its overlays, replay and live frames) describes the whole state it
wants solved in one ``ThermalRequest``, and every listener gets every answer, so one edit costs
one solve however many views show it.

``HallSolver`` lives on the worker thread: it keeps one ``ThermalModel`` and reuses it while
only the failed units or the loads change (same grid, same multigrid hierarchy), warm-starts
an edit's solve from the last result, and steps the air between frames close in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from twin.physics.cells import choose_cell_m
from twin.physics.fan_follow import followed_fans, followed_flow_scale
from twin.physics.solver_service import CancelToken, Job, SolverService

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.physics.model import ThermalModel, ThermalResult

#: Keys of the thermal jobs: a steady solve of the shown state (edits, failed units, cell
#: size, overlays turned on), one replay or live frame, and the state before the first edit
#: (its own key, so that a quick edit does not drop the baseline it is compared with).
STEADY, FRAME, BASELINE = "thermal.steady", "thermal.frame", "thermal.baseline"
#: Wait after a request before solving (s): a burst of edits or clicks costs one solve.
DEBOUNCE_S = 0.3
#: Frames further apart than this (s), or going back in time, get a steady solve, not a step.
MAX_STEP_S = 900.0


class Snapshot:
    """A layout copied on the GUI thread while it is being edited; the worker builds its
    ``Facility`` once, so the GUI can go on editing the original."""

    def __init__(
        self, layout: Any, catalog: Any, source: Facility | None = None, path: Any = None
    ) -> None:
        self.layout, self.catalog, self.path = layout, catalog, path
        #: the live facility copied (listeners tell answers of this layout by it)
        self.source = source
        #: the layout's text where the copy is of the file as loaded (no edit since)
        self.source_text: str | None = None
        self._facility: Facility | None = None

    @classmethod
    def of(cls, facility: Facility) -> Snapshot:
        """A copy of ``facility``'s layout as it is now (on the GUI thread), for a job that
        runs while the editor may patch the live one in place: an optimisation that read a
        rack moved mid-search failed with "matmul: dimension mismatch"."""
        layout = facility.layout.model_copy(deep=True)
        snap = cls(layout, facility.catalog, source=facility, path=facility.path)
        if facility.edits == 0:
            snap.source_text = facility.source_text
        return snap

    def facility(self) -> Facility:
        if self._facility is None:
            from twin.model.facility import Facility

            self._facility = Facility(self.layout, self.catalog, self.path)
            self._facility.source_text = self.source_text
        return self._facility

    def text(self) -> str:
        """The copied layout as YAML (the file's text where it was not edited); on the
        worker: writing out the 102,848-GPU factory takes about 0.8 s."""
        from twin.model.facility import layout_yaml

        return self.source_text if self.source_text is not None else layout_yaml(self.layout)


class LayoutState(NamedTuple):
    """What a long job was asked of: the facility and its in-place edits so far."""

    facility: Facility
    edits: int

    def edited(self) -> bool:
        """Whether the facility was edited in place since (its answer is of the layout
        before those edits)."""
        return self.facility.edits != self.edits


def layout_state(facility: Facility) -> LayoutState:
    """The facility as it stands now, for a long job's tag; the job's answer is of the layout
    as it is while the window shows that facility and ``edited()`` is false."""
    return LayoutState(facility, facility.edits)


@dataclass(frozen=True, eq=False)
class ThermalRequest:
    """The state to solve. ``facility`` is the window's (not being edited) or a ``Snapshot``;
    ``warm``: an edit of the layout solved last, so the heat solve starts from that answer;
    ``time_s`` with ``rack_power_w``: a frame, stepped from the previous frame when close;
    ``unit_flow_scale``: the fan speeds a frame measured (``fan_follow.measured_flow_scale``),
    and ``rack_flow_scale``: the racks' server-fan speeds (``fan_follow.rack_flow_scale``),
    which re-solve the airflow only when they moved beyond ``FLOW_RESOLVE_FRACTION``."""

    facility: Facility | Snapshot
    hall: int
    cell_m: float
    failed: tuple[str, ...] = ()
    warm: bool = False
    rack_power_w: np.ndarray | None = None
    time_s: float | None = None
    unit_flow_scale: np.ndarray | None = None
    rack_flow_scale: np.ndarray | None = None

    @property
    def source(self) -> Facility:
        """The live facility asked about (a snapshot's original)."""
        f = self.facility
        return f.source if isinstance(f, Snapshot) else f


@dataclass(eq=False)
class ThermalAnswer:
    """A request's result, with the facility it was solved on (the snapshot's for an edit),
    whether a new model was built (the geometry may have changed: redraw meshes), and whether
    it was a transient step."""

    request: ThermalRequest
    result: ThermalResult
    facility: Facility
    new_model: bool
    stepped: bool
    key: str = ""

    @property
    def source(self) -> Facility:
        """The live facility asked about (a snapshot's original)."""
        return self.request.source


class HallSolver:
    """Worker-thread side: one ``ThermalModel`` kept between requests. Counts its solves."""

    def __init__(self) -> None:
        self.model: ThermalModel | None = None
        self.key: tuple | None = None
        self.warm: ThermalResult | None = None  # the last steady result
        self.frame_time_s: float | None = None  # time of the last frame solved or stepped
        self.steady_solves = 0
        self.steps = 0
        #: airflow fields solved (new models, failed units, fans measured to have moved)
        self.flow_solves = 0

    def run(self, req: ThermalRequest, token: CancelToken, key: str = "") -> ThermalAnswer:
        from twin.physics.plausible import check_result

        t0 = time.perf_counter()
        fac = req.facility.facility() if isinstance(req.facility, Snapshot) else req.facility
        token.check()
        solved_before = self.model.flow_solves if self.model is not None else 0
        new_model = self._ensure_model(fac, req)
        model = self.model
        self.flow_solves += model.flow_solves - (0 if new_model else solved_before)
        dt_s = None
        if req.time_s is not None and self.frame_time_s is not None and not new_model:
            dt_s = req.time_s - self.frame_time_s
            if not 0 < dt_s <= MAX_STEP_S:
                dt_s = None  # a seek or a long gap: a steady state at these powers
        stepped = dt_s is not None and model.state is not None
        if stepped:
            res = model.follow(dt_s, req.rack_power_w)
            self.steps += 1
        else:
            token.check()
            res = model.solve(req.rack_power_w)
            # no figures from a solve that has none possible (as ``solve_steady``): the
            # dock says why instead of a 100,000 C hall
            check_result(res, fac.hall_ids[req.hall])
            self.warm = res.warm
            self.steady_solves += 1
        self.frame_time_s = req.time_s
        res.seconds = time.perf_counter() - t0
        return ThermalAnswer(req, res, fac, new_model, stepped, key)

    def _ensure_model(self, fac: Facility, req: ThermalRequest) -> bool:
        """The model for this facility, hall and cell (True when built anew)."""
        from twin.physics.model import ThermalModel

        key = (id(fac), req.hall, req.cell_m)
        if self.model is not None and self.key == key and self.model.facility is fac:
            units, racks, fans_moved = followed_fans(
                self.model, req.unit_flow_scale, req.rack_flow_scale
            )
            if tuple(self.model.failed) != tuple(req.failed):
                self.model.set_failed(req.failed, units, racks)
                self.frame_time_s = None  # new flow: the next frame is a steady state
            elif fans_moved:
                # the air keeps its temperatures and the next frame steps through the new field
                self.model.set_failed(req.failed, units, racks)
            return False
        warm = self.warm if req.warm else None
        in_hall = (fac.air_unit_hall == req.hall, fac.rack_hall == req.hall)
        units, _ = followed_flow_scale(None, req.unit_flow_scale, np.flatnonzero(in_hall[0]))
        racks, _ = followed_flow_scale(None, req.rack_flow_scale, np.flatnonzero(in_hall[1]))
        self.model = self.warm = None  # free the old grid first: big halls hold 100s of MB
        self.model = ThermalModel(
            fac,
            req.hall,
            req.cell_m,
            req.failed,
            warm_start=warm,
            unit_flow_scale=units,
            rack_flow_scale=racks,
        )
        self.key = key
        self.frame_time_s = None
        return True


def cell_for(cell_m: float | None, facility: Facility, hall: int) -> float:
    """The cell size to solve ``hall`` with: ``cell_m``, or the policy's choice when None."""
    return float(cell_m) if cell_m is not None else choose_cell_m(facility, hall)


def failed_in(units: Iterable[str], facility: Facility, hall: int) -> tuple[str, ...]:
    """The air units of ``units`` that stand in ``hall``, sorted (unknown ids dropped)."""
    index = facility.air_unit_index
    return tuple(
        sorted(u for u in set(units) if u in index and facility.air_unit_hall[index[u]] == hall)
    )


class SolveSettings(Protocol):
    """What every thermal request of a window shares: its cell size and failed air units
    (the window's ``ViewState.thermal``; ``ThermalSettings`` headless)."""

    def cell_for(self, facility: Facility, hall: int) -> float: ...

    def failed_in(
        self, facility: Facility, hall: int, more: Iterable[str] = ()
    ) -> tuple[str, ...]: ...


@dataclass
class ThermalSettings:
    """Shared settings without a window: the cell size (None: the policy's choice for the
    hall) and the air units failed."""

    cell_m: float | None = None
    failed: set[str] = field(default_factory=set)

    def cell_for(self, facility: Facility, hall: int) -> float:
        return cell_for(self.cell_m, facility, hall)

    def failed_in(self, facility: Facility, hall: int, more: Iterable[str] = ()) -> tuple:
        """The failed units (and ``more``) that stand in ``hall``, sorted."""
        return failed_in(set(self.failed) | set(more), facility, hall)


class HallJobs:
    """Thermal requests on a solver service (its own unless given one to share).

    ``freeze``, when set (by the editor while it edits a layout), turns the live facility of a
    request into a ``Snapshot`` on the GUI thread, so no solve reads a facility being edited.
    ``settings`` (cell size, failed units) may be replaced by the window's view state."""

    def __init__(self, service: SolverService | None = None) -> None:
        self.service = service if service is not None else SolverService("twin-thermal")
        self.solver = HallSolver()
        self.settings: SolveSettings = ThermalSettings()
        self.freeze: Callable[[Facility], Snapshot | None] | None = None

    def submit(self, key: str, request: ThermalRequest, delay_s: float = 0.0) -> Job | None:
        return self.service.submit(
            key,
            lambda token: self.solver.run(request, token, key),
            delay_s=delay_s,
            tag=request,
            keep_running=key == FRAME,
        )

    def request(
        self,
        facility: Facility,
        hall: int,
        *,
        key: str = STEADY,
        delay_s: float = 0.0,
        more_failed: Iterable[str] = (),
        **options: Any,
    ) -> Job | None:
        """Solve ``hall`` of the live ``facility`` with the shared settings (``options``:
        warm, rack_power_w, time_s; ``more_failed``: units a frame reports off)."""
        frozen = self.freeze(facility) if self.freeze is not None else None
        if frozen is not None:
            options.setdefault("warm", True)  # an edited layout: start from the last answer
        req = ThermalRequest(
            frozen if frozen is not None else facility,
            hall,
            self.settings.cell_for(facility, hall),
            self.settings.failed_in(facility, hall, more_failed),
            **options,
        )
        return self.submit(key, req, delay_s)
