"""Broken treaty specifications: each edit of new-start.toml fails at its exact field."""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

import pytest

from treatyledger.errors import SpecError
from treatyledger.treaty import load_builtin, parse_spec

NEW_START_TEXT = (
    resources.files("treatyledger.treaty.specs").joinpath("new-start.toml").read_text("utf-8")
)


def edit(old: str, new: str, text: str = NEW_START_TEXT) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def spec_error(text: str) -> SpecError:
    """The SpecError that parsing ``text`` raises."""
    with pytest.raises(SpecError) as err:
        parse_spec(text, source="broken.toml")
    assert err.value.source == "broken.toml"
    return err.value


class Broken(NamedTuple):
    """One way to break new-start.toml, and the error it must give."""

    id: str
    old: str
    new: str
    field: str
    problem: str


NOTICE_LINE = (
    'notice_before_arrival = "32h"     # UNVERIFIED: about 32 hours\' notice before arrival\n'
)
MAX_DURATION_LINE = 'max_duration = "30h"              # UNVERIFIED: about 30 hours at the site\n'
BROKEN = [
    Broken(
        "missing_treaty_table",
        "[treaty]\nid",
        "[treaty_info]\nid",
        "treaty",
        "is required but missing",
    ),
    Broken(
        "typo_in_treaty",
        "illustrative = false",
        "ilustrative = false",
        "treaty.ilustrative",
        "is not a known field here",
    ),
    Broken(
        "typo_in_dates",
        "expiry = 2026",
        "expires = 2026",
        "dates.expires",
        "is not a known field here",
    ),
    Broken(
        "typo_in_counting_rule",
        'note = "reentry',
        'notes = "reentry',
        "limits[1].counting[0].notes",
        "is not a known field here",
    ),
    Broken(
        "typo_in_limit",
        'unverified = ["counting"]',
        'unverifed = ["counting"]',
        "limits[2].unverifed",
        "is not a known field here",
    ),
    Broken(
        "typo_in_special_exchange",
        "replaces = 2018",
        "replace = 2018",
        "data_exchange.special[0].replace",
        "is not a known field here",
    ),
    Broken(
        "typo_in_payload_field",
        'type = "date", required',
        'type = "date", requred',
        "notifications[5].fields[3].requred",
        "is not a known field here",
    ),
    Broken(
        "typo_in_deadline",
        'before = "6h", event = "departs_at"',
        'before = "6h", event = "departs_at", within = "1h"',
        "notifications[6].deadline.within",
        "is not a known field here",
    ),
    Broken(
        "typo_in_event",
        "agreed = true\naffects",
        "agred = true\naffects",
        "events[0].agred",
        "is not a known field here",
    ),
    Broken(
        "unknown_top_level_table",
        "[commission]\n",
        "[extra]\nx = 1\n[commission]\n",
        "extra",
        "is not a known field here",
    ),
    Broken(
        "negative_cap",
        "cap = 700",
        "cap = -700",
        "limits[0].cap",
        "expected a non-negative integer, got -700",
    ),
    Broken(
        "cap_as_string",
        "cap = 800",
        'cap = "800"',
        "limits[2].cap",
        "expected a non-negative integer, got '800'",
    ),
    Broken(
        "cap_as_boolean",
        "cap = 1550",
        "cap = true",
        "limits[1].cap",
        "expected a non-negative integer, got True",
    ),
    Broken(
        "effective_date_quoted",
        "cap = 700\neffective = 2018-02-05",
        'cap = 700\neffective = "2018-02-05"',
        "limits[0].effective",
        "expected a date such as 2011-02-05 (unquoted), got '2018-02-05'",
    ),
    Broken(
        "effective_before_entry_into_force",
        "cap = 800\neffective = 2018-02-05",
        "cap = 800\neffective = 2011-02-04",
        "limits[2].effective",
        "is not a day on which the treaty is in force",
    ),
    Broken(
        "unknown_kind_in_counting_rule",
        'kinds = ["icbm", "slbm", "heavy_bomber"]',
        'kinds = ["icbm", "slbm", "heavy_bomer"]',
        "limits[0].counting[0].kinds",
        "unknown item kind 'heavy_bomer'",
    ),
    Broken(
        "unknown_status_in_counting_rule",
        'statuses = ["deployed", "non_deployed", "test"]',
        'statuses = ["deployed", "non_deployed", "tests"]',
        "limits[2].counting[0].statuses",
        "unknown status 'tests'",
    ),
    Broken(
        "warheads_counted_for_kind_without_warheads",
        'statuses = ["deployed", "non_deployed", "test"], each = "item"',
        'statuses = ["deployed", "non_deployed", "test"], each = "warheads"',
        "limits[2].counting[0].each",
        "counts warheads, but item kind 'heavy_bomber' carries none",
    ),
    Broken(
        "each_not_item_warheads_or_number",
        'statuses = ["deployed"], each = "item"',
        'statuses = ["deployed"], each = "one"',
        "limits[0].counting[0].each",
        "expected 'item', 'warheads' or a non-negative integer, got 'one'",
    ),
    Broken(
        "empty_counting",
        'counting = [\n    { kinds = ["icbm", "slbm", "heavy_bomber"]',
        'counting = []\nx = [\n    { kinds = ["icbm", "slbm", "heavy_bomber"]',
        "limits[0].counting",
        "needs at least one entry",
    ),
    Broken(
        "two_rules_count_the_same_kind_and_status",
        'kinds = ["heavy_bomber"], statuses',
        'kinds = ["heavy_bomber", "slbm"], statuses',
        "limits[1]",
        "counting rules 0 and 1 both count slbm items with status deployed",
    ),
    Broken(
        "duplicate_party_id", 'id = "RU"', 'id = "US"', "parties[1].id", "'US' is declared twice"
    ),
    Broken(
        "party_id_lowercase",
        'id = "RU"',
        'id = "ru"',
        "parties[1]",
        "a party id is 2 or 3 capital letters, got 'ru'",
    ),
    Broken(
        "unknown_party_in_party_caps",
        "cap = 1550",
        "cap = 1550\nparty_caps = { GB = 260 }",
        "limits[1].party_caps",
        "unknown party 'GB'",
    ),
    Broken(
        "negative_party_cap",
        "cap = 1550",
        "cap = 1550\nparty_caps = { RU = -1 }",
        "limits[1].party_caps.RU",
        "expected a non-negative integer, got -1",
    ),
    Broken(
        "unknown_party_in_event_by",
        'by = ["US"]\nsummary = "The United States found',
        'by = ["UK"]\nsummary = "The United States found',
        "events[4].by",
        "unknown party 'UK'",
    ),
    Broken(
        "party_twice_in_event_by",
        'by = ["US", "RU"]\nagreed = true\naffects',
        'by = ["US", "US"]\nagreed = true\naffects',
        "events[0].by",
        "'US' is listed twice",
    ),
    Broken(
        "agreed_event_with_one_party",
        'by = ["US", "RU"]\nagreed = true\naffects',
        'by = ["US"]\nagreed = true\naffects',
        "events[0]",
        "an agreed event needs at least two parties in 'by'",
    ),
    Broken(
        "month_precision_not_first_of_month",
        "date = 2020-03-01",
        "date = 2020-03-15",
        "events[0]",
        "an event known to the month is dated the first of that month",
    ),
    Broken(
        "unknown_event_kind",
        'kind = "finding"',
        'kind = "verdict"',
        "events[4].kind",
        "got 'verdict'",
    ),
    Broken(
        "unknown_obligation",
        'affects = ["commission"]',
        'affects = ["comission"]',
        "events[3].affects",
        "'comission' is not one of",
    ),
    Broken(
        "bad_duration_32_hours",
        NOTICE_LINE,
        'notice_before_arrival = "32 hours"\n',
        "inspections.types[0].notice_before_arrival",
        "expected a duration such as '5d', '32h', '1d12h' or '90m', got '32 hours'",
    ),
    Broken(
        "duration_too_long",
        MAX_DURATION_LINE,
        'max_duration = "99999999999999d"\n',
        "inspections.types[0].max_duration",
        "the duration '99999999999999d' is too long",
    ),
    Broken(
        "deadline_names_a_non_field",
        'event = "launch_at"',
        'event = "launched_at"',
        "notifications[7]",
        "the deadline refers to 'launched_at', which is not a payload field",
    ),
    Broken(
        "deadline_event_not_a_time",
        'before = "24h", event = "launch_at"',
        'before = "24h", event = "missile_type"',
        "notifications[7]",
        "the deadline's event field 'missile_type' must be a required date or datetime",
    ),
    Broken(
        "deadline_with_after_and_before",
        'before = "24h", event',
        'before = "24h", after = "1h", event',
        "notifications[7].deadline",
        "give exactly one of 'after' or 'before'",
    ),
    Broken(
        "deadline_with_neither",
        '{ before = "14d", event = "starts_at" }',
        '{ event = "starts_at" }',
        "notifications[8].deadline",
        "give exactly one of 'after' or 'before'",
    ),
    Broken(
        "bad_field_type",
        '{ name = "missile_type", type = "string" }',
        '{ name = "missile_type", type = "text" }',
        "notifications[7].fields[1].type",
        "got 'text'",
    ),
    Broken(
        "quota_year_start_not_mm_dd",
        'quota_year_start = "02-05"',
        'quota_year_start = "2-5"',
        "inspections.quota_year_start",
        "expected a recurring day as 'MM-DD', got '2-5'",
    ),
    Broken(
        "quota_year_start_29_february",
        'quota_year_start = "02-05"',
        'quota_year_start = "02-29"',
        "inspections.quota_year_start",
        "29 February does not recur every year",
    ),
    Broken(
        "as_of_day_malformed",
        'as_of = ["03-01", "09-01"]',
        'as_of = ["3-1", "09-01"]',
        "data_exchange.as_of",
        "expected a recurring day as 'MM-DD', got '3-1'",
    ),
    Broken(
        "regular_from_not_an_as_of_day",
        "regular_from = 2011-09-01",
        "regular_from = 2011-09-02",
        "data_exchange",
        "regular_from 2011-09-02 is not one of the as-of days",
    ),
    Broken(
        "expiry_before_entry_into_force",
        "expiry = 2026-02-05",
        "expiry = 2011-02-05",
        "dates",
        "expiry must come after entry into force",
    ),
    Broken(
        "unverified_names_a_missing_key",
        'unverified = ["counting"]',
        'unverified = ["counting", "cpa"]',
        "limits[2].unverified",
        "names 'cpa', which is not a field here",
    ),
    Broken(
        "unknown_facility_kind_in_inspection_type",
        'facility_kinds = ["icbm_base", "submarine_base", "air_base"]',
        'facility_kinds = ["icbm_base", "submarine_base", "airbase"]',
        "inspections.types[0].facility_kinds",
        "unknown facility kind 'airbase'",
    ),
    Broken(
        "unknown_quota_scope",
        'quota_scope = "per_pair"',
        'quota_scope = "pairwise"',
        "inspections.quota_scope",
        "got 'pairwise'",
    ),
    Broken(
        "treaty_id_not_kebab_case",
        'id = "new-start"',
        'id = "New_START"',
        "treaty.id",
        "must be lower-case words joined by '-'",
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[b.id for b in BROKEN])
def test_broken_specification_names_field_and_problem(case: Broken) -> None:
    """Each broken specification fails at the exact field with a precise problem."""
    error = spec_error(edit(case.old, case.new))
    assert error.field == case.field
    assert case.problem in error.problem
    assert str(error) == f"broken.toml: {case.field}: {error.problem}"


def test_not_toml() -> None:
    """Text that is not TOML is refused for the whole document."""
    error = spec_error(edit("[dates]", "[dates"))
    assert error.field == ""
    assert error.problem.startswith("not valid TOML")


def test_one_party_is_not_a_treaty() -> None:
    """A treaty needs at least two parties (events by RU removed to isolate the rule)."""
    text = edit('[[parties]]\nid = "RU"\nname = "Russian Federation"\n', "")
    text = text.replace('"RU"', '"US"').replace('["US", "US"]', '["US"]')
    text = text.replace("agreed = true\n", "")
    error = spec_error(text)
    assert (error.field, error.problem) == ("parties", "a treaty needs at least two parties")


def test_typo_of_a_required_key_reports_it_missing() -> None:
    """A misspelt required key is reported as missing (it is read before the check)."""
    error = spec_error(edit("sessions_per_year = 2", "session_per_year = 2"))
    assert error.field == "commission.sessions_per_year"
    assert error.problem.startswith("is required but missing")


def test_the_unverified_list_may_not_name_itself() -> None:
    """``unverified`` lists values, never itself."""
    error = spec_error(edit('unverified = ["counting"]', 'unverified = ["unverified"]'))
    assert error.field == "limits[2].unverified"


def test_diagnostics_name_source_field_and_problem() -> None:
    """The text shown to users has all three parts."""
    error = spec_error(edit("cap = 700", "cap = -1"))
    assert error.diagnostics() == (
        "invalid treaty specification broken.toml\n"
        "  field:   limits[0].cap\n"
        "  problem: expected a non-negative integer, got -1"
    )


def test_edits_apply_to_an_otherwise_valid_text() -> None:
    """The unedited text parses, so each failure above is due to its edit alone."""
    assert parse_spec(NEW_START_TEXT, source="ok.toml") == load_builtin("new-start")
