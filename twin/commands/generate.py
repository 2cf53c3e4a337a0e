"""``twin generate NAME -o FILE``: write one of the reproducible layouts."""

from __future__ import annotations

import argparse

NAMES = ("demo-air-hall", "gb200-pod", "ai-factory")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate", help="write a generated layout (demo hall, GB200 pod, 100k-GPU factory)"
    )
    p.add_argument("name", choices=NAMES)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--liquid-halls", type=int, default=4, help="ai-factory: liquid-cooled halls")
    p.add_argument("--racks-per-row", type=int, default=35, help="ai-factory: NVL72 racks per row")
    p.add_argument(
        "--rows-per-hall", type=int, default=10, help="ai-factory: rows per liquid hall (even)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from twin.model import generate
    from twin.model.atomic import write_text_atomic

    if args.name == "ai-factory":
        text = generate.ai_factory(args.liquid_halls, args.racks_per_row, args.rows_per_hall)
    else:
        text = generate.GENERATORS[args.name]()
    if args.output:
        write_text_atomic(args.output, text)
    else:
        print(text, end="")
    return 0
