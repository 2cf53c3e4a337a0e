"""Numbers that read the same under YAML 1.1 and 1.2 load as before; those that do not
(``045``, ``1:20``) and keys given twice are refused (``bad_layouts/``). Checked on both
loading paths: the lean one and PyYAML's own (which an alias sends a layout to)."""

from __future__ import annotations

import pytest

from twin.model.loader import facility_from_text

HEAD = """\
format: twin-layout/1
name: numbers
halls:
  - id: H1
    size_m: [12, 8, 4]
rows:
  - id: A
    hall: H1
    racks:
      - {id: A01, position_m: [2, 3], load: &load {power_kw: 20.0, delta_t_k: 12}}
"""


@pytest.mark.parametrize("alias", [False, True], ids=["lean", "pyyaml"])
@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("0x1E", 30.0),  # hexadecimal: 30 under both versions
        ("045.5", 45.5),  # a float's leading zero is decimal under both
        ("0", 0.0),
        ("-0.0", 0.0),
        ("1_000", 1000.0),
        ("30", 30.0),
    ],
)
def test_numbers_both_versions_agree_on(alias, written, value):
    text = (
        HEAD
        + f"      - {{id: A02, position_m: [4, 3], rotation_deg: 90, load: {{power_kw: {written}, delta_t_k: 12}}}}\n"
    )
    if alias:
        text += "      - {id: A03, position_m: [6, 3], load: *load}\n"
    fac = facility_from_text(text)
    assert fac.rack_power_w[fac.rack_index["A02"]] == pytest.approx(value * 1e3)


def test_a_quoted_leading_zero_is_text():
    fac = facility_from_text(HEAD.replace("name: numbers", "name: '045'"))
    assert fac.layout.name == "045"


def test_a_merge_key_may_be_overridden():
    """``<<: *load`` then the key again is YAML's way to override a merged value, not a
    repeated key."""
    text = HEAD + "      - {id: A02, position_m: [4, 3], load: {<<: *load, power_kw: 35.0}}\n"
    fac = facility_from_text(text)
    assert fac.rack_power_w[fac.rack_index["A02"]] == pytest.approx(35e3)
    assert fac.rack_power_w[fac.rack_index["A01"]] == pytest.approx(20e3)
