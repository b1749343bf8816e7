"""The data-exchange schedule and the inspection quota year of New START."""

from __future__ import annotations

import csv
import datetime as dt
import io
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.treaty import (
    DataExchangeSchedule,
    ExchangeKind,
    MonthDay,
    ScheduledExchange,
    SpecialExchange,
    load_builtin,
)

NEW_START = load_builtin("new-start")
EIF = NEW_START.dates.entry_into_force
RECORD_END = dt.date(2023, 3, 1)


def record_as_of_dates() -> list[dt.date]:
    """The distinct as-of dates of the shipped public record, in file order."""
    text = (
        resources.files("treatyledger.data")
        .joinpath("new-start-aggregates.csv")
        .read_text(encoding="utf-8")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    assert list(rows[0])[:2] == ["as_of", "party"]
    days = [dt.date.fromisoformat(r["as_of"]) for r in rows]
    return sorted(set(days))


def schedule(until: dt.date = RECORD_END) -> list[ScheduledExchange]:
    """New START's exchanges from entry into force up to ``until``."""
    return NEW_START.data_exchange.exchanges(entry_into_force=EIF, until=until)


def test_schedule_gives_exactly_the_public_record_dates() -> None:
    """Every as-of date of the public record, and no other, from 2011 to March 2023."""
    assert [e.as_of for e in schedule()] == record_as_of_dates()


def test_schedule_size_and_shape() -> None:
    """One initial, 23 semi-annual and one special exchange."""
    exchanges = schedule()
    assert len(exchanges) == 25
    kinds = [e.kind for e in exchanges]
    assert kinds.count(ExchangeKind.INITIAL) == 1
    assert kinds.count(ExchangeKind.SPECIAL) == 1
    assert kinds.count(ExchangeKind.SEMI_ANNUAL) == 23
    assert exchanges == sorted(exchanges)


def test_the_2018_special_exchange_replaces_1_march_2018() -> None:
    """Data as of 5 February 2018 took the place of the 1 March 2018 exchange."""
    by_date = {e.as_of: e for e in schedule()}
    special = by_date[dt.date(2018, 2, 5)]
    assert special.kind is ExchangeKind.SPECIAL
    assert special.due == dt.date(2018, 3, 7)
    assert dt.date(2018, 3, 1) not in by_date
    assert by_date[dt.date(2018, 9, 1)].kind is ExchangeKind.SEMI_ANNUAL


def test_no_regular_exchange_before_regular_from() -> None:
    """1 March 2011 fell between entry into force and the first regular exchange."""
    dates = [e.as_of for e in schedule()]
    assert dt.date(2011, 3, 1) not in dates
    assert dates[:3] == [dt.date(2011, 2, 5), dt.date(2011, 9, 1), dt.date(2012, 3, 1)]


def test_initial_exchange_due_45_days_after_entry_into_force() -> None:
    """Data as of entry into force, due no later than 45 days after it."""
    first = schedule()[0]
    assert first == ScheduledExchange(
        dt.date(2011, 2, 5), dt.date(2011, 3, 22), ExchangeKind.INITIAL
    )


@pytest.mark.parametrize(
    ("as_of", "due"),
    [
        (dt.date(2011, 9, 1), dt.date(2011, 10, 1)),
        (dt.date(2012, 3, 1), dt.date(2012, 3, 31)),
        (dt.date(2013, 3, 1), dt.date(2013, 3, 31)),
        (dt.date(2020, 9, 1), dt.date(2020, 10, 1)),
        (dt.date(2023, 3, 1), dt.date(2023, 3, 31)),
    ],
    ids=str,
)
def test_regular_exchange_due_30_days_after_as_of(as_of: dt.date, due: dt.date) -> None:
    """A semi-annual exchange is due 30 days after its as-of date."""
    by_date = {e.as_of: e for e in schedule()}
    assert by_date[as_of].due == due
    assert by_date[as_of].kind is ExchangeKind.SEMI_ANNUAL


def test_until_is_inclusive() -> None:
    """An as-of date equal to ``until`` is included; the day before excludes it."""
    assert schedule(dt.date(2023, 3, 1))[-1].as_of == dt.date(2023, 3, 1)
    assert schedule(dt.date(2023, 2, 28))[-1].as_of == dt.date(2022, 9, 1)


@given(st.dates(min_value=dt.date(2011, 2, 5), max_value=dt.date(2026, 2, 5)))
def test_schedule_invariants(until: dt.date) -> None:
    """Sorted, within bounds, regular ones on 1 March or 1 September, due 30 days after."""
    exchanges = schedule(until)
    assert exchanges[0].kind is ExchangeKind.INITIAL
    assert exchanges == sorted(exchanges)
    assert len({e.as_of for e in exchanges}) == len(exchanges)
    for e in exchanges:
        assert EIF <= e.as_of <= until
        if e.kind is ExchangeKind.SEMI_ANNUAL:
            assert (e.as_of.month, e.as_of.day) in ((3, 1), (9, 1))
            assert e.due - e.as_of == dt.timedelta(days=30)
    assert [e.as_of for e in schedule(until)] == [
        d for d in [e.as_of for e in schedule(dt.date(2026, 2, 5))] if d <= until
    ]


def test_schedule_refuses_an_unlisted_regular_from() -> None:
    """The first regular exchange must fall on a regular as-of day."""
    with pytest.raises(ValueError, match="not one of the as-of days"):
        DataExchangeSchedule(
            initial_within_days=45,
            as_of=(MonthDay(3, 1),),
            regular_from=dt.date(2011, 9, 1),
            due_within_days=30,
            change_notice_days=5,
            warheads_change_only_at_exchange=True,
            special=(SpecialExchange(dt.date(2018, 2, 5), 30),),
        )


def test_change_notices_within_5_days() -> None:
    """Changes are notified within 5 days; warheads change only at the exchanges."""
    assert NEW_START.data_exchange.change_notice_days == 5
    assert NEW_START.data_exchange.warheads_change_only_at_exchange


# -- the inspection quota year -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (dt.date(2011, 2, 5), dt.date(2011, 2, 5)),
        (dt.date(2020, 2, 4), dt.date(2019, 2, 5)),
        (dt.date(2020, 2, 5), dt.date(2020, 2, 5)),
        (dt.date(2020, 12, 31), dt.date(2020, 2, 5)),
        (dt.date(2021, 1, 1), dt.date(2020, 2, 5)),
    ],
    ids=str,
)
def test_quota_year_runs_from_5_february(day: dt.date, start: dt.date) -> None:
    """The quota year containing ``day`` starts on the 5 February on or before it."""
    assert NEW_START.inspections.quota_year(day) == (start, start.replace(year=start.year + 1))


@given(st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(9998, 12, 31)))
def test_quota_year_contains_the_day(day: dt.date) -> None:
    """start <= day < end, both on 5 February, one year apart."""
    start, end = NEW_START.inspections.quota_year(day)
    assert start <= day < end
    assert (start.month, start.day) == (end.month, end.day) == (2, 5)
    assert end.year == start.year + 1
