"""`twin inventory`: the counts by hand for the demo hall, and the command loaded lazily
through the twin.commands entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from twin_inventory.command import inventory

from twin.api import load_layout

DEMO = Path(__file__).resolve().parents[3] / "layouts" / "demo-air-hall.yaml"


def test_counts_per_row_by_hand():
    rows = inventory(load_layout(DEMO), "row")
    # two rows of 8 racks, 4 DGX H100 (8 GPUs, 10.2 kW) per rack
    assert rows[0] == {
        "row": "A",
        "racks": 8,
        "servers": 32,
        "gpus": 256,
        "design_kw": pytest.approx(326.4),
    }
    assert rows[-1] == {
        "row": "total",
        "racks": 16,
        "servers": 64,
        "gpus": 512,
        "design_kw": pytest.approx(652.8),
    }


def test_by_type_groups_rack_types():
    rows = inventory(load_layout(DEMO), "type")
    assert [r["type"] for r in rows] == ["rack-600x1200-48u", "total"]


def test_runs_as_a_twin_subcommand():
    done = subprocess.run(
        [sys.executable, "-m", "twin.cli", "inventory", str(DEMO), "--by", "hall", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0] == {
        "hall": "HALL-1",
        "racks": 16,
        "servers": 64,
        "gpus": 512,
        "design_kw": 652.8,
    }
    helped = subprocess.run(
        [sys.executable, "-m", "twin.cli", "--help"], capture_output=True, text=True, timeout=120
    )
    assert "inventory" in helped.stdout and "[plugin twin-inventory" in helped.stdout
