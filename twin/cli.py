"""The ``twin`` command. Each subcommand lives in ``twin/commands/<name>.py`` with a cheap
``register(subparsers)`` (no heavy imports at module level) so ``twin --help`` stays instant."""

from __future__ import annotations

import argparse
import importlib
import sys

from twin import __version__

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "run",
    "render",
    "validate",
    "schema",
    "generate",
    "thermal",
    "energy",
    "simulate",
    "info",
    "record",
    "bench",
    "cfd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twin", description="Desktop digital twin of an AI factory."
    )
    parser.add_argument("--version", action="version", version=f"twin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"twin.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"twin.commands.{name}":
                continue  # not built yet in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
