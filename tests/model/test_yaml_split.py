"""A big layout read in parts by several processes (``yamlsplit``) against one process reading
it whole (``yamlpos.load_with_lines``): the same data, value count, lines and errors at every
cut, including cuts that must not hold (inside quotes, under an indented sequence, across
another key), and the same messages from the loader for a big file's faults."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_yaml_lean import _paths, _same

from twin.bench.big_layout import big_layout_text
from twin.model import yamlsplit
from twin.model.errors import LayoutError
from twin.model.loader import facility_from_text
from twin.model.yamlpos import Fallback, load_with_lines
from twin.model.yamlsplit import cut_points, join, later_parts, read_part, rows_block

ROOT = Path(__file__).parents[2]


def _outcome(read) -> tuple:
    """What a read gives, comparable: data, value count and the line of every path; or the
    kind of error and (for YAML errors) its problem and line."""
    try:
        data, lines, nodes = read()
    except Fallback:
        return ("fallback",)
    except yaml.MarkedYAMLError as exc:
        return ("yaml", exc.problem, exc.problem_mark.line)
    paths = _paths(data)
    return ("ok", data, nodes, lines.lines_of(paths), paths)


def _same_outcome(a: tuple, b: tuple) -> bool:
    if a[0] != "ok" or b[0] != "ok":
        return a == b
    return _same(a[1], b[1]) and a[2:] == b[2:]


def _split_in_process(text: str, cuts: list[int]) -> tuple:
    """The parts read here one after the other, joined as the processes' replies are; the
    whole text in one piece where the join declines (as ``load_with_lines_parallel`` does)."""

    def read():
        if rows_block(text) is None:  # a text never cut
            return load_with_lines(text)
        try:
            first = load_with_lines(text[: cuts[0]])
        except (Fallback, yaml.YAMLError):
            return load_with_lines(text)
        joined = join(text, first, [read_part(p) for p in later_parts(text, cuts)])
        return joined if joined is not None else load_with_lines(text)

    return _outcome(read)


def _item_starts(text: str) -> list[int]:
    """Every line start with a block entry at column 0 (the candidate cuts)."""
    return [i + 1 for i in range(len(text) - 1) if text[i] == "\n" and text[i + 1] == "-"]


HEAD = "format: twin-layout/1\nname: t\nhalls:\n- id: H1\n  size_m: [10, 10, 3]\n"

TEXTS = {
    "plain": HEAD + "rows:\n- id: A\n  racks: []\n- id: B\n  hall: H1\n- id: C\n  x: [1, 2]\n",
    "keys after rows": HEAD + "rows:\n- a\n- b\n- c\npower:\n- id: P\nsensors: []\n",
    "comments and blanks": HEAD
    + "rows:   # the rows\n\n# first\n- a\n\n  # inside\n- b\n# between\n- c\n",
    "crlf": (HEAD + "rows:\n- id: A\n  k: 1\n- id: B\n- id: C\n").replace("\n", "\r\n"),
    "indented sequence then column 0": HEAD + "rows:\n  - a\n  - b\n- c\n- d\n",
    "quoted scalar over cut lines": HEAD + 'rows:\n- "x\n- y\n- z"\n- w\n- v\n',
    "single quoted over cut lines": HEAD + "rows:\n- 'x\n- y'\n- w\n- v\n",
    "flow over cut lines": HEAD + "rows:\n- [a,\n- b]\n- c\n- d\n",
    "key between items": HEAD + "rows:\n- a\nother: 1\n- b\n- c\n",
    "repeated top-level key": HEAD + "rows:\n- a\n- b\nname: again\n",
    "rows twice": HEAD + "rows:\n- a\nrows:\n- b\n",
    "alias in a later part": HEAD + "rows:\n- &x {a: 1}\n- b\n- *x\n",
    "tag in a later part": HEAD + "rows:\n- a\n- !!str 3\n",
    "syntax error in the last part": HEAD + "rows:\n- a\n- b\n- c: d: e\n- f\n",
    "syntax error mid text": HEAD + "rows:\n- a\n- [b\n- c\n- d\n- e\n",
    "bad indentation late": HEAD + "rows:\n- a\n- b\n   x: 1\n- c\n",
    "document end then more": HEAD + "rows:\n- a\n...\n- b\n",
    "second document": HEAD + "rows:\n- a\n---\n- b\n",
    "block scalar items": HEAD + "rows:\n- |\n  text\n   more\n- >\n  folded\n- c\n",
    "plain scalar over lines": HEAD + "rows:\n- one\n  two\n- three\n",
    "empty items": HEAD + "rows:\n-\n- \n-\n",
    "rows with no items": HEAD + "rows:\nother:\n- a\n- b\n",
    "dates in a later part": HEAD + "rows:\n- a\n- 2024-01-02\n- {at: 2024-01-02 03:04:05}\n",
}


NEVER_CUT = {"document end then more", "second document", "rows twice"}
NEVER_CUT |= {"indented sequence then column 0", "rows with no items"}


@pytest.mark.parametrize("name", TEXTS)
def test_every_cut_reads_as_the_whole(name):
    text = TEXTS[name]
    whole = _outcome(lambda: load_with_lines(text))
    starts = _item_starts(text)
    assert starts, "the text has cut candidates"
    assert (rows_block(text) is not None) == (name not in NEVER_CUT)
    for cut in starts:
        assert _same_outcome(_split_in_process(text, [cut]), whole), (name, cut)
    for k in range(len(starts) - 1):
        cuts = [starts[k], starts[k + 1]]
        assert _same_outcome(_split_in_process(text, cuts), whole), (name, cuts)


def test_lone_carriage_returns_and_odd_breaks_are_not_cut():
    base = HEAD + "rows:\n- a\n- b\n- c\n- d\n"
    assert cut_points(base, 2)
    assert cut_points(base.replace("\n", "\r\n"), 2)
    assert not cut_points(base.replace("- b\n", "- b\r"), 2)
    for odd in ("\x85", "\u2028", "\u2029"):
        assert not cut_points(base.replace("- b", f"- b{odd}"), 2)
    assert not cut_points(base.replace("rows:", "rows: &r"), 2)
    assert not cut_points(base.replace("- c\n", "...\n- c\n"), 2)
    assert not cut_points(base.replace("- c\n", "---\n- c\n"), 2)


def test_cuts_fall_on_row_items_in_equal_shares():
    text = big_layout_text(400_000)
    cuts = cut_points(text, 4)
    assert len(cuts) == 3
    rows_at = text.index("\nrows:\n") + 7
    extra = yamlsplit.FIRST_PART_EXTRA
    shares = [(1 + extra) / (4 + extra), 1 / (4 + extra), 1 / (4 + extra)]
    target = rows_at
    for cut, share in zip(cuts, shares, strict=True):
        assert text.startswith("- id: H", cut) and text[cut - 1] == "\n"
        target += share * (len(text) - rows_at)
        assert cut == text.index("\n- id: H", int(target)) + 1  # the first row at or after


SHIPPED = {"ai-factory-100k.yaml": 3, "demo-air-hall.yaml": 2}  # name: parts (2 rows: 2)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_layouts_read_the_same_in_processes(name):
    text = (ROOT / "layouts" / name).read_text()
    cuts = cut_points(text, SHIPPED[name])
    assert len(cuts) == SHIPPED[name] - 1
    joined = yamlsplit._read_in_parts(text, cuts)
    assert joined is not None, "the parts were read by other processes and joined"
    assert _same_outcome(_outcome(lambda: joined), _outcome(lambda: load_with_lines(text)))


def test_replies_cross_with_shared_containers_and_dates():
    for name, way in (("plain", b"M"), ("dates in a later part", b"P")):
        text = TEXTS[name]
        reply = read_part(later_parts(text, _item_starts(text)[-1:])[0])
        sent = yamlsplit._encode(reply)
        assert sent[:1] == way  # marshal, or pickle for what marshal cannot hold
        back = yamlsplit._decode(sent)
        assert back[0] == "ok" and _same(back[1], reply[1]) and back[3] == reply[3]
        assert back[2][0][0] is back[1] and back[2][1][0] is back[1]["rows"]
        assert [lines for _, lines in back[2]] == [lines for _, lines in reply[2]]


def test_a_failing_worker_leaves_the_text_to_one_process(monkeypatch):
    text = big_layout_text(100_000)
    monkeypatch.setattr(sys, "executable", "/bin/false")
    assert yamlsplit._read_in_parts(text, cut_points(text, 2)) is None
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert yamlsplit._read_in_parts(text, cut_points(text, 2)) is None
    got = yamlsplit.load_with_lines_parallel(text, parts=2)
    assert _same_outcome(_outcome(lambda: got), _outcome(lambda: load_with_lines(text)))


def test_syntax_error_late_in_a_big_text_is_the_whole_texts():
    text = big_layout_text(300_000)
    at = text.rindex("    rotation_deg: ")
    bad = text[:at] + "    rotation_deg: [1, 2\n" + text[at:].split("\n", 1)[1]
    cuts = cut_points(bad, 2)
    with pytest.raises(yaml.MarkedYAMLError) as split:
        yamlsplit._read_in_parts(bad, cuts)
    with pytest.raises(yaml.MarkedYAMLError) as whole:
        load_with_lines(bad)
    assert split.value.problem == whole.value.problem
    assert split.value.problem_mark.line == whole.value.problem_mark.line > 5000


def _in_parts(monkeypatch, parts: int) -> list:
    """From now on texts are read in ``parts`` processes; the list collects each joined read
    (None where the parts could not be joined)."""
    joined: list = []
    read = yamlsplit._read_in_parts

    def spy(text: str, cuts: list[int], meanwhile=None):
        joined.append(read(text, cuts, meanwhile))
        return joined[-1]

    monkeypatch.setattr(yamlsplit, "_cores", lambda: parts)
    monkeypatch.setattr(yamlsplit, "_read_in_parts", spy)
    return joined


def _messages(text: str, monkeypatch, parts: int) -> list[str]:
    """The loader's messages, the text read in ``parts`` processes (and checked to be)."""
    joined = _in_parts(monkeypatch, parts)
    with pytest.raises(LayoutError) as info:
        facility_from_text(text, "big.yaml")
    assert len(joined) == (parts > 1) and None not in joined
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("fault", ["duplicate-id", "unknown-key"])
def test_big_faults_give_the_same_messages_in_parts(fault, monkeypatch):
    text = big_layout_text(2**20, fault=fault)
    monkeypatch.setattr(yamlsplit, "MIN_SPLIT_CHARS", 2**19)
    serial = _messages(text, monkeypatch, 1)
    assert _messages(text, monkeypatch, 2) == serial
    assert len(serial) == 1 and serial[0].startswith("big.yaml:")
    # more faults, one in the rows read (and validated) while the other part is read
    early = text.replace(
        "    rotation_deg: 180.0\n", "    rotation_deg: 180.0\n    colour: red\n", 1
    )
    early = early.replace("- id: H000-R003-007\n", "- id: H000-R003-006\n", 1)
    early = early.replace("    rotation_deg: 0.0\n", "    rotation_deg: -1e999\n", 1)
    serial = _messages(early, monkeypatch, 1)
    assert _messages(early, monkeypatch, 2) == serial
    assert len(serial) == 2 + (fault == "unknown-key")


def test_a_big_good_layout_builds_the_same_facility_in_parts(monkeypatch):
    text = big_layout_text(2**20)
    monkeypatch.setattr(yamlsplit, "MIN_SPLIT_CHARS", 2**19)
    assert not _in_parts(monkeypatch, 1)
    one = facility_from_text(text, "ok.yaml")
    joined = _in_parts(monkeypatch, 2)
    two = facility_from_text(text, "ok.yaml")
    assert len(joined) == 1 and joined[0] is not None
    assert two.layout == one.layout
    assert two.rack_ids == one.rack_ids
    np.testing.assert_array_equal(two.rack_center_m, one.rack_center_m)
