"""Two party logs in memory for the draw tests: RU draws the sites of US Type One inspections."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from treatyledger.assurance import commitment_entry
from treatyledger.compliance import LoggedLog, read_log
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.sumtree import commit
from treatyledger.ledger import Entry, Ref, ref_to, sign_entry
from treatyledger.ledger.exchange import build_exchange, exchange_entry_text, sign_exchange
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore
from treatyledger.treaty import load_builtin

US = Signer(name="example.org/us/log", seed=bytes(range(32)))
RU = Signer(name="example.org/ru/log", seed=bytes(range(32, 64)))
SIGNERS = {"US": US, "RU": RU}
SPEC = load_builtin("new-start")
SEED = bytes(range(100, 132))
YEAR = dt.date(2021, 2, 5)
TYPE_ONE_SITES = (
    "bangor",
    "barksdale",
    "fe_warren",
    "kings_bay",
    "malmstrom",
    "minot_air",
    "minot_icbm",
    "whiteman",
)


def at(text: str) -> dt.datetime:
    """A UTC time from ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


@functools.cache
def exchange_note(as_of: str, time: str) -> bytes:
    """The US data exchange of the fixture inventory, signed."""
    inventory = us_inventory_2020_09_01(SPEC)
    declaration = commit(
        SPEC,
        "US",
        dt.date.fromisoformat(as_of),
        inventory.items,
        [f.id for f in inventory.facilities],
        secret=b"\x07" * 32,
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    exchange = build_exchange(declaration, kinds, clock=lambda: at(time))
    return sign_exchange(exchange_entry_text(exchange), US)


class World:
    """The US and Russian logs; entries are signed by their sender's log key."""

    def __init__(self) -> None:
        self.notes: dict[str, list[bytes]] = {"US": [], "RU": []}

    def note(self, party: str, note: bytes) -> Ref:
        self.notes[party].append(note)
        return ref_to(SIGNERS[party].name, len(self.notes[party]) - 1, note)

    def entry(self, entry: Entry) -> Ref:
        return self.note(entry.sender, sign_entry(entry, SIGNERS[entry.sender]))

    def add(
        self,
        kind: str,
        sender: str,
        time: str,
        payload: dict[str, Any] | None = None,
        refs: Iterable[Ref] = (),
    ) -> Ref:
        return self.entry(
            Entry(
                type=kind,
                treaty="new-start",
                sender=sender,
                time=at(time),
                payload=payload or {},
                refs=tuple(refs),
            )
        )

    def commitment(
        self, time: str = "2021-01-10T10:00:00Z", *, seed: bytes = SEED, size: int = 10
    ) -> Ref:
        return self.entry(
            commitment_entry(
                SPEC,
                sender="RU",
                seed=seed,
                inspected_party="US",
                inspection_type="type_one",
                quota_year=YEAR,
                size=size,
                time=at(time),
            )
        )

    def declaration(self, time: str = "2021-01-20T12:00:00Z") -> Ref:
        return self.note("US", exchange_note("2020-09-01", time))

    def inspect(self, facility: str, arrival: str, *, kind: str = "type_one") -> Ref:
        """An RU inspection request and its site designation on arrival."""
        day = arrival[:10]
        request = self.add(
            "inspection_request",
            "RU",
            f"{day}T00:00:00Z",
            {
                "inspection_type": kind,
                "inspected_party": "US",
                "point_of_entry": "Washington Dulles International Airport",
                "arrival_at": arrival,
            },
        )
        facility_kind = next(
            f.kind for f in us_inventory_2020_09_01(SPEC).facilities if f.id == facility
        )
        return self.add(
            "site_designation",
            "RU",
            arrival,
            {"facility": facility, "facility_kind": facility_kind},
            [request],
        )

    def files(self, party: str) -> dict[str, bytes]:
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
        for path, data in self.files(party).items():
            target = folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder

    def log(self, party: str) -> LoggedLog:
        return read_log(fetcher(self.files(party)), SIGNERS[party].verifier())


def fetcher(files: dict[str, bytes]) -> Callable[[str], bytes]:
    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return fetch


def fixed_world() -> tuple[World, Ref, Ref, Ref]:
    """Commitment, acknowledgment and declaration in order: the draw is fixed."""
    w = World()
    commitment = w.commitment()
    ack = w.add("acknowledgment", "US", "2021-01-11T09:00:00Z", refs=[commitment])
    declaration = w.declaration()
    return w, commitment, ack, declaration
