"""``twin generate``: every size option bounded, with the reason in the help; a size that
would make a layout ``twin validate`` refuses is refused, and so is an unwritable ``-o``,
before anything is generated."""

from __future__ import annotations

import pytest

from twin.cli import main


@pytest.fixture
def no_generating(monkeypatch):
    """Any generation that starts fails the test: refusals come first."""
    from twin.model import generate

    def build(*args, **kwargs):
        raise AssertionError("the layout was generated")

    monkeypatch.setattr(generate, "ai_factory", build)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--racks-per-row", "100000000"], "--racks-per-row must be a whole number from 1 to 75"),
        (["--racks-per-row", "0"], "--racks-per-row must be a whole number from 1 to 75"),
        (["--racks-per-row", "-5"], "--racks-per-row must be a whole number from 1 to 75"),
        (["--liquid-halls", "0"], "--liquid-halls must be a whole number from 1 to 16"),
        (["--rows-per-hall", "3"], "--rows-per-hall must be even"),
        (["--rows-per-hall", "0"], "--rows-per-hall must be a whole number from 2 to 40"),
        (["--rows-per-hall", "40", "--racks-per-row", "75"], "3,000 racks a hall"),
        (["--liquid-halls", "16", "--racks-per-row", "75", "--rows-per-hall", "4"], "4,800"),
    ],
)
def test_bad_sizes_are_refused_before_generating(no_generating, tmp_path, capsys, args, says):
    """``--racks-per-row 100000000`` grew past 5 GB; 0 or -5 racks, or 0 liquid halls, wrote
    layouts ``twin validate`` refuses, and 3 rows (help: even) were taken."""
    out = tmp_path / "f.yaml"
    assert main(["generate", "ai-factory", *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin generate: ") and err.count("\n") == 1 and says in err
    assert not out.exists()


def test_size_options_go_with_ai_factory(no_generating, capsys):
    assert main(["generate", "demo-air-hall", "--racks-per-row", "5"]) == 2
    assert "--racks-per-row goes with ai-factory" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["nodir/x.yaml", "folder", "rec.h5"])
def test_an_unwritable_output_is_refused_first(no_generating, tmp_path, capsys, target):
    (tmp_path / "folder").mkdir()
    (tmp_path / "rec.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    assert main(["generate", "ai-factory", "-o", str(tmp_path / target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin generate: ") and err.count("\n") == 1
    assert (tmp_path / "rec.h5").read_bytes().startswith(b"\x89HDF")


def test_the_smallest_and_largest_sizes_validate(tmp_path, capsys):
    """The bounds are where the generated power chain stops carrying the racks: both ends
    load as valid layouts."""
    from twin.model.loader import load_layout

    for args in (["1", "1", "2"], ["4", "75", "10"]):
        out = tmp_path / "f.yaml"
        cmd = ["generate", "ai-factory", "--liquid-halls", args[0], "--racks-per-row", args[1]]
        assert main([*cmd, "--rows-per-hall", args[2], "-o", str(out)]) == 0
        load_layout(out)
