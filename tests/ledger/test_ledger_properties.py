"""Property: any valid catalogue notification survives sign, parse and validate unchanged."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.ledger import Entry, entry_text, parse_entry, sign_entry, validate_entry
from treatyledger.log.note import Signer
from treatyledger.treaty import FieldType, NotificationType, TreatySpec, load_builtin

SIGNER = Signer(name="example.org/party/log", seed=bytes(range(32)))
SPECS = {name: load_builtin(name) for name in ("new-start", "strategic-p5")}

_IDENT = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() == s)
_UTC_SECONDS = st.datetimes(
    min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2099, 12, 31)
).map(lambda t: t.replace(microsecond=0, tzinfo=dt.UTC))


def _value(kind: FieldType, spec: TreatySpec) -> st.SearchStrategy[Any]:
    vocabulary = spec.vocabulary()
    strategies: dict[FieldType, st.SearchStrategy[Any]] = {
        FieldType.STRING: st.text(max_size=40),
        FieldType.INTEGER: st.integers(min_value=-(2**63), max_value=2**64 - 1),
        FieldType.BOOLEAN: st.booleans(),
        FieldType.DATE: st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)).map(str),
        FieldType.DATETIME: _UTC_SECONDS.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
        FieldType.UID: _IDENT,
        FieldType.FACILITY: _IDENT,
        FieldType.UID_LIST: st.lists(_IDENT, unique=True, max_size=5),
        FieldType.ITEM_KIND: st.sampled_from(sorted(vocabulary.item_kinds)),
        FieldType.STATUS: st.sampled_from(sorted(vocabulary.statuses)),
        FieldType.PARTY: st.sampled_from(sorted(vocabulary.parties)),
    }
    return strategies[kind]


@st.composite
def notifications(draw: st.DrawFn) -> tuple[TreatySpec, Entry]:
    spec = SPECS[draw(st.sampled_from(sorted(SPECS)))]
    notification: NotificationType = draw(st.sampled_from(spec.notifications))
    payload: dict[str, Any] = {}
    for field in notification.fields:
        if field.required or draw(st.booleans()):
            payload[field.name] = draw(_value(field.type, spec))
    signed = dt.datetime.combine(spec.dates.signed, dt.time(), tzinfo=dt.UTC)
    time = draw(_UTC_SECONDS.filter(lambda t: t >= signed))
    entry = Entry(
        type=notification.id,
        treaty=spec.id,
        sender=draw(st.sampled_from([p.id for p in spec.parties])),
        time=time,
        payload=payload,
    )
    return spec, entry


@settings(max_examples=150, deadline=None)
@given(notifications())
def test_catalogue_entries_round_trip(case: tuple[TreatySpec, Entry]) -> None:
    spec, entry = case
    validate_entry(entry, spec)
    note = sign_entry(entry, SIGNER)
    parsed = parse_entry(note, SIGNER.verifier())
    assert parsed == entry
    assert entry_text(parsed).encode("utf-8") == note.split(b"\n\n")[0] + b"\n"
    assert sign_entry(parsed, SIGNER) == note
    validate_entry(parsed, spec)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_catalogue_field_type_has_a_strategy(name: str) -> None:
    spec = SPECS[name]
    for notification in spec.notifications:
        for field in notification.fields:
            _value(field.type, spec)
