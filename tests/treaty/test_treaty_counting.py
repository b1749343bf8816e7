"""The counting engine: itemised inventories counted against New START and strategic-p5."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treatyledger.errors import InventoryError, NotFoundError
from treatyledger.treaty import (
    Item,
    LimitCount,
    TreatySpec,
    count_limit,
    count_limits,
    load_builtin,
)

NEW_START = load_builtin("new-start")
P5 = load_builtin("strategic-p5")
LIMIT_IDS = ("deployed_delivery_vehicles", "warheads", "launchers")
KINDS = ("icbm", "slbm", "icbm_launcher", "slbm_launcher", "heavy_bomber")
STATUSES = ("deployed", "non_deployed", "test", "non_nuclear")
_uids = itertools.count()


def item(
    kind: str, status: str, warheads: int | None = None, *, type_: str = "t", uid: str | None = None
) -> Item:
    """One item with a fresh unique uid unless one is given."""
    return Item(
        uid=uid or f"U{next(_uids):06d}",
        kind=kind,
        type=type_,
        status=status,
        facility="f",
        warheads=warheads,
    )


def many(n: int, kind: str, status: str, type_: str, warheads: int | None = None) -> list[Item]:
    """``n`` items alike but for their uids."""
    return [item(kind, status, warheads, type_=type_) for _ in range(n)]


def counts(
    spec: TreatySpec, party: str, items: list[Item], on: dt.date | None = None
) -> dict[str, int]:
    """Each limit's count by limit id."""
    return {c.limit.id: c.count for c in count_limits(spec, party, items, on=on)}


def by_id(results: list[LimitCount]) -> dict[str, LimitCount]:
    """Limit counts keyed by limit id."""
    return {c.limit.id: c for c in results}


# -- the worked example: US, 1 September 2020 ----------------------------------


def us_2020_09_01() -> list[Item]:
    """The published US inventory of 1 Sep 2020, one Item per missile, launcher, bomber."""
    return [
        *many(397, "icbm", "deployed", "minuteman_iii", warheads=1),
        *many(397, "icbm_launcher", "deployed", "minuteman_iii"),
        *many(57, "icbm_launcher", "non_deployed", "minuteman_iii"),
        # 1,457 - 48 bombers - 397 on Minuteman III = 1,012 = 92 x 5 + 138 x 4
        *many(92, "slbm", "deployed", "trident_ii", warheads=5),
        *many(138, "slbm", "deployed", "trident_ii", warheads=4),
        *many(230, "slbm_launcher", "deployed", "trident_ii"),
        *many(50, "slbm_launcher", "non_deployed", "trident_ii"),
        *many(12, "heavy_bomber", "deployed", "b_2a"),
        *many(36, "heavy_bomber", "deployed", "b_52h"),
        *many(18, "heavy_bomber", "non_deployed", "b_52h"),
    ]


def test_us_worked_example_matches_published_aggregates() -> None:
    """675 deployed, 1,457 warheads, 800 launchers: exactly at the launcher cap."""
    inventory = us_2020_09_01()
    assert len({i.uid for i in inventory}) == len(inventory)
    result = by_id(count_limits(NEW_START, "US", inventory, on=dt.date(2020, 9, 1)))
    assert {k: v.count for k, v in result.items()} == {
        "deployed_delivery_vehicles": 675,
        "warheads": 1457,
        "launchers": 800,
    }
    launchers = result["launchers"]
    assert (launchers.cap, launchers.headroom, launchers.exceeded) == (800, 0, False)
    assert result["deployed_delivery_vehicles"].headroom == 25
    assert result["warheads"].headroom == 93
    warheads_rules = [(r.items, r.count) for r in result["warheads"].by_rule]
    assert warheads_rules == [(627, 1409), (48, 48)]


def test_one_more_launcher_exceeds_the_cap() -> None:
    """801 launchers exceed 800; the count equal to the cap does not."""
    extra = [*us_2020_09_01(), item("icbm_launcher", "non_deployed")]
    result = by_id(count_limits(NEW_START, "US", extra))["launchers"]
    assert (result.count, result.headroom, result.exceeded) == (801, -1, True)


# -- each counting rule on its own ------------------------------------------------

