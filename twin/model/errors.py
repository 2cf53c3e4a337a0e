"""The one error type the loader raises, with file, line and field for every problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a layout: where (file, line, field path) and what."""

    message: str
    field: str = ""
    line: int | None = None
    file: str | None = None
    severity: str = "error"  # "error" refuses the layout; "warning" is shown but loads

    def __str__(self) -> str:
        where = self.file or "<layout>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class LayoutError(Exception):
    """A layout could not be loaded; nothing of it was kept. ``problems`` says why, each with
    its file, line and field."""

    def __init__(self, problems: list[Problem], path: str | Path | None = None):
        self.problems = problems
        self.path = str(path) if path is not None else None
        head = f"{len(problems)} problem(s) in {self.path or 'layout'}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in problems))


def field_path(loc: tuple) -> str:
    """``('rows', 0, 'racks', 3, 'position_m')`` -> ``rows[0].racks[3].position_m``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class EditError(ValueError):
    """An edit was refused (unknown id, bad value, broken reference); the document is unchanged."""
