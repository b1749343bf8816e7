"""Witness-attested times: the earliest cosigned checkpoint containing an entry."""

from __future__ import annotations

import copy
import json

import pytest
from complyworld import SPEC, US, World, at, exchange_note, fetcher, of_rule

from treatyledger.compliance import check_compliance, findings_to_json, read_log, verify_finding
from treatyledger.errors import VerificationError
from treatyledger.log.cosignature import CosignatureSigner
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer, sign_note
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore

RU_WITNESS = CosignatureSigner(name="example.org/ru/witness", seed=b"\x21" * 32)
US_WITNESS = CosignatureSigner(name="example.org/us/witness", seed=b"\x22" * 32)


def _body(note: bytes) -> str:
    return note.decode().split("\n\n")[0] + "\n"


def _cosign(note: bytes, witness: CosignatureSigner, when: str) -> bytes:
    stamp = int(at(when).timestamp())
    return note + witness.cosignature_line(_body(note), stamp).encode()


def _history_files(notes: list[bytes], cosign: dict[int, list[tuple[CosignatureSigner, str]]]):
    """The US log with one checkpoint per entry; ``cosign[size]`` cosignatures on each."""
    log = TransparencyLog(store=MemoryStore(), origin=US.name, verifier=US.verifier(), signer=US)
    for note in notes:
        log.append([note])
        log.integrate()
    files = dict(export_files(log))
    files["vkey"] = (US.verifier().vkey() + "\n").encode()
    for size, signers in cosign.items():
        path = "checkpoint" if size == len(notes) else f"checkpoints/{size}"
        for witness, when in signers:
            files[path] = _cosign(files[path], witness, when)
    return files


def _late_exchange_world() -> list[bytes]:
    w = World()
    w.note("US", exchange_note("2019-09-01", "2019-10-02T00:00:00Z"))  # late by its own time
    w.add("commission_request", "US", "2019-10-03T00:00:00Z", {"agenda": "Any."})
    return w.notes["US"]


def _read(files: dict[str, bytes], witnesses=(RU_WITNESS,), own=()):
    return read_log(
        fetcher(files),
        US.verifier(),
        witnesses=[w.verifier() for w in witnesses],
        own_witnesses=[w.vkey() for w in own],
    )


def test_the_earliest_cosignature_on_a_containing_checkpoint_attests_the_entry() -> None:
    notes = _late_exchange_world()
    files = _history_files(
        notes,
        {1: [(RU_WITNESS, "2019-10-02T00:10:00Z")], 2: [(RU_WITNESS, "2019-10-03T00:10:00Z")]},
    )
    log = _read(files)
    first, second = log.attestation(0), log.attestation(1)
    assert first is not None
    assert second is not None
    assert first.time == at("2019-10-02T00:10:00Z")
    assert second.time == at("2019-10-03T00:10:00Z")
    assert first.witness == RU_WITNESS.vkey()
    evidence = log.evidence(0)
    assert evidence.time_attested
    assert evidence.to_json()["attested"]["time"] == "2019-10-02T00:10:00Z"


def test_an_entry_only_in_uncosigned_checkpoints_is_unattested() -> None:
    notes = _late_exchange_world()
    files = _history_files(notes, {1: [(RU_WITNESS, "2019-10-02T00:10:00Z")]})
    log = _read(files)
    assert log.attestation(1) is None
    assert not log.evidence(1).time_attested


def test_a_party_does_not_attest_its_own_log() -> None:
    files = _history_files(_late_exchange_world(), {1: [(US_WITNESS, "2019-10-02T00:10:00Z")]})
    log = _read(files, witnesses=(US_WITNESS, RU_WITNESS), own=(US_WITNESS,))
    assert log.attestation(0) is None


def test_an_untrusted_witness_does_not_attest() -> None:
    files = _history_files(_late_exchange_world(), {1: [(US_WITNESS, "2019-10-02T00:10:00Z")]})
    assert _read(files, witnesses=(RU_WITNESS,)).attestation(0) is None


