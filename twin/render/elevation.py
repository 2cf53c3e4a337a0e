"""A rack elevation, as NetBox draws one: the front and the rear of one rack side by side, its
servers at their U positions, their GPUs coloured by a metric.

Drawn flat in the x-z plane (x across the rack, z up) with a parallel camera, so a U is the
same height everywhere. The rear is the front mirrored (what is on the left seen from the
cold aisle is on the right seen from the hot aisle). Used by ``twin render --view rack:ID``
and by the window's inspector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvista as pv

from twin.model.facility import RACK_BASE_M, U_M, Facility
from twin.render import style
from twin.render.headless import offscreen_plotter
from twin.render.png import save_png

#: Width of the 19-inch mounting space inside a cabinet's width (m), and the gap between the
#: front and rear drawings (a share of the rack's width).
MOUNT_W_M = 0.4826
GAP_SHARE = 0.45
#: Room left of the front drawing for the host names (m).
LABEL_W_M = 0.55
#: GPU boxes fill this share of their slot, so the gaps between them show.
GPU_FILL = 0.8


@dataclass
class Elevation:
    """The flat geometry of one rack's elevation. ``gpus``: the rack's GPU indices (facility
    order), box k of ``gpu_front``/``gpu_rear`` drawing GPU ``gpus[k]``."""

    rack: int
    frame: pv.PolyData
    servers: pv.PolyData
    gpu_front: pv.PolyData
    gpu_rear: pv.PolyData
    gpus: np.ndarray
    labels: list[tuple[tuple[float, float, float], str]]
    width_m: float
    height_m: float


def _rects(x0, z0, x1, z1, y: float = 0.0) -> pv.PolyData:
    """Axis-aligned rectangles in the x-z plane (one quad each, facing -y)."""
    x0, z0, x1, z1 = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (x0, z0, x1, z1))
    n = len(x0)
    if n == 0:
        return pv.PolyData()
    yy = np.full(n, y)
    pts = np.stack(
        [
            np.stack([x0, yy, z0], 1),
            np.stack([x1, yy, z0], 1),
            np.stack([x1, yy, z1], 1),
            np.stack([x0, yy, z1], 1),
        ],
        axis=1,
    ).reshape(-1, 3)
    quads = np.arange(4 * n).reshape(n, 4)
    return pv.PolyData.from_regular_faces(pts, quads)


def _gpu_boxes(f: Facility, gpus: np.ndarray, width: float, mirror: bool, x_off: float):
    """One rectangle per GPU inside its host's band: up to four across, further rows (the
    GPUs behind, in depth) stacked within the band."""
    cat = f.catalog
    s, h = f.gpu_server[gpus], f.gpu_host[gpus]
    server_u = np.array([cat[f.server_type[i]].u for i in s], dtype=float)
    hosts = np.array([cat[f.server_type[i]].hosts for i in s], dtype=float)
    first_host = np.searchsorted(f.host_server, s)
    host_h = server_u * U_M / hosts
    z0 = RACK_BASE_M + f.server_slot_u[s] * U_M + (h - first_host) * host_h
    n_in = f.host_gpu_count[h].astype(float)
    cols = np.minimum(n_in, 4)
    rows = np.ceil(n_in / cols)
    k = f.gpu_local[gpus].astype(float)
    col, row = k % cols, k // cols
    if mirror:
        col = cols - 1 - col
    left = (width - MOUNT_W_M) / 2 + x_off
    cw, rh = MOUNT_W_M / cols, host_h / rows
    x0 = left + col * cw + cw * (1 - GPU_FILL) / 2
    zz = z0 + row * rh + rh * (1 - GPU_FILL) / 2
    return _rects(x0, zz, x0 + cw * GPU_FILL, zz + rh * GPU_FILL, y=-0.002)


def build_elevation(facility: Facility, rack: int) -> Elevation:
    """Front (left) and rear (right) of ``rack``: cabinet, servers, GPUs, labels."""
    f = facility
    width = float(f.rack_size_m[rack, 0])
    height = float(f.rack_size_m[rack, 2])
    rear_x = width * (1 + GAP_SHARE)
    servers = np.flatnonzero(f.server_rack == rack)
    gpus = np.flatnonzero(f.gpu_rack == rack)
    frame = pv.merge([_rects(x, 0.0, x + width, height, y=0.002) for x in (0.0, rear_x)])
    cat = f.catalog
    labels: list[tuple[tuple[float, float, float], str]] = []
    boxes = []
    for x_off in (0.0, rear_x):
        left = (width - MOUNT_W_M) / 2 + x_off
        for srv in servers:
            z0 = RACK_BASE_M + f.server_slot_u[srv] * U_M
            z1 = z0 + cat[f.server_type[srv]].u * U_M
            boxes.append(_rects(left, z0 + 0.002, left + MOUNT_W_M, z1 - 0.002))
    for srv in servers:
        z0 = RACK_BASE_M + f.server_slot_u[srv] * U_M
        hosts = np.flatnonzero(f.host_server == srv)
        host_h = cat[f.server_type[srv]].u * U_M / max(len(hosts), 1)
        for k, h in enumerate(hosts):
            u = int(f.server_slot_u[srv]) + 1
            text = f"U{u} {f.host_names[h]}" if k == 0 else f.host_names[h]
            labels.append(((-LABEL_W_M, -0.01, z0 + (k + 0.5) * host_h), text))
    rid = f.racks[rack].label or f.rack_ids[rack]
    labels.append(((0.0, -0.01, height + 0.08), f"{rid} front"))
    labels.append(((rear_x, -0.01, height + 0.08), f"{rid} rear"))
    return Elevation(
        rack=rack,
        frame=frame,
        servers=pv.merge(boxes) if boxes else pv.PolyData(),
        gpu_front=_gpu_boxes(f, gpus, width, False, 0.0) if len(gpus) else pv.PolyData(),
        gpu_rear=_gpu_boxes(f, gpus, width, True, rear_x) if len(gpus) else pv.PolyData(),
        gpus=gpus,
        labels=labels,
        width_m=rear_x + width,
        height_m=height,
    )


def draw_elevation(
    plotter: pv.Plotter,
    elevation: Elevation,
    gpu_values: np.ndarray | None = None,
    title: str = "",
    clim: tuple[float, float] | None = None,
    cmap=style.CMAP_TEMPERATURE,
    font_scale: float = 1.0,
) -> None:
    """Add the elevation to ``plotter`` (GPUs coloured from ``gpu_values``, one per facility
    GPU, NaN neutral) and look at it straight on."""
    e = elevation
    plotter.set_background(style.BACKGROUND_BOTTOM, top=style.BACKGROUND_TOP)
    plotter.add_mesh(e.frame, color=style.RACK, lighting=False, name="elevation_frame")
    if e.servers.n_cells:
        plotter.add_mesh(
            e.servers, color=style.WALL, lighting=False, show_edges=True,
            edge_color=style.RACK_EDGE, name="elevation_servers",
        )  # fmt: skip
    v = None if gpu_values is None else np.asarray(gpu_values, dtype=float)[e.gpus]
    # the bar's labels need about 80 px right of it, whatever the image's width
    bar_x = min(0.86, 1.0 - 80.0 / max(plotter.window_size[0], 160))
    for part, name in ((e.gpu_front, "front"), (e.gpu_rear, "rear")):
        if not part.n_cells:
            continue
        kw: dict = {"color": style.GPU}
        if v is not None:
            part.cell_data["value"] = v
            finite = v[np.isfinite(v)]
            lim = clim or ((finite.min(), finite.max()) if finite.size else (0.0, 1.0))
            kw = {
                "scalars": "value", "cmap": cmap, "clim": lim, "nan_color": style.GPU,
                "show_scalar_bar": name == "front",
                "scalar_bar_args": {"title": title, "vertical": True, "position_x": bar_x,
                                    "position_y": 0.1, "height": 0.7, "width": 0.06,
                                    "color": style.LABEL_TEXT, "fmt": "%.4g", "n_labels": 4},
            }  # fmt: skip
        plotter.add_mesh(part, lighting=False, name=f"elevation_gpus_{name}", **kw)
    pts = np.array([p for p, _ in e.labels])
    plotter.add_point_labels(
        pts, [t for _, t in e.labels],
        font_size=max(6, round((11 if len(pts) < 24 else 9) * font_scale)),
        text_color=style.LABEL_TEXT, shape_color=style.RACK_LABEL_BG, shape_opacity=0.8,
        show_points=False, always_visible=True, name="elevation_labels",
    )  # fmt: skip
    cam = plotter.camera
    cam.parallel_projection = True
    centre = np.array([(e.width_m - LABEL_W_M) / 2, 0.0, e.height_m / 2])
    cam.focal_point = tuple(centre)
    cam.position = tuple(centre - np.array([0.0, 10.0, 0.0]))
    cam.up = (0.0, 0.0, 1.0)
    w, h = plotter.window_size
    span_w = (e.width_m + LABEL_W_M) * 1.45  # the host labels on the left, the legend right
    cam.parallel_scale = 0.56 * max(e.height_m + 0.3, span_w * h / max(w, 1))
    plotter.renderer.ResetCameraClippingRange()


class ElevationPainter:
    """Draws elevations off screen into images, keeping one render window between drawings
    (making one costs as much as drawing). ``close()`` when done; the next drawing opens a
    new one."""

    def __init__(self, size: tuple[int, int] = (360, 300), font_scale: float = 1.0) -> None:
        self.size = size
        self.font_scale = font_scale
        self._plotter: pv.Plotter | None = None

    def image(
        self,
        facility: Facility,
        rack: int,
        gpu_values: np.ndarray | None = None,
        title: str = "",
        clim: tuple[float, float] | None = None,
        cmap=style.CMAP_TEMPERATURE,
    ) -> np.ndarray:
        """The elevation of rack index ``rack`` as an (h, w, 3) uint8 image."""
        e = build_elevation(facility, rack)
        if self._plotter is None:
            self._plotter = offscreen_plotter(self.size)
        p = self._plotter
        p.clear()
        draw_elevation(p, e, gpu_values, title, clim, cmap, font_scale=self.font_scale)
        return np.asarray(p.screenshot(return_img=True))[..., :3].copy()

    def close(self) -> None:
        if self._plotter is not None:
            self._plotter.close()
            self._plotter = None


def elevation_png(
    facility: Facility,
    rack: str,
    out: str | Path,
    *,
    size: tuple[int, int] = (1000, 1000),
    gpu_values: np.ndarray | None = None,
    title: str = "",
    clim: tuple[float, float] | None = None,
    cmap=style.CMAP_TEMPERATURE,
) -> Path:
    """Write the elevation of rack ``rack`` (id) to ``out``. Raises ValueError for an unknown
    rack."""
    if rack not in facility.rack_index:
        raise ValueError(f"unknown rack {rack!r}")
    e = build_elevation(facility, facility.rack_index[rack])
    plotter = offscreen_plotter(size)
    try:
        draw_elevation(plotter, e, gpu_values, title, clim, cmap)
        return save_png(plotter, out)
    finally:
        plotter.close()
