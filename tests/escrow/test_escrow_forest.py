"""The bulk commitment path (escrow.forest) against the node-by-node code and pinned roots.

``commit`` builds every subtree over NumPy arrays; openings recompute a
facility's leaves and subtree one node at a time (``leaf_input``,
``_reduce``), so a facility opening that verifies shows that both paths agree.
The pinned roots were computed by the commit of the previous implementation
(one ``hashlib`` call per node over Python lists), before the bulk path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import InventoryError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.forest import BLOCK, SLAB, fold, leaf_order
from treatyledger.escrow.opening import open_facility, verify_facility_opening
from treatyledger.escrow.sumtree import NODE_TAG, Declaration, _reduce, commit
from treatyledger.escrow.vector import PadTo
from treatyledger.treaty import Item, TreatySpec

AS_OF = dt.date(2020, 9, 1)
SECRET = bytes(range(32))
KINDS = (
    ("icbm", "minuteman_iii", "deployed"),
    ("icbm", "minuteman_iii", "non_deployed"),
    ("icbm_launcher", "minuteman_iii", "deployed"),
    ("slbm", "trident_ii", "deployed"),
    ("slbm_launcher", "trident_ii", "non_deployed"),
    ("heavy_bomber", "b_52h", "deployed"),
    ("heavy_bomber", "b_52h", "non_nuclear"),
)


def generated(count: int, facilities: int, seed: int) -> list[Item]:
    """``count`` valid New START items over ``facilities`` sites, uids of several lengths."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        kind, type_, status = KINDS[rng.randrange(len(KINDS))]
        counted = kind in {"icbm", "slbm"} and status == "deployed"
        warheads = rng.randint(1, 8) if counted else None
        uid = f"{kind.upper()}-{i:06d}{rng.choice(['', '-b', '-Ω', '-refurbished'])}"
        site = f"site_{rng.randrange(facilities):02d}"
        items.append(Item(uid, kind, type_, status, site, warheads))
    rng.shuffle(items)
    return items


def declare(spec: TreatySpec, items: list[Item], pad_to: PadTo = None) -> Declaration:
    ids = sorted({item.facility for item in items} | {"site_empty"})
    return commit(spec, "US", AS_OF, items, ids, secret=SECRET, pad_to=pad_to)


def assert_every_facility_verifies(decl: Declaration) -> None:
    for node in decl.facilities:
        opened = verify_facility_opening(open_facility(decl, node.facility), decl.commitment)
        assert opened.vector == node.subtree_vector


# -- pinned roots -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pad_to", "root"),
    [
        (None, "2e379b535edbcf621f8f3b2f120797d34f428d836e0fc791f37aee1101cbba08"),
        ("pow2", "c8e68353487e9258902dee80b170d1791c1b4e0b0f5ad0af37cd5c1f0892e6bf"),
        (7, "9a50e5583e6632aef7064488eaea9538af01ac753f3db7f82aa1a0045eba27c5"),
    ],
)
def test_the_2020_fixture_keeps_its_root(new_start: TreatySpec, pad_to: PadTo, root: str) -> None:
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    decl = commit(new_start, "US", AS_OF, inventory.items, ids, secret=SECRET, pad_to=pad_to)
    assert decl.commitment.root.hex() == root


@pytest.mark.parametrize(
    ("pad_to", "root", "leaves"),
    [
        (
            None,
            "6b3ce9dbc3f15d720782f268c0eef78b6d72585dd8e7e5acec654b0ad7fd570c",
            [1245, 1269, 1279, 1207, 0],
        ),
        (
            "pow2",
            "dc3dcf1bf0693a621340f03ad31a96605e43d2d2b148bbd7095a80ef205fdb5c",
            [2048, 2048, 2048, 2048, 1],
        ),
        (
            1000,
            "66e43aa2b3539ffc3b9849e3562752c08797328a77f1eb2b1484950ba74572be",
            [2000, 2000, 2000, 2000, 1000],
        ),
    ],
)
def test_a_generated_inventory_keeps_its_root(
    new_start: TreatySpec, pad_to: PadTo, root: str, leaves: list[int]
) -> None:
    """Facilities of more than one block of leaves, uids of several lengths, some not ASCII."""
    decl = declare(new_start, generated(5000, 4, 2026), pad_to)
    assert decl.commitment.root.hex() == root
    assert [node.leaves for node in decl.facilities] == leaves


# -- the bulk path agrees with the node-by-node code --------------------------------


