"""Inventories: validation against the treaty, CSV and JSON, and the 2020 US fixture."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import treatyledger.escrow
from treatyledger.errors import InventoryError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory import (
    MAX_WARHEADS_PER_MISSILE,
    Facility,
    Inventory,
    build_inventory,
)
from treatyledger.escrow.inventory_csv import (
    facilities_to_csv,
    items_to_csv,
    load_facilities_csv,
    load_inventory,
    load_items_csv,
    parse_facilities_csv,
    parse_inventory_csv,
    parse_items_csv,
)
from treatyledger.escrow.inventory_json import (
    inventory_to_json,
    load_inventory_json,
    parse_inventory_json,
)
from treatyledger.treaty import Item, TreatySpec, count_limits, load_builtin

NEW_START = load_builtin("new-start")
DATA = Path(__file__).parent / "data"
ITEMS = (DATA / "items.csv").read_text(encoding="utf-8")
FACILITIES = (DATA / "facilities.csv").read_text(encoding="utf-8")


def read_csv(
    items: str | bytes = ITEMS,
    facilities: str | bytes = FACILITIES,
    *,
    party: str = "US",
    spec: TreatySpec = NEW_START,
) -> Inventory:
    return parse_inventory_csv(
        spec,
        party,
        items=items,
        items_source="items.csv",
        facilities=facilities,
        facilities_source="facilities.csv",
    )


def with_row(text: str, row: int, line: str) -> str:
    """``text`` with its row ``row`` (the header is row 1) replaced by ``line``."""
    lines = text.splitlines()
    lines[row - 1] = line
    return "\n".join(lines) + "\n"


def expect(exc: pytest.ExceptionInfo[InventoryError], where: str, field: str, words: str) -> None:
    assert exc.value.item.startswith(where), exc.value
    assert exc.value.field == field, exc.value
    assert words in exc.value.problem, exc.value


# ---------------------------------------------------------------------------
# The good files.


def test_the_good_files_read_as_an_inventory() -> None:
    inventory = read_csv()
    assert inventory.party == "US"
    assert [f.id for f in inventory.facilities] == ["fe_warren", "kings_bay", "barksdale"]
    assert inventory.facility("kings_bay") == Facility(
        "kings_bay", "submarine_base", "Naval Submarine Base Kings Bay", "St. Marys, Georgia"
    )
    assert inventory.facility("nowhere") is None
    assert [i.uid for i in inventory.items_at("fe_warren")] == [
        "US-MM3-0001",
        "US-MM3-LCH-0001",
        "US-MM3-0002",
    ]
    assert inventory.items[0] == Item(
        "US-MM3-0001", "icbm", "minuteman_iii", "deployed", "fe_warren", 1
    )
    assert inventory.items[1].warheads is None


def test_load_inventory_reads_the_two_files() -> None:
    assert (
        load_inventory(NEW_START, "US", DATA / "items.csv", DATA / "facilities.csv") == read_csv()
    )
    assert load_items_csv(DATA / "items.csv") == read_csv().items
    assert load_facilities_csv(DATA / "facilities.csv") == read_csv().facilities


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    with pytest.raises(InventoryError) as exc:
        load_inventory(NEW_START, "US", missing, DATA / "facilities.csv")
    expect(exc, str(missing), "(file)", "cannot read")


# ---------------------------------------------------------------------------
# Negative assets, named after what they break: the file, the row, the problem.

ASSETS = [
    ("items-duplicate-uid.csv", "items", 4, "uid", "declared twice (first at row 2)"),
    ("items-deployed-slbm-without-warheads.csv", "items", 5, "warheads", "toward limit warheads"),
    ("items-warheads-on-launcher.csv", "items", 3, "warheads", "carries no declared warheads"),
    ("items-undeclared-facility.csv", "items", 6, "facility", "'minot_air' is not declared"),
    ("items-ragged-row.csv", "items", 4, "(row)", "expected 6 values"),
    ("items-header-missing-warheads.csv", "items", 1, "(header)", "missing column 'warheads'"),
    ("facilities-duplicate-id.csv", "facilities", 5, "id", "declared twice (first at row 3)"),
    ("facilities-unknown-kind.csv", "facilities", 4, "kind", "unknown facility kind"),
]


@pytest.mark.parametrize(("asset", "which", "row", "field", "words"), ASSETS)
def test_a_broken_file_is_rejected_naming_file_and_row(
    asset: str, which: str, row: int, field: str, words: str
) -> None:
    items = DATA / (asset if which == "items" else "items.csv")
    facilities = DATA / (asset if which == "facilities" else "facilities.csv")
    result = None
    with pytest.raises(InventoryError) as exc:
        result = load_inventory(NEW_START, "US", items, facilities)
    assert result is None  # nothing is imported
    expect(exc, f"{DATA / asset}, row {row}", field, words)
    assert f"{asset}, row {row}" in str(exc.value)


def test_the_duplicate_facility_message_names_both_rows() -> None:
    with pytest.raises(InventoryError) as exc:
        load_inventory(NEW_START, "US", DATA / "items.csv", DATA / "facilities-duplicate-id.csv")
    assert exc.value.item.endswith("facilities-duplicate-id.csv, row 5 (id kings_bay)")
    assert exc.value.problem == "declared twice (first at row 3)"


# ---------------------------------------------------------------------------
# Every item rule: a row that breaks it, and a near miss that passes.

# (what it breaks, row, replacement line, field, words in the problem)
ITEM_FAILURES = [
    ("duplicate_uid", 6, "US-MM3-0001,heavy_bomber,b_52h,deployed,barksdale,", "uid", "row 2"),
    ("unknown_kind", 4, "US-X,silo,minuteman_iii,deployed,fe_warren,", "kind", "known: icbm"),
    ("unknown_status", 4, "US-X,icbm,minuteman_iii,retired,fe_warren,", "status", "known:"),
    ("unknown_type", 4, "US-X,icbm,peacekeeper,deployed,fe_warren,1", "type", "minuteman_iii"),
    ("other_partys_type", 4, "US-X,icbm,rs_24_yars,deployed,fe_warren,1", "type", "a US icbm"),
    ("undeclared_facility", 4, "US-X,icbm,minuteman_iii,deployed,malmstrom,1", "facility", ""),
    (
        "warheads_on_launcher",
        3,
        "US-L,icbm_launcher,minuteman_iii,deployed,fe_warren,1",
        "warheads",
        "empty",
    ),
    ("warheads_on_bomber", 6, "US-B,heavy_bomber,b_52h,deployed,barksdale,1", "warheads", ""),
    ("missing_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,", "warheads", "declare"),
    (
        "warheads_not_counted",
        4,
        "US-X,icbm,minuteman_iii,non_deployed,fe_warren,1",
        "warheads",
        "empty or 0",
    ),
    ("warheads_on_test_missile", 4, "US-X,icbm,minuteman_iii,test,fe_warren,3", "warheads", ""),
    ("negative_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,-1", "warheads", "negative"),
    ("fractional_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,4.5", "warheads", "whole"),
    ("decimal_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,4.0", "warheads", "whole"),
    ("signed_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,+4", "warheads", "whole"),
    (
        "zero_padded_warheads",
        5,
        "US-D,slbm,trident_ii,deployed,kings_bay,04",
        "warheads",
        "leading",
    ),
    ("word_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,four", "warheads", "whole"),
    (
        "impossible_warheads",
        5,
        "US-D,slbm,trident_ii,deployed,kings_bay,33",
        "warheads",
        "impossible",
    ),
    (
        "absurd_warheads",
        5,
        "US-D,slbm,trident_ii,deployed,kings_bay," + "9" * 5000,
        "warheads",
        "impossible",
    ),
    ("empty_uid", 4, ",icbm,minuteman_iii,deployed,fe_warren,1", "uid", "empty"),
    ("trailing_space_uid", 4, "US-X ,icbm,minuteman_iii,deployed,fe_warren,1", "uid", "spaces"),
    ("leading_space_kind", 4, "US-X, icbm,minuteman_iii,deployed,fe_warren,1", "kind", "spaces"),
    (
        "trailing_space_warheads",
        4,
        "US-X,icbm,minuteman_iii,deployed,fe_warren,1 ",
        "warheads",
        "spaces",
    ),
    ("control_character", 4, "US-X,icbm,minuteman\x07iii,deployed,fe_warren,1", "type", "control"),
    (
        "line_break_in_value",
        4,
        'US-X,icbm,"minuteman\niii",deployed,fe_warren,1',
        "type",
        "control",
    ),
    ("too_few_values", 4, "US-X,icbm,minuteman_iii,deployed,fe_warren", "(row)", "got 5"),
    ("too_many_values", 4, "US-X,icbm,minuteman_iii,deployed,fe_warren,1,", "(row)", "got 7"),
    ("blank_row", 4, "", "(row)", "blank row"),
    ("stray_quote", 4, 'US-X,"icbm"x,minuteman_iii,deployed,fe_warren,1', "(row)", "not valid CSV"),
]

# Near misses: as close to a failure as a valid row gets.
ITEM_NEAR_MISSES = [
    ("similar_uid", 4, "US-MM3-0001a,icbm,minuteman_iii,non_deployed,fe_warren,"),
    ("launcher_without_warheads", 3, "US-L,icbm_launcher,minuteman_iii,non_deployed,fe_warren,"),
    ("deployed_missile_with_zero_warheads", 5, "US-D,slbm,trident_ii,deployed,kings_bay,0"),
    ("non_deployed_missile_with_zero", 4, "US-X,icbm,minuteman_iii,non_deployed,fe_warren,0"),
    ("test_missile_without_warheads", 4, "US-X,icbm,minuteman_iii,test,fe_warren,"),
    (
        "warheads_at_the_bound",
        5,
        f"US-D,slbm,trident_ii,deployed,kings_bay,{MAX_WARHEADS_PER_MISSILE}",
    ),
    ("inner_spaces_and_quotes", 4, '"US X ""1""",icbm,minuteman_iii,deployed,fe_warren,1'),
    ("non_nuclear_bomber", 6, "US-B,heavy_bomber,b_52h,non_nuclear,barksdale,"),
]


