"""How the exercise reaches the parties' logs: the contract, and an in-memory transport.

The year (:mod:`treatyledger.exercise.year`) is written against
:class:`Transport`: append a signed note to a party's own log, read its latest
checkpoint, run a witnessing round, export a log. :class:`MemoryTransport`
keeps the logs in memory (for fast statistical runs); the node transport
(:mod:`treatyledger.exercise.cluster`) runs one real node per party on
loopback and goes over HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from treatyledger.errors import InputError
from treatyledger.ledger import Ref, ref_to
from treatyledger.log.export import export_files
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage.memory import MemoryStore

__all__ = ["MemoryTransport", "Transport"]


class Transport(Protocol):
    """The parties' logs, as the exercise uses them."""

    def append(self, party: str, note: bytes, *, cites: Sequence[Ref] = ()) -> Ref:
        """Append ``note`` (signed by the party's log key) to its log, durably; its reference.

        ``cites``: the entries the note refers to; a node accepts it only once it
        holds them (another party's, in its verified mirror).
        """
        ...

    def checkpoint(self, party: str) -> bytes:
        """The party's latest signed checkpoint."""
        ...

    def witness_round(self) -> None:
        """Let every party witness (and mirror) the others' logs once."""
        ...

    def equivocate(self, party: str) -> None:
        """Show the other parties' witnesses a rewritten history of the party's log."""
        ...

    def export(self, party: str) -> dict[str, bytes]:
        """The party's log as a static tiles tree with ``vkey`` (and ``witness-vkey``)."""
        ...

    def close(self) -> None:
        """Stop whatever the transport started."""
        ...


class MemoryTransport:
    """Logs in memory, integrated after every append; no witnesses."""

    def __init__(self, signers: Mapping[str, Signer]) -> None:
        self._signers = dict(signers)
        self._logs: dict[str, TransparencyLog] = {}
        for party, signer in signers.items():
            log = TransparencyLog(
                store=MemoryStore(), origin=signer.name, verifier=signer.verifier(), signer=signer
            )
            log.integrate()
            self._logs[party] = log

    def append(self, party: str, note: bytes, *, cites: Sequence[Ref] = ()) -> Ref:
        """Append and integrate at once (every log is at hand: nothing to mirror first)."""
        del cites
        log = self._logs[party]
        [index] = log.append([note])
        log.integrate()
        return ref_to(log.origin, index, note)

    def checkpoint(self, party: str) -> bytes:
        """The latest checkpoint."""
        return self._logs[party].checkpoint()

    def witness_round(self) -> None:
        """No witnesses in memory."""

    def equivocate(self, party: str) -> None:
        """There is no witness in memory to show another history to."""
        raise InputError(
            f"the equivocating-log scenario needs witnesses: run it through the parties' nodes "
            f"(treaty exercise), not in memory ({party})"
        )

    def export(self, party: str) -> dict[str, bytes]:
        """The export with its vkey."""
        log = self._logs[party]
        files = dict(export_files(log))
        files["vkey"] = (self._signers[party].verifier().vkey() + "\n").encode("ascii")
        return files

    def close(self) -> None:
        """Nothing to stop."""
