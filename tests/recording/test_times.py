"""Times typed for a recording (``twin.recording.times``): each form resolves to the instant
computed here by hand, and each malformed one gets the message that says what is accepted."""

from __future__ import annotations

import pytest

from twin.recording.times import EPOCH_MIN_S, parse_at, parse_duration

START = 1_790_000_000.0  # 2026-09-21T14:13:20Z


@pytest.mark.parametrize(
    ("text", "offset_s"),
    [
        ("12:30", 12 * 60 + 30),  # mm:ss from the start
        ("+12:30", 12 * 60 + 30),
        ("1:02:03", 3600 + 2 * 60 + 3),  # h:mm:ss
        ("0:59.5", 59.5),
        ("90", 90),  # a bare number below EPOCH_MIN_S is an offset
        ("+90", 90),
        ("2.5", 2.5),
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("1m30", 90),  # the seconds after the last unit
        ("250ms", 0.25),
        ("  7s  ", 7),
    ],
)
def test_offsets_count_from_the_start(text, offset_s):
    assert parse_at(text, START) == START + offset_s


def test_minutes_and_seconds_past_59_are_refused_with_the_rule():
    for text in ("1:75", "0:60", "1:60:00", "1:00:61"):
        with pytest.raises(ValueError, match=r"not a time: '.*' \(minutes and seconds run 0-59\)"):
            parse_at(text, START)
    assert parse_at("1:59:59", 0.0) == 7199.0


def test_a_large_bare_number_is_an_absolute_unix_time():
    # EPOCH_MIN_S itself is already absolute: 2001-09-09T01:46:40Z
    assert EPOCH_MIN_S == 1e9
    assert parse_at("1000000000", START) == 1e9
    assert parse_at("999999999", 5.0) == 5.0 + 999_999_999
    assert parse_at("1790000100.5", 0.0) == 1_790_000_100.5
    # "+" makes even a large number an offset
    assert parse_at("+1000000000", 5.0) == 5.0 + 1e9


def test_iso_times_are_utc_unless_zoned():
    # 2026-09-21T14:15:00Z is START + 100 s; 16:15 at +02:00 is the same instant
    assert parse_at("2026-09-21T14:15:00", 0.0) == START + 100
    assert parse_at("2026-09-21T16:15:00+02:00", 0.0) == START + 100
    assert parse_at("2026-09-21 14:15:00Z", 123.0) == START + 100


def test_anything_else_names_the_accepted_forms():
    for text in ("half past", "12:3x", "", "5 parsecs"):
        with pytest.raises(ValueError) as err:
            parse_at(text, START)
        assert str(err.value) == (
            f"not a time: {text!r} (use mm:ss or h:mm:ss from the recording start, 90s / 5m "
            "from the start, or an ISO 8601 time)"
        )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45", 45), ("1.5h", 5400), ("1h 30m", 5400), ("2m5", 125), ("90S", 90), ("100ms", 0.1)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds, abs=1e-12)


def test_a_duration_with_anything_left_over_is_refused():
    for text in ("10 parsecs", "5m and a bit", "m", "h5"):
        with pytest.raises(ValueError, match=r"not a duration: '.*' \(e\.g\. 30m, 1h30m, 90s\)"):
            parse_duration(text)
