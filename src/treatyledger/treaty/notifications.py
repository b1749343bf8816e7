"""The notification catalogue: each type's payload fields and its deadline."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from treatyledger.errors import PayloadError
from treatyledger.treaty.timing import format_duration

__all__ = [
    "Deadline",
    "DeadlineRelation",
    "FieldType",
    "NotificationType",
    "PayloadField",
    "Vocabulary",
]

_IDENT = re.compile(r"[a-z][a-z0-9_]*")


class FieldType(enum.Enum):
    """The type of one payload field, as it appears in an entry's JSON."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATE = "date"
    """An ISO 8601 calendar date, ``"2022-08-08"``."""
    DATETIME = "datetime"
    """An ISO 8601 UTC time ending in ``Z``, ``"2022-08-08T12:00:00Z"``."""
    UID = "uid"
    """The unique identifier of an item."""
    UID_LIST = "uid_list"
    FACILITY = "facility"
    """The identifier of a declared facility."""
    ITEM_KIND = "item_kind"
    STATUS = "status"
    PARTY = "party"


class DeadlineRelation(enum.Enum):
    """Whether a notification is due after the event or before it."""

    AFTER = "after"
    BEFORE = "before"


@dataclass(frozen=True)
class Vocabulary:
    """The identifiers a payload may refer to: the specification's kinds, statuses, parties."""

    item_kinds: frozenset[str]
    statuses: frozenset[str]
    parties: frozenset[str]


@dataclass(frozen=True)
class PayloadField:
    """One field of a notification's payload."""

    name: str
    type: FieldType
    required: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if not _IDENT.fullmatch(self.name):
            raise ValueError(f"a field name must be lower_snake_case, got {self.name!r}")

    def check(self, value: object, vocabulary: Vocabulary) -> str | None:
        """Why ``value`` is not valid for this field, or None when it is."""
        kind = self.type
        if kind is FieldType.INTEGER:
            ok = isinstance(value, int) and not isinstance(value, bool)
            return None if ok else "expected an integer"
        if kind is FieldType.BOOLEAN:
            return None if isinstance(value, bool) else "expected true or false"
        if not isinstance(value, list if kind is FieldType.UID_LIST else str):
            return (
                f"expected {'a list of identifiers' if kind is FieldType.UID_LIST else 'a string'}"
            )
        if kind is FieldType.UID_LIST:
            assert isinstance(value, list)
            if not all(isinstance(v, str) and v.strip() == v and v for v in value):
                return "expected a list of non-empty identifiers without surrounding spaces"
            if len(set(value)) != len(value):
                return "the list repeats an identifier"
            return None
        assert isinstance(value, str)
        return _check_text(kind, value, vocabulary)


def _check_text(kind: FieldType, value: str, vocabulary: Vocabulary) -> str | None:
    if kind is FieldType.STRING:
        return None
    if kind is FieldType.DATE:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "expected a date as YYYY-MM-DD"
        return None if re.fullmatch(r"\d{4}-\d\d-\d\d", value) else "expected YYYY-MM-DD"
    if kind is FieldType.DATETIME:
        return _check_utc_time(value)
    if not value or value.strip() != value:
        return "expected a non-empty identifier without surrounding spaces"
    known = {
        FieldType.ITEM_KIND: vocabulary.item_kinds,
        FieldType.STATUS: vocabulary.statuses,
        FieldType.PARTY: vocabulary.parties,
    }.get(kind)
    if known is not None and value not in known:
        return f"{value!r} is not one of {', '.join(sorted(known))}"
    return None


def _check_utc_time(value: str) -> str | None:
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,6})?)?Z", value):
        return "expected a UTC time as YYYY-MM-DDTHH:MM[:SS]Z"
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return "not a valid time"
    return None


@dataclass(frozen=True)
class Deadline:
    """A notification is due ``within`` after (or at least ``within`` before) an event.

    ``event_field`` names the payload field that holds the event's time.
    """

    relation: DeadlineRelation
    within: dt.timedelta
    event_field: str

    def due(self, event: dt.datetime) -> dt.datetime:
        """The latest time the notification may be sent for an event at ``event``."""
        if self.relation is DeadlineRelation.AFTER:
            return event + self.within
        return event - self.within

    def describe(self) -> str:
        """A phrase such as 'no later than 5 days after occurred_at'."""
        if self.relation is DeadlineRelation.AFTER:
            return f"no later than {format_duration(self.within)} after {self.event_field}"
        return f"at least {format_duration(self.within)} before {self.event_field}"


@dataclass(frozen=True)
class NotificationType:
    """One entry of the notification catalogue."""

    id: str
    description: str
    fields: tuple[PayloadField, ...]
    deadline: Deadline | None = None
    agreement: str = ""
    """The instrument the notification is made under, when it is not the treaty itself."""

    def __post_init__(self) -> None:
        if not _IDENT.fullmatch(self.id):
            raise ValueError(f"a notification type id must be lower_snake_case, got {self.id!r}")
        names = [f.name for f in self.fields]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"payload field {dupes[0]!r} is declared twice")
        if self.deadline is not None:
            event = self.field(self.deadline.event_field)
            if event is None:
                raise ValueError(
                    f"the deadline refers to {self.deadline.event_field!r}, "
                    "which is not a payload field"
                )
            if event.type not in (FieldType.DATE, FieldType.DATETIME) or not event.required:
                raise ValueError(
                    f"the deadline's event field {event.name!r} must be a required date or datetime"
                )

    def field(self, name: str) -> PayloadField | None:
        """The payload field called ``name``, if there is one."""
        return next((f for f in self.fields if f.name == name), None)

    def validate_payload(self, payload: Mapping[str, object], vocabulary: Vocabulary) -> None:
        """Check a payload against this type; raise :class:`PayloadError` naming the field."""
        for name in payload:
            if self.field(name) is None:
                raise PayloadError(
                    notification=self.id, field=name, problem="not a field of this notification"
                )
        for f in self.fields:
            if f.name not in payload:
                if f.required:
                    raise PayloadError(notification=self.id, field=f.name, problem="missing")
                continue
            problem = f.check(payload[f.name], vocabulary)
            if problem is not None:
                raise PayloadError(notification=self.id, field=f.name, problem=problem)
