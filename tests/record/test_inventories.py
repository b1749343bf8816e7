"""Inventories reconstructed from the public record: exact totals, minimal evolution, real bases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from functools import cache
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treatyledger.errors import NotFoundError, RecordError
from treatyledger.escrow.diff import diff_inventories
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory import Inventory
from treatyledger.record import load_record, parse_record
from treatyledger.record.bases import ANCHOR, SYSTEMS, force_levels
from treatyledger.record.inventories import (
    facilities_for,
    published_dates,
    reconstruct,
    reconstruct_series,
)
from treatyledger.treaty import TreatySpec, count_limits, load_builtin
from treatyledger.treaty.counting import Item

NEW_START = load_builtin("new-start")
P5 = load_builtin("strategic-p5")
LAUNCHER_KINDS = {"icbm_launcher", "slbm_launcher", "heavy_bomber"}
SUBMARINES = {"R29R", "SINEVA", "BULAVA"}
MISSILE_KINDS = {"icbm", "slbm"}
# Reentry vehicles each type has been reported to carry at most (the closest
# type's maximum for older systems itemised under it: R-36M2 carried 10).
MAX_WARHEADS = {
    "minuteman_iii": 3,
    "trident_ii": 8,
    "rs_24_yars": 4,
    "rs_28_sarmat": 10,
    "bulava": 6,
    "m51": 6,
}
# Where a deployed item may be: operating bases only.
DEPLOYED_AT = {
    "icbm": "icbm_base",
    "icbm_launcher": "icbm_base",
    "slbm": "submarine_base",
    "slbm_launcher": "submarine_base",
    "heavy_bomber": "air_base",
    "air_launched_missile": "air_base",
}


@cache
def series(party: str) -> tuple[Inventory, ...]:
    """Every reconstructable New START inventory of ``party``, in date order."""
    return tuple(reconstruct_series(NEW_START, party, published_dates(NEW_START, party)))


def dated(party: str) -> list[tuple[dt.date, Inventory]]:
    return list(zip(published_dates(NEW_START, party), series(party), strict=True))


def label(item: Item) -> str:
    """The real system an item belongs to, named in its UID (US-MM3-LCH-0001: MM3)."""
    return item.uid.split("-")[1]


def counts(spec: TreatySpec, inventory: Inventory) -> dict[str, int]:
    return {c.limit.id: c.count for c in count_limits(spec, inventory.party, inventory.items)}


def consecutive(party: str) -> list[tuple[Inventory, Inventory]]:
    return list(pairwise(series(party)))


# ---------------------------------------------------------------------------
# Exact totals on every published date.


@pytest.mark.parametrize("party", ["US", "RU"])
def test_every_published_date_counts_the_published_figures(party: str) -> None:
    published = {r.as_of: r.counts for r in load_record(NEW_START).for_party(party) if r.counts}
    assert list(published) == list(published_dates(NEW_START, party))
    assert len(published) == (25 if party == "US" else 24)
    for as_of, inventory in dated(party):
        assert counts(NEW_START, inventory) == published[as_of], as_of


def test_russia_march_2023_cannot_be_reconstructed() -> None:
    assert dt.date(2023, 3, 1) not in published_dates(NEW_START, "RU")
    with pytest.raises(NotFoundError, match="no published RU figures"):
        reconstruct(NEW_START, "RU", dt.date(2023, 3, 1))
    with pytest.raises(NotFoundError, match="no published US figures"):
        reconstruct(NEW_START, "US", dt.date(2020, 6, 1))


def test_the_2020_us_fixture_is_the_series_anchor() -> None:
    fixture = us_inventory_2020_09_01(NEW_START)
    assert fixture == reconstruct(NEW_START, "US", ANCHOR)
    assert fixture == dict(dated("US"))[ANCHOR]
    assert counts(NEW_START, fixture) == {
        "deployed_delivery_vehicles": 675,
        "warheads": 1457,
        "launchers": 800,
    }


@pytest.mark.parametrize(
    ("party", "as_of"),
    [
        ("US", dt.date(2011, 2, 5)),
        ("US", dt.date(2018, 2, 5)),
        ("US", dt.date(2023, 3, 1)),
        ("RU", dt.date(2011, 2, 5)),
        ("RU", dt.date(2020, 3, 1)),
        ("RU", dt.date(2022, 9, 1)),
    ],
)
def test_a_single_date_is_the_element_of_the_series(party: str, as_of: dt.date) -> None:
    assert reconstruct(NEW_START, party, as_of) == dict(dated(party))[as_of]


@settings(max_examples=8, deadline=None)
@given(st.data())
def test_any_selection_of_dates_gives_the_same_inventories(data: st.DataObject) -> None:
    party = data.draw(st.sampled_from(["US", "RU"]))
    full = dict(dated(party))
    days = data.draw(st.lists(st.sampled_from(sorted(full)), min_size=1, max_size=3))
    assert reconstruct_series(NEW_START, party, days) == [full[d] for d in days]


# ---------------------------------------------------------------------------
# Items: UIDs, warheads, places.


@pytest.mark.parametrize("party", ["US", "RU"])
def test_a_uid_names_one_item_over_one_unbroken_stretch_of_time(party: str) -> None:
    seen: dict[str, list[int]] = defaultdict(list)
    nature: dict[str, tuple[str, str]] = {}
    for n, inventory in enumerate(series(party)):
        assert len({i.uid for i in inventory.items}) == len(inventory.items)
        for item in inventory.items:
            seen[item.uid].append(n)
            assert nature.setdefault(item.uid, (item.kind, item.type)) == (item.kind, item.type)
    for uid, present in seen.items():
        assert present == list(range(present[0], present[-1] + 1)), f"{uid} comes back"


@pytest.mark.parametrize("party", ["US", "RU"])
def test_warheads_are_within_each_type_and_only_on_deployed_missiles(party: str) -> None:
    for as_of, inventory in dated(party):
        for item in inventory.items:
            if item.kind in MISSILE_KINDS and item.status == "deployed":
                assert item.warheads is not None
                assert 1 <= item.warheads <= MAX_WARHEADS[item.type], (as_of, item)
            else:
                assert item.warheads in (None, 0), (as_of, item)


@pytest.mark.parametrize("party", ["US", "RU"])
def test_each_deployed_launcher_holds_one_missile(party: str) -> None:
    for as_of, inventory in dated(party):
        tally: Counter[tuple[str, str, str, str]] = Counter()
        for item in inventory.items:
            role = "missile" if item.kind in MISSILE_KINDS else "launcher"
            tally[(item.facility, label(item), role, item.status)] += 1
        for (facility, system, role, status), number in tally.items():
            if role == "missile" and status == "deployed":
                assert tally[(facility, system, "launcher", "deployed")] == number, as_of
            if role == "missile" and status == "non_deployed":
                assert tally[(facility, system, "launcher", "non_deployed")] >= number, as_of


@pytest.mark.parametrize("party", ["US", "RU"])
def test_items_are_at_real_declared_facilities_of_the_right_kind(party: str) -> None:
    declared = {f.id: f for f in facilities_for(NEW_START, party)}
    for as_of, inventory in dated(party):
        assert set(inventory.facilities) <= set(declared.values())
        used = {item.facility for item in inventory.items}
        assert used == {f.id for f in inventory.facilities}, as_of
        for item in inventory.items:
            if item.status == "deployed":
                assert declared[item.facility].kind == DEPLOYED_AT[item.kind], (as_of, item)


def test_the_bases_the_public_record_names_are_declared_throughout() -> None:
    us = {"fe_warren", "malmstrom", "minot_icbm", "bangor", "kings_bay", "whiteman"}
    us |= {"barksdale", "minot_air"}
    ru = {"kozelsk", "tatishchevo", "dombarovsky", "uzhur", "teykovo", "yoshkar_ola"}
    ru |= {"vypolzovo", "novosibirsk", "barnaul", "nizhny_tagil", "irkutsk"}
    ru |= {"gadzhiyevo", "vilyuchinsk", "engels", "ukrainka"}
    for party, bases in (("US", us), ("RU", ru)):
        for as_of, inventory in dated(party):
            assert bases <= {f.id for f in inventory.facilities}, (party, as_of)
    kinds = {f.id: f.kind for f in facilities_for(NEW_START, "RU")}
    assert {kinds[b] for b in ("gadzhiyevo", "vilyuchinsk")} == {"submarine_base"}
    assert {kinds[b] for b in ("engels", "ukrainka")} == {"air_base"}
    assert sum(kind == "icbm_base" for kind in kinds.values()) == 11


def test_types_follow_the_era() -> None:
    def types(party: str, as_of: dt.date) -> set[tuple[str, str]]:
        return {(label(i), i.status) for i in dict(dated(party))[as_of].items}

    assert ("B1B", "deployed") in types("US", dt.date(2011, 2, 5))
    assert not any(system in {"B1B", "B52G", "PK"} for system, _ in types("US", ANCHOR))
    assert ("SS25", "deployed") in types("RU", dt.date(2011, 2, 5))
    assert ("BULAVA", "deployed") not in types("RU", dt.date(2012, 9, 1))
    assert ("BULAVA", "deployed") in types("RU", dt.date(2013, 3, 1))
    assert ("AVG", "deployed") in types("RU", dt.date(2020, 3, 1))
    assert ("SS19", "deployed") not in types("RU", dt.date(2020, 3, 1))
    assert not any(system == "R29R" for system, _ in types("RU", dt.date(2022, 3, 1)))


# ---------------------------------------------------------------------------
# Evolution: the fewest changes between consecutive exchanges.


def _status_deltas(
    older: Inventory, newer: Inventory, key: str
) -> dict[tuple[str, ...], Counter[str]]:
    """Per group, how the number of items in each status changed."""
    deltas: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    for sign, inventory in ((-1, older), (1, newer)):
        for item in inventory.items:
            if item.kind in LAUNCHER_KINDS:
                group = (label(item),) if key == "system" else (item.facility, label(item))
                deltas[group][item.status] += sign
    return deltas


def _changed(older: Inventory, newer: Inventory, kinds: set[str]) -> Counter[tuple[str, ...]]:
    """How many items of ``kinds`` changed, per (facility, system) and per system."""
    before = {i.uid: i for i in older.items}
    after = {i.uid: i for i in newer.items}
    changed: Counter[tuple[str, ...]] = Counter()
    for uid in before.keys() | after.keys():
        old, new = before.get(uid), after.get(uid)
        item = new or old
        assert item is not None
        if item.kind in kinds and old != new:
            changed[(label(item),)] += 1
            for place in {i.facility for i in (old, new) if i is not None}:
                changed[(place, label(item))] += 1
    return changed


def _fewest(delta: Counter[str]) -> int:
    """The fewest item changes that turn one set of status counts into another."""
    return max(sum(v for v in delta.values() if v > 0), -sum(v for v in delta.values() if v < 0))


@pytest.mark.parametrize("party", ["US", "RU"])
def test_launchers_change_by_the_fewest_item_changes(party: str) -> None:
    for older, newer in consecutive(party):
        changed = _changed(older, newer, LAUNCHER_KINDS)
        # Silo, tube and mobile launchers stay at their base: the fewest changes per base,
        # except that a retiring submarine takes its launchers, deployed or not.
        for group, delta in _status_deltas(older, newer, "facility").items():
            if group[1].startswith(("B", "TU")):
                continue
            retired = max(0, -sum(delta.values())) if group[1] in SUBMARINES else 0
            assert _fewest(delta) <= changed[group] <= _fewest(delta) + retired, group
        # Bombers move between a base and a repair facility: the fewest moves overall.
        for group, delta in _status_deltas(older, newer, "system").items():
            if group[0].startswith(("B", "TU")):
                assert changed[group] == _fewest(delta), group


@pytest.mark.parametrize("party", ["US", "RU"])
def test_the_diff_names_exactly_the_changes_made(party: str) -> None:
    for older, newer in consecutive(party):
        changes = diff_inventories(NEW_START, older, newer)
        subjects = {c.subject for c in changes if c.change != "facility_removed"}
        before = {i.uid: i for i in older.items}
        after = {i.uid: i for i in newer.items}
        changed = {u for u in before.keys() | after.keys() if before.get(u) != after.get(u)}
        assert subjects == changed
        # Nothing changes kind or type; only bombers move.
        assert not {c.change for c in changes} & {"kind_change", "type_change"}
        for change in changes:
            if change.change == "movement":
                assert after[change.subject].kind == "heavy_bomber"


@pytest.mark.parametrize("party", ["US", "RU"])
def test_warhead_changes_on_missiles_that_stay_deployed_all_go_one_way(party: str) -> None:
    for older, newer in consecutive(party):
        before = {i.uid: i for i in older.items}
        steps = {
            (item.warheads or 0) - (before[item.uid].warheads or 0) > 0
            for item in newer.items
            if item.uid in before
            and item.status == before[item.uid].status == "deployed"
            and item.warheads != before[item.uid].warheads
        }
        assert len(steps) <= 1, newer


@pytest.mark.parametrize("party", ["US", "RU"])
def test_newly_deployed_missiles_take_up_a_warhead_change_first(party: str) -> None:
    """A missile that stays deployed is reloaded only once the newly deployed ones are full.

    The series is built outward from the anchor, so before it each step runs
    from the later inventory to the earlier one.
    """
    bands = {system.label: system.band for system in SYSTEMS[party]}
    reloaded = 0
    for (day, older), (_, newer) in pairwise(dated(party)):
        source, result = (older, newer) if day >= ANCHOR else (newer, older)
        before = {i.uid: i for i in source.items}
        deployed = [i for i in result.items if i.kind in MISSILE_KINDS and i.status == "deployed"]
        fresh = [i for i in deployed if i.uid not in before or before[i.uid].status != "deployed"]
        moves = {
            (i.warheads or 0) > (before[i.uid].warheads or 0)
            for i in deployed
            if i not in fresh and i.warheads != before[i.uid].warheads
        }
        if not moves:
            continue
        reloaded += 1
        (up,) = moves
        for item in fresh:
            low, high = bands[label(item)]
            assert (item.warheads or 0) >= high if up else (item.warheads or 0) <= low, item
    assert reloaded


def test_the_us_keeps_the_same_800_launchers_from_2017() -> None:
    """With the published launcher total steady, no launcher enters or leaves: only statuses do."""
    steady = [inv for as_of, inv in dated("US") if as_of >= dt.date(2017, 9, 1)]
    launchers = [{i.uid for i in inv.items if i.kind in LAUNCHER_KINDS} for inv in steady]
    assert len(launchers) == 12
    assert all(uids == launchers[0] for uids in launchers)
    assert len(launchers[0]) == 800
    for older, newer in pairwise(steady):
        kinds = {c.change for c in diff_inventories(NEW_START, older, newer)}
        assert kinds <= {"status_change", "warheads", "movement", "new_item", "removed"}


# ---------------------------------------------------------------------------
# The multilateral treaty.


@pytest.mark.parametrize("party", ["US", "RU", "GB", "FR", "CN"])
def test_every_p5_party_is_within_its_caps(party: str) -> None:
    inventory = reconstruct(P5, party, dt.date(2031, 3, 1))
    assert inventory.items
    for count in count_limits(P5, party, inventory.items):
        assert not count.exceeded, count
    assert set(inventory.facilities) <= set(facilities_for(P5, party))


@pytest.mark.parametrize(
    ("party", "latest"), [("US", dt.date(2023, 3, 1)), ("RU", dt.date(2022, 9, 1))]
)
def test_p5_us_and_russia_carry_their_latest_breakdown(party: str, latest: dt.date) -> None:
    inventory = reconstruct(P5, party, dt.date(2031, 3, 1))
    assert inventory.items == reconstruct(NEW_START, party, latest).items
    assert counts(P5, inventory) == counts(NEW_START, dict(dated(party))[latest])
    earlier = reconstruct(P5, party, dt.date(2021, 1, 1))
    assert earlier.items == reconstruct(NEW_START, party, dt.date(2020, 9, 1)).items
    with pytest.raises(NotFoundError, match="on or before"):
        reconstruct(P5, party, dt.date(2010, 1, 1))


def test_the_uk_and_france_follow_the_public_record() -> None:
    gb = reconstruct(P5, "GB", dt.date(2031, 3, 1))
    assert counts(P5, gb) == {"deployed_delivery_vehicles": 24, "warheads": 120, "launchers": 64}
    assert {f.id for f in gb.facilities} == {"faslane", "coulport", "devonport"}
    fr = reconstruct(P5, "FR", dt.date(2031, 3, 1))
    tally = Counter((i.kind, i.type, i.status) for i in fr.items)
    assert tally[("slbm", "m51", "deployed")] == 48  # three sets of 16
    assert (
        tally[("slbm_launcher", "m51", "deployed")]
        + tally[("slbm_launcher", "m51", "non_deployed")]
        == 64
    )  # four Triomphant-class boats
    assert sum(n for (kind, _, _), n in tally.items() if kind == "air_launched_missile") == 54
    assert counts(P5, fr)["warheads"] == 290
    assert {f.id for f in fr.facilities} == {"ile_longue", "saint_dizier", "istres"}


def test_illustrative_parties_do_not_evolve() -> None:
    days = [dt.date(2029, 3, 1), dt.date(2030, 9, 1)]
    for party in ("GB", "FR", "CN"):
        first, second = reconstruct_series(P5, party, days)
        assert first == second
        assert diff_inventories(P5, first, second) == []
    assert published_dates(P5, "CN") == ()


# ---------------------------------------------------------------------------
# Refusals.


def test_unknown_parties_and_treaties_are_refused() -> None:
    with pytest.raises(NotFoundError, match="not a party"):
        reconstruct(NEW_START, "GB", ANCHOR)
    with pytest.raises(NotFoundError, match="not a party"):
        facilities_for(NEW_START, "CN")
    odd = dataclasses.replace(NEW_START, id="other-treaty")
    with pytest.raises(NotFoundError, match="no reconstruction for other-treaty"):
        reconstruct(odd, "US", ANCHOR)


def test_figures_the_tables_cannot_meet_are_a_record_error() -> None:
    header = "as_of,party,deployed_delivery_vehicles,warheads,launchers,status,source\n"
    text = header + "2020-09-01,RU,510,1447,2000,reported,made up\n"
    record = parse_record(text, spec=NEW_START, source="absurd.csv")
    with pytest.raises(RecordError, match=r"absurd\.csv, row 2: RU: .* do not fit") as caught:
        force_levels(record, "RU")
    assert caught.value.row == 2
    text = header + "2020-09-01,RU,700,1447,764,reported,made up\n"
    with pytest.raises(RecordError, match="RU: the reconstruction tables cannot meet"):
        force_levels(parse_record(text, spec=NEW_START, source="t.csv"), "RU")
    shipped = force_levels(load_record(NEW_START), "RU")
    assert shipped[ANCHOR].launchers["BULAVA"] == 64  # four Borei by September 2020
