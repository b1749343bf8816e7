"""RFC 6962 / 9162 tree maths: known answers, the golden proofs of transparency-dev/merkle,
and properties of proofs planned from (index, size) alone."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import VerificationError
from treatyledger.log.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeId,
    ProofPlan,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion,
    root_from_leaf_hashes,
    root_hash,
    root_plan,
    verify_consistency,
    verify_inclusion,
)

# The RFC 6962 reference tree, as kept by transparency-dev/merkle in
# testonly/constants.go (commit 582a6ad1, Apache-2.0): the eight leaf inputs,
# the roots of their prefixes, and every perfect subtree's hash.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
REFERENCE_ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
REFERENCE_NODES: dict[NodeId, bytes] = {
    (level, index): bytes.fromhex(h)
    for level, row in enumerate(
        [
            [
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
            ],
            [
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            ],
            [
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
            ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
        ]
    )
    for index, h in enumerate(row)
}
REFERENCE_LEAF_HASHES = [leaf_hash(entry) for entry in REFERENCE_LEAVES]


def reference_fetch(ids: Sequence[NodeId]) -> list[bytes]:
    return [REFERENCE_NODES[node] for node in ids]


# --- a plain recursive MTH and an in-memory tree to check against -------------------


def recursive_mth(hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written the way the RFC defines it (small inputs only)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << ((len(hashes) - 1).bit_length() - 1)
    return hashlib.sha256(
        b"\x01" + recursive_mth(hashes[:split]) + recursive_mth(hashes[split:])
    ).digest()


MAX_SIZE = 600
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE)]


@cache
def perfect_node(level: int, index: int) -> bytes:
    if level == 0:
        return LEAVES[index]
    return node_hash(perfect_node(level - 1, 2 * index), perfect_node(level - 1, 2 * index + 1))


class Fetcher:
    """Answers node requests for the tree of ``size`` leaves and counts the calls."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls = 0

    def __call__(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.calls += 1
        for level, index in ids:
            # A plan must only ask for perfect subtrees that lie within the tree.
            assert (index + 1) << level <= self.size, (level, index, self.size)
        return [perfect_node(level, index) for level, index in ids]


def flip_bit(proof: list[bytes], position: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


# --- hashing ------------------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert base64.b64encode(EMPTY_ROOT) == b"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert HASH_SIZE == 32


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    left, right = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(left + right) != node_hash(left, right)


@pytest.mark.parametrize(("left", "right"), [(b"", b"x" * 32), (b"x" * 32, b"x" * 33)])
def test_node_hash_rejects_children_that_are_not_32_bytes(left: bytes, right: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        node_hash(left, right)


def test_root_from_leaf_hashes_rejects_short_hashes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        root_from_leaf_hashes([b"x" * 32, b"x" * 31])


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size: int) -> None:
    """The roots of the RFC 6962 reference tree's prefixes, two ways."""
    assert root_from_leaf_hashes(REFERENCE_LEAF_HASHES[:size]) == REFERENCE_ROOTS[size]
    assert root_hash(size, reference_fetch) == REFERENCE_ROOTS[size]


def test_reference_perfect_subtrees() -> None:
    for (level, index), expected in REFERENCE_NODES.items():
        leaves = REFERENCE_LEAF_HASHES[index << level : (index + 1) << level]
        assert root_from_leaf_hashes(leaves) == expected


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_root_matches_the_recursive_definition(size: int) -> None:
    assert root_from_leaf_hashes(LEAVES[:size]) == recursive_mth(LEAVES[:size])


# --- plans ----------------------------------------------------------------------------


def test_inclusion_plan_with_an_ephemeral_node() -> None:
    """Leaf 0 of 7: the right half (leaves 4..6) is folded from (1, 2) and (0, 6)."""
    plan = inclusion_plan(0, 7)
    assert plan.nodes == ((0, 1), (1, 1), (1, 2), (0, 6))
    assert (plan.fold_begin, plan.fold_end) == (2, 4)
    assert plan.proof_length == 3
    proof = plan.assemble(reference_fetch(plan.nodes))
    assert proof == [
        REFERENCE_NODES[0, 1],
        REFERENCE_NODES[1, 1],
        node_hash(REFERENCE_NODES[1, 2], REFERENCE_NODES[0, 6]),
    ]


def test_consistency_plan_prepends_the_old_subtree_unless_a_power_of_two() -> None:
    assert consistency_plan(3, 8).nodes == ((0, 2), (0, 3), (1, 0), (2, 1))
    assert consistency_plan(4, 8).nodes == ((2, 1),)
    assert consistency_plan(6, 7).nodes == ((1, 2), (0, 6), (2, 0))


def test_root_plan_is_the_binary_decomposition() -> None:
    assert root_plan(0).nodes == ()
    assert root_plan(7).nodes == ((2, 0), (1, 2), (0, 6))
    assert root_plan(8).nodes == ((3, 0),)


@pytest.mark.parametrize(("old", "new"), [(0, 0), (0, 5), (5, 5), (8, 8)])
def test_consistency_edge_cases_have_empty_proofs(old: int, new: int) -> None:
    fetch = Fetcher(new)
    assert consistency_plan(old, new).nodes == ()
    assert consistency_proof(old, new, fetch) == []
    assert fetch.calls == 0


def test_root_of_the_empty_tree_needs_no_fetch() -> None:
    fetch = Fetcher(0)
    assert root_hash(0, fetch) == EMPTY_ROOT
    assert fetch.calls == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: inclusion_plan(3, 3), "not below the tree size"),
        (lambda: inclusion_plan(0, 0), "not below the tree size"),
        (lambda: inclusion_plan(-1, 3), "must not be negative"),
        (lambda: inclusion_plan(0, -1), "must not be negative"),
        (lambda: consistency_plan(5, 4), "exceeds"),
        (lambda: consistency_plan(-1, 4), "must not be negative"),
        (lambda: root_plan(-1), "must not be negative"),
    ],
    ids=[
        "index-equals-size",
        "empty-tree",
        "negative-index",
        "negative-size",
        "old-above-new",
        "negative-old",
        "negative-root-size",
    ],
)
def test_plans_reject_impossible_requests(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_assemble_rejects_the_wrong_hashes() -> None:
    plan = inclusion_plan(0, 7)
    with pytest.raises(ValueError, match="needs 4 node hashes"):
        plan.assemble([b"x" * 32] * 3)
    with pytest.raises(ValueError, match="32 bytes"):
        plan.assemble([b"x" * 32] * 3 + [b"x"])


def test_plan_rejects_a_fold_range_outside_its_nodes() -> None:
    with pytest.raises(ValueError, match="fold range"):
        ProofPlan(nodes=((0, 0),), fold_begin=0, fold_end=2)


def test_plan_is_frozen() -> None:
    plan = root_plan(3)
    with pytest.raises(AttributeError):
        plan.nodes = ()  # type: ignore[misc]


# --- golden proofs of transparency-dev/merkle ------------------------------------------


def _vectors_guess() -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("TREATYLEDGER_SHARED", root.parent / "shared")) / "vectors/merkle"


