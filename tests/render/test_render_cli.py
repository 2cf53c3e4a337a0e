"""``twin render`` writes a real, non-blank PNG with no display, and refuses bad input
cleanly."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.cli import main


def test_render_writes_a_nonblank_png(small_layout, tmp_path, capsys):
    out = tmp_path / "shots" / "hall.png"
    rc = main(
        [
            "render",
            str(small_layout),
            "-o",
            str(out),
            "--size",
            "400",
            "260",
            "--view",
            "top",
            "--color",
            "power",
            "--show",
            "power_links",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    png = pv.read(out)
    img = np.asarray(png.point_data["PNGImage"])
    assert png.dimensions[:2] == (400, 260)
    assert img.std() > 10  # not a flat image
    assert len(np.unique(img.reshape(-1, img.shape[-1]), axis=0)) > 50


def test_render_reports_bad_layout_view_and_layer(small_layout, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(small_layout.read_text().replace("size_m: [12, 10, 4]", "size_m: [12, 10]"))
    assert main(["render", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:" in err and "size_m" in err
    assert (
        main(["render", str(small_layout), "-o", str(tmp_path / "x.png"), "--view", "row:Q"]) == 2
    )
    assert "unknown row 'Q'" in capsys.readouterr().err
    assert main(["render", str(small_layout), "-o", str(tmp_path / "x.png"), "--show", "nope"]) == 2
    assert "unknown layer 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_render_along_a_valid_row(small_layout, tmp_path, capsys):
    """`--view row:ID` with a row of the layout: an eye-level picture unlike the plan view."""

    def shot(view: str) -> np.ndarray:
        out = tmp_path / f"{view.replace(':', '-')}.png"
        args = ["render", str(small_layout), "-o", str(out), "--size", "320", "200"]
        assert main([*args, "--view", view]) == 0, capsys.readouterr().err
        return np.asarray(pv.read(out).point_data["PNGImage"]).astype(float)

    row, top = shot("row:A"), shot("top")
    assert row.std() > 10
    assert np.abs(row - top).mean() > 10  # another camera, not the default view