def test_findings_say_the_times_are_attested_and_the_attestation_verifies_offline() -> None:
    files = _history_files(_late_exchange_world(), {1: [(RU_WITNESS, "2019-10-02T00:10:00Z")]})
    findings = check_compliance([_read(files)], SPEC, now=at("2019-10-15"))
    late = of_rule(findings, "exchange.late")
    assert len(late) == 1
    assert "no witness cosignature" not in late[0].summary
    assert "A witness cosignature attests" in late[0].summary
    doc = findings_to_json(late)["findings"][0]
    assert verify_finding(doc, witnesses=[RU_WITNESS.vkey()])
    with pytest.raises(VerificationError, match="not a pinned witness"):
        verify_finding(doc, witnesses=[US_WITNESS.vkey()])


@pytest.mark.parametrize("part", ["time", "proof", "checkpoint", "witness"])
def test_a_tampered_attestation_fails_offline(part: str) -> None:
    files = _history_files(_late_exchange_world(), {1: [(RU_WITNESS, "2019-10-02T00:10:00Z")]})
    log = _read(files)
    doc = copy.deepcopy(
        findings_to_json(
            of_rule(check_compliance([log], SPEC, now=at("2019-10-15")), "exchange.late")
        )["findings"][0]
    )
    attested = doc["evidence"][0]["attested"]
    if part == "time":
        attested["time"] = "2019-10-01T00:00:00Z"  # claim it existed before the deadline
    elif part == "proof":
        attested["proof"] = ["AAAA" + attested["proof"][0][4:]] if attested["proof"] else ["AA=="]
    elif part == "checkpoint":
        attested["checkpoint"] = attested["checkpoint"].replace("\n1\n", "\n2\n", 1)
    else:
        attested["witness"] = US_WITNESS.vkey()
    with pytest.raises(VerificationError):
        verify_finding(json.loads(json.dumps(doc)))


def test_a_forged_cosignature_is_refused_when_reading() -> None:
    files = _history_files(_late_exchange_world(), {})
    forged = CosignatureSigner(name=RU_WITNESS.name, seed=b"\x99" * 32)
    line = forged.cosignature_line(_body(files["checkpoints/1"]), 1_570_000_000)
    # Same name, another key: a different key ID, so it is not the trusted witness's line.
    files["checkpoints/1"] += line.encode()
    assert _read(files).attestation(0) is None
    # A line with the trusted key ID whose signature does not verify is refused.
    good = RU_WITNESS.cosignature_line(_body(files["checkpoints/1"]), 1_570_000_000)
    name, b64 = good.rstrip("\n").rsplit(" ", 1)
    tampered = name + " " + b64[:-6] + ("A" if b64[-6] != "A" else "B") + b64[-5:] + "\n"
    files["checkpoints/1"] += tampered.encode()
    with pytest.raises(VerificationError):
        _read(files)


def test_an_earlier_checkpoint_of_another_history_is_caught() -> None:
    notes = _late_exchange_world()
    files = _history_files(notes, {})
    # The log signs a checkpoint of size 1 with another root: a second history.
    other = Signer(name=US.name, seed=US.seed)
    lines = _body(files["checkpoints/1"]).split("\n")
    lines[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    files["checkpoints/1"] = sign_note("\n".join(lines), [other])
    with pytest.raises(VerificationError, match="two histories"):
        _read(files)


def test_history_beyond_the_tree_or_missing_is_refused() -> None:
    files = _history_files(_late_exchange_world(), {})
    broken = {**files, "checkpoints/index": b"1\n5\n"}
    with pytest.raises(VerificationError):
        _read(broken)
    missing = {k: v for k, v in files.items() if k != "checkpoints/1"}
    with pytest.raises(VerificationError, match="missing"):
        _read(missing)


def test_logs_without_history_read_as_before() -> None:
    files = _history_files(_late_exchange_world(), {})
    del files["checkpoints/index"]
    log = _read(files)
    assert log.attestation(0) is None
    assert len(log.history) == 1
