"""The notification catalogue: payload validation and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from treatyledger.errors import PayloadError
from treatyledger.treaty import (
    Deadline,
    DeadlineRelation,
    FieldType,
    NotificationType,
    PayloadField,
    load_builtin,
)

NEW_START = load_builtin("new-start")
VOCABULARY = NEW_START.vocabulary()
UTC = dt.UTC


def catalogue(type_id: str) -> NotificationType:
    """A notification type of New START's catalogue."""
    found = NEW_START.notification(type_id)
    assert found is not None, type_id
    return found


def movement() -> dict[str, object]:
    """A valid movement payload."""
    return {
        "uid": "MM3-0001",
        "from_facility": "malmstrom",
        "to_facility": "hill",
        "occurred_at": "2020-09-01T12:00:00Z",
    }


def new_item() -> dict[str, object]:
    """A valid new_item payload."""
    return {
        "uid": "T2-0001",
        "kind": "slbm",
        "type": "trident_ii",
        "status": "deployed",
        "facility": "kings_bay",
        "occurred_at": "2020-09-01T12:00Z",
    }


def payload_error(type_id: str, payload: dict[str, object]) -> PayloadError:
    """The PayloadError validating ``payload`` raises."""
    with pytest.raises(PayloadError) as err:
        catalogue(type_id).validate_payload(payload, VOCABULARY)
    assert err.value.notification == type_id
    return err.value


def test_catalogue_and_vocabulary() -> None:
    """The catalogue has the movement type; the vocabulary is the spec's identifiers."""
    assert [f.name for f in catalogue("movement").fields] == [
        "uid",
        "from_facility",
        "to_facility",
        "occurred_at",
    ]
    assert VOCABULARY.parties == {"US", "RU"}
    assert VOCABULARY.item_kinds == {
        "icbm",
        "slbm",
        "icbm_launcher",
        "slbm_launcher",
        "heavy_bomber",
    }
    assert VOCABULARY.statuses == {"deployed", "non_deployed", "test", "non_nuclear"}
    assert NEW_START.notification("telegram") is None


@pytest.mark.parametrize(
    ("type_id", "payload"), [("movement", movement()), ("new_item", new_item())]
)
def test_valid_payload_passes(type_id: str, payload: dict[str, object]) -> None:
    """A payload that fits its type raises nothing."""
    catalogue(type_id).validate_payload(payload, VOCABULARY)


@pytest.mark.parametrize("field", ["uid", "from_facility", "to_facility", "occurred_at"])
def test_missing_required_field(field: str) -> None:
    """Every movement field is required."""
    payload = movement()
    del payload[field]
    error = payload_error("movement", payload)
    assert (error.field, error.problem) == (field, "missing")


def test_unknown_field() -> None:
    """A field the type does not declare is refused."""
    error = payload_error("movement", {**movement(), "carrier": "C-17"})
    assert (error.field, error.problem) == ("carrier", "not a field of this notification")


@pytest.mark.parametrize(
    ("type_id", "field", "value", "words"),
    [
        ("movement", "occurred_at", "2020-09-01T12:00:00", "UTC time"),
        ("movement", "occurred_at", "2020-09-01T12:00:00+00:00", "UTC time"),
        ("movement", "occurred_at", "2020-09-01", "UTC time"),
        ("movement", "occurred_at", "2020-13-01T12:00:00Z", "not a valid time"),
        ("movement", "occurred_at", 1598961600, "a string"),
        ("movement", "uid", 17, "a string"),
        ("movement", "uid", "", "non-empty identifier"),
        ("movement", "uid", " MM3-0001", "without surrounding spaces"),
        ("movement", "to_facility", None, "a string"),
        ("new_item", "kind", "cruise_missile", "'cruise_missile' is not one of"),
        ("new_item", "kind", "ICBM", "is not one of"),
        ("new_item", "status", "retired", "'retired' is not one of"),
        ("heavy_bomber_abroad", "returns_by", "01/09/2020", "YYYY-MM-DD"),
        ("heavy_bomber_abroad", "returns_by", "20200901", "YYYY-MM-DD"),
        ("heavy_bomber_abroad", "returns_by", "2020-02-30", "YYYY-MM-DD"),
        ("heavy_bomber_abroad", "returns_by", "2020-09-01T00:00:00Z", "YYYY-MM-DD"),
    ],
    ids=lambda v: v if isinstance(v, str) and v.isidentifier() else None,
)
def test_wrong_value_names_the_field(type_id: str, field: str, value: object, words: str) -> None:
    """A value of the wrong form is refused naming its field."""
    base = {
        "movement": movement(),
        "new_item": new_item(),
        "heavy_bomber_abroad": {
            "uid": "B52-0001",
            "departed_at": "2020-09-01T08:00:00Z",
            "destination": "Fairford",
        },
    }[type_id]
    error = payload_error(type_id, {**base, field: value})
    assert error.field == field
    assert words in error.problem


