"""What the inspector shows about an item: sections of (property, value, link) rows computed
from the Facility and its design loads. No Qt here, so it is tested without a display."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model.facility import Facility
from twin.model.frame import METRICS, reads_off
from twin.model.units import load_text, power_text

#: One inspector row: label, text, and the id of another item it names (or None).
Row = tuple[str, str, str | None]
Section = tuple[str, list[Row]]


@dataclass
class Loads:
    """Design loads of every power and cooling device, computed once per layout."""

    power_w: np.ndarray
    cdu_w: np.ndarray
    air_unit_w: np.ndarray

    @classmethod
    def of(cls, f: Facility) -> Loads:
        return cls(f.power_load_w(), f.cdu_load_w(), f.air_unit_load_share_w())


def _kw(w: float) -> str:
    return power_text(w)


def _load(load_w: float, cap_w: float) -> str:
    return load_text(load_w, cap_w)


def _xy(p) -> str:
    return f"({p[0]:.2f}, {p[1]:.2f}) m"


def _size(s) -> str:
    return f"{s[0]:.2f} × {s[1]:.2f} × {s[2]:.2f} m"


def _type_name(f: Facility, type_id: str) -> str:
    item = f.catalog[type_id]
    name = getattr(item, "name", None)
    return f"{name} ({type_id})" if name else type_id


def _rack_power_rows(f: Facility, r: int, loads: Loads) -> list[Row]:
    rows: list[Row] = []
    for side, chain in f.feeds_of(f.rack_ids[r]).items():
        pdu = chain[0]
        p = f.power_index[pdu]
        rows.append((f"Feed {side}", pdu, pdu))
        rows.append((f"  {pdu} load", _load(loads.power_w[p], f.power_capacity_w[p]), pdu))
        rows.append((f"  path {side}", " ← ".join(chain), None))
    if not rows:
        rows.append(("Feeds", "none", None))
    return rows


def _rack_cooling_rows(f: Facility, r: int, loads: Loads) -> list[Row]:
    cool = f.cooling_of(f.rack_ids[r])
    rows: list[Row] = []
    cdu = cool["cdu"]
    if cdu is not None:
        c = f.cdu_index[cdu]
        rows.append(("CDU (liquid)", str(cdu), str(cdu)))
        rows.append((f"  {cdu} load", _load(loads.cdu_w[c], f.cdu_capacity_w[c]), str(cdu)))
    units = list(cool["air_units"])
    for k, a in enumerate(units[:3]):
        i = f.air_unit_index[a]
        label = "Air units (nearest)" if k == 0 else ""
        rows.append((label, f"{a}: {_load(loads.air_unit_w[i], f.air_unit_capacity_w[i])}", a))
    if len(units) > 3:
        rows.append(("", f"… and {len(units) - 3} more in the hall", None))
    if not rows:
        rows.append(("Cooling", "none in this hall", None))
    return rows


def _served(f: Facility, device: str) -> list[Row]:
    racks = f.served_racks(device)
    rows: list[Row] = [("Serves racks", f"{len(racks)}", None)]
    for r in racks[:12]:
        rows.append(("", r, r))
    if len(racks) > 12:
        rows.append(("", f"… and {len(racks) - 12} more", None))
    return rows


def describe(f: Facility, kind: str, index: int, loads: Loads | None = None) -> list[Section]:
    """Inspector sections for one item (``rack``, ``gpu``, ``server``, ``host``, ``row``,
    ``hall``, ``air_unit``, ``cdu``, ``power``, ``sensor``)."""
    loads = loads or Loads.of(f)
    fn = _DESCRIBERS.get(kind)
    if fn is None:
        raise KeyError(f"cannot describe items of kind {kind!r}")
    return fn(f, int(index), loads)


def _rack(f: Facility, r: int, loads: Loads) -> list[Section]:
    rack = f.racks[r]
    row = f.row_ids[f.rack_row[r]]
    hall = f.hall_ids[f.rack_hall[r]]
    servers = np.flatnonzero(f.server_rack == r)
    types: dict[str, int] = {}
    for s in servers:
        types[f.server_type[s]] = types.get(f.server_type[s], 0) + 1
    ident: list[Row] = [
        ("Rack", rack.id, None),
        ("Row", row, row),
        ("Hall", hall, hall),
        ("Type", _type_name(f, rack.type), None),
        ("Position", _xy(f.rack_center_m[r]), None),
        ("Rotation", f"{f.rack_rotation_deg[r]:g}°", None),
        ("Size", _size(f.rack_size_m[r]), None),
        ("Used", f"{f.rack_u_used[r]} / {f.rack_u[r]} U", None),
    ]
    ident += [("Servers", f"{n} × {t}", None) for t, n in types.items()]
    if rack.load is not None:
        ident.append(("Load", "given directly (no servers)", None))
    design: list[Row] = [
        ("GPUs", str(int(f.rack_gpu_count[r])), None),
        ("Design power", _kw(f.rack_power_w[r]), None),
        ("Idle power", _kw(f.rack_idle_w[r]), None),
        ("Airflow", f"{f.rack_airflow_m3s[r]:.2f} m³/s", None),
        ("Liquid share", f"{100 * f.rack_liquid_fraction[r]:.0f} %", None),
        (
            "Weight",
            f"{f.rack_weight_kg[r]:,.0f} / {f.rack_max_load_kg[r]:,.0f} kg",
            None,
        ),
    ]
    return [
        ("Rack", ident),
        ("Design", design),
        ("Power (what feeds it)", _rack_power_rows(f, r, loads)),
        ("Cooling (what cools it)", _rack_cooling_rows(f, r, loads)),
    ]


def _gpu(f: Facility, g: int, loads: Loads) -> list[Section]:
    r = int(f.gpu_rack[g])
    gt = f.gpu_types[f.gpu_type_idx[g]] if f.gpu_type_idx[g] >= 0 else None
    host = f.host_names[f.gpu_host[g]]
    ident: list[Row] = [
        ("GPU", f.gpu_label(g), None),
        ("Host", host, host),
        ("GPU index", str(int(f.gpu_local[g])), None),
        ("Server", f.server_type[f.gpu_server[g]], None),
        ("Rack", f.rack_ids[r], f.rack_ids[r]),
        ("Type", (getattr(gt, "name", None) or gt.id) if gt else "unknown", None),
        ("Position", f"{_xy(f.gpu_position_m[g])}, z {f.gpu_position_m[g][2]:.2f} m", None),
        ("Cooling", "liquid" if f.gpu_liquid[g] else "air", None),
    ]
    limits: list[Row] = [
        ("TDP", f"{f.gpu_tdp_w[g]:.0f} W", None),
        ("Max operating", f"{f.gpu_max_operating_c[g]:.0f} °C", None),
        ("Slowdown", f"{f.gpu_slowdown_c[g]:.0f} °C", None),
        ("Shutdown", f"{f.gpu_shutdown_c[g]:.0f} °C", None),
        ("HBM max", f"{f.gpu_hbm_max_c[g]:.0f} °C", None),
    ]
    return [
        ("GPU", ident),
        ("Limits", limits),
        ("Power (its rack's feeds)", _rack_power_rows(f, r, loads)),
        ("Cooling (its rack's)", _rack_cooling_rows(f, r, loads)),
    ]


def _server(f: Facility, s: int, loads: Loads) -> list[Section]:
    r = int(f.server_rack[s])
    t = f.catalog[f.server_type[s]]
    hosts = [f.host_names[h] for h in np.flatnonzero(f.host_server == s)]
    rows: list[Row] = [
        ("Rack", f.rack_ids[r], f.rack_ids[r]),
        ("Type", _type_name(f, f.server_type[s]), None),
        ("Slot", f"U{int(f.server_slot_u[s]) + 1}", None),
        ("Hosts", str(len(hosts)), None),
        ("GPUs", str(int((f.gpu_server == s).sum())), None),
        ("Power", f"{getattr(t, 'power_kw', 0):.1f} kW", None),
    ]
    rows += [("", h, h) for h in hosts[:8]]
    return [("Server", rows), ("Power (its rack's feeds)", _rack_power_rows(f, r, loads))]


def _host(f: Facility, h: int, loads: Loads) -> list[Section]:
    return _server(f, int(f.host_server[h]), loads)


def _row(f: Facility, i: int, loads: Loads) -> list[Section]:
    racks = np.flatnonzero(f.rack_row == i)
    hall = f.hall_ids[f.row_hall[i]]
    return [
        (
            "Row",
            [
                ("Row", f.row_ids[i], None),
                ("Hall", hall, hall),
                ("Racks", str(len(racks)), None),
                ("GPUs", str(int(f.rack_gpu_count[racks].sum())), None),
                ("Design power", _kw(f.rack_power_w[racks].sum()), None),
                ("Airflow", f"{f.rack_airflow_m3s[racks].sum():.2f} m³/s", None),
            ],
        )
    ]


def _hall(f: Facility, i: int, loads: Loads) -> list[Section]:
    h = f.layout.halls[i]
    racks = f.rack_hall == i
    return [
        (
            "Hall",
            [
                ("Hall", h.id, None),
                ("Name", h.name or "", None),
                ("Size", _size(f.hall_size_m[i]), None),
                ("Origin", _xy(f.hall_origin_m[i]), None),
                (
                    "Floor",
                    f"{h.floor}" + (f", plenum {h.plenum_m} m" if h.floor == "raised" else ""),
                    None,
                ),
                ("Rows", str(int((f.row_hall == i).sum())), None),
                ("Racks", str(int(racks.sum())), None),
                ("GPUs", str(int((f.gpu_hall == i).sum())), None),
                ("Design IT power", _kw(f.rack_power_w[racks].sum()), None),
                ("Air units", str(int((f.air_unit_hall == i).sum())), None),
                ("CDUs", str(int((f.cdu_hall == i).sum())), None),
            ],
        )
    ]


def _air_unit(f: Facility, i: int, loads: Loads) -> list[Section]:
    u = f.layout.cooling.air_units[i]
    hall = f.hall_ids[f.air_unit_hall[i]]
    return [
        (
            "Air unit",
            [
                ("Unit", u.id, None),
                ("Type", _type_name(f, u.type), None),
                ("Hall", hall, hall),
                ("Position", _xy(f.air_unit_center_m[i]), None),
                ("Design state", u.state, None),
                ("Supply set point", f"{f.air_unit_supply_c[i]:.1f} °C", None),
                ("Airflow", f"{f.air_unit_airflow_m3s[i]:.2f} m³/s", None),
                ("Discharge / intake", f"{u.discharge} / {u.intake}", None),
            ],
        ),
        (
            "Design load",
            [("Share of hall load", _load(loads.air_unit_w[i], f.air_unit_capacity_w[i]), None)],
        ),
        ("Serves", _served(f, u.id)),
    ]


def _cdu(f: Facility, i: int, loads: Loads) -> list[Section]:
    c = f.layout.cooling.cdus[i]
    hall = f.hall_ids[f.cdu_hall[i]]
    return [
        (
            "CDU",
            [
                ("CDU", c.id, None),
                ("Type", _type_name(f, c.type), None),
                ("Hall", hall, hall),
                ("Position", _xy(f.cdu_center_m[i]), None),
                ("Design state", c.state, None),
                ("Supply set point", f"{f.cdu_supply_c[i]:.1f} °C", None),
                ("Flow", f"{f.cdu_flow_lps[i]:.1f} L/s", None),
            ],
        ),
        ("Design load", [("Liquid load", _load(loads.cdu_w[i], f.cdu_capacity_w[i]), None)]),
        ("Serves", _served(f, c.id)),
    ]


def _power(f: Facility, i: int, loads: Loads) -> list[Section]:
    d = f.layout.power[i]
    chain = f.power_chain(i)
    down = [f.power_ids[j] for j in np.flatnonzero(f.power_upstream == i)]
    ident: list[Row] = [
        ("Device", d.id, None),
        ("Kind", f.power_kind[i], None),
        ("Type", _type_name(f, d.type), None),
        ("Design state", d.state, None),
        ("Efficiency", f"{100 * f.power_efficiency[i]:.1f} %", None),
    ]
    if np.isfinite(f.power_center_m[i, 0]):
        ident.append(("Position", _xy(f.power_center_m[i]), None))
    up: list[Row] = [("Upstream", chain[1], chain[1])] if len(chain) > 1 else []
    up.append(("Path", " ← ".join(chain), None))
    up += [("Feeds" if k == 0 else "", x, x) for k, x in enumerate(down[:12])]
    if len(down) > 12:
        up.append(("", f"… and {len(down) - 12} more", None))
    return [
        ("Power device", ident),
        ("Design load", [("Normal load", _load(loads.power_w[i], f.power_capacity_w[i]), None)]),
        ("Chain", up),
        ("Serves", _served(f, d.id)),
    ]


def _sensor(f: Facility, i: int, loads: Loads) -> list[Section]:
    s = f.layout.sensors[i]
    x, y, z = f.sensor_position_m[i]
    rows: list[Row] = [
        ("Sensor", s.id, None),
        ("Kind", s.kind, None),
        ("Hall", s.hall, s.hall),
        ("Position", f"x {x:.2f} m, y {y:.2f} m, height {z:.2f} m", None),
    ]
    if s.label:
        rows.append(("Label", s.label, None))
    return [("Point sensor", rows)]


_DESCRIBERS = {
    "sensor": _sensor,
    "rack": _rack,
    "gpu": _gpu,
    "server": _server,
    "host": _host,
    "row": _row,
    "hall": _hall,
    "air_unit": _air_unit,
    "cdu": _cdu,
    "power": _power,
}


def item_id(f: Facility, kind: str, index: int) -> str:
    """The id a user sees for an item (servers as ``rack/sN``)."""
    if kind == "gpu":
        return f.gpu_label(index)
    if kind == "server":
        r = int(f.server_rack[index])
        first = int(np.searchsorted(f.server_rack, r))
        return f"{f.rack_ids[r]}/s{index - first + 1}"
    return f.ids_of(kind)[index]


#: what a frame's metrics are called in the inspector: (label, unit shown, decimals)
_WORDS = {
    "temp_c": ("Temperature", "°C", 1),
    "mem_temp_c": ("Memory (HBM)", "°C", 1),
    "power_w": ("Power", "W", 0),
    "util_pct": ("Utilisation", "%", 0),
    "sm_clock_mhz": ("SM clock", "MHz", 0),
    "inlet_c": ("Inlet", "°C", 1),
    "exhaust_c": ("Exhaust", "°C", 1),
    "supply_c": ("Supply", "°C", 1),
    "return_c": ("Return", "°C", 1),
    "flow_m3s": ("Airflow", "m³/s", 2),
    "flow_lps": ("Flow", "L/s", 1),
    "xid": ("Last XID error", "", 0),
    "job": ("Job", "", 0),
}
_THROTTLE_WORDS = (
    (0x40, "thermal slowdown (hardware)"),
    (0x20, "thermal slowdown (software)"),
    (0x08, "hardware slowdown"),
    (0x80, "power brake"),
    (0x04, "power cap"),
    (0x01, "idle"),
)


def _state_word(kind: str, design_on: bool, v: float) -> str:
    """Live state in words: a unit the layout has on but the frame reports off has TRIPPED."""
    if not np.isfinite(v):
        return "no data"
    if not reads_off(v):
        return "running" if kind != "power" else "energised"
    return "TRIPPED" if design_on else "off (as designed)"


def _design_on(f: Facility | None, kind: str, index: int) -> bool:
    if f is None:
        return True
    arr = {"air_unit": f.air_unit_on, "cdu": f.cdu_on, "power": f.power_on}.get(kind)
    return True if arr is None else bool(arr[index])


def _capacity_w(f: Facility | None, kind: str, index: int) -> float:
    if f is None:
        return float("nan")
    arr = {
        "air_unit": f.air_unit_capacity_w,
        "cdu": f.cdu_capacity_w,
        "power": f.power_capacity_w,
    }.get(kind)
    return float("nan") if arr is None else float(arr[index])


def modelled_here(session, kind: str, index: int) -> frozenset[str]:
    """The metrics of item ``index`` that the session's physics fill wrote in its last frame
    (``PhysicsFill.filled``): the model's figures, not readings."""
    filled = getattr(getattr(session, "physics", None), "filled", None) or {}
    return frozenset(
        key.partition("/")[2]
        for key, mask in filled.items()
        if key.partition("/")[0] == kind and index < len(mask) and mask[index]
    )


