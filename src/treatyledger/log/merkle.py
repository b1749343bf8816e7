"""Merkle tree maths of RFC 6962 / RFC 9162 §2.1: hashes, proofs and their verification.

The tree over entries ``D[0:n]`` uses SHA-256 with domain separation: a leaf
hashes as ``H(0x00 || entry)``, an interior node as ``H(0x01 || left || right)``,
and a tree of ``n > 1`` leaves splits at the largest power of two smaller than
``n``. The empty tree's root is ``H("")``. Indexes are 0-based.

Every hash a proof needs is the hash of a *perfect* subtree, named by a
:data:`NodeId` ``(level, index)``: the ``2**level`` leaves starting at leaf
``index * 2**level``. Perfect subtrees never change once complete, so a log can
store them (for example in tiles) and answer every proof from them. The one
exception is the right edge of a tree whose size is not a power of two: there
a proof may need the hash of an incomplete subtree, an *ephemeral* node, which
is the right-to-left fold of several perfect subtrees. A :class:`ProofPlan`,
computed from ``(index, size)`` alone, lists the perfect nodes to fetch and
knows which of them fold into the ephemeral node.

Verification follows the RFC 9162 algorithms (§2.1.3.2 inclusion, §2.1.4.2
consistency). The proof's shape is derived from the index and sizes alone; a
proof of the wrong length, a hash that is not 32 bytes or a root that differs
(compared in constant time) raises :class:`~treatyledger.errors.VerificationError`.

Two edge cases the RFC leaves open are defined here, following the C2SP
tlog-witness protocol: a consistency proof between equal sizes is empty and
holds when the two roots are equal; a consistency proof from size 0 is empty
and holds for any new root, provided the old root is the empty tree's root.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from treatyledger.errors import VerificationError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "NodeFetcher",
    "NodeId",
    "ProofPlan",
    "consistency_plan",
    "consistency_proof",
    "inclusion_plan",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion",
    "root_from_leaf_hashes",
    "root_hash",
    "root_plan",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root hash of the tree with no leaves: SHA-256 of the empty string."""

NodeId = tuple[int, int]
"""``(level, index)``: the perfect subtree of ``2**level`` leaves from leaf ``index * 2**level``."""

