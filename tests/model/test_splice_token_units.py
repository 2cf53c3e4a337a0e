"""The token edits one by one, on YAML snippets: each changes exactly the characters it should
(a wrong edit would otherwise be caught by the save's load-back check and hidden behind the
whole-tree writer, so these tests look at the text itself)."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel

from twin.model import splice_tokens as T


class Item(BaseModel):
    id: str
    size: int = 0
    tags: list[int] = []
    note: str | None = None


def _node(text: str, path: tuple = ()):
    node, raw = yaml.compose(text), yaml.safe_load(text)
    for key in path:
        node = next(v for k, v in node.value if k.value == key)
        raw = raw[key]
    return node, raw


def _apply(text: str, tokens: list) -> str:
    lines = text.splitlines(keepends=True)
    first, end, new = T.token_edit(lines, tokens)
    lines[first:end] = new
    return "".join(lines)


def edit(text: str, value, path: tuple = ("x",)) -> str:
    node, raw = _node(text, path)
    return _apply(text, T.value_tokens(node, raw, value))


def edit_model(text: str, model: BaseModel) -> str:
    node, raw = _node(text, ("x",))
    return _apply(text, T.model_tokens(node, raw, model))


@pytest.mark.parametrize(
    ("text", "value", "out"),
    [
        ("x: [1, 2, 3]  # c\n", [1, 2], "x: [1, 2]     # c\n"),  # the comment keeps its column
        ("x: [1, 2, 3]\n", [], "x: []\n"),
        ("x: [1]\n", [1, 5, 6], "x: [1, 5, 6]\n"),
        ("x: []\n", [4], "x: [4]\n"),
        ("x: [2, 3]\n", [2.0, 3.5], "x: [2, 3.5]\n"),  # the author's 2 stays
        ("x: [[1, 2], [3]]\n", [[1, 5], [3]], "x: [[1, 5], [3]]\n"),
        ("x: {a: 1, b: 2}\n", {"a": 1, "b": 3}, "x: {a: 1, b: 3}\n"),
        ("x: {a: 1, b: 2}\n", {"a": 1, "c": 3}, "x: {a: 1, c: 3}\n"),  # keys differ: whole
        ("x: 5   # five\n", 15, "x: 15  # five\n"),
        ("x: 5 # five\n", 1500, "x: 1500 # five\n"),  # no room: one blank
        ("x: 'a'\n", "b c", "x: b c\n"),
        ("x: 'a'\n", "a: b", "x: 'a: b'\n"),
        ("x: 1\n", None, "x: null\n"),
        ("x: 1\n", True, "x: true\n"),
        ("x: 1\n", 1e-5, "x: 1.0e-05\n"),
        ("x: [1,\n  2]\n", [1, 3], "x: [1,\n  3]\n"),  # only the item, across lines
        ("x: [1,\n  2]\n", [1], "x: [1]\n"),  # a removal across lines
        ('x: "a"  # c\n', "b", "x: b    # c\n"),
        # unchanged parts of nested values keep the author's text
        ("x: {a: 2, b: 1}\n", {"a": 2.0, "b": 3}, "x: {a: 2, b: 3}\n"),
        ("x: {a: {p: 2, q: 1}}\n", {"a": {"p": 2.0, "q": 3}}, "x: {a: {p: 2, q: 3}}\n"),
        ("x: [[2, 1], [3]]\n", [[2.0, 5], [3]], "x: [[2, 5], [3]]\n"),
        # a comment is looked for after the edit, not inside a string before it
        ("x: {a: 'p  #q', b: 5}  # c\n", {"a": "p  #q", "b": 50}, "x: {a: 'p  #q', b: 50} # c\n"),
        # a line a removal ran into keeps its text as it falls; later lines' comments move
        (
            "x: {a: [1,\n  2], b: 3,  # c\n  d: 4}  # e\n",
            {"a": [1], "b": 30, "d": 40},
            "x: {a: [1], b: 30,  # c\n  d: 40} # e\n",
        ),
    ],
)
def test_value_edits(text, value, out):
    assert edit(text, value) == out
    assert yaml.safe_load(out)["x"] == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x: |\n  text\n", "other"),  # a block scalar is not a token
        ("x:\n  - 1\n  - 2\n", [1, 3]),  # nor a block list
        ("x: [1,\n  2]\n", "flat"),  # a flow list over two lines replaced whole
        ("x: 1\n", "two\nlines"),  # a value that needs two lines
        ("x: 1\n", {1, 2}),  # not YAML data
        ("x:\n  a: 1\n  b: 2\n", {"a": 1, "b": 3}),  # a block mapping is the splicer's
        ("x: {b: 3, a: [1, 2,  # c\n  3]}\n", {"b": 30, "a": [1, 2]}),  # the comment would go
    ],
)
def test_what_is_not_a_token_edit(text, value):
    with pytest.raises(T.Unsplicable):
        edit(text, value)


@pytest.mark.parametrize(
    ("text", "model", "out"),
    [
        # a field the model no longer writes goes with its separator, wherever it stands
        ("x: {id: a, size: 3}\n", Item(id="a"), "x: {id: a}\n"),
        ("x: {size: 3, id: a}\n", Item(id="a"), "x: {id: a}\n"),
        ("x: {id: a, size: 3, note: n}\n", Item(id="a", note="n"), "x: {id: a, note: n}\n"),
        # a new field before the closing brace; set to its default, it stays out
        ("x: {id: a}  # c\n", Item(id="a", size=2), "x: {id: a, size: 2} # c\n"),
        ("x: {id: a}\n", Item(id="a", size=0), "x: {id: a}\n"),
        ("x: {id: a, tags: [1, 2]}\n", Item(id="a", tags=[1]), "x: {id: a, tags: [1]}\n"),
    ],
)
def test_model_edits(text, model, out):
    got = edit_model(text, model) if T.model_tokens(*_node(text, ("x",)), model) else text
    assert got == out


class Feeds(BaseModel):
    a: str | None = None
    b: str | None = None
    c: str | None = None


@pytest.mark.parametrize(
    ("text", "model", "out"),
    [
        # values cleared to None go with their separators, in any combination
        ("x: {a: P, b: Q, c: R}\n", Feeds(a=None, b=None, c="R"), "x: {c: R}\n"),
        ("x: {a: P, b: Q, c: R}\n", Feeds(a=None, b="Q", c=None), "x: {b: Q}\n"),
        ("x: {a: P, b: Q, c: R}\n", Feeds(a="P", b=None, c=None), "x: {a: P}\n"),
        ("x: {a: P, b: Q, c: R}\n", Feeds(a=None, b="Q", c="R"), "x: {b: Q, c: R}\n"),
        ("x: {a: P, b: Q, c: R}\n", Feeds(a=None, b=None, c=None), "x: {}\n"),
        # the only key cleared and another set: no separator left before it
        ("x: {a: P}\n", Feeds(a=None, b="P"), "x: {b: P}\n"),
        ("x: {a: P, c: R}\n", Feeds(a=None, b="Q", c=None), "x: {b: Q}\n"),
        ("x: {a: P, c: R}\n", Feeds(a=None, b="Q", c="R"), "x: {c: R, b: Q}\n"),
        # an author's own null stays
        ("x: {a: null, b: Q}\n", Feeds(a=None, b="R"), "x: {a: null, b: R}\n"),
    ],
)
def test_cleared_values_leave_a_flow_mapping(text, model, out):
    """A feed set to None was written ``a: null``; since it is taken out instead, a mapping
    that loses its only key and gains another came out ``{, b: P}`` (found by the stateful
    edit test)."""
    assert edit_model(text, model) == out


def test_the_only_field_removed_leaves_braces():
    node, raw = _node("x: {size: 3}\n", ("x",))

    class Sized(BaseModel):
        size: int = 0

    tokens = T.model_tokens(node, raw, Sized())
    assert _apply("x: {size: 3}\n", tokens) == "x: {}\n"


def test_an_empty_flow_mapping_gets_its_first_key_without_a_comma():
    class Sized(BaseModel):
        size: int = 0

    node, raw = _node("x: {}\n", ("x",))
    assert _apply("x: {}\n", T.model_tokens(node, raw, Sized(size=4))) == "x: {size: 4}\n"


def test_a_key_the_model_does_not_know_refuses():
    node, raw = _node("x: {id: a, colour: red}\n", ("x",))
    with pytest.raises(T.Unsplicable):
        T.model_tokens(node, raw, Item(id="a"))


def test_overlapping_or_out_of_range_edits_refuse():
    lines = ["x: [1, 2]\n"]
    with pytest.raises(T.Unsplicable):
        T.token_edit(lines, [((0, 3), (0, 6), "a"), ((0, 5), (0, 8), "b")])
    with pytest.raises(T.Unsplicable):
        T.token_edit(lines, [((1, 0), (1, 1), "a")])
    # touching edits are fine, applied right to left
    assert T.token_edit(lines, [((0, 4), (0, 5), "7"), ((0, 7), (0, 8), "8")]) == (
        0,
        1,
        ["x: [7, 8]\n"],
    )


def test_edits_on_two_lines_become_one_line_edit():
    lines = ["a: [1,\n", "  2]  # c\n", "b: 3\n"]
    edit_ = T.token_edit(lines, [((0, 4), (0, 5), "10"), ((1, 2), (1, 3), "20")])
    assert edit_ == (0, 2, ["a: [10,\n", "  20] # c\n"])


def test_what_counts_as_the_same():
    assert T.same([1, 2], (1, 2)) and not T.same([1, 2], [1, 2, 3]) and not T.same(1, [1])
    assert T.same({"a": 1}, {"a": 1.0}) and not T.same({"a": 1}, {"b": 1})
    assert not T.same({"a": 1}, {"a": 2}) and not T.same([1], {"a": 1})
    assert T.same({"id": "a"}, Item(id="a")) and not T.same({"id": "a", "zz": 1}, Item(id="a"))
    assert not T.same({"id": "a"}, Item(id="a", size=2)) and not T.same("a", Item(id="a"))
    assert not T.same({"id": "a", "size": 1}, Item(id="a", size=2))
    assert T.same_scalar(True, True) and not T.same_scalar(1, True) and not T.same_scalar(True, 1)
    assert T.same_scalar(None, None) and not T.same_scalar(None, 0) and not T.same_scalar(0, None)
    assert not T.same_scalar("1", 1) and not T.same_scalar(1, "1") and T.same_scalar(2, 2.0)
    assert T.is_scalar(None) and T.is_scalar("s") and not T.is_scalar([1])


def test_what_is_written():
    assert T.written(Item(id="a"), "id")  # required
    assert not T.written(Item(id="a"), "size")
    assert T.written(Item(id="a", size=0), "size")  # set explicitly
    item = Item(id="a")
    item.tags.append(3)  # filled in place: no mark, but not the default
    assert T.written(item, "tags")
    assert T.at_default(Item(id="a", size=0), "size") and not T.at_default(Item(id="a"), "id")
    assert not T.at_default(Item(id="a", size=1), "size")


def test_a_field_with_a_default_factory_at_its_default():
    from pydantic import Field

    class Listed(BaseModel):
        tags: list[int] = Field(default_factory=list)

    assert T.at_default(Listed(tags=[]), "tags") and not T.written(Listed(), "tags")
    assert T.written(Listed(tags=[]), "tags")  # set explicitly


def test_a_long_string_stays_on_one_line_as_written():
    words = "word " * 40
    assert T.inline(words.strip()) == words.strip()
    assert T.inline("inlet 27 °C") == "inlet 27 °C"


def test_inline_writes_models_and_lists():
    assert T.inline(Item(id="a", tags=[1, 2])) == "{id: a, tags: [1, 2]}"
    assert T.inline({"k": [1.5, "x y"], "n": None}) == "{k: [1.5, x y], n: null}"
    assert T.inline((1, 2)) == "[1, 2]"


def test_an_alias_is_refused_where_its_anchor_stands():
    text = "a: &n [1, 2]\nx: {k: *n}\n"
    node, raw = _node(text, ("x",))
    key, val = node.value[0]
    assert val.start_mark.line == 0  # composed as the anchored list, on the first line
    with pytest.raises(T.Unsplicable):
        T.value_tokens(val, raw["k"], [1, 3], key.end_mark)
    with pytest.raises(T.Unsplicable):
        T.value_tokens(node, raw, {"k": [1, 3]})
    assert T.own(node, node.start_mark) is node
    lst, lraw = _node("x: [&m 1, *m]\n", ("x",))
    with pytest.raises(T.Unsplicable):
        T.value_tokens(lst, lraw, [1, 2])
