"""The logs a node holds, read back verified, as the compliance engine reads them.

:class:`NodeLedgers` reads this node's own log and each registered party's
verified mirror as a :class:`~treatyledger.compliance.LoggedLog` (exported in
memory and verified, as ``read_live_log`` does), and keeps each until its
checkpoint changes, so pages stay fast while the logs grow.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from treatyledger.compliance.reading import LoggedLog, read_log
from treatyledger.errors import NotFoundError
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.export import export_files
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.node.node import Node

__all__ = ["LogView", "NodeLedgers"]


@dataclass(frozen=True)
class LogView:
    """One party's log as this node holds it: its own, or a verified mirror."""

    party: str
    own: bool
    log: LoggedLog


def _fetcher(files: dict[str, bytes]) -> Callable[[str], bytes]:
    def fetch(path: str) -> bytes:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return fetch


class NodeLedgers:
    """Every log the node holds, verified; re-read only when a checkpoint changes."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[bytes, LoggedLog]] = {}

    def parties(self) -> list[str]:
        """This node's party first, then the registered parties in registry order."""
        return [self._node.party, *(p.name for p in self._node.registry.all())]

    def _sources(self) -> dict[str, tuple[TransparencyLog, str | None]]:
        node = self._node
        # The node's read connection, never its writer's (the sequencer thread commits on that).
        own = TransparencyLog(store=node.reader, origin=node.log.origin, verifier=node.log.verifier)
        sources: dict[str, tuple[TransparencyLog, str | None]] = {
            node.party: (own, node.identity.witness_vkey)
        }
        for party in node.registry.all():
            mirror = TransparencyLog(
                store=node.mirror_store(party.name),
                origin=party.origin,
                verifier=party.verifier(),
            )
            sources[party.name] = (mirror, party.witness_vkey)
        return sources

    def views(self) -> list[LogView]:
        """Every log with at least a checkpoint, this node's first."""
        sources = self._sources()
        witnesses = [
            CosignatureVerifier.from_vkey(vkey) for _, vkey in sources.values() if vkey is not None
        ]
        views = []
        for name, (log, witness) in sources.items():
            read = self._read(name, log, witnesses, witness)
            if read is not None:
                views.append(LogView(party=name, own=name == self._node.party, log=read))
        return views

    def view(self, party: str) -> LogView:
        """The log of ``party``; :class:`NotFoundError` if the node holds none."""
        for found in self.views():
            if found.party == party:
                return found
        raise NotFoundError(f"this node holds no log of party {party!r}")

    def _read(
        self,
        name: str,
        log: TransparencyLog,
        witnesses: list[CosignatureVerifier],
        own_witness: str | None,
    ) -> LoggedLog | None:
        if log.size() == 0:
            return None
        signed = log.checkpoint()
        with self._lock:
            held = self._cache.get(name)
            if held is not None and held[0] == signed:
                return held[1]
        files = dict(export_files(log))
        signed = files["checkpoint"]  # the export's own: it may be newer than the one above
        read = read_log(
            _fetcher(files),
            log.verifier,  # the node's own key, or the key registered for the party
            witnesses=witnesses,
            own_witnesses=[own_witness] if own_witness is not None else [],
        )
        with self._lock:
            self._cache[name] = (signed, read)
        return read
