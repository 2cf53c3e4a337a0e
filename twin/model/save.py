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

import copy
import io
import re
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from twin.model.atomic import write_text_atomic as atomic_write
from twin.model.errors import LayoutError, Problem, field_path
from twin.model.loader import check_geometry, check_references, facility_from_text
from twin.model.schema import Layout
from twin.model.shared_nodes import has_aliases, plain, shared_nodes
from twin.model.splice_tokens import Unsplicable as _Unsplicable
from twin.model.splice_tokens import (
    at_default,
    key_goes,
    known_fields,
    model_tokens,
    token_edit,
    value_tokens,
)
from twin.model.splice_tokens import is_scalar as _is_scalar
from twin.model.splice_tokens import same as _same
from twin.model.splice_tokens import same_scalar as _same_scalar
from twin.model.splice_tokens import written as _written
from twin.model.yamlpos import load_fast

if TYPE_CHECKING:
    from twin.model.document import LayoutDocument


class SaveError(Exception):
    """The layout was not saved (the file on disk is unchanged); ``problems`` says why."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        detail = "".join(f"\n  {p}" for p in self.problems)
        super().__init__(message + detail)


try:
    _ComposeLoader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _ComposeLoader = yaml.SafeLoader

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


def _lf(text: str) -> str:
    """ruamel.yaml reads CRLF text but drops a blank line inside a block it re-writes, and
    keeps a CR in a comment: it is given LF text, and ``_endings_like`` puts the file's endings
    back on what it wrote."""
    return text.replace("\r\n", "\n")


# ---------------------------------------------------------------------- syncing the tree
_YAML11 = yaml.resolver.Resolver()  # how the loader (PyYAML: YAML 1.1) reads a plain scalar
_STR = "tag:yaml.org,2002:str"


def _text(value: Any) -> Any:
    """``value``, quoted where it is a string the loader would not read back as one: ruamel
    writes YAML 1.2, where ``12:00`` and ``no`` are text, and wrote them plain; PyYAML (YAML
    1.1) reads them as 720 and False, so the save was refused."""
    if isinstance(value, str) and _YAML11.resolve(yaml.ScalarNode, value, (True, False)) != _STR:
        return SingleQuotedScalarString(value)
    return value


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
    return _text(value)


def _flow(node: Any) -> bool:
    return bool(getattr(getattr(node, "fa", None), "flow_style", lambda: False)())


#: The nodes of the tree being synced that stand at more than one place (aliases, merges).
_SHARED: ContextVar[frozenset[int]] = ContextVar("shared_nodes", default=frozenset())


def _sync(node: Any, value: Any) -> Any:
    """``node`` updated to hold ``value``; the same object where it can be kept. A node that
    stands at other places too (an alias) is never changed in place: where this place's value
    differs, it gets its own copy and the others keep theirs (the copy keeps the anchor's
    name, which ruamel writes only for a node it meets at two places)."""
    if id(node) in _SHARED.get():
        new = _sync_own(copy.deepcopy(node), value)
        return node if plain(new) == plain(node) else new
    return _sync_own(node, value)


def _sync_own(node: Any, value: Any) -> Any:
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
    return node if _same_scalar(node, value) else _text(value)


def _sync_model(node: CommentedMap, model: BaseModel) -> None:
    fields = type(model).model_fields
    for key in [k for k in node if k not in fields or key_goes(model, k, node[k])]:
        del node[key]  # unknown to the model, reset or cleared: its default applies
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
    """The document as YAML text, keeping the comments and layout of the text it came from
    (the whole file through one ruamel.yaml round-trip tree)."""
    y = _yaml(doc.source_text)
    if doc.roundtrip_tree is None:
        tree = y.load(_lf(doc.source_text)) if doc.source_text else None
        doc.roundtrip_tree = tree if isinstance(tree, CommentedMap) else CommentedMap()
    shared = _SHARED.set(shared_nodes(doc.roundtrip_tree))
    try:
        _sync_model(doc.roundtrip_tree, doc.layout)
    finally:
        _SHARED.reset(shared)
    out = io.StringIO()
    y.dump(doc.roundtrip_tree, out)
    return out.getvalue()


# ---------------------------------------------------------------------- splicing
# ruamel.yaml needs seconds to read and write a 100,000-GPU layout. Most saves change a few
# items, so ``spliced_text`` keeps every unchanged item's lines as they are and runs only the
# changed items (and new ones) through ruamel, each as a one-item sequence. Anything unusual
# (reordered items, flow-style lists, changed top-level scalars) returns None: the caller then
# uses ``roundtrip_text``. Either way the save is verified through the loader.

_BOM = "\ufeff"
_DASH_LINE = re.compile(r"^( *)-( |$)")
_BLANK = re.compile(r"^\s*(#.*)?$")


def _kept_order_ids(node: Any, raw: Any, values: list) -> list:
    """Ids of a block sequence's items in the file, when the new values keep their order (items
    may be added or removed, not reordered) and every id is unique; else ``_Unsplicable``."""
    if (
        not isinstance(node, yaml.SequenceNode)
        or node.flow_style
        or not isinstance(raw, list)
        or not node.value
        or len(node.value) != len(raw)
    ):
        raise _Unsplicable
    src_ids = [r.get("id") if isinstance(r, dict) else None for r in raw]
    new_ids = [v.id for v in values]
    if None in src_ids or len(set(src_ids)) != len(src_ids) or len(set(new_ids)) != len(new_ids):
        raise _Unsplicable
    kept = set(new_ids)
    if [i for i in new_ids if i in set(src_ids)] != [i for i in src_ids if i in kept]:
        raise _Unsplicable  # reordered
    return src_ids


def _new_item_groups(values: list, where: dict) -> list[tuple[int | None, list]]:
    """New values grouped by the index (in the file) of the existing item they follow; None for
    those before the first existing one."""
    pending: list = []
    anchor: int | None = None
    groups: list[tuple[int | None, list]] = []
    for v in values:
        if v.id in where:
            if pending:
                groups.append((anchor, pending))
                pending = []
            anchor = where[v.id]
        else:
            pending.append(v)
    if pending:
        groups.append((anchor, pending))
    return groups


class _Splicer:
    def __init__(self, text: str):
        self.lines = text.splitlines(keepends=True)
        self.y = _yaml(text)
        self.edits: list[tuple[int, int, list[str]]] = []
        self.tail: list[str] = []  # new top-level keys, after everything else

    # -------------------------------------------------------------- mappings
    def mapping(self, node: Any, raw: Any, model: BaseModel, top: bool = False) -> None:
        """Edits that make a mapping say what ``model`` says; ``top``: the document's root,
        where a new key can be added (at the end)."""
        if isinstance(node, yaml.MappingNode) and node.flow_style and isinstance(raw, dict):
            tokens = model_tokens(node, raw, model)
            if tokens:
                self.edits.append(token_edit(self.lines, tokens))
            return
        if not isinstance(node, yaml.MappingNode) or not isinstance(raw, dict):
            raise _Unsplicable
        for name in known_fields(model, raw):
            value = getattr(model, name)
            if name not in raw:
                if not _written(model, name) or at_default(model, name):
                    continue
                if not top:
                    raise _Unsplicable  # a new key inside a block: let ruamel place it
                self.append_key(name, value)
            elif not _same(raw[name], value):
                key, child = next((k, v) for k, v in node.value if k.value == name)
                self._changed(key, child, raw[name], model, name)

    def _changed(self, key: Any, child: Any, raw: Any, model: BaseModel, name: str) -> None:
        value = getattr(model, name)
        if key_goes(model, name, raw):  # reset, or cleared (a calibration, a label)
            self.drop_key(key, child)
        elif isinstance(value, BaseModel):
            self.mapping(child, raw, value)
        elif isinstance(value, list) and value and all(hasattr(v, "id") for v in value):
            self.sequence(child, raw, value)
        else:
            self.edits.append(token_edit(self.lines, value_tokens(child, raw, value)))

    # -------------------------------------------------------------- top-level keys
    def append_key(self, name: str, value: Any) -> None:
        """A key the file did not have (e.g. a calibration's ``physics:``), written at its end
        as ruamel would have placed it."""
        node = CommentedMap()
        node[name] = _new_node(value, False)
        out = io.StringIO()
        self.y.dump(node, out)
        lines = out.getvalue().splitlines(keepends=True)
        if self.lines and not self.lines[-1].endswith("\n"):
            lines[0] = "\n" + lines[0]
        self.tail += lines

    def drop_key(self, key: Any, value_node: Any) -> None:
        """Remove a block mapping's key whose value is now unwritten (a calibration or a label
        cleared): from its key's line to its value's last, comments after it kept for what
        follows. A key that shares its line with a dash or another key is not removed here."""
        if self.lines[key.start_mark.line][: key.start_mark.column].strip():
            raise _Unsplicable
        end = value_node.end_mark.line + (1 if value_node.end_mark.column > 0 else 0)
        end = min(end, len(self.lines))
        while end > key.start_mark.line + 1 and _BLANK.match(self.lines[end - 1]):
            end -= 1
        self.edits.append((key.start_mark.line, end, []))

    # -------------------------------------------------------------- id'd lists
    def _span(self, items: list, k: int, seq_end: int, col: int) -> tuple[int, int, int]:
        """(first line, end of content, end incl. trailing comments) of item k, whose dash is
        at column ``col``; a line indented no deeper than the dash ends it."""
        start = items[k].start_mark.line
        nxt = items[k + 1].start_mark.line if k + 1 < len(items) else seq_end
        end = start + 1
        for i in range(start + 1, nxt):
            line = self.lines[i]
            if _BLANK.match(line):
                continue
            if len(line) - len(line.lstrip(" ")) <= col:
                return start, end, i
            end = i + 1
        return start, end, nxt

    def sequence(self, node: Any, raw: Any, values: list) -> None:
        src_ids = _kept_order_ids(node, raw, values)
        items = node.value
        seq_end = min(node.end_mark.line, len(self.lines))
        if node.end_mark.column > 0:
            seq_end = min(seq_end + 1, len(self.lines))
        cols = [self._dash_column(item) for item in items]
        spans = [self._span(items, k, seq_end, cols[k]) for k in range(len(items))]
        self._splice_existing(items, raw, values, src_ids, spans, cols)
        self._insert_new(values, {sid: k for k, sid in enumerate(src_ids)}, spans, cols)

    def _dash_column(self, item: Any) -> int:
        """Column of the dash that starts a sequence item written in block style."""
        m = _DASH_LINE.match(self.lines[item.start_mark.line])
        if m is None or len(m.group(1)) + 2 != item.start_mark.column and m.group(2) == " ":
            raise _Unsplicable
        return len(m.group(1))

    def _splice_existing(
        self, items: list, raw: list, values: list, src_ids: list, spans: list, cols: list[int]
    ) -> None:
        """Delete the items that are gone; re-render those that changed (only their changed
        children where possible)."""
        by_id = {v.id: v for v in values}
        for k, sid in enumerate(src_ids):
            start, end, _ = spans[k]
            if sid not in by_id:
                self.edits.append((start, end, []))
                continue
            value = by_id[sid]
            if _same(raw[k], value):
                continue
            trial = _Splicer.__new__(_Splicer)
            trial.__dict__.update(self.__dict__)
            trial.edits = []
            try:
                trial.mapping(items[k], raw[k], value)
                self.edits.extend(trial.edits)
            except _Unsplicable:
                self.edits.append((start, end, self.render(start, end, cols[k], value)))

    def _insert_new(self, values: list, where: dict, spans: list, cols: list[int]) -> None:
        """New items go after the previous item that was already there, styled like it."""
        for anchor, new in _new_item_groups(values, where):
            like_k = anchor if anchor is not None else 0
            at = spans[anchor][1] if anchor is not None else spans[0][0]
            like_start, like_end, _ = spans[like_k]
            out: list[str] = []
            for v in new:
                out += self.render(like_start, like_end, cols[like_k], v, new=True)
            self.edits.append((at, at, out))

    def render(self, start: int, end: int, col: int, value: Any, new: bool = False) -> list[str]:
        """Lines for one sequence item: the existing item's lines synced through ruamel (or,
        for a new item, a fresh node styled like that item), at the item's indentation."""
        snippet = []
        for line in self.lines[start:end]:
            if line.strip() and not line.startswith(" " * col):
                raise _Unsplicable
            snippet.append(line[col:] if line.strip() else line.lstrip(" "))
        seq = self.y.load(_lf("".join(snippet)))
        if not isinstance(seq, CommentedSeq) or len(seq) != 1:
            raise _Unsplicable
        if new:
            seq[0] = _new_node(value, _flow(seq[0]), seq[0])
        else:
            _sync_at(seq, 0, value)
        out = io.StringIO()
        self.y.dump(seq, out)
        text = out.getvalue()
        if not text.endswith("\n"):
            text += "\n"
        body = text.splitlines(keepends=True)
        m = _DASH_LINE.match(body[0])
        if m is None:
            raise _Unsplicable
        shift = len(m.group(1))
        pad = " " * col
        return [pad + line[shift:] if line.strip() else line for line in body]

    def apply(self) -> str:
        """The edits from the last line up; of two at one line, the one made later goes after
        (a rack added at the end of a row, then a row added after it), and new top-level keys
        after everything (an item added to a list that ends the file belongs to that list)."""
        lines = list(self.lines)
        edits = sorted(enumerate(self.edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True)
        for _, (start, end, new) in edits:
            lines[start:end] = new
        return "".join(lines + self.tail)


def spliced_text(doc: LayoutDocument) -> str | None:
    """The document as text made by editing only the changed items of its source text, or None
    when that is not possible (see above)."""
    text = doc.source_text
    if not text:
        return None
    bom = _BOM if text.startswith(_BOM) else ""  # YAML's marks do not count it
    text = text[len(bom) :]
    try:
        raw = load_fast(text)
        root = yaml.compose(text, Loader=_ComposeLoader)
        if has_aliases(root):  # an edit at an anchor would change its aliases too
            return None
        sp = _Splicer(text)
        sp.mapping(root, raw, doc.layout, top=True)
        return bom + sp.apply()
    except Exception:  # noqa: BLE001 - anything unexpected: the whole-tree writer takes over
        return None


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
class ChangedOnDisk(SaveError):
    """The file was changed by someone else since the document read or wrote it."""


def _check_unchanged_on_disk(doc: LayoutDocument, target: Path) -> None:
    """Saving over the document's own file must not lose what another program wrote there."""
    if doc.path is None or doc.source_text is None:
        return
    try:
        if target.resolve() != doc.path.resolve():
            return  # Save As elsewhere: the file dialog asked about replacing it
        current = target.read_bytes()
    except FileNotFoundError:
        return  # deleted meanwhile: writing it again loses nothing
    except OSError as exc:
        raise SaveError(f"could not check {target}: {exc.strerror or exc}") from None

    def same(a: str) -> str:
        return a.replace("\r\n", "\n")

    if same(current.decode("utf-8", "replace")) != same(doc.source_text):
        raise ChangedOnDisk(
            f"not saved: {target.name} was changed on disk since it was opened; "
            "save anyway to replace those changes with yours, or Save As to keep both"
        )


def _endings_like(source: str | None, text: str) -> str:
    """``text`` with the source's line endings and byte-order mark: a file written on Windows
    (CRLF) kept its endings on the lines a save left alone and got LF on the lines it wrote;
    the whole-tree writer dropped a leading BOM."""
    if source and source.startswith(_BOM) and not text.startswith(_BOM):
        text = _BOM + text
    if not source or source.count("\r\n") * 2 <= source.count("\n"):
        return text
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _unkeepable(doc: LayoutDocument, target: Path, exc: Exception) -> str:
    """Why a layout the loader read cannot be saved with its comments kept: the round-trip
    reader (ruamel.yaml) refuses what PyYAML let through (a tab after a colon), in one line
    naming the file, line and column."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
    source = doc.path or target
    if mark is not None and problem:
        where = f"{source}, line {mark.line + 1}, column {mark.column + 1}: {problem}"
    else:
        where = f"{source}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    tab = " (a tab where YAML wants spaces: replace it)" if "'\\t'" in str(problem) else ""
    return (
        f"not saved: {target} cannot be written keeping its comments; the YAML reader that "
        f"keeps them refuses {where}{tab}"
    )


def save(
    doc: LayoutDocument, path: str | Path | None = None, *, overwrite_changed: bool = False
) -> Path:
    """Save (``path`` None) or Save As. Raises ``SaveError`` and leaves the file untouched if the
    text would not load back equal to the document (e.g. the loader refuses overlapping racks),
    and ``ChangedOnDisk`` if another program changed the document's file since it was opened
    or saved (unless ``overwrite_changed``). On success the document is clean and its path is
    ``path``."""
    target = Path(path) if path is not None else doc.path
    if target is None:
        raise SaveError("the layout has no file yet: choose where to save it (Save As)")
    if not overwrite_changed:
        _check_unchanged_on_disk(doc, target)
    problems = check_references(doc.layout, doc.catalog) or check_geometry(doc.facility)
    if problems:
        raise SaveError(
            f"not saved: {target.name} would not load back (the loader refuses it)",
            [Problem(msg, field_path(loc), None, str(target)) for loc, msg in problems],
        )

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

    text = spliced_text(doc) if doc.roundtrip_tree is None else None
    if text is not None:
        text = _endings_like(doc.source_text, text)
    if text is not None:
        try:
            atomic_write(target, text, verify)
        except SaveError:
            text = None  # a splice we cannot trust: write the whole tree instead
        except OSError as exc:
            raise SaveError(f"could not write {target}: {exc.strerror or exc}") from None
    if text is None:
        try:
            text = _endings_like(doc.source_text, roundtrip_text(doc))
        except Exception as exc:  # a tree we cannot sync must not become a half-right file
            doc.roundtrip_tree = None
            raise SaveError(_unkeepable(doc, target, exc)) from exc
        try:
            atomic_write(target, text, verify)
        except OSError as exc:
            raise SaveError(f"could not write {target}: {exc.strerror or exc}") from None
    doc.source_text = text
    doc.set_path(target)
    doc.history.set_clean()
    return target