def _vector_names(kind: str) -> list[str]:
    folder = _vectors_guess() / kind
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.json"))
    return names or ["(vectors absent)"]


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _load(shared: Path, kind: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (shared / "vectors/merkle" / kind / name).read_text(encoding="utf-8")
    )
    return data


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in data["proof"] or []]


def test_golden_vectors_are_present(shared: Path) -> None:
    folder = shared / "vectors/merkle"
    assert len(list((folder / "inclusion").rglob("*.json"))) >= 90
    assert len(list((folder / "consistency").rglob("*.json"))) >= 90


@pytest.mark.parametrize("name", _vector_names("inclusion"))
def test_golden_inclusion(shared: Path, name: str) -> None:
    data = _load(shared, "inclusion", name)
    arguments = {
        "leaf_hash": _b64(data["leafHash"]),
        "index": data["leafIdx"],
        "size": data["treeSize"],
        "proof": _proof(data),
        "root": _b64(data["root"]),
    }
    if data["wantErr"]:
        with pytest.raises(VerificationError):
            verify_inclusion(**arguments)
    else:
        verify_inclusion(**arguments)
        # Our planner builds the very proof the golden file holds.
        index, size = data["leafIdx"], data["treeSize"]
        if size <= len(REFERENCE_LEAVES):
            assert inclusion_proof(index, size, reference_fetch) == arguments["proof"]


