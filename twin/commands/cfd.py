"""``twin cfd compare|calibrate``: Twin against a CFD field (OpenFOAM case, VTK file or a
stored reference), and the model's free parameters fitted to one."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cfd", help="compare Twin with a CFD field, or calibrate it to one")
    cs = p.add_subparsers(dest="cfd_command", metavar="ACTION")
    c = cs.add_parser(
        "compare",
        help="Twin's steady solution against an OpenFOAM case (latest time), a VTK/VTU file "
        "or a stored reference (.json): per-rack inlet errors and summary figures",
    )
    c.add_argument("layout", metavar="LAYOUT")
    c.add_argument("source", metavar="CASE_OR_FILE")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--cell", type=float, default=0.2, metavar="M", help="Twin's cell (0.2)")
    c.add_argument("--hall", default="0", help="hall id or index (first hall by default)")
    c.set_defaults(func=run_compare)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _hall(fac, text: str) -> int:
    if text in fac.hall_ids:
        return fac.hall_ids.index(text)
    try:
        return int(text)
    except ValueError:
        raise SystemExit(f"twin cfd: no hall {text!r} (halls: {', '.join(fac.hall_ids)})") from None


def compare_figures(layout: str, source: str, cell_m: float = 0.2, hall: str = "0") -> dict:
    """What ``twin cfd compare --json`` prints."""
    import math
    from pathlib import Path

    from twin.cfd import compare, reference
    from twin.cfd.source import compare_field, load_field
    from twin.model.loader import load_layout
    from twin.physics import solve_steady

    fac = load_layout(layout)
    h = _hall(fac, hall)
    res = solve_steady(fac, h, cell_m)
    path = Path(source)
    if path.suffix == ".json":
        out = compare.compare_reference(fac, res, reference.load(path))
        out["source"] = {"path": str(path), "kind": "reference"}
    else:
        from twin.render.cfd_import import read_points

        cfd = load_field(path, fac, res.grid, read_points)
        out = compare_field(fac, res, cfd)
        out["source"] = {"path": cfd.source, "kind": cfd.kind}
    out["twin"] = {"cell_m": cell_m, "seconds": res.seconds, "return_mean_c": res.return_mean_c}
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()
    }


def run_compare(args) -> int:
    import json
    import sys

    from twin.model.errors import LayoutError

    try:
        out = compare_figures(args.layout, args.source, args.cell, args.hall)
    except (LayoutError, ValueError, OSError) as e:
        print(f"twin cfd compare: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"{'rack':<10}{'Twin':>8}{'CFD':>8}{'error':>8}{'Twin max':>10}{'CFD max':>9}  (C, K)")
    for r in out["rows"]:
        print(
            f"{r['id']:<10}{r['twin_mean_c']:>8.2f}{r['cfd_mean_c']:>8.2f}{r['error_k']:>+8.2f}"
            f"{r['twin_max_c']:>10.2f}{r['cfd_max_c']:>9.2f}"
        )

    def f(x, fmt):
        return "n/a" if x is None else format(x, fmt)

    print(
        f"rack mean inlet: RMS {f(out['rms_k'], '.2f')} K, max {f(out['max_k'], '.2f')} K, "
        f"bias {f(out['bias_k'], '+.2f')} K, rank correlation {f(out['rank_corr'], '.2f')}; "
        f"return error {f(out['return_error_k'], '+.2f')} K"
    )
    if "field_rms_k" in out:
        print(f"air field RMS difference {f(out['field_rms_k'], '.2f')} K")
    return 0
