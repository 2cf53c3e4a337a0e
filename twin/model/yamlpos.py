"""YAML loading that can say on which line each field stands.

The fast path (``load_fast``) uses PyYAML's C safe loader; only when something is wrong do we
re-compose the text to find line numbers (``line_of``), so big layouts load at full speed.
"""

from __future__ import annotations

from typing import Any

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


def load_fast(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - safe loader


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def line_of(text: str, loc: tuple) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in ``text``."""
    return lines_of(text, [loc])[0]


def lines_of(text: str, locs: list[tuple]) -> list[int | None]:
    """Lines for many paths with one compose."""
    node = _compose(text)
    if node is None:
        return [None] * len(locs)
    out = []
    for loc in locs:
        cur = node
        line = cur.start_mark.line + 1
        for part in loc:
            nxt = None
            if isinstance(cur, yaml.MappingNode) and isinstance(part, str):
                for key, value in cur.value:
                    if getattr(key, "value", None) == part:
                        nxt, line = value, key.start_mark.line + 1
                        break
            elif isinstance(cur, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(cur.value):
                    nxt = cur.value[part]
                    line = nxt.start_mark.line + 1
            if nxt is None:
                break
            cur = nxt
        out.append(line)
    return out
