"""``twin plugins``: every installed plugin with its group, version and status; ``--check``
imports each one, in a child process (``twin.plugin_check``), to find the broken ones, even
one whose import ends or crashes its process (Help › Plugins shows the same table)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plugins",
        help="list installed plugins (sources, importers, exporters, colour modes, commands)",
    )
    p.add_argument("--check", action="store_true", help="import every plugin and report errors")
    p.add_argument("--json", action="store_true", help="one JSON object per plugin")
    p.add_argument("--verbose", action="store_true", help="with --check: each failure's traceback")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from twin import plugin_check, plugins
    from twin.commands import NAMES as COMMANDS

    reg = plugins.registry
    if args.check:  # each plugin imported in a child process: one may end it
        note = plugin_check.check(reg)
        if note:
            print(f"twin plugins: {note}", file=sys.stderr)
    rows = reg.infos()
    for i in rows:  # listed, even loaded, but the command line never reaches it
        if i.group == plugins.COMMANDS and i.name in COMMANDS and i.distribution != "twin":
            i.status = plugins.FAILED
            i.error = f"shadowed: Twin's own {i.name!r} command runs instead; rename it"
    if args.json:
        for i in rows:
            print(
                json.dumps(
                    {
                        "name": i.name,
                        "group": i.group,
                        "value": i.value,
                        "distribution": i.distribution,
                        "version": i.version,
                        "status": i.status,
                        "error": i.error,
                    }
                )
            )
    else:
        print(f"{'group':<18} {'name':<16} {'package':<16} {'version':<9} status")
        for i in rows:
            status = i.status + (f": {i.error}" if i.error else "")
            print(f"{i.group:<18} {i.name:<16} {i.distribution:<16} {i.version:<9} {status}")
            if args.verbose and i.details:
                print("    " + i.details.rstrip().replace("\n", "\n    "))
    for problem in reg.discovery_errors:
        print(f"metadata problem: {problem}")
    failed = [i for i in rows if i.status == plugins.FAILED]
    return 1 if args.check and failed else 0
