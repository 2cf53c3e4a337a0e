"""Reproducible layouts: the demo air-cooled hall, a GB200 NVL72 pod and a ~100,000-GPU AI factory.

The same arguments always give the same text, so the shipped files in ``layouts/`` can be
regenerated and diffed (``twin generate NAME -o FILE``).
"""

from __future__ import annotations

from typing import Any

import yaml

TILE_M = 0.6


class _Dumper(yaml.SafeDumper):
    """Block style for the document, one flow-style line per rack or unit."""


def dump_layout(data: Any) -> str:
    """Layout data as YAML: block style for the document, one flow-style line per item."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=200)


def _r(x: float) -> float:
    return round(float(x), 3)


class _Builder:
    """Accumulates layout sections with ids in a stable order."""

    def __init__(self, name: str, description: str):
        self.doc: dict[str, Any] = {
            "format": "twin-layout/1",
            "name": name,
            "description": description,
            "air": {"density_kg_m3": 1.19, "cp_j_kgk": 1005.0},
            "power_redundancy": "2N",
            "halls": [],
            "rows": [],
            "power": [],
            "cooling": {
                "air_units": [],
                "cdus": [],
                "supplies": [],
                "returns": [],
                "containment": [],
            },
            "sensors": [],
            "telemetry": {
                "host_labels": ["Hostname", "hostname"],
                "gpu_label": "gpu",
                "uuid_label": "UUID",
                "default_host_pattern": "{rack}-{slot:02d}",
            },
        }

    def hall(
        self,
        hid: str,
        size: tuple[float, float, float],
        origin: tuple[float, float],
        floor: str = "raised",
    ) -> None:
        self.doc["halls"].append(
            {
                "id": hid,
                "origin_m": [_r(origin[0]), _r(origin[1])],
                "size_m": [_r(s) for s in size],
                "floor": floor,
                "tile_m": TILE_M,
                # a slab carries liquid-cooled racks (~2,100 kg/m2); a raised floor is rated lower
                "floor_load_kg_m2": 2500.0 if floor == "slab" else 1465.0,
            }
        )

    def power(
        self,
        pid: str,
        ptype: str,
        upstream: str | None,
        hall: str | None = None,
        pos: tuple[float, float] | None = None,
        rot: float = 0.0,
    ) -> None:
        d: dict[str, Any] = {"id": pid, "type": ptype}
        if upstream:
            d["upstream"] = upstream
        if hall:
            d["hall"] = hall
        if pos is not None:
            d["position_m"] = [_r(pos[0]), _r(pos[1])]
            if rot:
                d["rotation_deg"] = rot
        self.doc["power"].append(d)

    def row(self, rid: str, hall: str, racks: list[dict]) -> None:
        self.doc["rows"].append({"id": rid, "hall": hall, "racks": racks})

    def cooling(self, section: str, item: dict) -> None:
        self.doc["cooling"][section].append(item)

    def cooling_redundancy(self, level: str) -> None:
        """Declare the air units' redundancy (placed after ``power_redundancy``)."""
        items = list(self.doc.items())
        at = [k for k, _ in items].index("power_redundancy") + 1
        self.doc = dict(items[:at] + [("cooling_redundancy", level)] + items[at:])

    def energy(self, plants: list[dict], fixed_kw: float) -> None:
        """The site outside the halls' IT: a temperate outdoor day (20 C dry bulb, 14 C wet
        bulb), 10 W/m2 of lighting, ``fixed_kw`` of offices and controls, the plants."""
        self.doc["energy"] = {
            "outdoor_c": 20.0,
            "outdoor_wet_bulb_c": 14.0,
            "lighting_w_m2": 10.0,
            "fixed_kw": fixed_kw,
            "plants": plants,
        }

    def text(self, header: str) -> str:
        return header + dump_layout(self.doc)


#: the chilled-water plant of an air-cooled hall: water-cooled chillers with cooling towers
def _chw_plant(pid: str, chillers: int, towers: int, serves: list[str]) -> dict:
    plant = {
        "id": pid,
        "chiller": "chiller-wc-1750kw",
        "chillers": chillers,
        "heat_rejection": "tower-4000kw",
        "heat_rejection_units": towers,
    }
    return {**plant, "serves": serves} if serves else plant


