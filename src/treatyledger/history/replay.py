"""The New START record of 2020-2023 replayed as the two parties' logs, and judged.

What the public record documents (reference/new-start.md) becomes the
entries each party would have logged; the compliance engine then judges them
like any other logs. Every entry below says where it comes from:

=====================  ======  =================================================================
logged (UTC)           by      entry
=====================  ======  =================================================================
each due date 09:00    US, RU  data exchanges as of 1 March / 1 September 2020 - 2022, the
                               published totals committed over reconstructed inventories
                               (:mod:`treatyledger.record.inventories`); the partner
                               acknowledges each at 15:00
between exchanges      US, RU  change notifications for the differences between consecutive
                               reconstructed inventories (illustrative: the real ones were never
                               published), each sent two days after its change
2020-03-31 12:00       US, RU  ``pause`` of inspections by mutual agreement (the record dates it
                               to March 2020); Russia's refers to the United States'
2021-10-01             US      the last ``commission_meeting`` held (the record: October 2021)
2022-03-31 18:00       RU      ``dispute`` of the US launcher count: 901, not 800 (March 2022)
2022-08-08             RU      ``exemption`` of all its facilities from inspection
2022-10-01, 11-08      US      ``commission_request`` on resuming inspections, and the session
                               scheduled in Cairo, 29 November - 6 December 2022 (the times these
                               were logged are illustrative; the record dates the session)
2022-11-28             RU      ``commission_postponement`` of the Cairo session; never rescheduled
2023-01-31             US      ``dispute``: the United States finds Russia non-compliant on
                               inspections and the commission
2023-02-21             RU      ``suspension``: data exchange, notifications, inspections,
                               commission (law signed 28 February 2023)
2023-03-31             US      ``countermeasure``: the database withheld (the record: March 2023)
2023-05-15             US      ``published_totals`` as of 1 March 2023
2023-06-01             US      ``countermeasure``: notifications, inspections, telemetry
=====================  ======  =================================================================

Nothing is logged for the 2021 extension (a treaty event, not a party's
statement) or for Russia in March 2023 (it provided nothing). The logs are
judged as of 30 June 2023, after the last documented step; later exchanges
are outside the public record. No witness cosigned anything then, so every
time is the sender's own and the findings say so.

The keys are demonstration keys derived from published labels
(:func:`treatyledger.history.ledger.demo_signer`): the logs are reproducible
byte for byte, and prove consistency, not authorship.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from treatyledger.compliance import Finding, LoggedLog, check_compliance
from treatyledger.escrow.inventory import Inventory
from treatyledger.escrow.sumtree import commit
from treatyledger.history.ledger import HistoryLedger, demo_signer, export, read_export
from treatyledger.ledger.changes import change_notices
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.log.note import Signer
from treatyledger.record.aggregates import load_record
from treatyledger.record.inventories import reconstruct_series
from treatyledger.treaty.spec import TreatySpec

__all__ = ["JUDGED_AT", "REVIEW_FROM", "History", "replay_history"]

REVIEW_FROM = dt.datetime(2020, 3, 1, tzinfo=dt.UTC)
"""The start of the review: the month inspections were paused."""
JUDGED_AT = dt.datetime(2023, 6, 30, 23, 59, 59, tzinfo=dt.UTC)
"""The logs are judged as of the end of June 2023, after the last documented step."""

_EXCHANGES = tuple(dt.date(year, month, 1) for year in (2020, 2021, 2022) for month in (3, 9))


def _at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


@dataclass(frozen=True)
class History:
    """The replayed logs (exports and verified readings) and the findings on them."""

    spec: TreatySpec
    signers: Mapping[str, Signer]
    files: Mapping[str, Mapping[str, bytes]]
    """Per party, the static tiles export of its log with its vkey."""
    logs: Mapping[str, LoggedLog]
    findings: tuple[Finding, ...]


def _fixed(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


def _secret(party: str, as_of: dt.date) -> bytes:
    return hashlib.sha256(f"treatyledger history secret {party} {as_of}".encode()).digest()


def _spread(uid: str, start: dt.date, end: dt.date) -> dt.datetime:
    """A deterministic moment strictly after ``start`` and at most ``end`` (noon UTC)."""
    days = (end - start).days
    offset = 1 + int.from_bytes(hashlib.sha256(uid.encode()).digest()[:4], "big") % days
    return dt.datetime.combine(start + dt.timedelta(days=offset), dt.time(12), dt.UTC)


def _notifications(
    ledger: HistoryLedger,
    spec: TreatySpec,
    party: str,
    pair: tuple[Inventory, Inventory],
    period: tuple[dt.date, dt.date],
) -> None:
    """Queue the change notifications between two consecutive inventories."""
    start, end = period
    older, newer = pair

    def occurred(_n: int, uid: str) -> dt.datetime:
        return _spread(uid, start, end)

    for n, (kind, payload) in enumerate(change_notices(spec, older, newer, occurred)):
        moment = _spread(str(payload["uid"]), start, end)
        ledger.add(
            f"{party}-change-{start}-{n}", moment + dt.timedelta(days=2), party, kind, payload
        )


def _exchanges(ledger: HistoryLedger, spec: TreatySpec, signers: Mapping[str, Signer]) -> None:
    schedule = {
        s.as_of: s.due
        for s in spec.data_exchange.exchanges(
            entry_into_force=spec.dates.entry_into_force, until=_EXCHANGES[-1]
        )
    }
    for party in ("US", "RU"):
        other = "RU" if party == "US" else "US"
        series = reconstruct_series(spec, party, list(_EXCHANGES))
        for n, (as_of, inventory) in enumerate(zip(_EXCHANGES, series, strict=True)):
            due = schedule[as_of]
            sent = dt.datetime.combine(due, dt.time(9), dt.UTC)
            declaration = commit(
                spec,
                party,
                as_of,
                inventory.items,
                [f.id for f in inventory.facilities],
                secret=_secret(party, as_of),
            )
            kinds = {f.id: f.kind for f in inventory.facilities}
            exchange = build_exchange(declaration, kinds, clock=_fixed(sent))
            note = sign_exchange(exchange_entry_text(exchange), signers[party])
            key = f"{party}-exchange-{as_of}"
            ledger.add_note(key, sent, party, note)
            ledger.add(
                f"{other}-ack-{as_of}",
                sent + dt.timedelta(hours=6),
                other,
                "acknowledgment",
                {},
                [key],
            )
            if n:
                _notifications(
                    ledger, spec, party, (series[n - 1], inventory), (_EXCHANGES[n - 1], as_of)
                )


def _events(ledger: HistoryLedger, spec: TreatySpec) -> None:
    add = ledger.add
    covid = "Inspections paused by mutual agreement because of COVID-19 (March 2020)."
    add(
        "US-pause",
        _at("2020-03-31T12:00:00Z"),
        "US",
        "pause",
        {"obligations": ["inspections"], "reason": covid, "from": "2020-03-01"},
    )
    add(
        "RU-pause",
        _at("2020-03-31T12:00:00Z"),
        "RU",
        "pause",
        {"obligations": ["inspections"], "reason": covid, "from": "2020-03-01"},
        ["US-pause"],
    )
    add(
        "US-bcc-2021",
        _at("2021-10-01T12:00:00Z"),
        "US",
        "commission_meeting",
        {
            "location": "Geneva",
            "starts_on": "2021-10-01",
            "ends_on": "2021-10-01",
            "summary": "The commission's last session (October 2021; the record gives the month).",
        },
    )
    add(
        "RU-dispute-launchers",
        _at("2022-03-31T18:00:00Z"),
        "RU",
        "dispute",
        {
            "claim": "The United States' total of 800 launchers relies on 56 Trident II launchers "
            "and 41 B-52H bombers converted in ways Russia could not confirm, plus 4 "
            "undeclared training silos (March 2022).",
            "limit": "launchers",
            "count": 901,
        },
        ["US-exchange-2022-03-01"],
    )
    add(
        "RU-exemption",
        _at("2022-08-08T12:00:00Z"),
        "RU",
        "exemption",
        {
            "facilities": "all",
            "from": "2022-08-08",
            "reason": "Facilities temporarily exempt from inspection (Protocol Part Five, "
            "Section I).",
        },
    )
    add(
        "US-bcc-request",
        _at("2022-10-01T12:00:00Z"),
        "US",
        "commission_request",
        {
            "agenda": "Resumption of inspections.",
            "location": "Cairo",
            "proposed_start": "2022-11-29",
        },
    )
    add(
        "US-bcc-cairo",
        _at("2022-11-08T12:00:00Z"),
        "US",
        "commission_meeting",
        {
            "location": "Cairo",
            "starts_on": "2022-11-29",
            "ends_on": "2022-12-06",
            "summary": "Session scheduled; the time it was logged is illustrative.",
        },
        ["US-bcc-request"],
    )
    add(
        "RU-bcc-postponed",
        _at("2022-11-28T12:00:00Z"),
        "RU",
        "commission_postponement",
        {"reason": "Russia postponed the session planned for Cairo; it was never rescheduled."},
        ["US-bcc-cairo"],
    )
    add(
        "US-finding-2023",
        _at("2023-01-31T12:00:00Z"),
        "US",
        "dispute",
        {
            "claim": "The United States finds Russia non-compliant: it refuses inspections on its "
            "territory and has not convened the consultative commission."
        },
        ["RU-exemption"],
    )
    add(
        "RU-suspension",
        _at("2023-02-21T12:00:00Z"),
        "RU",
        "suspension",
        {
            "obligations": ["data_exchange", "notifications", "inspections", "commission"],
            "reason": "Russia suspends the treaty (law signed 28 February 2023); it says it will "
            "keep to the central limits and keep notifying missile launches under the "
            "1988 agreement.",
        },
    )
    add(
        "US-cm-database",
        _at("2023-03-31T12:00:00Z"),
        "US",
        "countermeasure",
        {
            "obligations": ["data_exchange"],
            "from": "2023-03-01",
            "reason": "The United States withholds its database in response to Russia's "
            "suspension, and will publish its aggregate numbers (March 2023).",
        },
        ["RU-suspension"],
    )
    record = {(r.as_of, r.party): r for r in load_record(spec).rows}
    figures = record[(dt.date(2023, 3, 1), "US")]
    assert figures.counts is not None  # the record has the US figures of March 2023
    add(
        "US-published-2023-03",
        _at("2023-05-15T12:00:00Z"),
        "US",
        "published_totals",
        {"as_of": "2023-03-01", "totals": dict(figures.counts), "source": figures.source},
    )
    add(
        "US-cm-june",
        _at("2023-06-01T12:00:00Z"),
        "US",
        "countermeasure",
        {
            "obligations": ["notifications", "inspections", "telemetry"],
            "from": "2023-06-01",
            "reason": "US countermeasures: no more treaty notifications (the 1988 and 1989 "
            "agreements' notifications kept), inspector and aircrew visas revoked, "
            "telemetry withheld.",
        },
        ["RU-suspension"],
    )


def replay_history(spec: TreatySpec) -> History:
    """Build both parties' logs from the documented record and run the compliance engine."""
    if spec.id != "new-start":
        raise ValueError("the documented history is New START's")
    signers = {
        party: demo_signer(f"history.treatyledger.invalid/{party.lower()}", f"history {party}")
        for party in ("US", "RU")
    }
    ledger = HistoryLedger(treaty=spec.id, signers=signers)
    _exchanges(ledger, spec, signers)
    _events(ledger, spec)
    logs, _ = ledger.play()
    files = {party: export(log, signers[party]) for party, log in logs.items()}
    read = {party: read_export(files[party], signers[party]) for party in signers}
    findings = check_compliance(list(read.values()), spec, now=JUDGED_AT, since=REVIEW_FROM)
    return History(spec, signers, files, read, tuple(findings))
