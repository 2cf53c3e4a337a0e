"""Edits of a layout's text at the level of its YAML tokens: a changed value inside a flow
mapping (``{id: TILES, ..., supply_c: 18.0}``), a flow list or a plain scalar is replaced where
it stands, and nothing else on its lines moves.

Why: re-rendering a changed item through ruamel.yaml re-flows it, so an item the author
wrapped over two lines came back as one 130-character line, and the author's number formats
(``2`` for ``2.0``) could change. A token edit replaces only the characters of the values
that changed, keeps a trailing comment at its column where there is room (as ruamel does),
and follows the rules of the whole-tree writer (``save._sync_model``) for keys: a key the
model no longer writes, or a value cleared to its default of None, is removed, a new key is
added only when its value is not the default.

A token edit is ``((line, col), (line, col), text)`` on the source's lines (PyYAML's marks);
``token_edit`` turns the edits of one item into one line edit for the splicer.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel

_COMMENT_GAP = re.compile(r"(\s+)#")


class Unsplicable(Exception):
    """The text cannot be edited in place; the caller writes the whole tree instead."""


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def same_scalar(node: Any, value: Any) -> bool:
    if isinstance(value, bool) or isinstance(node, bool):
        return isinstance(node, bool) and isinstance(value, bool) and node == value
    if value is None or node is None:
        return node is None and value is None
    if isinstance(value, str) != isinstance(node, str):
        return False
    return node == value


def written(model: BaseModel, name: str) -> bool:
    """Whether a field belongs in the file: set explicitly, or (lists filled in place by edits
    leave no mark) different from its default."""
    if name in model.model_fields_set:
        return True
    info = type(model).model_fields[name]
    return info.is_required() or getattr(model, name) != info.get_default(call_default_factory=True)


def at_default(model: BaseModel, name: str) -> bool:
    """An optional field holding its default: set by an edit, it stays out of the file."""
    info = type(model).model_fields[name]
    default = info.get_default(call_default_factory=True)
    return not info.is_required() and getattr(model, name) == default


def key_goes(model: BaseModel, name: str, raw: Any) -> bool:
    """Whether a key the file has (holding ``raw``) leaves it: reset to its default, or
    cleared to a default of None where the file said something else (a label set, then
    cleared: ``label: null`` would be noise; an author's own ``null`` stays)."""
    if not written(model, name):
        return True
    return raw is not None and getattr(model, name) is None and at_default(model, name)


def known_fields(model: BaseModel, raw: dict) -> dict:
    """The model's fields, where every key the file wrote is one of them; else
    ``Unsplicable`` (a key the model does not know: the whole-tree writer drops it)."""
    fields = type(model).model_fields
    if any(k not in fields for k in raw):
        raise Unsplicable
    return fields


def same(raw: Any, value: Any) -> bool:
    """Whether plain data read from the file already says what the model value says."""
    if isinstance(value, BaseModel):
        if not isinstance(raw, dict):
            return False
        fields = type(value).model_fields
        if any(k not in fields for k in raw):
            return False
        for name in fields:
            v = getattr(value, name)
            if name in raw:
                if not same(raw[name], v):
                    return False
            elif written(value, name):
                return False
        return True
    if isinstance(value, (list, tuple)):
        return (
            isinstance(raw, list)
            and len(raw) == len(value)
            and all(same(a, b) for a, b in zip(raw, value, strict=True))
        )
    if isinstance(value, dict):
        return (
            isinstance(raw, dict)
            and raw.keys() == value.keys()
            and all(same(raw[k], value[k]) for k in raw)
        )
    return same_scalar(raw, value)


def inline(value: Any) -> str:
    """``value`` as YAML on one line, e.g. ``19.0``, ``[2.1, 1.7]``, ``{power_kw: 15}``."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        value = {n: getattr(value, n) for n in fields if written(value, n)}
    if isinstance(value, dict):
        return "{" + ", ".join(f"{inline(k)}: {inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if not is_scalar(value):
        raise Unsplicable
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30, allow_unicode=True)
    text = text.removesuffix("\n").removesuffix("\n...")
    if "\n" in text:
        raise Unsplicable
    return text


def _mark(m: Any) -> tuple[int, int]:
    return (m.line, m.column)


def own(node: Any, after: Any) -> Any:
    """``node`` if its text stands after ``after`` (its key's or the item before it's end
    mark); an alias (``*std``) is composed as the anchored node, whose text stands earlier
    and is shared: editing it there would change every item that uses it."""
    if (node.start_mark.line, node.start_mark.column) < (after.line, after.column):
        raise Unsplicable
    return node


def value_tokens(node: Any, raw: Any, value: Any, after: Any = None) -> list:
    """Token edits that make ``node`` (read as ``raw``) say ``value``: inside flow
    collections only the parts that changed; a plain or quoted scalar replaced whole.
    ``after``: the end mark of the node's key (see ``own``)."""
    if after is not None:
        own(node, after)
    if isinstance(node, yaml.MappingNode) and node.flow_style and isinstance(raw, dict):
        if isinstance(value, BaseModel):
            return model_tokens(node, raw, value)
        if isinstance(value, dict) and raw.keys() == value.keys():
            kids = {k.value: (k, v) for k, v in node.value}
            return [t for k in raw if not same(raw[k], value[k]) for t in
                    value_tokens(kids[k][1], raw[k], value[k], kids[k][0].end_mark)]  # fmt: skip
    if isinstance(node, yaml.SequenceNode) and node.flow_style and isinstance(raw, list):
        if isinstance(value, (list, tuple)):
            return _list_tokens(node, raw, list(value))
    scalar = isinstance(node, yaml.ScalarNode) and node.style in (None, "", "'", '"')
    flow = getattr(node, "flow_style", False)
    if not (scalar or flow) or node.start_mark.line != node.end_mark.line:
        raise Unsplicable
    return [(_mark(node.start_mark), _mark(node.end_mark), inline(value))]


def _list_tokens(node: Any, raw: list, value: list) -> list:
    """A flow list: its common items edited in place, items past the new end removed,
    new ones added before the closing bracket."""
    items, n = node.value, min(len(raw), len(value))
    ends = [node.start_mark] + [item.end_mark for item in items]
    out = [t for i in range(n) if not same(raw[i], value[i])
           for t in value_tokens(items[i], raw[i], value[i], ends[i])]  # fmt: skip
    if len(value) < len(raw):
        if n == 0:  # all gone: keep the brackets
            out.append((_mark(node.start_mark), _mark(node.end_mark), "[]"))
        else:
            out.append((_mark(items[n - 1].end_mark), _mark(items[-1].end_mark), ""))
    elif len(value) > len(raw):
        close = (node.end_mark.line, node.end_mark.column - 1)
        extra = ", ".join(inline(v) for v in value[n:])
        out.append((close, close, (", " if n else "") + extra))
    return out


def model_tokens(node: Any, raw: dict, model: BaseModel) -> list:
    """Token edits that make a flow mapping say what ``model`` says, by the whole-tree
    writer's rules for keys (see the module docstring)."""
    if not isinstance(node, yaml.MappingNode):
        raise Unsplicable
    fields = known_fields(model, raw)
    pairs = node.value
    gone = {i for i, (key, _val) in enumerate(pairs) if key_goes(model, key.value, raw[key.value])}
    out: list = _removals(node, gone)
    kept = len(pairs) > len(gone)
    for name in fields:
        value = getattr(model, name)
        if not written(model, name) or (name in raw and key_goes(model, name, raw[name])):
            continue
        if name in raw:
            if not same(raw[name], value):
                key, val = next((k, v) for k, v in pairs if k.value == name)
                out += value_tokens(val, raw[name], value, key.end_mark)
        elif not at_default(model, name):
            close = (node.end_mark.line, node.end_mark.column - 1)
            sep = ", " if kept else ""
            out.append((close, close, f"{sep}{name}: {inline(value)}"))
    return out


def _removals(node: Any, gone: set[int]) -> list:
    """Token edits that remove the keys ``gone`` of a flow mapping with their separators: a
    key after another goes with the separator before it; leading keys go with the separator
    after them, up to the first key that stays (or all of them, where none stays)."""
    pairs = node.value
    kept = [i for i in range(len(pairs)) if i not in gone]
    out = []
    lead = kept[0] if kept else len(pairs)
    if lead > 0:
        end = pairs[lead][0].start_mark if kept else pairs[-1][1].end_mark
        out.append((_mark(pairs[0][0].start_mark), _mark(end), ""))
    for i in sorted(gone):
        if i > lead:
            out.append((_mark(pairs[i - 1][1].end_mark), _mark(pairs[i][1].end_mark), ""))
    return out


def token_edit(lines: list[str], tokens: list) -> tuple[int, int, list[str]]:
    """One line edit (first line, end line, new lines) applying token edits, which must not
    overlap, to the lines they touch; a comment after the last edit on a line keeps its
    column where the line leaves room for it."""
    first = min(t[0][0] for t in tokens)
    last = max(t[1][0] for t in tokens)
    if last >= len(lines):
        raise Unsplicable
    tokens = tokens + _comment_shifts(lines, tokens)
    starts = [0]
    for line in lines[first : last + 1]:
        starts.append(starts[-1] + len(line))
    text = "".join(lines[first : last + 1])
    spans = sorted(
        ((starts[s[0] - first] + s[1], starts[e[0] - first] + e[1], t) for s, e, t in tokens),
        reverse=True,
    )
    bound = len(text)
    for a, b, t in spans:
        if b > bound or a > b:
            raise Unsplicable  # overlapping edits
        if "\n" in text[a:b] and "#" in text[a:b]:
            raise Unsplicable  # a removal across lines would take a comment with it
        text = text[:a] + t + text[b:]
        bound = a
    return first, last + 1, text.splitlines(keepends=True)


def _comment_shifts(lines: list[str], tokens: list) -> list:
    """Token edits of the blanks before a trailing comment, so that it keeps its column."""
    out = []
    for row in sorted({s[0] for s, e, _ in tokens if s[0] == e[0]}):
        mine = [(s[1], e[1], t) for s, e, t in tokens if s[0] == e[0] == row]
        if any(s[0] == row != e[0] or e[0] == row != s[0] for s, e, _ in tokens):
            continue
        end = max(b for _, b, _ in mine)
        gap = _COMMENT_GAP.search(lines[row], end)
        if gap is None:
            continue
        grown = sum(len(t) - (b - a) for a, b, t in mine)
        blanks = max(1, len(gap.group(1)) - grown)
        out.append(((row, gap.start(1)), (row, gap.end(1)), " " * blanks))
    return out
