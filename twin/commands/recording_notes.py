"""What a command says of a recording it reads past damage in (a table cut short after the
file was closed, events that could not be read): its figures then cover less than the file
claims, and the user must know before trusting them."""

from __future__ import annotations

import sys


def warn_damage(rec, command: str) -> None:
    """Print ``rec``'s reading notes (``Recording.warnings``) on stderr, one line each."""
    for note in rec.warnings:
        print(f"twin {command}: warning: {rec.path}: {note}", file=sys.stderr)
