"""The envelope: one canonical encoding, strictly parsed, signed as a C2SP note."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from treatyledger.errors import FormatError, VerificationError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import (
    MAX_ENTRY_SIZE,
    Entry,
    EntryFormatError,
    Ref,
    entry_text,
    parse_entry,
    parse_entry_text,
    read_entry,
    ref_to,
    sign_entry,
)
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer, sign_note
from treatyledger.treaty import TreatySpec

SIGNER = Signer(name="example.org/us/log", seed=bytes(range(32)))
OTHER = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))
VERIFIER = SIGNER.verifier()
TIME = dt.datetime(2020, 10, 2, 9, 0, 0, tzinfo=dt.UTC)
HASH = leaf_hash(b"an earlier entry")

ENTRY = Entry(
    type="commission_request",
    treaty="new-start",
    sender="US",
    time=TIME,
    payload={"agenda": "Résumé of inspections", "location": "Genève"},
    refs=(Ref(origin="example.org/ru/log", index=7, leaf_hash=HASH),),
)
TEXT = (
    '{"payload":{"agenda":"Résumé of inspections","location":"Genève"},'
    '"refs":[{"index":7,"leaf_hash":"' + HASH.hex() + '","origin":"example.org/ru/log"}],'
    '"sender":"US","time":"2020-10-02T09:00:00Z","treaty":"new-start",'
    '"type":"commission_request","v":1}\n'
)


def test_the_text_is_byte_exact() -> None:
    assert entry_text(ENTRY) == TEXT
    assert parse_entry_text(TEXT) == ENTRY


def test_sign_and_parse_round_trip() -> None:
    note = sign_entry(ENTRY, SIGNER)
    assert note.startswith(TEXT.encode("utf-8") + b"\n\xe2\x80\x94 example.org/us/log ")
    assert parse_entry(note, VERIFIER) == ENTRY
    assert sign_entry(parse_entry(note, VERIFIER), SIGNER) == note
    assert ref_to("example.org/us/log", 3, note).leaf_hash == leaf_hash(note)


def test_payload_is_frozen_and_hashable() -> None:
    entry = Entry(
        type="observations",
        treaty="new-start",
        sender="RU",
        time=TIME,
        payload={"uids_seen": ["A", "B"]},
    )
    assert entry.payload["uids_seen"] == ("A", "B")
    with pytest.raises(TypeError):
        entry.payload["x"] = 1  # type: ignore[index]
    assert entry.payload_json() == {"uids_seen": ["A", "B"]}
    assert hash(entry) == hash(parse_entry_text(entry_text(entry)))


def _signed(text: str) -> bytes:
    return sign_note(text, [SIGNER])


NON_CANONICAL = {
    "keys_out_of_order": TEXT.replace(
        '"sender":"US","time"', '"time":"2020-10-02T09:00:00Z","sender":"US","x"'
    ).replace(',"x":"2020-10-02T09:00:00Z"', ""),
    "space_after_colon": TEXT.replace('"sender":"US"', '"sender": "US"'),
    "space_after_comma": TEXT.replace(',"sender"', ', "sender"'),
    "escaped_non_ascii": TEXT.replace("Genève", "Gen\\u00e8ve"),
    "escaped_slash": TEXT.replace("Genève", "Gen\\/ve"),
    "duplicate_key": TEXT.replace('"sender":"US"', '"sender":"US","sender":"US"'),
    "float_number": TEXT.replace('"index":7', '"index":7.0'),
    "exponent_number": TEXT.replace('"index":7', '"index":7e0'),
    "negative_zero": TEXT.replace('"index":7', '"index":-0'),
    "nan": TEXT.replace('"index":7', '"index":NaN'),
    "unknown_key": TEXT.replace('"v":1}', '"v":1,"w":2}'),
    "missing_key": TEXT.replace(',"v":1}', "}"),
    "version_2": TEXT.replace('"v":1}', '"v":2}'),
    "version_true": TEXT.replace('"v":1}', '"v":true}'),
    "time_with_fraction": TEXT.replace("09:00:00Z", "09:00:00.5Z"),
    "time_with_offset": TEXT.replace("09:00:00Z", "09:00:00+00:00"),
    "time_invalid": TEXT.replace("2020-10-02T09", "2020-02-30T09"),
    "uppercase_hash": TEXT.replace(HASH.hex(), HASH.hex().upper()),
    "short_hash": TEXT.replace(HASH.hex(), HASH.hex()[:62]),
    "ref_extra_key": TEXT.replace('"index":7,', '"index":7,"kind":"x",'),
    "ref_negative_index": TEXT.replace('"index":7', '"index":-7'),
    "ref_bad_origin": TEXT.replace('"origin":"example.org/ru/log"', '"origin":"a b"'),
    "refs_not_array": TEXT.replace('"refs":[', '"refs":{"a":[').replace("}],", "}]},"),
    "payload_not_object": TEXT.replace(
        '{"agenda":"Résumé of inspections","location":"Genève"}', '["x"]'
    ),
    "sender_lowercase": TEXT.replace('"sender":"US"', '"sender":"us"'),
    "two_lines": TEXT + TEXT,
    "trailing_space": TEXT[:-1] + " \n",
    "not_an_object": '["payload"]\n',
    "huge_integer": TEXT.replace('"index":7', '"index":' + "9" * 30),
    "deep_nesting": TEXT.replace('"location":"Genève"', '"location":' + "[" * 40 + "]" * 40),
}


@pytest.mark.parametrize("name", sorted(NON_CANONICAL))
def test_non_canonical_text_is_refused(name: str) -> None:
    text = NON_CANONICAL[name]
    assert text != TEXT
    with pytest.raises(FormatError):
        parse_entry(_signed(text), VERIFIER)


def test_very_deep_nesting_is_refused_not_crashing() -> None:
    text = TEXT.replace('"location":"Genève"', '"location":' + "[" * 5000 + "]" * 5000)
    with pytest.raises(FormatError, match="nested"):
        parse_entry_text(text)


def test_non_utf8_is_refused() -> None:
    note = sign_entry(ENTRY, SIGNER).replace("Genève".encode(), b"Gen\xe8ve")
    with pytest.raises(FormatError, match="UTF-8"):
        parse_entry(note, VERIFIER)


def test_a_tampered_signature_is_refused() -> None:
    note = bytearray(sign_entry(ENTRY, SIGNER))
    note[-10] = ord("A") if note[-10] != ord("A") else ord("B")
    with pytest.raises(VerificationError):
        parse_entry(bytes(note), VERIFIER)


def test_a_tampered_text_is_refused() -> None:
    note = sign_entry(ENTRY, SIGNER).replace(b"Gen", b"Ben")
    with pytest.raises(VerificationError):
        parse_entry(note, VERIFIER)


def test_a_signature_by_another_key_is_refused() -> None:
    with pytest.raises(VerificationError):
        parse_entry(sign_entry(ENTRY, OTHER), VERIFIER)


def test_a_second_signature_is_refused() -> None:
    note = sign_note(TEXT, [SIGNER, OTHER])
    with pytest.raises(FormatError, match="exactly one signature"):
        parse_entry(note, VERIFIER)


def test_the_log_entry_size_limit_holds() -> None:
    big = {"agenda": "x" * (MAX_ENTRY_SIZE - 400)}
    entry = Entry(
        type="commission_request", treaty="new-start", sender="US", time=TIME, payload=big
    )
    note = sign_entry(entry, SIGNER)
    assert len(note) <= MAX_ENTRY_SIZE
    too_big = {"agenda": "x" * (MAX_ENTRY_SIZE - 200)}
    entry = Entry(
        type="commission_request", treaty="new-start", sender="US", time=TIME, payload=too_big
    )
    with pytest.raises(EntryFormatError, match="65,535"):
        sign_entry(entry, SIGNER)
    with pytest.raises(FormatError, match="65,535"):
        parse_entry(b"x" * (MAX_ENTRY_SIZE + 1), VERIFIER)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("type", {"type": "Commission"}),
        ("v", {"version": 2}),
        ("treaty", {"treaty": "New START"}),
        ("sender", {"sender": "USA1"}),
        ("time", {"time": dt.datetime(2020, 10, 2, 9, 0, 0)}),
        ("time", {"time": TIME.replace(microsecond=1)}),
        ("time", {"time": TIME.astimezone(dt.timezone(dt.timedelta(hours=3)))}),
        ("payload.agenda", {"payload": {"agenda": 1.5}}),
        ("payload.agenda", {"payload": {"agenda": "\ud800"}}),
        ("payload.agenda", {"payload": {"agenda": 2**64}}),
        ("payload.agenda", {"payload": {"agenda": {1, 2}}}),
        ("refs[1]", {"refs": (ENTRY.refs[0], ENTRY.refs[0])}),
    ],
)
def test_an_entry_is_validated_when_built(field: str, changes: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "type": ENTRY.type,
        "treaty": ENTRY.treaty,
        "sender": ENTRY.sender,
        "time": ENTRY.time,
        "payload": ENTRY.payload_json(),
        "refs": ENTRY.refs,
    }
    fields.update(changes)
    with pytest.raises(EntryFormatError) as caught:
        Entry(**fields)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("origin", {"origin": ""}),
        ("index", {"index": -1}),
        ("index", {"index": True}),
        ("leaf_hash", {"leaf_hash": b"\x00" * 31}),
    ],
)
def test_a_ref_is_validated_when_built(field: str, kwargs: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"origin": "example.org/ru/log", "index": 0, "leaf_hash": HASH}
    fields.update(kwargs)
    with pytest.raises(EntryFormatError) as caught:
        Ref(**fields)
    assert caught.value.field == field


# -- the data-exchange entry of the escrow package uses this envelope ---------------------


@pytest.fixture(scope="module")
def exchange_note(new_start: TreatySpec) -> bytes:
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    declaration = commit(
        new_start, "US", dt.date(2020, 9, 1), inventory.items, ids, secret=b"\x07" * 32
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    exchange = build_exchange(
        declaration, kinds, clock=lambda: dt.datetime(2020, 9, 30, 12, 0, 5, tzinfo=dt.UTC)
    )
    return sign_exchange(exchange_entry_text(exchange), SIGNER)


def test_escrow_data_exchange_entries_parse_byte_identically(exchange_note: bytes) -> None:
    entry = parse_entry(exchange_note, VERIFIER)
    assert entry.type == "data_exchange"
    assert entry.sender == "US"
    assert sign_entry(entry, SIGNER) == exchange_note


def test_a_data_exchange_with_wrong_totals_is_refused_by_escrow(exchange_note: bytes) -> None:
    doc = json.loads(exchange_note.decode().split("\n\n")[0])
    doc["payload"]["totals"]["warheads"] += 1
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    parse_entry_text(text)  # a well-formed envelope...
    assert parse_entry(_signed(text), VERIFIER).type == "data_exchange"
    with pytest.raises(VerificationError, match="totals"):
        read_entry(_signed(text), VERIFIER)  # ...whose escrow checks fail