# The Go verifier does not check hash lengths; this one golden case passes there
# with two equal 16-byte "roots". We reject every hash that is not 32 bytes.
STRICTER_THAN_GO = "additional/sizes-are-equal-one-and-proof-is-empty.json"


@pytest.mark.parametrize("name", _vector_names("consistency"))
def test_golden_consistency(shared: Path, name: str) -> None:
    data = _load(shared, "consistency", name)
    arguments = {
        "old_size": data["size1"],
        "new_size": data["size2"],
        "old_root": _b64(data["root1"]),
        "new_root": _b64(data["root2"]),
        "proof": _proof(data),
    }
    if name == STRICTER_THAN_GO:
        with pytest.raises(VerificationError, match="not 32"):
            verify_consistency(**arguments)
        verify_consistency(**{**arguments, "old_root": EMPTY_ROOT, "new_root": EMPTY_ROOT})
    elif data["wantErr"]:
        with pytest.raises(VerificationError):
            verify_consistency(**arguments)
    else:
        verify_consistency(**arguments)
        old, new = data["size1"], data["size2"]
        if new <= len(REFERENCE_LEAVES):
            assert consistency_proof(old, new, reference_fetch) == arguments["proof"]


# --- verification: specific failures --------------------------------------------------


def _inclusion(index: int, size: int) -> dict[str, Any]:
    return {
        "leaf_hash": LEAVES[index],
        "index": index,
        "size": size,
        "proof": inclusion_proof(index, size, Fetcher(size)),
        "root": root_from_leaf_hashes(LEAVES[:size]),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"index": 7}, "out of range"),
        ({"index": -1}, "out of range"),
        ({"size": 0}, "out of range"),
        ({"proof": []}, "must have 3 hashes, got 0"),
        ({"root": b"\x00" * 32}, "root hash does not match"),
        ({"root": b"\x00" * 31}, "root hash is 31 bytes"),
        ({"leaf_hash": b""}, "leaf hash is 0 bytes"),
        ({"leaf_hash": LEAVES[3]}, "does not match"),
    ],
    ids=[
        "index-at-size",
        "negative-index",
        "empty-tree",
        "short-proof",
        "wrong-root",
        "short-root",
        "empty-leaf-hash",
        "wrong-leaf",
    ],
)
def test_verify_inclusion_says_what_failed(change: dict[str, Any], message: str) -> None:
    arguments = {**_inclusion(2, 7), **change}
    with pytest.raises(VerificationError, match=message):
        verify_inclusion(**arguments)


def test_verify_inclusion_rejects_a_short_proof_hash() -> None:
    arguments = _inclusion(2, 7)
    arguments["proof"] = [arguments["proof"][0][:31], *arguments["proof"][1:]]
    with pytest.raises(VerificationError, match="inclusion proof hash 0 is 31 bytes"):
        verify_inclusion(**arguments)


def test_root_from_inclusion_of_a_single_leaf_is_the_leaf() -> None:
    assert root_from_inclusion(leaf_hash=LEAVES[0], index=0, size=1, proof=[]) == LEAVES[0]


def _consistency(old: int, new: int) -> dict[str, Any]:
    return {
        "old_size": old,
        "new_size": new,
        "old_root": root_from_leaf_hashes(LEAVES[:old]),
        "new_root": root_from_leaf_hashes(LEAVES[:new]),
        "proof": consistency_proof(old, new, Fetcher(new)),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"old_size": 8}, "exceeds"),
        ({"old_size": -1}, "negative"),
        ({"proof": []}, "must have 4 hashes, got 0"),
        ({"old_root": b"\x00" * 32}, "old root hash does not match"),
        ({"new_root": b"\x00" * 32}, "new root hash does not match"),
        ({"new_root": b"\x00" * 33}, "new root hash is 33 bytes"),
    ],
    ids=["old-above-new", "negative-size", "empty-proof", "wrong-old", "wrong-new", "long-root"],
)
def test_verify_consistency_says_what_failed(change: dict[str, Any], message: str) -> None:
    arguments = {**_consistency(3, 7), **change}
    with pytest.raises(VerificationError, match=message):
        verify_consistency(**arguments)