def test_optional_field_may_be_absent_or_present() -> None:
    """returns_by is optional; when given it must be a date."""
    abroad = catalogue("heavy_bomber_abroad")
    base = {"uid": "B52-0001", "departed_at": "2020-09-01T08:00:00Z", "destination": "Fairford"}
    abroad.validate_payload(base, VOCABULARY)
    abroad.validate_payload({**base, "returns_by": "2020-09-20"}, VOCABULARY)


# -- integer, boolean and list fields (not used by new-start's catalogue) -------------

SYNTHETIC = NotificationType(
    id="exercise_report",
    description="A synthetic type with every non-text field.",
    fields=(
        PayloadField("bombers", FieldType.INTEGER),
        PayloadField("nuclear", FieldType.BOOLEAN),
        PayloadField("uids", FieldType.UID_LIST),
        PayloadField("party", FieldType.PARTY),
        PayloadField("note", FieldType.STRING, required=False),
    ),
)
SYNTHETIC_OK: dict[str, object] = {
    "bombers": 4,
    "nuclear": False,
    "uids": ["B1", "B2"],
    "party": "RU",
}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("bombers", True, "expected an integer"),
        ("bombers", "4", "expected an integer"),
        ("bombers", 4.0, "expected an integer"),
        ("nuclear", 1, "expected true or false"),
        ("nuclear", "false", "expected true or false"),
        ("uids", "B1", "a list of identifiers"),
        ("uids", ["B1", "B1"], "repeats an identifier"),
        ("uids", ["B1", ""], "non-empty identifiers"),
        ("uids", ["B1", 2], "non-empty identifiers"),
        ("party", "UK", "'UK' is not one of RU, US"),
    ],
)
def test_typed_fields(field: str, value: object, words: str) -> None:
    """Integer is not boolean (nor the reverse); lists and parties are checked."""
    SYNTHETIC.validate_payload(SYNTHETIC_OK, VOCABULARY)
    with pytest.raises(PayloadError) as err:
        SYNTHETIC.validate_payload({**SYNTHETIC_OK, field: value}, VOCABULARY)
    assert (err.value.notification, err.value.field) == ("exercise_report", field)
    assert words in err.value.problem


def test_payload_field_names_are_identifiers() -> None:
    """A payload field name is lower_snake_case."""
    with pytest.raises(ValueError, match="lower_snake_case"):
        PayloadField("Bombers", FieldType.INTEGER)


def test_deadline_must_name_a_required_time_field() -> None:
    """A deadline's event is a required date or datetime of the payload."""
    deadline = Deadline(DeadlineRelation.AFTER, dt.timedelta(days=5), "note")
    with pytest.raises(ValueError, match="must be a required date or datetime"):
        NotificationType("x", "x", SYNTHETIC.fields, deadline=deadline)


# -- deadlines -----------------------------------------------------------------------


def test_deadline_after_the_event() -> None:
    """A data change is notified no later than 5 days after it occurs."""
    deadline = catalogue("movement").deadline
    assert deadline is not None
    assert (deadline.relation, deadline.within, deadline.event_field) == (
        DeadlineRelation.AFTER,
        dt.timedelta(days=5),
        "occurred_at",
    )
    event = dt.datetime(2020, 9, 1, 12, 0, tzinfo=UTC)
    assert deadline.due(event) == dt.datetime(2020, 9, 6, 12, 0, tzinfo=UTC)
    assert deadline.describe() == "no later than 5d after occurred_at"


@pytest.mark.parametrize(
    ("type_id", "field", "hours"),
    [
        ("inspection_flight_plan", "departs_at", 6),
        ("missile_launch", "launch_at", 24),
        ("major_bomber_exercise", "starts_at", 14 * 24),
    ],
)
def test_deadline_before_the_event(type_id: str, field: str, hours: int) -> None:
    """Flight plans 6 hours, launches 24 hours, exercises 14 days ahead."""
    deadline = catalogue(type_id).deadline
    assert deadline is not None
    assert (deadline.relation, deadline.event_field) == (DeadlineRelation.BEFORE, field)
    event = dt.datetime(2021, 6, 15, 6, 0, tzinfo=UTC)
    assert deadline.due(event) == event - dt.timedelta(hours=hours)
    assert deadline.describe().startswith("at least ")


def test_heavy_bomber_abroad_has_no_deadline() -> None:
    """The reference gives no deadline for it, so none is invented."""
    assert catalogue("heavy_bomber_abroad").deadline is None


def test_missile_launch_is_under_the_1988_agreement() -> None:
    """Launch notifications are made under the separate 1988 agreement."""
    assert "1988" in catalogue("missile_launch").agreement
    assert catalogue("movement").agreement == ""
