"""Rack elevation: servers at their U positions, every GPU of the rack drawn inside its
server's span on the front and mirrored on the rear, coloured by the values given."""

from __future__ import annotations

import numpy as np
import pytest
import pyvista as pv
from PIL import Image
from scipy import ndimage

from twin.cli import main
from twin.model.facility import RACK_BASE_M, U_M
from twin.render.elevation import build_elevation, draw_elevation, elevation_png


def _z_span(mesh: pv.PolyData) -> np.ndarray:
    pts = np.asarray(mesh.points).reshape(-1, 4, 3)
    return np.stack([pts[:, :, 2].min(1), pts[:, :, 2].max(1)], 1)


def _x_mid(mesh: pv.PolyData) -> np.ndarray:
    return np.asarray(mesh.points).reshape(-1, 4, 3)[:, :, 0].mean(1)


def test_gpus_sit_in_their_servers_u_span_front_and_mirrored_rear(facility):
    r = facility.rack_index["A01"]
    e = build_elevation(facility, r)
    gpus = np.flatnonzero(facility.gpu_rack == r)
    np.testing.assert_array_equal(e.gpus, gpus)
    assert e.gpu_front.n_cells == e.gpu_rear.n_cells == len(gpus) > 0
    srv = facility.gpu_server[gpus]
    u = np.array([facility.catalog[facility.server_type[s]].u for s in srv])
    lo = RACK_BASE_M + facility.server_slot_u[srv] * U_M
    hi = lo + u * U_M
    for mesh in (e.gpu_front, e.gpu_rear):
        z = _z_span(mesh)
        assert (z[:, 0] >= lo - 1e-9).all() and (z[:, 1] <= hi + 1e-9).all()
    # the rear is the front seen from behind: mirrored about each drawing's centre
    width = facility.rack_size_m[r, 0]
    rear_x = e.width_m - width
    front = _x_mid(e.gpu_front)
    rear = _x_mid(e.gpu_rear) - rear_x
    np.testing.assert_allclose(front + rear, width, atol=1e-9)
    assert e.servers.n_cells == 2 * (facility.server_rack == r).sum()


def test_draw_colours_gpus_from_the_values(facility):
    r = facility.rack_index["A01"]
    e = build_elevation(facility, r)
    values = np.arange(facility.n_gpus, dtype=float)
    p = pv.Plotter(off_screen=True, window_size=[400, 400])
    try:
        draw_elevation(p, e, values, "GPU temperature (°C)", (0.0, 100.0))
        np.testing.assert_array_equal(e.gpu_front.cell_data["value"], values[e.gpus])
        assert p.camera.parallel_projection
    finally:
        p.close()


def test_render_view_rack(small_layout, tmp_path, capsys):
    out = tmp_path / "rack.png"
    assert (
        main(
            [
                "render",
                str(small_layout),
                "--view",
                "rack:A01",
                "-o",
                str(out),
                "--size",
                "400",
                "400",
                "--color",
                "tdp",
            ]
        )
        == 0
    )
    # every GPU of A01 has the same TDP, so one colour: 16 equal patches on the front, 16 on
    # the rear, and no other colour of the picture makes exactly 32 such patches
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (400, 400, 3)
    flat, counts = np.unique(img.reshape(-1, 3), axis=0, return_counts=True)
    patches = {}
    for rgb in flat[np.argsort(counts)[::-1][:12]]:
        areas = np.array([a for *_, a in _blobs(img, tuple(int(c) for c in rgb))])
        same = (
            areas[np.abs(areas - np.median(areas)) <= 0.3 * np.median(areas)]
            if len(areas)
            else areas
        )
        patches[tuple(rgb)] = len(same)
    assert list(patches.values()).count(32) == 1, patches
    assert main(["render", str(small_layout), "--view", "rack:NOPE", "-o", str(out)]) == 2
    assert "unknown rack 'NOPE'" in capsys.readouterr().err


