"""Operator training scenarios: what fails, when, and when it comes back.

Each scenario picks its target from the facility (the busiest unit, a UPS that feeds racks,
a rack in the middle of a row) so it works on any layout that has the equipment it needs,
and says clearly when a layout has none.
"""

from __future__ import annotations

from dataclasses import dataclass

SCENARIOS: dict[str, str] = {
    "normal": "a normal day: jobs start, ramp up, checkpoint; inference follows its load",
    "crah-trip": "the busiest air unit trips; its neighbours ramp up and nearby racks warm",
    "cdu-pump-failure": "the busiest CDU loses its pumps; its racks' GPUs heat and throttle",
    "ups-failover": "a UPS fails; its racks fail over to the other path, GPUs power-capped",
    "hot-spot": "a rack installed facing the wrong way breathes hot-aisle air",
}


@dataclass(frozen=True)
class Scenario:
    """A named scenario with its failure and recovery times (seconds after the start)."""

    name: str = "normal"
    fail_at_s: float = 120.0
    recover_at_s: float | None = 1_200.0
    #: GPU power cap while a rack runs on one power path, as a share of TDP
    failover_cap: float = 0.75

    def __post_init__(self) -> None:
        if self.name not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.name!r}; choose from: {', '.join(SCENARIOS)}")
        if self.recover_at_s is not None and self.recover_at_s <= self.fail_at_s:
            raise ValueError("recover_at_s must come after fail_at_s")
