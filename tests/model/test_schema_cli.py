"""The `twin schema`, `twin validate` and `twin generate` commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from twin.cli import main

LAYOUTS = Path(__file__).parents[2] / "layouts"


def test_schema_validates_shipped_layouts(tmp_path, capsys):
    out = tmp_path / "schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text())
    assert schema["title"].startswith("Twin layout")
    for name in ("demo-air-hall", "gb200-pod"):
        jsonschema.validate(yaml.safe_load((LAYOUTS / f"{name}.yaml").read_text()), schema)


def test_validate_reports_ok_and_problems(capsys):
    assert main(["validate", str(LAYOUTS / "demo-air-hall.yaml")]) == 0
    assert "512 GPUs" in capsys.readouterr().out
    bad = Path(__file__).parent / "bad_layouts" / "overlap.yaml"
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:18: rows[0].racks[1].position_m:" in err


def test_generate_is_reproducible(tmp_path):
    out = tmp_path / "demo.yaml"
    assert main(["generate", "demo-air-hall", "-o", str(out)]) == 0
    assert out.read_text() == (LAYOUTS / "demo-air-hall.yaml").read_text()
