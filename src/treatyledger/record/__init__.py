"""The public record of a treaty: published aggregate figures, judged against the limits."""

from treatyledger.record.aggregates import (
    DataStatus,
    ExchangeFigures,
    PublicRecord,
    load_record,
    parse_record,
)
from treatyledger.record.check import (
    ExchangeJudgement,
    LimitJudgement,
    RecordStatus,
    check_record,
)

__all__ = [
    "DataStatus",
    "ExchangeFigures",
    "ExchangeJudgement",
    "LimitJudgement",
    "PublicRecord",
    "RecordStatus",
    "check_record",
    "load_record",
    "parse_record",
]
