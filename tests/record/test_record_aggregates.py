"""The shipped public record: its contents, and the parser's refusals."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from treatyledger.errors import NotFoundError, RecordError
from treatyledger.record import DataStatus, load_record, parse_record
from treatyledger.treaty import TreatySpec

HEADER = "as_of,party,deployed_delivery_vehicles,warheads,launchers,status,source\n"


def test_shipped_record_is_the_shared_reference(new_start: TreatySpec, shared: Path) -> None:
    """The package data is exactly the reference file, byte for byte."""
    shipped = resources.files("treatyledger.data").joinpath("new-start-aggregates.csv")
    reference = shared / "reference" / "new-start-aggregates.csv"
    assert shipped.read_bytes() == reference.read_bytes()


def test_record_covers_every_exchange_2011_to_2023(new_start: TreatySpec) -> None:
    record = load_record(new_start)
    assert record.limits == ("deployed_delivery_vehicles", "warheads", "launchers")
    assert record.parties == ("US", "RU")
    assert len(record.rows) == 50
    for party in ("US", "RU"):
        dates = [r.as_of for r in record.for_party(party)]
        assert dates[0] == dt.date(2011, 2, 5)
        assert dates[-1] == dt.date(2023, 3, 1)
        assert len(dates) == 25
    assert all(r.source for r in record.rows)


def test_russia_march_2023_is_not_provided_not_zero(new_start: TreatySpec) -> None:
    record = load_record(new_start)
    (row,) = [r for r in record.rows if r.party == "RU" and r.as_of == dt.date(2023, 3, 1)]
    assert row.counts is None
    assert row.data_status is DataStatus.NOT_PROVIDED


def test_published_figures_are_read_as_given(new_start: TreatySpec) -> None:
    record = load_record(new_start)
    (us_2020,) = [r for r in record.rows if r.party == "US" and r.as_of == dt.date(2020, 9, 1)]
    assert us_2020.counts == {"deployed_delivery_vehicles": 675, "warheads": 1457, "launchers": 800}
    statuses = {r.data_status for r in record.rows}
    assert statuses == set(DataStatus)


def test_illustrative_treaty_has_no_record(strategic_p5: TreatySpec) -> None:
    with pytest.raises(NotFoundError, match="illustrative"):
        load_record(strategic_p5)


@pytest.mark.parametrize(
    ("text", "row", "problem"),
    [
        pytest.param("", 1, "empty", id="empty-file"),
        pytest.param("as_of,party,warheads\n", 1, "header", id="header-without-status"),
        pytest.param(
            "as_of,party,bombs,status,source\n",
            1,
            "'bombs' is not a limit",
            id="unknown-limit-column",
        ),
        pytest.param(HEADER + "2011-02-31,US,1,2,3,reported,x\n", 2, "as_of", id="impossible-date"),
        pytest.param(
            HEADER + "2011-02-05,UK,1,2,3,reported,x\n",
            2,
            "'UK' is not a party",
            id="unknown-party",
        ),
        pytest.param(HEADER + "2011-02-05,US,1,2,3,rumoured,x\n", 2, "status", id="unknown-status"),
        pytest.param(HEADER + "2011-02-05,US,1,2,3,reported,\n", 2, "source", id="missing-source"),
        pytest.param(
            HEADER + "2011-02-05,US,1,-2,3,reported,x\n", 2, "warheads", id="negative-count"
        ),
        pytest.param(
            HEADER + "2011-02-05,US,1,2.5,3,reported,x\n", 2, "warheads", id="fractional-count"
        ),
        pytest.param(
            HEADER + "2011-02-05,US,1,,3,reported,x\n",
            2,
            "not-provided",
            id="blank-count-in-reported-row",
        ),
        pytest.param(
            HEADER + "2011-02-05,US,0,0,0,not-provided,x\n",
            2,
            "no figures",
            id="zeros-in-not-provided-row",
        ),
        pytest.param(HEADER + "2011-02-05,US,1,2,reported,x\n", 2, "columns", id="short-row"),
        pytest.param(
            HEADER + "2011-02-05,US,1,2,3,reported,x\n2011-02-05,US,1,2,3,reported,y\n",
            3,
            "second row",
            id="duplicate-exchange",
        ),
    ],
)
def test_malformed_record_is_refused(
    new_start: TreatySpec, text: str, row: int, problem: str
) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(text, spec=new_start, source="bad.csv")
    assert caught.value.row == row
    assert caught.value.source == "bad.csv"
    assert problem in caught.value.problem
