"""How a containment stands in its hall, one rule for the airflow grid and the 3D view: a
roofed hot aisle under a ceiling return grille is ducted to it (a chimney whose walls reach
the ceiling, open at the top to the grille), not closed at its own height."""

from __future__ import annotations

from collections.abc import Iterable


def ducted_to_ceiling(c, returns: Iterable) -> bool:
    """Whether containment ``c`` is a chimney to a ceiling return: a roofed hot aisle under
    a ceiling grille of its hall (``returns``: the layout's return grilles)."""
    if c.kind != "hot-aisle" or not c.roof:
        return False
    x0, y0, x1, y1 = c.rect_m
    return any(
        g.hall == c.hall
        and g.kind == "ceiling"
        and g.rect_m[0] < x1
        and g.rect_m[2] > x0
        and g.rect_m[1] < y1
        and g.rect_m[3] > y0
        for g in returns
    )
