"""``twin import``: a site's rack list (or any ``twin.importers`` plugin's format) into a
validated layout file."""

from __future__ import annotations

import argparse
from pathlib import Path

from twin.importing import (
    ImporterCrash,
    NotWritten,
    import_file,
    layout_header,
    problem_text,
    verify_written,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="make a layout from a rack list (CSV, XLSX) or another importer's format",
        description="Read FILE with an importer plugin (chosen by --format, else by the file's "
        "extension), validate the layout it makes and write it as YAML.",
    )
    p.add_argument("file", help="input file, e.g. racks.csv or racks.xlsx")
    p.add_argument("-o", "--output", required=True, help="layout file to write (.yaml)")
    p.add_argument("--format", help="importer name (see `twin plugins`); default by extension")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an importer option, e.g. --option name='Hall 2' (repeatable)",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.set_defaults(func=run)


def import_options(pairs: list[str]) -> dict[str, str]:
    """``["name=Hall 2", "margin_m=2"]`` -> ``{"name": "Hall 2", "margin_m": "2"}``: values
    stay text (a hall named ``2e5`` stays so); the importer converts and names a bad one."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise UsageError(f"--option wants KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


class UsageError(ValueError):
    """A command line that cannot be read (exit 2, as argparse's own)."""


def run(args: argparse.Namespace) -> int:
    import sys

    from twin import plugins
    from twin.model.atomic import OutputError, check_target, write_text_atomic
    from twin.model.errors import LayoutError

    src, out = Path(args.file), Path(args.output)
    try:  # before any work, whatever --force says: never over the rack list it reads
        check_target(out, inputs=(src,))
    except OutputError as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 2
    if not src.is_file():
        print(f"twin import: no such file: {src}", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"twin import: {out} exists; use --force to overwrite it", file=sys.stderr)
        return 2
    try:
        options = import_options(args.option)
        text, facility = import_file(src, args.format, **options)
    except UsageError as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 2
    except (ValueError, plugins.PluginError, LayoutError, ImporterCrash) as exc:
        print(f"twin import: {problem_text(exc)}", file=sys.stderr)
        return 1
    try:
        write_text_atomic(out, layout_header(src) + text, verify_written(out, facility))
    except NotWritten as exc:
        print(f"twin import: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"twin import: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    f = facility
    print(
        f"wrote {out}: {len(f.hall_ids)} hall(s), {len(f.row_ids)} row(s), {f.n_racks} racks, "
        f"{f.n_gpus} GPUs, {len(f.power_ids)} power device(s), "
        f"{f.rack_power_w.sum() / 1e3:.1f} kW design load"
    )
    return 0
