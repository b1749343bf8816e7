"""The data-exchange entry (canonical, strictly parsed) and the offline opening bundle."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from treatyledger.errors import FormatError, VerificationError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.opening import (
    open_facility,
    open_facility_list,
)
from treatyledger.escrow.sumtree import Declaration, commit
from treatyledger.ledger.exchange import (
    DataExchange,
    build_exchange,
    exchange_entry_text,
    make_opening_bundle,
    parse_exchange,
    sign_exchange,
    verify_opening_bundle,
)
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.note import Signer, sign_note
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore
from treatyledger.treaty import TreatySpec

ORIGIN = "example.org/us/log"
SIGNER = Signer(name=ORIGIN, seed=bytes(range(32)))
VERIFIER = SIGNER.verifier()
TIME = dt.datetime(2020, 9, 30, 12, 0, 5, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def declaration(new_start: TreatySpec) -> Declaration:
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    return commit(new_start, "US", dt.date(2020, 9, 1), inventory.items, ids, secret=b"\x07" * 32)


@pytest.fixture(scope="module")
def exchange(new_start: TreatySpec, declaration: Declaration) -> DataExchange:
    kinds = {f.id: f.kind for f in us_inventory_2020_09_01(new_start).facilities}
    return build_exchange(declaration, kinds, clock=lambda: TIME)


@pytest.fixture(scope="module")
def entry(exchange: DataExchange) -> bytes:
    return sign_exchange(exchange_entry_text(exchange), SIGNER)


def _resign(entry: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    text = entry.decode().split("\n\n")[0] + "\n"
    doc = json.loads(text)
    edit(doc)
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sign_note(canonical + "\n", [SIGNER])


def test_the_entry_is_one_canonical_line(exchange: DataExchange) -> None:
    text = exchange_entry_text(exchange)
    assert text.endswith("\n")
    assert text.count("\n") == 1
    doc = json.loads(text)
    assert json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" == text
    assert sorted(doc) == ["payload", "refs", "sender", "time", "treaty", "type", "v"]
    assert (doc["type"], doc["v"], doc["sender"], doc["treaty"]) == (
        "data_exchange",
        1,
        "US",
        "new-start",
    )
    assert doc["time"] == "2020-09-30T12:00:05Z"
    assert doc["refs"] == []
    payload = doc["payload"]
    assert payload["as_of"] == "2020-09-01"
    assert payload["totals"] == {
        "deployed_delivery_vehicles": 675,
        "launchers": 800,
        "warheads": 1457,
    }
    ids = [f["id"] for f in payload["facilities"]]
    assert ids == sorted(ids)
    assert len(ids) == 12
    malmstrom = next(f for f in payload["facilities"] if f["id"] == "malmstrom")
    assert malmstrom["kind"] == "icbm_base"
    assert malmstrom["counts"] == {
        "icbm/deployed": 132,
        "icbm_launcher/deployed": 132,
        "icbm_launcher/non_deployed": 18,
    }


def test_the_entry_is_not_a_checkpoint(entry: bytes) -> None:
    with pytest.raises(FormatError, match="lines"):
        open_checkpoint(entry, VERIFIER)


def test_parse_round_trip(entry: bytes, exchange: DataExchange) -> None:
    parsed = parse_exchange(entry, VERIFIER)
    assert parsed == exchange
    assert parsed.totals == {"deployed_delivery_vehicles": 675, "warheads": 1457, "launchers": 800}


def test_a_clock_must_be_utc(new_start: TreatySpec, declaration: Declaration) -> None:
    kinds = {f.id: f.kind for f in us_inventory_2020_09_01(new_start).facilities}
    with pytest.raises(ValueError, match="UTC"):
        build_exchange(declaration, kinds, clock=lambda: dt.datetime(2020, 9, 30))


def test_a_tampered_signature_is_refused(entry: bytes) -> None:
    text, sig = entry.decode().split("\n\n")
    name, b64 = sig.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    bad = f"{text}\n\n{name} {base64.b64encode(bytes(raw)).decode()}\n".encode()
    with pytest.raises(VerificationError, match="does not verify"):
        parse_exchange(bad, VERIFIER)
    with pytest.raises(VerificationError, match="no signature by a known key"):
        parse_exchange(entry, Signer(name=ORIGIN, seed=b"\x01" * 32).verifier())


def test_non_canonical_json_is_refused(entry: bytes) -> None:
    text = entry.decode().split("\n\n")[0]
    spaced = json.dumps(json.loads(text), sort_keys=True) + "\n"
    with pytest.raises(FormatError, match="canonical"):
        parse_exchange(sign_note(spaced, [SIGNER]), VERIFIER)
    two_lines = json.dumps(json.loads(text), sort_keys=True, indent=1) + "\n"
    with pytest.raises(FormatError, match="one line"):
        parse_exchange(sign_note(two_lines, [SIGNER]), VERIFIER)


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda d: d["payload"]["totals"].update(warheads=1456), VerificationError, "commitment"),
        (
            lambda d: d["payload"]["facilities"][0]["totals"].update(warheads=0),
            VerificationError,
            "sum to",
        ),
        (
            lambda d: d["payload"]["facilities"][0]["counts"].update({"icbm/test": 1}),
            VerificationError,
            "sum to",
        ),
        (
            lambda d: d["payload"]["commitment"]["totals"].__setitem__(0, 676),
            VerificationError,
            "totals proof",
        ),
        (lambda d: d.update(sender="RU"), VerificationError, "commitment is of"),
        (lambda d: d.update(type="notification"), FormatError, "type"),
        (lambda d: d.update(refs=["x"]), FormatError, "refs"),
        (lambda d: d.update(time="2020-09-30T12:00:05+00:00"), FormatError, "time"),
        (lambda d: d["payload"].update(extra=1), FormatError, "unknown keys"),
        (lambda d: d["payload"]["facilities"].reverse(), FormatError, "increasing id order"),
    ],
    ids=[
        "totals-not-the-commitment",
        "facility-totals-do-not-sum",
        "facility-counts-do-not-sum",
        "commitment-totals-not-the-root",
        "sender-not-the-committed-party",
        "wrong-type",
        "refs",
        "time-not-z",
        "unknown-key",
        "facility-order",
    ],
)
def test_a_signed_but_wrong_entry_is_refused(
    entry: bytes, edit: Callable[[dict[str, Any]], None], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        parse_exchange(_resign(entry, edit), VERIFIER)


# -- the opening bundle ---------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(declaration: Declaration, entry: bytes) -> bytes:
    log = TransparencyLog(store=MemoryStore(), origin=ORIGIN, verifier=VERIFIER, signer=SIGNER)
    log.append_and_integrate([b"first", b"second"])
    (index,), _ = log.append_and_integrate([entry])
    log.append_and_integrate([b"later"])
    signed = log.checkpoint()
    size = open_checkpoint(signed, VERIFIER).size
    return make_opening_bundle(
        entry=entry,
        origin=ORIGIN,
        index=index,
        proof=log.inclusion_proof(index, size),
        checkpoint=signed,
        facility_list=open_facility_list(declaration),
        opening=open_facility(declaration, "malmstrom"),
    )


def test_a_bundle_verifies_offline(bundle: bytes) -> None:
    result = verify_opening_bundle(bundle, VERIFIER)
    assert (result.index, result.checkpoint.size) == (2, 4)
    assert result.opened.facility == "malmstrom"
    assert len(result.opened.items) == 282
    assert all(item.facility == "malmstrom" for item in result.opened.items)
    assert result.facility.totals == {
        "deployed_delivery_vehicles": 132,
        "warheads": 132,
        "launchers": 150,
    }


def _flip_b64(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _entry_byte(d: dict[str, Any]) -> None:
    d["entry"] = d["entry"].replace('"sender":"US"', '"sender":"UT"')


def _checkpoint(d: dict[str, Any]) -> None:
    lines = d["log"]["checkpoint"].split("\n")
    lines[2] = _flip_b64(lines[2])
    d["log"]["checkpoint"] = "\n".join(lines)


def _item_field(d: dict[str, Any]) -> None:
    d["opening"]["items"][0]["item"]["type"] = "trident_ii"


def _salt(d: dict[str, Any]) -> None:
    salt = d["opening"]["items"][3]["salt"]
    d["opening"]["items"][3]["salt"] = ("1" if salt[0] == "0" else "0") + salt[1:]


def _sibling(d: dict[str, Any]) -> None:
    d["opening"]["path"][0]["vector"][0] += 1


def _facility_list(d: dict[str, Any]) -> None:
    d["facility_list"]["facilities"][0]["subtree_vector"][1] += 1


def _dropped_item(d: dict[str, Any]) -> None:
    del d["opening"]["items"][5]


@pytest.mark.parametrize(
    ("tamper", "step"),
    [
        (_entry_byte, "log inclusion"),
        (
            lambda d: d["log"]["proof"].__setitem__(0, _flip_b64(d["log"]["proof"][0])),
            "log inclusion",
        ),
        (lambda d: d["log"].update(index=1), "log inclusion"),
        (_checkpoint, "checkpoint signature"),
        (_item_field, "facility opening"),
        (_salt, "facility opening"),
        (_sibling, "facility opening"),
        (_dropped_item, "facility opening"),
        (_facility_list, "facility list"),
    ],
    ids=[
        "entry-byte",
        "proof-hash",
        "index",
        "checkpoint",
        "item-field",
        "salt",
        "sibling-vector",
        "dropped-item",
        "facility-list",
    ],
)
def test_every_tampering_is_refused_and_named(
    bundle: bytes, tamper: Callable[[dict[str, Any]], None], step: str
) -> None:
    doc = json.loads(bundle)
    tamper(doc)
    with pytest.raises(VerificationError, match=f"^{step}: "):
        verify_opening_bundle(json.dumps(doc).encode(), VERIFIER)


def test_a_bundle_under_another_key_is_refused(bundle: bytes) -> None:
    other = Signer(name=ORIGIN, seed=b"\x02" * 32).verifier()
    with pytest.raises(VerificationError, match=r"^checkpoint signature: "):
        verify_opening_bundle(bundle, other)


def test_a_file_that_is_no_bundle_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="opening bundle"):
        verify_opening_bundle(b'{"version": 2}', VERIFIER)
    with pytest.raises(FormatError, match="opening bundle"):
        verify_opening_bundle(b"\xff", VERIFIER)