@pytest.mark.parametrize(
    "sizes",
    [
        [1, 2, 3],
        [BLOCK - 1, BLOCK, BLOCK + 1],
        [2 * BLOCK + 3, 0, 5],
        [SLAB + BLOCK // 2 + 1],
    ],
    ids=["tiny", "around-a-block", "blocks-and-rest", "more-than-a-slab"],
)
def test_facilities_of_any_size_open_and_verify(new_start: TreatySpec, sizes: list[int]) -> None:
    items = []
    for site, size in enumerate(sizes):
        kind, type_, status = KINDS[site % len(KINDS)]
        warheads = 2 if kind in {"icbm", "slbm"} and status == "deployed" else None
        items += [
            Item(f"S{site}-{i}", kind, type_, status, f"site_{site:02d}", warheads)
            for i in range(size)
        ]
    decl = declare(new_start, items)
    assert_every_facility_verifies(decl)


@pytest.mark.parametrize(
    "uids",
    [
        ["A", "A\x00", "A\x00\x00", "\x00B", "B"],  # NUL characters: ranked by Python
        ["é", "e", "Ω-1", "日本", "😀", "z"],  # not ASCII
        ["L" * 1000, "L" * 65, "L" * 64, "L"],  # longer than NumPy ranks
        ["ab", "a", "abc", "b", "aa"],  # prefixes of each other
    ],
    ids=["nul", "unicode", "long", "prefixes"],
)
def test_uids_of_every_form_take_their_salts_in_uid_order(
    new_start: TreatySpec, uids: list[str]
) -> None:
    items = [Item(uid, "heavy_bomber", "b_52h", "deployed", "site_00") for uid in uids]
    assert_every_facility_verifies(declare(new_start, items, "pow2"))


@pytest.mark.parametrize("uid", ["A-1", "Ω-1", "N\x00", "L" * 100])
def test_a_uid_declared_twice_is_refused_whichever_way_uids_are_ranked(
    new_start: TreatySpec, uid: str
) -> None:
    twice = [Item(uid, "heavy_bomber", "b_52h", "deployed", f"site_0{i}") for i in range(2)]
    others = [Item(f"B-{i}", "heavy_bomber", "b_52h", "deployed", "site_00") for i in range(3)]
    with pytest.raises(InventoryError, match="declared twice"):
        declare(new_start, [*others, *twice])


@st.composite
def inventories(draw: st.DrawFn) -> list[Item]:
    uids = draw(
        st.lists(
            st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12).filter(
                lambda uid: uid.strip() == uid
            ),
            max_size=40,
            unique=True,
        )
    )
    items = []
    for uid in uids:
        kind, type_, status = draw(st.sampled_from(KINDS))
        counted = kind in {"icbm", "slbm"} and status == "deployed"
        warheads = draw(st.integers(0, 30)) if counted else None
        site = draw(st.sampled_from(["site_00", "site_01", "site_02"]))
        items.append(Item(uid, kind, type_, status, site, warheads))
    return items


@given(items=inventories(), pad_to=st.sampled_from([None, "pow2", 3]))
@settings(max_examples=60, deadline=None)
def test_any_inventory_opens_and_verifies(
    new_start: TreatySpec, items: list[Item], pad_to: PadTo
) -> None:
    assert_every_facility_verifies(declare(new_start, items, pad_to))


# -- the array helpers ----------------------------------------------------------------


def test_leaf_order_breaks_ties_of_the_first_eight_bytes() -> None:
    rng = np.random.default_rng(5)
    digests = rng.integers(0, 256, (200, 32), dtype=np.uint8)
    digests[:, :8] = rng.integers(0, 3, (200, 1), dtype=np.uint8)  # few distinct prefixes
    trees = rng.integers(0, 4, 200).astype(np.intp)
    order = leaf_order(trees, digests)
    keys = [(int(trees[i]), digests[i].tobytes()) for i in range(200)]
    assert [keys[i] for i in order] == sorted(keys)


@pytest.mark.parametrize("sizes", [[0, 1, 2, 3, 5, 8, 13, 0], [7], [1, 1], [64, 63, 65]])
def test_fold_matches_the_node_by_node_fold(sizes: list[int]) -> None:
    width = 16
    rng = np.random.default_rng(sum(sizes))
    nodes = rng.integers(0, 256, (sum(sizes), 32 + width), dtype=np.uint8)
    nodes[:, 32:] = rng.integers(0, 2**40, (sum(sizes), width // 8)).astype(">u8").view(np.uint8)
    expected, first = [], 0
    for size in sizes:
        chunks = [row.tobytes() for row in nodes[first : first + size]]
        if chunks:
            vecs = [int.from_bytes(c[32:], "big") for c in chunks]
            expected.append(_reduce(chunks, vecs, NODE_TAG, width)[0])
        first += size
    folded = fold(NODE_TAG, nodes.copy(), np.array(sizes, np.intp))
    assert [row.tobytes() for row in folded] == expected


def test_rows_are_hashed_as_bytes() -> None:
    """A row ending in zero bytes is hashed whole (a NumPy byte string would drop them)."""
    nodes = np.zeros((2, 40), np.uint8)
    nodes[:, 0] = (1, 2)
    root = fold(b"t", nodes.copy(), np.array([2], np.intp))[0].tobytes()
    assert root[:32] == hashlib.sha256(b"t" + nodes.tobytes()).digest()
