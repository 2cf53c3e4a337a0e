"""The names a plugin may import from Twin, and the only module it may import them from.

Everything else in ``twin`` may change between releases; these stay (an import-linter contract
keeps ``plugins/`` on this module). A telemetry source subclasses ``ThreadedSource`` (or
implements ``Source``) and produces ``Frame`` objects in the ``Facility``'s index order; a
colour mode registers a ``GpuMetric``; an importer returns layout text that ``load_layout``
accepts.
"""

from __future__ import annotations

from twin import __version__
from twin.model.errors import LayoutError
from twin.model.facility import Facility
from twin.model.frame import (
    METRICS,
    THROTTLE_HW_SLOWDOWN,
    THROTTLE_HW_THERMAL,
    THROTTLE_SLOWDOWN_MASK,
    THROTTLE_SW_POWER_CAP,
    THROTTLE_SW_THERMAL,
    Event,
    EventKind,
    Frame,
)
from twin.model.loader import facility_from_text, load_layout
from twin.model.metrics import (
    DESIGN_COLOURINGS,
    GPU_METRICS,
    DesignColouring,
    GpuMetric,
    Mark,
    MetricScale,
    register_gpu_metric,
)
from twin.session import Session
from twin.telemetry.source import Source, SourceState, SourceStatus, ThreadedSource
from twin.viewstate import ViewState

__all__ = [
    "DESIGN_COLOURINGS",
    "GPU_METRICS",
    "METRICS",
    "THROTTLE_HW_SLOWDOWN",
    "THROTTLE_HW_THERMAL",
    "THROTTLE_SLOWDOWN_MASK",
    "THROTTLE_SW_POWER_CAP",
    "THROTTLE_SW_THERMAL",
    "DesignColouring",
    "Event",
    "EventKind",
    "Facility",
    "Frame",
    "GpuMetric",
    "LayoutError",
    "Mark",
    "MetricScale",
    "Session",
    "Source",
    "SourceState",
    "SourceStatus",
    "ThreadedSource",
    "ViewState",
    "__version__",
    "facility_from_text",
    "load_layout",
    "register_gpu_metric",
]
