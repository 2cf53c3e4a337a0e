"""A big layout's YAML read by two (or more) processes at once, with the same result as one.

libyaml's parse events reach Python as an object each, so reading a 20 MB layout is seconds of
one core; most of it is the ``rows`` sequence. Here the text is cut at top-level items of
``rows``, other Pythons read the later parts while this one reads the first, and the parts are
joined into exactly what ``yamlpos.load_with_lines`` gives for the whole text: the same data,
lines, value count and errors.

A part is only trusted to read as it would inside the whole when

- the first part ends inside a block sequence whose items start at column 0, under a
  top-level ``rows:`` key that is the last key before the cut, and reads cleanly;
- each later part starts at such an item, and is read after as many blank lines and a
  ``rows:`` line as put it in the same place and the same context (so its lines are the
  whole text's lines);
- the parts' top-level keys (apart from ``rows``) do not repeat, and only the last part has
  any;
- every line break is one libyaml and ``str.count`` agree on.

Anything else (one core, a small text, a cut that does not hold, YAML beyond the lean path, a
part's process that fails, a frozen application that cannot start Python) reads the text in
one process as before. A syntax error in the last part is the whole text's first error when
the parts before it read cleanly (each then ends between two items, outside any quote or
bracket), and is raised as such.
"""

from __future__ import annotations

import marshal
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from twin.model.yamlpos import Fallback, Lines, load_with_lines

#: Below this many characters one process reads the text: starting another costs ~0.1 s.
MIN_SPLIT_CHARS = 2 * 2**20
#: Processes at most (this one included).
MAX_PARTS = 4
#: The first part's extra share: its reader starts at once and sends nothing back, the
#: others start a Python and send their data back...
FIRST_PART_EXTRA = 0.1
#: ... unless it has work to do meanwhile (a loader validating the first part's rows).
FIRST_PART_EXTRA_BUSY = -0.1

_ROWS_LINE = re.compile(r"rows:[ \t]*(?:#[^\n]*)?\r?(?:\n|\Z)")
_BLANK_OR_COMMENT = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*")
_TOP_LEVEL_LINE = re.compile(r"\n[^\s#-]")  # a key, "..." or "---" (literal first: fast)
_ITEM_START = ("- ", "-\t", "-\n", "-\r")
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")  # line breaks to libyaml, not to str.count("\n")

Loaded = tuple[Any, Lines, int]


def load_with_lines_parallel(
    text: str, parts: int | None = None, meanwhile: Callable[[Any], None] | None = None
) -> Loaded:
    """``load_with_lines(text)``, read in ``parts`` processes (by default one per core, at most
    ``MAX_PARTS``) when the text is big and can be cut safely; raises as it does.

    ``meanwhile`` is given the first part's data (a prefix of the whole's, ending in some of
    its rows) to work on while the other parts are read; the first part is then smaller."""
    if parts is None:
        parts = _cores() if len(text) >= MIN_SPLIT_CHARS else 1
    extra = FIRST_PART_EXTRA if meanwhile is None else FIRST_PART_EXTRA_BUSY
    cuts = cut_points(text, parts, extra) if parts > 1 else []
    if not cuts:
        return load_with_lines(text)
    joined = _read_in_parts(text, cuts, meanwhile)
    return joined if joined is not None else load_with_lines(text)


def _cores() -> int:
    if getattr(sys, "frozen", False) or not sys.executable:
        return 1  # a frozen app's executable is the app itself, not a Python to start
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return min(n, MAX_PARTS)


def cut_points(text: str, parts: int, first_extra: float = FIRST_PART_EXTRA) -> list[int]:
    """Offsets of the line starts where parts 2.. begin: the first top-level ``rows`` item at
    or after each part's share of the ``rows`` block (equal shares, the first part's a little
    bigger); none when the text cannot be cut."""
    block = rows_block(text)
    if block is None:
        return []
    start, stop = block
    cuts: list[int] = []
    for k in range(1, parts):
        at = start + int((stop - start) * (k + first_extra) / (parts + first_extra))
        while True:
            at = text.find("\n-", at, stop)
            if at < 0 or text.startswith(_ITEM_START, at + 1):
                break
            at += 2
        if at < 0:
            break
        if not cuts or at + 1 > cuts[-1]:
            cuts.append(at + 1)
    return cuts


