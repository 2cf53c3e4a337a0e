"""Shared fixtures: a small, complete layout written to a temporary file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_user_dirs(tmp_path_factory):
    """Recovery files, QSettings and other per-user state go to a throwaway folder, so tests
    neither see nor touch the real user's (a recovery left there would pop up a dialog)."""
    root = tmp_path_factory.mktemp("user")
    saved = {k: os.environ.get(k) for k in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    for key in saved:
        os.environ[key] = str(root / key.lower())
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


SMALL_LAYOUT = """\
format: twin-layout/1
name: small test hall
halls: [{id: H1, size_m: [12, 10, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [3.0, 3.0], rotation_deg: 180, servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [3.6, 3.0], rotation_deg: 180, servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A03, position_m: [4.2, 3.0], rotation_deg: 180, servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}}
  - id: B
    hall: H1
    racks:
      - {id: B01, position_m: [3.0, 6.0], servers: [{type: dgx-h100, count: 2}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
      - {id: B02, position_m: [3.6, 6.0], load: {power_kw: 20, delta_t_k: 12}, feeds: {a: PDU-A}}
power:
  - {id: UTIL, type: utility-feed-5mva}
  - {id: UPS, type: ups-500kw, upstream: UTIL, hall: H1, position_m: [10.0, 8.5]}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS, hall: H1, position_m: [8.0, 2.0]}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS, hall: H1, position_m: [8.0, 7.0]}
cooling:
  air_units: [{id: CRAH-1, type: crah-77kw, hall: H1, position_m: [1.0, 9.0]}]
  cdus: [{id: CDU-1, type: cdu-inrow-250kw, hall: H1, position_m: [5.0, 6.0]}]
  supplies: [{id: T1, hall: H1, rect_m: [2.4, 3.8, 4.8, 5.2]}]
"""


@pytest.fixture
def small_layout(tmp_path):
    """Path of a small valid layout: 2 rows, 5 racks (one given by load), 64 GPUs."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_LAYOUT)
    return path


TELEMETRY_LAYOUT = """\
format: twin-layout/1
name: small test hall
halls: [{id: H1, size_m: [14, 12, 4]}]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [3.0, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A02, position_m: [3.6, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: A03, position_m: [4.2, 4], servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
  - id: B
    hall: H1
    racks:
      - {id: B01, position_m: [3.0, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: B02, position_m: [3.6, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
      - {id: B03, position_m: [4.2, 7], rotation_deg: 180, servers: [{type: dgx-h100, count: 4}], feeds: {a: PDU-A, b: PDU-B}}
  - id: L
    hall: H1
    racks:
      - {id: L01, type: rack-nvl72, position_m: [9.0, 4], servers: [{type: gb200-nvl72, count: 1}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
      - {id: L02, type: rack-nvl72, position_m: [9.6, 4], servers: [{type: gb200-nvl72, count: 1}], feeds: {a: PDU-A, b: PDU-B}, cdu: CDU-1}
power:
  - {id: UTIL-A, type: utility-feed-5mva}
  - {id: UPS-A, type: ups-1250kw, upstream: UTIL-A}
  - {id: PDU-A, type: pdu-300kva, upstream: UPS-A}
  - {id: UTIL-B, type: utility-feed-5mva}
  - {id: UPS-B, type: ups-1250kw, upstream: UTIL-B}
  - {id: PDU-B, type: pdu-300kva, upstream: UPS-B}
cooling:
  air_units:
    - {id: CRAH-1, type: crah-150kw, hall: H1, position_m: [2.0, 1.0]}
    - {id: CRAH-2, type: crah-150kw, hall: H1, position_m: [11.0, 1.0]}
  cdus:
    - {id: CDU-1, type: cdu-row-1300kw, hall: H1, position_m: [11.5, 4]}
"""


@pytest.fixture(scope="session")
def small_facility():
    """Two air-cooled DGX H100 rows with CRAHs and 2N power, and a GB200 row on a CDU."""
    from twin.model.loader import facility_from_text

    return facility_from_text(TELEMETRY_LAYOUT, "small.yaml")


@pytest.fixture
def small_layout_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(TELEMETRY_LAYOUT)
    return path


@pytest.fixture
def add_plugins(monkeypatch):
    """``add_plugins(entry_points, modules={})``: the installed plugins plus these entry
    points, their modules (name -> {attribute: object}) put in ``sys.modules`` so nothing is
    imported from disk, and a fresh registry that finds them."""
    import sys
    import types

    from twin import plugins

    real = plugins.entry_points

    def add(entry_points: list, modules: dict[str, dict] | None = None) -> None:
        for name, attrs in (modules or {}).items():
            module = types.ModuleType(name)
            module.__dict__.update(attrs)
            monkeypatch.setitem(sys.modules, name, module)
        monkeypatch.setattr(
            plugins,
            "entry_points",
            lambda group: [*real(group=group), *[e for e in entry_points if e.group == group]],
        )
        monkeypatch.setattr(plugins, "registry", plugins.PluginRegistry())

    return add


@pytest.fixture
def spawned_children():
    """A function: the pids of this process's spawned Python children still running
    (``multiprocessing``'s spawn, whichever pool started them), read from /proc."""
    me = str(os.getpid())

    def running() -> list[int]:
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(") ", 1)[1].split()
                cmd = (stat.parent / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if fields[1] == me and fields[0] != "Z" and b"spawn_main" in cmd:
                out.append(int(stat.parent.name))
        return out

    return running
