"""A log that showed two histories: the witness's evidence, checked against the accused log."""

from __future__ import annotations

import copy
import json

import pytest
from complyworld import SPEC, US, World, at, fetcher, of_rule

from treatyledger.compliance import (
    Finding,
    Severity,
    check_compliance,
    findings_to_json,
    read_log,
    verify_finding,
)
from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.equivocation import Evidence
from treatyledger.log.note import Ed25519Verifier
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore


def _fork(notes: list[bytes]) -> bytes:
    """The US log's checkpoint of the same size with its last entry replaced."""
    log = TransparencyLog(store=MemoryStore(), origin=US.name, verifier=US.verifier(), signer=US)
    log.append([*notes[:-1], b"rewritten"])
    log.integrate()
    return log.checkpoint()


def _world() -> tuple[World, dict[str, bytes], dict[str, bytes]]:
    w = World()
    w.add("commission_request", "US", "2021-01-05T10:00:00Z", {"agenda": "One."})
    w.add("commission_request", "US", "2021-01-06T10:00:00Z", {"agenda": "Two."})
    w.add("commission_request", "RU", "2021-01-07T10:00:00Z", {"agenda": "Three."})
    return w, w.files("US"), w.files("RU")


def _evidence(us_files: dict[str, bytes], fork: bytes, **changes: object) -> bytes:
    record = Evidence(
        origin=US.name,
        kind="same-size",
        older=us_files["checkpoint"],
        newer=fork,
        path=(),
        detected_at=1_610_000_000,
        seen_by="example.org/ru/witness",
        detail="two roots for one size",
    ).to_json()
    record.update(changes)
    return json.dumps([record]).encode()


def _judge(us_files: dict[str, bytes], ru_files: dict[str, bytes]) -> list[Finding]:
    logs = [
        read_log(fetcher(us_files), US.verifier()),
        read_log(fetcher(ru_files), read_verifier(ru_files)),
    ]
    return check_compliance(logs, SPEC, now=at("2021-02-01"))


def read_verifier(files: dict[str, bytes]) -> Ed25519Verifier:
    return Ed25519Verifier.from_vkey(files["vkey"].decode().strip())


def test_two_signed_trees_of_one_size_are_an_equivocation() -> None:
    w, us, ru = _world()
    ru["witness-evidence.json"] = _evidence(us, _fork(w.notes["US"]))
    findings = _judge(us, ru)
    [found] = of_rule(findings, "log.equivocation")
    assert (found.party, found.severity) == ("US", Severity.VIOLATION)
    assert "two different trees of 2 entries" in found.summary
    doc = findings_to_json([found])["findings"][0]
    assert doc["equivocation"][0]["vkey"] == US.verifier().vkey()
    assert verify_finding(json.loads(json.dumps(doc))) == []
    verify_finding(doc, vkeys={US.name: US.verifier().vkey()})


def test_the_same_evidence_held_twice_counts_once() -> None:
    w, us, ru = _world()
    held = _evidence(us, _fork(w.notes["US"]))
    ru["witness-evidence.json"] = held
    us_copy = dict(us)
    findings = _judge(us_copy, ru)
    assert len(of_rule(findings, "log.equivocation")) == 1


def test_evidence_that_proves_nothing_is_the_witness_partys_concern() -> None:
    _, us, ru = _world()
    ru["witness-evidence.json"] = _evidence(us, us["checkpoint"])  # the same tree twice
    findings = _judge(us, ru)
    assert of_rule(findings, "log.equivocation") == []
    [bad] = of_rule(findings, "log.evidence_invalid")
    assert (bad.party, bad.severity) == ("RU", Severity.CONCERN)


def test_evidence_against_a_log_not_under_review_is_not_judged() -> None:
    w, us, ru = _world()
    ru["witness-evidence.json"] = _evidence(us, _fork(w.notes["US"]), origin="example.org/cn/log")
    findings = _judge(us, ru)
    assert of_rule(findings, "log.equivocation") == []
    assert of_rule(findings, "log.evidence_invalid")[0].party == "RU"


@pytest.mark.parametrize("part", ["newer", "vkey", "origin"])
def test_a_tampered_proof_fails_offline(part: str) -> None:
    w, us, ru = _world()
    ru["witness-evidence.json"] = _evidence(us, _fork(w.notes["US"]))
    [found] = of_rule(_judge(us, ru), "log.equivocation")
    doc = copy.deepcopy(findings_to_json([found])["findings"][0])
    proof = doc["equivocation"][0]
    if part == "newer":
        proof["newer"] = proof["older"]
    elif part == "vkey":
        proof["vkey"] = read_verifier(ru).vkey()
    else:
        proof["origin"] = "example.org/ru/log"
    with pytest.raises(VerificationError):
        verify_finding(doc)


def test_a_pinned_key_must_be_the_accused_logs() -> None:
    w, us, ru = _world()
    ru["witness-evidence.json"] = _evidence(us, _fork(w.notes["US"]))
    [found] = of_rule(_judge(us, ru), "log.equivocation")
    with pytest.raises(VerificationError, match="pinned"):
        verify_finding(found, vkeys={US.name: read_verifier(ru).vkey()})


def test_a_malformed_evidence_file_stops_the_reading() -> None:
    _, _, ru = _world()
    ru["witness-evidence.json"] = b"{not json"
    with pytest.raises(FormatError, match=r"witness-evidence\.json"):
        read_log(fetcher(ru), read_verifier(ru))