# (kind, status) -> contribution to (deployed_delivery_vehicles, warheads, launchers)
# for one item; missiles carry 3 warheads.
EXPECTED = {
    ("icbm", "deployed"): (1, 3, 0),
    ("slbm", "deployed"): (1, 3, 0),
    ("heavy_bomber", "deployed"): (1, 1, 1),
    ("heavy_bomber", "non_deployed"): (0, 0, 1),
    ("heavy_bomber", "test"): (0, 0, 1),  # the spec's (unverified) choice
    ("icbm_launcher", "deployed"): (0, 0, 1),
    ("icbm_launcher", "non_deployed"): (0, 0, 1),
    ("icbm_launcher", "test"): (0, 0, 1),  # the spec's (unverified) choice
    ("slbm_launcher", "deployed"): (0, 0, 1),
    ("slbm_launcher", "non_deployed"): (0, 0, 1),
    ("slbm_launcher", "test"): (0, 0, 1),  # the spec's (unverified) choice
}
NOT_COUNTED = sorted(set(itertools.product(KINDS, STATUSES)) - EXPECTED.keys())


def one(kind: str, status: str) -> Item:
    """A single item; missiles carry 3 warheads."""
    return item(kind, status, 3 if kind in ("icbm", "slbm") else None)


@pytest.mark.parametrize(("kind", "status"), list(itertools.product(KINDS, STATUSES)))
def test_every_kind_and_status_counts_as_the_treaty_says(kind: str, status: str) -> None:
    """The full matrix of Article III as the specification encodes it."""
    expected = EXPECTED.get((kind, status), (0, 0, 0))
    got = counts(NEW_START, "RU", [one(kind, status)])
    assert tuple(got[k] for k in LIMIT_IDS) == expected


def test_not_counted_combinations_include_the_reference_exclusions() -> None:
    """Non-deployed missiles and non-nuclear bombers count toward no limit."""
    for pair in [
        ("icbm", "non_deployed"),
        ("slbm", "non_deployed"),
        ("heavy_bomber", "non_nuclear"),
        ("icbm", "test"),
        ("slbm", "test"),
    ]:
        assert pair in NOT_COUNTED
        assert all(lim.rule_for(*pair) is None for lim in NEW_START.limits)


def test_test_launchers_counting_is_flagged_unverified() -> None:
    """Counting test launchers is a choice the specification marks as unverified."""
    launchers = NEW_START.limit("launchers")
    assert launchers is not None
    assert launchers.rule_for("icbm_launcher", "test") is not None
    assert "limits[2].counting" in NEW_START.unverified


@pytest.mark.parametrize("carried", [None, 0, 20])
def test_deployed_heavy_bomber_counts_one_warhead(carried: int | None) -> None:
    """A deployed heavy bomber is one warhead whatever it carries; none may be declared."""
    bombers = many(7, "heavy_bomber", "deployed", "tu_160")
    assert counts(NEW_START, "RU", bombers)["warheads"] == 7
    if carried is not None:
        with pytest.raises(InventoryError) as err:
            count_limits(NEW_START, "RU", [item("heavy_bomber", "deployed", carried, uid="B1")])
        assert (err.value.item, err.value.field) == ("B1", "warheads")
        assert "heavy_bomber" in err.value.problem


@pytest.mark.parametrize("warheads", [0, 1, 4, 10])
def test_deployed_missile_counts_its_warheads(warheads: int) -> None:
    """A deployed ICBM or SLBM counts exactly the warheads emplaced on it."""
    inventory = [item("icbm", "deployed", warheads), item("slbm", "deployed", warheads)]
    assert counts(NEW_START, "US", inventory)["warheads"] == 2 * warheads


@pytest.mark.parametrize("kind", ["icbm", "slbm"])
def test_deployed_missile_without_warheads_is_an_error_never_zero(kind: str) -> None:
    """A missing warhead number on a deployed missile is refused, not taken as 0."""
    missile = item(kind, "deployed", None, uid="M1")
    with pytest.raises(InventoryError) as err:
        count_limits(NEW_START, "US", [missile])
    assert (err.value.item, err.value.field) == ("M1", "warheads")
    assert "none are declared" in err.value.problem
    warheads = NEW_START.limit("warheads")
    assert warheads is not None
    with pytest.raises(InventoryError):
        count_limit(NEW_START, warheads, "US", [missile])
    launchers = NEW_START.limit("launchers")
    assert launchers is not None
    assert count_limit(NEW_START, launchers, "US", [missile]).count == 0


