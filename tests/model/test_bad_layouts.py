"""Every broken layout in the corpus gives a LayoutError naming the file, line and field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from twin.model.errors import LayoutError
from twin.model.loader import facility_from_text, load_layout

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


def _only_problem(info, path) -> tuple:
    """The one problem of a file that could not be read at all: no field, no line."""
    [p] = info.value.problems
    assert info.value.path == str(path) and str(path) in str(info.value)
    return p.field, p.line, p.file, p.message


def test_missing_file_is_a_layout_error(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(LayoutError, match="cannot read") as info:
        load_layout(path)
    msg = "cannot read file: No such file or directory"
    assert _only_problem(info, path) == ("", None, str(path), msg)


@pytest.mark.timeout(20)
def test_a_fifo_or_a_device_is_refused_without_reading_it(tmp_path):
    """`twin validate hall.yaml fifo.yaml` blocked for ever; /dev/zero would fill memory."""
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LayoutError) as info:
        load_layout(fifo)
    assert _only_problem(info, fifo) == (
        "",
        None,
        str(fifo),
        f"not a layout file: {fifo} is a FIFO",
    )
    # a device: a private twin of /dev/null, which reads empty, so that a mutant of the
    # loader that reads it anyway fails here instead of filling the memory from /dev/zero
    import stat

    device = tmp_path / "device.yaml"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root (CI runs as root)")
    with pytest.raises(LayoutError) as info:
        load_layout(device)
    msg = f"not a layout file: {device} is a device or socket"
    assert _only_problem(info, device) == ("", None, str(device), msg)


def test_binary_file_is_a_layout_error(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LayoutError, match="UTF-8") as info:
        load_layout(p)
    msg = "not UTF-8 text (invalid start byte at byte 0)"
    assert _only_problem(info, p) == ("", None, str(p), msg)


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    import twin.model.loader as loader

    p = tmp_path / "big.yaml"
    p.write_text(BASE)
    monkeypatch.setattr(loader, "MAX_LAYOUT_BYTES", 100)
    with pytest.raises(LayoutError) as info:
        load_layout(p)
    msg = f"file too large: {len(BASE.encode()):,} bytes (at most 100)"
    assert _only_problem(info, p) == ("", None, str(p), msg)


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


BASE = """\
format: twin-layout/1
name: refs
halls: [{id: H, size_m: [10, 8, 3]}]
rows:
  - id: A
    hall: H
    racks:
      - {id: A01, position_m: [2, 2], servers: [{type: dgx-h100, count: 1}], feeds: {a: PDU-A}}
power:
  - {id: UTIL, type: utility-feed-5mva}
  - {id: PDU-A, type: pdu-300kva, upstream: UTIL, hall: H, position_m: [8, 1]}
cooling:
  air_units: [{id: C1, type: crah-77kw, hall: H, position_m: [5, 7]}]
"""

#: (what changes in BASE, the line that names the problem, its field, its message)
REFERENCE_CASES = {
    "duplicate-hall": (
        ("halls: [{id: H, size_m: [10, 8, 3]}]", "halls: [{id: H, size_m: [10, 8, 3]}, {id: H, size_m: [5, 5, 3]}]"),
        3, "halls[1].id", "duplicate id 'H' (first used at halls[0])",
    ),
    "duplicate-power-id": (
        ("  - {id: PDU-A,", "  - {id: UTIL, type: pdu-300kva, hall: H, position_m: [8, 3]}\n  - {id: PDU-A,"),
        11, "power[1].id", "duplicate id 'UTIL' (first used at power[0])",
    ),
    "unknown-power-type": (
        ("type: pdu-300kva", "type: pdu-nope"),
        11, "power[1].type", "unknown type 'pdu-nope': not in the catalog",
    ),
    "unknown-upstream": (
        ("upstream: UTIL", "upstream: NOPE"),
        11, "power[1].upstream", "unknown power device 'NOPE'",
    ),
    "sensor-in-unknown-hall": (
        ("cooling:", "sensors:\n  - {id: S1, hall: H9, position_m: [1, 1, 1]}\ncooling:"),
        13, "sensors[0].hall", "unknown hall 'H9'",
    ),
    "unit-outside-hall": (
        ("position_m: [5, 7]}]", "position_m: [15, 7]}]"),
        13, "cooling.air_units[0].position_m", "'C1' lies outside hall 'H'",
    ),
    "unknown-chiller": (
        ("cooling:", "energy:\n  plants:\n  - {id: P, chiller: chiller-nope}\ncooling:"),
        14, "energy.plants[0].chiller", "unknown type 'chiller-nope': not in the catalog",
    ),
    "duplicate-plant": (
        ("cooling:", "energy:\n  plants:\n  - {id: P, serves: [air]}\n  - {id: P, serves: [liquid, H, C1]}\ncooling:"),
        15, "energy.plants[1].id", "duplicate plant id 'P'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_a_bad_reference_is_reported_at_its_field(tmp_path, case):
    (old, new), line, field, msg = REFERENCE_CASES[case]
    assert old in BASE
    path = tmp_path / f"{case}.yaml"
    path.write_text(BASE.replace(old, new, 1))
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    got = [(p.line, p.field, p.message) for p in info.value.problems]
    assert got == [(line, field, msg)], got  # that one problem only ('air', 'liquid' known)


def test_the_base_of_the_reference_cases_loads(tmp_path):
    path = tmp_path / "base.yaml"
    path.write_text(BASE)
    assert load_layout(path).n_racks == 1


def _problems(text: str) -> list[tuple]:
    with pytest.raises(LayoutError) as info:
        facility_from_text(text)
    assert info.value.path is None
    return [(p.message, p.field, p.line, p.file) for p in info.value.problems]


def test_text_over_the_size_limit_is_refused_at_the_limit_not_before(monkeypatch):
    import twin.model.loader as loader

    monkeypatch.setattr(loader, "MAX_LAYOUT_BYTES", len(BASE))
    assert facility_from_text(BASE).n_racks == 1  # exactly at the limit: read
    monkeypatch.setattr(loader, "MAX_LAYOUT_BYTES", len(BASE) - 1)
    msg = f"file too large: {len(BASE):,} characters (at most {len(BASE) - 1:,})"
    assert _problems(BASE) == [(msg, "", None, "<layout>")]


def test_aliases_that_expand_to_millions_of_values_are_refused():
    text = "format: twin-layout/1\nname: bomb\n"
    text += "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for prev, cur in zip("abcde", "bcdef", strict=True):
        text += f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
    [(msg, field, line, file)] = _problems(text)
    budget = 100_000 + len(text)
    assert msg == (
        f"too many items: more than {budget:,} values once YAML aliases (*name) are "
        f"expanded, in {len(text):,} characters (the limit of a layout)"
    )
    assert (field, line, file) == ("", None, "<layout>")


def test_past_the_problem_limit_the_rest_are_counted(monkeypatch):
    import twin.model.loader as loader

    monkeypatch.setattr(loader, "MAX_PROBLEMS", 1)
    text = BASE.replace("upstream: UTIL", "upstream: NOPE").replace("a: PDU-A", "a: NOPE")
    got = _problems(text)
    assert len(got) == 2
    assert got[1] == ("... and 1 more problems", "", None, "<layout>")
