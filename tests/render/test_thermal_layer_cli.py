"""``twin render --thermal``: solves the hall and draws the overlays into the PNG; bad
overlay names, slices, halls and units are refused with a message."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvista as pv

from twin.cli import main
from twin.render.thermal_layer import parse_overlays, parse_vslice


def _png(path):
    img = pv.read(path)
    return np.asarray(img.point_data["PNGImage"])[:, :3].astype(int)


def test_render_thermal_overlays_change_the_image(small_layout, tmp_path, capsys):
    plain, hot = tmp_path / "plain.png", tmp_path / "thermal.png"
    common = [str(small_layout), "--size", "360", "240", "--view", "top"]
    assert main(["render", *common, "-o", str(plain)]) == 0
    rc = main(
        [
            "render",
            *common,
            "-o",
            str(hot),
            "--thermal",
            "slice,arrows,inlets",
            "--slice-z",
            "1.0",
            "--cell",
            "0.5",
        ]
    )
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "thermal: H1 24x20x8 cells of 0.5 m" in out.out and "hottest inlet" in out.out
    a, b = _png(plain), _png(hot)
    changed = np.abs(a - b).sum(axis=1) > 40
    assert changed.mean() > 0.2  # the slice covers most of the floor seen from above


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--thermal", "smoke"], "unknown thermal overlay smoke"),
        (["--thermal", "slice", "--vslice", "z:3"], "x[:POS] or y[:POS]"),
        (["--thermal", "slice", "--hall", "H9"], "unknown hall 'H9'"),
        (["--thermal", "slice", "--cell", "0.5", "--fail", "CRAH-9"], "thermal solve failed"),
    ],
)
def test_render_thermal_bad_input(small_layout, tmp_path, capsys, extra, message):
    rc = main(["render", str(small_layout), "-o", str(tmp_path / "x.png"), *extra])
    assert rc == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_parsers():
    assert parse_overlays("slice, vslice,arrows,inlets") == [
        "air_slice",
        "air_vslice",
        "air_arrows",
        "rack_inlets",
    ]
    assert parse_vslice("y:7.5") == ("y", 7.5) and parse_vslice("X") == ("x", None)
    with pytest.raises(ValueError, match="metres"):
        parse_vslice("x:middle")
    with pytest.raises(ValueError):
        parse_overlays("")


def test_render_a_recorded_instant_with_thermal_overlays(small_layout, tmp_path, capsys):
    """``--recording`` and ``--thermal`` together: the GPUs as recorded and the air slice."""
    rec = tmp_path / "run.h5"
    args = ["simulate", str(small_layout), "--duration", "4s", "-o", str(rec), "-q"]
    assert main(args) == 0
    common = ["render", str(small_layout), "--recording", str(rec), "--size", "360", "240"]
    common += ["--view", "top"]
    plain, hot = tmp_path / "plain.png", tmp_path / "thermal.png"
    assert main([*common, "-o", str(plain)]) == 0
    rc = main([*common, "-o", str(hot), "--thermal", "slice", "--slice-z", "1.0", "--cell", "0.5"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "thermal: H1 24x20x8 cells of 0.5 m" in out.out and "temp_c at +0:00:00" in out.out
    changed = np.abs(_png(plain) - _png(hot)).sum(axis=1) > 40
    assert changed.mean() > 0.2  # the slice covers most of the floor seen from above


@pytest.mark.parametrize("z", ["100", "nan", "-1"])
def test_a_slice_height_outside_the_hall_is_refused_before_the_solve(tmp_path, capsys, z):
    """--slice-z 100 rendered silently (a slice nowhere); nan ended in 'cannot convert float
    NaN to integer'."""
    out = tmp_path / "s.png"
    layout = Path(__file__).resolve().parents[2] / "layouts" / "test-room.yaml"
    args = ["render", str(layout), "-o", str(out), "--thermal", "slice", "--slice-z", z]
    assert main(args) == 2
    assert capsys.readouterr().err == (
        f"twin render: --slice-z {float(z):g} m is not inside hall ROOM (0 to 3.5 m)\n"
    )
    assert not out.exists()


def test_a_recorded_instant_s_overlays_are_that_instant_s_air(small_layout_file, tmp_path, capsys):
    """After a CRAH trip the overlays are solved with it off, at the recorded powers and fans
    (the steady state the window's Thermal dock shows when a replay is moved there). Before,
    they were the layout's nominal air, with the tripped unit running, beside GPUs coloured
    as recorded. (Its one survivor is solved, CRAH-2; with the only unit off, the small
    test hall has no steady state and the render says so.)"""
    import re

    from twin.model.frame import EventKind
    from twin.recording import open_recording

    rec = tmp_path / "trip.h5"
    args = ["simulate", str(small_layout_file), "--scenario", "crah-trip", "--duration", "8s"]
    assert main([*args, "--fail-at", "2s", "-o", str(rec), "-q"]) == 0
    with open_recording(rec) as r:
        (trip,) = [e for e in r.events if e.kind == EventKind.UNIT_FAILED]
    common = ["render", str(small_layout_file), "--size", "240", "160", "--view", "top"]
    thermal = ["--thermal", "inlets", "--cell", "0.5"]
    assert main([*common, *thermal, "-o", str(tmp_path / "nominal.png")]) == 0
    nominal = capsys.readouterr().out
    assert (
        main(
            [
                *common,
                *thermal,
                "--recording",
                str(rec),
                "--at",
                "0:06",
                "-o",
                str(tmp_path / "t.png"),
            ]
        )
        == 0
    )
    instant = capsys.readouterr().out
    assert (
        f"solved at the recorded instant (its rack powers and fans, {trip.item} off) in " in instant
    )
    assert "solved at the recorded instant" not in nominal

    def hottest(text: str) -> float:
        return float(re.search(r"hottest inlet ([\d.]+) °C", text).group(1))

    assert hottest(instant) > hottest(nominal) + 1.0  # the tripped unit's racks warm