@pytest.mark.parametrize(
    ("row", "line", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in ITEM_FAILURES],
)
def test_an_item_row_that_breaks_a_rule_is_rejected(
    row: int, line: str, field: str, words: str
) -> None:
    with pytest.raises(InventoryError) as exc:
        read_csv(with_row(ITEMS, row, line))
    expect(exc, f"items.csv, row {row}", field, words)


@pytest.mark.parametrize(("row", "line"), [pytest.param(*c[1:], id=c[0]) for c in ITEM_NEAR_MISSES])
def test_a_near_miss_item_row_passes(row: int, line: str) -> None:
    inventory = read_csv(with_row(ITEMS, row, line))
    assert len(inventory.items) == 5


def test_the_error_names_the_uid_of_the_row() -> None:
    with pytest.raises(InventoryError) as exc:
        read_csv(with_row(ITEMS, 4, "US-X,silo,minuteman_iii,deployed,fe_warren,"))
    assert str(exc.value).startswith("item items.csv, row 4 (uid US-X): kind: unknown item kind")


def test_row_numbers_follow_the_file_after_a_quoted_comma() -> None:
    text = with_row(ITEMS, 3, '"US-L,1",icbm_launcher,minuteman_iii,deployed,fe_warren,')
    with pytest.raises(InventoryError) as exc:
        read_csv(with_row(text, 5, "US-D,slbm,trident_ii,deployed,kings_bay,"))
    expect(exc, "items.csv, row 5", "warheads", "declare")