def rows_block(text: str) -> tuple[int, int] | None:
    """Where the items of the top-level ``rows`` sequence start and end, when the text can
    be cut between them at all."""
    key = _rows_key(text)
    if key is None or not _plain_lines(text, key):
        return None
    start = _first_item(text, key)
    if start is None:
        return None
    end = _TOP_LEVEL_LINE.search(text, start)
    return start, end.start() if end is not None else len(text)


def _rows_key(text: str) -> int | None:
    """Offset of the one line that is just ``rows:`` (and maybe a comment); None unless one."""
    found = [0] if text.startswith("rows:") else []
    at = text.find("\nrows:")
    while at >= 0:
        found.append(at + 1)
        at = text.find("\nrows:", at + 1)
    keys = [at for at in found if _ROWS_LINE.match(text, at)]
    return keys[0] if len(keys) == 1 else None


def _plain_lines(text: str, key: int) -> bool:
    """Line breaks that libyaml and ``str.count`` agree on, and no document start or end
    after ``rows:`` (the first part would end its document there, the whole text not)."""
    if any(b in text for b in _ODD_BREAKS):
        return False
    if "\r" in text and text.count("\r") != text.count("\r\n"):
        return False
    return text.find("\n---", key) < 0 and text.find("\n...", key) < 0


def _first_item(text: str, key: int) -> int | None:
    """Offset of the first item under the ``rows:`` line at ``key``, when the value is a block
    sequence at column 0 (the only one whose items a cut at column 0 continues)."""
    start = _ROWS_LINE.match(text, key).end()  # type: ignore[union-attr]
    start = _BLANK_OR_COMMENT.match(text, start).end()  # type: ignore[union-attr]
    return start if text.startswith(_ITEM_START, start) else None


def _read_in_parts(
    text: str, cuts: list[int], meanwhile: Callable[[Any], None] | None = None
) -> Loaded | None:
    """The parts read at once (this process the first), joined; None when they cannot be."""
    workers: list[_Worker] = []
    try:
        try:
            for part in later_parts(text, cuts):
                workers.append(_Worker(part))
        except (OSError, RuntimeError, UnicodeError):  # no Python to start, no thread, a
            return None  # lone surrogate: one process reads it (and says what is wrong)
        try:
            first = load_with_lines(text[: cuts[0]])
        except (Fallback, yaml.YAMLError, RecursionError):
            return None  # the whole text says what and where, in one process
        if meanwhile is not None:
            meanwhile(first[0])
        replies = [w.reply() for w in workers]
    finally:
        for w in workers:
            w.close()
    return join(text, first, replies)


def later_parts(text: str, cuts: list[int]) -> list[str]:
    """The texts of parts 2.., each after blank lines and a ``rows:`` line that put its first
    item on its own line number, in the context it has in the whole text."""
    bounds = [*cuts, len(text)]
    out = []
    for begin, end in zip(bounds, bounds[1:], strict=False):
        pad = "\n" * (text.count("\n", 0, begin) - 1)
        out.append(f"{pad}rows:\n{text[begin:end]}")
    return out


def join(text: str, first: Loaded, replies: list[tuple]) -> Loaded | None:
    """The parts as one, or None when a part did not read cleanly or the cut does not hold."""
    data, lines, nodes = first
    if not _ends_in_rows(text, data, lines):
        return None
    rows = data["rows"]
    root_lines = lines.owned[0][1]
    rows_lines = next(ln for c, ln in lines.owned if c is rows)
    owned = list(lines.owned)
    for k, reply in enumerate(replies):
        if reply[0] == "syntax" and k == len(replies) - 1:  # a middle part's may be its cut
            _, problem, line, column = reply
            mark = yaml.Mark("<unicode string>", 0, line, column, None, None)
            raise yaml.MarkedYAMLError(problem=problem, problem_mark=mark)
        if reply[0] != "ok":
            return None
        part, part_owned, part_nodes = reply[1:]
        keys = list(part)
        extra = keys[1:]
        if (extra and k < len(replies) - 1) or any(key in data for key in extra):
            return None  # keys between the parts' rows, or repeated: not one rows sequence
        rows.extend(part["rows"])
        rows_lines.extend(part_owned[1][1])
        for key, line in zip(extra, part_owned[0][1][1:], strict=True):
            data[key] = part[key]
            root_lines.append(line)
        owned += part_owned[2:]
        nodes += part_nodes - 3  # its root, its "rows" key and its rows sequence are ours
    return data, Lines(data, lines.root_line, owned), nodes


