"""Cheap frames while the camera moves: outlines hidden, surfaces drawn unlit.

Under Mesa's llvmpipe a frame's cost is mostly the pixels it shades. While the user drags,
the scene already draws its far level (``lod``); on top of that the lit surfaces are drawn
without lighting (a lit pixel costs about twice an unlit one: the face normal, the headlight
and its highlight are worked out per pixel) and the outlines (rack, unit and wall edges, the
floor's tile joints) are not drawn at all. When the camera stops, every actor gets back its
own material and the visibility its layer asks for.

An unlit face shows ``ambient + diffuse`` times its colour; a headlit one ``ambient + diffuse
* cos(angle)``. Drawn unlit, each surface keeps ``ambient + diffuse * MOVING_DIFFUSE``, about
what it shows lit from the usual three-quarter views, so the picture does not flash when a
drag starts or ends.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Layers whose outlines (line-only actors) are not drawn while the camera moves.
MOVING_OUTLINED = (
    "floor", "walls", "racks", "air_units", "cdus", "power_devices", "supplies", "returns",
)  # fmt: skip
#: The share of its diffuse light an unlit surface keeps while the camera moves.
MOVING_DIFFUSE = 0.7


def is_outline(actor) -> bool:
    """Whether ``actor`` draws lines only (edges, grids), no faces."""
    mapper = actor.GetMapper() if actor.IsA("vtkActor") else None
    data = mapper.GetInput() if mapper is not None else None
    if data is None or not data.IsA("vtkPolyData"):
        return False
    return data.GetNumberOfLines() > 0 and data.GetNumberOfPolys() == 0


@dataclass
class _Material:
    actor: object
    diffuse: float


class MotionStyle:
    """Owned by the scene's ``RackLod``: ``start`` when the camera starts moving, ``stop``
    when it stops."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self._unlit: list[_Material] = []
        self._hidden: list[tuple[str, object]] = []

    @property
    def active(self) -> bool:
        return bool(self._unlit or self._hidden)

    def start(self) -> None:
        """Hide the outlines of ``MOVING_OUTLINED`` layers and draw every lit surface of the
        scene's layers unlit."""
        if self.active:
            return
        for name, layer in self.scene.layers.items():
            for actor in layer.actors:
                if not actor.GetVisibility():
                    continue
                if name in MOVING_OUTLINED and is_outline(actor):
                    actor.SetVisibility(False)
                    self._hidden.append((name, actor))
                elif actor.IsA("vtkActor") and actor.GetProperty().GetLighting():
                    prop = actor.GetProperty()
                    self._unlit.append(_Material(actor, prop.GetDiffuse()))
                    prop.SetDiffuse(prop.GetDiffuse() * MOVING_DIFFUSE)
                    prop.LightingOff()

    def stop(self) -> None:
        """Give every surface its material back, and every outline its layer's visibility."""
        for m in self._unlit:
            prop = m.actor.GetProperty()
            prop.SetDiffuse(m.diffuse)
            prop.LightingOn()
        for name, actor in self._hidden:
            layer = self.scene.layers.get(name)
            actor.SetVisibility(bool(layer is not None and layer.visible))
        self._unlit, self._hidden = [], []
