"""``twin bench``: measured figures, each optionally with a baseline measured in the same run.

Each area has a module here exposing ``BENCHMARKS``: a list of ``(prefix, function)``;
the function takes no argument and returns a list of ``Result``. ``--only PREFIX`` runs the
functions whose prefix starts with PREFIX (or that PREFIX starts with).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

#: Benchmark modules, in run order.
MODULES = ("layout", "scene", "physics", "replay", "live", "edit")


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
    return [(p, f) for p, f in items if p.startswith(only) or only.startswith(p)]
