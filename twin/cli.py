"""The ``twin`` command. Each subcommand lives in ``twin/commands/<name>.py`` with a cheap
``register(subparsers)`` (no heavy imports at module level) so ``twin --help`` stays instant."""

from __future__ import annotations

import argparse
import importlib
import sys

from twin import __version__
from twin.commands import NAMES as COMMANDS  # the subcommands, in --help order
from twin.commands import interrupt


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
    _register_plugin_commands(sub)
    return parser


def _register_plugin_commands(sub: argparse._SubParsersAction) -> None:
    """``twin.commands`` plugins, listed by name without importing them: a plugin is imported
    only when its command runs, and one that fails says so without touching the others."""
    from twin import plugins

    taken = set(sub.choices)
    for info in plugins.infos(plugins.COMMANDS):
        if info.name in taken:
            continue
        p = sub.add_parser(
            info.name,
            help=f"[plugin {info.distribution} {info.version}]",
            add_help=False,
            prefix_chars="\0",  # every argument goes to the plugin's own parser
        )
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=lambda args, name=info.name: _run_plugin_command(name, args.rest))


def _run_plugin_command(name: str, argv: list[str]) -> int:
    from twin import plugins

    try:
        command = plugins.load(plugins.COMMANDS, name)
        parser = argparse.ArgumentParser(prog=f"twin {name}", description=command.help)
        command.register(parser)
    except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, never fatal
        if not isinstance(exc, plugins.PluginError):
            plugins.registry.record_failure(plugins.COMMANDS, name, exc)
        print(f"twin {name}: the plugin failed to load: {exc}", file=sys.stderr)
        return 1
    return int(command.run(parser.parse_args(argv)) or 0)


#: ``twin FILE`` with one of these opens it in the window (``twin run FILE``): what a file
#: manager does when it hands a double-clicked file to the program.
OPENABLE = (".yaml", ".yml", ".h5", ".hdf5")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 1 and argv[0].lower().endswith(OPENABLE) and not argv[0].startswith("-"):
        argv = ["run", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    # SIGTERM (kill, a service stopping) ends a command as Ctrl-C does, so its cleanup runs
    # (``twin simulate --force`` killed so left a 19 MB partial file beside the old one), and
    # neither is lost where Python drops an interrupt (``twin.commands.interrupt``); not for the
    # window, whose Qt loop handles its own shutdown
    restore = (lambda: None) if args.command == "run" else interrupt.install()
    try:
        code = int(args.func(args) or 0)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    finally:
        restore()
    recorder = sys.modules.get("twin.recording.recorder")  # not imported: nothing recorded
    if recorder is not None:  # a recording whose write failed: HDF5 would crash at exit
        recorder.end_past_failed_writes(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
