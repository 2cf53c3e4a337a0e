"""Levels of detail: the factory seen from afar shows one coloured shape per rack, from close
up its servers and GPUs.

A rack's GPUs sit inside its cabinet, so from afar (or from above) nothing of them shows. The
far level therefore draws each rack's top and front face in the colour of an aggregate of its
GPUs' values (the hottest by default), and hides the GPUs and server trays, which are most of
the scene's cells. Rack tops keep that colour at every distance, so a plan view is a heat map
of the hall. The level follows the size of a rack on screen, with hysteresis so that it does
not flicker at the threshold, and drops to the far level while the camera moves. Colours are
written into the existing arrays, as for the GPUs, just before a draw that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy

from twin.render import geometry as geo
from twin.render import style
from twin.render.motion import MotionStyle

#: How a rack's GPU values become one: the hottest GPU, the mean, or the worst state (the
#: largest value, for metrics where larger is worse, e.g. a throttle count).
AGGREGATES = ("max", "mean")
#: A rack narrower than this on screen (pixels) is drawn at the far level; the near level
#: comes back only above ``NEAR_PX`` (hysteresis).
FAR_PX = 6.0
NEAR_PX = 9.0
#: Layers hidden while the camera moves: translucent panels cost a blended pass over every
#: pixel they cover, and a moving frame needs the racks, not the aisle containment.
MOVING_HIDDEN = ("containment",)
#: How far the coloured faces stand proud of the cabinet (m), so they never fight its faces.
PROUD_M = 0.004


def rack_groups(gpu_rack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(racks, starts): the racks that hold GPUs and where each one's GPUs begin.
    ``gpu_rack`` must be sorted (facility order keeps a rack's GPUs together)."""
    return np.unique(np.asarray(gpu_rack), return_index=True)


