"""The one-pass YAML loader (``yamlpos.load_with_lines``) against PyYAML's own: the same data,
the same lines as a second pass over the text, and the same messages for a layout's faults,
big or small."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import yaml
from layout_corpus import CASES

from twin.bench.big_layout import UNKNOWN_KEY, big_layout_text
from twin.model import loader
from twin.model.errors import LayoutError
from twin.model.loader import facility_from_text
from twin.model.yamlpos import Fallback, lines_of, load_with_lines

ROOT = Path(__file__).parents[2]
SHIPPED = sorted((ROOT / "layouts").glob("*.yaml")) + sorted(
    (ROOT / "assets/catalog").glob("*.yaml")
)


def _same(a: object, b: object) -> bool:
    """Equal, of the same types all the way down (1 == 1.0 == True is not enough), NaN == NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[arg-type]
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)  # type: ignore[arg-type]
    return a == b


def _paths(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


SCALARS = """\
plain: text
quoted_number: '12'
double_quoted: "1.5"
int: 42
zero: 0
negative: -7
hex: 0x1F
binary: 0b101
underscored: 1_000
float: 2.5
exp_float: 1.5e+3
exp_no_dot: 1e3
leading_dot: .5
trailing_dot: 3.
inf: .inf
neg_inf: -.Inf
nan: .NaN
yes_word: yes
no_word: No
on_word: on
off_word: OFF
true_word: True
yes: a boolean key
null_word: null
tilde: ~
empty:
date: 2024-01-02
stamp: 2024-01-02T03:04:05Z
literal: |
  two
  lines
folded: >
  one
  line
flow: {a: [1, 2.0, x], b: {c: ~}}
7: int key
2.5: float key
nested:
  - - a
    - [b, c]
  - {}
  - []
"""

FALLBACKS = {
    "alias": "a: &x [1, 2]\nb: *x\n",
    "merge": "a: &x {p: 1}\nb:\n  <<: *x\n  q: 2\n",
    "tag": "a: !!str 12\n",
    "collection tag": "a: !!set {x, y}\n",
    "complex key": "? [a, b]\n: 1\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "no document": "",
    "value key": "=: 1\n",
}


def test_scalars_and_collections_match_pyyaml():
    data, _, nodes = load_with_lines(SCALARS)
    assert _same(data, yaml.safe_load(SCALARS))
    assert nodes == len(_paths(data)) + sum(len(d) for d in _walk_dicts(data))


@pytest.mark.parametrize("written", ["010", "-07", "1:30", "1:30.5", "9" * 401])
def test_numbers_yaml_versions_read_apart_are_refused_with_their_line(written):
    """PyYAML (YAML 1.1) reads 010 as 8 and 1:30 as 90; YAML 1.2 as 10 and text. The lean
    path refuses them where they stand (``bad_layouts/`` has them in layouts), and integers
    too long to be numbers."""
    with pytest.raises(yaml.constructor.ConstructorError) as info:
        load_with_lines(f"a: 1\nb:\n  - 2\n  - {written}\n")
    assert info.value.problem_mark.line + 1 == 4


def _walk_dicts(data: object) -> list[dict]:
    out = []
    if isinstance(data, dict):
        out.append(data)
        for v in data.values():
            out += _walk_dicts(v)
    elif isinstance(data, list):
        for v in data:
            out += _walk_dicts(v)
    return out


@pytest.mark.parametrize("name", FALLBACKS)
def test_beyond_the_lean_path_it_falls_back(name):
    with pytest.raises(Fallback):
        load_with_lines(FALLBACKS[name])


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_files_load_the_same_with_the_same_lines(path):
    text = path.read_text()
    data, lines, _ = load_with_lines(text)
    assert _same(data, yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506 - safe loader
    paths = _paths(data)
    if len(paths) > 20_000:  # the factory: every 7th path keeps the second pass short
        paths = paths[::7]
    # paths that go deeper than the data, or through a missing key, stop where lines_of stops
    probes = paths + [(*p, "nope", 3) for p in paths[::50]] + [("nope",), ()]
    assert lines.lines_of(probes) == lines_of(text, probes)


@pytest.mark.parametrize("case", CASES[::3], ids=[c.name for c in CASES[::3]])
def test_corpus_texts_load_the_same(case):
    text = case.text()
    try:
        data, lines, _ = load_with_lines(text)
    except Fallback:
        return
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - safe loader
        return
    assert _same(data, yaml.load(text, Loader=yaml.CSafeLoader))  # noqa: S506 - safe loader
    probes = _paths(data)[::11]
    assert lines.lines_of(probes) == lines_of(text, probes)


def _messages(text: str, name: str) -> list[str]:
    with pytest.raises(LayoutError) as info:
        facility_from_text(text, name)
    return [str(p) for p in info.value.problems]


def _pyyaml_only(monkeypatch) -> None:
    """Send every text down PyYAML's constructor and the second pass over the text."""

    def refuse(text: str, **how):
        raise Fallback("test")

    monkeypatch.setattr(loader, "load_with_lines_parallel", refuse)


def _rack_at(text: str, line: int) -> tuple[int, int]:
    """(row index, rack index) of the rack whose item covers ``line``, counted in the text."""
    before = text.splitlines()[:line]
    starts = [i for i, ln in enumerate(before) if re.match(r"- id: H\d+-R\d+$", ln)]
    row, row_start = len(starts) - 1, starts[-1]
    rack = sum(1 for ln in before[row_start:] if ln.startswith("  - id: ")) - 1
    return row, rack


@pytest.mark.parametrize("fault", ["duplicate-id", "unknown-key"])
def test_planted_fault_same_message_big_or_small(fault, monkeypatch):
    small = big_layout_text(60_000, fault=fault)
    big = big_layout_text(3 * 2**20, fault=fault)
    lines, messages = {}, {}
    for name, text in (("small.yaml", small), ("big.yaml", big)):
        needle = f"    {UNKNOWN_KEY}: red" if fault == "unknown-key" else "  - id: H000-R000-000"
        at = [i + 1 for i, ln in enumerate(text.splitlines()) if ln == needle][-1]
        row, rack = _rack_at(text, at)
        if fault == "unknown-key":
            expected = f"{name}:{at}: rows[{row}].racks[{rack}].{UNKNOWN_KEY}: unknown field {UNKNOWN_KEY!r}"
        else:
            expected = (
                f"{name}:{at}: rows[{row}].racks[{rack}].id: duplicate id 'H000-R000-000' "
                "(first used at rows[0].racks[0])"
            )
        messages[name] = _messages(text, name)
        assert messages[name] == [expected]
        lines[name] = at
    assert lines["big.yaml"] > 100_000  # deep in a big file
    _pyyaml_only(monkeypatch)  # PyYAML's constructor and a second pass for the lines
    assert _messages(small, "small.yaml") == messages["small.yaml"]


def test_generated_big_layout_is_valid_without_a_fault():
    text = big_layout_text(200_000)
    fac = facility_from_text(text, "ok.yaml")
    assert fac.n_racks == len(re.findall(r"^  - id: ", text, re.M))
    assert abs(len(text) - 200_000) < 20_000


def test_alias_bomb_still_refused_on_the_fallback_path():
    bomb = "format: twin-layout/1\nname: x\na: &a [" + ",".join(["x"] * 9) + "]\n"
    for level in "bcdefgh":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    with pytest.raises(LayoutError, match="too many items"):
        facility_from_text(bomb, "bomb.yaml")
