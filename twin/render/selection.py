"""The selection highlight: outlines of the selected items and the power and cooling
connections that feed them, drawn into meshes that are reused (copied into) per selection."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.render import geometry as geo
from twin.render import style
from twin.render.scene_types import Layer

#: Edge of the box a selected point sensor is outlined with (m).
SENSOR_BOX_M = 0.3


class SelectionView:
    """Owned by ``Scene`` (``scene.selection_view``): ``outline_mesh``/``outline_actor`` and
    ``links_mesh``/``links_actor`` hold what is drawn for the current selection."""

    def __init__(self, scene) -> None:
        self.scene = scene
        self.outline_mesh = pv.PolyData()
        self.outline_actor = None
        self.links_mesh = pv.PolyData()
        self.links_actor = None
        self.selection: tuple[str, np.ndarray] = ("", np.zeros(0, dtype=np.int64))
        scene.layers["selection"] = Layer("selection", [])

    def item_boxes(self, kind: str, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centres, sizes and rotations of items, in site coordinates (for highlight and
        camera framing). Rows and halls expand to their racks."""
        f, o = self.scene.facility, self.scene._origin
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if kind == "row":
            idx = np.flatnonzero(np.isin(f.rack_row, idx))
            kind = "rack"
        elif kind == "hall":
            idx = np.flatnonzero(np.isin(f.rack_hall, idx))
            kind = "rack"
        elif kind in ("host", "server"):
            gpus = np.flatnonzero(np.isin(f.gpu_host if kind == "host" else f.gpu_server, idx))
            idx, kind = gpus, "gpu"
        if kind == "rack":
            c = self.scene.rack_center[idx].copy()
            c[:, 2] = f.rack_size_m[idx, 2] / 2
            return c, f.rack_size_m[idx], f.rack_rotation_deg[idx]
        if kind == "gpu":
            return (
                self.scene.gpu_center[idx],
                self.scene.gpu_box_size_m()[idx],
                f.rack_rotation_deg[f.gpu_rack[idx]],
            )
        if kind == "sensor":  # a point: a small cube round it, where it is (not on the floor)
            c = f.sensor_position_m[idx] + o[f.sensor_hall[idx]]
            return c, np.full((len(idx), 3), SENSOR_BOX_M), np.zeros(len(idx))
        table = {
            "air_unit": (
                f.air_unit_center_m,
                f.air_unit_size_m,
                f.air_unit_rotation_deg,
                f.air_unit_hall,
            ),
            "cdu": (f.cdu_center_m, f.cdu_size_m, f.cdu_rotation_deg, f.cdu_hall),
            "power": (
                f.power_center_m,
                f.power_size_m,
                f.power_rotation_deg,
                np.maximum(f.power_hall, 0),
            ),
        }
        if kind not in table:
            raise KeyError(f"no boxes for item kind {kind!r}")
        center, size, rot, hall = table[kind]
        c = center[idx] + o[hall[idx]]
        ok = np.isfinite(c[:, 0])
        c, s, r = c[ok], size[idx][ok], rot[idx][ok]
        c[:, 2] = s[:, 2] / 2
        return c, s, r

    def highlight(self, kind: str | None, indices=()) -> None:
        """Outline the given items (``kind`` as in ``Picked``, or ``row``/``hall``/``host``);
        ``None`` or no indices clears the highlight."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        links = self.related_links(kind, idx) if kind and idx.size else pv.PolyData()
        self._set_links(links)
        if not kind or idx.size == 0:
            mesh = pv.PolyData()
            self.selection = ("", np.zeros(0, dtype=np.int64))
        else:
            c, s, r = self.item_boxes(kind, idx)
            pad = 0.04 if kind != "gpu" else 0.015
            mesh = geo.box_edges(c, s + pad, r)
            if kind == "gpu":  # also frame the GPU's rack, so the eye finds it from afar
                rc, rs, rr = self.item_boxes("rack", np.unique(self.scene.facility.gpu_rack[idx]))
                mesh = pv.merge([mesh, geo.box_edges(rc, rs + 0.04, rr)])
            self.selection = (kind, idx)
        self._show_part("outline", mesh, color=style.SELECTION, line_width=3, name="selection")

    def _show_part(self, attr: str, mesh: pv.PolyData, **look) -> None:
        """One mesh and actor per part of the selection (``{attr}_mesh``, ``{attr}_actor``),
        made on first use; later selections are copied into the same mesh in place."""
        actor = getattr(self, f"{attr}_actor", None)
        if actor is None:
            if mesh.n_points == 0:
                return
            actor = self.scene.plotter.add_mesh(
                mesh, lighting=False, pickable=False, reset_camera=False, **look
            )
            setattr(self, f"{attr}_mesh", mesh)
            setattr(self, f"{attr}_actor", actor)
            self.scene.layers["selection"].actors.append(actor)
            actor.SetVisibility(self.scene.layers["selection"].visible)
        else:
            target = getattr(self, f"{attr}_mesh")
            target.copy_from(mesh)
            target.Modified()

    def related_links(self, kind: str, idx: np.ndarray) -> pv.PolyData:
        """The power and cooling connections of the given items, in their own colours: for a
        rack (or GPU), both feeds up to the utility and its liquid loop; for a power device,
        what it feeds and what feeds it; for a CDU, its loops."""
        f = self.scene.facility
        pw, cl = self.scene._power_links, self.scene._cool_links
        p_cells = np.zeros(pw.n_cells, dtype=bool)
        c_cells = np.zeros(cl.n_cells, dtype=bool)
        if kind == "gpu":
            kind, idx = "rack", np.unique(f.gpu_rack[idx])
        if pw.n_cells:
            side = np.asarray(pw.cell_data["side"])
            dev = np.asarray(pw.cell_data["device"])
            rack = np.asarray(pw.cell_data["rack"])
            up = side == 2
            if kind == "rack":
                p_cells |= np.isin(rack, idx)
                chain = {d for r in idx for d in (f.rack_feed_a[r], f.rack_feed_b[r]) if d >= 0}
                chain = {x for d in chain for x in map(f.power_index.get, f.power_chain(int(d)))}
                p_cells |= up & np.isin(dev, list(chain))
            elif kind == "power":
                p_cells |= np.isin(dev, idx)  # its rack feeds and its own upstream link
                p_cells |= up & np.isin(f.power_upstream[np.maximum(dev, 0)], idx)
        if cl.n_cells:
            if kind == "rack":
                c_cells |= np.isin(np.asarray(cl.cell_data["rack"]), idx)
            elif kind == "cdu":
                c_cells |= np.isin(np.asarray(cl.cell_data["cdu"]), idx)
        parts = []
        if p_cells.any():
            paths = pw.points.reshape(-1, 4, 3)[p_cells]
            m = geo.polylines(paths)
            m.cell_data["rgb"] = np.asarray(pw.cell_data["rgb"])[p_cells]
            parts.append(m)
        if c_cells.any():
            m = geo.polylines(cl.points.reshape(-1, 4, 3)[c_cells])
            m.cell_data["rgb"] = np.tile(
                np.array(style.hex_rgb(style.LIQUID), np.uint8), (m.n_cells, 1)
            )
            parts.append(m)
        return pv.merge(parts) if parts else pv.PolyData()

    def _set_links(self, mesh: pv.PolyData) -> None:
        self._show_part(
            "links",
            mesh,
            scalars="rgb",
            rgb=True,
            preference="cell",
            line_width=4,
            name="selection_links",
        )
