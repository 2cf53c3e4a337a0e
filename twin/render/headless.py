"""Every off-screen plotter Twin makes (pictures, elevations, the scene benchmarks): on a
machine with no display it goes straight to EGL.

With no ``DISPLAY``, VTK's factory tries an X window first and prints "bad X server
connection" (a coloured WARN line on every ``twin render``) before it falls back to EGL, which
then draws the picture anyway: a user reads the warning as the failure. Naming EGL first skips
the try. A variable the user set is kept."""

from __future__ import annotations

import os

import pyvista as pv

#: VTK's own switch for which OpenGL window class it makes first (VTK >= 9.4).
VARIABLE = "VTK_DEFAULT_OPENGL_WINDOW"


def prefer_egl_without_display() -> None:
    """Before an off-screen plotter is made: EGL first when there is no X display."""
    if not os.environ.get("DISPLAY") and VARIABLE not in os.environ:
        os.environ[VARIABLE] = "vtkEGLRenderWindow"


def offscreen_plotter(size: tuple[int, int] | list[int]) -> pv.Plotter:
    """An off-screen plotter of ``size`` pixels (EGL first without a display)."""
    prefer_egl_without_display()
    return pv.Plotter(off_screen=True, window_size=list(size))