FACILITY_FAILURES = [
    ("duplicate_id", 4, "fe_warren,air_base,Barksdale AFB,Bossier City", "id", "first at row 2"),
    ("unknown_kind", 4, "barksdale,bomber_base,Barksdale AFB,Bossier City", "kind", "air_base"),
    ("empty_name", 4, "barksdale,air_base,,Bossier City", "name", "empty"),
    ("empty_location", 4, "barksdale,air_base,Barksdale AFB,", "location", "empty"),
    ("trailing_space_id", 4, "barksdale ,air_base,Barksdale AFB,Bossier City", "id", "spaces"),
    ("tab_in_name", 4, "barksdale,air_base,Barksdale\tAFB,Bossier City", "name", "control"),
    ("too_few_values", 4, "barksdale,air_base,Barksdale AFB", "(row)", "got 3"),
]


@pytest.mark.parametrize(
    ("row", "line", "field", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in FACILITY_FAILURES],
)
def test_a_facility_row_that_breaks_a_rule_is_rejected(
    row: int, line: str, field: str, words: str
) -> None:
    with pytest.raises(InventoryError) as exc:
        read_csv(facilities=with_row(FACILITIES, row, line))
    expect(exc, f"facilities.csv, row {row}", field, words)


def test_a_near_miss_facility_passes_and_may_hold_no_items() -> None:
    text = FACILITIES + 'davis_monthan,storage_facility,Davis-Monthan AFB,"Tucson, Arizona"\n'
    assert read_csv(facilities=text).items_at("davis_monthan") == ()


# ---------------------------------------------------------------------------
# Whole-file problems.

