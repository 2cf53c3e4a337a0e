"""``twin generate NAME -o FILE``: write one of the reproducible layouts."""

from __future__ import annotations

import argparse

NAMES = ("demo-air-hall", "gb200-pod", "ai-factory")

#: ai-factory's sizes, bounded by the power chain the generator gives them (and so far past
#: them the layout fails ``twin validate``): a row's UPS pair (5 MW a side) carries 75 NVL72
#: racks, a hall's MV switchgear (54 MW a side) about 750, the two 250 MVA utility feeds
#: about 3,200: some 230,000 GPUs, about the largest AI sites running in 2025 (~200,000 GPUs).
LIQUID_HALLS = (1, 16)
RACKS_PER_ROW = (1, 75)
ROWS_PER_HALL = (2, 40)
MAX_RACKS_PER_HALL = 750
MAX_LIQUID_RACKS = 3_200
#: The sizes' defaults: 4 halls of 10 rows of 35 racks, about 100,000 GPUs.
DEFAULTS = {"liquid_halls": 4, "racks_per_row": 35, "rows_per_hall": 10}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="write a generated layout (demo hall, GB200 pod, 100k-GPU factory)",
        epilog="ai-factory's sizes stop where its power chain does: a row's UPS pair carries "
        f"{RACKS_PER_ROW[1]} NVL72 racks, a hall's MV switchgear {MAX_RACKS_PER_HALL}, the "
        f"two utility feeds {MAX_LIQUID_RACKS:,} (~230k GPUs, about the largest AI sites of "
        "2025).",
    )
    p.add_argument("name", choices=NAMES)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument(
        "--liquid-halls",
        type=int,
        help=f"ai-factory: liquid-cooled halls (4; {LIQUID_HALLS[0]}-{LIQUID_HALLS[1]})",
    )
    p.add_argument(
        "--racks-per-row",
        type=int,
        help=f"ai-factory: NVL72 racks per row (35; {RACKS_PER_ROW[0]}-{RACKS_PER_ROW[1]})",
    )
    p.add_argument(
        "--rows-per-hall",
        type=int,
        help=f"ai-factory: rows per liquid hall (10; even, {ROWS_PER_HALL[0]}-{ROWS_PER_HALL[1]}"
        f", at most {MAX_RACKS_PER_HALL} racks a hall)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from twin.commands.argtypes import OptionError, refuse
    from twin.model import generate
    from twin.model.atomic import OutputError, check_target, write_text_atomic

    try:
        sizes = check_sizes(args)
        if args.output:
            check_target(args.output)
    except (OptionError, OutputError) as exc:
        return refuse("generate", exc)
    if args.name == "ai-factory":
        text = generate.ai_factory(**sizes)
        try:
            _check_loads(text)
        except OptionError as exc:
            return refuse("generate", exc)
    else:
        text = generate.GENERATORS[args.name]()
    if args.output:
        try:
            write_text_atomic(args.output, text)
        except OSError as exc:  # the disk filled, the folder went away meanwhile
            return refuse("generate", f"could not write {args.output}: {exc}", 1)
    else:
        print(text, end="")
    return 0


def check_sizes(args: argparse.Namespace) -> dict[str, int]:
    """ai-factory's sizes, once each is in range and together they fit the generated power
    chain (``--racks-per-row 100000000`` grew past 5 GB; 0 racks or halls wrote layouts
    ``twin validate`` refuses). Raises ``OptionError``."""
    from twin.commands.argtypes import OptionError, whole

    given = {k: getattr(args, k) for k in DEFAULTS}
    if args.name != "ai-factory":
        for key, value in given.items():
            if value is not None:
                raise OptionError(f"--{key.replace('_', '-')} goes with ai-factory")
        return {}
    sizes = {k: DEFAULTS[k] if v is None else v for k, v in given.items()}
    whole("--liquid-halls", sizes["liquid_halls"], *LIQUID_HALLS)
    whole(
        "--racks-per-row", sizes["racks_per_row"], *RACKS_PER_ROW, "what a row's UPS pair carries"
    )
    whole("--rows-per-hall", sizes["rows_per_hall"], *ROWS_PER_HALL)
    if sizes["rows_per_hall"] % 2:
        raise OptionError(
            f"--rows-per-hall must be even (rows stand back to back in pods of two), not "
            f"{sizes['rows_per_hall']}"
        )
    per_hall = sizes["racks_per_row"] * sizes["rows_per_hall"]
    if per_hall > MAX_RACKS_PER_HALL:
        raise OptionError(
            f"--racks-per-row x --rows-per-hall make {per_hall:,} racks a hall; at most "
            f"{MAX_RACKS_PER_HALL} (what a hall's MV switchgear carries)"
        )
    total = per_hall * sizes["liquid_halls"]
    if total > MAX_LIQUID_RACKS:
        raise OptionError(
            f"--liquid-halls x --racks-per-row x --rows-per-hall make {total:,} racks; at "
            f"most {MAX_LIQUID_RACKS:,} (what the two utility feeds carry)"
        )
    return sizes


def _check_loads(text: str) -> None:
    """Refuse a generated layout the loader refuses (a combination of sizes the bounds above
    let through): never write what ``twin validate`` fails. Raises ``OptionError``."""
    from twin.commands.argtypes import OptionError
    from twin.model.errors import LayoutError
    from twin.model.loader import facility_from_text

    try:
        facility_from_text(text)
    except LayoutError as exc:
        why = f"{exc.problems[0].field}: {exc.problems[0].message}" if exc.problems else exc
        raise OptionError(
            f"these sizes make a layout that does not validate ({why}); choose smaller ones"
        ) from None
