"""YAML loading that can say on which line each field stands.

The fast path (``load_fast``) uses PyYAML's C safe loader; only when something is wrong do we
re-compose the text to find line numbers (``line_of``), so big layouts load at full speed.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

try:
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Base = yaml.SafeLoader

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
#: Numbers YAML 1.1 (PyYAML) and YAML 1.2 read differently: an integer with a leading zero
#: (``045``: octal 37 in 1.1, 45 in 1.2) and base 60 (``1:20``: 80 in 1.1, a string in 1.2).
#: A layout that means 45 degrees and gets 37 is wrong without a word, so they are refused.
_OCTAL = re.compile(r"[-+]?0[0-9_]+$")
#: Longest integer read (Python refuses to convert past 4,300 digits anyway).
MAX_INT_DIGITS = 400


def check_number(tag: str, value: str) -> None:
    """Refuse a plain number whose value depends on the YAML version, or too long to read
    (``yaml.constructor.ConstructorError``; the caller adds where it stands)."""
    if tag == _INT and len(value) > MAX_INT_DIGITS:
        problem = f"an integer of {len(value):,} digits is too long to be a number"
    elif ":" in value or (tag == _INT and _OCTAL.match(value) and value.strip("-+0_")):
        meaning = "base 60" if ":" in value else "octal"
        problem = (
            f"{value!r} is read as {meaning} by YAML 1.1 and otherwise by YAML 1.2: write the "
            "number without a leading zero or colons (or quote it, for text)"
        )
    else:
        return
    raise yaml.constructor.ConstructorError(None, None, problem, None)


class _Loader(_Base):
    """PyYAML's safe loader, strict where YAML 1.1 surprises: numbers whose value depends on
    the YAML version (``check_number``) and a key given twice in one mapping (PyYAML keeps
    the last without a word) are errors with their line."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return self._number(node, super().construct_yaml_int)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        return self._number(node, super().construct_yaml_float)

    def _number(self, node: yaml.ScalarNode, construct) -> Any:
        try:
            check_number(node.tag, node.value)
        except yaml.constructor.ConstructorError as exc:
            exc.problem_mark = node.start_mark
            raise
        return construct(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key_node.value!r} given twice in one mapping (first on line "
                        f"{seen[key_node.value]})",
                        key_node.start_mark,
                    )
                seen[key_node.value] = line
        return super().construct_mapping(node, deep)


_MERGE = "tag:yaml.org,2002:merge"
_Loader.add_constructor(_INT, _Loader.construct_yaml_int)
_Loader.add_constructor(_FLOAT, _Loader.construct_yaml_float)


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


# ---------------------------------------------------------------------------------------------
# One pass over libyaml's events that builds the data and remembers every line: PyYAML's own
# constructor spends its time in Python per node (resolver, node objects, generic dispatch);
# here a scalar costs one resolution (cached per text) and an append.


class Fallback(Exception):
    """The text uses YAML beyond the lean path (aliases, tags, merge keys, complex keys, more or
    fewer than one document): PyYAML's own constructor loads it instead."""


class Lines:
    """Where each field of loaded data stands: per mapping the line of each key (in order), per
    sequence the first line of each item; answers as ``lines_of`` without reading the text
    again."""

    def __init__(self, data: Any, root_line: int, owned: list[tuple[Any, list[int]]]) -> None:
        #: (container, its lines) for every mapping and sequence of ``data``, in text order;
        #: kept as pairs (not by ``id``) so that they survive pickling with the data
        self.data, self.root_line, self.owned = data, root_line, owned
        self._by_id_made: dict[int, list[int]] | None = None
        self._key_index: dict[int, dict] = {}

    @property
    def _by_id(self) -> dict[int, list[int]]:
        """Lines by container ``id``, made on the first question: most loads never ask."""
        if self._by_id_made is None:
            self._by_id_made = {id(c): lines for c, lines in self.owned}
        return self._by_id_made

    def line_of(self, loc: tuple) -> int:
        """1-based line of the deepest part of ``loc`` that exists."""
        node, line = self.data, self.root_line
        for part in loc:
            if isinstance(node, dict):
                try:
                    if part not in node:
                        break
                except TypeError:  # an unhashable part names nothing in a mapping
                    break
                index = self._key_index.get(id(node))
                if index is None:
                    index = self._key_index[id(node)] = {k: i for i, k in enumerate(node)}
                line = self._by_id[id(node)][index[part]]
            elif isinstance(node, list) and type(part) is int and 0 <= part < len(node):
                line = self._by_id[id(node)][part]
            else:
                break
            node = node[part]
        return line

    def lines_of(self, locs: list[tuple]) -> list[int | None]:
        return [self.line_of(loc) for loc in locs]


_RESOLVERS = _Loader.yaml_implicit_resolvers  # the safe loader's own table
_STR = "tag:yaml.org,2002:str"
_SLOW_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp"}