def _blobs(img: np.ndarray, rgb: tuple[int, int, int]) -> list[tuple[float, float, int]]:
    """(x, y, area) in pixels of each connected patch of one flat colour (lighting is off,
    so a GPU box is drawn in exactly its colour map's colour, antialiased only at its rim)."""
    mask = (np.abs(img[:, :, :3].astype(int) - rgb) <= 8).all(axis=2)
    labels, n = ndimage.label(mask)
    out = []
    for k, sl in enumerate(ndimage.find_objects(labels), start=1):
        ys, xs = np.nonzero(labels[sl] == k)
        out.append((sl[1].start + xs.mean(), sl[0].start + ys.mean(), len(xs)))
    return out


def test_elevation_image_shows_each_gpu_in_its_colour_at_its_u_slot(facility, tmp_path):
    """The picture itself: A01 holds two 8U DGX H100 (U1 and U9, one host of 8 GPUs each, four
    across and two deep). Coloured red (1) / blue (0) with a two-colour map, the image shows
    one patch per GPU on the front and one on the rear: 4 rows 4U apart, 4 columns a quarter
    of the 19-inch mounting width apart, the left column of the lower server red on the front
    and, mirrored, on the right of the rear."""
    r = facility.rack_index["A01"]
    gpus = np.flatnonzero(facility.gpu_rack == r)
    slot = facility.server_slot_u[facility.gpu_server[gpus]]
    assert sorted(set(slot.tolist())) == [0, 8]
    local = facility.gpu_local[gpus]
    values = np.full(facility.n_gpus, np.nan)
    values[gpus] = np.where((slot == 8) | (local % 4 == 0), 1.0, 0.0)
    out = elevation_png(
        facility, "A01", tmp_path / "a01.png", size=(600, 600), gpu_values=values,
        clim=(0.0, 1.0), cmap=["#0000ff", "#ff0000"],
    )  # fmt: skip
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (600, 600, 3)
    red, blue = _blobs(img, (255, 0, 0)), _blobs(img, (0, 0, 255))
    # the legend's two colour blocks are the only patches far larger than a GPU box
    gpu_area = np.median([a for *_, a in red + blue])
    red = np.array([(x, y) for x, y, a in red if 0.5 * gpu_area < a < 2 * gpu_area])
    blue = np.array([(x, y) for x, y, a in blue if 0.5 * gpu_area < a < 2 * gpu_area])
    assert len(red) == 2 * (8 + 2) and len(blue) == 2 * 6
    both = np.vstack([red, blue])
    # front and rear: two groups of 16 patches, split by the widest gap across
    xs = np.sort(both[:, 0])
    cut = xs[np.argmax(np.diff(xs))]
    for side, is_rear in ((both[:, 0] <= cut, False), (both[:, 0] > cut, True)):
        pts = both[side]
        assert len(pts) == 16
        cols = np.unique(np.round(pts[:, 0]))
        rows = np.unique(np.round(pts[:, 1]))
        cols = np.array([c for k, c in enumerate(cols) if k == 0 or c - cols[k - 1] > 2])
        rows = np.array([c for k, c in enumerate(rows) if k == 0 or c - rows[k - 1] > 2])
        assert len(cols) == 4 and len(rows) == 4
        col_pitch, row_pitch = np.diff(cols), np.diff(rows)
        np.testing.assert_allclose(col_pitch, col_pitch.mean(), atol=1.5)
        np.testing.assert_allclose(row_pitch, row_pitch.mean(), atol=1.5)
        # a GPU row is half an 8U server (4U = 0.1778 m), a column a quarter of 0.4826 m
        assert row_pitch.mean() / col_pitch.mean() == pytest.approx(
            (4 * 0.04445) / (0.4826 / 4), rel=0.04
        )
        # the upper server (the top two rows on screen) is all red; the lower server's
        # red column is on the left of the front and the right of the rear
        reds = red[(red[:, 0] <= cut) != is_rear]
        lower = reds[reds[:, 1] > rows[1] + 2]
        assert len(lower) == 2
        want = cols[-1] if is_rear else cols[0]
        np.testing.assert_allclose(lower[:, 0], want, atol=2)
        blues = blue[(blue[:, 0] <= cut) != is_rear]
        assert (blues[:, 1] > rows[1] + 2).all()
