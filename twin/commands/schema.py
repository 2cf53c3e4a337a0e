"""``twin schema``: the JSON Schema of the layout format, for editors and other tools."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the layout format's JSON Schema")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin.model.atomic import OutputError, check_target, write_text_atomic
    from twin.model.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.output:
        try:
            write_text_atomic(check_target(args.output), text)
        except OutputError as exc:  # a folder, a missing folder, a recording: named
            print(f"twin schema: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(
                f"twin schema: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr
            )
            return 1
    else:
        print(text, end="")
    return 0