def _ends_in_rows(text: str, data: Any, lines: Lines) -> bool:
    """Whether the first part's last top-level key is the one ``rows:`` line of the text,
    holding a non-empty block sequence at column 0 (a cut at column 0 after its first item
    then falls between two of its items)."""
    if not isinstance(data, dict) or not data or list(data)[-1] != "rows":
        return False
    rows, key = data["rows"], _rows_key(text)
    if not isinstance(rows, list) or not rows or key is None:
        return False
    item = _first_item(text, key)
    if item is None:
        return False
    key_line = text.count("\n", 0, key) + 1
    item_line = key_line + text.count("\n", key, item)
    rows_lines = next(ln for c, ln in lines.owned if c is rows)
    return lines.owned[0][1][-1] == key_line and rows_lines[0] == item_line


class _Worker:
    """One later part, read by another Python (``serve``); its text goes in on a thread so
    that this process reads its own part meanwhile."""

    def __init__(self, part: str) -> None:
        # this very twin, whatever this process's sys.path (pytest's, an editable install's);
        # an installed one's directory (site-packages) is on the child's path already
        root = str(Path(__file__).resolve().parents[2])
        code = (
            f"import sys; r = {root!r}; r in sys.path or sys.path.insert(0, r); "
            "from twin.model.yamlsplit import serve; serve()"
        )
        self.proc = subprocess.Popen(  # noqa: S603 - this Python, this module
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.feeder = threading.Thread(target=self._feed, args=(part.encode("utf-8"),))
        self.feeder.start()

    def _feed(self, payload: bytes) -> None:
        try:
            self.proc.stdin.write(payload)  # type: ignore[union-attr]
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:  # it died; its reply says so
            pass

    def reply(self) -> tuple:
        out = self.proc.stdout.read()  # type: ignore[union-attr]
        self.feeder.join()
        if self.proc.wait() != 0 or not out:
            return ("failed",)
        try:
            return _decode(out)
        except Exception:  # noqa: BLE001 - a truncated or foreign answer: read it here
            return ("failed",)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.feeder.join()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def read_part(text: str) -> tuple:
    """A later part's reply: ("ok", data, owned, nodes), ("syntax", problem, line, column)
    (0-based, as libyaml's marks) or ("fallback",)."""
    try:
        data, lines, nodes = load_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if exc.problem is None or mark is None:
            return ("fallback",)
        return ("syntax", exc.problem, mark.line, mark.column)
    except (Fallback, yaml.YAMLError, RecursionError):
        return ("fallback",)
    return ("ok", data, lines.owned, nodes)


def _encode(reply: tuple) -> bytes:
    """``marshal`` (this very Python on both ends): two to three times as fast as ``pickle``
    both ways, and it keeps shared containers shared; ``pickle`` for what it cannot hold
    (dates and times from YAML timestamps)."""
    try:
        return b"M" + marshal.dumps(reply, 4)
    except ValueError:
        return b"P" + pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(payload: bytes) -> tuple:
    body = memoryview(payload)[1:]
    if payload[:1] == b"M":
        return marshal.loads(body)
    return pickle.loads(body)  # noqa: S301 - our own child's answer


def serve() -> None:
    """A worker's main: a part's text on stdin, its encoded ``read_part`` reply on stdout."""
    from twin.model.yamlpos import gc_paused

    text = sys.stdin.buffer.read().decode("utf-8")
    with gc_paused():
        reply = _encode(read_part(text))
    sys.stdout.buffer.write(reply)
    sys.stdout.buffer.flush()
