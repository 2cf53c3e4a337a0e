"""Twin scored against every stored CFD reference: the validation table (README), the
regression tests' recorded values and the ``physics.fidelity_rms_k`` and
``physics.cfd_speed_ratio`` bench figures all come from :func:`score_room`."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from twin.cfd import compare, reference

#: Cell Twin is scored at: ``twin thermal``'s default.
SCORE_CELL_M = 0.2
#: warm solves timed per room (their median is Twin's time): on the 2026-12-05 machine the
#: median of 5 moved by up to 30 % between runs of the same code (whole stretches of a run
#: ran slow), the median of 15 by about 10 %
TIMED_SOLVES = 15


def score_room(
    ref_path: str | Path, cell_m: float = SCORE_CELL_M, timed: bool = False, **options
) -> dict:
    """Solve the reference's layout with Twin and compare; adds Twin's and OpenFOAM's times
    (``timed``: Twin's time is the median of ``TIMED_SOLVES`` warm solves, after one that
    loads the kernels: a single solve of a third of a second swings by +-15 % on a shared
    machine, which moved the speed ratio from 706x to 848x between two runs of the same code;
    ``options`` go to ``solve_steady``, e.g. ``params`` or ``flow_iterations``)."""
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    ref_path = Path(ref_path)
    ref = reference.load(ref_path)
    fac = load_layout(ref_path.parent.parent / ref["layout"])
    if timed:
        solve_steady(fac, 0, cell_m, **options)
    times = []
    for _ in range(TIMED_SOLVES if timed else 1):
        t0 = time.perf_counter()
        res = solve_steady(fac, 0, cell_m, **options)
        times.append(time.perf_counter() - t0)
    twin_s = float(np.median(times))
    out = compare.compare_reference(fac, res, ref)
    mc = ref.get("model_check")
    if mc is not None:  # Twin against the same room under the other turbulence model
        rows = compare.rack_rows(fac, res, mc["racks"])
        out["against_model_check"] = compare.summary(rows, res.return_mean_c, mc["return_mean_c"])
    out.update(
        room=ref["room"],
        twin_s=twin_s,
        cfd_cpu_s=float(ref["cpu_s"]),
        cfd_converged=bool(ref["converged"]),
        cfd_cell_m=float(ref["cell_m"]),
        mesh_rms_k=(ref.get("mesh_check") or {}).get("inlet_rms_diff_k"),
        **reference_ceiling(ref),
    )
    return out


def reference_ceiling(ref: dict) -> dict:
    """What the reference itself allows a model to be tested for: the rank correlation of
    the rack inlets between its two meshes (``mesh_rank_corr``, no model can be held to a
    ranking the CFD does not reproduce on its own check mesh) and the spread (standard
    deviation) of its rack inlets (``inlet_spread_k``; a ranking of inlets that differ by
    less than the mesh check's RMS is the mesh's, not the room's)."""
    means = {r["id"]: r["inlet_mean_c"] for r in ref["racks"]}
    spread = float(np.std(list(means.values())))
    check = {r["id"]: r["inlet_mean_c"] for r in (ref.get("mesh_check") or {}).get("racks", [])}
    ids = [i for i in means if i in check]
    rank = (
        compare.rank_correlation([means[i] for i in ids], [check[i] for i in ids])
        if len(ids) >= 3
        else None
    )
    mc = ref.get("model_check") or {}
    return {
        "mesh_rank_corr": rank,
        "inlet_spread_k": spread,
        "model_rms_k": mc.get("inlet_rms_diff_k"),
        "model_max_k": mc.get("inlet_max_diff_k"),
        "model_rank_corr": mc.get("rank_corr"),
    }


def rank_testable(score: dict) -> bool:
    """Whether rank correlation >= 0.9 is a property the reference can test: its own two
    meshes rank the racks alike (>= 0.9), and so do its two turbulence models where it has
    a model check, and its inlets spread wider than the mesh moves them."""
    rank, mesh = score.get("mesh_rank_corr"), score.get("mesh_rms_k")
    model = score.get("model_rank_corr")
    return (
        rank is not None
        and rank >= 0.9
        and (model is None or model >= 0.9)
        and mesh is not None
        and score["inlet_spread_k"] > mesh
    )


def model_table(scores: list[dict]) -> str:
    """The turbulence-model check of the references that have one: how far the same room
    under k-omega SST lies from the k-epsilon reference, and Twin from each."""
    lines = [
        "| room | k-omega SST against k-epsilon (RMS / max / rank) | Twin against k-epsilon "
        "| Twin against k-omega SST |",
        "|---|---|---|---|",
    ]
    for s in scores:
        other = s.get("against_model_check")
        if other is None:
            continue
        lines.append(
            f"| `{s['room']}` | {s['model_rms_k']:.2f} K / {s['model_max_k']:.2f} K / "
            f"{s['model_rank_corr']:.2f} | {s['rms_k']:.2f} K / {s['max_k']:.2f} K / "
            f"{s['rank_corr']:.2f} | {other['rms_k']:.2f} K / {other['max_k']:.2f} K / "
            f"{other['rank_corr']:.2f} |"
        )
    return "\n".join(lines)


def table(scores: list[dict]) -> str:
    """The README's markdown table."""
    lines = [
        "| room | RMS | max | rank corr. | return error | Twin | OpenFOAM (CPU) "
        "| CFD mesh check | CFD mesh rank corr. | inlet spread | flow within 45° |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        mesh = "—" if s["mesh_rms_k"] is None else f"{s['mesh_rms_k']:.2f} K"
        mrank = "—" if s.get("mesh_rank_corr") is None else f"{s['mesh_rank_corr']:.2f}"
        settled = "" if s["cfd_converged"] else " (long-window mean)"
        pairs = s.get("pairs")
        notes = [] if rank_testable(s) else ["not testable"]
        if pairs is not None:
            notes.append(f"{pairs['ordered']}/{pairs['resolved']} pairs")
        note = f" ({'; '.join(notes)})" if notes else ""
        flow = (s.get("plane_velocity") or {}).get("direction_agreement")
        flow_text = "—" if flow is None else f"{100 * flow:.0f} %"
        lines.append(
            f"| `{s['room']}`{settled} | {s['rms_k']:.2f} K | {s['max_k']:.2f} K | "
            f"{s['rank_corr']:.2f}{note} | {s['return_error_k']:+.2f} K | "
            f"{s['twin_s']:.1f} s | {s['cfd_cpu_s']:.0f} s | {mesh} | {mrank} | "
            f"{s['inlet_spread_k']:.2f} K | {flow_text} |"
        )
    return "\n".join(lines)


def score_on_cfd_flow(
    ref_path: str | Path,
    case: str | Path,
    cell_m: float = SCORE_CELL_M,
    through_m: float | None = None,
) -> dict:
    """Twin's heat solved on the air velocity of the reference's own OpenFOAM case (its
    window mean where the reference is one), scored against the reference like
    ``score_room``: the error Twin's heat transport leaves on the CFD's flow (see
    ``twin.cfd.flow_split``; ``through_m``: the flow held on a momentum grid of that cell
    first, as Twin's march holds its own). The case is the one
    ``tests/validation/run_cfd.py`` ran; the repository keeps only its small results."""
    ref_path = Path(ref_path)
    ref = reference.load(ref_path)
    run = reference.read_run(ref_path.parent.parent / ref["layout"], Path(case))
    return score_on_run(ref_path, run, cell_m, through_m, source=str(case), ref=ref)


def score_on_run(
    ref_path: str | Path,
    run: dict,
    cell_m: float = SCORE_CELL_M,
    through_m: float | None = None,
    source: str = "",
    ref: dict | None = None,
) -> dict:
    """``score_on_cfd_flow`` of a run already read (``reference.read_run``: its velocity
    ``_velocity`` on the case's grid ``_grid``, its hall in ``_desc``; ``source`` names it
    in a refusal; ``ref``: the reference at ``ref_path`` when already loaded)."""
    from twin.cfd.field import _onto
    from twin.cfd.flow_split import heat_on_flow
    from twin.model.loader import load_layout
    from twin.physics.grid import build_grid

    ref_path = Path(ref_path)
    ref = reference.load(ref_path) if ref is None else ref
    fac = load_layout(ref_path.parent.parent / ref["layout"])
    if run["_velocity"] is None:
        raise ValueError(f"{source or ref['room']}: the case kept no air velocity")
    hall = fac.hall_ids.index(run["_desc"]["hall"])
    grid = build_grid(fac, hall, cell_m if through_m is None else through_m)
    vel = _onto(run["_velocity"], run["_grid"], grid)
    res = heat_on_flow(fac, hall, cell_m, vel, through_m=through_m)
    out = compare.compare_reference(fac, res, ref)
    out["room"] = ref["room"]
    return out


def split_table(
    scores: list[dict], split: dict[str, dict], held: dict[str, dict] | None = None
) -> str:
    """Markdown: each room's rack mean-inlet error with Twin's own airflow, with Twin's heat
    on the CFD's air and (``held``, with its cell in each row's ``"through_m"``) on the
    CFD's air held on Twin's momentum grid first (rooms without a case left out)."""
    held = held or {}
    cell = next((o["through_m"] for o in held.values()), None)
    head = "| room | Twin: RMS / max / rank | Twin's heat on the CFD's air: RMS / max / rank |"
    rule = "|---|---|---|"
    if held:
        head += f" ... held on a {cell:g} m momentum grid: RMS / max / rank |"
        rule += "---|"
    lines = [head, rule]
    for s in scores:
        o = split.get(s["room"])
        if o is None:
            continue
        row = f"| `{s['room']}` | {_triple(s)} | {_triple(o)} |"
        if s["room"] in held:
            row += f" {_triple(held[s['room']])} |"
        lines.append(row)
    return "\n".join(lines)


def _triple(score: dict) -> str:
    return f"{score['rms_k']:.2f} K / {score['max_k']:.2f} K / {score['rank_corr']:.2f}"
