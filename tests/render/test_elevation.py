"""Rack elevation: servers at their U positions, every GPU of the rack drawn inside its
server's span on the front and mirrored on the rear, coloured by the values given."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from twin.cli import main
from twin.model.facility import RACK_BASE_M, U_M
from twin.render.elevation import build_elevation, draw_elevation


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
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["render", str(small_layout), "--view", "rack:NOPE", "-o", str(out)]) == 2
    assert "unknown rack 'NOPE'" in capsys.readouterr().err