def test_consistency_between_equal_sizes_needs_equal_roots_and_no_proof() -> None:
    root = root_from_leaf_hashes(LEAVES[:5])
    verify_consistency(old_size=5, new_size=5, old_root=root, new_root=root, proof=[])
    with pytest.raises(VerificationError, match="same size"):
        verify_consistency(old_size=5, new_size=5, old_root=root, new_root=LEAVES[0], proof=[])
    with pytest.raises(VerificationError, match="must have 0 hashes, got 1"):
        verify_consistency(old_size=5, new_size=5, old_root=root, new_root=root, proof=[root])


def test_consistency_from_the_empty_tree_accepts_any_new_root() -> None:
    verify_consistency(old_size=0, new_size=9, old_root=EMPTY_ROOT, new_root=LEAVES[1], proof=[])
    verify_consistency(old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=EMPTY_ROOT, proof=[])
    with pytest.raises(VerificationError, match="must have 0 hashes, got 1"):
        verify_consistency(
            old_size=0, new_size=9, old_root=EMPTY_ROOT, new_root=LEAVES[1], proof=[LEAVES[0]]
        )
    with pytest.raises(VerificationError, match="empty tree"):
        verify_consistency(old_size=0, new_size=9, old_root=LEAVES[0], new_root=LEAVES[1], proof=[])


# --- properties over random trees -----------------------------------------------------

sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return draw(st.integers(min_value=0, max_value=size - 1)), size


@st.composite
def old_and_new(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=0, max_value=MAX_SIZE))
    return draw(st.integers(min_value=0, max_value=new)), new


@settings(max_examples=300)
@given(index_and_size())
def test_inclusion_proofs_from_plans_verify(case: tuple[int, int]) -> None:
    index, size = case
    fetch = Fetcher(size)
    plan = inclusion_plan(index, size)
    proof = inclusion_proof(index, size, fetch)
    assert fetch.calls == (1 if plan.nodes else 0)
    assert len(proof) == plan.proof_length
    arguments = _inclusion(index, size)
    assert arguments["proof"] == proof
    verify_inclusion(**arguments)


def _elements(plan: ProofPlan) -> list[NodeId]:
    """The first node of each proof element (a folded group is one element)."""
    nodes = list(plan.nodes)
    if plan.fold_end - plan.fold_begin > 1:
        del nodes[plan.fold_begin + 1 : plan.fold_end]
    return nodes


def inclusion_shape(index: int, size: int) -> tuple[bool, ...]:
    """For each proof hash, whether it is hashed in from the left."""
    return tuple((i << level) < index for level, i in _elements(inclusion_plan(index, size)))


def consistency_shape(old: int, new: int) -> tuple[bool, tuple[bool, ...]]:
    """Whether the proof starts with the old tree's last subtree, then each hash's side."""
    elements = _elements(consistency_plan(old, new))
    seeded = old & (old - 1) != 0
    if seeded:
        elements = elements[1:]
    return seeded, tuple((i << level) < old for level, i in elements)


@settings(max_examples=200)
@given(index_and_size(), st.data())
def test_inclusion_proofs_fail_when_anything_changes(
    case: tuple[int, int], data: st.DataObject
) -> None:
    index, size = case
    arguments = _inclusion(index, size)
    proof: list[bytes] = arguments["proof"]
    root: bytes = arguments["root"]
    broken: list[dict[str, Any]] = [
        {"proof": [*proof, LEAVES[0]]},
        {"leaf_hash": LEAVES[(index + 1) % MAX_SIZE]},
        {"root": flip_bit([root], 0, data.draw(st.integers(min_value=0, max_value=255)))[0]},
        {"index": index + 1},
    ]
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = data.draw(st.integers(min_value=0, max_value=8 * HASH_SIZE - 1))
        broken += [{"proof": flip_bit(proof, position, bit)}, {"proof": proof[:-1]}]
    if size > 1:
        other = data.draw(st.integers(min_value=0, max_value=size - 1).filter(lambda i: i != index))
        broken.append({"index": other})
    for change in broken:
        with pytest.raises(VerificationError):
            verify_inclusion(**{**arguments, **change})


