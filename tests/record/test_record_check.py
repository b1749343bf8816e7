"""Judging each exchange against the limits in force on its date."""

from __future__ import annotations

import datetime as dt

import pytest

from treatyledger.record import (
    ExchangeJudgement,
    RecordStatus,
    check_record,
    load_record,
    parse_record,
)
from treatyledger.treaty import TreatySpec

HEADER = "as_of,party,deployed_delivery_vehicles,warheads,launchers,status,source\n"


def _judge(spec: TreatySpec, line: str) -> ExchangeJudgement:
    (judgement,) = check_record(spec, parse_record(HEADER + line, spec=spec, source="t.csv"))
    return judgement


def _one(spec: TreatySpec, party: str, as_of: dt.date) -> ExchangeJudgement:
    record = load_record(spec)
    return next(
        j
        for j in check_record(spec, record)
        if j.figures.party == party and j.figures.as_of == as_of
    )


def test_russia_september_2022_warheads_within_by_one(new_start: TreatySpec) -> None:
    judgement = _one(new_start, "RU", dt.date(2022, 9, 1))
    warheads = next(j for j in judgement.limits if j.limit == "warheads")
    assert (warheads.count, warheads.cap, warheads.headroom) == (1549, 1550, 1)
    assert warheads.status is RecordStatus.WITHIN
    assert judgement.status is RecordStatus.WITHIN


def test_us_february_2011_is_not_binding(new_start: TreatySpec) -> None:
    judgement = _one(new_start, "US", dt.date(2011, 2, 5))
    assert judgement.status is RecordStatus.NOT_BINDING
    assert {j.status for j in judgement.limits} == {RecordStatus.NOT_BINDING}
    # The figures and the later cap are still reported, so the distance is visible.
    warheads = next(j for j in judgement.limits if j.limit == "warheads")
    assert (warheads.count, warheads.headroom) == (1800, -250)


def test_limits_bind_from_the_day_they_took_effect(new_start: TreatySpec) -> None:
    before = _judge(new_start, "2018-02-04,US,900,2000,900,reported,x\n")
    on_the_day = _judge(new_start, "2018-02-05,US,900,2000,900,reported,x\n")
    assert before.status is RecordStatus.NOT_BINDING
    assert on_the_day.status is RecordStatus.EXCEEDS


def test_limits_stop_binding_at_expiry(new_start: TreatySpec) -> None:
    last_day = _judge(new_start, "2026-02-04,US,701,1,1,reported,x\n")
    expired = _judge(new_start, "2026-02-05,US,701,1,1,reported,x\n")
    assert last_day.status is RecordStatus.EXCEEDS
    assert expired.status is RecordStatus.NOT_BINDING


def test_count_equal_to_cap_is_within_and_one_more_exceeds(new_start: TreatySpec) -> None:
    at_cap = _judge(new_start, "2019-03-01,US,700,1550,800,reported,x\n")
    assert at_cap.status is RecordStatus.WITHIN
    assert [j.headroom for j in at_cap.limits] == [0, 0, 0]
    for column in range(3):
        counts = [700, 1550, 800]
        counts[column] += 1
        over = _judge(new_start, f"2019-03-01,US,{counts[0]},{counts[1]},{counts[2]},reported,x\n")
        assert over.status is RecordStatus.EXCEEDS
        assert [j.status for j in over.limits].count(RecordStatus.EXCEEDS) == 1
        assert over.limits[column].headroom == -1


def test_not_provided_is_never_zero(new_start: TreatySpec) -> None:
    judgement = _one(new_start, "RU", dt.date(2023, 3, 1))
    assert judgement.status is RecordStatus.NOT_PROVIDED
    for limit in judgement.limits:
        assert limit.count is None
        assert limit.headroom is None
        assert limit.status is RecordStatus.NOT_PROVIDED
    as_json = judgement.to_json()
    assert as_json["status"] == "not_provided"
    assert all(item["count"] is None for item in as_json["limits"])


def test_no_published_exchange_exceeds_a_limit_in_force(new_start: TreatySpec) -> None:
    statuses = {
        (j.figures.as_of >= dt.date(2018, 2, 5), j.status)
        for j in check_record(new_start, load_record(new_start))
    }
    assert statuses == {
        (False, RecordStatus.NOT_BINDING),
        (True, RecordStatus.WITHIN),
        (True, RecordStatus.NOT_PROVIDED),
    }


@pytest.mark.parametrize("party", ["GB", "FR", "US"])
def test_party_caps_apply_per_party(strategic_p5: TreatySpec, party: str) -> None:
    text = f"as_of,party,warheads,status,source\n2032-03-01,{party},280,reported,x\n"
    (judgement,) = check_record(strategic_p5, parse_record(text, spec=strategic_p5, source="t.csv"))
    expected = {"GB": RecordStatus.EXCEEDS, "FR": RecordStatus.WITHIN, "US": RecordStatus.WITHIN}[
        party
    ]
    assert judgement.status is expected
    assert judgement.limits[0].cap == {"GB": 260, "FR": 300, "US": 1550}[party]