#: the warm-water plant of liquid cooling: dry coolers, with chillers to trim on hot days
def _tcw_plant(pid: str, chillers: int, dry_coolers: int) -> dict:
    return {
        "id": pid,
        "chiller": "chiller-wc-1750kw",
        "chillers": chillers,
        "heat_rejection": "drycooler-1000kw",
        "heat_rejection_units": dry_coolers,
        "serves": ["liquid"],
    }


def _rack(
    rid: str,
    x: float,
    y: float,
    rot: float,
    rtype: str,
    servers: list[dict],
    a: str,
    b: str,
    cdu: str | None = None,
) -> dict:
    d: dict[str, Any] = {"id": rid, "type": rtype, "position_m": [_r(x), _r(y)]}
    if rot:
        d["rotation_deg"] = rot
    d["servers"] = servers
    d["feeds"] = {"a": a, "b": b}
    if cdu:
        d["cdu"] = cdu
    return d


def _air_rows(
    b: _Builder,
    hall: str,
    prefix: str,
    n_pairs: int,
    racks_per_row: int,
    x0: float,
    y0: float,
    pdu_racks: int,
    ups: tuple[str, str],
    servers_per_rack: int = 4,
) -> None:
    """Pairs of DGX H100 rows around cold aisles of three tiles, each row on its own PDUs."""
    depth = 1.2
    pitch = 2 * depth + 3 * TILE_M + 2 * TILE_M  # racks + cold aisle + hot aisle
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    row_no = 0
    for p in range(n_pairs):  # noqa: B007 - p names the aisle
        yc = y0 + p * pitch
        for y, rot in ((yc + depth / 2, 180.0), (yc + depth + 3 * TILE_M + depth / 2, 0.0)):
            rid = f"{prefix}{letters[row_no]}"
            racks = []
            for k in range(racks_per_row):
                grp = k // pdu_racks + 1
                pa, pb = f"PDU-{rid}{grp}A", f"PDU-{rid}{grp}B"
                if k % pdu_racks == 0:
                    b.power(pa, "pdu-300kva", ups[0], hall)
                    b.power(pb, "pdu-300kva", ups[1], hall)
                racks.append(
                    _rack(
                        f"{rid}{k + 1:02d}",
                        x0 + (k + 0.5) * TILE_M,
                        y,
                        rot,
                        "rack-600x1200-48u",
                        [{"type": "dgx-h100", "count": servers_per_rack}],
                        pa,
                        pb,
                    )
                )
            b.row(rid, hall, racks)
            row_no += 1
        b.cooling(
            "supplies",
            {
                "id": f"TILES-{hall}-{p + 1}",
                "hall": hall,
                "rect_m": [
                    _r(x0),
                    _r(yc + depth),
                    _r(x0 + racks_per_row * TILE_M),
                    _r(yc + depth + 3 * TILE_M),
                ],
                "open_fraction": 0.56,
            },
        )


def _demo_row(b: _Builder, hall: str, r: int, rid: str, y: float, rot: float) -> list[dict]:
    """Row ``rid`` of the demo hall: 8 DGX H100 racks, and its PDUs (two per side, four racks
    each: 163 kW on failover, under the 270 kW rating)."""
    x0 = 11 * TILE_M
    racks = []
    for k in range(8):
        grp = k // 4 + 1
        pa, pb = f"PDU-{rid}{grp}-A", f"PDU-{rid}{grp}-B"
        racks.append(
            _rack(
                f"{rid}{k + 1:02d}",
                x0 + (k + 0.5) * TILE_M,
                y,
                rot,
                "rack-600x1200-48u",
                [{"type": "dgx-h100", "count": 4}],
                pa,
                pb,
            )
        )
    for grp in (1, 2):
        yy = 3.0 + 2.4 * r + 1.2 * (grp - 1)
        b.power(f"PDU-{rid}{grp}-A", "pdu-300kva", "UPS-A", hall, (1.2, yy), 90.0)
        b.power(f"PDU-{rid}{grp}-B", "pdu-300kva", "UPS-B", hall, (16.8, yy), 270.0)
    return racks


def _demo_crahs(b: _Builder, hall: str) -> None:
    """Six CRAHs blowing under the floor, three on each long wall, listed in facing pairs."""
    for i, x in enumerate((4.5, 9.0, 13.5)):
        for n, y, rot in ((i + 1, 0.45, 180.0), (i + 4, 13.95, 0.0)):
            b.cooling(
                "air_units",
                {
                    "id": f"CRAH-{n}",
                    "type": "crah-150kw",
                    "hall": hall,
                    "position_m": [x, y],
                    "rotation_deg": rot,
                    "supply_c": 18.0,
                    "discharge": "underfloor",
                    "intake": "top",
                },
            )


