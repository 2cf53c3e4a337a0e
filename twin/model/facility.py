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

import networkx as nx
import numpy as np

from twin.model.catalog import Catalog
from twin.model.catalog_schema import GpuType, RackType, ServerType
from twin.model.geometry import front_vectors
from twin.model.schema import Layout

U_M = 0.04445  # one rack unit
RACK_BASE_M = 0.1  # height of the first U above the floor


def _unit_rows(items, catalog: Catalog, hall_index: dict[str, int], defaults: tuple[str, ...]):
    """Common arrays for positioned units (air units, CDUs)."""
    n = len(items)
    center = np.zeros((n, 3))
    size = np.zeros((n, 3))
    rot = np.zeros(n)
    hall = np.zeros(n, dtype=np.int32)
    for i, u in enumerate(items):
        t = catalog[u.type]
        center[i, :2] = u.position_m
        size[i] = t.size_m
        rot[i] = u.rotation_deg
        hall[i] = hall_index[u.hall]
    return center, size, rot, hall


class _Contents:
    """Servers and hosts collected rack by rack, in the facility's index order."""

    def __init__(self) -> None:
        self.server_rack: list[int] = []
        self.server_type: list[str] = []
        self.server_slot_u: list[int] = []
        self.host_names: list[str] = []
        self.host_server: list[int] = []
        self.host_gpus: list[int] = []
        self.host_gpu_type: list[str | None] = []

    def add_server(self, rack: int, type_id: str, slot_u: int) -> None:
        self.server_rack.append(rack)
        self.server_type.append(type_id)
        self.server_slot_u.append(slot_u)

    def add_host(self, name: str, gpus: int, gpu_type: str | None) -> None:
        self.host_names.append(name)
        self.host_server.append(len(self.server_rack) - 1)
        self.host_gpus.append(gpus)
        self.host_gpu_type.append(gpu_type)


