"""The escrow sum tree: layout, commitment, totals and facility-list proofs, JSON.

The known-answer tests re-implement the byte format of docs/escrow.md with
hashlib and a pure-Python ChaCha20 (RFC 8439) alone, so the code and the
document cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import FormatError, InventoryError, NotFoundError, VerificationError
from treatyledger.escrow.opening import (
    FacilityListOpening,
    TotalsProof,
    open_facility_list,
    prove_totals,
    verify_facility_list,
    verify_totals,
)
from treatyledger.escrow.opening_json import (
    facility_list_to_json,
    parse_facility_list,
    parse_totals_proof,
    totals_proof_to_json,
)
from treatyledger.escrow.sumtree import (
    EMPTY_SUBTREE,
    FACILITY_TAG,
    HEAD_TAG,
    LEAF_TAG,
    NODE_TAG,
    ROOT_TAG,
    TOP_TAG,
    Commitment,
    Declaration,
    _reduce,
    commit,
    commitment_to_json,
    leaf_input,
    parse_commitment,
)
from treatyledger.escrow.vector import (
    ITEM_BOUND,
    LAYOUT_TAG,
    NODE_BOUND,
    Component,
    Context,
    VectorLayout,
    padded_count,
    salt_stream,
    split_salts,
)
from treatyledger.treaty import Item, TreatySpec, count_limits

AS_OF = dt.date(2020, 9, 1)
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))


def us_2020_style() -> list[Item]:
    """A small synthetic inventory in the shape of the US declaration of 2020."""
    items: list[Item] = []
    for i in range(6):
        base = "malmstrom" if i % 2 else "minot"
        items.append(Item(f"MM3-{i:03d}", "icbm", "minuteman_iii", "deployed", base, 1 + i % 3))
        items.append(Item(f"LF-{i:03d}", "icbm_launcher", "minuteman_iii", "deployed", base))
    items.append(Item("LF-900", "icbm_launcher", "minuteman_iii", "non_deployed", "minot"))
    for i in range(4):
        items.append(Item(f"D5-{i:03d}", "slbm", "trident_ii", "deployed", "kings_bay", 4 + i))
        items.append(Item(f"TUBE-{i:03d}", "slbm_launcher", "trident_ii", "deployed", "kings_bay"))
    items.append(Item("D5-900", "slbm", "trident_ii", "non_deployed", "kings_bay"))
    items.append(Item("B2-001", "heavy_bomber", "b_2a", "deployed", "whiteman"))
    items.append(Item("B52-001", "heavy_bomber", "b_52h", "deployed", "minot"))
    items.append(Item("B52-002", "heavy_bomber", "b_52h", "non_nuclear", "barksdale"))
    items.append(Item("B52-003", "heavy_bomber", "b_52h", "test", "edwards"))
    return items


FACILITIES = ["barksdale", "edwards", "empty_depot", "kings_bay", "malmstrom", "minot", "whiteman"]


def declare(spec: TreatySpec, secret: bytes = SECRET, **kw: object) -> Declaration:
    items = kw.pop("items", us_2020_style())
    return commit(spec, "US", AS_OF, items, FACILITIES, secret=secret, **kw)  # type: ignore[arg-type]


# -- layout ---------------------------------------------------------------------


def test_layout_follows_the_specification(new_start: TreatySpec) -> None:
    layout = VectorLayout.from_spec(new_start)
    limits = [f"limit/{lim.id}" for lim in new_start.limits]
    pairs = [f"count/{k.id}/{s.id}" for k in new_start.item_kinds for s in new_start.statuses]
    assert layout.names == (*limits, *pairs)
    assert layout.width == 8 * len(layout)
    item = Item("X", "icbm", "minuteman_iii", "deployed", "minot", 3)
    vector = layout.named(layout.vector(item))
    assert vector["limit/warheads"] == 3
    assert vector["limit/deployed_delivery_vehicles"] == 1
    assert vector["limit/launchers"] == 0
    assert vector["count/icbm/deployed"] == 1
    assert sum(vector.values()) == 5


def test_layout_digest_binds_every_rule(new_start: TreatySpec) -> None:
    layout = VectorLayout.from_spec(new_start)
    first = layout.components[0]
    changed = [
        Component(first.name + "_x", first.terms),
        Component(first.name, first.terms[:-1]),
        Component(first.name, (*first.terms[:-1], (*first.terms[-1][:2], 2))),
    ]
    for component in changed:
        other = VectorLayout((component, *layout.components[1:]))
        assert other.digest != layout.digest
    encoded = b"".join(c.encode() for c in layout.components)
    expected = hashlib.sha256(LAYOUT_TAG + struct.pack(">H", len(layout)) + encoded).digest()
    assert layout.digest == expected


@pytest.mark.parametrize(
    ("name", "terms"),
    [
        ("Bad Name", ()),
        ("ok", (("b", "x", 1), ("a", "x", 1))),
        ("ok", (("a", "x", 1), ("a", "x", 1))),
        ("ok", (("a", "x", ITEM_BOUND + 1),)),
        ("ok", (("a", "x", -1),)),
        ("ok", (("a", "x", "all"),)),
        ("ok", (("a", "x", True),)),
    ],
)
def test_components_refuse_bad_terms(name: str, terms: tuple[tuple[str, str, int], ...]) -> None:
    with pytest.raises(ValueError, match=r"."):
        Component(name, terms)


def test_item_vectors_refuse_what_they_cannot_count(new_start: TreatySpec) -> None:
    layout = VectorLayout.from_spec(new_start)
    with pytest.raises(InventoryError, match="warheads"):
        layout.vector(Item("X", "icbm", "minuteman_iii", "deployed", "minot"))
    with pytest.raises(InventoryError, match="outside"):
        layout.vector(Item("X", "icbm", "minuteman_iii", "deployed", "minot", ITEM_BOUND + 1))
    with pytest.raises(InventoryError, match="does not count"):
        layout.vector(Item("X", "submarine", "t", "deployed", "minot"))
    assert layout.vector(Item("X", "icbm", "m", "deployed", "f", ITEM_BOUND))[1] == ITEM_BOUND


# -- tree shape -----------------------------------------------------------------


def _reference_root(chunks: list[bytes], vecs: list[int], width: int) -> tuple[bytes, int]:
    """RFC 6962 recursion: split at the largest power of two below n."""
    if len(chunks) == 1:
        return chunks[0], vecs[0]
    k = 1 << ((len(chunks) - 1).bit_length() - 1)
    left, lv = _reference_root(chunks[:k], vecs[:k], width)
    right, rv = _reference_root(chunks[k:], vecs[k:], width)
    digest = hashlib.sha256(NODE_TAG + left + right).digest()
    return digest + (lv + rv).to_bytes(width, "big"), lv + rv


@given(st.integers(min_value=1, max_value=70))
@settings(max_examples=40, deadline=None)
def test_levels_fold_into_the_rfc6962_shape(n: int) -> None:
    width = 16
    vecs = [(i << 64) + 2 * i for i in range(n)]
    hashes = [hashlib.sha256(bytes([i])).digest() for i in range(n)]
    chunks = [h + v.to_bytes(width, "big") for h, v in zip(hashes, vecs, strict=True)]
    assert _reduce(chunks, vecs, NODE_TAG, width) == _reference_root(chunks, vecs, width)


@pytest.mark.parametrize(
    ("items", "pad_to", "leaves"),
    [(0, None, 0), (5, None, 5), (0, "pow2", 1), (1, "pow2", 1), (5, "pow2", 8), (8, "pow2", 8),
     (9, "pow2", 16), (0, 4, 4), (5, 4, 8), (8, 4, 8), (3, 100, 100)],
)  # fmt: skip
def test_padding_rule(items: int, pad_to: str | int | None, leaves: int) -> None:
    assert padded_count(items, pad_to) == leaves  # type: ignore[arg-type]


@pytest.mark.parametrize("pad_to", ["pow3", 0, -1, True, 2**25])
def test_padding_rule_refuses_bad_settings(pad_to: object) -> None:
    with pytest.raises(ValueError, match="pad_to"):
        padded_count(3, pad_to)  # type: ignore[arg-type]


# -- committing -----------------------------------------------------------------


def test_totals_equal_the_counting_engine(new_start: TreatySpec) -> None:
    items = us_2020_style()
    decl = declare(new_start, items=items)
    counted = {c.limit.id: c.count for c in count_limits(new_start, "US", items)}
    assert decl.commitment.totals_by_limit() == counted
    by_pair = decl.commitment.totals_by_kind_status()
    assert by_pair["icbm", "deployed"] == 6
    assert by_pair["heavy_bomber", "non_nuclear"] == 1
    assert sum(by_pair.values()) == len(items)
    vectors = decl.facility_vectors()
    assert list(vectors) == sorted(FACILITIES)
    assert vectors["empty_depot"] == (0,) * len(decl.commitment.layout)
    summed = tuple(map(sum, zip(*vectors.values(), strict=True)))
    assert summed == decl.commitment.totals


def test_commit_is_deterministic_in_the_secret(new_start: TreatySpec) -> None:
    shuffled = list(reversed(us_2020_style()))
    a, b = declare(new_start), declare(new_start, items=shuffled)
    assert a.commitment == b.commitment
    assert declare(new_start, OTHER_SECRET).commitment.root != a.commitment.root
    assert SECRET.hex() not in repr(a)
    assert repr(SECRET) not in repr(a)


def _leaf_hashes(decl: Declaration) -> set[bytes]:
    layout, items = decl.commitment.layout, sorted(decl.items, key=lambda i: i.uid)
    salts = split_salts(salt_stream(decl.secret, "item", 0, len(items)))
    return {
        hashlib.sha256(leaf_input(layout, s, i)).digest() for i, s in zip(items, salts, strict=True)
    }


def test_equal_totals_give_unrelated_roots_and_leaves(new_start: TreatySpec) -> None:
    items = us_2020_style()
    renamed = [dataclasses.replace(i, uid=i.uid + "-R") for i in items]
    a = declare(new_start, items=items)
    b = declare(new_start, OTHER_SECRET, items=renamed)
    same_items = declare(new_start, OTHER_SECRET, items=items)
    assert a.commitment.totals == b.commitment.totals == same_items.commitment.totals
    assert len({a.commitment.root, b.commitment.root, same_items.commitment.root}) == 3
    # The same items under a fresh secret share no leaf, so they cannot be linked.
    assert not _leaf_hashes(a) & _leaf_hashes(same_items)
    # Only an empty facility (no items, no padding) has a fixed subtree hash.
    subtrees = {n.subtree_hash for n in a.facilities} - {EMPTY_SUBTREE}
    assert not subtrees & {n.subtree_hash for n in same_items.facilities}


# -- a pure-Python ChaCha20 (RFC 8439), to re-implement the salts from the page ---


def _chacha20_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    def rotl(v: int, n: int) -> int:
        return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF

    def quarter(x: list[int], a: int, b: int, c: int, d: int) -> None:
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF
        x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF
        x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xFFFFFFFF
        x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xFFFFFFFF
        x[b] = rotl(x[b] ^ x[c], 7)

    constants = struct.unpack("<4I", b"expand 32-byte k")
    state = [*constants, *struct.unpack("<8I", key), counter, *struct.unpack("<3I", nonce)]
    x = list(state)
    for _ in range(10):
        for a, b, c, d in ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15)):
            quarter(x, a, b, c, d)
        for a, b, c, d in ((0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14)):
            quarter(x, a, b, c, d)
    return struct.pack("<16I", *((u + v) & 0xFFFFFFFF for u, v in zip(x, state, strict=True)))


def _doc_salts(secret: bytes, family: str, count: int) -> list[bytes]:
    """Salts 0 .. count - 1 of a family, exactly as docs/escrow.md says."""
    tag = f"treatyledger/escrow/v1/salt/{family}".encode() + b"\x00"
    nonce = hashlib.sha256(tag).digest()[:12]
    stream = b"".join(_chacha20_block(secret, i, nonce) for i in range((count + 1) // 2))
    return [stream[32 * i : 32 * i + 32] for i in range(count)]


def test_the_pure_python_chacha20_matches_rfc8439() -> None:
    # RFC 8439, section 2.3.2: the block function's test vector.
    block = _chacha20_block(bytes(range(32)), 1, bytes.fromhex("000000090000004a00000000"))
    assert block[:16].hex() == "10f1e7e4d13b5915500fdd1fa32071c4"
    assert block[-16:].hex() == "b5129cd1de164eb9cbd083e8a2503c4e"


def test_salts_are_chacha20_keystreams_of_the_secret() -> None:
    for family in ("item", "facility", "padding"):
        expected = _doc_salts(SECRET, family, 7)
        assert split_salts(salt_stream(SECRET, family, 0, 7)) == expected
        for first in range(7):  # any run starts where the whole stream has it
            assert split_salts(salt_stream(SECRET, family, first, 7 - first)) == expected[first:]
    assert len({*_doc_salts(SECRET, "item", 3), *_doc_salts(SECRET, "padding", 3)}) == 6
    assert _doc_salts(OTHER_SECRET, "item", 1) != _doc_salts(SECRET, "item", 1)
    assert salt_stream(SECRET, "item", 5, 0) == b""
    with pytest.raises(ValueError, match="family"):
        salt_stream(SECRET, "node", 0, 1)
    with pytest.raises(ValueError, match="2\\*\\*37"):
        salt_stream(SECRET, "item", 2**37, 1)
    with pytest.raises(ValueError, match="secret"):
        salt_stream(b"short", "item", 0, 1)


def test_commit_refuses_bad_input(new_start: TreatySpec) -> None:
    items = us_2020_style()
    with pytest.raises(NotFoundError):
        commit(new_start, "FR", AS_OF, items, FACILITIES, secret=SECRET)
    with pytest.raises(ValueError, match="secret"):
        commit(new_start, "US", AS_OF, items, FACILITIES, secret=b"short")
    with pytest.raises(InventoryError, match="not a listed facility"):
        commit(new_start, "US", AS_OF, items, FACILITIES[1:], secret=SECRET)
    with pytest.raises(InventoryError, match="distinct"):
        commit(new_start, "US", AS_OF, items, [*FACILITIES, "minot"], secret=SECRET)
    with pytest.raises(InventoryError, match="distinct"):
        commit(new_start, "US", AS_OF, [], [], secret=SECRET)
    with pytest.raises(InventoryError, match="declared twice"):
        commit(new_start, "US", AS_OF, [*items, items[0]], FACILITIES, secret=SECRET)
    refused = [
        ("unknown kind", Item("Z", "submarine", "x", "deployed", "minot")),
        ("escrow bound", Item("Z", "icbm", "minuteman_iii", "deployed", "minot", ITEM_BOUND + 1)),
        ("bytes of UTF-8", Item("Z" * 1025, "icbm_launcher", "minuteman_iii", "deployed", "minot")),
        ("Unicode", Item("Z\ud800", "icbm_launcher", "minuteman_iii", "deployed", "minot")),
    ]
    for problem, bad in refused:
        with pytest.raises(InventoryError, match=problem):
            commit(new_start, "US", AS_OF, [*items, bad], FACILITIES, secret=SECRET)


def test_an_empty_declaration_has_a_defined_root(new_start: TreatySpec) -> None:
    decl = commit(new_start, "US", AS_OF, [], ["minot"], secret=SECRET)
    assert decl.facilities[0].subtree_hash == EMPTY_SUBTREE
    assert decl.commitment.totals == (0,) * len(decl.commitment.layout)
    verify_totals(prove_totals(decl), decl.commitment)


def test_known_answer_from_the_documented_format(new_start: TreatySpec) -> None:
    """Two items at one facility, one empty facility: every byte from docs/escrow.md."""
    items = [
        Item("A-1", "icbm", "minuteman_iii", "deployed", "minot", 2),
        Item("A-2", "heavy_bomber", "b_52h", "deployed", "minot"),
    ]
    decl = commit(new_start, "US", AS_OF, items, ["minot", "depot"], secret=SECRET)
    layout = VectorLayout.from_spec(new_start)
    n = len(layout)

    def s16(text: str) -> bytes:
        return struct.pack(">H", len(text.encode())) + text.encode()

    def vec(values: dict[str, int]) -> bytes:
        return struct.pack(f">{n}Q", *(values.get(name, 0) for name in layout.names))

    item_salts = _doc_salts(SECRET, "item", 2)  # by uid: A-1, then A-2
    facility_salts = _doc_salts(SECRET, "facility", 2)  # by id: depot, then minot

    def leaf(item: Item, values: dict[str, int]) -> tuple[bytes, bytes]:
        salt = item_salts[int(item.uid[-1]) - 1]
        heads = 0xFFFFFFFF if item.warheads is None else item.warheads
        enc = b"".join(s16(getattr(item, f)) for f in ("uid", "kind", "type", "status", "facility"))
        enc += struct.pack(">I", heads)
        data = LEAF_TAG + salt + struct.pack(">H", len(enc)) + enc + vec(values)
        return hashlib.sha256(data).digest(), vec(values)

    icbm = {"limit/deployed_delivery_vehicles": 1, "limit/warheads": 2, "count/icbm/deployed": 1}
    bomber = {
        "limit/deployed_delivery_vehicles": 1,
        "limit/warheads": 1,
        "limit/launchers": 1,
        "count/heavy_bomber/deployed": 1,
    }
    both = {k: icbm.get(k, 0) + bomber.get(k, 0) for k in {*icbm, *bomber}}
    (h1, v1), (h2, v2) = sorted([leaf(items[0], icbm), leaf(items[1], bomber)])
    subtree = hashlib.sha256(NODE_TAG + h1 + v1 + h2 + v2).digest()

    def facility(name: str, leaves: int, sub: bytes, values: dict[str, int]) -> bytes:
        salt = facility_salts[["depot", "minot"].index(name)]
        head = FACILITY_TAG + salt + s16(name) + struct.pack(">I", leaves)
        return hashlib.sha256(head + sub + vec(values)).digest()

    empty = hashlib.sha256(b"treatyledger/escrow/v1/empty\x00").digest()
    depot, minot = facility("depot", 0, empty, {}), facility("minot", 2, subtree, both)
    top = hashlib.sha256(TOP_TAG + depot + vec({}) + minot + vec(both)).digest()
    head = hashlib.sha256(HEAD_TAG + struct.pack(">I", 2) + top).digest()
    context = s16("new-start") + s16("US") + b"2020-09-01"
    root = hashlib.sha256(ROOT_TAG + context + layout.digest + head + vec(both)).digest()
    assert decl.commitment.root == root
    assert prove_totals(decl).top_hash == head


def test_known_answer_of_the_salt_order_and_padding(new_start: TreatySpec) -> None:
    """Item salts by uid rank; padding salts facility after facility, in id order."""
    items = [
        Item("Z-1", "heavy_bomber", "b_52h", "deployed", "minot"),
        Item("A-1", "icbm", "minuteman_iii", "deployed", "minot", 1),
        Item("M-1", "icbm_launcher", "minuteman_iii", "deployed", "zulu"),
    ]
    ids = ["zulu", "minot", "depot"]
    decl = commit(new_start, "US", AS_OF, items, ids, secret=SECRET, pad_to=3)
    layout = VectorLayout.from_spec(new_start)
    zero = bytes(layout.width)
    item_salt = dict(zip(["A-1", "M-1", "Z-1"], _doc_salts(SECRET, "item", 3), strict=True))
    pads = _doc_salts(SECRET, "padding", 6)  # depot 3, minot 1, zulu 2
    pad_salts = {"depot": pads[0:3], "minot": pads[3:4], "zulu": pads[4:6]}
    facility_salt = dict(zip(sorted(ids), _doc_salts(SECRET, "facility", 3), strict=True))

    def tree(nodes: list[tuple[bytes, int]], tag: bytes) -> tuple[bytes, int]:
        if len(nodes) == 1:
            return nodes[0]
        k = 1 << ((len(nodes) - 1).bit_length() - 1)
        (lh, lv), (rh, rv) = tree(nodes[:k], tag), tree(nodes[k:], tag)
        enc = layout.width
        preimage = tag + lh + lv.to_bytes(enc, "big") + rh + rv.to_bytes(enc, "big")
        return hashlib.sha256(preimage).digest(), lv + rv

    facility_nodes = []
    for name in sorted(ids):
        leaves = [
            (hashlib.sha256(LEAF_TAG + salt + b"\x00\x00" + zero).digest(), 0)
            for salt in pad_salts[name]
        ]
        for item in items:
            if item.facility == name:
                data = leaf_input(layout, item_salt[item.uid], item)
                leaves.append((hashlib.sha256(data).digest(), layout.pack(layout.vector(item))))
        subtree, vec = tree(sorted(leaves), NODE_TAG)
        node = FACILITY_TAG + facility_salt[name] + struct.pack(">H", len(name)) + name.encode()
        node += struct.pack(">I", 3) + subtree + vec.to_bytes(layout.width, "big")
        facility_nodes.append((hashlib.sha256(node).digest(), vec))
    top, totals = tree(facility_nodes, TOP_TAG)
    head = hashlib.sha256(HEAD_TAG + struct.pack(">I", 3) + top).digest()
    context = b"\x00\x09new-start\x00\x02US2020-09-01"
    preimage = ROOT_TAG + context + layout.digest + head + totals.to_bytes(layout.width, "big")
    assert decl.commitment.root == hashlib.sha256(preimage).digest()
    assert [n.salt for n in decl.facilities] == list(facility_salt.values())


def test_domain_tags_never_collide_with_the_log_hashing() -> None:
    empty = b"treatyledger/escrow/v1/empty\x00"
    tags = [LEAF_TAG, NODE_TAG, FACILITY_TAG, TOP_TAG, HEAD_TAG, ROOT_TAG, LAYOUT_TAG, empty]
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert tag.startswith(b"treatyledger/escrow/v1/")
        assert tag.endswith(b"\x00")
        assert tag[0] not in (0, 1)  # RFC 6962 leaf and node prefixes
        assert tag.count(b"\x00") == 1  # so no tag is a prefix of another


# -- totals and facility list ---------------------------------------------------


def test_totals_proof_verifies_and_round_trips(new_start: TreatySpec) -> None:
    decl = declare(new_start)
    proof = prove_totals(decl)
    assert verify_totals(proof, decl.commitment) == decl.commitment.totals
    assert parse_totals_proof(totals_proof_to_json(proof)) == proof
    assert parse_commitment(commitment_to_json(decl.commitment)) == decl.commitment


def _changed_commitments(c: Commitment) -> list[Commitment]:
    ctx = c.context
    return [
        dataclasses.replace(c, context=Context("strategic-p5", ctx.party, ctx.as_of)),
        dataclasses.replace(c, context=Context(ctx.treaty, "RU", ctx.as_of)),
        dataclasses.replace(c, context=Context(ctx.treaty, ctx.party, dt.date(2020, 9, 2))),
        dataclasses.replace(c, layout=VectorLayout(c.layout.components[1:]), totals=c.totals[1:]),
        dataclasses.replace(c, root=bytes(32)),
    ]


def test_totals_proof_fails_for_any_other_claim(new_start: TreatySpec) -> None:
    decl = declare(new_start)
    proof, c = prove_totals(decl), decl.commitment
    for i in range(len(c.totals)):
        for delta in (1, -1):
            if c.totals[i] + delta < 0:
                continue
            totals = (*c.totals[:i], c.totals[i] + delta, *c.totals[i + 1 :])
            with pytest.raises(VerificationError, match=c.layout.names[i]):
                verify_totals(proof, dataclasses.replace(c, totals=totals))
    for other in _changed_commitments(c):
        with pytest.raises(VerificationError):
            verify_totals(proof, other)
    with pytest.raises(VerificationError, match="root"):
        verify_totals(TotalsProof(bytes(32), proof.top_vector), c)


def test_facility_list_verifies_and_fails_when_changed(new_start: TreatySpec) -> None:
    decl = declare(new_start)
    opening = open_facility_list(decl)
    assert verify_facility_list(opening, decl.commitment) == decl.facility_vectors()
    assert parse_facility_list(facility_list_to_json(opening)) == opening
    nodes = opening.facilities
    first = nodes[0]
    changed = [
        dataclasses.replace(first, facility="aaa"),
        dataclasses.replace(first, salt=bytes(32)),
        dataclasses.replace(first, subtree_hash=bytes(32)),
        dataclasses.replace(first, subtree_vector=(1, *first.subtree_vector[1:])),
        dataclasses.replace(first, leaves=first.leaves + 1),
    ]
    for node in changed:
        with pytest.raises(VerificationError):
            verify_facility_list(FacilityListOpening((node, *nodes[1:])), decl.commitment)
    with pytest.raises(VerificationError):
        verify_facility_list(FacilityListOpening(nodes[:-1]), decl.commitment)
    for other in _changed_commitments(decl.commitment):
        with pytest.raises(VerificationError):
            verify_facility_list(opening, other)
    with pytest.raises(ValueError, match="increasing"):
        FacilityListOpening((nodes[1], nodes[0], *nodes[2:]))
    with pytest.raises(ValueError, match="increasing"):
        FacilityListOpening((nodes[0], *nodes))


def test_bounds_are_enforced_by_the_verifier(new_start: TreatySpec) -> None:
    decl = declare(new_start)
    nodes = open_facility_list(decl).facilities
    huge = dataclasses.replace(nodes[0], subtree_vector=(NODE_BOUND, *nodes[0].subtree_vector[1:]))
    with pytest.raises(VerificationError, match="2\\*\\*48"):
        verify_facility_list(FacilityListOpening((huge, *nodes[1:])), decl.commitment)
    top = prove_totals(decl)
    over = TotalsProof(top.top_hash, (NODE_BOUND,) * len(top.top_vector))
    with pytest.raises(VerificationError, match="2\\*\\*48"):
        verify_totals(over, decl.commitment)
    with pytest.raises(VerificationError, match="components"):
        verify_totals(TotalsProof(top.top_hash, top.top_vector[1:]), decl.commitment)


# -- JSON strictness ------------------------------------------------------------


def _mutations(text: str) -> list[str]:
    doc = json.loads(text)
    out = [text.replace(",", ", ", 1), text + "\n", "[]", "{"]
    out.append(text.encode("utf-16").decode("latin-1"))
    for key in doc:
        missing = {k: v for k, v in doc.items() if k != key}
        out.append(json.dumps(missing, sort_keys=True, separators=(",", ":")))
    extra = {**doc, "zzz": 1}
    out.append(json.dumps(extra, sort_keys=True, separators=(",", ":")))
    other_format = {**doc, "format": "treatyledger/escrow/v2/x"}
    out.append(json.dumps(other_format, sort_keys=True, separators=(",", ":")))
    return out


def test_parsers_refuse_malformed_documents(new_start: TreatySpec) -> None:
    decl = declare(new_start)
    cases = [
        (commitment_to_json(decl.commitment), parse_commitment),
        (totals_proof_to_json(prove_totals(decl)), parse_totals_proof),
        (facility_list_to_json(open_facility_list(decl)), parse_facility_list),
    ]
    for text, parse in cases:
        for bad in _mutations(text):
            with pytest.raises(FormatError):
                parse(bad)  # type: ignore[operator]
    text = commitment_to_json(decl.commitment)
    root = decl.commitment.root.hex()
    for bad in (
        text.replace(root, root.upper()),
        text.replace(root, root[:-2]),
        text.replace('"totals":[', '"totals":[-1,'),
        text.replace('"totals":[', '"totals":[true,'),
        text.replace('"totals":[', f'"totals":[{2**64},'),
        text.replace('"as_of":"2020-09-01"', '"as_of":"2020-9-1"'),
        text.replace('"warheads"]', '"all"]', 1),
        text.replace('"party":"US"', '"party":""'),
    ):
        with pytest.raises(FormatError):
            parse_commitment(bad)
