"""The `twin schema`, `twin validate` and `twin generate` commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
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


def test_schema_to_a_place_it_cannot_write_is_one_line(tmp_path, capsys):
    """`-o nodir/x.json` was a traceback (the OutputError was not caught)."""
    missing = tmp_path / "nodir" / "schema.json"
    assert main(["schema", "-o", str(missing)]) == 1
    assert capsys.readouterr().err == f"twin schema: {missing}: no folder {missing.parent}\n"
    assert main(["schema", "-o", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (f"twin schema: {tmp_path} is a folder; give a file name\n")


def test_validate_reports_ok_and_problems(capsys):
    assert main(["validate", str(LAYOUTS / "demo-air-hall.yaml")]) == 0
    assert "512 GPUs" in capsys.readouterr().out
    bad = Path(__file__).parent / "bad_layouts" / "overlap.yaml"
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:18: rows[0].racks[1].position_m:" in err


@pytest.mark.parametrize(
    ("name", "shipped"),
    [
        ("demo-air-hall", "demo-air-hall.yaml"),
        ("gb200-pod", "gb200-pod.yaml"),
        ("ai-factory", "ai-factory-100k.yaml"),
    ],
)
def test_generate_is_reproducible(tmp_path, name, shipped):
    """README: every generated shipped layout is `twin generate NAME`'s output, byte for byte."""
    out = tmp_path / shipped
    assert main(["generate", name, "-o", str(out)]) == 0
    assert out.read_bytes() == (LAYOUTS / shipped).read_bytes()


def test_validate_design_checks(tmp_path, capsys):
    for name in ("demo-air-hall", "gb200-pod", "ai-factory-100k"):
        assert main(["validate", "--design", "-q", str(LAYOUTS / f"{name}.yaml")]) == 0, name
    assert capsys.readouterr().err == ""
    bad = tmp_path / "back-to-back.yaml"
    bad.write_text(
        "format: twin-layout/1\nname: d\nhalls: [{id: H1, size_m: [12, 8, 4]}]\n"
        "rows:\n  - id: A\n    hall: H1\n    racks:\n"
        "      - {id: A01, position_m: [2, 3], load: {power_kw: 10, delta_t_k: 12}}\n"
        "      - {id: A02, position_m: [2, 4.3], rotation_deg: 180, load: {power_kw: 10, delta_t_k: 12}}\n"
    )
    assert main(["validate", "--design", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:8: rows[0].racks[0].position_m: error:" in err
    assert "rear service clearance" in err
