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

    def text(self, header: str) -> str:
        return header + dump_layout(self.doc)


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
    # PDUs: two per row and side, four racks each (163 kW on failover, under the 270 kW rating)
    x0 = 11 * TILE_M
    rows = []
    for r, (rid, y, rot) in enumerate(
        (("A", 8 * TILE_M + 0.6, 180.0), ("B", 13 * TILE_M + 0.6, 0.0))
    ):
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
        rows.append((rid, racks))
        for grp in (1, 2):
            yy = 3.0 + 2.4 * r + 1.2 * (grp - 1)
            b.power(f"PDU-{rid}{grp}-A", "pdu-300kva", "UPS-A", hall, (1.2, yy), 90.0)
            b.power(f"PDU-{rid}{grp}-B", "pdu-300kva", "UPS-B", hall, (16.8, yy), 270.0)
    for rid, racks in rows:
        b.row(rid, hall, racks)
    for i, x in enumerate((4.5, 9.0, 13.5)):
        b.cooling(
            "air_units",
            {
                "id": f"CRAH-{i + 1}",
                "type": "crah-150kw",
                "hall": hall,
                "position_m": [x, 0.45],
                "rotation_deg": 180.0,
                "supply_c": 18.0,
                "discharge": "underfloor",
                "intake": "top",
            },
        )
        b.cooling(
            "air_units",
            {
                "id": f"CRAH-{i + 4}",
                "type": "crah-150kw",
                "hall": hall,
                "position_m": [x, 13.95],
                "rotation_deg": 0.0,
                "supply_c": 18.0,
                "discharge": "underfloor",
                "intake": "top",
            },
        )
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
    return b.text(
        "# Twin demo layout: a small air-cooled AI hall.\n"
        "# Generated by `twin generate demo-air-hall`; edit freely, or regenerate.\n"
        "# Row A faces +y and row B faces -y across one cold aisle of perforated grates (y 6.0-7.8 m).\n"
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
    x0 = 5 * TILE_M
    for rid, y, rot in (("SU1", 4.8 + 0.534, 180.0), ("SU2", 4.8 + 1.068 + 1.8 + 0.534, 0.0)):
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
        # hot aisle behind each row, contained
        y_back = y - 0.534 - 1.2 if rot == 180.0 else y + 0.534
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
    return b.text(
        "# Twin layout: a liquid-cooled GB200 NVL72 pod (two scalable units).\n"
        "# Generated by `twin generate gb200-pod`.\n"
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
    depth = 1.068
    pair_pitch = 2 * depth + 3 * TILE_M + 2 * TILE_M
    air_kw = racks_per_row * rows_per_hall * 132 * 0.15
    per_wall = (
        int(air_kw // 300 // 2) + 2
    )  # fan walls per long wall: the air-side heat plus a spare
    row_len = racks_per_row * TILE_M
    hall_w = max(2 * 6.0 + row_len, per_wall * 3.2 + 1.0)
    hall_d = 2 * 5.0 + (rows_per_hall // 2) * pair_pitch
    racks_per_bus = 7
    for h in range(liquid_halls):
        hall = f"LH{h + 1}"
        b.hall(
            hall,
            (_r(hall_w), _r(hall_d), 5.0),
            (_r((h % 2) * (hall_w + 10)), _r((h // 2) * (hall_d + 10))),
            floor="slab",
        )
        for side in "AB":
            b.power(f"{hall}-MV-{side}", "switchgear-mv-60mva", f"GRID-{side}")
        x0 = round((hall_w - row_len) / 2 / TILE_M) * TILE_M
        for r in range(rows_per_hall):
            pair, side_no = divmod(r, 2)
            yc = 5.0 + pair * pair_pitch
            y = yc + depth / 2 if side_no == 0 else yc + depth + 3 * TILE_M + depth / 2
            rot = 180.0 if side_no == 0 else 0.0
            rid = f"{hall}-R{r + 1:02d}"
            for side in "AB":
                b.power(f"{rid}-UPS-{side}", "ups-5000kw", f"{hall}-MV-{side}")
            racks = []
            half = (racks_per_row + 1) // 2
            for k in range(racks_per_row):
                bus = k // racks_per_bus + 1
                if k % racks_per_bus == 0:
                    for side in "AB":
                        b.power(f"{rid}-BUS{bus}-{side}", "busway-1600a", f"{rid}-UPS-{side}", hall)
                cdu = f"{rid}-CDU{1 if k < half else 2}"
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
                        cdu,
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
            if side_no == 0:
                y_back = y - depth / 2 - 2 * TILE_M
                b.cooling(
                    "containment",
                    {
                        "id": f"{rid}-HAC",
                        "hall": hall,
                        "kind": "hot-aisle",
                        "rect_m": [
                            _r(x0),
                            _r(y_back),
                            _r(x0 + racks_per_row * TILE_M),
                            _r(y_back + 2 * TILE_M),
                        ],
                        "height_m": 2.4,
                        "roof": True,
                    },
                )
        # fan walls along both long walls, for the ~15 % of heat that goes to air
        for w, (y, rot) in enumerate(((0.6, 180.0), (hall_d - 0.6, 0.0))):
            for i in range(per_wall):
                x = (i + 0.5) * hall_w / per_wall
                b.cooling(
                    "air_units",
                    {
                        "id": f"{hall}-FW{w + 1}-{i + 1:02d}",
                        "type": "fanwall-300kw",
                        "hall": hall,
                        "position_m": [_r(x), _r(y)],
                        "rotation_deg": rot,
                        "supply_c": 24.0,
                        "discharge": "front",
                        "intake": "top",
                    },
                )
    # the older air-cooled hall
    hall = "AH1"
    air_kw = air_hall_rows * air_racks_per_row * 40.8
    n_crah = int(air_kw // 150) + 2  # N+1 and a little more
    air_w = max(2 * 6.0 + air_racks_per_row * TILE_M, (n_crah + 1) // 2 * 2.8 + 1.0)
    air_x0 = round((air_w - air_racks_per_row * TILE_M) / 2 / TILE_M) * TILE_M
    air_pitch = 2 * 1.2 + 5 * TILE_M
    air_d = 2 * 4.0 + (air_hall_rows // 2) * air_pitch
    b.hall(hall, (_r(air_w), _r(air_d), 4.0), (0.0, _r(((liquid_halls + 1) // 2) * (hall_d + 10))))
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
    return b.text(
        "# Twin layout: an AI factory of about 100,000 GPUs.\n"
        "# Generated by `twin generate ai-factory`; regenerate rather than edit by hand.\n"
    )


GENERATORS = {"demo-air-hall": demo_air_hall, "gb200-pod": gb200_pod, "ai-factory": ai_factory}
