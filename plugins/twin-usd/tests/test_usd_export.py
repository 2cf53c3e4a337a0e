"""The OpenUSD exporter, read back with pxr: the prim tree, ids, types, powers, feeds,
SimReady-named attributes, telemetry snapshots and time samples, and `twin export`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pxr = pytest.importorskip("pxr")
from pxr import Usd, UsdGeom  # noqa: E402
from twin_usd.exporter import exporter  # noqa: E402

from twin.api import Frame, facility_from_text, load_layout  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "layouts" / "demo-air-hall.yaml"
POD = ROOT / "layouts" / "gb200-pod.yaml"
T0 = 1_780_000_000.0


@pytest.fixture(scope="module")
def demo():
    return load_layout(DEMO)


def _open(path: Path) -> Usd.Stage:
    stage = Usd.Stage.Open(str(path))
    assert stage is not None
    return stage


def _by_id(stage: Usd.Stage, kind: str) -> dict[str, Usd.Prim]:
    out = {}
    for prim in stage.Traverse():
        if prim.GetAttribute("twin:kind").Get() == kind:
            out[prim.GetAttribute("twin:id").Get()] = prim
    return out


def test_prim_tree_ids_and_stage_units(tmp_path, demo):
    out = tmp_path / "hall.usda"
    exporter.write(demo, out)
    stage = _open(out)
    assert UsdGeom.GetStageUpAxis(stage) == "Z" and UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/Twin"
    assert stage.GetPrimAtPath("/Twin/HALL_1/Rows/A/A01").IsValid()  # HALL-1 made a valid name
    assert stage.GetPrimAtPath("/Twin/HALL_1/Cooling/CRAH_1").IsValid()
    racks = _by_id(stage, "rack")
    assert sorted(racks) == sorted(demo.rack_ids)
    assert set(_by_id(stage, "row")) == {"A", "B"}
    assert set(_by_id(stage, "air_unit")) == set(demo.air_unit_ids)
    assert set(_by_id(stage, "pdu")) | set(_by_id(stage, "ups")) >= {"PDU-A1-A", "UPS-A"}
    servers = _by_id(stage, "server")
    assert len(servers) == 16 * 4  # four DGX H100 per rack
    gpu_ids = servers["A01/s1"].GetAttribute("twin:gpuIds").Get()
    assert len(gpu_ids) == 8 and list(gpu_ids)[0] == demo.gpu_label(0)


def test_rack_attributes_and_placement(tmp_path, demo):
    out = tmp_path / "hall.usda"
    exporter.write(demo, out)
    stage = _open(out)  # prims live as long as their stage
    a01 = _by_id(stage, "rack")["A01"]
    get = lambda name: a01.GetAttribute(name).Get()  # noqa: E731
    assert get("twin:type") == "rack-600x1200-48u"
    assert get("twin:designPowerW") == pytest.approx(4 * 10.2e3)  # 4 x DGX H100 at 10.2 kW
    assert get("twin:gpuCount") == 32
    assert get("twin:feedA") == "PDU-A1-A" and get("twin:feedB") == "PDU-A1-B"
    assert list(get("twin:feedPathA")) == ["PDU-A1-A", "UPS-A", "SWGR-A", "UTIL-A"]
    assert get("aif:core:assetClass") == "ComputeRack"
    assert tuple(get("aif:core:overallGeometryDimensions")) == pytest.approx((600, 1200, 2200))
    # the rack's frame sits at its footprint centre (hall origin 0,0), turned by its rotation
    m = UsdGeom.Xformable(a01).ComputeLocalToWorldTransform(Usd.TimeCode.Default())
    assert tuple(m.ExtractTranslation()) == pytest.approx((6.9, 5.4, 0.0))
    front = m.TransformDir((0.0, -1.0, 0.0))  # a rack's front faces -y before rotation
    assert tuple(front) == pytest.approx((0.0, 1.0, 0.0), abs=1e-9)  # 180 deg: faces +y
    # its body box is the rack's size, standing on the floor
    bbox = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"]).ComputeWorldBound(a01)
    lo, hi = bbox.ComputeAlignedRange().GetMin(), bbox.ComputeAlignedRange().GetMax()
    assert tuple(hi - lo) == pytest.approx((0.6, 1.2, 2.2))
    assert lo[2] == pytest.approx(0.0, abs=1e-6)  # float32 extents


def test_cooling_units_use_simready_names(tmp_path):
    pod = load_layout(POD)
    out = tmp_path / "pod.usdc"  # binary crate this time
    exporter.write(pod, out)
    stage = _open(out)
    cdus = _by_id(stage, "cdu")
    assert set(cdus) == set(pod.cdu_ids)
    cdu = cdus["CDU-SU1"]
    assert cdu.GetAttribute("aif:core:assetClass").Get() == "CDU"
    assert cdu.GetAttribute("aif:spec:nominalCoolingCapacity").Get() == pytest.approx(1300)  # kW
    served = list(cdu.GetAttribute("twin:servedRacks").Get())
    assert served == pod.served_racks("CDU-SU1") and served
    rack = _by_id(stage, "rack")[served[0]]
    assert rack.GetAttribute("twin:cdu").Get() == "CDU-SU1"
    assert rack.GetAttribute("twin:liquidFraction").Get() == pytest.approx(0.85)


def _frame(fac, k: int) -> Frame:
    f = Frame.empty(T0 + 10 * k, fac.counts())
    f.rack["inlet_c"][:] = 20 + np.arange(fac.n_racks) + k
    f.gpu["temp_c"][:] = 40 + 0.5 * (np.arange(fac.n_gpus) % 8) + k
    f.gpu["temp_c"][3] = np.nan  # missing stays missing
    f.air_unit["load_w"][:] = 1e5 * (k + 1)
    return f


def test_snapshot_values_on_prims(tmp_path, demo):
    out = tmp_path / "snap.usda"
    exporter.write(demo, out, [_frame(demo, 1)])
    stage = _open(out)
    assert stage.GetRootLayer().customLayerData["twin:snapshotUtc"].startswith("2026-05-28T")
    racks = _by_id(stage, "rack")
    assert racks["A01"].GetAttribute("twin:telemetry:inletC").Get() == pytest.approx(21)
    assert racks["B08"].GetAttribute("twin:telemetry:inletC").Get() == pytest.approx(20 + 15 + 1)
    temps = np.array(
        _by_id(stage, "server")["A01/s1"].GetAttribute("twin:telemetry:gpuTempC").Get()
    )
    expected = 41 + 0.5 * np.arange(8)
    expected[3] = np.nan
    assert np.allclose(temps, expected, equal_nan=True)
    crah = _by_id(stage, "air_unit")["CRAH-1"]
    assert crah.GetAttribute("twin:telemetry:loadW").Get() == pytest.approx(2e5)
    assert crah.GetAttribute("twin:telemetry:loadW").GetNumTimeSamples() == 0  # a snapshot


def test_time_samples_in_seconds_from_the_first_frame(tmp_path, demo):
    out = tmp_path / "run.usda"
    exporter.write(demo, out, [_frame(demo, k) for k in range(3)])
    stage = _open(out)
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (0.0, 20.0)
    attr = _by_id(stage, "rack")["A02"].GetAttribute("twin:telemetry:inletC")
    assert attr.GetTimeSamples() == [0.0, 10.0, 20.0]
    assert [attr.Get(t) for t in (0, 10, 20)] == pytest.approx([21, 22, 23])
    gpu = _by_id(stage, "server")["B01/s2"].GetAttribute("twin:telemetry:gpuTempC")
    assert np.allclose(np.array(gpu.Get(20)), 42 + 0.5 * np.arange(8))


def test_wrong_suffix_and_options_are_refused(tmp_path, demo):
    with pytest.raises(ValueError, match="ends in .usda"):
        exporter.write(demo, tmp_path / "hall.obj")
    with pytest.raises(ValueError, match="no options"):
        exporter.write(demo, tmp_path / "hall.usda", colour="red")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_a_hall_named_power_keeps_its_own_prim(tmp_path):
    """A hall with id Power took the exporter's /Twin/Power scope: it lost its transform and
    every UPS and PDU was nested in it."""
    text = DEMO.read_text().replace("HALL-1", "Power")
    fac = facility_from_text(text, "power-hall.yaml")
    out = tmp_path / "hall.usda"
    exporter.write(fac, out)
    stage = _open(out)
    halls = _by_id(stage, "hall")
    assert list(halls) == ["Power"]
    hall = halls["Power"]
    assert hall.GetPath() == "/Twin/Power_2" and hall.GetTypeName() == "Xform"
    assert stage.GetPrimAtPath("/Twin/Power").GetTypeName() == "Scope"
    for pid, prim in {**_by_id(stage, "pdu"), **_by_id(stage, "ups")}.items():
        assert prim.GetPath().GetParentPath() == "/Twin/Power", pid
    assert stage.GetPrimAtPath("/Twin/Power_2/Rows/A/A01").IsValid()


def test_a_binary_stage_gets_the_umask_mode_and_replaces_atomically(tmp_path, demo):
    import os

    out = tmp_path / "hall.usdc"
    umask = os.umask(0o022)
    try:
        exporter.write(demo, out)
    finally:
        os.umask(umask)
    assert oct(out.stat().st_mode & 0o777) == oct(0o644)  # was 0600, mkstemp's
    assert _by_id(_open(out), "rack").keys() == set(demo.rack_ids)
    out.chmod(0o640)  # an existing file keeps its mode
    exporter.write(demo, out)
    assert oct(out.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hall.usdc"]


def test_twin_export_with_a_recording(tmp_path, demo):
    from twin.recording import Recorder

    rec = tmp_path / "run.h5"
    with Recorder(rec, demo) as r:
        for k in range(4):
            r.append(_frame(demo, k))
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "twin.cli", "export", "usd", str(DEMO), *a],
        capture_output=True,
        text=True,
        timeout=180,
    )
    snap = tmp_path / "snap.usda"
    done = run("-o", str(snap), "--recording", str(rec), "--at", "0:20")
    assert done.returncode == 0, done.stderr
    stage = _open(snap)
    a01 = stage.GetPrimAtPath("/Twin/HALL_1/Rows/A/A01")
    assert a01.GetAttribute("twin:telemetry:inletC").Get() == pytest.approx(22)  # frame k=2
    series = tmp_path / "series.usda"
    done = run("-o", str(series), "--recording", str(rec), "--from", "0:10", "--to", "0:30")
    assert done.returncode == 0, done.stderr
    stage = _open(series)
    attr = stage.GetPrimAtPath("/Twin/HALL_1/Rows/A/A01").GetAttribute("twin:telemetry:inletC")
    assert attr.GetTimeSamples() == [0.0, 10.0, 20.0]
    assert attr.Get(0) == pytest.approx(21)
    bad = run("-o", str(tmp_path / "x.usda"), "--at", "0:10")
    assert bad.returncode == 2 and "--recording" in bad.stderr
    late = run("-o", str(tmp_path / "x.usda"), "--recording", str(rec), "--at", "10:00")
    assert late.returncode == 2 and "outside the recording" in late.stderr
    # a step of a microsecond over 30 s: 3e7 samples asked for (it filled memory first)
    tiny = run(
        "-o",
        str(tmp_path / "x.usda"),
        "--recording",
        str(rec),
        "--step",
        "0.000001s",
        "--from",
        "0:00",
    )
    assert tiny.returncode == 2
    assert "--step 0.000001s gives 30,000,001 samples" in tiny.stderr
    assert "more than 1,000,000 (the recording has 4 frames;" in tiny.stderr


def test_cat_prints_the_stage_as_usdcat_does(tmp_path, demo, capsys):
    from twin_usd.cat import main

    out = tmp_path / "hall.usdc"
    exporter.write(demo, out)
    assert main([str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("#usda 1.0") and 'def Xform "A01"' in text
    assert 'custom string twin:feedA = "PDU-A1-A"' in text
    assert main([str(tmp_path / "missing.usda")]) == 1
