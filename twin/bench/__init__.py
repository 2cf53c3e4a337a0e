"""``twin bench``: measured figures, each optionally with a baseline measured in the same run.

Each area has a module here exposing ``BENCHMARKS``: a list of ``(prefix, function)``;
the function takes no argument and returns a list of ``Result``. ``--only PREFIX`` runs the
functions whose prefix starts with PREFIX, else the one with the longest prefix that PREFIX
starts with.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

#: Benchmark modules, in run order.
MODULES = (
    "layout", "scene", "scene_thermal", "physics", "cfd", "replay", "live", "edit", "energy",
    "whatif", "worst",
)  # fmt: skip


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    note: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None and v != ""}


def collect() -> list[tuple[str, Callable[[], list[Result]]]]:
    found: list[tuple[str, Callable[[], list[Result]]]] = []
    for name in MODULES:
        try:
            module = importlib.import_module(f"twin.bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"twin.bench.{name}":
                continue
            raise
        found.extend(module.BENCHMARKS)
    return found


def selected(only: str | None) -> list[tuple[str, Callable[[], list[Result]]]]:
    items = collect()
    if not only:
        return items
    wider = [(p, f) for p, f in items if p.startswith(only)]
    if wider:
        return wider
    # a figure's name: the group with the longest prefix it carries (``physics.factory_steady_s``
    # is the ``physics.factory`` group's, not the ``physics`` group's)
    within = [(p, f) for p, f in items if only.startswith(p)]
    longest = max((len(p) for p, _ in within), default=0)
    return [(p, f) for p, f in within if len(p) == longest]