class _Scalars:
    """Plain scalars resolved and constructed exactly as PyYAML's safe loader does (its own
    resolver table and constructors), cached per value; the common int and float forms
    directly."""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}
        self.constructor = yaml.constructor.SafeConstructor()

    def plain(self, value: str, mark=None) -> Any:
        """``value``'s data (``mark``: where it stands, for the error of a refused number)."""
        tag = _STR
        for t, regexp in (*_RESOLVERS.get(value[:1], ()), *_RESOLVERS.get(None, ())):
            if regexp.match(value):
                tag = t
                break
        if tag == _STR:
            out: Any = value
        elif (
            tag == _INT
            and value.isascii()
            and value.isdigit()
            and (value[0] != "0" or value == "0")
            and len(value) <= MAX_INT_DIGITS
        ):
            out = int(value)
        elif tag == "tag:yaml.org,2002:float" and "_" not in value and ":" not in value:
            try:
                out = float(value)
            except ValueError:  # .inf, .nan and their spellings
                out = self.slow(tag, value)
        elif tag in _SLOW_TAGS or tag.endswith((":int", ":float")):
            out = self.slow(tag, value, mark)
        else:  # merge keys (<<), '=', '!': PyYAML's rules or errors
            raise Fallback(tag)
        self.cache[value] = out
        return out

    def slow(self, tag: str, value: str, mark=None) -> Any:
        if tag in (_INT, _FLOAT):
            try:
                check_number(tag, value)
            except yaml.constructor.ConstructorError as exc:
                exc.problem_mark = mark  # where it stands: the lean path's event mark
                raise
        node = yaml.ScalarNode(tag, value)
        return self.constructor.yaml_constructors[tag](self.constructor, node)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of containers are made: each collection
    walks them all, so a 20 MB layout spends more time collecting than loading. Loaded data
    holds no cycles; whatever becomes garbage is freed by reference counting as before."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_with_lines(text: str) -> tuple[Any, Lines, int]:
    """The data of a one-document YAML text (as ``load_fast``), where each field stands, and
    how many values it holds (keys, scalars, collections: what ``count_nodes`` counts).

    Raises ``yaml.YAMLError`` for bad YAML and ``Fallback`` for YAML beyond this path.
    """
    parser = _Loader(text)
    try:
        get_event = parser.get_event
        if type(get_event()) is not yaml.StreamStartEvent:
            raise Fallback("stream")
        if type(get_event()) is not yaml.DocumentStartEvent:
            raise Fallback("no document")
        out = _build(get_event, _Scalars())
        if type(get_event()) is not yaml.StreamEndEvent:
            raise Fallback("several documents")
        return out
    finally:
        parser.dispose()


def _build(get_event, scalars: _Scalars) -> tuple[Any, Lines, int]:  # noqa: C901
    """One document's events up to its end, into data (one loop in one frame: a call per
    event would double its cost). The root goes into a one-item list so that every node has a
    parent; ``stack`` holds the open collections below the top one; anchors alone change
    nothing, and an alias (which would need one) falls back."""
    Scalar, MapStart, SeqStart = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    MapEnd, SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
    cache, plain = scalars.cache, scalars.plain
    owned: list[tuple[Any, list[int]]] = []
    nodes = 0
    holder, holder_lines = [], []  # type: ignore[var-annotated]
    stack: list[tuple[Any, list[int], bool]] = []  # (container, its lines, is a mapping)
    top, lines, is_map = holder, holder_lines, False
    key: Any = _KEY  # the key of the top mapping's next value, or none yet
    while True:
        ev = get_event()
        kind = type(ev)
        if kind is Scalar:
            if ev.tag is not None:
                raise Fallback("tag")
            value = ev.value
            node = cache.get(value, _KEY) if ev.implicit[0] else value  # quoted: a string
            if node is _KEY:
                node = plain(value, ev.start_mark)
            nodes += 1
            if not is_map:
                top.append(node)
                lines.append(ev.start_mark.line + 1)
            elif key is _KEY:  # every scalar PyYAML makes is hashable
                key = node
                lines.append(ev.start_mark.line + 1)
            else:
                top[key] = node
                key = _KEY
        elif kind is MapStart or kind is SeqStart:
            if ev.tag is not None:
                raise Fallback("tag")
            nodes += 1
            new: Any = {} if kind is MapStart else []
            if not is_map:
                top.append(new)
                lines.append(ev.start_mark.line + 1)
            elif key is _KEY:
                raise Fallback("complex key")
            else:
                top[key] = new
            stack.append((top, lines, is_map))
            top, lines, is_map, key = new, [], kind is MapStart, _KEY
            owned.append((new, lines))
        elif kind is MapEnd or kind is SeqEnd:
            if is_map and len(top) != len(lines):
                raise Fallback("duplicate key")  # which line a repeated key names: PyYAML's way
            top, lines, is_map = stack.pop()
            key = _KEY  # the parent mapping's value is done
        elif kind is yaml.DocumentEndEvent:
            break
        else:  # aliases
            raise Fallback(kind.__name__)
    root = holder[0] if holder else None
    return root, Lines(root, holder_lines[0] if holder_lines else 1, owned), nodes
