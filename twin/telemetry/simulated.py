"""The simulated source: a ``Simulator`` paced in real time (or faster) on a background
thread. The default source of ``make run``; deterministic for a given seed."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import Frame
from twin.telemetry.scenarios import Scenario
from twin.telemetry.simulator import Simulator
from twin.telemetry.source import SourceState, SourceStatus, ThreadedSource


class SimulatedSource(ThreadedSource):
    """Frames from a simulated workload and scenario.

    ``speed`` is simulated seconds per wall-clock second (1 = real time); ``duration_s``
    ends the run (state ``ended``) after that much simulated time, or never when None.
    ``physics``: rack inlets from the airflow physics (``twin.physics``); by default where it
    is installed and every hall is small enough to step in real time.
    """

    name = "simulated"

    def __init__(
        self,
        facility: Facility,
        *,
        scenario: str | Scenario = "normal",
        seed: int = 0,
        rate_hz: float = 1.0,
        speed: float = 1.0,
        start_s: float | None = None,
        duration_s: float | None = None,
        fail_at_s: float | None = None,
        recover_at_s: float | None = None,
        physics: bool | None = None,
    ) -> None:
        super().__init__(facility)
        if not isinstance(scenario, Scenario):
            kw = {}
            if fail_at_s is not None:
                kw["fail_at_s"] = fail_at_s
            if recover_at_s is not None:
                kw["recover_at_s"] = recover_at_s
            scenario = Scenario(scenario, **kw)
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.scenario = scenario
        self.speed = speed
        self.duration_s = duration_s
        if physics is None:  # by default, the airflow physics where a hall is small enough
            from twin.telemetry.physics_air import MAX_RACKS_PER_HALL, available

            per_hall = np.bincount(facility.rack_hall, minlength=1)
            physics = available() and 0 < per_hall.max() <= MAX_RACKS_PER_HALL
        self.simulator = Simulator(
            facility, scenario, seed=seed, rate_hz=rate_hz, start_s=start_s, physics=physics
        )

    def _run(self) -> None:
        sim = self.simulator
        self._set_state(SourceState.PLAYING, f"scenario {self.scenario.name}")
        wall0 = time.monotonic()
        steps0 = sim.steps
        while not self._stopping.is_set():
            if self.duration_s is not None and sim.t_rel > self.duration_s:
                self._set_state(SourceState.ENDED, f"scenario {self.scenario.name} finished")
                return
            self._publish(sim.step())
            due = wall0 + (sim.steps - steps0) * sim.dt_s / self.speed
            if self._sleep(due - time.monotonic()):
                return

    def status(self) -> SourceStatus:
        st = super().status()
        # simulated time runs ahead of or behind the wall clock by design: age is not lag
        return replace(st, age_s=0.0 if st.time_s is not None else None)


class SteppedSource:
    """A simulator stepped on demand: each ``poll()`` advances one step and returns its frame
    (no thread, no pacing). ``twin simulate`` pumps it through a Session as fast as it goes,
    so a recording made offline goes through the same path as one made live."""

    name = "stepped"

    def __init__(self, simulator: Simulator, steps: int) -> None:
        self.facility = simulator.facility
        self.simulator = simulator
        self.steps_left = int(steps)
        self._state = SourceState.IDLE

    def start(self) -> None:
        self._state = SourceState.PLAYING

    def poll(self) -> Frame | None:
        if self._state != SourceState.PLAYING or self.steps_left <= 0:
            if self.steps_left <= 0:
                self._state = SourceState.ENDED
            return None
        self.steps_left -= 1
        return self.simulator.step()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._state = SourceState.STOPPED

    def status(self) -> SourceStatus:
        return SourceStatus(state=self._state, frames=self.simulator.steps)

    def drain_backfill(self) -> list[Frame]:
        return []
