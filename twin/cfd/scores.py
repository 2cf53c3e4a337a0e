"""Twin scored against every stored CFD reference: the validation table (README), the
regression tests' recorded values and the ``physics.fidelity_rms_k`` and
``physics.cfd_speed_ratio`` bench figures all come from :func:`score_room`."""

from __future__ import annotations

import time
from pathlib import Path

from twin.cfd import compare, reference

#: Cell Twin is scored at: ``twin thermal``'s default.
SCORE_CELL_M = 0.2


def score_room(
    ref_path: str | Path, cell_m: float = SCORE_CELL_M, timed: bool = False, **options
) -> dict:
    """Solve the reference's layout with Twin and compare; adds Twin's and OpenFOAM's times
    (``timed``: Twin's time is a second, warm solve's, without the kernels' first load;
    ``options`` go to ``solve_steady``, e.g. ``params`` or ``flow_iterations``)."""
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    ref_path = Path(ref_path)
    ref = reference.load(ref_path)
    fac = load_layout(ref_path.parent.parent / ref["layout"])
    if timed:
        solve_steady(fac, 0, cell_m, **options)
    t0 = time.perf_counter()
    res = solve_steady(fac, 0, cell_m, **options)
    twin_s = time.perf_counter() - t0
    out = compare.compare_reference(fac, res, ref)
    out.update(
        room=ref["room"],
        twin_s=twin_s,
        cfd_cpu_s=float(ref["cpu_s"]),
        cfd_converged=bool(ref["converged"]),
        cfd_cell_m=float(ref["cell_m"]),
        mesh_rms_k=(ref.get("mesh_check") or {}).get("inlet_rms_diff_k"),
    )
    return out


def table(scores: list[dict]) -> str:
    """The README's markdown table."""
    lines = [
        "| room | RMS | max | rank corr. | return error | Twin | OpenFOAM (CPU) | CFD mesh check |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        mesh = "—" if s["mesh_rms_k"] is None else f"{s['mesh_rms_k']:.2f} K"
        settled = "" if s["cfd_converged"] else " (long-window mean)"
        lines.append(
            f"| `{s['room']}`{settled} | {s['rms_k']:.2f} K | {s['max_k']:.2f} K | "
            f"{s['rank_corr']:.2f} | {s['return_error_k']:+.2f} K | {s['twin_s']:.1f} s | "
            f"{s['cfd_cpu_s']:.0f} s | {mesh} |"
        )
    return "\n".join(lines)
