"""The public record: the aggregate figures published for each data exchange.

Only three numbers per party were ever made public for each New START data
exchange. The shipped file gives each row's status and sources; a party that
provided no data has no figures, never zeros.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

from treatyledger.errors import NotFoundError, RecordError
from treatyledger.treaty.spec import TreatySpec

__all__ = ["DataStatus", "ExchangeFigures", "PublicRecord", "load_record", "parse_record"]

_FIXED_HEAD = ("as_of", "party")
_FIXED_TAIL = ("status", "source")


class DataStatus(enum.Enum):
    """How well a row's figures are attested."""

    REPORTED = "reported"
    PARTLY_UNVERIFIED = "partly-unverified"
    UNVERIFIED = "unverified"
    NOT_PROVIDED = "not-provided"
    """The party provided no data for this exchange."""


@dataclass(frozen=True)
class ExchangeFigures:
    """One party's published figures for one exchange; ``counts`` is None when not provided."""

    as_of: dt.date
    party: str
    counts: Mapping[str, int] | None
    data_status: DataStatus
    source: str

    def __post_init__(self) -> None:
        if (self.counts is None) != (self.data_status is DataStatus.NOT_PROVIDED):
            raise ValueError("figures are absent exactly when the data were not provided")
        if self.counts is not None:
            object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))


@dataclass(frozen=True)
class PublicRecord:
    """The published figures of one treaty, in file order, and where they came from."""

    treaty: str
    limits: tuple[str, ...]
    """The limits the figures are given for, in column order."""
    rows: tuple[ExchangeFigures, ...]
    source: str
    parties: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parties", tuple(dict.fromkeys(r.party for r in self.rows)))

    def for_party(self, party: str) -> tuple[ExchangeFigures, ...]:
        """The rows of one party, in date order."""
        return tuple(sorted((r for r in self.rows if r.party == party), key=lambda r: r.as_of))


def load_record(spec: TreatySpec) -> PublicRecord:
    """The public record shipped for ``spec``; :class:`NotFoundError` if there is none."""
    name = f"{spec.id}-aggregates.csv"
    resource = resources.files("treatyledger.data").joinpath(name)
    if not resource.is_file():
        raise NotFoundError(
            f"no public record is shipped for {spec.id}"
            + (" (an illustrative treaty has no record)" if spec.illustrative else "")
        )
    return parse_record(resource.read_text(encoding="utf-8"), spec=spec, source=name)


def parse_record(text: str, *, spec: TreatySpec, source: str) -> PublicRecord:
    """Parse and validate a record CSV against ``spec``; every problem names its row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise RecordError(source=source, row=1, problem="the file is empty")
    if tuple(header[:2]) != _FIXED_HEAD or tuple(header[-2:]) != _FIXED_TAIL or len(header) < 5:
        raise RecordError(
            source=source,
            row=1,
            problem="the header must be as_of,party,<limit ids...>,status,source; "
            f"got {','.join(header)}",
        )
    limits = tuple(header[2:-2])
    for limit in limits:
        if spec.limit(limit) is None:
            raise RecordError(
                source=source, row=1, problem=f"column {limit!r} is not a limit of {spec.id}"
            )
    rows: list[ExchangeFigures] = []
    seen: set[tuple[dt.date, str]] = set()
    for line, values in enumerate(reader, start=2):
        if not values:
            continue
        row = _row(values, header, limits, spec, source=source, line=line)
        if (row.as_of, row.party) in seen:
            raise RecordError(
                source=source, row=line, problem=f"a second row for {row.party} as of {row.as_of}"
            )
        seen.add((row.as_of, row.party))
        rows.append(row)
    return PublicRecord(treaty=spec.id, limits=limits, rows=tuple(rows), source=source)


def _row(
    values: list[str],
    header: list[str],
    limits: tuple[str, ...],
    spec: TreatySpec,
    *,
    source: str,
    line: int,
) -> ExchangeFigures:
    def fail(problem: str) -> RecordError:
        return RecordError(source=source, row=line, problem=problem)

    if len(values) != len(header):
        raise fail(f"expected {len(header)} columns, got {len(values)}")
    cells = dict(zip(header, values, strict=True))
    try:
        as_of = dt.date.fromisoformat(cells["as_of"])
    except ValueError as exc:
        raise fail(f"as_of: expected YYYY-MM-DD, got {cells['as_of']!r}") from exc
    party = cells["party"]
    if spec.party(party) is None:
        raise fail(f"party: {party!r} is not a party to {spec.id}")
    try:
        status = DataStatus(cells["status"])
    except ValueError as exc:
        allowed = ", ".join(s.value for s in DataStatus)
        raise fail(f"status: {cells['status']!r} is not one of {allowed}") from exc
    if not cells["source"].strip():
        raise fail("source: every row must name its source")
    present = [limit for limit in limits if cells[limit].strip()]
    if status is DataStatus.NOT_PROVIDED:
        if present:
            raise fail(f"{present[0]}: a row whose data were not provided has no figures")
        counts = None
    else:
        missing = [limit for limit in limits if limit not in present]
        if missing:
            raise fail(f"{missing[0]}: missing; a row without figures has status not-provided")
        counts = {}
        for limit in limits:
            text = cells[limit].strip()
            if not re.fullmatch(r"[0-9]+", text):
                raise fail(f"{limit}: expected a non-negative whole number, got {text!r}")
            counts[limit] = int(text)
    return ExchangeFigures(
        as_of=as_of, party=party, counts=counts, data_status=status, source=cells["source"]
    )
