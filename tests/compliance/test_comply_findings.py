"""Findings as JSON, and their offline verification: it holds, and tampering breaks it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from complyworld import RU, US, World, of_rule

from treatyledger.compliance import (
    Finding,
    Severity,
    findings_to_json,
    parse_finding,
    parse_findings,
    verify_finding,
)
from treatyledger.errors import FormatError, VerificationError


def refused() -> Finding:
    w = World()
    for day in ("02", "03"):
        w.add(
            "new_item", "US", f"2019-04-{day}T09:00:00Z", _new_item(f"2019-04-01T0{day[1]}:00:00Z")
        )
    request = w.request("RU", "2019-05-01T08:00:00Z", "2019-05-02T18:00:00Z")
    w.add("refusal", "US", "2019-05-02T10:00:00Z", {"reason": "Not now."}, [request])
    (finding,) = of_rule(w.findings("2019-05-20"), "inspection.refused")
    return finding


def _new_item(occurred_at: str) -> dict[str, str]:
    return {
        "uid": "US-MM3-0451",
        "kind": "icbm",
        "type": "minuteman_iii",
        "status": "non_deployed",
        "facility": "vandenberg",
        "occurred_at": occurred_at,
    }


def test_the_json_has_the_named_fields() -> None:
    doc = findings_to_json([refused()])
    (item,) = doc["findings"]
    assert set(item) == {"rule", "severity", "party", "summary", "evidence"}
    assert (item["rule"], item["severity"], item["party"]) == (
        "inspection.refused",
        "violation",
        "US",
    )
    evidence = item["evidence"][0]
    assert {"origin", "index", "leaf_hash", "proof"} <= set(evidence)
    assert evidence["origin"] == RU.name
    assert evidence["index"] == 0
    assert len(evidence["leaf_hash"]) == 64
    assert all(isinstance(h, str) for h in evidence["proof"])
    assert evidence["vkey"] == RU.verifier().vkey()
    assert evidence["time_attested"] is False


def test_a_finding_round_trips_and_verifies_offline() -> None:
    finding = refused()
    text = json.dumps(findings_to_json([finding]))
    (again,) = parse_findings(text)
    assert again == finding
    entries = verify_finding(json.loads(text)["findings"][0])
    assert [e.type for e in entries] == ["inspection_request", "refusal"]


def test_pinned_keys_prove_authorship() -> None:
    finding = refused()
    keys = {RU.name: RU.verifier().vkey(), US.name: US.verifier().vkey()}
    assert len(verify_finding(finding, keys)) == 2
    with pytest.raises(VerificationError, match="no key is pinned"):
        verify_finding(finding, {RU.name: RU.verifier().vkey()})


def _tampered(change: Any) -> dict[str, Any]:
    doc: dict[str, Any] = refused().to_json()
    change(doc["evidence"][1])
    return doc


def _flip_entry(e: dict[str, Any]) -> None:
    note = bytearray(base64.b64decode(e["entry"]))
    note[20] ^= 0x01
    e["entry"] = base64.b64encode(bytes(note)).decode()


def _flip_proof(e: dict[str, Any]) -> None:
    first = bytearray(base64.b64decode(e["proof"][0]))
    first[0] ^= 0x01
    e["proof"][0] = base64.b64encode(bytes(first)).decode()


def _other_index(e: dict[str, Any]) -> None:
    e["index"] = 1


def _other_checkpoint(e: dict[str, Any]) -> None:
    e["checkpoint"] = e["checkpoint"].replace("\n3\n", "\n4\n", 1)


def _forged_key(e: dict[str, Any]) -> None:
    e["vkey"] = RU.verifier().vkey()


@pytest.mark.parametrize(
    "change", [_flip_entry, _flip_proof, _other_index, _other_checkpoint, _forged_key]
)
def test_tampered_evidence_does_not_verify(change: Any) -> None:
    with pytest.raises(VerificationError):
        verify_finding(_tampered(change))


def test_a_finding_signed_by_another_key_fails_against_the_pinned_key() -> None:
    finding = refused()
    keys = {RU.name: RU.verifier().vkey(), US.name: RU.verifier().vkey()}
    with pytest.raises(VerificationError):
        verify_finding(finding, keys)


def test_a_finding_without_evidence_proves_nothing() -> None:
    finding = Finding("exchange.missing", Severity.VIOLATION, "RU", "Missing.")
    with pytest.raises(VerificationError, match="no evidence"):
        verify_finding(finding)


@pytest.mark.parametrize(
    "doc",
    [
        "[]",
        "{",
        '{"rule": "x"}',
        '{"rule": "x", "severity": "grave", "party": "US", "summary": "s", "evidence": []}',
        '{"rule": "x", "severity": "info", "party": "US", "summary": "s", "evidence": [{}]}',
        '{"findings": 3}',
    ],
)
def test_a_malformed_finding_is_a_format_error(doc: str) -> None:
    with pytest.raises(FormatError):
        parse_findings(doc)


def test_extra_fields_are_allowed() -> None:
    doc: dict[str, Any] = refused().to_json()
    doc["note"] = "for the commission"
    assert parse_finding(doc).rule == "inspection.refused"
