"""Score Twin against every stored CFD reference and print the README's table.

    python tests/validation/score_twin.py [--write] [--json]

``--write`` records each room's figures in ``twin_scores.json``, the values the regression
tests hold Twin to (a room fails when its RMS grows by more than 0.3 K over its record, or
its air agrees in direction with the CFD's on the planes in 5 points fewer of the cells).
Record only after a change that the table justifies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCORES = HERE / "twin_scores.json"


def main(argv: list[str] | None = None) -> int:
    from twin.cfd import scores

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="record the figures")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args(argv)
    refs = sorted((HERE / "references").glob("*.json"))
    rows = [scores.score_room(r, timed=True) for r in refs]
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        print(scores.table(rows))
    if a.write:
        keys = ("rms_k", "max_k", "rank_corr", "return_error_k", "twin_s", "cfd_cpu_s")
        rec = {
            r["room"]: {
                **{k: round(r[k], 3) for k in keys},
                "flow_agreement": round(r["plane_velocity"]["direction_agreement"], 3),
            }
            for r in rows
        }
        SCORES.write_text(json.dumps(rec, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