HEADER_FAILURES = [
    ("missing_column", "uid,kind,type,status,facility", "missing column 'warheads'"),
    ("extra_column", "uid,kind,type,status,facility,warheads,party", "unknown column 'party'"),
    ("repeated_column", "uid,kind,type,status,facility,warheads,uid", "more than once"),
    ("columns_out_of_order", "kind,uid,type,status,facility,warheads", "out of order"),
    ("upper_case_column", "UID,kind,type,status,facility,warheads", "unknown column 'UID'"),
    ("spaced_column", "uid, kind,type,status,facility,warheads", "unknown column ' kind'"),
]


@pytest.mark.parametrize(
    ("header", "words"), [pytest.param(*c[1:], id=c[0]) for c in HEADER_FAILURES]
)
def test_a_header_that_is_not_exactly_the_columns_is_rejected(header: str, words: str) -> None:
    with pytest.raises(InventoryError) as exc:
        parse_items_csv(with_row(ITEMS, 1, header), source="items.csv")
    expect(exc, "items.csv, row 1", "(header)", words)
    assert "uid,kind,type,status,facility,warheads" in exc.value.problem


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(InventoryError) as exc:
        parse_facilities_csv("", source="facilities.csv")
    expect(exc, "facilities.csv, row 1", "(header)", "empty")


def test_a_header_alone_is_an_empty_inventory() -> None:
    assert read_csv("uid,kind,type,status,facility,warheads\n").items == ()


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted() -> None:
    data = ("\ufeff" + ITEMS.replace("\n", "\r\n")).encode("utf-8")
    assert read_csv(data) == read_csv()


def test_a_file_that_is_not_utf8_is_rejected() -> None:
    data = ITEMS.replace("US-MM3-0002", "US-MM3-Ä").encode("latin-1")
    with pytest.raises(InventoryError) as exc:
        read_csv(data)
    expect(exc, "items.csv", "(file)", "UTF-8")


def test_a_party_that_is_not_a_party_to_the_treaty_is_rejected() -> None:
    with pytest.raises(InventoryError) as exc:
        read_csv(party="FR")
    expect(exc, "inventory", "party", "parties: US, RU")


def test_the_types_checked_are_those_of_the_party() -> None:
    with pytest.raises(InventoryError) as exc:
        read_csv(party="RU")
    expect(exc, "items.csv, row 2", "type", "rs_24_yars")


def test_a_kind_with_no_listed_type_takes_any_type() -> None:
    untyped = dataclasses.replace(NEW_START, item_types=())
    text = with_row(ITEMS, 2, "US-MM3-0001,icbm,Minuteman III (LGM-30G),deployed,fe_warren,1")
    assert read_csv(text, spec=untyped).items[0].type == "Minuteman III (LGM-30G)"
    with pytest.raises(InventoryError):
        read_csv(text)  # where types are listed, membership is required


# ---------------------------------------------------------------------------
# In memory: build_inventory and Inventory.


def test_build_inventory_names_the_entry_by_index_and_uid() -> None:
    good = read_csv()
    bad = Item("US-X", "icbm", "minuteman_iii", "deployed", "fe_warren", None)
    with pytest.raises(InventoryError) as exc:
        build_inventory(NEW_START, "US", good.facilities, [*good.items, bad])
    expect(exc, "items[5] (uid US-X)", "warheads", "declare")
    with pytest.raises(InventoryError) as exc:
        build_inventory(NEW_START, "US", [*good.facilities, good.facilities[0]], good.items)
    expect(exc, "facilities[3] (id fe_warren)", "id", "first at facilities[0]")


def test_build_inventory_rejects_a_warhead_number_of_the_wrong_type() -> None:
    good = read_csv()
    odd = Item("US-X", "icbm", "minuteman_iii", "deployed", "fe_warren", 1.0)  # type: ignore[arg-type]
    with pytest.raises(InventoryError) as exc:
        build_inventory(NEW_START, "US", good.facilities, [odd])
    expect(exc, "items[0]", "warheads", "whole number")


def test_a_facility_checks_its_text_when_built() -> None:
    with pytest.raises(InventoryError) as exc:
        Facility("x", "air_base", "", "Somewhere")
    assert exc.value.field == "name"


def test_an_inventory_keeps_its_structural_invariants_without_a_spec() -> None:
    good = read_csv()
    with pytest.raises(InventoryError, match="uid repeats"):
        Inventory("US", good.facilities, (*good.items, good.items[0]))
    with pytest.raises(InventoryError, match="id repeats"):
        Inventory("US", (*good.facilities, good.facilities[0]), good.items)
    with pytest.raises(InventoryError, match="not declared"):
        Inventory("US", good.facilities[:1], good.items)