def live_rows(
    frame, kind: str, index: int, f: Facility | None = None, modelled: frozenset[str] = frozenset()
) -> list[Row]:
    """What the item is doing now, in words and units, state first (a tripped unit reads
    TRIPPED); [] without a frame or for kinds a frame does not carry. ``modelled``: metrics
    whose value is the airflow model's (``modelled_here``), marked "(model)"."""
    if frame is None or kind not in METRICS:
        return []
    data = frame.group(kind)

    def val(name: str) -> float:
        arr = data.get(name)
        return float(arr[index]) if arr is not None and index < len(arr) else float("nan")

    def marked(name: str, text: str) -> str:
        return f"{text} (model)" if name in modelled and text != "no data" else text

    rows: list[Row] = []
    if kind in ("air_unit", "cdu", "power") and "state" in data:
        rows.append(("State", _state_word(kind, _design_on(f, kind, index), val("state")), None))
    if kind == "gpu" and "throttle" in data:
        t = val("throttle")
        words = [w for bit, w in _THROTTLE_WORDS if np.isfinite(t) and int(t) & bit]
        rows.append(
            (
                "Throttling",
                ", ".join(words) if words else "no" if np.isfinite(t) else "no data",
                None,
            )
        )
    for name, (label, unit, nd) in _WORDS.items():
        if name not in data:
            continue
        v = val(name)
        if name in ("job", "xid"):
            text = str(int(v)) if np.isfinite(v) else "no data"
            if name == "job" and text == "0":
                text = "none"
        elif name == "power_w" and kind == "rack":
            text = _kw(v) if np.isfinite(v) else "no data"
        else:
            text = f"{v:,.{nd}f} {unit}".rstrip() if np.isfinite(v) else "no data"
        rows.append((label, marked(name, text), None))
    if "load_w" in data:
        cap = _capacity_w(f, kind, index)
        v = val("load_w")
        text = "no data" if not np.isfinite(v) else _load(v, cap) if np.isfinite(cap) else _kw(v)
        rows.append(("Load", marked("load_w", text), None))
    return rows
