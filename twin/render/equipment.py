"""Builders of the scene's equipment: rack cabinets, GPUs, server trays and the power and
cooling links. Racks and GPUs are the big meshes the scene recolours in place, so each keeps
a numpy view of its VTK value array on the scene (``_rack_values``, ``_gpu_values``): box k
owns cells ``k * faces`` to ``(k + 1) * faces``, and picking is an integer division."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy

from twin.model.facility import RACK_BASE_M, U_M, Facility
from twin.render import geometry as geo
from twin.render import style
from twin.render.links import LinkRouter

GPU_FACES = ("top", "front", "rear", "left", "right")  # never seen from below
RACK_FACES = ("top", "rear")  # open front and sides: the GPUs show from the cold aisle


def _host_heights_m(f: Facility, server: np.ndarray) -> np.ndarray:
    """Height of one host's share of each given server (m)."""
    types = {t: f.catalog[t] for t in set(f.server_type)}
    server_u = np.array([types[t].u for t in f.server_type], dtype=float)
    server_hosts = np.array([types[t].hosts for t in f.server_type], dtype=float)
    return server_u[server] * U_M / server_hosts[server]


def gpu_box_size_m(f: Facility) -> np.ndarray:
    """(G, 3) drawn size of each GPU: its slot in the facility's GPU grid, shrunk so the gaps
    show, capped at the size of an SXM module with its heat sink."""
    if f.n_gpus == 0:
        return np.zeros((0, 3))
    r = f.gpu_rack
    host_h = _host_heights_m(f, f.gpu_server)
    n_in = f.host_gpu_count[f.gpu_host].astype(float)
    cols = np.minimum(n_in, 4)
    nrows = np.ceil(n_in / cols)
    sx = 0.8 * f.rack_size_m[r, 0] / cols
    sy = 0.6 * f.rack_size_m[r, 1] / nrows
    return np.stack(
        [np.minimum(0.8 * sx, 0.12), np.minimum(0.8 * sy, 0.16), np.minimum(0.7 * host_h, 0.1)],
        axis=1,
    )


def build_racks(scene) -> None:
    """The cabinets (top and rear faces, coloured per rack) and their edges: layer ``racks``."""
    f = scene.facility
    n = f.n_racks
    center = scene.rack_center.copy()
    center[:, 2] = f.rack_size_m[:, 2] / 2
    scene.rack_mesh = geo.boxes(center, f.rack_size_m, f.rack_rotation_deg, RACK_FACES)
    nf = len(RACK_FACES)
    scene.rack_actor = None
    scene._rack_vtk = None
    scene._rack_values = np.zeros((0, nf))
    if n == 0:
        scene.add_layer("racks", [])
        return
    scene.rack_mesh.cell_data["rack_index"] = np.repeat(np.arange(n, dtype=np.int32), nf)
    scene.rack_mesh.cell_data["rack_value"] = np.full(n * nf, np.nan)
    scene._rack_vtk = scene.rack_mesh.GetCellData().GetArray("rack_value")
    scene._rack_values = vtk_to_numpy(scene._rack_vtk).reshape(n, nf)
    actor = scene._add(
        scene.rack_mesh,
        scalars="rack_value",
        preference="cell",
        cmap=scene.rack_colouring.cmap,
        clim=scene.rack_colouring.clim,
        nan_color=style.RACK,
        show_scalar_bar=False,
        ambient=0.2,
        diffuse=0.85,
        specular=0.15,
        pickable=True,
        name="racks",
    )
    scene.rack_actor = actor
    scene.picker.register(actor, "rack", lambda cell: int(cell) // nf)
    edges = geo.box_edges(center, f.rack_size_m * 1.001, f.rack_rotation_deg)
    edge_actor = scene._add(
        edges, color=style.RACK_EDGE, line_width=1, lighting=False, name="rack_edges"
    )
    scene.add_layer("racks", [actor, edge_actor])


def build_gpus(scene) -> None:
    """One closed box per GPU, coloured per GPU: layer ``gpus``."""
    f = scene.facility
    g = f.n_gpus
    nf = len(GPU_FACES)
    scene.gpu_mesh = geo.boxes(
        scene.gpu_center, gpu_box_size_m(f), f.rack_rotation_deg[f.gpu_rack], GPU_FACES
    )
    if g == 0:
        scene.gpu_actor = None
        scene._gpu_vtk = None
        scene._gpu_values = np.zeros((0, nf))
        scene.add_layer("gpus", [])
        return
    scene.gpu_mesh.cell_data["gpu_value"] = np.full(g * nf, np.nan, dtype=np.float32)
    scene._gpu_vtk = scene.gpu_mesh.GetCellData().GetArray("gpu_value")
    scene._gpu_values = vtk_to_numpy(scene._gpu_vtk).reshape(g, nf)
    scene.gpu_actor = scene._add(
        scene.gpu_mesh,
        scalars="gpu_value",
        preference="cell",
        cmap=scene.gpu_colouring.cmap,
        clim=scene.gpu_colouring.clim,
        nan_color=style.GPU,
        show_scalar_bar=False,
        ambient=0.3,
        diffuse=0.8,
        specular=0.2,
        culling="back",  # closed from every side it is seen: skip the far faces
        pickable=True,
        name="gpus",
    )
    scene.picker.register(scene.gpu_actor, "gpu", lambda cell: int(cell) // nf)
    scene.add_layer("gpus", [scene.gpu_actor])


def build_trays(scene) -> None:
    """A thin shelf under each host's GPUs, so the GPUs read as sitting in servers: layer
    ``servers`` (picks name the host)."""
    f = scene.facility
    nh = len(f.host_names)
    if nh == 0 or f.n_gpus == 0:
        scene.add_layer("servers", [])
        return
    s = f.host_server
    first = np.searchsorted(f.host_server, np.arange(len(f.server_rack)))
    k = np.arange(nh) - first[s]
    host_h = _host_heights_m(f, s)
    r = f.host_rack
    c = scene.rack_center[r].copy()
    c[:, 2] = RACK_BASE_M + f.server_slot_u[s] * U_M + k * host_h + 0.006
    size = np.stack([0.88 * f.rack_size_m[r, 0], 0.72 * f.rack_size_m[r, 1], np.full(nh, 0.012)], 1)
    mesh = geo.boxes(c, size, f.rack_rotation_deg[r], ("top",))
    actor = scene._add(
        mesh,
        color=style.TRAY,
        ambient=0.25,
        diffuse=0.7,
        specular=0.1,
        pickable=True,
        name="servers",
    )
    scene.picker.register(actor, "host", int)  # one face per tray: cell c is host c
    scene.add_layer("servers", [actor])


def build_links(scene) -> None:
    """Power feeds (coloured by feed, with hubs) and coolant loops: layers ``power_links``
    and ``cooling_links``. The meshes stay on the scene so an edit can re-route in place."""
    router = LinkRouter(scene.facility, scene._origin)
    scene.links = router
    power = router.power_links()
    cool = router.cooling_links()
    scene._power_links, scene._cool_links = power, cool
    pa = scene._add(
        power,
        scalars="rgb",
        rgb=True,
        preference="cell",
        line_width=2,
        lighting=False,
        name="power_links",
    )
    ha = scene._add(
        router.hub_points(),
        color=style.FEED_UP,
        point_size=9,
        render_points_as_spheres=True,
        name="power_hubs",
    )
    scene.add_layer("power_links", [pa, ha])
    ca = scene._add(cool, color=style.LIQUID, line_width=2, lighting=False, name="cooling_links")
    scene.add_layer("cooling_links", [ca])