# ---------------------------------------------------------------------------
# JSON.


def test_json_has_the_documented_shape() -> None:
    document = inventory_to_json(read_csv())
    assert list(document) == ["party", "facilities", "items"]
    assert document["facilities"][0] == {  # type: ignore[index]
        "id": "fe_warren",
        "kind": "icbm_base",
        "name": "F.E. Warren AFB",
        "location": "Cheyenne, Wyoming",
    }
    assert document["items"][1] == {  # type: ignore[index]
        "uid": "US-MM3-LCH-0001",
        "kind": "icbm_launcher",
        "type": "minuteman_iii",
        "status": "deployed",
        "facility": "fe_warren",
        "warheads": None,
    }


def test_json_round_trips_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory_to_json(read_csv()), indent=2), encoding="utf-8")
    assert load_inventory_json(NEW_START, path) == read_csv()


def _document() -> dict[str, object]:
    return json.loads(json.dumps(inventory_to_json(read_csv())))  # type: ignore[no-any-return]


def _item(document: dict[str, object], index: int) -> dict[str, object]:
    return document["items"][index]  # type: ignore[index,no-any-return]


JSON_FAILURES = [
    ("unknown_top_level_key", lambda d: d.update(treaty="new-start"), "inventory.json", "treaty"),
    ("missing_items", lambda d: d.pop("items"), "inventory.json", "items"),
    ("party_not_text", lambda d: d.update(party=1), "inventory.json", "party"),
    ("items_not_an_array", lambda d: d.update(items={}), "inventory.json", "items"),
    (
        "unknown_item_key",
        lambda d: _item(d, 2).update(count=1),
        "inventory.json, items[2]",
        "count",
    ),
    (
        "missing_warheads_key",
        lambda d: _item(d, 2).pop("warheads"),
        "inventory.json, items[2]",
        "warheads",
    ),
    (
        "warheads_as_text",
        lambda d: _item(d, 3).update(warheads="4"),
        "inventory.json, items[3]",
        "warheads",
    ),
    (
        "warheads_as_float",
        lambda d: _item(d, 3).update(warheads=4.0),
        "inventory.json, items[3]",
        "warheads",
    ),
    (
        "warheads_as_boolean",
        lambda d: _item(d, 3).update(warheads=True),
        "inventory.json, items[3]",
        "warheads",
    ),
    (
        "negative_warheads",
        lambda d: _item(d, 3).update(warheads=-1),
        "inventory.json, items[3]",
        "warheads",
    ),
    (
        "impossible_warheads",
        lambda d: _item(d, 3).update(warheads=10**9),
        "inventory.json, items[3]",
        "warheads",
    ),
    ("uid_not_text", lambda d: _item(d, 3).update(uid=7), "inventory.json, items[3]", "uid"),
    ("item_not_an_object", lambda d: d["items"].append([]), "inventory.json, items[5]", "(entry)"),
    (
        "unknown_status",
        lambda d: _item(d, 0).update(status="alert"),
        "inventory.json, items[0] (uid US-MM3-0001)",
        "status",
    ),
]


@pytest.mark.parametrize(
    ("change", "where", "field"), [pytest.param(*c[1:], id=c[0]) for c in JSON_FAILURES]
)
def test_a_json_document_that_breaks_a_rule_is_rejected(
    change: object, where: str, field: str
) -> None:
    document = _document()
    change(document)  # type: ignore[operator]
    with pytest.raises(InventoryError) as exc:
        parse_inventory_json(json.dumps(document), source="inventory.json", spec=NEW_START)
    expect(exc, where, field, "")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param('{"party": "US", "party": "RU"}', "appears twice", id="repeated_key"),
        pytest.param('{"party": NaN}', "NaN", id="nan"),
        pytest.param('{"party": "US",\n "items": [}', "line 2", id="syntax_error"),
        pytest.param("[]", "object", id="not_an_object"),
    ],
)
def test_malformed_json_is_rejected(text: str, words: str) -> None:
    with pytest.raises(InventoryError) as exc:
        parse_inventory_json(text, source="inventory.json", spec=NEW_START)
    assert exc.value.item == "inventory.json"
    assert words in exc.value.problem


# ---------------------------------------------------------------------------
# Round trips of random valid inventories.

