"""``twin bench``: print speed and memory figures with their same-run baselines."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure speed and memory figures")
    p.add_argument("--only", metavar="PREFIX", help="run only benchmarks whose name starts so")
    p.add_argument("--json", action="store_true", help="print a JSON list of results")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.bench import selected

    results = []
    for prefix, func in selected(args.only):
        if not args.json:
            print(f"# {prefix} ...", file=sys.stderr, flush=True)
        for r in func():
            if args.only and not r.name.startswith(args.only) and not args.only.startswith(prefix):
                continue
            results.append(r)
            if not args.json:
                extra = ""
                if r.baseline is not None:
                    extra = f"  (baseline {r.baseline:.4g} {r.unit}, ratio {r.ratio:.3g})"
                note = f"  {r.note}" if r.note else ""
                print(f"{r.name:32s} {r.value:12.4g} {r.unit}{extra}{note}", flush=True)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    return 0