def rack_aggregate(
    values: np.ndarray,
    gpu_rack: np.ndarray,
    n_racks: int,
    how: str = "max",
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """(R,) aggregate of each rack's GPU values (NaN for a rack with no finite value).
    ``groups``: ``rack_groups(gpu_rack)``, computed once by a caller that aggregates often."""
    if how not in AGGREGATES:
        raise ValueError(f"unknown aggregate {how!r}: use {', '.join(AGGREGATES)}")
    v = np.asarray(values)
    out = np.full(n_racks, np.nan)
    if v.size == 0:
        return out
    racks, starts = rack_groups(gpu_rack) if groups is None else groups
    if how == "max":
        agg = np.fmax.reduceat(v, starts)  # fmax skips NaN unless all are NaN
    else:
        finite = np.isfinite(v)
        count = np.add.reduceat(finite, starts, dtype=np.int64)
        total = np.add.reduceat(np.where(finite, v, 0.0), starts, dtype=np.float64)
        agg = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    out[racks] = agg
    return out


@dataclass
class LevelState:
    """The level now drawn and why: ``far`` from the zoom, or forced while interacting."""

    far: bool = False
    interacting: bool = False


class RackLod:
    """The far-level shapes of a scene's racks (tops and fronts) and the switch between the
    levels. Owned by ``Scene``; reads its facility, plotter and GPU actor."""

    def __init__(self, scene) -> None:
        self.scene = scene
        f = scene.facility
        self.n = f.n_racks
        self.aggregate = "max"
        self.state = LevelState()
        self.motion = MotionStyle(scene)
        self._values = np.full(self.n, np.nan)
        self._pending: np.ndarray | None = None  # GPU values not yet aggregated
        self._groups = rack_groups(f.gpu_rack)
        self.tops = self.fronts = None
        self._arrays: list[np.ndarray] = []
        self._vtk: list = []
        #: the meshes stay referenced here: their numpy-backed arrays live as long as they do
        self.meshes: list = []
        if self.n == 0 or scene.gpu_actor is None:
            scene.add_layer("rack_heat", [])
            return
        center = scene.rack_center.copy()
        center[:, 2] = f.rack_size_m[:, 2] / 2
        size = f.rack_size_m + 2 * PROUD_M
        actors = []
        for faces in (("top",), ("front",)):
            mesh = geo.boxes(center, size, f.rack_rotation_deg, faces)
            self.meshes.append(mesh)
            mesh.cell_data["rack_heat"] = np.full(self.n, np.nan, dtype=np.float32)
            vtk_arr = mesh.GetCellData().GetArray("rack_heat")
            self._vtk.append(vtk_arr)
            self._arrays.append(vtk_to_numpy(vtk_arr))
            actor = scene.plotter.add_mesh(
                mesh,
                scalars="rack_heat",
                preference="cell",
                cmap=scene.gpu_colouring.cmap,
                clim=scene.gpu_colouring.clim,
                nan_color=style.RACK,
                show_scalar_bar=False,
                ambient=0.35,
                diffuse=0.75,
                specular=0.05,
                pickable=True,
                reset_camera=False,
                name=f"rack_heat_{faces[0]}",
            )
            # one lookup table with the GPUs: the GPU legend reads for both
            actor.mapper.lookup_table = scene.gpu_actor.mapper.lookup_table
            actor.SetVisibility(False)
            actors.append(actor)
        self.tops, self.fronts = actors
        for a in actors:
            scene.picker.register(a, "rack", int)
        scene.add_layer("rack_heat", actors)
        self.apply()  # the layer shows its actors; the level decides

    # ------------------------------------------------------------------ following
    def watch(self) -> None:
        """Choose the level before each render; draw the far level while the user moves the
        camera (a window's interactor style; an off-screen plotter has none)."""
        plotter = self.scene.plotter
        self._observers = [
            (plotter.renderer, plotter.renderer.AddObserver("StartEvent", self.choose))
        ]
        iren = getattr(plotter, "iren", None)
        interactor = getattr(iren, "interactor", None) if iren is not None else None
        style_ = interactor.GetInteractorStyle() if interactor is not None else None
        if style_ is None:
            return

        def moving(*_args) -> None:
            self.set_interacting(True)

        def stopped(*_args) -> None:
            self.set_interacting(False)
            plotter.render()

        self._observers += [
            (style_, style_.AddObserver("StartInteractionEvent", moving)),
            (style_, style_.AddObserver("EndInteractionEvent", stopped)),
        ]

    def detach(self) -> None:
        """Stop following the renderer and the interactor."""
        for obj, tag in getattr(self, "_observers", ()):
            obj.RemoveObserver(tag)
        self._observers = []

    # ------------------------------------------------------------------ colour
    def set_gpu_values(self, values: np.ndarray | None) -> None:
        """Recolour the rack shapes from the GPUs' values (None: back to neutral). The
        aggregate itself waits for the next draw that shows the rack shapes (``refresh``):
        frames that are never drawn, or drawn with the shapes hidden, cost none."""
        if not self._arrays:
            return
        if values is None:
            self._pending = None
            self._write(np.full(self.n, np.nan))
        else:
            self._pending = np.array(values)  # a copy: the caller may reuse its buffer
        clim = self.scene.gpu_colouring.clim
        for a in (self.tops, self.fronts):
            a.mapper.scalar_range = clim
        self.apply()

    def refresh(self) -> None:
        """Aggregate the GPU values given last into the rack shapes' colours, if not done."""
        if self._pending is None:
            return
        v, self._pending = self._pending, None
        f = self.scene.facility
        self._write(rack_aggregate(v, f.gpu_rack, self.n, self.aggregate, self._groups))

    def _write(self, values: np.ndarray) -> None:
        self._values = values
        for arr, vtk_arr in zip(self._arrays, self._vtk, strict=True):
            arr[:] = values
            vtk_arr.Modified()

    def set_aggregate(self, how: str) -> None:
        """``max`` or ``mean`` of each rack's GPUs; recolours from the GPUs' current values."""
        if how not in AGGREGATES:
            raise ValueError(f"unknown aggregate {how!r}: use {', '.join(AGGREGATES)}")
        self.aggregate = how
        if self.scene.gpu_colouring.active:
            self.set_gpu_values(self.scene._gpu_values[:, 0])

    @property
    def values(self) -> np.ndarray:
        """(R,) the aggregate of each rack's GPUs (NaN: neutral), as the next draw shows it."""
        self.refresh()
        return self._values

    # ------------------------------------------------------------------ level
    def rack_px(self) -> float:
        """Width of a typical rack on screen at the focal point (pixels)."""
        f = self.scene.facility
        return self.scene.pixels_per_m() * float(np.median(f.rack_size_m[:, 0]))

    def choose(self, *_args) -> None:
        """Before each render: the level from a rack's size on screen, with hysteresis, and
        the rack shapes' colours if they show."""
        if self.n == 0:
            return
        px = self.rack_px()
        far = self.state.far
        if far and px > NEAR_PX:
            far = False
        elif not far and px < FAR_PX:
            far = True
        if far != self.state.far:
            self.state.far = far
            self.apply()
        if self.tops is not None and self.tops.GetVisibility():
            self.refresh()

    def set_interacting(self, on: bool) -> None:
        """While the camera moves the far level is drawn, without the ``MOVING_HIDDEN``
        layers, the row and rack labels and the outlines, and unlit (``motion``): cheap
        frames during a drag."""
        if on != self.state.interacting:
            self.state.interacting = on
            self.apply()
            if on:
                self.motion.start()
            else:
                self.motion.stop()

    @property
    def far(self) -> bool:
        """Whether the far level is drawn now."""
        return self.state.far or self.state.interacting

    def apply(self) -> None:
        """Show what the level and the layers ask for."""
        scene = self.scene
        layers = scene.layers
        coloured = scene.gpu_colouring.active
        heat_on = layers["rack_heat"].visible if "rack_heat" in layers else False
        if self.tops is not None:
            self.tops.SetVisibility(bool(heat_on and coloured))
            self.fronts.SetVisibility(bool(heat_on and coloured and self.far))
        for name in ("gpus", "servers"):
            lay = layers.get(name)
            if lay is not None:
                for a in lay.actors:
                    a.SetVisibility(bool(lay.visible and not self.far))
        for name in MOVING_HIDDEN:
            lay = layers.get(name)
            if lay is not None:
                for a in lay.actors:
                    a.SetVisibility(bool(lay.visible and not self.state.interacting))