def _demo_cold_aisle(b: _Builder, hall: str, x0: float) -> None:
    """The perforated grates of the cold aisle and three inlet-height sensors along it."""
    b.cooling(
        "supplies",
        {
            "id": "TILES-CA1",
            "hall": hall,
            "rect_m": [_r(x0), 6.0, _r(x0 + 8 * TILE_M), 7.8],
            "open_fraction": 0.56,
        },
    )
    for i, x in enumerate((x0 + 0.3, x0 + 2.4, x0 + 4.5)):
        b.doc["sensors"].append(
            {
                "id": f"T-CA1-{i + 1}",
                "hall": hall,
                "position_m": [_r(x), 6.9, 1.2],
                "label": "cold aisle",
            }
        )


def demo_air_hall() -> str:
    """Two rows of air-cooled DGX H100 racks (40.8 kW each) around one cold aisle, six CRAHs
    (N+1), perforated grates, and 2N power from two utility feeds."""
    b = _Builder(
        "Demo air-cooled hall",
        "Two rows of 8 DGX H100 racks (4 servers, 40.8 kW each) on a raised floor, 6 x 150 kW CRAHs (N+1), 2N power.",
    )
    hall = "HALL-1"
    b.hall(hall, (18.0, 14.4, 4.0), (0.0, 0.0))
    for side in "AB":
        b.power(f"UTIL-{side}", "utility-feed-5mva", None)
        b.power(f"SWGR-{side}", "switchgear-4000a", f"UTIL-{side}")
        b.power(f"UPS-{side}", "ups-1250kw", f"SWGR-{side}")
    rows = [
        (rid, _demo_row(b, hall, r, rid, y, rot))
        for r, (rid, y, rot) in enumerate(
            (("A", 8 * TILE_M + 0.6, 180.0), ("B", 13 * TILE_M + 0.6, 0.0))
        )
    ]
    for rid, racks in rows:
        b.row(rid, hall, racks)
    _demo_crahs(b, hall)
    _demo_cold_aisle(b, hall, 11 * TILE_M)
    b.cooling_redundancy("N+1")
    b.energy([_chw_plant("CHW", 2, 1, [])], fixed_kw=20.0)
    return b.text(
        "# Twin demo layout: a small air-cooled AI hall.\n"
        "# Generated by `twin generate demo-air-hall`; edit freely, or regenerate.\n"
        "# Row A faces +y and row B faces -y across one cold aisle of perforated grates (y 6.0-7.8 m).\n"
    )


def _gb200_unit(b: _Builder, hall: str, rid: str, y: float, rot: float) -> None:
    """One scalable unit of the pod: a row of 8 NVL72 racks on two busway pairs, its row CDU,
    and the contained hot aisle behind it."""
    x0 = 5 * TILE_M
    cdu = f"CDU-{rid}"
    racks = []
    for k in range(8):
        grp = k // 4 + 1
        racks.append(
            _rack(
                f"{rid}-R{k + 1}",
                x0 + (k + 0.5) * TILE_M,
                y,
                rot,
                "rack-nvl72",
                [{"type": "gb200-nvl72", "count": 1}],
                f"BUS-{rid}{grp}-A",
                f"BUS-{rid}{grp}-B",
                cdu,
            )
        )
    for grp in (1, 2):
        b.power(f"BUS-{rid}{grp}-A", "busway-1600a", "UPS-A", hall)
        b.power(f"BUS-{rid}{grp}-B", "busway-1600a", "UPS-B", hall)
    b.row(rid, hall, racks)
    b.cooling(
        "cdus",
        {
            "id": cdu,
            "type": "cdu-row-1300kw",
            "hall": hall,
            "position_m": [_r(x0 + 8 * TILE_M + 0.9), _r(y)],
            "rotation_deg": rot,
            "supply_c": 25.0,
        },
    )
    _gb200_hot_aisle(b, hall, rid, x0, y - 0.534 - 1.2 if rot == 180.0 else y + 0.534)