@given(index_and_size(), sizes)
def test_inclusion_proofs_bind_the_size_through_the_root(
    case: tuple[int, int], other_size: int
) -> None:
    """Another size verifies the same proof against the same root exactly when it gives
    the proof the same shape: the size is bound by the signed checkpoint, not the proof."""
    index, size = case
    arguments = {**_inclusion(index, size), "size": other_size}
    if other_size > index and inclusion_shape(index, other_size) == inclusion_shape(index, size):
        verify_inclusion(**arguments)
    else:
        with pytest.raises(VerificationError):
            verify_inclusion(**arguments)


@settings(max_examples=300)
@given(old_and_new())
def test_consistency_proofs_from_plans_verify(case: tuple[int, int]) -> None:
    old, new = case
    arguments = _consistency(old, new)
    assert len(arguments["proof"]) == consistency_plan(old, new).proof_length
    verify_consistency(**arguments)


@settings(max_examples=200)
@given(old_and_new(), st.data())
def test_consistency_proofs_fail_when_anything_changes(
    case: tuple[int, int], data: st.DataObject
) -> None:
    old, new = case
    arguments = _consistency(old, new)
    proof: list[bytes] = arguments["proof"]
    broken: list[dict[str, Any]] = [
        {"proof": [*proof, LEAVES[0]]},
        {"new_root": flip_bit([arguments["new_root"]], 0, 7)[0]},
        {"old_root": flip_bit([arguments["old_root"]], 0, 7)[0]},
    ]
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        bit = data.draw(st.integers(min_value=0, max_value=8 * HASH_SIZE - 1))
        broken += [{"proof": flip_bit(proof, position, bit)}, {"proof": proof[:-1]}]
    for change in broken:
        if old == 0 and "new_root" in change:
            continue  # any new root is consistent with the empty tree
        with pytest.raises(VerificationError):
            verify_consistency(**{**arguments, **change})


@given(old_and_new(), old_and_new())
def test_consistency_proofs_bind_the_sizes_through_the_roots(
    case: tuple[int, int], other: tuple[int, int]
) -> None:
    """Other sizes verify the same proof and roots exactly when the proof keeps its shape."""
    old, new = case
    other_old, other_new = other
    if not (0 < old < new and 0 < other_old < other_new):
        return  # the edge cases have their own tests
    arguments = {**_consistency(old, new), "old_size": other_old, "new_size": other_new}
    if consistency_shape(other_old, other_new) == consistency_shape(old, new):
        verify_consistency(**arguments)
    else:
        with pytest.raises(VerificationError):
            verify_consistency(**arguments)


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_root_hash_from_fetched_nodes_equals_the_full_computation(size: int) -> None:
    fetch = Fetcher(size)
    assert root_hash(size, fetch) == root_from_leaf_hashes(LEAVES[:size])
    assert fetch.calls == (1 if size else 0)


def test_large_trees_do_not_recurse() -> None:
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(1 << 17)]
    leaves.append(leaves[0])
    assert root_from_leaf_hashes(leaves) == root_hash(
        len(leaves),
        lambda ids: [root_from_leaf_hashes(leaves[i << lv : (i + 1) << lv]) for lv, i in ids],
    )


def test_two_sizes_can_share_a_proof_shape() -> None:
    """Leaf 0 of 3 and of 4 both take two hashes from the right, so the size-3 proof
    checks out as a size-4 proof against the size-3 root: only a signed size binds it."""
    assert inclusion_shape(0, 3) == inclusion_shape(0, 4) == (False, False)
    verify_inclusion(**{**_inclusion(0, 3), "size": 4})
