"""Screenshots with no display: an off-screen plotter, a scene, a camera preset, a PNG."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from twin.model.facility import Facility
from twin.model.frame import Frame
from twin.render import style
from twin.render.colour_modes import apply_mode
from twin.render.headless import offscreen_plotter
from twin.render.overlays import AlertLayer, colour_gpus, colour_sensors, throttling
from twin.render.png import save_png
from twin.render.scene import Scene


def render_png(
    facility: Facility,
    out: str | Path,
    *,
    size: tuple[int, int] = (1600, 1000),
    view: str = "iso",
    color: str = "none",
    show: Iterable[str] = (),
    hide: Iterable[str] = (),
    decorate: Callable[[Scene], None] | None = None,
) -> Path:
    """Render ``facility`` to ``out`` (PNG) and return its path. ``show``/``hide`` name scene
    layers (e.g. ``power_links``); ``decorate(scene)`` adds overlays (e.g. thermal slices)
    before the camera is placed. Raises ValueError for an unknown view, colouring or layer."""
    plotter = offscreen_plotter(size)
    try:
        scene = Scene(facility, plotter)
        for name in list(show) + list(hide):
            if name not in scene.layers:
                raise ValueError(f"unknown layer {name!r}: layers are {', '.join(scene.layers)}")
        for name in show:
            scene.set_visible(name, True)
        for name in hide:
            scene.set_visible(name, False)
        apply_mode(scene, color)
        if decorate is not None:
            decorate(scene)
        scene.set_view(view)
        plotter.enable_anti_aliasing("ssaa")
        return save_png(plotter, out)
    finally:
        plotter.close()


# ---------------------------------------------------------------------- one instant, off screen
def render_frame_png(
    facility: Facility,
    frame: Frame,
    out: str | Path,
    *,
    metric: str = "temp_c",
    alarmed: dict[str, int] | None = None,
    size: tuple[int, int] = (1600, 1000),
    view: str = "iso",
    title: str = "",
    colour_mode: str | None = None,
    decorate: Callable[[Scene], None] | None = None,
) -> Path:
    """Render ``facility`` as it was in ``frame``: GPUs coloured by ``metric`` over its fixed
    scale (or by a colour mode that reads the frame), throttling GPUs and alarmed items
    outlined, ``title`` in the top-left corner; ``decorate(scene)`` adds more overlays
    (the thermal ones)."""
    more = decorate

    def decorate(scene) -> None:
        scene.gpu_metric = metric
        if colour_mode is not None:
            apply_mode(scene, colour_mode, frame)
        elif facility.n_gpus and not colour_gpus(scene, frame, metric):
            # a layout of racks given by load has no GPUs to colour: its sensors and alarms
            # still show the instant
            raise ValueError(f"the recording has no GPU metric {metric!r}")
        colour_sensors(scene, frame)
        AlertLayer(scene).update(throttling(frame), alarmed or {})
        if more is not None:
            more(scene)
        if title:
            scene.plotter.add_text(
                title, position="upper_left", font_size=11, color=style.LABEL_TEXT
            )

    return render_png(facility, out, size=size, view=view, decorate=decorate)


def png_snapshot(size: tuple[int, int] = (900, 560)):
    """A renderer for reports: ``snap(facility, frame, title)`` gives the hall as it was in a
    frame, as PNG bytes."""

    def snap(fac: Facility, frame: Frame, title: str) -> bytes:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            out = render_frame_png(fac, frame, Path(d) / "snap.png", size=size, title=title)
            return Path(out).read_bytes()

    return snap
