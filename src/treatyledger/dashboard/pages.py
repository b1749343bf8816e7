"""What the pages show, computed from the verified logs: rows, one entry's proof, limit status."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from treatyledger.compliance.reading import LoggedEntry, LoggedLog
from treatyledger.dashboard.ledgers import LogView
from treatyledger.ledger.envelope import entry_text, thaw
from treatyledger.log.note import encode_base64
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "EntryDetail",
    "EntryRow",
    "LimitRow",
    "PartyStatus",
    "entry_detail",
    "entry_rows",
    "limit_status",
]

_SUMMARY = 140


@dataclass(frozen=True)
class EntryRow:
    """One entry of a log page: where it is and what it says, briefly."""

    index: int
    type: str
    sender: str
    time: str
    summary: str


@dataclass(frozen=True)
class EntryDetail:
    """One entry with everything a browser needs to verify it was logged."""

    row: EntryRow
    text: str
    entry_b64: str
    leaf_hash: str
    proof: tuple[str, ...]
    size: int
    checkpoint: str
    vkey: str
    refs: tuple[str, ...]
    attested: str | None
    tampered: bool

    def data(self) -> dict[str, Any]:
        """The JSON the page carries for the verification script."""
        return {
            "index": self.row.index,
            "size": self.size,
            "entry": self.entry_b64,
            "proof": list(self.proof),
            "checkpoint": self.checkpoint,
            "vkey": self.vkey,
        }


@dataclass(frozen=True)
class LimitRow:
    """One limit at a party's latest exchange."""

    limit: str
    name: str
    total: int
    cap: int

    @property
    def headroom(self) -> int:
        """Cap minus total; negative above the cap."""
        return self.cap - self.total

    @property
    def within(self) -> bool:
        """Whether the total is at or below the cap."""
        return self.total <= self.cap


@dataclass(frozen=True)
class PartyStatus:
    """A party's latest logged exchange against the limits in force on its date."""

    party: str
    as_of: str | None
    index: int | None
    rows: tuple[LimitRow, ...]


def _summary(logged: LoggedEntry) -> str:
    if logged.entry is None:
        return f"unreadable: {logged.problem}"
    if logged.exchange is not None:
        totals = ", ".join(f"{k} {v:,}" for k, v in sorted(logged.exchange.totals.items()))
        return f"as of {logged.exchange.as_of}: {totals}"
    text = json.dumps(thaw(logged.entry.payload), sort_keys=True, separators=(", ", ": "))
    text = text.removeprefix("{").removesuffix("}")
    return text if len(text) <= _SUMMARY else text[: _SUMMARY - 1] + "…"


def _row(logged: LoggedEntry) -> EntryRow:
    entry = logged.entry
    return EntryRow(
        index=logged.index,
        type=entry.type if entry else "?",
        sender=entry.sender if entry else "?",
        time=f"{entry.time:%Y-%m-%d %H:%M:%SZ}" if entry else "?",
        summary=_summary(logged),
    )


def entry_rows(log: LoggedLog, start: int, stop: int) -> list[EntryRow]:
    """The rows of entries ``start`` to ``stop`` (exclusive), in log order."""
    return [_row(logged) for logged in log.entries[start:stop]]


def entry_detail(log: LoggedLog, index: int, *, tamper: bool = False) -> EntryDetail:
    """Entry ``index`` with its proof against the signed checkpoint.

    ``tamper`` alters one proof hash (the entry itself when the proof is
    empty), so that the browser's verification must fail: for tests only.
    """
    logged = log.entries[index]
    proof = [bytearray(h) for h in log.proof(index)]
    note = bytearray(logged.note)
    if tamper:
        target = proof[0] if proof else note
        target[0] ^= 0x01
    entry = logged.entry
    attestation = log.attestation(index)
    return EntryDetail(
        row=_row(logged),
        text=(
            json.dumps(json.loads(entry_text(entry)), indent=2, ensure_ascii=False)
            if entry is not None
            else logged.note.decode("utf-8", "replace")
        ),
        entry_b64=encode_base64(bytes(note)),
        leaf_hash=logged.leaf_hash.hex(),
        proof=tuple(encode_base64(bytes(h)) for h in proof),
        size=log.size,
        checkpoint=log.signed_checkpoint.decode("utf-8"),
        vkey=log.vkey,
        refs=tuple(f"{r.origin} #{r.index}" for r in entry.refs) if entry else (),
        attested=(
            f"{attestation.witness} at {attestation.time:%Y-%m-%d %H:%M:%SZ}"
            if attestation is not None
            else None
        ),
        tampered=tamper,
    )


def limit_status(spec: TreatySpec, views: Sequence[LogView]) -> list[PartyStatus]:
    """Each party's latest exchange in its own log against the limits in force then."""
    out = []
    for view in views:
        latest = None
        for logged in view.log.entries:
            exchange = logged.exchange
            if (
                exchange is not None
                and exchange.party == view.party
                and (latest is None or exchange.as_of >= latest[1].as_of)
            ):
                latest = (logged, exchange)
        if latest is None:
            out.append(PartyStatus(view.party, None, None, ()))
            continue
        logged, exchange = latest
        rows = tuple(
            LimitRow(
                limit=lim.id,
                name=lim.name,
                total=exchange.totals.get(lim.id, 0),
                cap=lim.cap_for(view.party),
            )
            for lim in spec.limits_in_force(exchange.as_of)
        )
        out.append(PartyStatus(view.party, exchange.as_of.isoformat(), logged.index, rows))
    return out
