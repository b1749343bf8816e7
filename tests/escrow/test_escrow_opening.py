"""Openings of one facility and of one item: they verify, and any change makes them fail."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import FormatError, NotFoundError, VerificationError
from treatyledger.escrow.opening import (
    FacilityOpening,
    SaltedItem,
    open_facility,
    open_item,
    verify_facility_opening,
    verify_item_opening,
)
from treatyledger.escrow.opening_json import (
    facility_opening_to_json,
    item_opening_to_json,
    parse_facility_opening,
    parse_item_opening,
)
from treatyledger.escrow.sumtree import (
    Commitment,
    Declaration,
    Sibling,
    commit,
    commitment_to_json,
    parse_commitment,
)
from treatyledger.escrow.vector import (
    NODE_BOUND,
    Context,
    VectorLayout,
    salt_stream,
    split_salts,
)
from treatyledger.treaty import Item, TreatySpec

AS_OF = dt.date(2021, 3, 1)
SECRET = bytes(32)
FACILITIES = ["alpha", "bravo", "charlie", "delta", "echo"]
TYPES = {"alpha": "minuteman_iii", "bravo": "trident_ii", "charlie": "b_52h", "delta": "b_2a"}


def inventory() -> list[Item]:
    """alpha: 7 ICBMs and launchers; bravo: 5 SLBMs; charlie: 3 bombers; delta: 1; echo: none."""
    items = [
        Item(f"alpha-icbm-{i}", "icbm", "minuteman_iii", "deployed", "alpha", 1 + i % 3)
        for i in range(4)
    ]
    for i in range(3):
        items.append(Item(f"alpha-lf-{i}", "icbm_launcher", "minuteman_iii", "deployed", "alpha"))
    items += [Item(f"bravo-d5-{i}", "slbm", "trident_ii", "deployed", "bravo", 4) for i in range(5)]
    for i, status in enumerate(["deployed", "non_deployed", "non_nuclear"]):
        items.append(Item(f"charlie-b52-{i}", "heavy_bomber", "b_52h", status, "charlie"))
    items.append(Item("delta-b2-0", "heavy_bomber", "b_2a", "test", "delta"))
    return items


@pytest.fixture(scope="module", params=[None, "pow2", 4], ids=["unpadded", "pow2", "bucket4"])
def decl(request: pytest.FixtureRequest, new_start: TreatySpec) -> Declaration:
    pad_to = request.param
    return commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET, pad_to=pad_to)


def test_every_facility_opens_and_verifies(decl: Declaration) -> None:
    layout = decl.commitment.layout
    for facility in FACILITIES:
        opening = open_facility(decl, facility)
        opened = verify_facility_opening(opening, decl.commitment)
        expected = [i for i in decl.items if i.facility == facility]
        assert sorted(opened.items, key=lambda i: i.uid) == sorted(expected, key=lambda i: i.uid)
        assert opened.vector == decl.facility_vectors()[facility]
        summed = [sum(col) for col in zip(*(layout.vector(i) for i in expected), strict=True)]
        assert list(opened.vector) == (summed or [0] * len(layout))
        assert parse_facility_opening(facility_opening_to_json(opening)) == opening
    with pytest.raises(NotFoundError):
        open_facility(decl, "zulu")


def test_every_item_opens_and_verifies(decl: Declaration) -> None:
    for item in decl.items:
        opening = open_item(decl, item.uid)
        assert verify_item_opening(opening, decl.commitment) == item
        assert parse_item_opening(item_opening_to_json(opening)) == opening
    with pytest.raises(NotFoundError):
        open_item(decl, "nope")


# -- tampering with a facility opening ------------------------------------------


def _changed_item(item: Item, field: str) -> Item:
    if field == "warheads":
        return dataclasses.replace(item, warheads=None if item.warheads else 1)
    if field == "kind":
        return dataclasses.replace(item, kind="slbm" if item.kind == "icbm" else "icbm", warheads=1)
    if field == "status":
        status = "non_deployed" if item.status == "deployed" else "deployed"
        return dataclasses.replace(item, status=status)
    return dataclasses.replace(item, **{field: getattr(item, field) + "x"})


def _facility_tamperings(o: FacilityOpening) -> list[tuple[str, FacilityOpening]]:
    r = dataclasses.replace
    out: list[tuple[str, FacilityOpening]] = [
        ("facility id", r(o, facility=o.facility + "x")),
        ("facility salt", r(o, salt=bytes(32))),
        ("index", r(o, index=(o.index + 1) % o.count)),
        ("count", r(o, count=o.count + 1)),
        ("path dropped", r(o, path=o.path[:-1])),
        ("path extended", r(o, path=(*o.path, o.path[0]))),
    ]
    for i, sibling in enumerate(o.path):
        flipped = bytes([sibling.hash[0] ^ 1]) + sibling.hash[1:]
        step = Sibling(flipped, sibling.vector)
        out.append((f"sibling {i} hash", r(o, path=_replace_at(o.path, i, step))))
        for j in range(len(sibling.vector)):
            vec = list(sibling.vector)
            vec[j] = vec[j] + 1 if j % 2 or not vec[j] else vec[j] - 1
            changed = Sibling(sibling.hash, tuple(vec))
            out.append((f"sibling {i} component {j}", r(o, path=_replace_at(o.path, i, changed))))
    for i, salted in enumerate(o.items):
        for field in ("uid", "kind", "type", "status", "facility", "warheads"):
            changed_item = SaltedItem(_changed_item(salted.item, field), salted.salt)
            out.append((f"item {i} {field}", r(o, items=_replace_at(o.items, i, changed_item))))
        changed_salt = SaltedItem(salted.item, bytes([salted.salt[0] ^ 1]) + salted.salt[1:])
        out.append((f"item {i} salt", r(o, items=_replace_at(o.items, i, changed_salt))))
        out.append((f"item {i} dropped", r(o, items=o.items[:i] + o.items[i + 1 :])))
        out.append((f"item {i} twice", r(o, items=(*o.items[: i + 1], salted, *o.items[i + 1 :]))))
    if len(o.items) > 1:
        out.append(("items reordered", r(o, items=(o.items[-1], *o.items[1:-1], o.items[0]))))
    for i, salt in enumerate(o.padding):
        out.append((f"padding {i} salt", r(o, padding=_replace_at(o.padding, i, bytes(32)))))
        out.append((f"padding {i} dropped", r(o, padding=o.padding[:i] + o.padding[i + 1 :])))
        out.append((f"padding {i} as item", r(o, padding=(*o.padding, salt))))
    extra = Item(o.facility + "-extra", "icbm_launcher", "minuteman_iii", "deployed", o.facility)
    out.append(("item added", r(o, items=(*o.items, SaltedItem(extra, bytes(32))))))
    out.append(("padding added", r(o, padding=(*o.padding, bytes(32)))))
    return out


def _replace_at(values: tuple, index: int, value: object) -> tuple:  # type: ignore[type-arg]
    return (*values[:index], value, *values[index + 1 :])


@pytest.mark.parametrize("facility", FACILITIES)
def test_any_change_to_a_facility_opening_fails(decl: Declaration, facility: str) -> None:
    opening = open_facility(decl, facility)
    for what, changed in _facility_tamperings(opening):
        assert changed != opening, what
        with pytest.raises(VerificationError):
            verify_facility_opening(changed, decl.commitment)


def _changed_contexts(c: Commitment) -> list[Commitment]:
    ctx = c.context
    others = [
        dataclasses.replace(c, context=Context("strategic-p5", ctx.party, ctx.as_of)),
        dataclasses.replace(c, context=Context(ctx.treaty, "RU", ctx.as_of)),
        dataclasses.replace(c, context=Context(ctx.treaty, ctx.party, dt.date(2021, 3, 2))),
    ]
    for i in range(len(c.totals)):
        others.append(dataclasses.replace(c, totals=_replace_at(c.totals, i, c.totals[i] + 1)))
    return others


def test_openings_fail_against_any_other_commitment(decl: Declaration) -> None:
    facility, item = open_facility(decl, "alpha"), open_item(decl, "alpha-icbm-0")
    for other in _changed_contexts(decl.commitment):
        with pytest.raises(VerificationError):
            verify_facility_opening(facility, other)
        with pytest.raises(VerificationError):
            verify_item_opening(item, other)


@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_any_change_to_an_item_opening_fails(new_start: TreatySpec, data: st.DataObject) -> None:
    decl = commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET, pad_to="pow2")
    uid = data.draw(st.sampled_from([i.uid for i in decl.items]))
    o = open_item(decl, uid)
    r = dataclasses.replace
    paths = [p for p in ("leaf_path", "facility_path") if getattr(o, p)]
    fields = ["salt", "facility_salt", "leaf_index", "facility_index", "leaf_count"]
    choices = ["item", *fields, *paths]
    what = data.draw(st.sampled_from(choices))
    if what == "item":
        fields = ["uid", "kind", "type", "status", "facility", "warheads"]
        field = data.draw(st.sampled_from(fields))
        changed = r(o, item=_changed_item(o.item, field))
    elif what in {"salt", "facility_salt"}:
        salt: bytes = getattr(o, what)
        changed = r(o, **{what: bytes([salt[0] ^ 1]) + salt[1:]})
    elif what in {"leaf_index", "facility_index"}:
        count = o.leaf_count if what == "leaf_index" else o.facility_count
        if count == 1:
            return
        index = data.draw(st.integers(0, count - 1).filter(lambda i: i != getattr(o, what)))
        changed = r(o, **{what: index})
    elif what == "leaf_count":
        changed = r(o, leaf_count=o.leaf_count + data.draw(st.integers(1, 9)))
    else:
        path: tuple[Sibling, ...] = getattr(o, what)
        i = data.draw(st.integers(0, len(path) - 1))
        sibling = path[i]
        if data.draw(st.booleans()):
            byte = data.draw(st.integers(0, 31))
            digest = bytearray(sibling.hash)
            digest[byte] ^= 1 << data.draw(st.integers(0, 7))
            step = Sibling(bytes(digest), sibling.vector)
        else:
            j = data.draw(st.integers(0, len(sibling.vector) - 1))
            delta = data.draw(st.sampled_from([1, -1]) if sibling.vector[j] else st.just(1))
            step = Sibling(sibling.hash, _replace_at(sibling.vector, j, sibling.vector[j] + delta))
        changed = r(o, **{what: _replace_at(path, i, step)})
    with pytest.raises(VerificationError):
        verify_item_opening(changed, decl.commitment)


def test_bounds_on_a_path(decl: Declaration) -> None:
    opening = open_item(decl, "alpha-icbm-0")
    sibling, rest = opening.facility_path[0], opening.facility_path[1:]
    cases = [
        ("not below 2\\*\\*48", Sibling(sibling.hash, (NODE_BOUND, *sibling.vector[1:]))),
        ("reaches 2\\*\\*48", Sibling(sibling.hash, (NODE_BOUND - 1, *sibling.vector[1:]))),
        ("components", Sibling(sibling.hash, sibling.vector[1:])),
    ]
    for problem, step in cases:
        changed = dataclasses.replace(opening, facility_path=(step, *rest))
        with pytest.raises(VerificationError, match=problem):
            verify_item_opening(changed, decl.commitment)


def test_an_item_outside_the_layout_is_refused(decl: Declaration) -> None:
    opening = open_facility(decl, "charlie")
    stranger = SaltedItem(Item("charlie-x", "submarine", "x", "deployed", "charlie"), bytes(32))
    with pytest.raises(VerificationError, match="layout"):
        verify_facility_opening(dataclasses.replace(opening, items=(stranger,)), decl.commitment)


# -- what an opening reveals ----------------------------------------------------


def test_a_facility_opening_reveals_nothing_of_other_facilities_items(decl: Declaration) -> None:
    uids = sorted(item.uid for item in decl.items)  # item salt i: the i-th uid
    stream = salt_stream(decl.secret, "item", 0, len(uids))
    item_salts = dict(zip(uids, split_salts(stream), strict=True))
    facility_salts = {node.facility: node.salt for node in decl.facilities}
    for facility in FACILITIES:
        text = facility_opening_to_json(open_facility(decl, facility))
        for item in decl.items:
            if item.facility == facility:
                assert item.uid in text
                continue
            salt = item_salts[item.uid]
            for needle in (item.uid, salt.hex(), base64.b64encode(salt).decode()):
                assert needle not in text, (facility, item.uid)
            if TYPES.get(item.facility) not in TYPES.get(facility, ""):
                assert f'"{item.type}"' not in text
        for other in FACILITIES:
            if other != facility:
                assert facility_salts[other].hex() not in text
                assert f'"{other}"' not in text


def test_padding_hides_the_number_of_items_in_item_paths(new_start: TreatySpec) -> None:
    decl = commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET, pad_to="pow2")
    alpha = [open_item(decl, f"alpha-icbm-{i}") for i in range(4)]  # 7 items
    bravo = [open_item(decl, f"bravo-d5-{i}") for i in range(5)]  # 5 items
    shapes = {(o.leaf_count, len(o.leaf_path)) for o in alpha + bravo}
    assert shapes == {(8, 3)}
    unpadded = commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET)
    counts = {open_item(unpadded, uid).leaf_count for uid in ("alpha-icbm-0", "bravo-d5-0")}
    assert counts == {7, 5}
    bucket = commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET, pad_to=16)
    openings = [open_facility(bucket, f) for f in FACILITIES]
    assert {len(o.padding) + len(o.items) for o in openings} == {16}


def test_leaves_are_in_hash_order_not_input_order(new_start: TreatySpec) -> None:
    forward = commit(new_start, "US", AS_OF, inventory(), FACILITIES, secret=SECRET)
    backward = commit(new_start, "US", AS_OF, inventory()[::-1], FACILITIES, secret=SECRET)
    assert open_facility(forward, "alpha") == open_facility(backward, "alpha")
    assert [open_item(forward, f"alpha-icbm-{i}").leaf_index for i in range(4)] != [0, 1, 2, 3]


# -- JSON -----------------------------------------------------------------------


def _dump(doc: object) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def test_opening_parsers_are_strict(decl: Declaration) -> None:
    facility = facility_opening_to_json(open_facility(decl, "alpha"))
    item = item_opening_to_json(open_item(decl, "alpha-icbm-0"))
    for text, parse in ((facility, parse_facility_opening), (item, parse_item_opening)):
        doc = json.loads(text)
        bad = [
            text.replace(":", ": ", 1),
            _dump({**doc, "extra": 0}),
            _dump({**doc, "format": "x"}),
        ]
        bad += [_dump({k: v for k, v in doc.items() if k != key}) for key in doc]
        for text_bad in bad:
            with pytest.raises(FormatError):
                parse(text_bad)  # type: ignore[operator]
    doc = json.loads(facility)
    item_doc = doc["items"][0]
    for change in (
        {**item_doc, "item": {**item_doc["item"], "warheads": -1}},
        {**item_doc, "item": {**item_doc["item"], "warheads": True}},
        {**item_doc, "item": {**item_doc["item"], "uid": ""}},
        {**item_doc, "item": {**item_doc["item"], "color": "red"}},
        {**item_doc, "salt": item_doc["salt"][:-2]},
    ):
        with pytest.raises(FormatError):
            parse_facility_opening(_dump({**doc, "items": [change]}))
    for change in ({"index": doc["count"]}, {"count": 0}, {"path": [{"hash": "00", "vector": []}]}):
        with pytest.raises(FormatError):
            parse_facility_opening(_dump({**doc, **change}))
    with pytest.raises(FormatError):
        parse_facility_opening(facility.encode("utf-8")[:-1])
    assert parse_facility_opening(facility.encode("utf-8")) == parse_facility_opening(facility)


def test_an_opening_verifies_against_a_parsed_commitment(decl: Declaration) -> None:
    commitment = parse_commitment(commitment_to_json(decl.commitment))
    assert commitment.layout == VectorLayout(commitment.layout.components)
    opening = parse_facility_opening(facility_opening_to_json(open_facility(decl, "bravo")))
    assert len(verify_facility_opening(opening, commitment).items) == 5
