"""Checks of command-line option values, made before any work starts.

``type=float`` takes ``nan``, ``inf`` and ``1e308``, and ``type=int`` any size or sign: such a
value reached the solvers as a traceback deep in a solve, a check quietly switched off (every
comparison with NaN is false), a run of hours or an allocation of hundreds of GB. A command
checks its values here first and, on ``OptionError``, prints one line that names the option
and says what it takes (``twin energy: --cell must be ...``) and exits 2, as argparse does
for a value it cannot parse.
"""

from __future__ import annotations

import math
import sys


class OptionError(ValueError):
    """A bad option value; ``str()`` is one line naming the option and what it takes."""


def number(
    option: str,
    value: float | None,
    lo: float,
    hi: float,
    unit: str = "",
    *,
    lo_open: bool = False,
    why: str = "",
) -> float | None:
    """``value`` when it is a finite number from ``lo`` to ``hi`` (above ``lo`` with
    ``lo_open``; no upper end with ``hi`` infinite); None passes (an option not given).
    ``why`` follows the range in the message."""
    if value is None:
        return None
    above = lo < value if lo_open else lo <= value
    if math.isfinite(value) and above and value <= hi:
        return value
    unit = f" {unit}" if unit else ""
    if math.isinf(hi):
        span = f"above {lo:g}" if lo_open else f"at least {lo:g}"
    else:
        span = f"above {lo:g} and at most {hi:g}" if lo_open else f"from {lo:g} to {hi:g}"
    why = f" ({why})" if why else ""
    raise OptionError(f"{option} must be a number {span}{unit}{why}, not {value:g}")


def whole(option: str, value: int | None, lo: int, hi: int, why: str = "") -> int | None:
    """``value`` when it is a whole number from ``lo`` to ``hi``; None passes."""
    if value is None or lo <= value <= hi:
        return value
    why = f" ({why})" if why else ""
    raise OptionError(f"{option} must be a whole number from {lo:,} to {hi:,}{why}, not {value:,}")


def cell(option: str, value: float | None) -> float | None:
    """A grid cell size: the range the voxel grid is built at (``physics.cells``)."""
    from twin.physics.cells import MAX_CELL_M, MIN_CELL_M

    return number(option, value, MIN_CELL_M, MAX_CELL_M, "m", why="0.1-0.25 m is typical")


#: Worker processes a command may start: one per core is the most that helps, and no
#: workstation has this many; a mistyped 100000 would otherwise start a process per case.
MAX_WORKERS = 1024


def workers(option: str, value: int | None) -> int | None:
    """A count of worker processes (None: the command's default, one per core)."""
    return whole(option, value, 1, MAX_WORKERS)


def refuse(command: str, exc: BaseException | str, code: int = 2) -> int:
    """Print ``twin COMMAND: message`` on stderr and return ``code`` (2: a bad option)."""
    print(f"twin {command}: {exc}", file=sys.stderr)
    return code
