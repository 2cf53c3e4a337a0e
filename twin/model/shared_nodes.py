"""The nodes of a ruamel.yaml round-trip tree that stand at more than one place.

A YAML alias (``load: *std``) or merge key (``<<: *r``) is loaded as the anchored node itself,
the same Python object at every place that names it. A save that changed such a node in place
would change every place at once; the whole-tree writer uses these helpers to give only the
place that changed its own copy."""

from __future__ import annotations

from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq


def _children(node: Any) -> Any:
    return node.values() if isinstance(node, CommentedMap) else node


def shared_nodes(root: Any) -> frozenset[int]:
    """``id()`` of every mapping or list reached at more than one place under ``root`` (a
    merged mapping's values count at the merging place too)."""
    seen: dict[int, int] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, (CommentedMap, CommentedSeq)):
            continue
        seen[id(node)] = seen.get(id(node), 0) + 1
        if seen[id(node)] == 1:  # its children once: an alias adds its place, not theirs
            stack.extend(_children(node))
    return frozenset(k for k, n in seen.items() if n > 1)


def plain(node: Any) -> Any:
    """The data a node holds (dicts, lists and scalars), to compare two nodes by value."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def has_aliases(root: yaml.Node) -> bool:
    """Whether a composed document (PyYAML's nodes) uses an alias or merge key: the composer
    puts the anchored node itself at each place that names it."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False
