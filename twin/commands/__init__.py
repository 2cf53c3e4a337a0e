"""Subcommands of the ``twin`` command, one module each (see ``twin.cli``)."""
