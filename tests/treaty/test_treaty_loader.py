"""The TOML loader: the built-in specifications and reading files.

Broken specifications are in test_treaty_spec_errors.py.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pytest

from treatyledger.errors import NotFoundError, SpecError
from treatyledger.treaty import (
    DatePrecision,
    EventKind,
    Obligation,
    QuotaScope,
    builtin_names,
    load_builtin,
    load_spec,
    parse_spec,
    resolve_spec,
)

NEW_START_TEXT = (
    resources.files("treatyledger.treaty.specs").joinpath("new-start.toml").read_text("utf-8")
)

# -- the built-in specifications -----------------------------------------------------


def test_builtin_names() -> None:
    """Both shipped specifications are listed, sorted."""
    assert builtin_names() == ["new-start", "strategic-p5"]


@pytest.mark.parametrize("name", ["new-start", "strategic-p5"])
def test_builtins_load_and_resolve(name: str) -> None:
    """Each built-in loads by name, directly or through resolve_spec."""
    spec = load_builtin(name)
    assert spec.id == name
    assert resolve_spec(name) == spec


def test_new_start_matches_the_reference() -> None:
    """Dates, caps, effective date, quotas and exchange deadlines of New START."""
    spec = load_builtin("new-start")
    assert spec.illustrative is False
    assert (spec.dates.signed, spec.dates.entry_into_force, spec.dates.expiry) == (
        dt.date(2010, 4, 8),
        dt.date(2011, 2, 5),
        dt.date(2026, 2, 5),
    )
    assert [p.id for p in spec.parties] == ["US", "RU"]
    assert [(lim.id, lim.cap, lim.effective) for lim in spec.limits] == [
        ("deployed_delivery_vehicles", 700, dt.date(2018, 2, 5)),
        ("warheads", 1550, dt.date(2018, 2, 5)),
        ("launchers", 800, dt.date(2018, 2, 5)),
    ]
    assert all(not lim.party_caps for lim in spec.limits)
    inspections = spec.inspections
    assert [(t.id, t.annual_quota) for t in inspections.types] == [
        ("type_one", 10),
        ("type_two", 8),
    ]
    assert inspections.annual_quota == 18
    assert inspections.quota_scope is QuotaScope.PER_PAIR
    assert inspections.one_at_a_time is True
    type_one = inspections.type("type_one")
    assert type_one is not None
    assert type_one.reentry_vehicle_count is True
    assert type_one.notice_before_arrival == dt.timedelta(hours=32)
    assert type_one.restrictions_within == dt.timedelta(hours=1)
    assert type_one.max_duration == dt.timedelta(hours=30)
    exchange = spec.data_exchange
    assert (
        exchange.initial_within_days,
        exchange.due_within_days,
        exchange.change_notice_days,
    ) == (45, 30, 5)
    assert [str(d) for d in exchange.as_of] == ["03-01", "09-01"]
    assert exchange.warheads_change_only_at_exchange is True
    assert spec.commission.sessions_per_year == 2


def test_new_start_events() -> None:
    """The agreed pause, the Russian exemption and the Russian suspension."""
    spec = load_builtin("new-start")
    (pause,) = (e for e in spec.events if e.kind is EventKind.PAUSE)
    assert (pause.date, pause.precision, pause.by, pause.agreed) == (
        dt.date(2020, 3, 1),
        DatePrecision.MONTH,
        ("US", "RU"),
        True,
    )
    assert pause.affects == (Obligation.INSPECTIONS,)
    assert pause.date_text() == "2020-03"
    (exemption,) = (e for e in spec.events if e.kind is EventKind.EXEMPTION)
    assert (exemption.date, exemption.by, exemption.agreed) == (dt.date(2022, 8, 8), ("RU",), False)
    assert exemption.date_text() == "2022-08-08"
    (suspension,) = (e for e in spec.events if e.kind is EventKind.SUSPENSION)
    assert (suspension.date, suspension.by) == (dt.date(2023, 2, 21), ("RU",))
    assert Obligation.DATA_EXCHANGE in suspension.affects
    assert [e.date for e in spec.events] == sorted(e.date for e in spec.events)


def test_new_start_unverified_values() -> None:
    """Every value the reference could not confirm is listed with its full path."""
    unverified = load_builtin("new-start").unverified
    assert len(unverified) == len(set(unverified))
    assert set(unverified) == {
        "limits[2].counting",
        "data_exchange.special[0].due_within_days",
        "inspections.types[0].notice_before_arrival",
        "inspections.types[0].designation_within",
        "inspections.types[0].max_duration",
        "inspections.types[1].facility_kinds",
        "inspections.types[1].notice_before_arrival",
        "inspections.types[1].designation_within",
        "inspections.types[1].max_duration",
        "inspections.quota_year_start",
        "inspections.max_per_site_per_year",
    }


def test_strategic_p5_is_illustrative() -> None:
    """The multilateral specification says it is not a real treaty."""
    spec = load_builtin("strategic-p5")
    assert spec.illustrative is True
    assert [p.id for p in spec.parties] == ["US", "RU", "CN", "GB", "FR"]
    assert spec.inspections.quota_scope is QuotaScope.PER_INSPECTED_PARTY
    assert spec.unverified == ()


def test_unknown_builtin_is_not_found() -> None:
    """An unknown name lists the built-in ones."""
    with pytest.raises(NotFoundError, match="new-start, strategic-p5"):
        load_builtin("new-begin")
    with pytest.raises(NotFoundError, match="new-start, strategic-p5"):
        resolve_spec("new-begin")


# -- files ---------------------------------------------------------------------------


def test_load_spec_from_a_file_equals_the_builtin(tmp_path: Path) -> None:
    """A copy of the built-in text on disk loads to the same specification."""
    path = tmp_path / "copy.toml"
    path.write_text(NEW_START_TEXT, encoding="utf-8")
    assert load_spec(path) == load_builtin("new-start")
    assert resolve_spec(str(path)) == load_builtin("new-start")


def test_load_spec_on_a_missing_file(tmp_path: Path) -> None:
    """A missing file is a SpecError naming it."""
    path = tmp_path / "absent.toml"
    for load in (lambda: load_spec(path), lambda: resolve_spec(str(path))):
        with pytest.raises(SpecError) as err:
            load()
        assert (err.value.source, err.value.field) == (str(path), "")
        assert err.value.problem.startswith("cannot read")


def test_load_spec_on_a_non_utf8_file(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are refused as such."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(NEW_START_TEXT.encode("utf-8").replace(b"Prague", b"Praha \xe9"))
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert (err.value.source, err.value.field, err.value.problem) == (
        str(path),
        "",
        "is not UTF-8 text",
    )
    assert "(document)" in err.value.diagnostics()


def test_party_caps_can_mark_a_cap_unverified() -> None:
    source = Path(__file__).parents[2] / "src/treatyledger/treaty/specs/strategic-p5.toml"
    text = source.read_text(encoding="utf-8").replace("FR = 300", 'FR = 300\nunverified = ["FR"]')
    spec = parse_spec(text, source="p5.toml")
    assert spec.unverified == ("limits[1].party_caps.FR",)
    assert dict(spec.limits[1].party_caps) == {"GB": 260, "FR": 300}
