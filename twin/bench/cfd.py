"""Validation figures: Twin against the stored OpenFOAM references (tests/validation/), and
one calibration of the demo hall.

- ``physics.fidelity_rms_k``: the worst room's rack mean-inlet RMS error (the best room's
  beside it as the baseline).
- ``physics.cfd_speed_ratio``: OpenFOAM's CPU time over Twin's solve time on the same room,
  the smallest over the rooms (from the references' stored run times, which are the
  machine's that last ran them: a faster machine reads the ratio high).
- ``physics.calibrate_s``: ``twin cfd calibrate``'s fit on the demo hall against a field
  made by the model itself at known parameters (eddy-viscosity scale 1.6, turbulent Prandtl
  number 0.6); the note says how close the fit came.
"""

from __future__ import annotations

import time
from pathlib import Path

from twin.bench import Result

REFS = Path(__file__).resolve().parents[2] / "tests" / "validation" / "references"


def _fidelity() -> list[Result]:
    from twin.cfd.scores import score_room

    refs = sorted(REFS.glob("*.json"))
    if not refs:
        return [
            Result("physics.fidelity_rms_k", float("nan"), "K", note=f"no references in {REFS}")
        ]
    rows = [score_room(r, timed=True) for r in refs]
    worst = max(rows, key=lambda s: s["rms_k"])
    best = min(rows, key=lambda s: s["rms_k"])
    ratios = [(s["cfd_cpu_s"] / s["twin_s"], s["room"]) for s in rows]
    low = min(ratios)
    return [
        Result(
            "physics.fidelity_rms_k",
            worst["rms_k"],
            "K",
            baseline=best["rms_k"],
            ratio=worst["rms_k"] / max(best["rms_k"], 1e-9),
            note=f"worst {worst['room']} (max {worst['max_k']:.2f} K, rank corr "
            f"{worst['rank_corr']:.2f}), best {best['room']}; {len(rows)} rooms",
        ),
        Result(
            "physics.cfd_speed_ratio",
            low[0],
            "x",
            note=f"smallest on {low[1]}; OpenFOAM CPU time over Twin's warm solve (OpenFOAM's "
            "as its reference stores it, from the machine that last ran it: compare on one "
            "machine, make validate-cfd)",
        ),
    ]


def _calibrate() -> list[Result]:
    from twin.cfd import calibrate
    from twin.model.loader import load_layout
    from twin.physics import ThermalModel
    from twin.physics.params import PhysicsParams

    lay = Path(__file__).resolve().parents[2] / "layouts" / "demo-air-hall.yaml"
    fac = load_layout(lay)
    truth = ThermalModel(fac, 0, 0.2, params=PhysicsParams(1.6, 0.6)).solve()
    t = calibrate.targets_from_field(fac, truth.grid, truth.air_c, source="bench")
    t0 = time.perf_counter()
    f = calibrate.fit(fac, 0, 0.2, t)
    dt = time.perf_counter() - t0
    return [
        Result(
            "physics.calibrate_s",
            dt,
            "s",
            note=f"rack RMS {f.before['rack_rms_k']:.2f} -> {f.after['rack_rms_k']:.3f} K, "
            f"fitted {f.params.eddy_viscosity_scale:.2f} / {f.params.turbulent_prandtl:.2f} "
            f"(truth 1.6 / 0.6), {f.evaluations} solves",
        )
    ]


BENCHMARKS = [("physics.fidelity", _fidelity), ("physics.calibrate", _calibrate)]