def _gb200_hot_aisle(b: _Builder, hall: str, rid: str, x0: float, y_back: float) -> None:
    """The contained hot aisle behind a row (from ``y_back``, 1.2 m deep), with a ceiling
    return over it."""
    b.cooling(
        "containment",
        {
            "id": f"HAC-{rid}",
            "hall": hall,
            "kind": "hot-aisle",
            "rect_m": [_r(x0), _r(y_back), _r(x0 + 8 * TILE_M), _r(y_back + 1.2)],
            "height_m": 2.4,
            "roof": True,
        },
    )
    b.cooling(
        "returns",
        {
            "id": f"RET-{rid}",
            "hall": hall,
            "rect_m": [_r(x0), _r(y_back), _r(x0 + 8 * TILE_M), _r(y_back + 1.2)],
            "kind": "ceiling",
        },
    )


def gb200_pod() -> str:
    """Two GB200 NVL72 scalable units (16 racks, ~2.1 MW) on row CDUs, with fan walls for
    the ~15 % of heat that still goes to air."""
    b = _Builder(
        "GB200 NVL72 pod",
        "Two scalable units of 8 GB200 NVL72 racks (132 kW, 85 % liquid) on 1.3 MW row CDUs, hot-aisle containment, 2N power.",
    )
    hall = "POD-1"
    b.hall(hall, (16.8, 13.2, 4.5), (0.0, 0.0), floor="slab")
    for side in "AB":
        b.power(f"UTIL-{side}", "utility-feed-5mva", None)
        b.power(f"UPS-{side}", "ups-5000kw", f"UTIL-{side}")
    for rid, y, rot in (("SU1", 4.8 + 0.534, 180.0), ("SU2", 4.8 + 1.068 + 1.8 + 0.534, 0.0)):
        _gb200_unit(b, hall, rid, y, rot)
    for i, y in enumerate((3.0, 6.6, 10.2)):
        b.cooling(
            "air_units",
            {
                "id": f"FW-{i + 1}",
                "type": "crah-150kw",
                "hall": hall,
                "position_m": [0.45, y],
                "rotation_deg": 90.0,
                "supply_c": 20.0,
                "discharge": "front",
                "intake": "top",
            },
        )
    b.energy([_tcw_plant("TCW", 2, 3), _chw_plant("CHW", 1, 1, [])], fixed_kw=30.0)
    return b.text(
        "# Twin layout: a liquid-cooled GB200 NVL72 pod (two scalable units).\n"
        "# Generated by `twin generate gb200-pod`.\n"
    )


#: GB200 NVL72 rack depth (m) and its share of heat rejected to air (the rest goes to liquid)
NVL72_DEPTH_M = 1.068
NVL72_AIR_SHARE = 0.15
#: a fan wall's rated sensible capacity (kW) and pitch along a wall (m): the catalog module
#: is 3.0 m wide, with 0.2 m between modules for service
FANWALL_KW = 300.0
FANWALL_PITCH_M = 3.2
#: fan-wall supply set point (deg C): 5 K under the A1 recommended ceiling (27 C), so that the
#: mixing at the open row ends stays inside it
FANWALL_SUPPLY_C = 22.0
#: clear floor between a hall wall and the nearest pod, and between pods (the cold aisles)
WALL_AISLE_M = 4.0
COLD_AISLE_M = 5 * TILE_M
HOT_AISLE_M = 2 * TILE_M


