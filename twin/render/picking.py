"""Picking: which item (rack, GPU, host, unit, power device) is under a screen position."""

from __future__ import annotations

from collections.abc import Callable

from vtkmodules.vtkCommonDataModel import vtkStaticCellLocator
from vtkmodules.vtkRenderingCore import vtkCellPicker

from twin.render.scene_types import Picked

#: Layers whose items a click can pick, in the order they are offered to the picker.
PICKABLE_LAYERS = ("rack_heat", "racks", "gpus", "servers", "air_units", "cdus", "power_devices")


class ScenePicker:
    """Maps a picked cell of a registered actor to an item. Owned by ``Scene``
    (``scene.picker``); the builders register their actors with ``register``."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.actors: dict[int, tuple[str, Callable[[int], int]]] = {}
        self._picker = None

    def register(self, actor, kind: str, to_index: Callable[[int], int]) -> None:
        """Picks on ``actor`` name item ``kind``, cell c being item ``to_index(c)``."""
        if actor is not None:
            self.actors[id(actor)] = (kind, to_index)

    def reset(self) -> None:
        """Forget the picker (its locators hold the scene's meshes)."""
        self._picker = None

    def pick(self, x: float, y: float) -> Picked | None:
        """The item under display position (x, y) (pixels, origin bottom-left as VTK counts
        them), or None. Uses a cell picker with a static locator on the big meshes."""
        if self._picker is None:
            picker = vtkCellPicker()
            picker.SetTolerance(0.0005)
            picker.PickFromListOn()
            for mesh in (self.scene.gpu_mesh, self.scene.rack_mesh):
                if mesh.n_cells:
                    loc = vtkStaticCellLocator()
                    loc.SetDataSet(mesh)
                    loc.BuildLocator()
                    picker.AddLocator(loc)
            self._picker = picker
        picker = self._picker
        # only what is drawn now (the level of detail hides the GPUs from afar, and shows
        # the racks' fronts): a hidden actor would hide what is behind it
        picker.InitializePickList()
        for lay in PICKABLE_LAYERS:
            for a in self.scene.layers[lay].actors:
                if id(a) in self.actors and a.GetVisibility():
                    picker.AddPickList(a)
        if not picker.Pick(float(x), float(y), 0.0, self.scene.plotter.renderer):
            return None
        actor = picker.GetActor()
        hit = self.actors.get(id(actor)) if actor is not None else None
        if hit is None or not actor.GetVisibility():
            return None
        kind, to_index = hit
        cell = picker.GetCellId()
        if cell < 0:
            return None
        return Picked(kind, to_index(cell), tuple(picker.GetPickPosition()))

    def world_to_display(self, point) -> tuple[float, float]:
        """Display pixel (origin bottom-left) of a world point, for tests and overlays."""
        ren = self.scene.plotter.renderer
        ren.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
        ren.WorldToDisplay()
        x, y, _ = ren.GetDisplayPoint()
        return x, y
