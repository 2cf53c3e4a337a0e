"""How a ``Facility`` gets its index arrays: halls and rows, racks with their servers, hosts and
GPUs (and where each GPU sits), air units, CDUs and the power tree, all read once from the
validated layout and the catalog in the layout file's order.

Kept apart from ``Facility`` itself, which holds the arrays and answers queries on them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.model.catalog import Catalog
from twin.model.catalog_schema import GpuType, RackType, ServerType
from twin.model.geometry import front_vectors

if TYPE_CHECKING:
    from twin.model.facility import Facility

U_M = 0.04445  # one rack unit
RACK_BASE_M = 0.1  # height of the first U above the floor


def _unit_rows(items, catalog: Catalog, hall_index: dict[str, int]):
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


def _index_halls(fac: Facility) -> None:
    lay = fac.layout
    fac.hall_ids = [h.id for h in lay.halls]
    fac.hall_index = {h: i for i, h in enumerate(fac.hall_ids)}
    fac.hall_size_m = np.array([h.size_m for h in lay.halls], dtype=float).reshape(-1, 3)
    fac.hall_origin_m = np.array([h.origin_m for h in lay.halls], dtype=float).reshape(-1, 2)
    fac.row_ids = [r.id for r in lay.rows]
    fac.row_index = {r: i for i, r in enumerate(fac.row_ids)}
    fac.row_hall = np.array([fac.hall_index[r.hall] for r in lay.rows], dtype=np.int32).reshape(-1)


def _index_racks(fac: Facility) -> None:
    racks = [(ri, rack) for ri, row in enumerate(fac.layout.rows) for rack in row.racks]
    n = len(racks)
    fac.racks = [rack for _, rack in racks]
    fac.rack_ids = [rack.id for rack in fac.racks]
    fac.rack_index = {r: i for i, r in enumerate(fac.rack_ids)}
    fac.rack_row = np.array([ri for ri, _ in racks], dtype=np.int32).reshape(-1)
    fac.rack_hall = (fac.row_hall[fac.rack_row] if n else np.zeros(0, dtype=np.int32)).astype(
        np.int32
    )
    fac.rack_center_m = np.zeros((n, 3))
    fac.rack_size_m = np.zeros((n, 3))
    fac.rack_rotation_deg = np.zeros(n)
    fac.rack_power_w = np.zeros(n)
    fac.rack_idle_w = np.zeros(n)
    fac.rack_airflow_m3s = np.zeros(n)
    fac.rack_liquid_fraction = np.zeros(n)
    fac.rack_weight_kg = np.zeros(n)
    fac.rack_max_load_kg = np.zeros(n)
    fac.rack_u = np.zeros(n, dtype=np.int32)
    fac.rack_u_used = np.zeros(n, dtype=np.int32)
    fac.rack_gpu_count = np.zeros(n, dtype=np.int32)
    contents = _Contents()
    for i, (ri, rack) in enumerate(racks):
        _add_rack(fac, i, ri, rack, contents)
    fac.rack_front_xy = front_vectors(fac.rack_rotation_deg).reshape(n, 2)
    fac.rack_cdu = np.full(n, -1, dtype=np.int32)  # filled in _index_units
    fac.rack_feed_a = np.full(n, -1, dtype=np.int32)  # filled in _index_power
    fac.rack_feed_b = np.full(n, -1, dtype=np.int32)
    _build_hosts(fac, contents)
    _build_gpus(fac, contents.host_gpu_type)


def _add_rack(fac: Facility, i: int, ri: int, rack, contents: _Contents) -> None:
    """Rack ``i``'s figures from its type and servers (or its declared load); its servers
    and hosts are appended to ``contents`` in index order."""
    rt: RackType = fac.catalog[rack.type]  # type: ignore[assignment]
    rho_cp = fac.layout.air.density_kg_m3 * fac.layout.air.cp_j_kgk
    fac.rack_center_m[i, :2] = rack.position_m
    fac.rack_size_m[i] = rt.size_m
    fac.rack_rotation_deg[i] = rack.rotation_deg
    fac.rack_u[i] = rt.u
    fac.rack_max_load_kg[i] = rt.max_load_kg
    weight = rt.weight_kg
    power = idle = air_w = liquid_w = flow = 0.0
    slot_u = host_no = 0
    for group in rack.servers:
        st: ServerType = fac.catalog[group.type]  # type: ignore[assignment]
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
                name = _host_name(fac, group, rack, ri, k * st.hosts + h, host_no)
                contents.add_host(name, st.gpus_per_host if st.gpu else 0, st.gpu)
    fac.rack_u_used[i] = slot_u
    if rack.load is not None:
        ld = rack.load
        power = ld.power_kw * 1e3
        idle = 0.1 * power
        liquid_w = power * ld.liquid_fraction
        air_w = power - liquid_w
        flow = ld.airflow_m3s if ld.airflow_m3s is not None else air_w / (rho_cp * ld.delta_t_k)
    fac.rack_power_w[i] = power
    fac.rack_idle_w[i] = idle
    fac.rack_airflow_m3s[i] = flow
    fac.rack_liquid_fraction[i] = liquid_w / power if power > 0 else 0.0
    fac.rack_weight_kg[i] = weight


def _host_name(fac: Facility, group, rack, ri: int, n0: int, slot: int) -> str:
    """A host's name: listed in the layout, or made from the group's (or the layout's
    default) pattern; ``n0`` counts the group's hosts from 0, ``slot`` the rack's from 1."""
    if group.hosts is not None:
        return group.hosts[n0]
    pattern = group.host_pattern or fac.layout.telemetry.default_host_pattern
    return pattern.format(
        rack=rack.id,
        row=fac.row_ids[ri],
        hall=fac.hall_ids[fac.row_hall[ri]],
        slot=slot,
        n=n0 + 1,
    )


def _build_hosts(fac: Facility, c: _Contents) -> None:
    fac.server_rack = np.array(c.server_rack, dtype=np.int32)
    fac.server_type = c.server_type
    fac.server_slot_u = np.array(c.server_slot_u, dtype=np.int32)
    fac.host_names = c.host_names
    fac.host_index = {h: i for i, h in enumerate(c.host_names)}
    fac.host_server = np.array(c.host_server, dtype=np.int32)
    fac.host_rack = fac.server_rack[fac.host_server] if c.host_server else np.zeros(0, np.int32)
    fac.host_gpu_count = np.array(c.host_gpus, dtype=np.int32)
    fac.host_first_gpu = (np.cumsum(fac.host_gpu_count) - fac.host_gpu_count).astype(np.int64)


def _build_gpus(fac: Facility, host_gpu_type: list[str | None]) -> None:
    g = int(fac.host_gpu_count.sum())
    n_hosts = len(fac.host_names)
    fac.gpu_host = np.repeat(np.arange(n_hosts, dtype=np.int32), fac.host_gpu_count)
    fac.gpu_local = (np.arange(g) - fac.host_first_gpu[fac.gpu_host]).astype(np.int32)
    fac.gpu_server = fac.host_server[fac.gpu_host] if g else np.zeros(0, np.int32)
    fac.gpu_rack = fac.server_rack[fac.gpu_server] if g else np.zeros(0, np.int32)
    fac.gpu_hall = fac.rack_hall[fac.gpu_rack] if g else np.zeros(0, np.int32)
    fac.rack_gpu_count = np.bincount(fac.gpu_rack, minlength=fac.n_racks).astype(np.int32)
    gpu_type_ids = sorted({t for t in host_gpu_type if t})
    fac.gpu_types: list[GpuType] = [fac.catalog[t] for t in gpu_type_ids]  # type: ignore[misc]
    tindex = {t: k for k, t in enumerate(gpu_type_ids)}
    host_type_idx = np.array([tindex.get(t, -1) for t in host_gpu_type], dtype=np.int32)
    fac.gpu_type_idx = host_type_idx[fac.gpu_host] if g else np.zeros(0, np.int32)

    def per_gpu(attr: str) -> np.ndarray:
        vals = np.array([getattr(t, attr) for t in fac.gpu_types] or [0.0], dtype=float)
        return vals[fac.gpu_type_idx] if g else np.zeros(0)

    fac.gpu_tdp_w = per_gpu("tdp_w")
    fac.gpu_idle_w = per_gpu("idle_w")
    fac.gpu_max_operating_c = per_gpu("max_operating_c")
    fac.gpu_slowdown_c = per_gpu("slowdown_c")
    fac.gpu_shutdown_c = per_gpu("shutdown_c")
    fac.gpu_hbm_max_c = per_gpu("hbm_max_c")
    fac.gpu_r_th_k_per_w = per_gpu("r_th_k_per_w")
    fac.gpu_tau_s = per_gpu("tau_s")
    fac.gpu_liquid = fac.rack_liquid_fraction[fac.gpu_rack] > 0 if g else np.zeros(0, bool)
    fac.gpu_position_m = _gpu_positions(fac)


def _gpu_positions(fac: Facility) -> np.ndarray:
    """Hall-local centre of each GPU: hosts stacked in their server's U span, a host's GPUs
    in a grid (up to 4 across the width, rows along the depth)."""
    g = len(fac.gpu_host)
    if g == 0:
        return np.zeros((0, 3))
    cat = fac.catalog
    server_u = np.array([cat[t].u for t in fac.server_type], dtype=float)
    server_hosts = np.array([cat[t].hosts for t in fac.server_type], dtype=float)
    first_host = np.searchsorted(fac.host_server, np.arange(len(fac.server_rack)))
    host_no_in_server = np.arange(len(fac.host_names)) - first_host[fac.host_server]
    s = fac.gpu_server
    h = fac.gpu_host
    host_h = server_u[s] * U_M / server_hosts[s]
    z = RACK_BASE_M + fac.server_slot_u[s] * U_M + host_no_in_server[h] * host_h + 0.5 * host_h
    n_in = fac.host_gpu_count[h].astype(float)
    cols = np.minimum(n_in, 4)
    nrows = np.ceil(n_in / cols)
    k = fac.gpu_local.astype(float)
    col = k % cols
    row = k // cols
    r = fac.gpu_rack
    w = fac.rack_size_m[r, 0]
    d = fac.rack_size_m[r, 1]
    lx = (col + 0.5) / cols * w * 0.8 - 0.4 * w
    ly = (row + 0.5) / nrows * d * 0.6 - 0.3 * d
    t = np.deg2rad(fac.rack_rotation_deg[r])
    x = fac.rack_center_m[r, 0] + lx * np.cos(t) - ly * np.sin(t)
    y = fac.rack_center_m[r, 1] + lx * np.sin(t) + ly * np.cos(t)
    return np.stack([x, y, z], axis=1)


def _index_units(fac: Facility) -> None:
    cat, cool = fac.catalog, fac.layout.cooling
    au = cool.air_units
    fac.air_unit_ids = [u.id for u in au]
    fac.air_unit_index = {u: i for i, u in enumerate(fac.air_unit_ids)}
    (
        fac.air_unit_center_m,
        fac.air_unit_size_m,
        fac.air_unit_rotation_deg,
        fac.air_unit_hall,
    ) = _unit_rows(au, cat, fac.hall_index)
    fac.air_unit_front_xy = front_vectors(fac.air_unit_rotation_deg).reshape(-1, 2)
    fac.air_unit_capacity_w = np.array(
        [(u.capacity_kw or cat[u.type].capacity_kw) * 1e3 for u in au], dtype=float
    )
    fac.air_unit_airflow_m3s = np.array(
        [u.airflow_m3s or cat[u.type].airflow_m3s for u in au], dtype=float
    )
    # the type's rating: what a unit's controller ramps to when another unit is lost
    fac.air_unit_rated_m3s = np.array([cat[u.type].airflow_m3s for u in au], dtype=float)
    fac.air_unit_supply_c = np.array(
        [u.supply_c if u.supply_c is not None else cat[u.type].supply_c for u in au],
        dtype=float,
    )
    fac.air_unit_on = np.array([u.state == "on" for u in au], dtype=bool)
    fac.air_unit_discharge = [u.discharge for u in au]
    fac.air_unit_intake = [u.intake for u in au]

    cd = cool.cdus
    fac.cdu_ids = [c.id for c in cd]
    fac.cdu_index = {c: i for i, c in enumerate(fac.cdu_ids)}
    fac.cdu_center_m, fac.cdu_size_m, fac.cdu_rotation_deg, fac.cdu_hall = _unit_rows(
        cd, cat, fac.hall_index
    )
    fac.cdu_capacity_w = np.array(
        [(c.capacity_kw or cat[c.type].capacity_kw) * 1e3 for c in cd], dtype=float
    )
    fac.cdu_flow_lps = np.array([c.flow_lps or cat[c.type].flow_lps for c in cd], dtype=float)
    fac.cdu_supply_c = np.array(
        [c.supply_c if c.supply_c is not None else cat[c.type].supply_c for c in cd],
        dtype=float,
    )
    fac.cdu_on = np.array([c.state == "on" for c in cd], dtype=bool)
    for i, rack in enumerate(fac.racks):
        if rack.cdu is not None:
            fac.rack_cdu[i] = fac.cdu_index[rack.cdu]


def _index_power(fac: Facility) -> None:
    cat, devs = fac.catalog, fac.layout.power
    fac.power_ids = [d.id for d in devs]
    fac.power_index = {d: i for i, d in enumerate(fac.power_ids)}
    fac.power_kind = [cat[d.type].kind for d in devs]
    fac.power_capacity_w = np.array(
        [(d.capacity_kw or cat[d.type].capacity_kw) * 1e3 for d in devs], dtype=float
    )
    fac.power_efficiency = np.array([cat[d.type].efficiency for d in devs], dtype=float)
    fac.power_upstream = np.array(
        [fac.power_index[d.upstream] if d.upstream else -1 for d in devs], dtype=np.int32
    )
    fac.power_on = np.array([d.state == "on" for d in devs], dtype=bool)
    fac.power_hall = np.array(
        [fac.hall_index[d.hall] if d.hall else -1 for d in devs], dtype=np.int32
    )
    fac.power_center_m = np.full((len(devs), 3), np.nan)
    fac.power_size_m = np.zeros((len(devs), 3))
    fac.power_rotation_deg = np.array([d.rotation_deg for d in devs], dtype=float)
    for i, d in enumerate(devs):
        if d.position_m is not None:
            fac.power_center_m[i] = (*d.position_m, 0.0)
        size = cat[d.type].size_m
        if size is not None:
            fac.power_size_m[i] = size
    # depth in the tree (utility = 0) for level-by-level accumulation
    depth = np.zeros(len(devs), dtype=np.int32)
    for i in range(len(devs)):
        j, k = i, 0
        while fac.power_upstream[j] >= 0 and k <= len(devs):
            j, k = fac.power_upstream[j], k + 1
        depth[i] = k
    fac.power_depth = depth
    for i, rack in enumerate(fac.racks):
        if rack.feeds.a:
            fac.rack_feed_a[i] = fac.power_index[rack.feeds.a]
        if rack.feeds.b:
            fac.rack_feed_b[i] = fac.power_index[rack.feeds.b]


def _index_sensors(fac: Facility) -> None:
    """Point sensors (the layout's ``sensors:``): ids, halls and hall-local positions."""
    sensors = fac.layout.sensors
    fac.sensor_ids = [s.id for s in sensors]
    fac.sensor_index = {s: i for i, s in enumerate(fac.sensor_ids)}
    fac.sensor_hall = np.array([fac.hall_index[s.hall] for s in sensors], dtype=np.int32)
    fac.sensor_position_m = np.array([s.position_m for s in sensors], dtype=float).reshape(-1, 3)


def build_index(fac: Facility) -> None:
    """Fill ``fac``'s index arrays from ``fac.layout`` and ``fac.catalog``."""
    _index_halls(fac)
    _index_racks(fac)
    _index_units(fac)
    _index_power(fac)
    _index_sensors(fac)
