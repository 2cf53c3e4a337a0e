"""Generate, run and store the OpenFOAM references of the validation rooms.

    python tests/validation/run_cfd.py [ROOM ...] [--cell 0.15] [--coarse M] [--work DIR]
        [--max-iter 4000] [--only-extract] [--turbulence kOmegaSST --refs DIR] [--room-dir DIR]
        [--outflow even|extrapolated|fixed]

For each room (``tests/validation/rooms/ROOM.yaml``; all of them by default) this writes the
case at the reference cell and at the coarser mesh-check cell (0.2 m, or the room's own in
``COARSE_CELL_M``) under ``--work``
(``build/cfd`` by default), runs buoyantBoussinesqSimpleFoam on each (niced) until it
converges or reaches ``--max-iter``, and writes ``references/ROOM.json`` and
``references/ROOM.npz`` (per-rack inlet mean and max, exhaust, mean return, two planes, the
mesh check and the run's figures). Needs Debian's ``openfoam`` package; ``make
validate-cfd`` runs it. Not part of the test suite: the stored references are.
``--turbulence kOmegaSST`` runs the rooms with the k-omega SST model instead of k-epsilon
(cases named ``...-sst``), to see how far a reference depends on its turbulence model; give
it ``--refs`` elsewhere, so that the stored k-epsilon references stay as they are.
A case whose start-up diverges is written and run once more with a gentler start-up
(``foam_case.GENTLE_START``; its run.json and its reference say so).
The air leaves through rack fronts, intakes and grilles drawn evenly over each face, with its
own velocity along it (``--outflow even``, the default: ``foam_case.OUTFLOW_MODES``). That
condition diverges from rest, so each room is run with ``--outflow extrapolated`` first (its
case kept beside as ``...-seed``, and reused when it has finished) and continued from its last
field for ``EVEN_IT`` iterations; the reference's CPU time is both runs'. ``--outflow fixed``
runs the condition the references before December 2026 were run with.
``--seed-dir DIR`` continues each room from the finished k-epsilon run in DIR instead of an
extrapolated run of its own (the SST checks: omega from that run's epsilon and k).
``--model-check DIR`` runs nothing: it folds the references in DIR (the same rooms run with
``--turbulence kOmegaSST --refs DIR``) into the stored ones as their ``model_check``.
The held-out rooms are run with ``--room-dir tests/validation/holdout/rooms --refs
tests/validation/holdout/references`` (both meshes) and their SST checks as the fitted
rooms' are: ``make validate-cfd-holdout``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOMS = HERE / "rooms"
REFS = HERE / "references"


def _log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def case_dir(work: Path, room: str, cell_m: float, turbulence: str = "kEpsilon") -> Path:
    sst = "" if turbulence == "kEpsilon" else "-sst"
    return work / f"{room}-{int(round(cell_m * 1000)):03d}mm{sst}"


def _write_and_run(
    fac, case: Path, cell_m: float, max_iter: int, turbulence: str, outflow: str, seed=None
) -> dict:
    """``foam_even.write_and_run``, logged with the time of day."""
    from twin.cfd import foam_even

    return foam_even.write_and_run(fac, case, cell_m, max_iter, turbulence, outflow, seed, log=_log)


def run_one(
    room: str,
    cell_m: float,
    work: Path,
    max_iter: int,
    extract_only: bool,
    turbulence: str = "kEpsilon",
    room_dir: Path = ROOMS,
    outflow: str = "even",
    seed_dir: Path | None = None,
) -> dict:
    from twin.model.loader import load_layout

    fac = load_layout(room_dir / f"{room}.yaml")
    case = case_dir(work, room, cell_m, turbulence)
    info_path = case / "run.json"
    if extract_only:
        return json.loads(info_path.read_text())
    if outflow == "even":
        return _run_even(fac, room, cell_m, work, max_iter, turbulence, room_dir, seed_dir)
    info = _write_and_run(fac, case, cell_m, max_iter, turbulence, outflow)
    info_path.write_text(json.dumps(info, indent=1))
    _log(f"{case.name}: done {info}")
    return info


#: Iterations an even-draw run continues from its extrapolated seed (``foam_even.EVEN_IT``).
EVEN_IT = 1500


def _run_even(
    fac,
    room: str,
    cell_m: float,
    work: Path,
    max_iter: int,
    turbulence: str,
    room_dir: Path,
    seed_dir: Path | None = None,
) -> dict:
    """The even-draw run (``foam_even.run_even``), its extrapolated seed kept beside the
    case as ``...-seed`` (a finished one is reused). ``seed_dir``: continue from the
    finished k-epsilon run there instead (the model checks, from their reference's field)."""
    from twin.cfd import foam_even

    case = case_dir(work, room, cell_m, turbulence)
    seed = case.with_name(case.name + "-seed")
    if seed_dir is not None:
        seed = case_dir(seed_dir, room, cell_m)
        if not (seed / "run.json").exists():
            raise FileNotFoundError(f"{seed}: no finished run to continue from")
    info = foam_even.run_even(
        fac, case, seed, cell_m, max_iter, turbulence, log=_log, even_it=EVEN_IT
    )
    (case / "run.json").write_text(json.dumps(info, indent=1))
    _log(f"{case.name}: done {info}")
    return info


#: The mesh check's cell where a room's 0.2 m mesh cannot be run: ``fan-wall-hac-slab``'s
#: diverges in its first 25 iterations under both start-ups (the air in the dead-end pocket
#: between fan-wall section FW-1 and the side wall, four cells by three, reaches 45 m/s by
#: iteration 4; the 0.15 m and 0.25 m meshes run), so its check is the 0.25 m mesh.
COARSE_CELL_M = {"fan-wall-hac-slab": 0.25}


def coarse_cell(room: str, given: float | None) -> float:
    """The mesh-check cell of ``room``: ``--coarse`` when given, else the room's own or 0.2 m."""
    return given if given is not None else COARSE_CELL_M.get(room, 0.2)


def fold_model_checks(rooms: list[str], other: Path, refs: Path) -> int:
    """Store each room's reference from ``other`` (another turbulence model) in its own
    reference as ``model_check`` (the JSON only: its planes are left as they are)."""
    from twin.cfd import reference

    for room in rooms:
        if not (other / f"{room}.json").exists():
            _log(f"{room}: no model check in {other}")
            continue
        ref = reference.load(refs / f"{room}.json")
        ref.pop("_planes", None)
        ref["model_check"] = reference.model_check(ref, reference.load(other / f"{room}.json"))
        reference.save(ref, refs / room)
        _log(f"{room}: model check {ref['model_check']['inlet_rms_diff_k']:.2f} K RMS")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rooms", nargs="*", help="room names (all by default)")
    ap.add_argument("--cell", type=float, default=0.15, help="reference cell, m (0.15)")
    ap.add_argument(
        "--coarse", type=float, help="mesh-check cell, m (0.2 or COARSE_CELL_M's; 0 skips)"
    )
    ap.add_argument("--work", type=Path, default=Path("build/cfd"), help="case directory")
    ap.add_argument("--max-iter", type=int, default=4000, help="iteration limit per run")
    ap.add_argument("--only-extract", action="store_true", help="re-read finished runs")
    ap.add_argument("--mesh", choices=["both", "fine", "coarse"], default="both")
    ap.add_argument("--turbulence", choices=["kEpsilon", "kOmegaSST"], default="kEpsilon")
    ap.add_argument(
        "--outflow",
        choices=["even", "extrapolated", "fixed"],
        default="even",
        help="foam_case.OUTFLOW_MODES",
    )
    ap.add_argument("--refs", type=Path, default=REFS, help="where references are written")
    ap.add_argument("--room-dir", type=Path, default=ROOMS, help="where the room layouts are")
    ap.add_argument("--model-check", type=Path, metavar="DIR", help="fold DIR's references in")
    ap.add_argument(
        "--seed-dir", type=Path, metavar="DIR", help="continue from the k-epsilon runs in DIR"
    )
    a = ap.parse_args(argv)
    if a.turbulence != "kEpsilon" and a.refs.resolve() == REFS.resolve() and not a.only_extract:
        ap.error("--turbulence other than kEpsilon needs --refs elsewhere")
    rooms = a.rooms or sorted(p.stem for p in a.room_dir.glob("*.yaml"))
    if a.model_check is not None:
        return fold_model_checks(rooms, a.model_check, a.refs)
    for room in rooms:
        coarse_m = coarse_cell(room, a.coarse)
        cells = {"both": [a.cell, coarse_m], "fine": [a.cell], "coarse": [coarse_m]}[a.mesh]
        for c in cells:
            if c > 0:
                run_one(room, c, a.work, a.max_iter, a.only_extract, turbulence=a.turbulence,
                        room_dir=a.room_dir, outflow=a.outflow, seed_dir=a.seed_dir)  # fmt: skip
        fine = case_dir(a.work, room, a.cell, a.turbulence)
        coarse = case_dir(a.work, room, coarse_m, a.turbulence) if coarse_m > 0 else None
        if (fine / "run.json").exists():
            from twin.cfd import reference

            try:
                ref = reference.build(a.room_dir / f"{room}.yaml", fine, coarse)
                a.refs.mkdir(parents=True, exist_ok=True)
                reference.save(ref, a.refs / room)
                _log(f"{room}: reference written")
            except Exception as e:  # keep the other rooms running; --only-extract retries
                _log(f"{room}: reference not written: {e!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
