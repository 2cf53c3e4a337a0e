"""The public names a plugin may import: the only Twin module the packages in ``plugins/``
(and third-party plugins) use, so Twin's insides can move without breaking them. An
import-linter contract keeps ``plugins/`` on it.

Plugins register in one of five entry-point groups (see ``twin.plugins``); what each kind of
object must provide is written as a protocol below:

=====================  ====================================================================
group                  the entry point names
=====================  ====================================================================
``twin.sources``       a class: ``Cls(facility, **options) -> Source`` (``BackgroundSource``
                       does the threading; implement ``_run``)
``twin.importers``     an ``Importer``: a file (CSV, XLSX, ...) to layout data
``twin.exporters``     an ``Exporter``: a facility (and optionally frames) to a file
``twin.colour_modes``  a ``ColourMode``: one value per GPU or per rack, from the facility's
                       design figures and, when there is one, the current frame
``twin.commands``      a ``Command``: a ``twin NAME ...`` subcommand
=====================  ====================================================================

Heavy parts (HDF5 recordings) are imported on first use, so ``import twin.api`` stays cheap.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from twin import __version__
from twin.model.atomic import write_bytes_atomic, write_text_atomic
from twin.model.catalog import Catalog, shipped_catalog
from twin.model.errors import LayoutError, Problem
from twin.model.facility import RACK_BASE_M, Facility
from twin.model.facility import U_M as RACK_UNIT_M
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
from twin.model.generate import dump_layout
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
from twin.model.schema import FORMAT as LAYOUT_FORMAT
from twin.telemetry.source import FrameSlot, Source, SourceState, SourceStatus, ThreadedSource
from twin.viewstate import ViewState

if TYPE_CHECKING:
    from twin.recording.errors import RecordingError
    from twin.recording.reader import Recording, open_recording
    from twin.session import Session

#: A source that runs its work on a background thread and keeps only the newest frame.
BackgroundSource = ThreadedSource

__all__ = [
    "DESIGN_COLOURINGS",
    "GPU_METRICS",
    "LAYOUT_FORMAT",
    "METRICS",
    "THROTTLE_HW_SLOWDOWN",
    "THROTTLE_HW_THERMAL",
    "THROTTLE_SLOWDOWN_MASK",
    "THROTTLE_SW_POWER_CAP",
    "THROTTLE_SW_THERMAL",
    "DesignColouring",
    "GpuMetric",
    "Mark",
    "MetricScale",
    "Session",
    "ViewState",
    "register_gpu_metric",
    "RACK_BASE_M",
    "RACK_UNIT_M",
    "BackgroundSource",
    "Catalog",
    "ColourMode",
    "Command",
    "Event",
    "EventKind",
    "Exporter",
    "Facility",
    "Frame",
    "FrameSlot",
    "Importer",
    "InputError",
    "LayoutError",
    "Problem",
    "Recording",
    "RecordingError",
    "Source",
    "SourceState",
    "SourceStatus",
    "ThreadedSource",
    "__version__",
    "dump_layout",
    "facility_from_data",
    "facility_from_text",
    "load_layout",
    "open_recording",
    "shipped_catalog",
    "write_bytes_atomic",
    "write_text_atomic",
]

_LAZY = {
    "open_recording": ("twin.recording.reader", "open_recording"),
    "Recording": ("twin.recording.reader", "Recording"),
    "RecordingError": ("twin.recording.errors", "RecordingError"),
    "Session": ("twin.session", "Session"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'twin.api' has no attribute {name!r}")


class InputError(ValueError):
    """An importer could not read its input. The message names the file, the line (a CSV line
    or spreadsheet row) and the column, as layout errors do."""

    def __init__(self, file: str | Path, line: int | None, field: str, message: str):
        self.file, self.line, self.field = str(file), line, field
        where = self.file + (f":{line}" if line is not None else "")
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def facility_from_data(data: dict, name: str = "<imported>") -> tuple[str, Facility]:
    """Layout data (as an importer makes it) to YAML text and a validated ``Facility``, or
    ``LayoutError`` naming the line and field of the generated text."""
    text = dump_layout(data)
    return text, facility_from_text(text, name)


@runtime_checkable
class Importer(Protocol):
    """Reads a file into ``twin-layout/1`` data (a dict ready for ``dump_layout``).

    Optional: ``read_layout(path, **options) -> (YAML text, Facility)``, validating the layout
    itself and raising ``LayoutError`` with each problem placed in the importer's own file
    (its row and column), not at a line of the generated YAML nobody sees. ``twin import``
    and File › Import use it when an importer has it (``twin-racklist`` does)."""

    name: str
    title: str  # for a file dialog: "Rack list (CSV, Excel)"
    extensions: tuple[str, ...]  # (".csv", ".xlsx")

    def read(self, path: Path, **options: Any) -> dict:
        """The layout data, or raise ``InputError`` naming the file, line and column."""
        ...


@runtime_checkable
class Exporter(Protocol):
    """Writes a facility, and optionally telemetry frames, to a file another tool opens."""

    name: str
    title: str  # "OpenUSD stage"
    extensions: tuple[str, ...]  # the first is the default
    #: True when ``write`` uses ``frames``: one frame is a snapshot, several are time samples.
    takes_frames: bool

    def write(
        self, facility: Facility, path: Path, frames: Sequence[Frame] = (), **options: Any
    ) -> None:
        """Write the file atomically (a reader never sees half of it)."""
        ...


@runtime_checkable
class ColourMode(Protocol):
    """One value per GPU or per rack to colour the 3D view by (``twin render --color NAME``,
    View › Colour By)."""

    name: str
    title: str  # legend title with unit: "Thermal margin to slowdown (K)"
    target: Literal["gpu", "rack"]
    cmap: str  # a matplotlib colour map name
    #: True when ``values`` reads the frame (recoloured as telemetry arrives).
    uses_frame: bool

    def values(self, facility: Facility, frame: Frame | None) -> np.ndarray:
        """(G,) or (R,) floats in the facility's index order; NaN where unknown."""
        ...

    def clim(self, facility: Facility) -> tuple[float, float] | None:
        """Fixed colour range, or None to fit the values."""
        ...


@runtime_checkable
class Command(Protocol):
    """A ``twin NAME`` subcommand. Twin lists it in ``twin --help`` without importing it."""

    help: str

    def register(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's arguments."""
        ...

    def run(self, args: argparse.Namespace) -> int:
        """Do it; the exit status."""
        ...
