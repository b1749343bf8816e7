"""The transparency log over a store: appends, integration, proofs, refusals."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import ConflictError, InconsistencyError, InputError
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.merkle import (
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from treatyledger.log.note import Signer
from treatyledger.log.tiles import tiles_for_size
from treatyledger.log.tlogproof import parse_tlog_proof, verify_tlog_proof
from treatyledger.log.transparency_log import MAX_ENTRY_SIZE, TransparencyLog
from treatyledger.storage.memory import MemoryStore

ORIGIN = "test.example/log"
SIGNER = Signer.generate(ORIGIN)


def new_log(store: MemoryStore | None = None) -> TransparencyLog:
    log = TransparencyLog(
        store=store or MemoryStore(), origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER
    )
    log.integrate()
    return log


def entries(count: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(0, 40)) for _ in range(count)]


def test_empty_log_has_a_signed_checkpoint_of_size_zero() -> None:
    log = new_log()
    checkpoint = open_checkpoint(log.checkpoint(), SIGNER.verifier())
    assert checkpoint.size == 0
    assert checkpoint.origin == ORIGIN
    assert checkpoint.root_hash == root_from_leaf_hashes([])


def test_append_returns_consecutive_indexes_and_integration_signs_once_per_batch() -> None:
    log = new_log()
    assert log.append([b"a", b"b"]) == [0, 1]
    assert log.append([b"c"]) == [2]
    assert log.size() == 0
    assert log.pending() == 3
    first = log.integrate()
    assert log.size() == 3
    assert log.pending() == 0
    assert log.integrate() == first  # nothing new: the same checkpoint, not a new signature
    checkpoint = open_checkpoint(first, SIGNER.verifier())
    assert checkpoint.root_hash == root_from_leaf_hashes([leaf_hash(e) for e in (b"a", b"b", b"c")])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=4))
def test_any_batching_gives_the_same_tree_and_valid_proofs(batches: list[int]) -> None:
    log = new_log()
    data = entries(sum(batches), seed=len(batches))
    checkpoints = []
    start = 0
    for size in batches:
        log.append(data[start : start + size])
        start += size
        checkpoints.append(open_checkpoint(log.integrate(), SIGNER.verifier()))
    final = checkpoints[-1]
    assert final.root_hash == root_from_leaf_hashes([leaf_hash(e) for e in data])
    for older in checkpoints:
        proof = log.consistency_proof(older.size)
        verify_consistency(
            old_size=older.size,
            new_size=final.size,
            old_root=older.root_hash,
            new_root=final.root_hash,
            proof=proof,
        )
    rng = random.Random(final.size)
    for index in rng.sample(range(final.size), min(final.size, 20)):
        verify_inclusion(
            leaf_hash=leaf_hash(data[index]),
            index=index,
            size=final.size,
            proof=log.inclusion_proof(index),
            root=final.root_hash,
        )


def test_oversized_entry_refuses_the_whole_batch() -> None:
    log = new_log()
    with pytest.raises(InputError, match="65,535"):
        log.append([b"ok", b"x" * (MAX_ENTRY_SIZE + 1)])
    assert log.pending() == 0
    assert log.append([b"y" * MAX_ENTRY_SIZE]) == [0]


def test_empty_batch_is_refused() -> None:
    with pytest.raises(InputError):
        new_log().append([])


def test_find_returns_the_index_of_a_stored_entry() -> None:
    log = new_log()
    log.append([b"one", b"two"])
    assert log.find(b"two") == 1
    assert log.find(b"three") is None


def test_tlog_proof_round_trip() -> None:
    log = new_log()
    data = entries(300, seed=3)
    log.append(data)
    log.integrate()
    proof = parse_tlog_proof(log.tlog_proof(257))
    checkpoint = verify_tlog_proof(proof, entry=data[257], verifier=SIGNER.verifier())
    assert checkpoint.size == 300


def test_proofs_outside_the_tree_are_refused() -> None:
    log = new_log()
    log.append([b"a"])
    with pytest.raises(InputError):
        log.inclusion_proof(0)  # not integrated yet
    log.integrate()
    with pytest.raises(InputError):
        log.inclusion_proof(1)
    with pytest.raises(InputError):
        log.consistency_proof(2)


def test_tiles_cover_every_level_for_70000_entries() -> None:
    log = new_log()
    for start in range(0, 70_000, 10_000):
        log.append([start.to_bytes(4, "big") + i.to_bytes(4, "big") for i in range(10_000)])
    log.integrate()
    layout = tiles_for_size(70_000)
    stored = log.tiles([(level, index) for level, index, _ in layout])
    for level, index, width in layout:
        assert len(stored[(level, index)]) == 32 * width
    assert {level for level, _, _ in layout} == {0, 1, 2}


def test_concurrent_integrators_publish_one_tree() -> None:
    store = MemoryStore()
    first = new_log(store)
    second = TransparencyLog(store=store, origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER)
    first.append(entries(10))
    a = first.integrate()
    b = second.integrate()
    assert a == b


def test_publish_conflict_is_retried_on_the_new_tree() -> None:
    store = MemoryStore()
    log = new_log(store)
    log.append(entries(5))
    original = store.publish
    calls = {"n": 0}

    def racing_publish(**kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            # Another integrator wins the race just before us.
            other = TransparencyLog(
                store=store, origin=ORIGIN, verifier=SIGNER.verifier(), signer=SIGNER
            )
            store.publish = original  # type: ignore[method-assign]
            other.integrate()
            store.publish = racing_publish  # type: ignore[method-assign]
            raise ConflictError("lost the race")
        original(**kwargs)  # type: ignore[arg-type]

    store.publish = racing_publish  # type: ignore[method-assign]
    signed = log.integrate()
    assert open_checkpoint(signed, SIGNER.verifier()).size == 5


def test_refuses_to_sign_when_the_stored_tree_was_tampered_with() -> None:
    store = MemoryStore()
    log = new_log(store)
    log.append(entries(300, seed=9))
    log.integrate()
    # Corrupt the right-edge partial tile that the next integration extends.
    tile = store.read_tiles([(0, 1)])[(0, 1)]
    store.publish(
        old_size=300,
        new_size=300,
        tiles={(0, 1): bytes(32) + tile[32:]},
        checkpoint=store.latest_checkpoint() or b"",
    )
    log.append(entries(5, seed=10))
    with pytest.raises(InconsistencyError) as caught:
        log.integrate()
    assert caught.value.older == store.latest_checkpoint()
    assert log.size() == 300


def test_append_and_integrate_signs_the_tree_that_includes_the_batch() -> None:
    log = new_log()
    data = entries(700, seed=4)
    indexes, signed = log.append_and_integrate(data[:300])
    assert indexes == list(range(300))
    assert open_checkpoint(signed, SIGNER.verifier()).size == 300
    indexes, signed = log.append_and_integrate(data[300:])
    assert indexes == list(range(300, 700))
    checkpoint = open_checkpoint(signed, SIGNER.verifier())
    assert checkpoint.root_hash == root_from_leaf_hashes([leaf_hash(e) for e in data])
    assert log.checkpoint() == signed
    assert log.pending() == 0


def test_append_and_integrate_with_entries_pending_falls_back() -> None:
    log = new_log()
    log.append([b"pending"])
    indexes, signed = log.append_and_integrate([b"next"])
    assert indexes == [1]
    assert open_checkpoint(signed, SIGNER.verifier()).size == 2


def test_append_and_integrate_refuses_bad_input_and_stores_nothing() -> None:
    log = new_log()
    with pytest.raises(InputError, match="65,535"):
        log.append_and_integrate([b"ok", b"x" * (MAX_ENTRY_SIZE + 1)])
    with pytest.raises(InputError, match="not bytes"):
        log.append_and_integrate([b"ok", "text"])  # type: ignore[list-item]
    assert log.pending() == 0
    assert log.size() == 0


def test_append_and_integrate_without_the_key_is_refused() -> None:
    store = MemoryStore()
    new_log(store)
    reader = TransparencyLog(store=store, origin=ORIGIN, verifier=SIGNER.verifier())
    with pytest.raises(InputError, match="signing key"):
        reader.append_and_integrate([b"x"])
    assert store.entry_count() == 0