def _fan_walls_per_wall(air_kw: float) -> int:
    """Fan walls on each of two walls: N to carry the heat that goes to air, plus one spare per
    wall, so that any one unit can fail (N+1 with margin)."""
    n = int(-(-air_kw // FANWALL_KW))
    return -(-n // 2) + 1


def _liquid_hall_size(racks_per_row: int, rows_per_hall: int) -> tuple[float, float, int]:
    """Width, depth and fan walls per wall of a liquid hall: rows of NVL72 racks in pods of two
    rows back to back around a contained hot aisle, cold aisles between pods."""
    air_kw = racks_per_row * rows_per_hall * 132.0 * NVL72_AIR_SHARE
    per_wall = _fan_walls_per_wall(air_kw)
    pods = rows_per_hall // 2
    pod_d = 2 * NVL72_DEPTH_M + HOT_AISLE_M
    row_len = racks_per_row * TILE_M
    hall_w = max(2 * 6.0 + row_len, per_wall * FANWALL_PITCH_M + 1.0)
    hall_d = 2 * WALL_AISLE_M + pods * pod_d + (pods - 1) * COLD_AISLE_M
    return _r(round(hall_w / TILE_M) * TILE_M), _r(hall_d), per_wall


def _liquid_row(
    b: _Builder, hall: str, rid: str, y: float, rot: float, x0: float, racks_per_row: int
) -> None:
    """One row of NVL72 racks on two room CDUs (one at each end), two UPS and busways of seven."""
    racks_per_bus = 7
    for side in "AB":
        b.power(f"{rid}-UPS-{side}", "ups-5000kw", f"{hall}-MV-{side}")
    racks = []
    half = (racks_per_row + 1) // 2
    for k in range(racks_per_row):
        bus = k // racks_per_bus + 1
        if k % racks_per_bus == 0:
            for side in "AB":
                b.power(f"{rid}-BUS{bus}-{side}", "busway-1600a", f"{rid}-UPS-{side}", hall)
        racks.append(
            _rack(
                f"{rid}-{k + 1:02d}",
                x0 + (k + 0.5) * TILE_M,
                y,
                rot,
                "rack-nvl72",
                [{"type": "gb200-nvl72", "count": 1}],
                f"{rid}-BUS{bus}-A",
                f"{rid}-BUS{bus}-B",
                f"{rid}-CDU{1 if k < half else 2}",
            )
        )
    b.row(rid, hall, racks)
    for c, x in ((1, x0 - 1.5), (2, x0 + racks_per_row * TILE_M + 1.5)):
        b.cooling(
            "cdus",
            {
                "id": f"{rid}-CDU{c}",
                "type": "cdu-room-2500kw",
                "hall": hall,
                "position_m": [_r(x), _r(y)],
                "rotation_deg": rot,
                "supply_c": 25.0,
            },
        )


def _liquid_hall(
    b: _Builder, h: int, origin: tuple[float, float], racks_per_row: int, rows_per_hall: int
) -> None:
    """A slab hall of NVL72 pods: each pod is two rows back to back (fronts out) around a
    roofed hot aisle that is ducted to the fan walls' return; fan walls along both long walls
    flood the room with cold air for the share of heat that goes to air."""
    hall = f"LH{h + 1}"
    hall_w, hall_d, per_wall = _liquid_hall_size(racks_per_row, rows_per_hall)
    b.hall(hall, (hall_w, hall_d, 5.0), origin, floor="slab")
    for side in "AB":
        b.power(f"{hall}-MV-{side}", "switchgear-mv-60mva", f"GRID-{side}")
    row_len = racks_per_row * TILE_M
    x0 = round((hall_w - row_len) / 2 / TILE_M) * TILE_M
    pod_d = 2 * NVL72_DEPTH_M + HOT_AISLE_M
    for pod in range(rows_per_hall // 2):
        y_pod = WALL_AISLE_M + pod * (pod_d + COLD_AISLE_M)
        y_hot = y_pod + NVL72_DEPTH_M
        # the lower row faces -y (rotation 0), the upper +y: both rears open into the hot aisle
        for side_no, (y, rot) in enumerate(
            ((y_pod + NVL72_DEPTH_M / 2, 0.0), (y_hot + HOT_AISLE_M + NVL72_DEPTH_M / 2, 180.0))
        ):
            _liquid_row(b, hall, f"{hall}-R{2 * pod + side_no + 1:02d}", y, rot, x0, racks_per_row)
        b.cooling(
            "containment",
            {
                "id": f"{hall}-HAC{pod + 1}",
                "hall": hall,
                "kind": "hot-aisle",
                "rect_m": [_r(x0), _r(y_hot), _r(x0 + row_len), _r(y_hot + HOT_AISLE_M)],
                "height_m": 2.4,
                "roof": True,
            },
        )
    for w, (y, rot) in enumerate(((0.6, 180.0), (hall_d - 0.6, 0.0))):
        for i in range(per_wall):
            b.cooling(
                "air_units",
                {
                    "id": f"{hall}-FW{w + 1}-{i + 1:02d}",
                    "type": "fanwall-300kw",
                    "hall": hall,
                    "position_m": [_r((i + 0.5) * hall_w / per_wall), _r(y)],
                    "rotation_deg": rot,
                    "supply_c": FANWALL_SUPPLY_C,
                    "discharge": "front",
                    "intake": "top",
                },
            )


def _air_hall(b: _Builder, origin_y: float, air_hall_rows: int, air_racks_per_row: int) -> None:
    """The older air-cooled hall: DGX H100 rows on a raised floor with CRAHs on both walls."""
    hall = "AH1"
    air_kw = air_hall_rows * air_racks_per_row * 40.8
    n_crah = int(air_kw // 150) + 2  # N+1 and a little more
    air_w = max(2 * 6.0 + air_racks_per_row * TILE_M, (n_crah + 1) // 2 * 2.8 + 1.0)
    air_x0 = round((air_w - air_racks_per_row * TILE_M) / 2 / TILE_M) * TILE_M
    air_pitch = 2 * 1.2 + 5 * TILE_M
    air_d = 2 * 4.0 + (air_hall_rows // 2) * air_pitch
    b.hall(hall, (_r(air_w), _r(air_d), 4.0), (0.0, _r(origin_y)))
    for side in "AB":
        b.power(f"{hall}-SWGR-{side}", "switchgear-6300a", f"GRID-{side}")
        b.power(f"{hall}-UPS-{side}", "ups-5000kw", f"{hall}-SWGR-{side}")
    _air_rows(
        b,
        hall,
        "AH1-",
        air_hall_rows // 2,
        air_racks_per_row,
        air_x0,
        4.0,
        4,
        (f"{hall}-UPS-A", f"{hall}-UPS-B"),
    )
    for i in range(n_crah):
        y = 0.45 if i % 2 == 0 else air_d - 0.45
        x = (i // 2 + 0.5) * air_w / ((n_crah + 1) // 2)
        b.cooling(
            "air_units",
            {
                "id": f"{hall}-CRAH-{i + 1:02d}",
                "type": "crah-150kw",
                "hall": hall,
                "position_m": [_r(x), _r(y)],
                "rotation_deg": 180.0 if i % 2 == 0 else 0.0,
                "supply_c": 18.0,
                "discharge": "underfloor",
                "intake": "top",
            },
        )


def ai_factory(
    liquid_halls: int = 4,
    racks_per_row: int = 35,
    rows_per_hall: int = 10,
    air_hall_rows: int = 4,
    air_racks_per_row: int = 16,
) -> str:
    """About 100,000 GPUs: ``liquid_halls`` halls of GB200 NVL72 racks (350 each by default)
    on room CDUs and fan walls, plus one older air-cooled hall of DGX H100 racks."""
    n_liquid = liquid_halls * racks_per_row * rows_per_hall
    b = _Builder(
        "AI factory (~100k GPUs)",
        f"{liquid_halls} liquid-cooled halls of {racks_per_row * rows_per_hall} GB200 NVL72 racks ({n_liquid * 72} GPUs) and one air-cooled hall of {air_hall_rows * air_racks_per_row} DGX H100 racks.",
    )
    for side in "AB":
        b.power(f"GRID-{side}", "utility-hv-250mva", None)
    hall_w, hall_d, _ = _liquid_hall_size(racks_per_row, rows_per_hall)
    for h in range(liquid_halls):
        origin = ((h % 2) * (hall_w + 10), (h // 2) * (hall_d + 10))
        _liquid_hall(b, h, origin, racks_per_row, rows_per_hall)
    _air_hall(b, ((liquid_halls + 1) // 2) * (hall_d + 10), air_hall_rows, air_racks_per_row)
    # liquid heat (85 % of the NVL72s) on warm water, the rest on chilled water
    liquid_kw = n_liquid * 132.0 * (1 - NVL72_AIR_SHARE)
    air_kw = n_liquid * 132.0 * NVL72_AIR_SHARE + air_hall_rows * air_racks_per_row * 40.8
    b.energy(
        [
            _tcw_plant("TCW", int(-(-liquid_kw // 1750)) + 1, int(-(-liquid_kw * 1.2 // 1000))),
            _chw_plant("CHW", int(-(-air_kw // 1750)) + 1, int(-(-air_kw * 1.25 // 4000)), []),
        ],
        fixed_kw=500.0,
    )
    return b.text(
        "# Twin layout: an AI factory of about 100,000 GPUs.\n"
        "# Generated by `twin generate ai-factory`; regenerate rather than edit by hand.\n"
        "# Liquid halls: pods of two NVL72 rows back to back around a roofed, contained hot aisle\n"
        "# ducted to the fan walls' return; the fan walls flood the room with 22 C air.\n"
    )


GENERATORS = {"demo-air-hall": demo_air_hall, "gb200-pod": gb200_pod, "ai-factory": ai_factory}