NodeFetcher = Callable[[Sequence[NodeId]], Sequence[bytes]]
"""Returns the hashes of the given perfect subtrees, in the order asked."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256


def _check_hash(value: bytes, name: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{name} must be {HASH_SIZE} bytes, got {len(value)}")


def leaf_hash(entry: bytes) -> bytes:
    """The RFC 6962 hash of one log entry, ``SHA-256(0x00 || entry)``."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node, ``SHA-256(0x01 || left || right)``.

    Raises ``ValueError`` unless both children are 32-byte hashes.
    """
    _check_hash(left, "left child hash")
    _check_hash(right, "right child hash")
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (MTH) of a tree whose leaves have the given hashes.

    Equal to the RFC's recursive definition (split at the largest power of two
    below ``n``); :data:`EMPTY_ROOT` for no leaves. Runs level by level, so
    millions of leaves need no recursion. Raises ``ValueError`` if a hash is
    not 32 bytes.
    """
    if any(length != HASH_SIZE for length in set(map(len, leaf_hashes))):
        raise ValueError(f"every leaf hash must be {HASH_SIZE} bytes")
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    prefix, sha = _NODE_PREFIX, _sha256
    # Pairing neighbours and promoting an odd last node unchanged builds exactly
    # the RFC tree: the right edge is always the part split off last.
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [
            sha(prefix + a + b).digest() for a, b in zip(level[0::2], level[1::2], strict=False)
        ]
        if odd is not None:
            level.append(odd)
    return level[0]


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash perfect subtrees (largest first) into the root of their concatenation."""
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


# --- proof planning ------------------------------------------------------------------


@dataclass(frozen=True)
class ProofPlan:
    """The perfect subtrees a proof needs, and how to turn their hashes into the proof.

    ``nodes`` are fetched in order. The hashes of ``nodes[fold_begin:fold_end]``
    (if that range holds more than one node) are folded right to left into one
    ephemeral hash that takes their place in the proof.
    """

    nodes: tuple[NodeId, ...]
    fold_begin: int = 0
    fold_end: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.fold_begin <= self.fold_end <= len(self.nodes):
            raise ValueError(
                f"fold range [{self.fold_begin}, {self.fold_end}) "
                f"does not lie within {len(self.nodes)} nodes"
            )

    @property
    def proof_length(self) -> int:
        """How many hashes the assembled proof has."""
        folded = self.fold_end - self.fold_begin
        return len(self.nodes) - folded + (1 if folded else 0)

    def assemble(self, hashes: Sequence[bytes]) -> list[bytes]:
        """The proof (or, for a root plan, the one-element list of the root) from node hashes.

        ``hashes[i]`` must be the hash of ``nodes[i]``. Raises ``ValueError`` if
        the count differs from ``len(nodes)`` or a hash is not 32 bytes.
        """
        if len(hashes) != len(self.nodes):
            raise ValueError(f"plan needs {len(self.nodes)} node hashes, got {len(hashes)}")
        for position, value in enumerate(hashes):
            _check_hash(value, f"hash of node {self.nodes[position]}")
        proof = list(hashes)
        if self.fold_end - self.fold_begin > 1:
            proof[self.fold_begin : self.fold_end] = [
                _fold(hashes[self.fold_begin : self.fold_end])
            ]
        return proof


def _check_count(value: int, name: str) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _decompose(begin: int, end: int) -> list[NodeId]:
    """Perfect subtrees covering leaves ``[begin, end)``, largest first.

    ``begin`` must be a multiple of a power of two at least ``end - begin``, as it
    is for every range used here (the whole tree, or a right-edge sibling).
    """
    nodes: list[NodeId] = []
    position, remaining = begin, end - begin
    for level in range(remaining.bit_length() - 1, -1, -1):
        if remaining >> level & 1:
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def _path_plan(level: int, index: int, size: int) -> ProofPlan:
    """Audit path of the perfect node ``(level, index)`` in the tree of ``size`` leaves."""
    last = (size - 1) >> level  # the node at this level holding the tree's last leaf
    inner = (index ^ last).bit_length()  # levels where the sibling lies within the tree
    nodes: list[NodeId] = []
    fold_begin = fold_end = 0
    for step in range(inner):
        height = level + step
        sibling = (index >> step) ^ 1
        start = sibling << height
        if start + (1 << height) <= size:
            nodes.append((height, sibling))
        else:
            # Only the top inner sibling can be cut off by the tree's right edge.
            fold_begin = len(nodes)
            nodes.extend(_decompose(start, size))
            fold_end = len(nodes)
    # Above the inner levels the path runs along the right border: a node with
    # an odd index has a perfect left sibling; one with an even index has none.
    step = inner
    while index >> step:
        if index >> step & 1:
            nodes.append((level + step, (index >> step) ^ 1))
        step += 1
    return ProofPlan(nodes=tuple(nodes), fold_begin=fold_begin, fold_end=fold_end)


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """What an RFC 9162 inclusion proof for leaf ``index`` in a tree of ``size`` needs.

    Raises ``ValueError`` if a number is negative or ``index >= size``.
    """
    _check_count(index, "index")
    _check_count(size, "size")
    if index >= size:
        raise ValueError(f"index {index} is not below the tree size {size}")
    return _path_plan(0, index, size)


def consistency_plan(old_size: int, new_size: int) -> ProofPlan:
    """What an RFC 9162 consistency proof from ``old_size`` to ``new_size`` needs.

    The proof is empty when the sizes are equal or ``old_size`` is 0. Raises
    ``ValueError`` if a size is negative or ``old_size > new_size``.
    """
    _check_count(old_size, "old size")
    _check_count(new_size, "new size")
    if old_size > new_size:
        raise ValueError(f"old size {old_size} exceeds new size {new_size}")
    if old_size in (0, new_size):
        return ProofPlan(nodes=())
    # The largest perfect subtree ending at the old size: the proof is its audit
    # path in the new tree, preceded by the node itself unless the old tree is
    # that node (a power of two), whose hash the verifier already holds.
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    path = _path_plan(level, index, new_size)
    if index == 0:
        return path
    shift = 1 if path.fold_end > path.fold_begin else 0
    return ProofPlan(
        nodes=((level, index), *path.nodes),
        fold_begin=path.fold_begin + shift,
        fold_end=path.fold_end + shift,
    )


def root_plan(size: int) -> ProofPlan:
    """The perfect subtrees whose fold is the root of the tree of ``size`` leaves.

    For ``size`` 0 the plan is empty and assembles to an empty list (the root is
    :data:`EMPTY_ROOT`). Raises ``ValueError`` for a negative size.
    """
    _check_count(size, "size")
    nodes = tuple(_decompose(0, size))
    return ProofPlan(nodes=nodes, fold_begin=0, fold_end=len(nodes))


def _fetch(plan: ProofPlan, fetch: NodeFetcher) -> list[bytes]:
    if not plan.nodes:
        return []
    return plan.assemble(fetch(plan.nodes))


def inclusion_proof(index: int, size: int, fetch: NodeFetcher) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size``, from fetched nodes.

    Calls ``fetch`` at most once. Raises ``ValueError`` as :func:`inclusion_plan` does.
    """
    return _fetch(inclusion_plan(index, size), fetch)


