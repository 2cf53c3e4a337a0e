"""Saving a layout document: round-trip YAML, written atomically, verified before it replaces
anything.

Why round-trip: a layout is a file people write and comment by hand. Dumping the pydantic model
would drop their comments, ordering and number formats. Instead the document's ``Layout`` is
synced into a ruamel.yaml round-trip tree of the text it was read from: untouched items keep
their text exactly, changed values are replaced in place, items are matched by id so moved,
added and deleted ones carry their comments with them, and keys the author did not write stay
out when their value is the default.

Why verified: after writing the temp file, it is read back through the loader and compared with
the document's ``Layout``; only if it is equal (nothing silently dropped or changed) does
``os.replace`` put it in place. A crash at any point leaves either the old file or the new one.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from twin.model.errors import LayoutError, Problem
from twin.model.loader import facility_from_text
from twin.model.schema import Layout

if TYPE_CHECKING:
    from twin.model.document import LayoutDocument


class SaveError(Exception):
    """The layout was not saved (the file on disk is unchanged); ``problems`` says why."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        detail = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(message + detail)


_OPENER = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")  # "key:" opening a block
_KEY = re.compile(r"^( *)[^\s#-][^#]*:")
_DASH = re.compile(r"^( *)- ")


def guess_indent(text: str | None) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation the author used, read off the first block
    mapping and block sequence in the text; (2, 2, 0) when there is none."""
    mapping, offset = None, None
    prev = None
    for line in (text or "").splitlines()[:2000]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if prev is not None:
            base = len(prev.group(1))
            if offset is None and (d := _DASH.match(line)) and len(d.group(1)) >= base:
                offset = len(d.group(1)) - base
            elif mapping is None and (k := _KEY.match(line)) and len(k.group(1)) > base:
                mapping = len(k.group(1)) - base
        if mapping is not None and offset is not None:
            break
        prev = _OPENER.match(line)
    mapping = mapping or 2
    offset = offset or 0
    return mapping, offset + 2, offset


def _yaml(text: str | None = None) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never fold long strings the author kept on one line
    mapping, sequence, offset = guess_indent(text)
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


# ---------------------------------------------------------------------- syncing the tree
def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _same_scalar(node: Any, value: Any) -> bool:
    if isinstance(value, bool) or isinstance(node, bool):
        return isinstance(node, bool) and isinstance(value, bool) and node == value
    if value is None or node is None:
        return node is None and value is None
    if isinstance(value, str) != isinstance(node, str):
        return False
    return node == value


def _new_node(value: Any, flow: bool, like: Any = None) -> Any:
    """A fresh YAML node for a value nobody wrote yet, styled like ``like`` (a sibling item)
    where there is one: flow maps and lists where the author used them."""
    if isinstance(value, BaseModel):
        value = {n: getattr(value, n) for n in type(value).model_fields if _written(value, n)}
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            sub = like.get(k) if isinstance(like, CommentedMap) else None
            m[k] = _new_node(v, flow or _flow(sub), sub)
        if flow or _flow(like):
            m.fa.set_flow_style()
        return m
    if isinstance(value, (list, tuple)):
        sub = like[0] if isinstance(like, CommentedSeq) and len(like) else None
        s = CommentedSeq(_new_node(v, flow, sub) for v in value)
        if flow or _flow(like) or all(_is_scalar(v) for v in value):
            s.fa.set_flow_style()
        return s
    return value


def _flow(node: Any) -> bool:
    return bool(getattr(getattr(node, "fa", None), "flow_style", lambda: False)())


def _sync(node: Any, value: Any) -> Any:
    """``node`` updated to hold ``value``; the same object where it can be kept."""
    if isinstance(value, BaseModel):
        if not isinstance(node, CommentedMap):
            return _new_node(value, False)
        _sync_model(node, value)
        return node
    if isinstance(value, (list, tuple)):
        if not isinstance(node, CommentedSeq):
            return _new_node(value, False)
        _sync_seq(node, list(value))
        return node
    if isinstance(value, dict):
        if not isinstance(node, CommentedMap):
            return _new_node(value, False)
        for key in [k for k in node if k not in value]:
            del node[key]
        for key, v in value.items():
            new = _sync(node[key], v) if key in node else _new_node(v, _flow(node))
            if key not in node or new is not node[key]:
                node[key] = new
        return node
    return node if _same_scalar(node, value) else value


def _written(model: BaseModel, name: str) -> bool:
    """Whether a field belongs in the file: set explicitly, or (lists filled in place by edits
    leave no mark) different from its default."""
    if name in model.model_fields_set:
        return True
    info = type(model).model_fields[name]
    return info.is_required() or getattr(model, name) != info.get_default(call_default_factory=True)


def _sync_model(node: CommentedMap, model: BaseModel) -> None:
    fields = type(model).model_fields
    for key in [k for k in node if k not in fields or not _written(model, k)]:
        del node[key]  # unknown to the model, or reset: its default applies
    for name, info in fields.items():
        if not _written(model, name):
            continue
        value = getattr(model, name)
        if name in node:
            new = _sync(node[name], value)
            if new is not node[name]:
                node[name] = new
        elif not info.is_required() and value == info.get_default(call_default_factory=True):
            continue  # set by an edit to its default: keep the author's text minimal
        else:
            node[name] = _new_node(value, _flow(node))


def _item_id(node: Any) -> Any:
    return node.get("id") if isinstance(node, CommentedMap) else None


def _sync_seq(node: CommentedSeq, values: list) -> None:
    by_id = all(isinstance(v, BaseModel) and hasattr(v, "id") for v in values) and values
    flow_items = any(_flow(n) for n in node)
    if not by_id:
        for i, v in enumerate(values[: len(node)]):
            new = _sync(node[i], v)
            if new is not node[i]:
                node[i] = new
        for _ in range(len(node) - len(values)):
            del node[len(values)]
        for v in values[len(node) :]:
            node.append(_new_node(v, flow_items, node[-1] if len(node) else None))
        return
    wanted = [v.id for v in values]
    keep = set(wanted)
    for i in range(len(node) - 1, -1, -1):
        if _item_id(node[i]) not in keep:
            del node[i]
    for i, v in enumerate(values):
        if i < len(node) and _item_id(node[i]) == v.id:
            _sync_at(node, i, v)
            continue
        found = next((k for k in range(i + 1, len(node)) if _item_id(node[k]) == v.id), None)
        if found is not None:
            item = node.pop(found)
            node.insert(i, item)
            _sync_at(node, i, v)
        else:
            like = node[i - 1] if i > 0 else (node[0] if len(node) else None)
            node.insert(i, _new_node(v, flow_items, like))


def _sync_at(node: CommentedSeq, i: int, value: Any) -> None:
    new = _sync(node[i], value)
    if new is not node[i]:
        node[i] = new


def roundtrip_text(doc: LayoutDocument) -> str:
    """The document as YAML text, keeping the comments and layout of the text it came from."""
    y = _yaml(doc.source_text)
    if doc.roundtrip_tree is None:
        tree = y.load(doc.source_text) if doc.source_text else None
        doc.roundtrip_tree = tree if isinstance(tree, CommentedMap) else CommentedMap()
    _sync_model(doc.roundtrip_tree, doc.layout)
    out = io.StringIO()
    y.dump(doc.roundtrip_tree, out)
    return out.getvalue()


# ---------------------------------------------------------------------- comparing
def layout_differences(a: Layout, b: Layout, limit: int = 10) -> list[str]:
    """Field paths where two layouts differ (empty when equal)."""
    out: list[str] = []

    def walk(x: Any, y: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, BaseModel) and type(x) is type(y):
            for name in type(x).model_fields:
                walk(getattr(x, name), getattr(y, name), f"{path}.{name}" if path else name)
        elif isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)):
            if len(x) != len(y):
                out.append(f"{path}: {len(x)} items vs {len(y)}")
                return
            for i, (p, q) in enumerate(zip(x, y, strict=True)):
                walk(p, q, f"{path}[{i}]")
        elif x != y:
            out.append(f"{path}: {x!r} vs {y!r}")

    walk(a, b, "")
    return out


# ---------------------------------------------------------------------- writing
def atomic_write(path: Path, text: str, verify=None) -> None:
    """Write ``text`` to a temp file beside ``path``, fsync it, run ``verify(temp_path)``
    (which raises to refuse), then ``os.replace`` it over ``path`` and fsync the folder."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if verify is not None:
            verify(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def save(doc: LayoutDocument, path: str | Path | None = None) -> Path:
    """Save (``path`` None) or Save As. Raises ``SaveError`` and leaves the file untouched if the
    text would not load back equal to the document (e.g. the loader refuses overlapping racks).
    On success the document is clean and its path is ``path``."""
    target = Path(path) if path is not None else doc.path
    if target is None:
        raise SaveError("the layout has no file yet: choose where to save it (Save As)")
    try:
        text = roundtrip_text(doc)
    except Exception as exc:  # a tree we cannot sync must not become a half-right file
        doc.roundtrip_tree = None
        raise SaveError(f"could not write the layout as YAML: {exc}") from exc

    def verify(tmp: Path) -> None:
        written = tmp.read_bytes().decode("utf-8")
        try:
            fac = facility_from_text(written, target, doc.base_catalog)
        except LayoutError as exc:
            raise SaveError(f"not saved: {target.name} would not load back", exc.problems) from None
        diffs = layout_differences(fac.layout, doc.layout)
        if diffs:
            raise SaveError(
                f"not saved: {target.name} would load back different from the document",
                [Problem(d, "", None, str(target)) for d in diffs],
            )

    try:
        atomic_write(target, text, verify)
    except OSError as exc:
        raise SaveError(f"could not write {target}: {exc.strerror or exc}") from None
    doc.source_text = text
    doc.set_path(target)
    doc.history.set_clean()
    return target
