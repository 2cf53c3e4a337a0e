"""The 3D view closes containment where the airflow grid does (``twin.model.containment``):
a roofed hot aisle under a ceiling return is a chimney to the ceiling, without a roof; a
contained cold aisle stops at its height under its roof. The view used to draw every
chimney as a box at rack height with a lid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.model.containment import ducted_to_ceiling
from twin.model.loader import load_layout
from twin.render.scene import Scene

ROOMS = Path(__file__).resolve().parents[1] / "validation"


def _panels(scene: Scene, kind: str):
    """The translucent panels of containment ``kind`` (not the outline), as a mesh."""
    meshes = [a.mapper.dataset for a in scene.layers["containment"].actors]
    names = [a.name if hasattr(a, "name") else "" for a in scene.layers["containment"].actors]
    found = [m for m, n in zip(meshes, names, strict=True) if n == f"containment_{kind}"]
    assert len(found) == 1, names
    return found[0]


def _quads(mesh) -> np.ndarray:
    """(n, 4, 3) corners of each quad."""
    faces = mesh.faces.reshape(-1, 5)[:, 1:]
    return np.asarray(mesh.points)[faces]


def test_a_hot_aisle_ducted_to_a_ceiling_return_rises_to_the_ceiling(plotter):
    fac = load_layout(ROOMS / "holdout" / "rooms" / "fan-wall-hac-slab.yaml")
    scene = Scene(fac, plotter)
    quads = _quads(_panels(scene, "hot-aisle"))
    z = quads[..., 2]
    assert z.max() == pytest.approx(3.6)  # the hall's ceiling, not the aisle's 2.2 m
    # no lid: no quad lies flat at the top, nor at rack height
    flat = np.ptp(z, axis=1) < 1e-9
    assert not flat.any()
    # the doors (x = 3.0 and 6.0 m) from the floor to the ceiling; the long sides (y = 3.0
    # and 4.2 m) only above the racks, 2.2 m up
    x_ends = np.ptp(quads[..., 0], axis=1) < 1e-9
    y_sides = np.ptp(quads[..., 1], axis=1) < 1e-9
    assert sorted(set(np.round(quads[x_ends][..., 0].ravel(), 6))) == [3.0, 6.0]
    assert z[x_ends].min() == pytest.approx(0.0) and z[x_ends].max() == pytest.approx(3.6)
    assert sorted(set(np.round(quads[y_sides][..., 1].ravel(), 6))) == [3.0, 4.2]
    assert z[y_sides].min() == pytest.approx(2.2) and z[y_sides].max() == pytest.approx(3.6)


def test_a_contained_cold_aisle_keeps_its_roof_at_its_height(plotter):
    fac = load_layout(ROOMS / "rooms" / "cold-containment-leaky.yaml")
    scene = Scene(fac, plotter)
    quads = _quads(_panels(scene, "cold-aisle"))
    z = quads[..., 2]
    assert z.max() == pytest.approx(2.2)
    flat = np.ptp(z, axis=1) < 1e-9
    assert flat.sum() == 1 and z[flat].min() == pytest.approx(2.2)  # the roof


def test_which_containment_is_ducted():
    fac = load_layout(ROOMS / "holdout" / "rooms" / "fan-wall-hac-slab.yaml")
    (hac,) = fac.layout.cooling.containment
    returns = fac.layout.cooling.returns
    assert ducted_to_ceiling(hac, returns)
    assert not ducted_to_ceiling(hac.model_copy(update={"roof": False}), returns)
    assert not ducted_to_ceiling(hac.model_copy(update={"kind": "cold-aisle"}), returns)
    # a grille beside the aisle (its rect is x 3.0-6.0, y 3.0-4.2 m), touching one edge, is not
    # over it; one reaching a cell into it is
    for beside in (
        [6.0, 3.0, 7.0, 4.2],
        [1.0, 3.0, 3.0, 4.2],
        [3.0, 2.0, 6.0, 3.0],
        [3.0, 4.2, 6.0, 5.0],
    ):
        away = [g.model_copy(update={"rect_m": beside}) for g in returns]
        assert not ducted_to_ceiling(hac, away), beside
    for over in (
        [5.8, 3.0, 7.0, 4.2],
        [1.0, 3.0, 3.2, 4.2],
        [3.0, 2.0, 6.0, 3.2],
        [3.0, 4.0, 6.0, 5.0],
    ):
        assert ducted_to_ceiling(hac, [g.model_copy(update={"rect_m": over}) for g in returns])
    on_wall = [g.model_copy(update={"kind": "wall"}) for g in returns]
    assert not ducted_to_ceiling(hac, on_wall)
    elsewhere = [g.model_copy(update={"hall": "OTHER"}) for g in returns]
    assert not ducted_to_ceiling(hac, elsewhere)
