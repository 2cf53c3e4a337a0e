"""How the interactive 3D view smooths its edges, chosen for software OpenGL.

Under Mesa's llvmpipe every frame's cost grows with the pixels shaded times the samples per
pixel: 4x multisampling roughly triples the cost of a 1600x1000 frame, and an FXAA pass adds
more than the whole factory scene costs to draw. The view therefore draws one sample per pixel
and no post pass; thin outlines show slight steps, racks, slices and arrows look the same.
Off-screen pictures (``twin render``) keep supersampling: there quality matters, not speed.
"""

from __future__ import annotations


def use_interactive_antialiasing(plotter) -> None:
    """Set ``plotter`` (a ``pv.Plotter`` or Qt interactor) to draw its frames without
    multisampling or an anti-aliasing pass. Call before the first draw."""
    plotter.ren_win.SetMultiSamples(0)
    plotter.renderer.disable_anti_aliasing()
