"""The rack-list importer: placement by row and position, servers and feeds, XLSX, and errors
that name the file, line and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from twin_racklist.importer import importer

from twin.api import InputError, facility_from_data, shipped_catalog

CSV = """Rack ID,Row,Position,Type,Servers,Feeds
A01,A,1,rack-600x1200-48u,4x dgx-h100,PDU-1A / PDU-1B
A02,A,2,rack-600x1200-48u,4x dgx-h100,PDU-1A / PDU-1B
A04,A,4,,dgx-h100*2,PDU-1A / PDU-1B
B01,B,1,rack-600x1200-48u,2x hgx-h100-8gpu + network-switch-1u,PDU-2A / PDU-2B
B02,B,2,,,PDU-2A / PDU-2B
"""


def _write(tmp_path: Path, text: str, name: str = "racks.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_places_racks_by_row_and_position(tmp_path):
    _, fac = facility_from_data(importer.read(_write(tmp_path, CSV)), "racks")
    assert fac.rack_ids == ["A01", "A02", "A04", "B01", "B02"]
    # 600 mm racks, 3 m margin: slot p is centred at 3.0 + (p - 0.5) * 0.6; slot 3 stays empty
    assert np.allclose(fac.rack_center_m[:3, 0], [3.3, 3.9, 5.1])
    # row A faces +y, row B faces -y; their front faces are one 1.8 m cold aisle apart
    assert list(fac.rack_rotation_deg) == [180, 180, 180, 0, 0]
    a_front = fac.rack_center_m[0, 1] + 0.6
    b_front = fac.rack_center_m[3, 1] - 0.6
    assert b_front - a_front == pytest.approx(1.8)
    assert fac.rack_center_m[0, 1] - 0.6 == pytest.approx(3.0)  # 3 m of floor behind row A


def test_servers_feeds_and_design_power(tmp_path):
    _, fac = facility_from_data(importer.read(_write(tmp_path, CSV)), "racks")
    cat = shipped_catalog()
    dgx, hgx, switch = (cat[t].power_kw for t in ("dgx-h100", "hgx-h100-8gpu", "network-switch-1u"))
    expected_kw = [4 * dgx, 4 * dgx, 2 * dgx, 2 * hgx + switch, 0.0]
    assert np.allclose(fac.rack_power_w / 1e3, expected_kw)
    assert fac.n_gpus == (4 + 4 + 2 + 2) * 8
    assert fac.feeds_of("B01") == {"A": ["PDU-2A"], "B": ["PDU-2B"]}
    assert sorted(fac.power_ids) == ["PDU-1A", "PDU-1B", "PDU-2A", "PDU-2B"]
    # the hall holds every rack with the 3 m margin, in whole 0.6 m tiles
    w, d, _ = fac.hall_size_m[0]
    assert w == pytest.approx(9.0) and d == pytest.approx(
        10.2
    )  # ceil((5.4+3)/0.6), ceil((7.2+3)/0.6)


def test_xlsx_with_loose_headings_and_explicit_xy(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Notes: hall 2 survey"])  # a title row above the headings is not a heading row
    ws.title = "Survey"
    ws2 = book.create_sheet("Racks")
    ws2.append(["rack", "ROW", "x (m)", "y (m)", "rotation", "Power (kW)", "Feed A", "Feed B"])
    ws2.append(["R1", "X", 4.2, 5.0, 90, 30, "P1", "P2"])
    ws2.append(["R2", "X", 4.2, 6.2, 90, 25.5, "P1", "P2"])
    path = tmp_path / "racks.xlsx"
    book.save(path)
    data = importer.read(path, sheet="Racks", name="Hall 2")
    _, fac = facility_from_data(data, "xlsx")
    assert fac.layout.name == "Hall 2"
    assert np.allclose(fac.rack_center_m[:, :2], [[4.2, 5.0], [4.2, 6.2]])
    assert list(fac.rack_rotation_deg) == [90, 90]
    assert np.allclose(fac.rack_power_w, [30e3, 25.5e3])


def test_bad_xlsx_cell_names_sheet_row_and_column(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Rack", "Row", "Position", "Servers"])
    book.active.append(["A1", "A", 1, "4x dgx-h100"])
    book.active.append(["A2", "A", 2, "4x dgx-h999"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    with pytest.raises(InputError, match=r"bad\.xlsx:3: Servers: unknown server type 'dgx-h999'"):
        importer.read(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Rack,Position\nA1,1\n", r"racks\.csv:1: header: no row column"),
        (
            "Rack,Row,Position\nA1,A,1\nA1,A,2\n",
            r"racks\.csv:3: Rack: rack 'A1' is listed twice \(also line 2\)",
        ),
        (
            "Rack,Row,Position\nA1,A,1\nA2,A,1\n",
            r"racks\.csv:3: Position: row A position 1 is taken",
        ),
        ("Rack,Row,Position\nA1,A,one\n", r"racks\.csv:2: Position: 'one' is not a number"),
        (
            "Rack,Row,Position,Type\nA1,A,1,rack-9u\n",
            r"racks\.csv:2: Type: unknown rack type 'rack-9u'",
        ),
        ("Rack,Row,Position,Feeds\nA1,A,1,P1/P2/P3\n", r"racks\.csv:2: Feeds: .* names 3 feeds"),
        ("Rack,Row\nA1,A\n", r"racks\.csv:2: position: rack 'A1' has neither a position nor x/y"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        importer.read(_write(tmp_path, text))


def test_semicolon_csv_as_european_spreadsheets_save_it(tmp_path):
    text = "Rack;Row;Position;Servers\nA1;A;1;4x dgx-h100\nA2;A;2;4x dgx-h100\n"
    _, fac = facility_from_data(importer.read(_write(tmp_path, text)), "semi")
    assert fac.rack_ids == ["A1", "A2"] and fac.n_gpus == 64


def test_twin_import_command_writes_a_valid_layout(tmp_path):
    src = _write(tmp_path, CSV)
    out = tmp_path / "hall.yaml"
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "twin.cli", *a], capture_output=True, text=True, timeout=120
    )
    done = run("import", str(src), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "5 racks, 96 GPUs" in done.stdout
    assert run("validate", str(out)).returncode == 0
    again = run("import", str(src), "-o", str(out))
    assert again.returncode == 2 and "--force" in again.stderr  # never overwrites by surprise
    bad = _write(tmp_path, "Rack,Row,Position\nA1,A,x\n", "bad.csv")
    failed = run("import", str(bad), "-o", str(tmp_path / "bad.yaml"))
    assert failed.returncode == 1 and "bad.csv:2: Position" in failed.stderr
    assert not (tmp_path / "bad.yaml").exists()
