"""The nodes of a YAML document that stand at more than one place.

A YAML alias (``load: *std``) or merge key (``<<: *r``) is loaded as the anchored node itself,
the same Python object at every place that names it. A save that changed such a node in place
would change every place at once; the whole-tree writer uses these helpers to give only the
place that changed its own copy, and the splice to leave a file with aliases to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _met_twice(root: Any, children: Callable[[Any], Iterable | None]) -> frozenset[int]:
    """``id()`` of every node reached at more than one place under ``root``; ``children``
    gives a node's children, or None for what is not counted."""
    seen: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        kids = children(node)
        if kids is None:
            continue
        seen[id(node)] = seen.get(id(node), 0) + 1
        if seen[id(node)] == 1:  # its children once: an alias adds its place, not theirs
            stack.extend(kids)
    return frozenset(k for k, n in seen.items() if n > 1)


def _tree_children(node: Any) -> Iterable | None:
    if isinstance(node, CommentedMap):
        return node.values()
    return node if isinstance(node, CommentedSeq) else None


def _composed_children(node: Any) -> Iterable:
    """Every composed node counts, scalars too (``description: *n``)."""
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else ()


def shared_nodes(root: Any) -> frozenset[int]:
    """``id()`` of every mapping or list of a ruamel.yaml round-trip tree reached at more than
    one place under ``root`` (a merged mapping's values count at the merging place too)."""
    return _met_twice(root, _tree_children)


def has_aliases(root: yaml.Node) -> bool:
    """Whether a composed document (PyYAML's nodes) uses an alias or merge key: the composer
    puts the anchored node itself at each place that names it."""
    return bool(_met_twice(root, _composed_children))


def plain(node: Any) -> Any:
    """The data a node holds (dicts, lists and scalars), to compare two nodes by value."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
