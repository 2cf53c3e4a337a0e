"""``twin simulate``: a bad option value is one line naming it, exit 2, before any frame is
simulated or any file made; never a traceback, a run of hours or a recording of terabytes."""

from __future__ import annotations

import pytest

from twin.cli import main


@pytest.fixture
def no_recording(monkeypatch):
    """Any recording that starts fails the test: refusals come first."""
    from twin.commands import simulate

    def record(*args, **kwargs):
        raise AssertionError("the recording started")

    monkeypatch.setattr(simulate, "_record", record)


def _run(layout, tmp_path, *args):
    out = tmp_path / "run.h5"
    rc = main(["simulate", str(layout), *args, "-o", str(out)])
    assert not out.exists()
    return rc


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--duration", "nan"], "--duration must be"),
        (["--duration", "inf"], "--duration must be"),
        (["--rate", "nan"], "--rate must be"),
        (["--rate", "inf"], "--rate must be"),
        (["--rate", "1e308"], "--rate must be"),
        (["--rate", "0"], "--rate must be"),
        (["--seed", "-1"], "--seed must be a whole number from 0"),
        (["--rate", "1e-9", "--duration", "1m"], "shorter than one frame"),
        (["--scenario", "crah-trip", "--fail-at", "10m", "--duration", "1m"], "--fail-at 600 s"),
        (["--scenario", "crah-trip", "--fail-at", "nan"], "--fail-at must be"),
        (["--scenario", "crah-trip", "--fail-at", "-5"], "--fail-at must be"),
        (["--scenario", "crah-trip", "--recover-at", "1m"], "--recover-at must come after"),
        (["--fail-at", "1m"], "--fail-at goes with"),
        (["--start", "nan"], "--start must be"),
        (["--start", "2300-01-01T00:00:00Z"], "--start must be a number from 0 to"),
        (["--start", "2199-12-31T23:59:30Z", "--duration", "1m"], "ends after 2200-01-01"),
        (["--duration", "100000h"], "360,000,000 frames"),
    ],
)
def test_bad_values_are_refused_before_recording(
    no_recording, small_layout_file, tmp_path, capsys, args, says
):
    """``--duration nan`` or ``--rate 1e308`` were tracebacks at ``int(round(...))``, ``--seed
    -1`` said "expected non-negative integer" naming no option, ``--rate 1e-9`` for a minute
    claimed 10^9 s simulated and ``--fail-at 10m --duration 1m`` recorded no trip."""
    assert _run(small_layout_file, tmp_path, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("twin simulate: ") and err.count("\n") == 1 and says in err


def test_the_frame_cap_says_how_big_the_recording_would_be(
    no_recording, small_layout_file, tmp_path, capsys
):
    assert _run(small_layout_file, tmp_path, "--duration", "100000h") == 2
    err = capsys.readouterr().err
    assert "GB" in err and "at most 1,000,000 frames" in err and "items" in err


def test_a_default_failure_past_the_end_is_warned_of(small_layout_file, tmp_path, capsys):
    """crah-trip fails at 120 s unless told: a 30 s run records no failure, and says so."""
    out = tmp_path / "run.h5"
    args = ["simulate", str(small_layout_file), "--scenario", "crah-trip", "--duration", "30s"]
    assert main([*args, "-q", "-o", str(out)]) == 0
    assert "after the run's last frame" in capsys.readouterr().err