class Facility:
    """A validated layout turned into index arrays, a topology graph and engineering queries.

    Build it with ``twin.model.loader.load_layout`` (which validates first) or
    ``Facility(layout, catalog)`` for an already validated ``Layout``.
    """

    def __init__(self, layout: Layout, catalog: Catalog, path: str | Path | None = None):
        self.layout = layout
        self.catalog = catalog
        self.path = Path(path) if path is not None else None
        self.source_text: str | None = None
        self._build_halls()
        self._build_racks()
        self._build_units()
        self._build_power()

    # ------------------------------------------------------------------ building
    def _build_halls(self) -> None:
        lay = self.layout
        self.hall_ids = [h.id for h in lay.halls]
        self.hall_index = {h: i for i, h in enumerate(self.hall_ids)}
        self.hall_size_m = np.array([h.size_m for h in lay.halls], dtype=float).reshape(-1, 3)
        self.hall_origin_m = np.array([h.origin_m for h in lay.halls], dtype=float).reshape(-1, 2)
        self.row_ids = [r.id for r in lay.rows]
        self.row_index = {r: i for i, r in enumerate(self.row_ids)}
        self.row_hall = np.array(
            [self.hall_index[r.hall] for r in lay.rows], dtype=np.int32
        ).reshape(-1)

    def _build_racks(self) -> None:
        racks = [(ri, rack) for ri, row in enumerate(self.layout.rows) for rack in row.racks]
        n = len(racks)
        self.racks = [rack for _, rack in racks]
        self.rack_ids = [rack.id for rack in self.racks]
        self.rack_index = {r: i for i, r in enumerate(self.rack_ids)}
        self.rack_row = np.array([ri for ri, _ in racks], dtype=np.int32).reshape(-1)
        self.rack_hall = (
            self.row_hall[self.rack_row] if n else np.zeros(0, dtype=np.int32)
        ).astype(np.int32)
        self.rack_center_m = np.zeros((n, 3))
        self.rack_size_m = np.zeros((n, 3))
        self.rack_rotation_deg = np.zeros(n)
        self.rack_power_w = np.zeros(n)
        self.rack_idle_w = np.zeros(n)
        self.rack_airflow_m3s = np.zeros(n)
        self.rack_liquid_fraction = np.zeros(n)
        self.rack_weight_kg = np.zeros(n)
        self.rack_max_load_kg = np.zeros(n)
        self.rack_u = np.zeros(n, dtype=np.int32)
        self.rack_u_used = np.zeros(n, dtype=np.int32)
        self.rack_gpu_count = np.zeros(n, dtype=np.int32)
        contents = _Contents()
        for i, (ri, rack) in enumerate(racks):
            self._add_rack(i, ri, rack, contents)
        self.rack_front_xy = front_vectors(self.rack_rotation_deg).reshape(n, 2)
        self.rack_cdu = np.full(n, -1, dtype=np.int32)  # filled in _build_units
        self.rack_feed_a = np.full(n, -1, dtype=np.int32)  # filled in _build_power
        self.rack_feed_b = np.full(n, -1, dtype=np.int32)
        self._build_hosts(contents)
        self._build_gpus(contents.host_gpu_type)

    def _add_rack(self, i: int, ri: int, rack, contents: _Contents) -> None:
        """Rack ``i``'s figures from its type and servers (or its declared load); its servers
        and hosts are appended to ``contents`` in index order."""
        rt: RackType = self.catalog[rack.type]  # type: ignore[assignment]
        rho_cp = self.layout.air.density_kg_m3 * self.layout.air.cp_j_kgk
        self.rack_center_m[i, :2] = rack.position_m
        self.rack_size_m[i] = rt.size_m
        self.rack_rotation_deg[i] = rack.rotation_deg
        self.rack_u[i] = rt.u
        self.rack_max_load_kg[i] = rt.max_load_kg
        weight = rt.weight_kg
        power = idle = air_w = liquid_w = flow = 0.0
        slot_u = host_no = 0
        for group in rack.servers:
            st: ServerType = self.catalog[group.type]  # type: ignore[assignment]
            for k in range(group.count):
                contents.add_server(i, st.id, slot_u)
                slot_u += st.u
                power += st.power_kw * 1e3
                idle += st.idle_kw * 1e3
                weight += st.weight_kg
                lw = st.power_kw * 1e3 * st.liquid_fraction
                liquid_w += lw
                air_w += st.power_kw * 1e3 - lw
                flow += (st.power_kw * 1e3 - lw) / (rho_cp * st.delta_t_k)
                for h in range(st.hosts):
                    host_no += 1
                    name = self._host_name(group, rack, ri, k * st.hosts + h, host_no)
                    contents.add_host(name, st.gpus_per_host if st.gpu else 0, st.gpu)
        self.rack_u_used[i] = slot_u
        if rack.load is not None:
            ld = rack.load
            power = ld.power_kw * 1e3
            idle = 0.1 * power
            liquid_w = power * ld.liquid_fraction
            air_w = power - liquid_w
            flow = ld.airflow_m3s if ld.airflow_m3s is not None else air_w / (rho_cp * ld.delta_t_k)
        self.rack_power_w[i] = power
        self.rack_idle_w[i] = idle
        self.rack_airflow_m3s[i] = flow
        self.rack_liquid_fraction[i] = liquid_w / power if power > 0 else 0.0
        self.rack_weight_kg[i] = weight

    def _host_name(self, group, rack, ri: int, n0: int, slot: int) -> str:
        """A host's name: listed in the layout, or made from the group's (or the layout's
        default) pattern; ``n0`` counts the group's hosts from 0, ``slot`` the rack's from 1."""
        if group.hosts is not None:
            return group.hosts[n0]
        pattern = group.host_pattern or self.layout.telemetry.default_host_pattern
        return pattern.format(
            rack=rack.id,
            row=self.row_ids[ri],
            hall=self.hall_ids[self.row_hall[ri]],
            slot=slot,
            n=n0 + 1,
        )

    def _build_hosts(self, c: _Contents) -> None:
        self.server_rack = np.array(c.server_rack, dtype=np.int32)
        self.server_type = c.server_type
        self.server_slot_u = np.array(c.server_slot_u, dtype=np.int32)
        self.host_names = c.host_names
        self.host_index = {h: i for i, h in enumerate(c.host_names)}
        self.host_server = np.array(c.host_server, dtype=np.int32)
        self.host_rack = (
            self.server_rack[self.host_server] if c.host_server else np.zeros(0, np.int32)
        )
        self.host_gpu_count = np.array(c.host_gpus, dtype=np.int32)
        self.host_first_gpu = (np.cumsum(self.host_gpu_count) - self.host_gpu_count).astype(
            np.int64
        )

    def _build_gpus(self, host_gpu_type: list[str | None]) -> None:
        g = int(self.host_gpu_count.sum())
        n_hosts = len(self.host_names)
        self.gpu_host = np.repeat(np.arange(n_hosts, dtype=np.int32), self.host_gpu_count)
        self.gpu_local = (np.arange(g) - self.host_first_gpu[self.gpu_host]).astype(np.int32)
        self.gpu_server = self.host_server[self.gpu_host] if g else np.zeros(0, np.int32)
        self.gpu_rack = self.server_rack[self.gpu_server] if g else np.zeros(0, np.int32)
        self.gpu_hall = self.rack_hall[self.gpu_rack] if g else np.zeros(0, np.int32)
        self.rack_gpu_count = np.bincount(self.gpu_rack, minlength=self.n_racks).astype(np.int32)
        gpu_type_ids = sorted({t for t in host_gpu_type if t})
        self.gpu_types: list[GpuType] = [self.catalog[t] for t in gpu_type_ids]  # type: ignore[misc]
        tindex = {t: k for k, t in enumerate(gpu_type_ids)}
        host_type_idx = np.array([tindex.get(t, -1) for t in host_gpu_type], dtype=np.int32)
        self.gpu_type_idx = host_type_idx[self.gpu_host] if g else np.zeros(0, np.int32)

        def per_gpu(attr: str) -> np.ndarray:
            vals = np.array([getattr(t, attr) for t in self.gpu_types] or [0.0], dtype=float)
            return vals[self.gpu_type_idx] if g else np.zeros(0)

        self.gpu_tdp_w = per_gpu("tdp_w")
        self.gpu_idle_w = per_gpu("idle_w")
        self.gpu_max_operating_c = per_gpu("max_operating_c")
        self.gpu_slowdown_c = per_gpu("slowdown_c")
        self.gpu_shutdown_c = per_gpu("shutdown_c")
        self.gpu_hbm_max_c = per_gpu("hbm_max_c")
        self.gpu_r_th_k_per_w = per_gpu("r_th_k_per_w")
        self.gpu_tau_s = per_gpu("tau_s")
        self.gpu_liquid = self.rack_liquid_fraction[self.gpu_rack] > 0 if g else np.zeros(0, bool)
        self.gpu_position_m = self._gpu_positions()

    def _gpu_positions(self) -> np.ndarray:
        """Hall-local centre of each GPU: hosts stacked in their server's U span, a host's GPUs
        in a grid (up to 4 across the width, rows along the depth)."""
        g = len(self.gpu_host)
        if g == 0:
            return np.zeros((0, 3))
        cat = self.catalog
        server_u = np.array([cat[t].u for t in self.server_type], dtype=float)
        server_hosts = np.array([cat[t].hosts for t in self.server_type], dtype=float)
        host_no_in_server = np.zeros(len(self.host_names))
        first_host = np.searchsorted(self.host_server, np.arange(len(self.server_rack)))
        host_no_in_server = np.arange(len(self.host_names)) - first_host[self.host_server]
        s = self.gpu_server
        h = self.gpu_host
        host_h = server_u[s] * U_M / server_hosts[s]
        z = RACK_BASE_M + self.server_slot_u[s] * U_M + host_no_in_server[h] * host_h + 0.5 * host_h
        n_in = self.host_gpu_count[h].astype(float)
        cols = np.minimum(n_in, 4)
        nrows = np.ceil(n_in / cols)
        k = self.gpu_local.astype(float)
        col = k % cols
        row = k // cols
        r = self.gpu_rack
        w = self.rack_size_m[r, 0]
        d = self.rack_size_m[r, 1]
        lx = (col + 0.5) / cols * w * 0.8 - 0.4 * w
        ly = (row + 0.5) / nrows * d * 0.6 - 0.3 * d
        t = np.deg2rad(self.rack_rotation_deg[r])
        x = self.rack_center_m[r, 0] + lx * np.cos(t) - ly * np.sin(t)
        y = self.rack_center_m[r, 1] + lx * np.sin(t) + ly * np.cos(t)
        return np.stack([x, y, z], axis=1)

    def _build_units(self) -> None:
        cat, cool = self.catalog, self.layout.cooling
        au = cool.air_units
        self.air_unit_ids = [u.id for u in au]
        self.air_unit_index = {u: i for i, u in enumerate(self.air_unit_ids)}
        (
            self.air_unit_center_m,
            self.air_unit_size_m,
            self.air_unit_rotation_deg,
            self.air_unit_hall,
        ) = _unit_rows(au, cat, self.hall_index, ())
        self.air_unit_front_xy = front_vectors(self.air_unit_rotation_deg).reshape(-1, 2)
        self.air_unit_capacity_w = np.array(
            [(u.capacity_kw or cat[u.type].capacity_kw) * 1e3 for u in au], dtype=float
        )
        self.air_unit_airflow_m3s = np.array(
            [u.airflow_m3s or cat[u.type].airflow_m3s for u in au], dtype=float
        )
        self.air_unit_supply_c = np.array(
            [u.supply_c if u.supply_c is not None else cat[u.type].supply_c for u in au],
            dtype=float,
        )
        self.air_unit_on = np.array([u.state == "on" for u in au], dtype=bool)
        self.air_unit_discharge = [u.discharge for u in au]
        self.air_unit_intake = [u.intake for u in au]

        cd = cool.cdus
        self.cdu_ids = [c.id for c in cd]
        self.cdu_index = {c: i for i, c in enumerate(self.cdu_ids)}
        self.cdu_center_m, self.cdu_size_m, self.cdu_rotation_deg, self.cdu_hall = _unit_rows(
            cd, cat, self.hall_index, ()
        )
        self.cdu_capacity_w = np.array(
            [(c.capacity_kw or cat[c.type].capacity_kw) * 1e3 for c in cd], dtype=float
        )
        self.cdu_flow_lps = np.array([c.flow_lps or cat[c.type].flow_lps for c in cd], dtype=float)
        self.cdu_supply_c = np.array(
            [c.supply_c if c.supply_c is not None else cat[c.type].supply_c for c in cd],
            dtype=float,
        )
        self.cdu_on = np.array([c.state == "on" for c in cd], dtype=bool)
        for i, rack in enumerate(self.racks):
            if rack.cdu is not None:
                self.rack_cdu[i] = self.cdu_index[rack.cdu]

    def _build_power(self) -> None:
        cat, devs = self.catalog, self.layout.power
        self.power_ids = [d.id for d in devs]
        self.power_index = {d: i for i, d in enumerate(self.power_ids)}
        self.power_kind = [cat[d.type].kind for d in devs]
        self.power_capacity_w = np.array(
            [(d.capacity_kw or cat[d.type].capacity_kw) * 1e3 for d in devs], dtype=float
        )
        self.power_efficiency = np.array([cat[d.type].efficiency for d in devs], dtype=float)
        self.power_upstream = np.array(
            [self.power_index[d.upstream] if d.upstream else -1 for d in devs], dtype=np.int32
        )
        self.power_on = np.array([d.state == "on" for d in devs], dtype=bool)
        self.power_hall = np.array(
            [self.hall_index[d.hall] if d.hall else -1 for d in devs], dtype=np.int32
        )
        self.power_center_m = np.full((len(devs), 3), np.nan)
        self.power_size_m = np.zeros((len(devs), 3))
        self.power_rotation_deg = np.array([d.rotation_deg for d in devs], dtype=float)
        for i, d in enumerate(devs):
            if d.position_m is not None:
                self.power_center_m[i] = (*d.position_m, 0.0)
            size = cat[d.type].size_m
            if size is not None:
                self.power_size_m[i] = size
        # depth in the tree (utility = 0) for level-by-level accumulation
        depth = np.zeros(len(devs), dtype=np.int32)
        for i in range(len(devs)):
            j, k = i, 0
            while self.power_upstream[j] >= 0 and k <= len(devs):
                j, k = self.power_upstream[j], k + 1
            depth[i] = k
        self.power_depth = depth
        for i, rack in enumerate(self.racks):
            if rack.feeds.a:
                self.rack_feed_a[i] = self.power_index[rack.feeds.a]
            if rack.feeds.b:
                self.rack_feed_b[i] = self.power_index[rack.feeds.b]

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
        """(kind, index) of any id: hall, row, rack, air_unit, cdu, power, host or gpu."""
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
