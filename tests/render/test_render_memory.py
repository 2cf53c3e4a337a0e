"""``twin render`` estimates the memory of the scene and image before building them, and refuses
beyond ``TWIN_MAX_RENDER_GB`` with a message that gives the estimate, the limit and the way to
raise it."""

from __future__ import annotations

import re

from twin.cli import main
from twin.model.loader import load_layout
from twin.render import memory


def test_estimate_counts_racks_gpus_units_and_pixels(small_layout):
    fac = load_layout(small_layout)
    est = memory.estimate_render_bytes(fac, (300, 200))
    # the small layout: 5 racks, 64 GPUs (8 DGX H100 hosts of 8), no units or sensors
    assert (est.racks, est.gpus, est.pixels) == (5, 64, 60_000)
    want = 5 * memory.BYTES_PER_RACK + 64 * memory.BYTES_PER_GPU + 60_000 * memory.BYTES_PER_PIXEL
    units = len(fac.air_unit_ids) + len(fac.cdu_ids) + len(fac.power_ids)
    assert est.bytes == want + units * memory.BYTES_PER_UNIT
    # four times the pixels, four times their share
    bigger = memory.estimate_render_bytes(fac, (600, 400))
    assert bigger.bytes - est.bytes == 3 * 60_000 * memory.BYTES_PER_PIXEL


def test_render_over_the_limit_is_refused_before_drawing(
    small_layout, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv(memory.ENV_MAX_RENDER_GB, "0.001")  # 1 MB: below any scene
    out = tmp_path / "hall.png"
    rc = main(["render", str(small_layout), "-o", str(out), "--size", "400", "260"])
    err = capsys.readouterr().err
    assert rc == 2
    assert not out.exists()
    assert "5 racks, 64 GPUs" in err and "0.1 M pixels" in err
    assert "more than the 0.001 GB a render may use" in err
    need = float(re.search(r"TWIN_MAX_RENDER_GB=([0-9.]+)", err).group(1))
    fac = load_layout(small_layout)
    assert need * 1e9 >= memory.estimate_render_bytes(fac, (400, 260)).bytes


def test_render_within_the_limit_draws(small_layout, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(memory.ENV_MAX_RENDER_GB, "0.5")
    out = tmp_path / "hall.png"
    rc = main(["render", str(small_layout), "-o", str(out), "--size", "400", "260"])
    assert rc == 0, capsys.readouterr().err
    assert out.stat().st_size > 1000


def test_big_image_is_refused_with_a_size_hint(small_layout, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(memory.ENV_MAX_RENDER_GB, "1")
    rc = main(
        ["render", str(small_layout), "-o", str(tmp_path / "x.png"), "--size", "8000", "8000"]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "64.0 M pixels" in err and "smaller --size" in err


def test_elevation_is_not_limited_by_the_site(small_layout, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(memory.ENV_MAX_RENDER_GB, "0.001")
    rack = load_layout(small_layout).rack_ids[0]
    rc = main(
        ["render", str(small_layout), "-o", str(tmp_path / "e.png"), "--view", f"rack:{rack}"]
    )
    assert rc == 0, capsys.readouterr().err
