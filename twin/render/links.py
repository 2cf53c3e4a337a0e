"""Power and cooling connections as routed polylines: up from a device to a tray level, across,
and down onto the rack top, like cable trays and overhead pipes.

Power devices with no position in the layout (utility feeds, busways, ...) get a schematic
"hub" above the hall: the centroid of what they feed, raised one step per level towards the
utility, so the whole power tree reads from above.
"""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.model.facility import Facility
from twin.render import geometry as geo
from twin.render import style

SIDE_A, SIDE_B, UPSTREAM = 0, 1, 2


class LinkRouter:
    """Anchors and routed paths for one facility, in site coordinates."""

    def __init__(self, facility: Facility, origin: np.ndarray):
        f = facility
        self.facility = f
        self.origin = origin
        self.rack_top = f.rack_center_m + origin[f.rack_hall]
        self.rack_top[:, 2] = f.rack_size_m[:, 2]
        top = float(f.rack_size_m[:, 2].max(initial=2.2))
        self.tray_z = top + 0.45
        self.pipe_z = top + 0.2
        self.power_anchor, self.power_hub = self._power_anchors()

    def _power_anchors(self) -> tuple[np.ndarray, np.ndarray]:
        f = self.facility
        n = len(f.power_ids)
        anchor = np.full((n, 3), np.nan)
        placed = np.isfinite(f.power_center_m[:, 0])
        hall = np.maximum(f.power_hall, 0)
        anchor[placed] = f.power_center_m[placed] + self.origin[hall[placed]]
        anchor[placed, 2] = np.maximum(f.power_size_m[placed, 2], 0.3)
        hub = ~placed
        if n == 0:
            return anchor, hub
        site = np.vstack([self.rack_top, anchor[placed]])
        centre = site.mean(axis=0) if len(site) else np.zeros(3)
        max_depth = int(f.power_depth.max(initial=0))
        for level in range(max_depth, -1, -1):  # deepest first: children are known
            for d in np.flatnonzero((f.power_depth == level) & hub):
                kids = [anchor[np.flatnonzero(f.power_upstream == d)]]
                kids.append(self.rack_top[(f.rack_feed_a == d) | (f.rack_feed_b == d)])
                pts = np.vstack(kids)
                pts = pts[np.isfinite(pts[:, 0])]
                xy = pts[:, :2].mean(axis=0) if len(pts) else centre[:2]
                anchor[d] = (*xy, self.tray_z + 0.8 * (max_depth - level + 1))
        return anchor, hub

    @staticmethod
    def _route(src: np.ndarray, dst: np.ndarray, level: float) -> np.ndarray:
        """(M, 4, 3) paths: up from src to ``level`` (or straight from a hub above it), across,
        and down onto dst."""
        m = len(src)
        p = np.empty((m, 4, 3))
        p[:, 0] = src
        p[:, 1] = src
        p[:, 1, 2] = np.maximum(src[:, 2], level)
        p[:, 2, :2] = dst[:, :2]
        p[:, 2, 2] = level
        p[:, 3] = dst
        return p

    def power_links(self) -> pv.PolyData:
        """Rack feeds A and B and device-to-upstream links, one polyline cell each, with cell
        arrays ``rgb``, ``side`` (0 A, 1 B, 2 upstream), ``device`` and ``rack`` (-1 if none)."""
        f = self.facility
        paths, side, device, rack = [], [], [], []
        for s, feed in ((SIDE_A, f.rack_feed_a), (SIDE_B, f.rack_feed_b)):
            r = np.flatnonzero(feed >= 0)
            d = feed[r]
            paths.append(
                self._route(self.power_anchor[d], self.rack_top[r], self.tray_z + 0.15 * s)
            )
            side.append(np.full(len(r), s))
            device.append(d)
            rack.append(r)
        child = np.flatnonzero(f.power_upstream >= 0)
        parent = f.power_upstream[child]
        ok = np.isfinite(self.power_anchor[child, 0]) & np.isfinite(self.power_anchor[parent, 0])
        child, parent = child[ok], parent[ok]
        paths.append(
            self._route(self.power_anchor[parent], self.power_anchor[child], self.tray_z + 0.3)
        )
        side.append(np.full(len(child), UPSTREAM))
        device.append(child)
        rack.append(np.full(len(child), -1))
        all_paths = np.concatenate(paths) if paths else np.zeros((0, 4, 3))
        mesh = geo.polylines(all_paths)
        if mesh.n_cells:
            sides = np.concatenate(side).astype(np.int8)
            palette = np.array(
                [style.hex_rgb(c) for c in (style.FEED_A, style.FEED_B, style.FEED_UP)],
                dtype=np.uint8,
            )
            mesh.cell_data["rgb"] = palette[sides]
            mesh.cell_data["side"] = sides
            mesh.cell_data["device"] = np.concatenate(device).astype(np.int32)
            mesh.cell_data["rack"] = np.concatenate(rack).astype(np.int32)
        return mesh

    def hub_points(self) -> pv.PolyData:
        """Schematic positions of power devices that have none in the layout."""
        pts = self.power_anchor[self.power_hub]
        pts = pts[np.isfinite(pts[:, 0])]
        return pv.PolyData(pts) if len(pts) else pv.PolyData()

    def cooling_links(self) -> pv.PolyData:
        """CDU to each rack it serves, one polyline cell per rack (cell array ``rack``)."""
        f = self.facility
        r = np.flatnonzero(f.rack_cdu >= 0)
        if r.size == 0:
            return pv.PolyData()
        c = f.rack_cdu[r]
        src = f.cdu_center_m[c] + self.origin[f.cdu_hall[c]]
        src[:, 2] = f.cdu_size_m[c, 2]
        mesh = geo.polylines(self._route(src, self.rack_top[r], self.pipe_z))
        mesh.cell_data["rack"] = r.astype(np.int32)
        mesh.cell_data["cdu"] = c.astype(np.int32)
        return mesh
