"""What the user is looking at, apart from any widget: the selection, what colours the GPUs
and racks, which layers show, the thermal overlay's settings and the camera bookmarks.

Evented with psygnal (``state.events.<field>.connect(...)``), in the spirit of napari's
``ViewerModel``: menus, toolbars and docks bind to it in both directions, the scene reads it,
and nothing reads state back from a widget. No Qt, no VTK, so scripts and tests drive the same
state the window shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from psygnal import evented

from twin.model.metrics import DEFAULT_GPU_METRIC, DESIGN_COLOURINGS, GPU_METRICS
from twin.physics import hall_jobs

if TYPE_CHECKING:
    from twin.model.facility import Facility

#: Thermal overlays, in menu order (the scene's layer names for them).
THERMAL_OVERLAYS = ("air_slice", "air_vslice", "air_arrows", "rack_inlets")


@dataclass(frozen=True)
class Selection:
    """One selected item: its kind (``rack``, ``gpu``, ``air_unit`` ...) and dense index."""

    kind: str
    index: int


@dataclass(frozen=True)
class CameraBookmark:
    """A saved camera: position, focal point and up vector in site coordinates (m)."""

    name: str
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float] = (0.0, 0.0, 1.0)


@evented
@dataclass
class ThermalSettings:
    """The thermal overlay: which overlays show, the hall and cell size solved, the slices,
    the air units failed for a what-if, and whether frames step the temperatures."""

    overlays: frozenset[str] = frozenset()
    hall: int = 0
    cell_m: float | None = None  # None: the physics cell-size policy chooses
    slice_z_m: float = 1.2
    vslice_axis: str = "x"
    vslice_pos_m: float | None = None  # None: the middle of the hall
    failed_units: frozenset[str] = frozenset()
    follow_telemetry: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.overlays) - set(THERMAL_OVERLAYS)
        if unknown:
            raise ValueError(f"unknown thermal overlays {sorted(unknown)}: {THERMAL_OVERLAYS}")
        if self.vslice_axis not in ("x", "y"):
            raise ValueError(f"vertical slice axis must be 'x' or 'y', not {self.vslice_axis!r}")

    # The solver's shared settings (``twin.physics.hall_jobs.SolveSettings``): the window's
    # solves, whoever asks for them, use the cell size and failures shown here.
    def cell_for(self, facility: Facility, hall: int) -> float:
        """The cell size to solve ``hall`` with (the physics policy's choice when None)."""
        return hall_jobs.cell_for(self.cell_m, facility, hall)

    def failed_in(self, facility: Facility, hall: int, more: Iterable[str] = ()) -> tuple:
        """The failed units (and ``more``) that stand in ``hall``, sorted."""
        return hall_jobs.failed_in(set(self.failed_units) | set(more), facility, hall)


@evented
@dataclass
class ViewState:
    """The one view state of a window (or a headless render)."""

    selection: Selection | None = None
    #: The GPU metric frames colour by (a name in ``twin.model.metrics.GPU_METRICS``).
    gpu_metric: str = DEFAULT_GPU_METRIC
    #: A design colouring shown when no telemetry colours the GPUs ("none" or a
    #: ``DESIGN_COLOURINGS`` name).
    design_colouring: str = "none"
    #: Layer name -> visible. Layers not listed keep the scene's default.
    layers: dict[str, bool] = field(default_factory=dict)
    #: Throttling and alarm outlines.
    show_throttling: bool = True
    show_alarms: bool = True
    #: Live updates paused (frames still arrive and are recorded, the view holds still).
    live_paused: bool = False
    thermal: ThermalSettings = field(default_factory=ThermalSettings)
    bookmarks: tuple[CameraBookmark, ...] = ()
    #: The time range (start_s, end_s, epoch seconds) the charts show and the timeline
    #: highlights; None: the whole span (a replay's recording, or the live buffer).
    time_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        self._check_metric(self.gpu_metric)

    # ------------------------------------------------------------------ checked setters
    @staticmethod
    def _check_metric(name: str) -> None:
        if name not in GPU_METRICS:
            raise ValueError(f"unknown GPU metric {name!r}: choose from {', '.join(GPU_METRICS)}")

    def set_gpu_metric(self, name: str) -> None:
        """Colour GPUs by ``name`` from now on (ValueError for an unknown metric)."""
        self._check_metric(name)
        self.gpu_metric = name

    def set_design_colouring(self, name: str) -> None:
        """Colour by a design figure (``DESIGN_COLOURINGS``) or a ``twin.colour_modes``
        plugin; ``none`` clears."""
        if name != "none" and name not in DESIGN_COLOURINGS:
            from twin import plugins

            modes = plugins.names(plugins.COLOUR_MODES)
            if name not in modes:
                known = ", ".join(["none", *DESIGN_COLOURINGS, *modes])
                raise ValueError(f"unknown colouring {name!r}: choose from {known}")
        self.design_colouring = name

    def set_layer(self, name: str, visible: bool) -> None:
        """Show or hide one layer (emits ``events.layers`` only when it changes)."""
        if self.layers.get(name) == bool(visible):
            return
        self.layers = {**self.layers, name: bool(visible)}

    def select(self, kind: str, index: int) -> None:
        self.selection = Selection(kind, int(index))

    def clear_selection(self) -> None:
        self.selection = None

    def set_thermal_overlay(self, name: str, on: bool) -> None:
        if name not in THERMAL_OVERLAYS:
            raise ValueError(f"unknown thermal overlay {name!r}: {THERMAL_OVERLAYS}")
        now = set(self.thermal.overlays)
        (now.add if on else now.discard)(name)
        self.thermal.overlays = frozenset(now)

    def add_bookmark(self, bookmark: CameraBookmark) -> None:
        """Keep a camera under its name (replacing one of the same name)."""
        kept = tuple(b for b in self.bookmarks if b.name != bookmark.name)
        self.bookmarks = (*kept, bookmark)

    def bookmark(self, name: str) -> CameraBookmark:
        for b in self.bookmarks:
            if b.name == name:
                return b
        raise KeyError(f"no camera bookmark {name!r}")

    def reset_for_layout(self) -> None:
        """A new layout: indices change, so selection, failures and the hall go; the user's
        choices (metric, layers, overlays shown, bookmarks) stay."""
        self.selection = None
        self.thermal.failed_units = frozenset()
        self.thermal.hall = 0
        self.thermal.vslice_pos_m = None