_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=10
).filter(lambda s: s.strip() == s)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    spec = NEW_START
    party = draw(st.sampled_from([p.id for p in spec.parties]))
    ids = draw(st.lists(_text, min_size=1, max_size=4, unique=True))
    facilities = [
        Facility(
            i, draw(st.sampled_from([k.id for k in spec.facility_kinds])), draw(_text), draw(_text)
        )
        for i in ids
    ]
    items = []
    for uid in draw(st.lists(_text, max_size=8, unique=True)):
        kind = draw(st.sampled_from(spec.item_kinds))
        status = draw(st.sampled_from([s.id for s in spec.statuses]))
        types = [t.id for t in spec.item_types if kind.id in t.kinds and party in t.parties]
        counted = kind.carries_warheads and status == "deployed"
        warheads: int | None
        if counted:
            warheads = draw(st.integers(0, MAX_WARHEADS_PER_MISSILE))
        elif kind.carries_warheads:
            warheads = draw(st.sampled_from([None, 0]))
        else:
            warheads = None
        type_ = draw(st.sampled_from(types)) if types else draw(_text)
        items.append(Item(uid, kind.id, type_, status, draw(st.sampled_from(ids)), warheads))
    return build_inventory(spec, party, facilities, items)


@given(inventories())
def test_csv_round_trips(inventory: Inventory) -> None:
    items, facilities = items_to_csv(inventory.items), facilities_to_csv(inventory.facilities)
    again = read_csv(items, facilities, party=inventory.party)
    assert again == inventory
    assert items_to_csv(again.items) == items
    assert facilities_to_csv(again.facilities) == facilities


@given(inventories())
def test_json_round_trips(inventory: Inventory) -> None:
    text = json.dumps(inventory_to_json(inventory))
    assert parse_inventory_json(text, source="x.json", spec=NEW_START) == inventory
    assert parse_inventory_json(text.encode(), source="x.json", spec=NEW_START) == inventory


def test_the_good_file_round_trips_byte_for_byte() -> None:
    assert items_to_csv(parse_items_csv(ITEMS, source="items.csv")) == ITEMS
    assert facilities_to_csv(parse_facilities_csv(FACILITIES, source="f.csv")) == FACILITIES


# ---------------------------------------------------------------------------
# The 1 September 2020 US fixture.


def test_the_2020_us_fixture_counts_the_published_figures() -> None:
    inventory = us_inventory_2020_09_01(NEW_START)
    counts = {c.limit.id: c.count for c in count_limits(NEW_START, "US", inventory.items)}
    assert counts == {"deployed_delivery_vehicles": 675, "warheads": 1457, "launchers": 800}


def test_the_2020_us_fixture_matches_the_published_breakdown() -> None:
    inventory = us_inventory_2020_09_01(NEW_START)

    def number(kind: str, type_: str, status: str) -> int:
        return sum(
            1 for i in inventory.items if (i.kind, i.type, i.status) == (kind, type_, status)
        )

    assert number("icbm", "minuteman_iii", "deployed") == 397
    assert number("icbm_launcher", "minuteman_iii", "deployed") == 397
    assert number("icbm_launcher", "minuteman_iii", "non_deployed") == 57
    assert number("slbm", "trident_ii", "deployed") == 230
    assert number("slbm_launcher", "trident_ii", "deployed") == 230
    assert number("slbm_launcher", "trident_ii", "non_deployed") == 50
    assert number("heavy_bomber", "b_2a", "deployed") == 12
    assert number("heavy_bomber", "b_52h", "deployed") == 36
    assert (
        number("heavy_bomber", "b_2a", "non_deployed")
        + number("heavy_bomber", "b_52h", "non_deployed")
        == 18
    )
    assert inventory.items[0].uid == "US-MM3-0001"


def test_the_2020_us_fixture_is_deterministic_and_round_trips_through_csv() -> None:
    inventory = us_inventory_2020_09_01(NEW_START)
    assert us_inventory_2020_09_01(NEW_START) == inventory
    again = read_csv(items_to_csv(inventory.items), facilities_to_csv(inventory.facilities))
    assert again == inventory


# ---------------------------------------------------------------------------
# The package: the pure core reaches no edge.


def test_the_escrow_package_imports_no_edge() -> None:
    package = Path(treatyledger.escrow.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for name in names:
                    assert not name.startswith(
                        ("treatyledger.cli", "treatyledger.node", "treatyledger.storage")
                    ), f"{module.name} imports {name}"
