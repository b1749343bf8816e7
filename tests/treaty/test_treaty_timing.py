"""Durations ("5d", "32h", "1d12h", "90m") and recurring days ("03-01")."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.treaty import MonthDay, format_duration, parse_duration

HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5d", dt.timedelta(days=5)),
        ("32h", 32 * HOUR),
        ("1d12h", 36 * HOUR),
        ("90m", dt.timedelta(minutes=90)),
        ("1d1h1m", dt.timedelta(days=1, hours=1, minutes=1)),
        ("2d30m", dt.timedelta(days=2, minutes=30)),
        ("0h", dt.timedelta(0)),
        ("0d", dt.timedelta(0)),
        ("007h", 7 * HOUR),
        ("48h", dt.timedelta(days=2)),
    ],
)
def test_parse_duration_valid(text: str, expected: dt.timedelta) -> None:
    """The compact forms parse to the right timedelta."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5",
        "h",
        "d",
        "5x",
        "5h3d",
        "3m2h",
        "5 h",
        " 5h",
        "5h ",
        "5H",
        "-5h",
        "+5h",
        "1.5h",
        "5hh",
        "5h5h",
        "5s",
        "32 hours",
        "1w",
        "\u0665d",
        "99999999999d",
    ],
)
def test_parse_duration_invalid(text: str) -> None:
    """Anything but digits-and-unit groups in d, h, m order is refused with ValueError."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 5, 5.0, True, b"5h", ["5h"], dt.timedelta(hours=5)])
def test_parse_duration_refuses_non_strings(value: object) -> None:
    """Only strings are durations."""
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (dt.timedelta(0), "0h"),
        (dt.timedelta(days=5), "5d"),
        (48 * HOUR, "2d"),
        (32 * HOUR, "32h"),
        (dt.timedelta(minutes=90), "1h30m"),
        (dt.timedelta(minutes=45), "45m"),
        (dt.timedelta(days=1, minutes=1), "24h1m"),
    ],
)
def test_format_duration(value: dt.timedelta, text: str) -> None:
    """Whole days in days; anything else in hours and minutes, zero parts omitted."""
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "value", [dt.timedelta(seconds=-60), dt.timedelta(seconds=30), dt.timedelta(microseconds=1)]
)
def test_format_duration_refuses_negative_or_fractional(value: dt.timedelta) -> None:
    """Only whole, non-negative numbers of minutes can be written."""
    with pytest.raises(ValueError, match="whole, non-negative"):
        format_duration(value)


minutes = st.integers(min_value=0, max_value=999_999 * 24 * 60).map(
    lambda n: dt.timedelta(minutes=n)
)


@given(minutes)
def test_duration_round_trip(value: dt.timedelta) -> None:
    """parse(format(x)) == x, and format gives the canonical text."""
    text = format_duration(value)
    assert parse_duration(text) == value
    assert format_duration(parse_duration(text)) == text


@given(
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.sets(st.sampled_from("dhm"), min_size=1),
)
def test_any_ordered_combination_parses(d: int, h: int, m: int, units: set[str]) -> None:
    """Each present group adds its own amount, whatever the numbers."""
    text = "".join(f"{n}{u}" for n, u in ((d, "d"), (h, "h"), (m, "m")) if u in units)
    expected = dt.timedelta(
        days=d if "d" in units else 0,
        hours=h if "h" in units else 0,
        minutes=m if "m" in units else 0,
    )
    assert parse_duration(text) == expected


# -- MonthDay ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "month", "day"),
    [("03-01", 3, 1), ("09-01", 9, 1), ("02-05", 2, 5), ("12-31", 12, 31), ("02-28", 2, 28)],
)
def test_month_day_parse(text: str, month: int, day: int) -> None:
    """'MM-DD' parses and prints back the same."""
    parsed = MonthDay.parse(text)
    assert (parsed.month, parsed.day) == (month, day)
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("13-01", "not a day of the year"),
        ("00-10", "not a day of the year"),
        ("02-30", "not a day of the year"),
        ("04-31", "not a day of the year"),
        ("01-00", "not a day of the year"),
        ("02-29", "29 February does not recur"),
        ("3-1", "'MM-DD'"),
        ("03-1", "'MM-DD'"),
        ("03/01", "'MM-DD'"),
        ("2011-03-01", "'MM-DD'"),
        ("", "'MM-DD'"),
        (" 03-01", "'MM-DD'"),
        ("\u0660\u0663-\u0660\u0661", "'MM-DD'"),
    ],
)
def test_month_day_invalid(text: str, words: str) -> None:
    """Malformed and impossible recurring days are refused with ValueError."""
    with pytest.raises(ValueError, match=words):
        MonthDay.parse(text)


@pytest.mark.parametrize("value", [None, 301, dt.date(2020, 3, 1), ["03-01"]])
def test_month_day_refuses_non_strings(value: object) -> None:
    """Only strings are parsed."""
    with pytest.raises(ValueError, match="'MM-DD'"):
        MonthDay.parse(value)


def test_month_day_in_year_and_order() -> None:
    """A recurring day in a given year; days order by month, then day."""
    assert MonthDay(3, 1).in_year(2018) == dt.date(2018, 3, 1)
    assert sorted([MonthDay(9, 1), MonthDay(3, 1), MonthDay(2, 5)]) == [
        MonthDay(2, 5),
        MonthDay(3, 1),
        MonthDay(9, 1),
    ]


@given(st.dates().filter(lambda d: (d.month, d.day) != (2, 29)), st.integers(1, 9999))
def test_month_day_round_trip(day: dt.date, year: int) -> None:
    """Every day but 29 February recurs and survives printing and parsing."""
    recurring = MonthDay(day.month, day.day)
    assert MonthDay.parse(str(recurring)) == recurring
    assert recurring.in_year(year) == dt.date(year, day.month, day.day)
