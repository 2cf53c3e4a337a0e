"""The loaded facility: every GPU, host, server, rack and unit gets a dense integer index once,
and everything downstream (physics, telemetry, recording, scene) works on arrays in that order.

Index orders follow the layout file: racks in row order then rack order; servers, hosts and
GPUs bottom-up within each rack; air units, CDUs and power devices as listed.

Positions are hall-local metres (``*_center_m`` is the footprint centre at floor level, z = 0);
``hall_origin_m[hall]`` places a hall in the site. Powers are in watts.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from twin.model.catalog import Catalog
from twin.model.facility_index import RACK_BASE_M as RACK_BASE_M  # re-exported: twin.api, render
from twin.model.facility_index import U_M as U_M
from twin.model.facility_index import build_index
from twin.model.schema import Layout

if TYPE_CHECKING:  # networkx is imported when a graph is first wanted
    import networkx as nx


def layout_yaml(layout: Layout) -> str:
    """A validated layout as plain YAML (no comments): what a worker or a recording loads."""
    import yaml

    return yaml.safe_dump(layout.model_dump(mode="json", exclude_none=True))


class Facility:
    """A validated layout turned into index arrays, a topology graph and engineering queries.

    Build it with ``twin.model.loader.load_layout`` (which validates first) or
    ``Facility(layout, catalog)`` for an already validated ``Layout``. The arrays are filled
    by ``twin.model.facility_index``; this class holds them and answers queries on them.
    """

    def __init__(self, layout: Layout, catalog: Catalog, path: str | Path | None = None):
        self.layout = layout
        self.catalog = catalog
        self.path = Path(path) if path is not None else None
        self.source_text: str | None = None
        #: edits made to it in place since it was built (``LayoutDocument`` counts them): a
        #: job that holds it tells a layout changed under it by this (``layout_state``)
        self.edits = 0
        build_index(self)

    def current_text(self) -> str:
        """The layout as it is now, as YAML: the file's text until an edit patched this
        facility in place (``edits``), then the layout written out."""
        if self.edits == 0 and self.source_text is not None:
            return self.source_text
        return layout_yaml(self.layout)

    # ------------------------------------------------------------------ sizes
    @property
    def n_gpus(self) -> int:
        return len(self.gpu_host)

    @property
    def n_racks(self) -> int:
        return len(self.rack_ids)

    def counts(self) -> dict[str, int]:
        """Item counts per kind, as ``Frame.empty`` wants them."""
        return {
            "gpu": self.n_gpus,
            "rack": self.n_racks,
            "air_unit": len(self.air_unit_ids),
            "cdu": len(self.cdu_ids),
            "power": len(self.power_ids),
            "sensor": len(self.sensor_ids),
        }

    def ids_of(self, kind: str) -> list[str]:
        """Ids of one kind in index order; GPUs are ``host/gpuN``."""
        if kind == "gpu":
            return [
                f"{self.host_names[h]}/gpu{k}"
                for h, k in zip(self.gpu_host, self.gpu_local, strict=True)
            ]
        return {
            "rack": self.rack_ids,
            "air_unit": self.air_unit_ids,
            "cdu": self.cdu_ids,
            "power": self.power_ids,
            "sensor": self.sensor_ids,
            "hall": self.hall_ids,
            "row": self.row_ids,
            "host": self.host_names,
        }[kind]

    def gpu_of(self, host: str, gpu: int) -> int:
        """Dense GPU index of (host name, GPU index as DCGM labels it); -1 if unknown."""
        h = self.host_index.get(host)
        if h is None or not 0 <= gpu < self.host_gpu_count[h]:
            return -1
        return int(self.host_first_gpu[h] + gpu)

    def gpu_label(self, g: int) -> str:
        return f"{self.host_names[self.gpu_host[g]]}/gpu{self.gpu_local[g]}"

    def find(self, item_id: str) -> tuple[str, int] | None:
        """(kind, index) of any id: hall, row, rack, air_unit, cdu, power, host or gpu
        (``host/gpuN``, or a UUID of the layout's ``telemetry.gpu_uuids``)."""
        for kind, index in (
            ("rack", self.rack_index),
            ("air_unit", self.air_unit_index),
            ("cdu", self.cdu_index),
            ("power", self.power_index),
            ("row", self.row_index),
            ("hall", self.hall_index),
            ("host", self.host_index),
        ):
            if item_id in index:
                return kind, index[item_id]
        if "/gpu" in item_id:
            host, _, k = item_id.rpartition("/gpu")
            if k.isdigit() and (g := self.gpu_of(host, int(k))) >= 0:
                return "gpu", g
        named = self.layout.telemetry.gpu_uuids.get(item_id)
        if named is not None and "/gpu" in named:
            return self.find(named)
        return None

    # ------------------------------------------------------------------ power
    def power_alive(self, failed: Iterable[str] = ()) -> np.ndarray:
        """(P,) True where a power device and all its upstream devices are on and not failed."""
        alive = self.power_on.copy()
        for f in failed:
            if f in self.power_index:
                alive[self.power_index[f]] = False
        for level in range(1, int(self.power_depth.max(initial=0)) + 1):
            idx = np.flatnonzero(self.power_depth == level)
            alive[idx] &= alive[self.power_upstream[idx]]
        return alive

    def power_load_w(
        self, rack_power_w: np.ndarray | None = None, failed: Iterable[str] = ()
    ) -> np.ndarray:
        """(P,) load on every power device, with upstream losses, given rack powers (nominal
        by default) and failed devices. A rack with both feeds alive splits its load evenly;
        with one alive, that one carries it all; with none, it is dark."""
        p = self.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, dtype=float)
        alive = self.power_alive(failed)
        a, b = self.rack_feed_a, self.rack_feed_b
        alive_or_none = np.append(alive, False)  # index -1 (no feed) reads False
        a_ok, b_ok = alive_or_none[a], alive_or_none[b]
        share_a = np.where(a_ok & b_ok, 0.5, np.where(a_ok, 1.0, 0.0))
        share_b = np.where(a_ok & b_ok, 0.5, np.where(b_ok, 1.0, 0.0))
        n = len(self.power_ids)
        load = np.bincount(a[a_ok], p[a_ok] * share_a[a_ok], minlength=n).astype(float)
        load += np.bincount(b[b_ok], p[b_ok] * share_b[b_ok], minlength=n)
        for level in range(int(self.power_depth.max(initial=0)), 0, -1):
            idx = np.flatnonzero((self.power_depth == level) & alive)
            np.add.at(load, self.power_upstream[idx], load[idx] / self.power_efficiency[idx])
        return load * alive

    def power_chain(self, device: int) -> list[str]:
        """Ids from a power device up to its utility feed."""
        out = []
        while device >= 0:
            out.append(self.power_ids[device])
            device = int(self.power_upstream[device])
        return out

    def feeds_of(self, rack_id: str) -> dict[str, list[str]]:
        """Both power paths of a rack: ``{"A": [pdu, ups, ..., utility], "B": [...]}``."""
        r = self.rack_index[rack_id]
        return {
            side: self.power_chain(int(idx))
            for side, idx in (("A", self.rack_feed_a[r]), ("B", self.rack_feed_b[r]))
            if idx >= 0
        }

    def served_racks(self, device_id: str) -> list[str]:
        """Racks fed (directly or downstream) by a power device, or cooled by a CDU or air unit."""
        if device_id in self.cdu_index:
            c = self.cdu_index[device_id]
            return [self.rack_ids[i] for i in np.flatnonzero(self.rack_cdu == c)]
        if device_id in self.air_unit_index:
            a = self.air_unit_index[device_id]
            return [
                self.rack_ids[i] for i in np.flatnonzero(self.rack_hall == self.air_unit_hall[a])
            ]
        p = self.power_index[device_id]
        below = np.zeros(len(self.power_ids), dtype=bool)
        below[p] = True
        for level in range(int(self.power_depth[p]) + 1, int(self.power_depth.max(initial=0)) + 1):
            idx = np.flatnonzero(self.power_depth == level)
            below[idx] |= below[self.power_upstream[idx]]
        below = np.append(below, False)  # index -1 (no feed) reads False
        hit = below[self.rack_feed_a] | below[self.rack_feed_b]
        return [self.rack_ids[i] for i in np.flatnonzero(hit)]

    # ------------------------------------------------------------------ cooling
    def cdu_load_w(self, rack_power_w: np.ndarray | None = None) -> np.ndarray:
        """(C,) liquid-side heat on each CDU."""
        p = self.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, dtype=float)
        has = self.rack_cdu >= 0
        liquid = p * self.rack_liquid_fraction
        return np.bincount(self.rack_cdu[has], liquid[has], minlength=len(self.cdu_ids)).astype(
            float
        )

    def air_heat_w(self, rack_power_w: np.ndarray | None = None) -> np.ndarray:
        """(R,) heat each rack sends to the air (its power less the liquid share)."""
        p = self.rack_power_w if rack_power_w is None else np.asarray(rack_power_w, dtype=float)
        return p * (1.0 - self.rack_liquid_fraction)

    def air_unit_load_share_w(self, rack_power_w: np.ndarray | None = None) -> np.ndarray:
        """(A,) first estimate of each air unit's load: its hall's air-side heat shared by the
        running units in proportion to airflow. The physics model gives the real split."""
        heat = np.bincount(
            self.rack_hall, self.air_heat_w(rack_power_w), minlength=len(self.hall_ids)
        )
        flow = self.air_unit_airflow_m3s * self.air_unit_on
        hall_flow = np.bincount(self.air_unit_hall, flow, minlength=len(self.hall_ids))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(
                hall_flow[self.air_unit_hall] > 0, flow / hall_flow[self.air_unit_hall], 0
            )
        return heat[self.air_unit_hall] * share

    def cooling_of(self, rack_id: str) -> dict[str, object]:
        """What cools a rack: its CDU (liquid) and the air units of its hall, nearest first."""
        r = self.rack_index[rack_id]
        same = np.flatnonzero(self.air_unit_hall == self.rack_hall[r])
        dist = np.linalg.norm(self.air_unit_center_m[same, :2] - self.rack_center_m[r, :2], axis=1)
        order = same[np.argsort(dist)]
        cdu = int(self.rack_cdu[r])
        return {
            "cdu": self.cdu_ids[cdu] if cdu >= 0 else None,
            "air_units": [self.air_unit_ids[i] for i in order],
            "liquid_fraction": float(self.rack_liquid_fraction[r]),
        }

    # ------------------------------------------------------------------ graph
    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """Containment, power and cooling as one directed graph. Node keys are ids (GPUs as
        ``host/gpuN``, servers as ``rack/sN``); every node has ``kind``, every edge ``rel``
        (``contains``, ``feeds`` with ``side`` for rack feeds, ``cools``)."""
        import networkx as nx

        g = nx.DiGraph(name=self.layout.name)
        g.add_node("site", kind="site")
        for h in self.hall_ids:
            g.add_node(h, kind="hall")
            g.add_edge("site", h, rel="contains")
        for r, row in enumerate(self.row_ids):
            g.add_node(row, kind="row")
            g.add_edge(self.hall_ids[self.row_hall[r]], row, rel="contains")
        for i, rack in enumerate(self.rack_ids):
            g.add_node(rack, kind="rack", index=i)
            g.add_edge(self.row_ids[self.rack_row[i]], rack, rel="contains")
        server_names = []
        counters: dict[int, int] = {}
        for s, r in enumerate(self.server_rack):
            counters[r] = counters.get(r, 0) + 1
            name = f"{self.rack_ids[r]}/s{counters[r]}"
            server_names.append(name)
            g.add_node(name, kind="server", index=s, type=self.server_type[s])
            g.add_edge(self.rack_ids[r], name, rel="contains")
        gpu_ids = self.ids_of("gpu")
        g.add_nodes_from((gid, {"kind": "gpu", "index": k}) for k, gid in enumerate(gpu_ids))
        g.add_edges_from(
            (server_names[s], gid, {"rel": "contains"})
            for s, gid in zip(self.gpu_server, gpu_ids, strict=True)
        )
        for i, p in enumerate(self.power_ids):
            g.add_node(p, kind=self.power_kind[i], index=i)
        for i, up in enumerate(self.power_upstream):
            if up >= 0:
                g.add_edge(self.power_ids[up], self.power_ids[i], rel="feeds")
        for side, arr in (("A", self.rack_feed_a), ("B", self.rack_feed_b)):
            for r in np.flatnonzero(arr >= 0):
                g.add_edge(self.power_ids[arr[r]], self.rack_ids[r], rel="feeds", side=side)
        for i, a in enumerate(self.air_unit_ids):
            g.add_node(a, kind="air_unit", index=i)
            g.add_edge(self.hall_ids[self.air_unit_hall[i]], a, rel="contains")
            for r in np.flatnonzero(self.rack_hall == self.air_unit_hall[i]):
                g.add_edge(a, self.rack_ids[r], rel="cools", medium="air")
        for i, c in enumerate(self.cdu_ids):
            g.add_node(c, kind="cdu", index=i)
            g.add_edge(self.hall_ids[self.cdu_hall[i]], c, rel="contains")
            for r in np.flatnonzero(self.rack_cdu == i):
                g.add_edge(c, self.rack_ids[r], rel="cools", medium="liquid")
        return g
