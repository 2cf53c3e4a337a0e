"""Telemetry sources by name: the ``twin.sources`` group of the plugin registry
(``twin.plugins``), kept here so the session, the window and ``twin run`` ask for sources in
telemetry's own words.

    [project.entry-points."twin.sources"]
    mysource = "mypackage.module:MySource"   # MySource(facility, **options) -> Source
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING, Any

from twin import plugins

if TYPE_CHECKING:
    from twin.model.facility import Facility
    from twin.telemetry.source import Source

GROUP = plugins.SOURCES
BUILTIN: dict[str, str] = plugins.BUILTIN[GROUP]


class SourceNotFound(plugins.PluginError):
    """No source of that name is registered, or its module failed to import."""


def available() -> dict[str, EntryPoint]:
    """Registered source names and their (not yet imported) entry points."""
    return {i.name: i.entry_point for i in plugins.infos(GROUP) if i.entry_point is not None}


def load(name: str) -> type:
    """Import and return the source class registered as ``name``."""
    try:
        return plugins.load(GROUP, name)
    except plugins.PluginError as exc:
        raise SourceNotFound(str(exc)) from exc.__cause__


def create(name: str, facility: Facility, **options: Any) -> Source:
    """Build a source by registry name: ``create("simulated", facility, scenario="normal")``.
    A plugin source whose constructor fails for a reason other than its options (``TypeError``,
    ``ValueError``: the caller's to report) is marked failed in the plugin registry."""
    cls = load(name)
    try:
        return cls(facility, **options)
    except (TypeError, ValueError):
        raise
    except Exception as exc:
        plugins.registry.record_failure(GROUP, name, exc)
        raise SourceNotFound(f"telemetry source {name!r} failed to start: {exc}") from exc
