"""Fuzzing: whatever the text, the loader either returns a Facility or raises LayoutError."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.model.errors import LayoutError
from twin.model.facility import Facility
from twin.model.loader import facility_from_text

DEMO = (Path(__file__).parents[2] / "layouts" / "demo-air-hall.yaml").read_text()
LINES = DEMO.splitlines(keepends=True)
DEMO_DOC = yaml.safe_load(DEMO)


def _load(text: str) -> None:
    try:
        fac = facility_from_text(text, "fuzz.yaml")
    except LayoutError as exc:
        assert exc.problems, "a LayoutError must carry at least one problem"
        assert all(p.file == "fuzz.yaml" for p in exc.problems)
    else:
        assert isinstance(fac, Facility)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_random_text(text):
    _load(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(LINES) - 1),
    st.integers(0, 80),
    st.text(
        alphabet=st.sampled_from(list(" :-[]{},#'\"0123456789abcxyz\n\t.&*!|>%@")), max_size=12
    ),
)
def test_mutated_demo(line, col, insert):
    lines = list(LINES)
    s = lines[line]
    col = min(col, len(s))
    lines[line] = s[:col] + insert + s[col:]
    _load("".join(lines))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(LINES) - 1), st.integers(1, 5))
def test_truncated_or_dropped_lines(start, count):
    _load("".join(LINES[:start] + LINES[start + count :]))
    _load("".join(LINES[:start]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_random_structures_under_real_keys(value):
    for key in ("halls", "rows", "power", "cooling", "air", "telemetry"):
        mutated = dict(DEMO_DOC)
        mutated[key] = value
        _load(yaml.safe_dump(mutated))
