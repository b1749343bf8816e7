"""Equivocation evidence: the fork walk agrees with RFC 9162, and records prove what they say."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import pytest
from nodeworld import MemoryLog

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import Checkpoint
from treatyledger.log.merkle import (
    NodeFetcher,
    NodeId,
    consistency_proof,
    root_from_leaf_hashes,
    verify_consistency,
)
from treatyledger.log.note import Signer
from treatyledger.node.evidence import (
    Evidence,
    EvidenceKind,
    fork_path,
    fork_roots,
    proves_fork,
    verify_evidence,
)

SIGNER = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))


def leaves(count: int, tag: str = "") -> list[bytes]:
    return [hashlib.sha256(f"{tag}{n}".encode()).digest() for n in range(count)]


def fetcher(hashes: list[bytes]) -> NodeFetcher:
    """Node hashes computed straight from the leaf hashes (no tiles)."""

    def fetch(ids: Sequence[NodeId]) -> list[bytes]:
        return [root_from_leaf_hashes(hashes[i << level : (i + 1) << level]) for level, i in ids]

    return fetch


@pytest.mark.parametrize("new_size", [2, 3, 5, 8, 13, 64, 70])
def test_the_walk_gives_both_roots_of_every_consistency_proof(new_size: int) -> None:
    hashes = leaves(new_size)
    fetch = fetcher(hashes)
    for old_size in range(1, new_size):
        path = fork_path(old_size, new_size, fetch)
        old, new = fork_roots(old_size, new_size, path)
        assert old == root_from_leaf_hashes(hashes[:old_size])
        assert new == root_from_leaf_hashes(hashes)
        proof = consistency_proof(old_size, new_size, fetch)
        verify_consistency(
            old_size=old_size, new_size=new_size, old_root=old, new_root=new, proof=proof
        )


def checkpoint_of(hashes: list[bytes]) -> Checkpoint:
    return Checkpoint(origin=SIGNER.name, size=len(hashes), root_hash=root_from_leaf_hashes(hashes))


@pytest.mark.parametrize("old_size", [1, 2, 3, 4, 5, 7, 8, 9])
def test_a_fork_path_of_a_rewritten_tree_proves_the_fork(old_size: int) -> None:
    honest = leaves(old_size)
    forked = leaves(old_size + 5, tag="rewritten")
    extended = leaves(old_size + 5)
    older = checkpoint_of(honest)
    assert proves_fork(
        older, checkpoint_of(forked), fork_path(old_size, len(forked), fetcher(forked))
    )
    assert not proves_fork(
        older, checkpoint_of(extended), fork_path(old_size, len(extended), fetcher(extended))
    )
    # A path that does not lead to the newer root proves nothing either.
    garbage = [bytes(32)] * len(fork_path(old_size, len(forked), fetcher(forked)))
    assert not proves_fork(older, checkpoint_of(forked), garbage)


def evidence_of(
    kind: EvidenceKind, older: bytes, newer: bytes, path: tuple[bytes, ...] = ()
) -> Evidence:
    return Evidence(
        origin=SIGNER.name,
        kind=kind,
        older=older,
        newer=newer,
        path=path,
        detected_at=1,
        seen_by="test",
        detail="test",
    )


def test_records_that_prove_nothing_are_refused() -> None:
    log = MemoryLog(SIGNER)
    three = log.grow(3)
    five = log.grow(2)
    other = MemoryLog(SIGNER)
    other_three = other.grow(3, tag="x")
    verify_evidence(evidence_of("same-size", three, other_three), SIGNER.verifier())
    with pytest.raises(VerificationError):  # the same tree twice
        verify_evidence(evidence_of("same-size", three, three), SIGNER.verifier())
    path = tuple(log.log.consistency_proof(3))  # from size 3, the fork path is the proof
    with pytest.raises(VerificationError):  # consistent trees: no path shows a fork
        verify_evidence(evidence_of("fork", three, five, path), SIGNER.verifier())
    stranger = MemoryLog(Signer.generate(SIGNER.name)).grow(3)
    with pytest.raises(VerificationError):  # a checkpoint signed by someone else
        verify_evidence(evidence_of("same-size", three, stranger), SIGNER.verifier())
    with pytest.raises(VerificationError):
        fork_roots(3, 5, [bytes(32)])  # the wrong length


def test_records_round_trip_through_json() -> None:
    log = MemoryLog(SIGNER)
    record = evidence_of("fork", log.grow(3), log.grow(2), (bytes(32), b"\x01" * 32))
    assert Evidence.from_json(record.to_json()) == record
    with pytest.raises(FormatError):
        Evidence.from_json({**record.to_json(), "kind": "rumour"})
    with pytest.raises(FormatError):
        Evidence.from_json({k: v for k, v in record.to_json().items() if k != "older"})
    assert dataclasses.asdict(record)["detected_at"] == 1
