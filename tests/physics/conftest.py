"""Small layouts for the physics tests, written to tmp_path and loaded the normal way."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.model.loader import load_layout


def rack(
    rid: str,
    x: float,
    y: float,
    rot: float,
    kw: float,
    flow: float | None = None,
    liquid: float = 0.0,
    cdu: str | None = None,
) -> str:
    load = f"power_kw: {kw}, " + (f"airflow_m3s: {flow}" if flow else "delta_t_k: 12")
    if liquid:
        load += f", liquid_fraction: {liquid}"
    extra = f", cdu: {cdu}" if cdu else ""
    return (
        f"      - {{id: {rid}, position_m: [{x:.3f}, {y:.3f}], rotation_deg: {rot}, "
        f"load: {{{load}}}{extra}}}"
    )


def aisle_room(
    n: int = 5,
    kw: float = 12.0,
    rack_flow: float = 0.8,
    tile_flow: float = 6.8,
    width: float = 7.0,
    depth: float = 6.6,
    height: float = 3.0,
    turned: int | None = None,
    contained: bool = False,
    hot_chimney: bool = False,
    grilles: bool = True,
) -> str:
    """Two rows of n racks around a cold aisle of tiles (explicit flow, 18 C) with ceiling
    return grilles over the hot aisles; ``turned`` rotates one rack of row A by 180 deg."""
    x0 = width / 2 - (n - 1) * 0.3
    ya, yb = depth / 2 - 1.2, depth / 2 + 1.2
    lines = [
        "format: twin-layout/1",
        "name: aisle",
        f"halls: [{{id: H, size_m: [{width}, {depth}, {height}]}}]",
        "rows:",
        "  - id: A",
        "    hall: H",
        "    racks:",
    ]
    for i in range(n):
        rot = 0 if turned == i else 180
        lines.append(rack(f"A{i}", x0 + 0.6 * i, ya, rot, kw, rack_flow))
    lines += ["  - id: B", "    hall: H", "    racks:"]
    for i in range(n):
        lines.append(rack(f"B{i}", x0 + 0.6 * i, yb, 0, kw, rack_flow))
    xa, xb = x0 - 0.3, x0 + 0.6 * n - 0.3
    lines += [
        "cooling:",
        "  supplies:",
        f"    - {{id: T, hall: H, rect_m: [{xa:.3f}, {depth / 2 - 0.6:.3f}, {xb:.3f}, "
        f"{depth / 2 + 0.6:.3f}], flow_m3s: {tile_flow}, supply_c: 18}}",
    ]
    if grilles:
        lines += [
            "  returns:",
            f"    - {{id: RA, hall: H, rect_m: [{xa:.3f}, 0.3, {xb:.3f}, 1.2]}}",
            f"    - {{id: RB, hall: H, rect_m: [{xa:.3f}, {depth - 1.2:.3f}, {xb:.3f}, "
            f"{depth - 0.3:.3f}]}}",
        ]
    if contained:
        lines += [
            "  containment:",
            f"    - {{id: CA, hall: H, kind: cold-aisle, rect_m: [{xa:.3f}, "
            f"{depth / 2 - 0.6:.3f}, {xb:.3f}, {depth / 2 + 0.6:.3f}], height_m: 2.4}}",
        ]
    if hot_chimney:  # both hot aisles, against the walls, ducted to their ceiling grilles
        lines += [
            "  containment:",
            f"    - {{id: HA, hall: H, kind: hot-aisle, rect_m: [{xa:.3f}, 0.0, {xb:.3f}, "
            f"{ya - 0.6:.3f}], height_m: 2.4}}",
            f"    - {{id: HB, hall: H, kind: hot-aisle, rect_m: [{xa:.3f}, {yb + 0.6:.3f}, "
            f"{xb:.3f}, {depth}], height_m: 2.4}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def write_layout(tmp_path: Path):
    """Write layout text to a file and load it."""
    count = [0]

    def _write(text: str):
        count[0] += 1
        path = tmp_path / f"layout{count[0]}.yaml"
        path.write_text(text)
        return load_layout(path)

    return _write


#: Energy balance: the heat solve's relative residual tolerance (twin.physics.model.HEAT_TOL,
#: 1e-6) with a margin of ten.
ENERGY_TOL = 1e-5
#: Mass balance: the last pressure projection's tolerance (1e-7) with a margin of ten.
MASS_TOL = 1e-6


def possible_figures(n_gpus: int) -> dict:
    """The balances and temperatures a hand-made stand-in for a ``ThermalResult`` needs to
    pass ``plausible.impossibilities`` (balanced, 20-35 C air, 60 C GPUs), for the rules
    that judge a result only when its figures are possible."""
    import numpy as np

    return dict(
        mass_error=0.0,
        energy_error=0.0,
        heat_in_w=1e5,
        heat_out_w=1e5,
        air_c=np.array([20.0, np.nan, 35.0]),
        rack_exhaust_c=np.array([35.0]),
        gpu_temp_c=np.full(n_gpus, 60.0),
    )