def test_non_deployed_missile_without_warheads_is_fine() -> None:
    """Only a rule that counts warheads needs them declared."""
    assert counts(NEW_START, "US", [item("icbm", "non_deployed")]) == dict.fromkeys(LIMIT_IDS, 0)


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (Item("X1", "cruise_missile", "t", "deployed", "f"), "kind", "unknown kind"),
        (Item("X1", "icbm", "t", "retired", "f", 1), "status", "unknown status"),
    ],
    ids=["unknown_kind", "unknown_status"],
)
def test_unknown_kind_or_status_is_refused(bad: Item, field: str, words: str) -> None:
    """Items must use the specification's kinds and statuses."""
    with pytest.raises(InventoryError) as err:
        count_limits(NEW_START, "US", [bad])
    assert (err.value.item, err.value.field) == ("X1", field)
    assert words in err.value.problem


def test_duplicate_uid_is_refused() -> None:
    """Every UID is unique within an inventory."""
    twice = [item("icbm_launcher", "deployed", uid="D1"), item("slbm_launcher", "test", uid="D1")]
    with pytest.raises(InventoryError) as err:
        count_limits(NEW_START, "US", twice)
    assert (err.value.item, err.value.field, err.value.problem) == ("D1", "uid", "declared twice")


@pytest.mark.parametrize("uid", ["", " A1", "A1 "])
def test_blank_or_padded_uid_is_refused(uid: str) -> None:
    """A UID is non-empty and has no surrounding spaces."""
    with pytest.raises(InventoryError) as err:
        Item(uid, "icbm", "t", "deployed", "f", 1)
    assert err.value.field == "uid"


def test_negative_warheads_are_refused() -> None:
    """A warhead number is never negative."""
    with pytest.raises(InventoryError) as err:
        Item("N1", "icbm", "t", "deployed", "f", -1)
    assert (err.value.item, err.value.field) == ("N1", "warheads")


@pytest.mark.parametrize("party", ["UK", "us", "CN", ""])
def test_unknown_party_is_not_found(party: str) -> None:
    """Counting for a state that is not a party fails naming the parties."""
    with pytest.raises(NotFoundError, match="US, RU"):
        count_limits(NEW_START, party, [])


@pytest.mark.parametrize(
    ("day", "binding"),
    [
        (dt.date(2011, 2, 4), ()),
        (dt.date(2017, 9, 1), ()),
        (dt.date(2018, 2, 4), ()),
        (dt.date(2018, 2, 5), LIMIT_IDS),
        (dt.date(2026, 2, 4), LIMIT_IDS),
        (dt.date(2026, 2, 5), ()),
        (dt.date(2027, 1, 1), ()),
    ],
    ids=str,
)
def test_on_date_selects_the_binding_limits(day: dt.date, binding: tuple[str, ...]) -> None:
    """Limits bind from 5 February 2018 until the expiry on 5 February 2026."""
    assert (
        tuple(c.limit.id for c in count_limits(NEW_START, "US", us_2020_09_01(), on=day)) == binding
    )


def test_without_a_date_every_limit_is_counted() -> None:
    """``on=None`` counts every limit of the specification."""
    assert tuple(c.limit.id for c in count_limits(NEW_START, "US", [])) == LIMIT_IDS


# -- properties ----------------------------------------------------------------


@st.composite
def inventories(draw: st.DrawFn, max_size: int = 40) -> list[Item]:
    """Valid New START inventories with unique uids; deployed missiles declare warheads."""
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(STATUSES)), max_size=max_size)
    )
    result = []
    for n, (kind, status) in enumerate(pairs):
        warheads: int | None = None
        if kind in ("icbm", "slbm"):
            declared = st.integers(0, 14)
            warheads = draw(declared if status == "deployed" else st.none() | declared)
        result.append(Item(f"H{n}", kind, "t", status, "f", warheads))
    return result


@given(inventories(), st.data())
def test_counts_are_additive_over_any_split(inventory: list[Item], data: st.DataObject) -> None:
    """count(A + B) == count(A) + count(B), rule by rule."""
    mask = data.draw(st.lists(st.booleans(), min_size=len(inventory), max_size=len(inventory)))
    part_a = [i for i, keep in zip(inventory, mask, strict=True) if keep]
    part_b = [i for i, keep in zip(inventory, mask, strict=True) if not keep]
    whole = count_limits(NEW_START, "US", inventory)
    left = count_limits(NEW_START, "US", part_a)
    right = count_limits(NEW_START, "US", part_b)
    for w, a, b in zip(whole, left, right, strict=True):
        assert w.count == a.count + b.count
        for rw, ra, rb in zip(w.by_rule, a.by_rule, b.by_rule, strict=True):
            assert (rw.items, rw.count) == (ra.items + rb.items, ra.count + rb.count)


