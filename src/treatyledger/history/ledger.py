"""A small builder of party logs in memory: entries queued with their times, logged in order.

Used to replay a documented sequence of events as the logs the parties would
have kept. Entries are queued with a key, a time and the keys of the entries
they refer to; :meth:`HistoryLedger.play` signs and logs them in time order
(each party's log integrated after every entry, so the export carries a
checkpoint per entry) and returns each party's verified log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from treatyledger.compliance import LoggedLog, read_log
from treatyledger.ledger import Entry, Ref, ref_to, sign_entry
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore

__all__ = ["HistoryLedger", "Queued", "demo_signer", "export", "read_export"]


def demo_signer(origin: str, label: str) -> Signer:
    """A deterministic log key derived from a published label: a demonstration key.

    Anyone can derive it, so a log signed with it proves only that it is
    consistent with itself, never who wrote it. The replay is reproducible
    byte for byte because of it.
    """
    seed = hashlib.sha256(f"treatyledger demonstration key: {label}".encode()).digest()
    return Signer(name=origin, seed=seed)


@dataclass(frozen=True)
class Queued:
    """One entry waiting to be logged."""

    key: str
    time: dt.datetime
    sender: str
    type: str
    payload: Mapping[str, Any]
    refs: tuple[str, ...] = ()
    raw_note: bytes | None = None
    """A note already signed (a data exchange); logged as it is."""


@dataclass
class HistoryLedger:
    """Queued entries of several parties, logged in time order when played."""

    treaty: str
    signers: Mapping[str, Signer]
    queued: list[Queued] = field(default_factory=list)

    def add(  # noqa: PLR0917 (an entry's fields, in the order an entry lists them)
        self,
        key: str,
        time: dt.datetime,
        sender: str,
        entry_type: str,
        payload: Mapping[str, Any],
        refs: Sequence[str] = (),
    ) -> None:
        """Queue an entry; ``refs`` are keys of entries queued (and timed) before it."""
        if any(q.key == key for q in self.queued):
            raise ValueError(f"entry key {key!r} is queued twice")
        self.queued.append(Queued(key, time, sender, entry_type, payload, tuple(refs)))

    def add_note(self, key: str, time: dt.datetime, sender: str, note: bytes) -> None:
        """Queue a note signed elsewhere (a data exchange) to be logged as it is."""
        self.queued.append(Queued(key, time, sender, "", {}, (), raw_note=note))

    def play(self) -> tuple[dict[str, TransparencyLog], dict[str, Ref]]:
        """Log every queued entry in time order; the logs, and each entry's reference."""
        logs = {
            party: TransparencyLog(
                store=MemoryStore(), origin=signer.name, verifier=signer.verifier(), signer=signer
            )
            for party, signer in self.signers.items()
        }
        for log in logs.values():
            log.integrate()
        refs: dict[str, Ref] = {}
        order = sorted(range(len(self.queued)), key=lambda i: (self.queued[i].time, i))
        for i in order:
            q = self.queued[i]
            signer = self.signers[q.sender]
            if q.raw_note is not None:
                note = q.raw_note
            else:
                missing = [k for k in q.refs if k not in refs]
                if missing:
                    raise ValueError(f"{q.key} refers to {missing}, not logged before it")
                entry = Entry(
                    type=q.type,
                    treaty=self.treaty,
                    sender=q.sender,
                    time=q.time,
                    payload=dict(q.payload),
                    refs=tuple(refs[k] for k in q.refs),
                )
                note = sign_entry(entry, signer)
            log = logs[q.sender]
            [index] = log.append([note])
            log.integrate()
            refs[q.key] = ref_to(signer.name, index, note)
        return logs, refs


def export(log: TransparencyLog, signer: Signer) -> dict[str, bytes]:
    """The static tiles export of ``log`` with its ``vkey`` file."""
    files = dict(export_files(log))
    files["vkey"] = (signer.verifier().vkey() + "\n").encode("ascii")
    return files


def read_export(files: Mapping[str, bytes], signer: Signer) -> LoggedLog:
    """Read an export back through the compliance reader (verifying it)."""

    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return read_log(fetch, signer.verifier())
