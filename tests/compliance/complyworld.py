"""Two party logs built in memory for the compliance tests, exported and read back."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from treatyledger.compliance import Finding, LoggedLog, check_compliance, read_log
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import Entry, Ref, ref_to, sign_entry
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer, sign_note
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore
from treatyledger.treaty import Item, TreatySpec, load_builtin

US = Signer(name="example.org/us/log", seed=bytes(range(32)))
RU = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))
SIGNERS = {"US": US, "RU": RU}
SPEC = load_builtin("new-start")


def at(text: str) -> dt.datetime:
    """A UTC time from ``YYYY-MM-DDTHH:MM:SSZ`` or ``YYYY-MM-DD``."""
    if "T" not in text:
        text += "T00:00:00Z"
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def fetcher(files: dict[str, bytes]) -> Callable[[str], bytes]:
    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return fetch


@functools.cache
def exchange_note(as_of: str, time: str, *, extra_launchers: int = 0, totals_off: int = 0) -> bytes:
    """The US data exchange of the fixture inventory, optionally with launchers added.

    ``totals_off`` changes the declared launcher total after the commitment is made,
    so the totals no longer check against it.
    """
    inventory = us_inventory_2020_09_01(SPEC)
    extra = [
        Item(f"US-XTRA-{n:04d}", "icbm_launcher", "minuteman_iii", "non_deployed", "vandenberg")
        for n in range(extra_launchers)
    ]
    declaration = commit(
        SPEC,
        "US",
        dt.date.fromisoformat(as_of),
        [*inventory.items, *extra],
        [f.id for f in inventory.facilities],
        secret=b"\x07" * 32,
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    exchange = build_exchange(declaration, kinds, clock=lambda: at(time))
    text = exchange_entry_text(exchange)
    if totals_off:
        doc = json.loads(text)
        doc["payload"]["totals"]["launchers"] += totals_off
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
        return sign_note(text, [US])
    return sign_exchange(text, US)


class World:
    """The US and Russian logs; entries are signed by their sender's log key."""

    def __init__(self) -> None:
        self.notes: dict[str, list[bytes]] = {"US": [], "RU": []}

    def note(self, party: str, note: bytes) -> Ref:
        """Log a signed note as it is; its reference."""
        self.notes[party].append(note)
        return ref_to(SIGNERS[party].name, len(self.notes[party]) - 1, note)

    def add(
        self,
        kind: str,
        sender: str,
        time: str,
        payload: dict[str, Any] | None = None,
        refs: Iterable[Ref] = (),
    ) -> Ref:
        """Sign and log an entry; its reference."""
        entry = Entry(
            type=kind,
            treaty="new-start",
            sender=sender,
            time=at(time),
            payload=payload or {},
            refs=tuple(refs),
        )
        return self.note(sender, sign_entry(entry, SIGNERS[sender]))

    def request(self, sender: str, time: str, arrival: str, *, kind: str = "type_one") -> Ref:
        """An inspection request of the other party."""
        return self.add(
            "inspection_request",
            sender,
            time,
            {
                "inspection_type": kind,
                "inspected_party": "US" if sender == "RU" else "RU",
                "point_of_entry": "Washington Dulles International Airport",
                "arrival_at": arrival,
            },
        )

    def files(self, party: str) -> dict[str, bytes]:
        """The party's log, exported as a tiles tree (with its vkey)."""
        signer = SIGNERS[party]
        log = TransparencyLog(
            store=MemoryStore(), origin=signer.name, verifier=signer.verifier(), signer=signer
        )
        log.integrate()
        if self.notes[party]:
            log.append(self.notes[party])
            log.integrate()
        files = dict(export_files(log))
        files["vkey"] = (signer.verifier().vkey() + "\n").encode()
        return files

    def write(self, party: str, folder: Path) -> Path:
        """The party's export written into ``folder``."""
        for path, data in self.files(party).items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder

    def logs(self) -> list[LoggedLog]:
        return [read_log(fetcher(self.files(p)), SIGNERS[p].verifier()) for p in ("US", "RU")]

    def findings(
        self, now: str, *, since: str | None = None, spec: TreatySpec = SPEC
    ) -> list[Finding]:
        return check_compliance(self.logs(), spec, now=at(now), since=at(since) if since else None)


def of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]
