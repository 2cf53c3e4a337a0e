"""``twin inventory LAYOUT [--by row|hall|type] [--json]``: racks, servers, GPUs and design
power per group, the figures a capacity review starts from."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from twin.api import Facility, LayoutError, load_layout


def inventory(facility: Facility, by: str) -> list[dict]:
    """One dict per group (in layout order) plus a ``total`` row."""
    f = facility
    if by == "row":
        labels, rack_group = f.row_ids, f.rack_row
    elif by == "hall":
        labels, rack_group = f.hall_ids, f.rack_hall
    else:
        labels = sorted({r.type for r in f.racks})
        index = {t: i for i, t in enumerate(labels)}
        rack_group = np.array([index[r.type] for r in f.racks], dtype=np.int64)
    n = len(labels)
    racks = np.bincount(rack_group, minlength=n)
    servers = (
        np.bincount(rack_group[f.server_rack], minlength=n)
        if len(f.server_rack)
        else np.zeros(n, int)
    )
    gpus = np.bincount(rack_group, weights=f.rack_gpu_count, minlength=n)
    power_kw = np.bincount(rack_group, weights=f.rack_power_w, minlength=n) / 1e3
    rows = [
        {
            by: label,
            "racks": int(racks[i]),
            "servers": int(servers[i]),
            "gpus": int(gpus[i]),
            "design_kw": round(float(power_kw[i]), 3),
        }
        for i, label in enumerate(labels)
    ]
    rows.append(
        {
            by: "total",
            "racks": int(racks.sum()),
            "servers": int(servers.sum()),
            "gpus": int(gpus.sum()),
            "design_kw": round(float(power_kw.sum()), 3),
        }
    )
    return rows


class Inventory:
    help = "count racks, servers, GPUs and design power per row, hall or rack type"

    def register(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("layout", help="layout file")
        parser.add_argument("--by", choices=("row", "hall", "type"), default="row")
        parser.add_argument("--json", action="store_true", help="one JSON list")

    def run(self, args: argparse.Namespace) -> int:
        try:
            facility = load_layout(args.layout)
        except LayoutError as exc:
            print(f"twin inventory: {exc}", file=sys.stderr)
            return 1
        rows = inventory(facility, args.by)
        if args.json:
            print(json.dumps(rows))
            return 0
        print(f"{args.by:<12} {'racks':>6} {'servers':>8} {'GPUs':>8} {'design kW':>10}")
        for r in rows:
            print(
                f"{r[args.by]:<12} {r['racks']:>6} {r['servers']:>8} {r['gpus']:>8} {r['design_kw']:>10.1f}"
            )
        return 0


#: What the ``twin.commands`` entry point names.
command = Inventory()
