"""Subcommands of the ``twin`` command, one module each (see ``twin.cli``)."""

#: Subcommand modules, in the order ``--help`` lists them (``twin.cli.COMMANDS``; a plugin
#: command of one of these names is shadowed by it).
NAMES = (
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
    "whatif",
    "report",
    "bench",
    "cfd",
    "import",
    "export",
    "plugins",
)
