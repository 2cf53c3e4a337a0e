"""The interactive view's lights: one headlight instead of PyVista's five-light kit.

Software OpenGL (Mesa's llvmpipe) lights every pixel in a shader whose cost grows with the
number of lights; with one light at the camera a frame of the factory costs about a fifth
less, and faces turned towards the viewer show their colour map's colour at full strength.
"""

from __future__ import annotations

from vtkmodules.vtkRenderingCore import vtkLight


def use_headlight(plotter) -> None:
    """Replace the lights of ``plotter``'s renderer by one light that follows the camera."""
    renderer = plotter.renderer
    renderer.RemoveAllLights()
    light = vtkLight()
    light.SetLightTypeToHeadlight()
    renderer.AddLight(light)
