"""Score Twin against every stored CFD reference and print the README's table.

    python tests/validation/score_twin.py [--write] [--json] [--cases DIR] [--holdout]

``--write`` records each room's figures in ``twin_scores.json``, the values the regression
tests hold Twin to (a room fails when its RMS grows by more than 0.3 K over its record, or
its air agrees in direction with the CFD's on the planes in 5 points fewer of the cells).
Record only after a change that the table justifies.

``--cases DIR``: where ``run_cfd.py --work DIR`` left the OpenFOAM cases; adds a second
table, Twin's heat solved on each case's own air velocity (``twin.cfd.flow_split``): the
error its heat transport leaves, the rest of the first table's being its airflow's; and a
third column, the same on the CFD's air held on Twin's momentum grid first: what that grid
alone costs.

Rooms whose reference has a ``model_check`` (the room under k-omega SST, folded in by
``run_cfd.py --model-check DIR``) get a second table: how far the two turbulence models lie
apart, and Twin from each.

``--holdout``: also the table of the held-out rooms (``holdout/``), which no model decision
uses and ``test_holdout.py`` holds to the issue's accuracy limits.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCORES = HERE / "twin_scores.json"
HOLDOUT = HERE / "holdout" / "references"


def main(argv: list[str] | None = None) -> int:
    from twin.cfd import scores
    from twin.physics.model import FLOW_CELL_M

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="record the figures")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--cases", type=Path, metavar="DIR", help="the references' OpenFOAM cases")
    ap.add_argument("--holdout", action="store_true", help="also score the held-out rooms")
    a = ap.parse_args(argv)
    refs = sorted((HERE / "references").glob("*.json"))
    rows = [scores.score_room(r, timed=True) for r in refs]
    split, held = {}, {}
    if a.cases is not None:
        for r, s in zip(refs, rows, strict=True):
            case = a.cases / f"{s['room']}-{round(1000 * s['cfd_cell_m'])}mm"
            if (case / "run.json").exists():  # a finished run
                split[s["room"]] = scores.score_on_cfd_flow(r, case)
                held[s["room"]] = scores.score_on_cfd_flow(r, case, through_m=FLOW_CELL_M)
                held[s["room"]]["through_m"] = FLOW_CELL_M
    if a.json:
        out = {"rooms": rows, "on_cfd_flow": split, "on_cfd_flow_held": held}
        print(json.dumps(out if split else rows, indent=1))
    else:
        print(scores.table(rows))
        if any("against_model_check" in r for r in rows):
            print()
            print(scores.model_table(rows))
        if split:
            print()
            print(scores.split_table(rows, split, held))
    if a.holdout:
        out = [scores.score_room(r, timed=True) for r in sorted(HOLDOUT.glob("*.json"))]
        if a.json:
            print(json.dumps(out, indent=1))
        else:
            print("\nHeld out:\n" + scores.table(out))
            if any("against_model_check" in r for r in out):
                print("\n" + scores.model_table(out))
    if a.write:
        keys = ("rms_k", "max_k", "rank_corr", "return_error_k", "twin_s", "cfd_cpu_s")
        rec = {
            r["room"]: {
                **{k: round(r[k], 3) for k in keys},
                "flow_agreement": round(r["plane_velocity"]["direction_agreement"], 3),
                "misordered_pairs": len(r["pairs"]["misordered"]),
            }
            for r in rows
        }
        SCORES.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
