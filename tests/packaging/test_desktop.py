"""Desktop integration that needs no bundle: the .desktop entry, the MIME types that make
a double-clicked layout or recording open Twin, and `twin run FILE.h5` (what the entry runs)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from twin.cli import main

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def _desktop() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    parser.read(LINUX / "twin.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_opens_files_with_twin_run():
    entry = _desktop()
    assert entry["Type"] == "Application" and entry["Icon"] == "twin"
    assert entry["Exec"] == "twin run %f"  # one file: a layout, or a recording (below)
    types = set(filter(None, entry["MimeType"].split(";")))
    declared = {m.get("type") for m in ET.parse(LINUX / "twin-mime.xml").getroot()}
    assert declared <= types and "application/x-hdf5" in types


def test_every_shipped_layout_matches_the_layout_magic():
    root = ET.parse(LINUX / "twin-mime.xml").getroot()
    layout = root.find("m:mime-type[@type='application/x-twin-layout']", NS)
    matches = layout.findall("m:magic/m:match", NS)
    for path in sorted((ROOT / "layouts").glob("*.yaml")):
        head = path.read_bytes()[:4096]
        assert any(m.get("value").encode() in head for m in matches), path.name


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="shared-mime-info")
def test_mime_database_accepts_the_types(tmp_path):
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(LINUX / "twin-mime.xml", packages / "twin.xml")
    done = subprocess.run(
        ["update-mime-database", str(tmp_path / "mime")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mime" / "application" / "x-twin-layout.xml").is_file()
    assert (tmp_path / "mime" / "application" / "x-twin-recording.xml").is_file()


def test_run_with_a_recording_as_the_file_replays_it(tmp_path, capsys, monkeypatch):
    missing = tmp_path / "incident.h5"
    assert main(["run", str(missing)]) == 2
    assert f"no such recording file: {missing}" in capsys.readouterr().err
    assert main(["run", str(missing), "--recording", str(missing)]) == 2
    assert "one recording" in capsys.readouterr().err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display check is Linux's")
def test_run_with_a_real_recording_gets_past_the_file_checks(
    tmp_path, capsys, monkeypatch, small_facility
):
    from twin.model.frame import Frame
    from twin.recording import Recorder

    rec = tmp_path / "run.h5"
    with Recorder(rec, small_facility) as r:
        r.append(Frame.empty(1.78e9, small_facility.counts()))
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["run", str(rec)]) == 3  # accepted as a recording; stops only for the display


def test_a_lone_file_argument_means_run(tmp_path, capsys):
    """What Finder (argv emulation) and Windows' "Open with" pass: just the file."""
    missing = tmp_path / "hall.yaml"
    assert main([str(missing)]) == 2
    assert f"no such layout file: {missing}" in capsys.readouterr().err