@given(inventories(), st.sampled_from(NOT_COUNTED), st.one_of(st.none(), st.integers(0, 9)))
def test_an_item_no_rule_matches_changes_nothing(
    inventory: list[Item], pair: tuple[str, str], warheads: int | None
) -> None:
    """Adding a non-counted item leaves every count and breakdown as it was."""
    kind, status = pair
    extra = Item("EXTRA", kind, "t", status, "f", warheads if kind in ("icbm", "slbm") else None)
    before = count_limits(NEW_START, "RU", inventory)
    after = count_limits(NEW_START, "RU", [*inventory, extra])
    assert after == before


@given(inventories())
def test_warheads_equal_missile_warheads_plus_deployed_bombers(inventory: list[Item]) -> None:
    """Warheads = reentry vehicles on deployed ICBMs/SLBMs + one per deployed heavy bomber."""
    expected = sum(
        i.warheads or 0 for i in inventory if i.kind in ("icbm", "slbm") and i.status == "deployed"
    )
    expected += sum(1 for i in inventory if (i.kind, i.status) == ("heavy_bomber", "deployed"))
    got = counts(NEW_START, "US", inventory)
    assert got["warheads"] == expected
    assert got["deployed_delivery_vehicles"] == sum(
        1
        for i in inventory
        if i.status == "deployed" and i.kind in ("icbm", "slbm", "heavy_bomber")
    )
    assert got["launchers"] == sum(
        1
        for i in inventory
        if i.status in ("deployed", "non_deployed", "test")
        and i.kind in ("icbm_launcher", "slbm_launcher", "heavy_bomber")
    )


# -- strategic-p5 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "cap"), [("US", 1550), ("RU", 1550), ("CN", 1550), ("GB", 260), ("FR", 300)]
)
def test_p5_warhead_caps_per_party(party: str, cap: int) -> None:
    """The UK and France have their own warhead caps; the others share 1,550."""
    result = by_id(count_limits(P5, party, []))
    assert result["warheads"].cap == cap
    assert result["deployed_delivery_vehicles"].cap == 700
    assert result["launchers"].cap == 800


def test_p5_air_launched_missiles_count_their_warheads() -> None:
    """France's 54 deployed ASMPA count their warheads but are not delivery vehicles."""
    asmpa = many(54, "air_launched_missile", "deployed", "asmpa", warheads=1)
    m51 = many(48, "slbm", "deployed", "m51", warheads=5)
    result = by_id(count_limits(P5, "FR", [*asmpa, *m51], on=dt.date(2031, 2, 5)))
    assert result["warheads"].count == 54 + 240
    assert result["warheads"].headroom == 300 - 294
    assert result["deployed_delivery_vehicles"].count == 48
    assert result["launchers"].count == 0
    stored = item("air_launched_missile", "non_deployed", 1)
    assert counts(P5, "FR", [stored])["warheads"] == 0


def test_p5_deployed_air_launched_missile_needs_warheads() -> None:
    """An air-launched missile counts warheads, so a deployed one must declare them."""
    with pytest.raises(InventoryError) as err:
        count_limits(P5, "FR", [item("air_launched_missile", "deployed", None, uid="A1")])
    assert (err.value.item, err.value.field) == ("A1", "warheads")


def test_p5_gb_over_its_cap_while_within_the_common_one() -> None:
    """261 warheads exceed the UK's 260 but would be within the common 1,550."""
    trident = many(261, "slbm", "deployed", "trident_ii", warheads=1)
    assert by_id(count_limits(P5, "GB", trident))["warheads"].exceeded
    assert not by_id(count_limits(P5, "US", trident))["warheads"].exceeded


def test_p5_air_launched_missile_is_not_a_new_start_kind() -> None:
    """The same item is refused by New START, whose kinds have no air-launched missile."""
    with pytest.raises(InventoryError) as err:
        count_limits(NEW_START, "US", [item("air_launched_missile", "deployed", 1, uid="A2")])
    assert err.value.field == "kind"
