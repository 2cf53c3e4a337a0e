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
    """The node tree (with line marks), built by libyaml when present: a 20 MB layout's error
    is placed in seconds, not minutes."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(text: str, loc: tuple) -> int | None:
    """1-based line of the deepest node of ``loc`` that exists in ``text``."""
    return lines_of(text, [loc])[0]


def lines_of(text: str, locs: list[tuple]) -> list[int | None]:
    """Lines for many paths in one pass over libyaml's parse events (no node tree: a 20 MB
    layout's error is placed in seconds, not minutes). For each path, the line of the deepest
    part that exists: a mapping value's key, or a sequence item's first line."""
    prefixes: set[tuple] = {loc[:k] for loc in locs for k in range(len(loc) + 1)}
    found: dict[tuple, int] = {}
    stack: list[list] = []  # [is_mapping, path, next key or index, key line]
    try:
        for ev in yaml.parse(text, Loader=_Loader):
            if isinstance(ev, (yaml.StreamStartEvent, yaml.DocumentStartEvent)):
                continue
            if isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
                _advance(stack)
                continue
            if isinstance(ev, (yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                break
            line = ev.start_mark.line + 1
            if not stack:
                path: tuple = ()
            else:
                top = stack[-1]
                if top[0] and top[2] is _KEY:  # a mapping key: remember it, no node yet
                    top[2] = getattr(ev, "value", None)
                    top[3] = line
                    if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                        stack.append([isinstance(ev, yaml.MappingStartEvent), None, _SKIP, 0])
                    continue
                path = (*top[1], top[2]) if top[1] is not None else None
                if top[0] and path is not None:
                    line = top[3]
            if path is not None and path in prefixes and path not in found:
                found[path] = line
            if isinstance(ev, yaml.MappingStartEvent):
                stack.append([True, path if path in prefixes else None, _KEY, 0])
            elif isinstance(ev, yaml.SequenceStartEvent):
                stack.append([False, path if path in prefixes else None, 0, 0])
            else:
                _advance(stack)
    except (yaml.YAMLError, RecursionError):
        return [None] * len(locs)
    out: list[int | None] = []
    for loc in locs:
        line = None
        for k in range(len(loc), -1, -1):
            if loc[:k] in found:
                line = found[loc[:k]]
                break
        out.append(line)
    return out


_KEY = object()  # a mapping waits for its next key
_SKIP = object()  # a complex (non-scalar) key: nothing below it is a path


def _advance(stack: list[list]) -> None:
    """After a node: a mapping waits for its next key, a sequence counts to its next item."""
    if not stack:
        return
    top = stack[-1]
    if top[0]:
        top[2] = _KEY
    elif isinstance(top[2], int):
        top[2] += 1
