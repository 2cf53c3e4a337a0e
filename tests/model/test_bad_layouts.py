"""Every broken layout in the corpus gives a LayoutError naming the file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.model.errors import LayoutError
from twin.model.loader import load_layout

CORPUS = sorted((Path(__file__).parent / "bad_layouts").glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str, str]:
    head = path.read_text().splitlines()[0]
    m = re.match(r"# expect: line=(\d+) field=(\S*) msg=(.+)$", head)
    assert m, f"{path.name}: first line must say what to expect"
    return int(m.group(1)), m.group(2), m.group(3)


def test_corpus_is_not_empty():
    assert len(CORPUS) >= 15


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_layout_names_file_line_and_field(path: Path):
    line, field, msg = _expectation(path)
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    problems = info.value.problems
    hit = [p for p in problems if p.line == line and p.field == field and msg in p.message]
    assert hit, f"expected line {line}, field {field!r}, {msg!r}; got:\n{info.value}"
    assert all(p.file == str(path) for p in problems)
    assert str(path) in str(info.value)


def test_missing_file_is_a_layout_error(tmp_path):
    with pytest.raises(LayoutError, match="cannot read"):
        load_layout(tmp_path / "nope.yaml")


def test_binary_file_is_a_layout_error(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LayoutError, match="UTF-8"):
        load_layout(p)


def test_every_problem_is_reported_at_once(tmp_path):
    text = (CORPUS[0].parent / "unknown-feed.yaml").read_text()
    text = text.replace("cdu: CDU-9", "")
    text += "  - id: B\n    hall: H7\n    racks: []\n"
    p = tmp_path / "two.yaml"
    p.write_text(text)
    with pytest.raises(LayoutError) as info:
        load_layout(p)
    fields = {pr.field for pr in info.value.problems}
    assert {"rows[0].racks[0].feeds.b", "rows[1].hall"} <= fields
