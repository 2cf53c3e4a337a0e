"""Small value types the scene and its collaborators share."""

from __future__ import annotations

from dataclasses import dataclass, field

from twin.render import style


@dataclass
class Layer:
    """A named group of actors shown or hidden together."""

    name: str
    actors: list = field(default_factory=list)
    visible: bool = True


@dataclass(frozen=True)
class Picked:
    """What a pick hit: item kind (``rack``, ``gpu``, ``air_unit``, ``cdu``, ``power``), its
    facility index and the world point."""

    kind: str
    index: int
    point: tuple[float, float, float]


@dataclass
class Colouring:
    """What an actor's scalars currently show."""

    name: str = ""
    clim: tuple[float, float] = (0.0, 1.0)
    cmap: str = style.CMAP_DEFAULT
    active: bool = False
