"""The bad-layout corpus (``layout_corpus.py``): every case gives a ``LayoutError`` whose
problems name the file, a line and the field, with a message of the expected class."""

from __future__ import annotations

import re

import pytest
from layout_corpus import CASES, CLASSES

from twin.model.errors import LayoutError
from twin.model.loader import load_layout

pytestmark = pytest.mark.timeout(180)


def test_corpus_is_big_enough():
    assert len(CASES) >= 90
    assert set(CLASSES) == {c.cls for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_layout_gives_its_error(case, tmp_path):
    path = tmp_path / f"{case.name}.yaml"
    path.write_text(case.text())
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    problems = info.value.problems
    assert problems and all(p.file == str(path) for p in problems)
    hits = [p for p in problems if re.search(CLASSES[case.cls], p.message, re.I)]
    assert hits, f"no {case.cls!r} message in:\n{info.value}"
    if case.field is not None:
        named = [p for p in hits if p.field == case.field and p.line is not None]
        assert named, f"no {case.cls!r} problem at field {case.field!r} with a line:\n{info.value}"
