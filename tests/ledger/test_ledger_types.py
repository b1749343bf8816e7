"""Every entry type: one valid example, signed and read back, and malformed variants refused.

The examples form one consistent New START timeline between two party logs:
a US data exchange, a Russian Type One inspection of Whiteman AFB (request,
designation, pre-inspection opening, observations, report, countersignature),
a refused second request, the 2022 exemption, the postponed commission
session, the 2023 suspension and a (hypothetical) resumption.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from treatyledger.errors import PayloadError, TreatyLedgerError
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.opening import open_facility
from treatyledger.escrow.opening_json import facility_opening_to_json
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import (
    PROTOCOL_TYPES,
    Entry,
    EntryError,
    EntryIndex,
    Ref,
    entry_text,
    entry_types,
    parse_entry,
    parse_entry_text,
    sign_entry,
    validate_entry,
)
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer
from treatyledger.treaty import TreatySpec

US = Signer(name="example.org/us/log", seed=bytes(range(32)))
RU = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))
SIGNERS = {"US": US, "RU": RU}


def at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


@dataclass
class Logged:
    entry: Entry
    note: bytes
    ref: Ref


class Timeline:
    """Two party logs in memory; every entry is validated before it is appended."""

    def __init__(self, spec: TreatySpec) -> None:
        self.spec = spec
        self.index = EntryIndex()
        self.sizes = {"US": 0, "RU": 0}
        self.entries: dict[str, Logged] = {}

    def append(self, name: str, entry: Entry) -> Logged:
        validate_entry(entry, self.spec, resolve=self.index.resolve)
        signer = SIGNERS[entry.sender]
        note = sign_entry(entry, signer)
        ref = self.index.add(signer.name, self.sizes[entry.sender], note, signer.verifier())
        self.sizes[entry.sender] += 1
        self.entries[name] = Logged(entry, note, ref)
        return self.entries[name]

    def ref(self, name: str) -> Ref:
        return self.entries[name].ref

    def payload(self, name: str) -> dict[str, Any]:
        return self.entries[name].entry.payload_json()


def entry(
    kind: str, sender: str, time: str, payload: dict[str, Any], refs: tuple[Ref, ...] = ()
) -> Entry:
    return Entry(
        type=kind, treaty="new-start", sender=sender, time=at(time), payload=payload, refs=refs
    )


@pytest.fixture(scope="module")
def timeline(new_start: TreatySpec) -> Timeline:
    t = Timeline(new_start)
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    declaration = commit(
        new_start, "US", dt.date(2020, 9, 1), inventory.items, ids, secret=b"\x07" * 32
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    exchange = build_exchange(declaration, kinds, clock=lambda: at("2020-09-30T12:00:05Z"))
    t.append("data_exchange", parse_entry_text(exchange_entry_text(exchange)))
    t.append(
        "acknowledgment",
        entry("acknowledgment", "RU", "2020-09-30T13:00:00Z", {}, (t.ref("data_exchange"),)),
    )
    t.append(
        "new_item",
        entry(
            "new_item",
            "US",
            "2020-10-02T09:00:00Z",
            {
                "uid": "US-MM3-0451",
                "kind": "icbm",
                "type": "minuteman_iii",
                "status": "non_deployed",
                "facility": "vandenberg",
                "occurred_at": "2020-09-29T15:00:00Z",
            },
        ),
    )
    t.append(
        "inspection_request",
        entry(
            "inspection_request",
            "RU",
            "2020-10-05T08:00:00Z",
            {
                "inspection_type": "type_one",
                "inspected_party": "US",
                "point_of_entry": "Washington Dulles International Airport",
                "arrival_at": "2020-10-06T16:00:00Z",
            },
        ),
    )
    t.append(
        "site_designation",
        entry(
            "site_designation",
            "RU",
            "2020-10-06T16:00:00Z",
            {"facility": "whiteman", "facility_kind": "air_base"},
            (t.ref("inspection_request"),),
        ),
    )
    opening = json.loads(facility_opening_to_json(open_facility(declaration, "whiteman")))
    t.append(
        "pre_inspection_opening",
        entry(
            "pre_inspection_opening",
            "US",
            "2020-10-06T16:30:00Z",
            {"facility": "whiteman", "opening": opening},
            (t.ref("site_designation"), t.ref("data_exchange")),
        ),
    )
    whiteman = sorted(i.uid for i in inventory.items if i.facility == "whiteman")
    t.append(
        "observations",
        entry(
            "observations",
            "RU",
            "2020-10-07T10:00:00Z",
            {
                "uids_seen": whiteman,
                "reentry_vehicles": {"uid": whiteman[0], "counted": 1},
                "comment": "All twelve B-2A seen on the flight line and in hangars.",
            },
            (t.ref("site_designation"),),
        ),
    )
    t.append(
        "inspection_report",
        entry(
            "inspection_report",
            "US",
            "2020-10-07T20:00:00Z",
            {
                "summary": "Type One inspection of Whiteman AFB, 6-7 October 2020.",
                "findings": [
                    {"kind": "confirmed", "text": "12 deployed B-2A, as declared."},
                    {"kind": "ambiguity", "text": "One hangar door jammed.", "uid": whiteman[3]},
                ],
            },
            (t.ref("inspection_request"), t.ref("observations")),
        ),
    )
    t.append(
        "report_countersignature",
        entry(
            "report_countersignature",
            "RU",
            "2020-10-07T21:00:00Z",
            {"comment": "Подписано без замечаний."},
            (t.ref("inspection_report"),),
        ),
    )
    t.append(
        "second_request",
        entry(
            "inspection_request",
            "RU",
            "2020-11-02T08:00:00Z",
            {
                "inspection_type": "type_two",
                "inspected_party": "US",
                "point_of_entry": "Travis AFB",
                "arrival_at": "2020-11-04T08:00:00Z",
            },
        ),
    )
    t.append(
        "refusal",
        entry(
            "refusal",
            "US",
            "2020-11-02T12:00:00Z",
            {"reason": "The quota of Type Two inspections for the year is used up."},
            (t.ref("second_request"),),
        ),
    )
    t.append(
        "exemption",
        entry(
            "exemption",
            "RU",
            "2022-08-08T09:00:00Z",
            {
                "facilities": "all",
                "reason": "Protocol Part Five, Section I: temporary exemption.",
                "from": "2022-08-08",
            },
        ),
    )
    t.append(
        "commission_request",
        entry(
            "commission_request",
            "US",
            "2022-10-01T12:00:00Z",
            {"agenda": "Resumption of inspections.", "location": "Cairo"},
        ),
    )
    t.append(
        "commission_meeting",
        entry(
            "commission_meeting",
            "US",
            "2022-11-08T12:00:00Z",
            {"location": "Cairo", "starts_on": "2022-11-29", "ends_on": "2022-12-06"},
            (t.ref("commission_request"),),
        ),
    )
    t.append(
        "commission_postponement",
        entry(
            "commission_postponement",
            "RU",
            "2022-11-28T10:00:00Z",
            {"reason": "The session is postponed to a later date."},
            (t.ref("commission_meeting"),),
        ),
    )
    t.append(
        "suspension",
        entry(
            "suspension",
            "RU",
            "2023-02-28T12:00:00Z",
            {
                "obligations": ["data_exchange", "notifications", "inspections", "commission"],
                "reason": "Federal law on the suspension of the treaty.",
            },
        ),
    )
    t.append(
        "resumption",
        entry(
            "resumption",
            "RU",
            "2026-03-01T00:00:00Z",
            {"obligations": ["commission"], "reason": "Hypothetical: talks resume."},
            (t.ref("suspension"),),
        ),
    )
    t.append(
        "pause",
        entry(
            "pause",
            "US",
            "2020-03-28T12:00:00Z",
            {"obligations": ["inspections"], "reason": "COVID-19.", "from": "2020-03-28"},
        ),
    )
    t.append(
        "joint_pause",
        entry(
            "pause",
            "RU",
            "2020-03-28T13:00:00Z",
            {"obligations": ["inspections"], "reason": "COVID-19."},
            (t.ref("pause"),),
        ),
    )
    t.append(
        "dispute",
        entry(
            "dispute",
            "RU",
            "2022-03-15T12:00:00Z",
            {"claim": "Conversions cannot be confirmed.", "limit": "launchers", "count": 901},
            (t.ref("data_exchange"),),
        ),
    )
    t.append(
        "countermeasure",
        entry(
            "countermeasure",
            "US",
            "2023-06-01T12:00:00Z",
            {"obligations": ["notifications", "telemetry"], "reason": "In response."},
            (t.ref("suspension"),),
        ),
    )
    t.append(
        "published_totals",
        entry(
            "published_totals",
            "US",
            "2023-05-15T12:00:00Z",
            {
                "as_of": "2023-03-01",
                "totals": {"deployed_delivery_vehicles": 662, "warheads": 1419, "launchers": 800},
                "source": "State Department.",
            },
        ),
    )
    t.append(
        "resume_countermeasure",
        entry(
            "resumption",
            "US",
            "2026-01-01T00:00:00Z",
            {"obligations": ["telemetry"], "reason": "Hypothetical."},
            (t.ref("countermeasure"),),
        ),
    )
    seed = bytes(range(100, 132))
    t.append(
        "draw_commitment",
        entry(
            "draw_commitment",
            "RU",
            "2021-01-10T10:00:00Z",
            {
                "seed_sha256": hashlib.sha256(seed).hexdigest(),
                "inspected_party": "US",
                "inspection_type": "type_one",
                "quota_year": "2021-02-05",
                "size": 10,
            },
        ),
    )
    t.append(
        "draw_reveal",
        entry(
            "draw_reveal",
            "RU",
            "2022-02-10T12:00:00Z",
            {"seed": seed.hex()},
            (t.ref("draw_commitment"), t.ref("data_exchange")),
        ),
    )
    return t


def test_every_type_has_an_example(timeline: Timeline) -> None:
    shown = {logged.entry.type for logged in timeline.entries.values()}
    assert set(PROTOCOL_TYPES) <= shown
    assert "new_item" in shown
    assert set(entry_types(timeline.spec)) >= set(PROTOCOL_TYPES) | {"new_item", "movement"}


@pytest.mark.parametrize(
    "name",
    [
        "data_exchange",
        "acknowledgment",
        "new_item",
        "inspection_request",
        "site_designation",
        "pre_inspection_opening",
        "observations",
        "inspection_report",
        "report_countersignature",
        "refusal",
        "exemption",
        "commission_request",
        "commission_meeting",
        "commission_postponement",
        "suspension",
        "resumption",
        "pause",
        "joint_pause",
        "dispute",
        "countermeasure",
        "published_totals",
        "resume_countermeasure",
    ],
)
def test_example_round_trips_byte_identically(timeline: Timeline, name: str) -> None:
    logged = timeline.entries[name]
    signer = SIGNERS[logged.entry.sender]
    parsed = parse_entry(logged.note, signer.verifier())
    assert parsed == logged.entry
    assert entry_text(parsed) == entry_text(logged.entry)
    assert sign_entry(parsed, signer) == logged.note
    assert logged.ref.leaf_hash == leaf_hash(logged.note)
    validate_entry(parsed, timeline.spec, resolve=timeline.index.resolve)
    validate_entry(parsed, timeline.spec)  # the checks that need no other entry


# -- malformed variants: (name, base entry, change, error, field) ------------------------

Change = Callable[[Timeline, Entry], Entry]


def pay(**changes: Any) -> Change:
    """Set (or with None, remove) payload fields."""

    def change(_: Timeline, e: Entry) -> Entry:
        payload = e.payload_json()
        for name, value in changes.items():
            key = name.rstrip("_")
            if value is None:
                payload.pop(key, None)
            else:
                payload[key] = value
        return dataclasses.replace(e, payload=payload)

    return change


def refs(*names: str) -> Change:
    return lambda t, e: dataclasses.replace(e, refs=tuple(t.ref(n) for n in names))


def sender(party: str) -> Change:
    return lambda _, e: dataclasses.replace(e, sender=party)


def time(text: str) -> Change:
    return lambda _, e: dataclasses.replace(e, time=at(text))


def opening_of(change: Callable[[dict[str, Any]], None]) -> Change:
    def edit(_: Timeline, e: Entry) -> Entry:
        payload = e.payload_json()
        change(payload["opening"])
        return dataclasses.replace(e, payload=payload)

    return edit


def _swap_first_salt(opening: dict[str, Any]) -> None:
    opening["items"][0]["salt"] = "00" * 32


def _rename_facility(opening: dict[str, Any]) -> None:
    opening["facility"] = "barksdale"


MALFORMED: list[tuple[str, str, Change, type[TreatyLedgerError], str]] = [
    ("missing_totals", "data_exchange", pay(totals=None), PayloadError, "totals"),
    ("refers_to_an_entry", "data_exchange", refs("acknowledgment"), EntryError, "refs"),
    ("as_of_not_a_date", "data_exchange", pay(as_of="1 Sep 2020"), PayloadError, "as_of"),
    ("unknown_status", "new_item", pay(status="retired"), PayloadError, "status"),
    ("extra_field", "new_item", pay(colour="green"), PayloadError, "colour"),
    ("own_entry", "acknowledgment", refs("inspection_request"), EntryError, "refs[0]"),
    ("no_reference", "acknowledgment", refs(), EntryError, "refs"),
    ("two_references", "acknowledgment", refs("data_exchange", "new_item"), EntryError, "refs"),
    ("unknown_field", "acknowledgment", pay(note="x"), PayloadError, "note"),
    (
        "short_notice",
        "inspection_request",
        time("2020-10-05T09:00:00Z"),
        PayloadError,
        "arrival_at",
    ),
    (
        "inspects_itself",
        "inspection_request",
        pay(inspected_party="RU"),
        PayloadError,
        "inspected_party",
    ),
    (
        "unknown_type",
        "inspection_request",
        pay(inspection_type="type_three"),
        PayloadError,
        "inspection_type",
    ),
    (
        "arrival_with_minutes_only",
        "inspection_request",
        pay(arrival_at="2020-10-06T16:00Z"),
        PayloadError,
        "arrival_at",
    ),
    (
        "blank_point_of_entry",
        "inspection_request",
        pay(point_of_entry="  "),
        PayloadError,
        "point_of_entry",
    ),
    ("after_arrival", "site_designation", time("2020-10-06T17:00:00Z"), EntryError, "time"),
    (
        "kind_not_of_type",
        "site_designation",
        pay(facility_kind="storage_facility"),
        PayloadError,
        "facility_kind",
    ),
    (
        "unknown_kind",
        "site_designation",
        pay(facility_kind="moon_base"),
        PayloadError,
        "facility_kind",
    ),
    ("by_inspected_party", "site_designation", sender("US"), EntryError, "sender"),
    ("refers_to_acknowledgment", "site_designation", refs("acknowledgment"), EntryError, "refs[0]"),
    (
        "not_the_designated_facility",
        "pre_inspection_opening",
        lambda t, e: opening_of(_rename_facility)(t, pay(facility="barksdale")(t, e)),
        PayloadError,
        "facility",
    ),
    (
        "opening_of_other_facility",
        "pre_inspection_opening",
        opening_of(_rename_facility),
        PayloadError,
        "opening.facility",
    ),
    (
        "salt_changed",
        "pre_inspection_opening",
        opening_of(_swap_first_salt),
        PayloadError,
        "opening",
    ),
    (
        "not_an_opening",
        "pre_inspection_opening",
        pay(opening={"format": "x"}),
        PayloadError,
        "opening",
    ),
    ("by_inspecting_party", "pre_inspection_opening", sender("RU"), EntryError, "sender"),
    (
        "missing_exchange_ref",
        "pre_inspection_opening",
        refs("site_designation"),
        EntryError,
        "refs",
    ),
    ("uids_repeat", "observations", pay(uids_seen=["A", "A"]), PayloadError, "uids_seen"),
    (
        "negative_count",
        "observations",
        pay(reentry_vehicles={"uid": "A", "counted": -1}),
        PayloadError,
        "reentry_vehicles.counted",
    ),
    (
        "count_without_uid",
        "observations",
        pay(reentry_vehicles={"counted": 1}),
        PayloadError,
        "reentry_vehicles.uid",
    ),
    ("by_inspected_party", "observations", sender("US"), EntryError, "sender"),
    (
        "unknown_finding_kind",
        "inspection_report",
        pay(findings=[{"kind": "odd", "text": "x"}]),
        PayloadError,
        "findings[0].kind",
    ),
    (
        "finding_extra_field",
        "inspection_report",
        pay(findings=[{"kind": "confirmed", "text": "x", "by": "RU"}]),
        PayloadError,
        "findings[0].by",
    ),
    ("by_inspecting_party", "inspection_report", sender("RU"), EntryError, "sender"),
    (
        "observations_first",
        "inspection_report",
        refs("observations", "inspection_request"),
        EntryError,
        "refs[0]",
    ),
    ("by_reporter", "report_countersignature", sender("US"), EntryError, "sender"),
    (
        "refers_to_request",
        "report_countersignature",
        refs("inspection_request"),
        EntryError,
        "refs[0]",
    ),
    ("no_reason", "refusal", pay(reason=None), PayloadError, "reason"),
    ("by_requester", "refusal", sender("RU"), EntryError, "refs[0]"),
    ("until_before_from", "exemption", pay(until="2022-01-01"), PayloadError, "until"),
    ("no_facilities", "exemption", pay(facilities=[]), PayloadError, "facilities"),
    ("facilities_some", "exemption", pay(facilities="some"), PayloadError, "facilities"),
    ("from_not_a_date", "exemption", pay(from_="2022-02-30"), PayloadError, "from"),
    (
        "start_not_a_date",
        "commission_request",
        pay(proposed_start="soon"),
        PayloadError,
        "proposed_start",
    ),
    ("no_agenda", "commission_request", pay(agenda=None), PayloadError, "agenda"),
    ("ends_before_start", "commission_meeting", pay(ends_on="2022-11-01"), PayloadError, "ends_on"),
    ("refers_to_suspension", "commission_meeting", refs("suspension"), EntryError, "refs[0]"),
    ("no_reference", "commission_postponement", refs(), EntryError, "refs"),
    ("refers_to_exemption", "commission_postponement", refs("exemption"), EntryError, "refs[0]"),
    (
        "unknown_obligation",
        "suspension",
        pay(obligations=["treaty"]),
        PayloadError,
        "obligations[0]",
    ),
    ("no_obligations", "suspension", pay(obligations=[]), PayloadError, "obligations"),
    ("not_suspended", "resumption", pay(obligations=["limits"]), PayloadError, "obligations"),
    ("another_partys_suspension", "resumption", sender("US"), EntryError, "refs[0]"),
    (
        "not_stopped_by_countermeasure",
        "resume_countermeasure",
        pay(obligations=["inspections"]),
        PayloadError,
        "obligations",
    ),
    ("refers_to_own_pause", "joint_pause", sender("US"), EntryError, "refs[0]"),
    ("no_reason", "pause", pay(reason=None), PayloadError, "reason"),
    ("cites_own_entry", "countermeasure", refs("published_totals"), EntryError, "refs[0]"),
    (
        "unknown_obligation",
        "countermeasure",
        pay(obligations=["trust"]),
        PayloadError,
        "obligations[0]",
    ),
    (
        "missing_limit",
        "published_totals",
        pay(totals={"warheads": 1419, "launchers": 800}),
        PayloadError,
        "totals.deployed_delivery_vehicles",
    ),
    (
        "unknown_limit",
        "published_totals",
        pay(totals={"deployed_delivery_vehicles": 1, "warheads": 1, "launchers": 1, "x": 1}),
        PayloadError,
        "totals.x",
    ),
    (
        "negative_total",
        "published_totals",
        pay(totals={"deployed_delivery_vehicles": -1, "warheads": 1, "launchers": 1}),
        PayloadError,
        "totals.deployed_delivery_vehicles",
    ),
    ("as_of_not_a_date", "published_totals", pay(as_of="March"), PayloadError, "as_of"),
    ("own_entry", "dispute", refs("joint_pause"), EntryError, "refs[0]"),
    ("no_reference", "dispute", refs(), EntryError, "refs"),
    ("unknown_limit", "dispute", pay(limit="missiles"), PayloadError, "limit"),
    ("count_not_a_number", "dispute", pay(count="901"), PayloadError, "count"),
    ("no_seed_hash", "draw_commitment", pay(seed_sha256=None), PayloadError, "seed_sha256"),
    (
        "unknown_type",
        "draw_commitment",
        pay(inspection_type="type_three"),
        PayloadError,
        "inspection_type",
    ),
    ("year_not_a_date", "draw_commitment", pay(quota_year="2021"), PayloadError, "quota_year"),
    ("negative_size", "draw_commitment", pay(size=-1), PayloadError, "size"),
    ("no_seed", "draw_reveal", pay(seed=None), PayloadError, "seed"),
    ("no_declaration", "draw_reveal", refs("draw_commitment"), EntryError, "refs"),
    (
        "refers_to_request",
        "draw_reveal",
        refs("inspection_request", "data_exchange"),
        EntryError,
        "refs[0]",
    ),
]


@pytest.mark.parametrize(
    ("name", "base", "change", "error", "field"),
    MALFORMED,
    ids=[f"{base}-{name}" for name, base, *_ in MALFORMED],
)
def test_malformed_variant_is_refused(  # noqa: PLR0917 (one parameter per table column)
    timeline: Timeline,
    name: str,
    base: str,
    change: Change,
    error: type[TreatyLedgerError],
    field: str,
) -> None:
    del name  # in the test id only
    bad = change(timeline, timeline.entries[base].entry)
    with pytest.raises(error) as caught:
        validate_entry(bad, timeline.spec, resolve=timeline.index.resolve)
    assert getattr(caught.value, "field", None) == field, str(caught.value)


def test_every_protocol_type_has_a_malformed_variant() -> None:
    assert {base for _, base, *_ in MALFORMED} >= set(PROTOCOL_TYPES)


# -- the envelope against the treaty, and references -------------------------------------


def test_envelope_fields_are_checked_against_the_treaty(timeline: Timeline) -> None:
    e = timeline.entries["commission_request"].entry
    cases = [
        (dataclasses.replace(e, treaty="strategic-p5"), "treaty"),
        (dataclasses.replace(e, sender="CN"), "sender"),
        (dataclasses.replace(e, time=at("2010-04-07T23:59:59Z")), "time"),
        (dataclasses.replace(e, type="launch_of_a_rocket"), "type"),
    ]
    for bad, field in cases:
        with pytest.raises(EntryError) as caught:
            validate_entry(bad, timeline.spec)
        assert caught.value.field == field


def test_times_after_signature_suspension_and_expiry_are_accepted(timeline: Timeline) -> None:
    e = timeline.entries["commission_request"].entry
    for when in ("2010-04-08T00:00:00Z", "2010-12-01T00:00:00Z", "2030-01-01T00:00:00Z"):
        validate_entry(dataclasses.replace(e, time=at(when)), timeline.spec)


def test_an_entry_from_the_future_is_refused_given_now(timeline: Timeline) -> None:
    e = timeline.entries["commission_request"].entry
    validate_entry(e, timeline.spec, now=e.time - dt.timedelta(minutes=5))
    with pytest.raises(EntryError) as caught:
        validate_entry(e, timeline.spec, now=e.time - dt.timedelta(minutes=5, seconds=1))
    assert caught.value.field == "time"


def test_a_reference_to_a_missing_entry_is_refused(timeline: Timeline) -> None:
    e = timeline.entries["acknowledgment"].entry
    missing = Ref(origin=US.name, index=999, leaf_hash=timeline.ref("data_exchange").leaf_hash)
    with pytest.raises(EntryError, match="no entry 999") as caught:
        validate_entry(
            dataclasses.replace(e, refs=(missing,)), timeline.spec, resolve=timeline.index.resolve
        )
    assert caught.value.field == "refs[0]"


def test_a_reference_with_the_wrong_leaf_hash_is_refused(timeline: Timeline) -> None:
    e = timeline.entries["acknowledgment"].entry
    ref = timeline.ref("data_exchange")
    wrong = dataclasses.replace(ref, leaf_hash=bytes(32))
    with pytest.raises(EntryError, match="leaf hash") as caught:
        validate_entry(
            dataclasses.replace(e, refs=(wrong,)), timeline.spec, resolve=timeline.index.resolve
        )
    assert caught.value.field == "refs[0]"
    # Without resolve, only the form of the reference is checked.
    validate_entry(dataclasses.replace(e, refs=(wrong,)), timeline.spec)


def test_a_reference_to_a_later_entry_is_refused(timeline: Timeline) -> None:
    e = timeline.entries["acknowledgment"].entry
    later = dataclasses.replace(e, refs=(timeline.ref("inspection_report"),))
    with pytest.raises(EntryError, match="later") as caught:
        validate_entry(later, timeline.spec, resolve=timeline.index.resolve)
    assert caught.value.field == "refs[0]"


def test_a_catalogue_notification_may_cite_earlier_entries(timeline: Timeline) -> None:
    e = timeline.entries["new_item"].entry
    cited = dataclasses.replace(e, refs=(timeline.ref("data_exchange"),))
    validate_entry(cited, timeline.spec, resolve=timeline.index.resolve)


def test_a_late_catalogue_notification_is_still_accepted(timeline: Timeline) -> None:
    # Lateness is a compliance finding; the late notification is its evidence.
    e = timeline.entries["new_item"].entry
    validate_entry(dataclasses.replace(e, time=at("2021-01-01T00:00:00Z")), timeline.spec)


def test_the_largest_facility_opening_fits_in_one_entry(new_start: TreatySpec) -> None:
    inventory = us_inventory_2020_09_01(new_start)
    ids = [f.id for f in inventory.facilities]
    declaration = commit(
        new_start, "US", dt.date(2020, 9, 1), inventory.items, ids, secret=b"\x07" * 32
    )
    opening = json.loads(facility_opening_to_json(open_facility(declaration, "minot_icbm")))
    big = entry(
        "pre_inspection_opening",
        "US",
        "2020-10-06T16:30:00Z",
        {"facility": "minot_icbm", "opening": opening},
        (Ref("o", 0, bytes(32)), Ref("o", 1, bytes(32))),
    )
    assert len(sign_entry(big, US)) <= 65_535
