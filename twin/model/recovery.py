"""Autosave and crash recovery for layout documents.

Why: a designer's unsaved edits must survive a crash. While a document is dirty its layout is
written now and then (atomically) to ``user_data_dir('twin')/recovery/<key>.yaml``, with a small
``<key>.json`` beside it naming the layout file and the process that wrote it. On the next start
the UI asks ``RecoveryStore.crashed()`` (entries whose writer is no longer running) or
``pending(path)`` when opening a file, then ``recover`` or ``discard``.

The recovery file is a plain, fast dump of the layout (no comments): recovering re-attaches the
document to the original file's text, so a later Save still keeps the author's comments.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from twin.model.save import atomic_write

if TYPE_CHECKING:
    from twin.model.catalog import Catalog
    from twin.model.document import LayoutDocument

try:
    _Dumper = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - libyaml missing
    _Dumper = yaml.SafeDumper


def recovery_dir() -> Path:
    """Where recovery files live: ``platformdirs.user_data_dir('twin')/recovery``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("twin")) / "recovery"


def _process_token(pid: int) -> str | None:
    """Something that tells this process apart from a later one reusing its pid (Linux: its
    start time in clock ticks since boot)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, token: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return token is None or _process_token(pid) in (None, token)


@dataclass(frozen=True)
class Recovery:
    """One recovery file: which layout it belongs to, when and by which process it was saved."""

    key: str
    layout_path: Path | None
    name: str
    saved_at: float
    pid: int
    host: str
    token: str | None
    text_path: Path
    meta_path: Path

    @property
    def crashed(self) -> bool:
        """True when the process that wrote it is gone (on this host) without discarding it."""
        if self.host != socket.gethostname():
            return True
        if self.pid == os.getpid():
            return False
        return not _alive(self.pid, self.token)


class RecoveryStore:
    """Recovery files in one folder (by default ``recovery_dir()``)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else recovery_dir()

    # ------------------------------------------------------------ keys
    def key_for(self, doc: LayoutDocument) -> str:
        """One key per layout file (its absolute path), or per untitled document."""
        if doc.path is not None:
            digest = hashlib.sha256(str(Path(doc.path).resolve()).encode()).hexdigest()[:16]
            return f"{Path(doc.path).stem[:40]}-{digest}"
        if doc.recovery_key is None:
            doc.recovery_key = f"untitled-{uuid.uuid4().hex[:16]}"
        return doc.recovery_key

    # ------------------------------------------------------------ writing
    def autosave(self, doc: LayoutDocument) -> Path:
        """Write the document's current layout to its recovery file (atomically)."""
        self.root.mkdir(parents=True, exist_ok=True)
        key = self.key_for(doc)
        # an untitled document that got a path now has a new key: drop the old file
        old = doc.recovery_written
        if old is not None and old != key:
            self._remove(old)
        data = doc.layout.model_dump(mode="json", exclude_unset=True)
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
        text_path = self.root / f"{key}.yaml"
        atomic_write(text_path, text)
        meta = {
            "format": "twin-recovery/1",
            "layout_path": str(Path(doc.path).resolve()) if doc.path is not None else None,
            "name": doc.layout.name,
            "saved_at": time.time(),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "token": _process_token(os.getpid()),
            "revision": doc.revision,
        }
        atomic_write(self.root / f"{key}.json", json.dumps(meta, indent=1))
        doc.recovery_written = key
        return text_path

    # ------------------------------------------------------------ finding
    def entries(self) -> list[Recovery]:
        """Every readable recovery file, newest first (broken ones are skipped)."""
        out = []
        if not self.root.is_dir():
            return out
        for meta_path in self.root.glob("*.json"):
            text_path = meta_path.with_suffix(".yaml")
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                if meta.get("format") != "twin-recovery/1" or not text_path.is_file():
                    continue
                lp = meta.get("layout_path")
                out.append(
                    Recovery(
                        key=meta_path.stem,
                        layout_path=Path(lp) if lp else None,
                        name=str(meta.get("name", "")),
                        saved_at=float(meta["saved_at"]),
                        pid=int(meta["pid"]),
                        host=str(meta.get("host", "")),
                        token=meta.get("token"),
                        text_path=text_path,
                        meta_path=meta_path,
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return sorted(out, key=lambda r: r.saved_at, reverse=True)

    def crashed(self) -> list[Recovery]:
        """Recoveries left by processes that are gone: what to offer at start-up."""
        return [r for r in self.entries() if r.crashed]

    def pending(self, layout_path: str | Path) -> Recovery | None:
        """The newest crash recovery for a layout file, if any (ask before opening it)."""
        want = Path(layout_path).resolve()
        for r in self.crashed():
            if r.layout_path is not None and r.layout_path == want:
                return r
        return None

    # ------------------------------------------------------------ acting
    def recover(self, entry: Recovery, catalog: Catalog | None = None) -> LayoutDocument:
        """A document holding the recovered layout: dirty, attached to the original file (and its
        text, for comment-keeping saves) when that still exists. Raises ``LayoutError`` if the
        recovery file is unreadable. The recovery file stays until ``discard``."""
        from twin.model.document import LayoutDocument

        text = entry.text_path.read_text(encoding="utf-8")
        doc = LayoutDocument.from_text(text, entry.layout_path, catalog, strict=False)
        doc.source_text = None
        if entry.layout_path is not None and entry.layout_path.is_file():
            try:
                doc.source_text = entry.layout_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                doc.source_text = None
        doc.recovery_key = entry.key if entry.layout_path is None else None
        doc.recovery_written = entry.key
        doc.history.set_dirty()
        return doc

    def discard(self, entry_or_doc: Recovery | LayoutDocument) -> None:
        """Remove a recovery file (after recovering and saving, or when the user declines)."""
        if isinstance(entry_or_doc, Recovery):
            self._remove(entry_or_doc.key)
            return
        doc = entry_or_doc
        self._remove(doc.recovery_written or self.key_for(doc))
        doc.recovery_written = None

    def _remove(self, key: str) -> None:
        for suffix in (".json", ".yaml"):
            try:
                (self.root / f"{key}{suffix}").unlink()
            except FileNotFoundError:
                pass


class Autosaver:
    """Decides when to autosave: call ``tick()`` from a timer (the UI's QTimer, every few
    seconds). It writes when the document changed since the last autosave and ``interval_s``
    has passed, and discards the recovery file once the document is clean (saved or undone)."""

    def __init__(self, doc: LayoutDocument, store: RecoveryStore, interval_s: float = 30.0):
        self.doc, self.store, self.interval_s = doc, store, interval_s
        self._saved_revision: int | None = None
        self._last = float("-inf")

    def tick(self, now: float | None = None) -> bool:
        """Autosave if due; True if a file was written."""
        now = time.monotonic() if now is None else now
        if not self.doc.dirty:
            if self._saved_revision is not None:
                self.store.discard(self.doc)
                self._saved_revision = None
            return False
        if self.doc.revision == self._saved_revision or now - self._last < self.interval_s:
            return False
        self.store.autosave(self.doc)
        self._saved_revision = self.doc.revision
        self._last = now
        return True
