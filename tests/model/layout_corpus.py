"""Malformed layouts, as an attacker or a careless script would write them: each case mutates a
shipped layout and says which class of message the loader must give and for which field.

Used by ``test_layout_corpus.py`` (in-process, every case must give that ``LayoutError``) and by
``tools/measure_corpus.py`` (each case in a capped subprocess, to count tracebacks, hangs and
memory blow-ups).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

LAYOUTS = Path(__file__).parents[2] / "layouts"

# What a message of each class must contain (a regex, searched case-insensitively).
CLASSES = {
    "finite": r"finite number",
    "limit": r"at most|less than or equal|limit|too (many|long|large|wide)",
    "range": r"must be between|impossible|physical",
    "outside": r"outside",
    "taller": r"taller than",
    "host": r"host",
    "type": r"valid|should be|required|field",
    "yaml": r"YAML|mapping",
    "duplicate": r"duplicate|already used",
    "unknown": r"unknown",
}


@dataclass(frozen=True)
class Case:
    name: str
    base: str  # layout file in layouts/
    mutate: Callable[[dict], object]  # edits the parsed document in place (or returns text)
    cls: str  # key of CLASSES
    field: str | None  # the field path the problem must name (None: any)

    def text(self) -> str:
        doc = yaml.safe_load((LAYOUTS / self.base).read_text())
        out = self.mutate(doc)
        if isinstance(out, str):
            return out
        return yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)


def _set(path: str, value: object) -> Callable[[dict], None]:
    """``"rows.0.racks.1.position_m"`` -> sets that item."""
    parts = [int(p) if p.lstrip("-").isdigit() else p for p in path.split(".")]

    def mutate(doc: dict) -> None:
        cur = doc
        for p in parts[:-1]:
            cur = cur[p]
        cur[parts[-1]] = value

    return mutate


def _field(path: str) -> str:
    out = ""
    for p in path.split("."):
        out += f"[{p}]" if p.isdigit() else ("." if out else "") + p
    return out


def _catalog_item(item: dict) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        doc.setdefault("catalog", []).append(item)

    return mutate


def _chiller_item(**over: object) -> dict:
    """A water-cooled chiller as the shipped catalog has it, with some figures changed."""
    base = {
        "id": "chiller-test",
        "kind": "chiller",
        "name": "test chiller",
        "capacity_kw": 1750.0,
        "cop_rated": 6.1,
        "condenser": "water",
        "rated_chw_supply_c": 6.7,
        "rated_condenser_c": 29.4,
        "evaporator_approach_k": 3.0,
        "condenser_approach_k": 8.0,
    }
    return {**base, **over}


def _server(**over: object) -> dict:
    base = {
        "id": "evil-server",
        "kind": "server",
        "name": "evil",
        "gpu": "h100-sxm",
        "hosts": 1,
        "gpus_per_host": 8,
        "u": 8,
        "power_kw": 10.2,
    }
    base.update(over)
    return base


def _use_server(doc: dict) -> None:
    doc["rows"][0]["racks"][0]["servers"] = [{"type": "evil-server", "count": 1}]


def _with_server(**over: object) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        _catalog_item(_server(**over))(doc)
        _use_server(doc)

    return mutate


def _many_racks(n: int) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        rack = doc["rows"][0]["racks"][0]
        doc["rows"][0]["racks"] = [dict(rack, id=f"X{i}") for i in range(n)]

    return mutate


def _alias_bomb(doc: dict) -> str:
    """Nine levels of nine aliases: a 1 kB file that expands to 9^9 racks."""
    lines = [
        "format: twin-layout/1",
        "name: bomb",
        "halls: [{id: H, size_m: [10, 10, 3]}]",
        "a0: &a0 [{id: R, position_m: [1, 1]}]",
    ]
    for k in range(1, 9):
        prev = f"*a{k - 1}"
        lines.append(f"a{k}: &a{k} [{', '.join([prev] * 9)}]")
    lines.append("rows: [{id: A, hall: H, racks: *a8}]")
    return "\n".join(lines) + "\n"


def _host_collide(doc: dict) -> None:
    doc["telemetry"]["default_host_pattern"] = "node"


def _text_replace(old: str, new: str) -> Callable[[dict], str]:
    def mutate(doc: dict, old=old, new=new) -> str:
        return yaml.safe_dump(doc, sort_keys=False).replace(old, new, 1)

    return mutate


T, D, G = "test-room.yaml", "demo-air-hall.yaml", "gb200-pod.yaml"
INF, NAN = float("inf"), float("nan")

CASES: list[Case] = [
    # ---- non-finite numbers anywhere
    Case(
        "nan-rack-x",
        D,
        _set("rows.0.racks.0.position_m", [NAN, 5.4]),
        "finite",
        "rows[0].racks[0].position_m[0]",
    ),
    Case(
        "inf-rack-y",
        D,
        _set("rows.0.racks.1.position_m", [7.5, INF]),
        "finite",
        "rows[0].racks[1].position_m[1]",
    ),
    Case(
        "nan-rotation",
        D,
        _set("rows.0.racks.0.rotation_deg", NAN),
        "finite",
        "rows[0].racks[0].rotation_deg",
    ),
    Case(
        "inf-rotation",
        D,
        _set("rows.0.racks.0.rotation_deg", -INF),
        "finite",
        "rows[0].racks[0].rotation_deg",
    ),
    Case(
        "inf-hall-width",
        D,
        _set("halls.0.size_m", [INF, 14.4, 4.0]),
        "finite",
        "halls[0].size_m[0]",
    ),
    Case(
        "nan-hall-height",
        D,
        _set("halls.0.size_m", [18.0, 14.4, NAN]),
        "finite",
        "halls[0].size_m[2]",
    ),
    Case("inf-origin", D, _set("halls.0.origin_m", [INF, 0.0]), "finite", "halls[0].origin_m[0]"),
    Case(
        "inf-power",
        T,
        _set("rows.0.racks.0.load.power_kw", INF),
        "finite",
        "rows[0].racks[0].load.power_kw",
    ),
    Case(
        "nan-power",
        T,
        _set("rows.0.racks.0.load.power_kw", NAN),
        "finite",
        "rows[0].racks[0].load.power_kw",
    ),
    Case(
        "nan-airflow",
        T,
        _set("rows.0.racks.0.load.airflow_m3s", NAN),
        "finite",
        "rows[0].racks[0].load.airflow_m3s",
    ),
    Case(
        "nan-supply",
        T,
        _set("cooling.supplies.0.supply_c", NAN),
        "finite",
        "cooling.supplies[0].supply_c",
    ),
    Case(
        "inf-tile-flow",
        T,
        _set("cooling.supplies.0.flow_m3s", INF),
        "finite",
        "cooling.supplies[0].flow_m3s",
    ),
    Case(
        "nan-tile-rect",
        T,
        _set("cooling.supplies.0.rect_m", [4.2, NAN, 7.8, 5.7]),
        "finite",
        "cooling.supplies[0].rect_m[1]",
    ),
    Case(
        "nan-crah-supply",
        D,
        _set("cooling.air_units.0.supply_c", NAN),
        "finite",
        "cooling.air_units[0].supply_c",
    ),
    Case(
        "inf-crah-airflow",
        D,
        _set("cooling.air_units.0.airflow_m3s", INF),
        "finite",
        "cooling.air_units[0].airflow_m3s",
    ),
    Case(
        "nan-sensor",
        D,
        _set("sensors.0.position_m", [6.9, 6.9, NAN]),
        "finite",
        "sensors[0].position_m[2]",
    ),
    Case("nan-air-density", D, _set("air.density_kg_m3", NAN), "finite", "air.density_kg_m3"),
    Case("inf-air-cp", D, _set("air.cp_j_kgk", INF), "finite", "air.cp_j_kgk"),
    Case(
        "nan-pdu-position",
        D,
        _set("power.6.position_m", [NAN, 3.0]),
        "finite",
        "power[6].position_m[0]",
    ),
    Case("inf-capacity", D, _set("power.6.capacity_kw", INF), "finite", "power[6].capacity_kw"),
    Case(
        "nan-cdu-flow",
        G,
        _set("cooling.cdus.0.flow_lps", NAN),
        "finite",
        "cooling.cdus[0].flow_lps",
    ),
    Case(
        "nan-containment-h",
        G,
        _set("cooling.containment.0.height_m", NAN),
        "finite",
        "cooling.containment[0].height_m",
    ),
    Case(
        "nan-catalog-tdp",
        D,
        _catalog_item(
            {
                "id": "g",
                "kind": "gpu",
                "name": "g",
                "tdp_w": NAN,
                "idle_w": 1,
                "max_operating_c": 85,
                "slowdown_c": 87,
                "shutdown_c": 92,
                "hbm_max_c": 95,
                "r_th_k_per_w": 0.05,
            }
        ),
        "finite",
        "catalog[0].tdp_w",
    ),
    Case(
        "nan-floor-load",
        D,
        _set("halls.0.floor_load_kg_m2", NAN),
        "finite",
        "halls[0].floor_load_kg_m2",
    ),
    Case(
        "inf-clearance",
        D,
        _set("halls.0.clearance_front_m", INF),
        "finite",
        "halls[0].clearance_front_m",
    ),
    # ---- absurd sizes and counts (would allocate without a limit)
    Case(
        "huge-coordinate",
        D,
        _set("rows.0.racks.0.position_m", [1e308, 5.4]),
        "limit",
        "rows[0].racks[0].position_m[0]",
    ),
    Case("huge-hall", D, _set("halls.0.size_m", [1e300, 14.4, 4.0]), "limit", "halls[0].size_m[0]"),
    Case(
        "huge-hall-height",
        D,
        _set("halls.0.size_m", [18.0, 14.4, 1e6]),
        "limit",
        "halls[0].size_m[2]",
    ),
    Case(
        "huge-rotation",
        D,
        _set("rows.0.racks.0.rotation_deg", 1e300),
        "limit",
        "rows[0].racks[0].rotation_deg",
    ),
    Case(
        "gpus-per-host-2e9",
        D,
        _with_server(gpus_per_host=2_000_000_000),
        "limit",
        "catalog[0].gpus_per_host",
    ),
    Case("hosts-1e8", D, _with_server(hosts=100_000_000), "limit", "catalog[0].hosts"),
    Case(
        "huge-power",
        T,
        _set("rows.0.racks.0.load.power_kw", 1e12),
        "limit",
        "rows[0].racks[0].load.power_kw",
    ),
    Case("huge-server-power", D, _with_server(power_kw=1e15), "limit", "catalog[0].power_kw"),
    Case(
        "pattern-width",
        D,
        _set("telemetry.default_host_pattern", "{slot:0300000000d}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-width-group",
        D,
        _set("rows.0.racks.0.servers.0.host_pattern", "{rack:>999999999}"),
        "host",
        "rows[0].racks[0].servers[0].host_pattern",
    ),
    Case("long-name", D, _set("name", "x" * 100_000), "limit", "name"),
    Case(
        "long-host",
        D,
        _set("rows.0.racks.0.servers.0.hosts", ["h" * 10_000, "a", "b", "c"]),
        "limit",
        "rows[0].racks[0].servers[0].hosts[0]",
    ),
    Case(
        "many-host-labels",
        D,
        _set("telemetry.host_labels", [f"l{i}" for i in range(10_000)]),
        "limit",
        "telemetry.host_labels",
    ),
    Case(
        "many-metrics",
        D,
        _set("telemetry.metrics", {f"m{i}": "x" for i in range(10_000)}),
        "limit",
        "telemetry.metrics",
    ),
    Case("many-racks-in-row", T, _many_racks(10_001), "limit", "rows[0].racks"),
    Case("alias-bomb", T, _alias_bomb, "limit", None),
    Case(
        "server-count-1e9",
        D,
        _set("rows.0.racks.0.servers.0.count", 10**9),
        "limit",
        "rows[0].racks[0].servers[0].count",
    ),
    Case(
        "big-int-count",
        D,
        _set("rows.0.racks.0.servers.0.count", 2**200),
        "limit",
        "rows[0].racks[0].servers[0].count",
    ),
    Case("huge-tile-m", D, _set("halls.0.tile_m", 1e9), "limit", "halls[0].tile_m"),
    Case("huge-plenum", D, _set("halls.0.plenum_m", 1e9), "limit", "halls[0].plenum_m"),
    Case("long-description", D, _set("description", "d" * 2_000_000), "limit", "description"),
    # ---- physically impossible values
    Case(
        "supply-minus-300",
        T,
        _set("cooling.supplies.0.supply_c", -300.0),
        "range",
        "cooling.supplies[0].supply_c",
    ),
    Case(
        "supply-1e6",
        T,
        _set("cooling.supplies.0.supply_c", 1e6),
        "range",
        "cooling.supplies[0].supply_c",
    ),
    Case(
        "crah-supply-100",
        D,
        _set("cooling.air_units.0.supply_c", 100.0),
        "range",
        "cooling.air_units[0].supply_c",
    ),
    Case(
        "crah-supply-minus-40",
        D,
        _set("cooling.air_units.0.supply_c", -40.0),
        "range",
        "cooling.air_units[0].supply_c",
    ),
    Case(
        "cdu-supply-200",
        G,
        _set("cooling.cdus.0.supply_c", 200.0),
        "range",
        "cooling.cdus[0].supply_c",
    ),
    Case(
        "catalog-crah-supply",
        D,
        _catalog_item(
            {
                "id": "crah-x",
                "kind": "air_unit",
                "name": "x",
                "size_m": [1, 1, 2],
                "capacity_kw": 100,
                "airflow_m3s": 10,
                "supply_c": -100,
            }
        ),
        "range",
        "catalog[0].supply_c",
    ),
    Case(
        "airflow-1e-12",
        T,
        _set("rows.0.racks.0.load.airflow_m3s", 1e-12),
        "range",
        "rows[0].racks[0].load.airflow_m3s",
    ),
    Case(
        "delta-t-500",
        T,
        _set("rows.0.racks.0.load", {"power_kw": 20, "delta_t_k": 500}),
        "range",
        "rows[0].racks[0].load.delta_t_k",
    ),
    Case("server-delta-t-1000", D, _with_server(delta_t_k=1000), "range", "catalog[0].delta_t_k"),
    Case("air-density-1000", D, _set("air.density_kg_m3", 1000.0), "range", "air.density_kg_m3"),
    Case("air-cp-1", D, _set("air.cp_j_kgk", 1.0), "range", "air.cp_j_kgk"),
    Case(
        "gpu-slowdown-5000",
        D,
        _catalog_item(
            {
                "id": "g",
                "kind": "gpu",
                "name": "g",
                "tdp_w": 700,
                "idle_w": 1,
                "max_operating_c": 85,
                "slowdown_c": 5000,
                "shutdown_c": 92,
                "hbm_max_c": 95,
                "r_th_k_per_w": 0.05,
            }
        ),
        "range",
        "catalog[0].slowdown_c",
    ),
    # ---- things outside their hall
    Case(
        "tiles-outside",
        T,
        _set("cooling.supplies.0.rect_m", [100, 100, 104, 102]),
        "outside",
        "cooling.supplies[0].rect_m",
    ),
    Case(
        "tiles-half-outside",
        T,
        _set("cooling.supplies.0.rect_m", [10, 3.3, 14, 5.7]),
        "outside",
        "cooling.supplies[0].rect_m",
    ),
    Case(
        "return-outside",
        T,
        _set("cooling.returns.0.rect_m", [-10, -10, -8, -8]),
        "outside",
        "cooling.returns[0].rect_m",
    ),
    Case(
        "sensor-outside",
        D,
        _set("sensors.0.position_m", [1000, -1000, 99]),
        "outside",
        "sensors[0].position_m",
    ),
    Case(
        "sensor-above-ceiling",
        D,
        _set("sensors.0.position_m", [6.9, 6.9, 4.5]),
        "outside",
        "sensors[0].position_m",
    ),
    Case(
        "sensor-below-floor",
        D,
        _set("sensors.0.position_m", [6.9, 6.9, -1]),
        "outside",
        "sensors[0].position_m",
    ),
    Case(
        "containment-outside",
        G,
        _set("cooling.containment.0.rect_m", [50, 50, 60, 52]),
        "outside",
        "cooling.containment[0].rect_m",
    ),
    Case(
        "containment-100m",
        G,
        _set("cooling.containment.0.height_m", 100.0),
        "taller",
        "cooling.containment[0].height_m",
    ),
    Case(
        "pdu-outside", D, _set("power.6.position_m", [-50, 3.0]), "outside", "power[6].position_m"
    ),
    Case(
        "rack-far-outside",
        D,
        _set("rows.0.racks.0.position_m", [500, 500]),
        "outside",
        "rows[0].racks[0].position_m",
    ),
    Case(
        "crah-outside",
        D,
        _set("cooling.air_units.0.position_m", [500, 0.45]),
        "outside",
        "cooling.air_units[0].position_m",
    ),
    Case(
        "cdu-outside",
        G,
        _set("cooling.cdus.0.position_m", [-20, -20]),
        "outside",
        "cooling.cdus[0].position_m",
    ),
    # ---- host names and patterns
    Case("pattern-constant", D, _host_collide, "host", "telemetry.default_host_pattern"),
    Case(
        "pattern-bad-attr",
        D,
        _set("telemetry.default_host_pattern", "{rack.nope}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-bad-field",
        D,
        _set("telemetry.default_host_pattern", "{nope}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-index",
        D,
        _set("telemetry.default_host_pattern", "{rack[0]}-{slot}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-unbalanced",
        D,
        _set("telemetry.default_host_pattern", "{rack-{slot}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-bad-spec",
        D,
        _set("telemetry.default_host_pattern", "{rack:d}-{slot}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-positional",
        D,
        _set("telemetry.default_host_pattern", "{}-{0}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "pattern-conversion",
        D,
        _set("telemetry.default_host_pattern", "{rack!z}{slot}"),
        "host",
        "telemetry.default_host_pattern",
    ),
    Case(
        "group-pattern-collide",
        D,
        _set("rows.0.racks.0.servers.0.host_pattern", "A02-{slot:02d}"),
        "host",
        "rows[0].racks[0].servers[0].host_pattern",
    ),
    Case(
        "group-pattern-bad",
        D,
        _set("rows.0.racks.0.servers.0.host_pattern", "{rack.__class__}"),
        "host",
        "rows[0].racks[0].servers[0].host_pattern",
    ),
    Case(
        "hosts-vs-pattern",
        D,
        _set("rows.0.racks.1.servers.0.hosts", ["A01-01", "x2", "x3", "x4"]),
        "host",
        "rows[0].racks[1].servers[0].hosts[0]",
    ),
    Case(
        "empty-pattern",
        D,
        _set("telemetry.default_host_pattern", ""),
        "host",
        "telemetry.default_host_pattern",
    ),
    # ---- wrong types
    Case(
        "count-true",
        D,
        _set("rows.0.racks.0.servers.0.count", True),
        "type",
        "rows[0].racks[0].servers[0].count",
    ),
    Case(
        "count-float",
        D,
        _set("rows.0.racks.0.servers.0.count", 2.5),
        "type",
        "rows[0].racks[0].servers[0].count",
    ),
    Case(
        "count-string",
        D,
        _set("rows.0.racks.0.servers.0.count", "four"),
        "type",
        "rows[0].racks[0].servers[0].count",
    ),
    Case(
        "position-string",
        D,
        _set("rows.0.racks.0.position_m", "here"),
        "type",
        "rows[0].racks[0].position_m",
    ),
    Case(
        "position-3",
        D,
        _set("rows.0.racks.0.position_m", [1, 2, 3]),
        "type",
        "rows[0].racks[0].position_m",
    ),
    Case(
        "rotation-bool",
        D,
        _set("rows.0.racks.0.rotation_deg", True),
        "type",
        "rows[0].racks[0].rotation_deg",
    ),
    Case("halls-null", D, _set("halls", None), "type", "halls"),
    Case("rows-mapping", D, _set("rows", {"a": 1}), "type", "rows"),
    Case("top-list", D, lambda doc: "- 1\n- 2\n", "yaml", None),
    Case("tabs", D, lambda doc: "format: twin-layout/1\n\tname: x\n", "yaml", None),
    # ---- references and ids
    Case("dup-rack", D, _set("rows.1.racks.0.id", "A01"), "duplicate", "rows[1].racks[0].id"),
    Case(
        "unknown-type",
        D,
        _set("rows.0.racks.0.type", "rack-nope"),
        "unknown",
        "rows[0].racks[0].type",
    ),
    Case("unknown-hall", D, _set("sensors.0.hall", "HALL-9"), "unknown", "sensors[0].hall"),
    Case(
        "unknown-field",
        D,
        _set("rows.0.racks.0.colour", "red"),
        "unknown",
        "rows[0].racks[0].colour",
    ),
    # ---- the energy plant: non-finite or physically impossible figures
    Case("nan-outdoor", D, _set("energy.outdoor_c", NAN), "finite", "energy.outdoor_c"),
    Case("inf-fixed-load", D, _set("energy.fixed_kw", INF), "finite", "energy.fixed_kw"),
    Case(
        "negative-lighting",
        D,
        _set("energy.lighting_w_m2", -5.0),
        "type",
        "energy.lighting_w_m2",
    ),
    Case(
        "wet-above-dry",
        D,
        _set("energy.outdoor_wet_bulb_c", 30.0),
        "range",
        "energy.outdoor_wet_bulb_c",
    ),
    Case(
        "series-wet-above-dry",
        D,
        _set("energy.outdoor_series", [{"at": "12:00", "dry_bulb_c": 20.0, "wet_bulb_c": 25.0}]),
        "range",
        "energy.outdoor_series[0].wet_bulb_c",
    ),
    Case(
        "pump-efficiency-zero",
        D,
        _set("energy.plants.0.pump_efficiency", 0.0),
        "range",
        "energy.plants[0].pump_efficiency",
    ),
    Case(
        "pump-efficiency-negative",
        D,
        _set("energy.plants.0.pump_efficiency", -0.7),
        "range",
        "energy.plants[0].pump_efficiency",
    ),
    Case(
        "pump-efficiency-over-one",
        D,
        _set("energy.plants.0.pump_efficiency", 7.0),
        "range",
        "energy.plants[0].pump_efficiency",
    ),
    Case(
        "pump-efficiency-bool",
        D,
        _set("energy.plants.0.pump_efficiency", True),
        "type",
        "energy.plants[0].pump_efficiency",
    ),
    Case(
        "nan-loop-dt",
        D,
        _set("energy.plants.0.loop_delta_t_k", NAN),
        "finite",
        "energy.plants[0].loop_delta_t_k",
    ),
    Case(
        "chiller-cop-zero",
        D,
        _catalog_item(_chiller_item(cop_rated=0.0)),
        "range",
        "catalog[0].cop_rated",
    ),
    Case(
        "chiller-cop-negative",
        D,
        _catalog_item(_chiller_item(cop_rated=-6.1)),
        "range",
        "catalog[0].cop_rated",
    ),
    Case(
        "chiller-cop-absurd",
        D,
        _catalog_item(_chiller_item(cop_rated=1e6)),
        "range",
        "catalog[0].cop_rated",
    ),
    Case(
        "chiller-beats-carnot",
        D,
        _catalog_item(_chiller_item(cop_rated=12.0)),
        "range",
        "catalog[0].cop_rated",
    ),
    Case(
        "chiller-inf-capacity",
        D,
        _catalog_item(_chiller_item(capacity_kw=INF)),
        "finite",
        "catalog[0].capacity_kw",
    ),
    Case(
        "chiller-condenser-colder",
        D,
        _catalog_item(_chiller_item(rated_chw_supply_c=20.0, rated_condenser_c=10.0)),
        "range",
        "catalog[0].rated_condenser_c",
    ),
    Case(
        "chiller-water-1e6",
        D,
        _catalog_item(_chiller_item(rated_chw_supply_c=1e6)),
        "range",
        "catalog[0].rated_chw_supply_c",
    ),
    Case(
        "chiller-negative-approach",
        D,
        _catalog_item(_chiller_item(evaporator_approach_k=-3.0)),
        "range",
        "catalog[0].evaporator_approach_k",
    ),
    Case(
        "tower-fans-over-capacity",
        D,
        _catalog_item(
            {
                "id": "t",
                "kind": "cooling_tower",
                "name": "t",
                "capacity_kw": 100.0,
                "approach_k": 4.0,
                "fan_kw": 500.0,
            }
        ),
        "range",
        "catalog[0].fan_kw",
    ),
    Case(
        "dry-cooler-nan-approach",
        D,
        _catalog_item(
            {
                "id": "d",
                "kind": "dry_cooler",
                "name": "d",
                "capacity_kw": 1000.0,
                "approach_k": NAN,
                "fan_kw": 20.0,
            }
        ),
        "finite",
        "catalog[0].approach_k",
    ),
    Case(
        "ups-efficiency-zero",
        D,
        _catalog_item(
            {"id": "u", "kind": "ups", "name": "u", "capacity_kw": 500.0, "efficiency": 0.0}
        ),
        "range",
        "catalog[0].efficiency",
    ),
]


assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
