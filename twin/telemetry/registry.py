"""Source plugins: found through the ``twin.sources`` entry-point group and imported only when
one is used, so a third party adds a source by declaring an entry point, without touching Twin.

    [project.entry-points."twin.sources"]
    mysource = "mypackage.module:MySource"   # MySource(facility, **options) -> Source
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.telemetry.source import Source

GROUP = "twin.sources"

#: Built-in sources, used when the package metadata is missing (e.g. running from a checkout
#: that was never installed). Entry points of the same name take precedence.
BUILTIN: dict[str, str] = {
    "simulated": "twin.telemetry.simulated:SimulatedSource",
    "replay": "twin.telemetry.replay:ReplaySource",
    "prometheus": "twin.telemetry.prometheus:PrometheusSource",
    "scrape": "twin.telemetry.scrape:ScrapeSource",
}


class SourceNotFound(LookupError):
    """No source of that name is registered, or its module failed to import."""


def available() -> dict[str, EntryPoint]:
    """Registered source names and their (not yet imported) entry points."""
    found = {name: EntryPoint(name, value, GROUP) for name, value in BUILTIN.items()}
    found.update({ep.name: ep for ep in entry_points(group=GROUP)})
    return dict(sorted(found.items()))


def load(name: str) -> type:
    """Import and return the source class registered as ``name``."""
    eps = available()
    if name not in eps:
        raise SourceNotFound(f"no telemetry source {name!r}; available: {', '.join(eps)}")
    try:
        return eps[name].load()
    except (ImportError, AttributeError) as exc:
        raise SourceNotFound(f"telemetry source {name!r} ({eps[name].value}): {exc}") from exc


def create(name: str, facility: Facility, **options: Any) -> Source:
    """Build a source by registry name: ``create("simulated", facility, scenario="normal")``."""
    return load(name)(facility, **options)