def consistency_proof(old_size: int, new_size: int, fetch: NodeFetcher) -> list[bytes]:
    """The consistency proof from ``old_size`` to ``new_size``, from fetched nodes.

    Empty for equal sizes and from size 0 (``fetch`` is then not called).
    Raises ``ValueError`` as :func:`consistency_plan` does.
    """
    return _fetch(consistency_plan(old_size, new_size), fetch)


def root_hash(size: int, fetch: NodeFetcher) -> bytes:
    """The root hash of the tree of ``size`` leaves, from fetched perfect subtrees.

    :data:`EMPTY_ROOT` for size 0 (without calling ``fetch``).
    """
    folded = _fetch(root_plan(size), fetch)
    return folded[0] if folded else EMPTY_ROOT


# --- verification --------------------------------------------------------------------


def _require_hash(value: bytes, name: str) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def _require_root(computed: bytes, root: bytes, name: str) -> None:
    if not hmac.compare_digest(computed, root):
        raise VerificationError(f"{name} does not match the root the proof leads to")


def _path_length(level: int, index: int, size: int) -> int:
    inner = (index ^ ((size - 1) >> level)).bit_length()
    return inner + (index >> inner).bit_count()


def root_from_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """The root an inclusion proof of ``leaf_hash`` at ``index`` leads to (RFC 9162 §2.1.3.2).

    Raises :class:`VerificationError` if the index is not within the tree, the
    proof's length is not the one ``(index, size)`` dictates, or a hash is not
    32 bytes.
    """
    if index < 0 or size < 0 or index >= size:
        raise VerificationError(f"leaf index {index} is out of range for tree size {size}")
    _require_hash(leaf_hash, "leaf hash")
    expected = _path_length(0, index, size)
    if len(proof) != expected:
        raise VerificationError(
            f"inclusion proof for index {index} in size {size} must have {expected} hashes, "
            f"got {len(proof)}"
        )
    for position, value in enumerate(proof):
        _require_hash(value, f"inclusion proof hash {position}")
    fn, sn, result = index, size - 1, leaf_hash
    for value in proof:
        if fn & 1 or fn == sn:
            result = node_hash(value, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, value)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # unreachable when the length check holds; kept as the RFC's final check
        raise VerificationError("inclusion proof is too short for the tree size")
    return result


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Return only if ``proof`` shows ``leaf_hash`` at ``index`` in the tree ``(size, root)``.

    Raises :class:`VerificationError` saying what failed: index out of range,
    wrong proof length, a hash not 32 bytes, or a root mismatch.
    """
    computed = root_from_inclusion(leaf_hash=leaf_hash, index=index, size=size, proof=proof)
    _require_hash(root, "root hash")
    _require_root(computed, root, "root hash")


def verify_consistency(
    *,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Return only if ``proof`` shows tree ``(old_size, old_root)`` is a prefix of the new one.

    RFC 9162 §2.1.4.2, with the edge cases defined: equal sizes need an empty
    proof and equal roots; old size 0 needs an empty proof and ``old_root`` equal
    to :data:`EMPTY_ROOT`, and accepts any new root. Raises
    :class:`VerificationError` saying what failed.
    """
    if old_size < 0 or new_size < 0:
        raise VerificationError(f"tree sizes must not be negative: {old_size}, {new_size}")
    if old_size > new_size:
        raise VerificationError(f"old size {old_size} exceeds new size {new_size}")
    _require_hash(old_root, "old root hash")
    _require_hash(new_root, "new root hash")
    if old_size in (0, new_size):
        if proof:
            raise VerificationError(
                f"consistency proof from size {old_size} to {new_size} must have 0 hashes, "
                f"got {len(proof)}"
            )
        if old_size == 0:
            _require_root(EMPTY_ROOT, old_root, "old root hash of the empty tree")
        else:
            _require_root(old_root, new_root, "new root hash of a tree of the same size")
        return
    # The largest perfect subtree ending at the old size starts the walk; the
    # proof carries its hash unless it is the whole old tree (a power of two).
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    expected = _path_length(level, index, new_size) + (1 if index else 0)
    if len(proof) != expected:
        raise VerificationError(
            f"consistency proof from size {old_size} to {new_size} must have {expected} hashes, "
            f"got {len(proof)}"
        )
    for position, value in enumerate(proof):
        _require_hash(value, f"consistency proof hash {position}")
    path = list(proof) if index else [old_root, *proof]
    fn, sn = index, (new_size - 1) >> level
    old_computed = new_computed = path[0]
    for value in path[1:]:
        if sn == 0:  # unreachable when the length check holds
            raise VerificationError("consistency proof is too long")
        if fn & 1 or fn == sn:
            old_computed = node_hash(value, old_computed)
            new_computed = node_hash(value, new_computed)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_computed = node_hash(new_computed, value)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # unreachable when the length check holds
        raise VerificationError("consistency proof is too short")
    _require_root(old_computed, old_root, "old root hash")
    _require_root(new_computed, new_root, "new root hash")
