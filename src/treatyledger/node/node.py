"""A party's node: its log, its witness, its registry and its mirrors, over one database.

:class:`Node` is what the HTTP app and the command line both call; it owns
the store objects, the signing keys and the HTTP client to other nodes.
Configuration (:class:`NodeConfig`) is plain data; the clock, the store
opener and the HTTP client are injected so tests can run nodes in-process.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from treatyledger import __version__
from treatyledger.declarations import recorded_treaty
from treatyledger.errors import InputError, TreatyLedgerError, VerificationError
from treatyledger.logs import open_log
from treatyledger.node.checks import CheckContext, Checker, CheckWorkers, WorkerLostError
from treatyledger.node.evidence import Evidence
from treatyledger.node.identity import NodeIdentity, init_node, read_witness_signer
from treatyledger.node.mirror import mirror_log
from treatyledger.node.parties import OWN_LOG, Party, PartyRegistry, mirror_log_name
from treatyledger.node.sequencer import Sequenced, Sequencer
from treatyledger.node.sync import Outcome, PeerClient, push_checkpoint
from treatyledger.node.witness import Witness, read_state, record_evidence
from treatyledger.storage import open_store
from treatyledger.storage.protocols import Store
from treatyledger.treaty import resolve_spec

__all__ = ["Node", "NodeConfig", "utc_now"]

log = logging.getLogger("treatyledger.node")


def utc_now() -> dt.datetime:
    """The current time, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class NodeConfig:
    """How to run a node.

    ``party`` is the party whose node it is; ``db_url`` its database (the log
    ``treaty log init`` created there). ``sync_interval`` is the seconds
    between background sync rounds (0: none). ``clock`` gives the time of
    cosignatures and of the future-time check on entries. ``open_store``
    (a log name to a new store object; default: :func:`open_store` on
    ``db_url``) and ``http`` (the client that reaches other nodes) may be
    injected; ``witness_key_path`` says where a new witness key goes.
    ``reports_dir`` is the folder whose ``treaty exercise`` runs the dashboard lists.
    ``check_workers`` is the number of processes that check submissions
    (:mod:`~.checks`; 0: the committer thread checks them); workers open
    ``db_url`` themselves, so they need no injected ``open_store``. They are
    spawned: a script that makes such a node must do so under
    ``if __name__ == "__main__":``, as for any ``multiprocessing`` spawn.
    """

    party: str
    db_url: str
    sync_interval: float = 30.0
    clock: Callable[[], dt.datetime] = utc_now
    witness_key_path: Path | None = None
    open_store: Callable[[str], Store] | None = None
    http: httpx.Client | None = None
    http_timeout: float = 10.0
    reports_dir: Path | None = None
    check_workers: int = 0


class Node:
    """A running node (see the module docstring); close it when done."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        url = config.db_url
        self._opener = config.open_store or (lambda name: open_store(url, log=name))
        self.store = self._opener(OWN_LOG)
        self._opened: list[Store] = [self.store]
        self._logs: dict[str, Store] = {}  # by store log name: the mirrors
        self._workers: CheckWorkers | None = None
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._http = config.http
        self._own_http = False
        try:
            self.identity: NodeIdentity = init_node(
                self.store, party=config.party, db_url=url, key_path=config.witness_key_path
            )
            # The log writes through a connection of its own, so that a commit in
            # progress (an fsync) holds up none of the reads the checks make.
            writer = self._open(OWN_LOG)
            self.log = open_log(writer, writable=True)
            self.log.integrate()  # a checkpoint for anything appended while the node was down
            self.treaty = recorded_treaty(self.store, None)
            self.spec = resolve_spec(self.treaty)
            self.reader = self._open(OWN_LOG)
            self._checker = Checker(self._log_store)
            if config.check_workers > 0:
                if config.open_store is not None:
                    raise InputError(
                        "check workers open the database by its URL; "
                        "a node with an injected store opener checks in its own process"
                    )
                self._workers = CheckWorkers(url, config.check_workers)
            self.registry = PartyRegistry(self.store, own_origin=self.log.origin)
            self.witness = Witness(
                meta=self.store,
                signer=read_witness_signer(self.store),
                party_for=self.registry.by_origin,
                clock=self.timestamp,
            )
            self.sequencer = Sequencer(
                self.log, writer, admit=self._admit, overlap=self._workers is not None
            )
        except BaseException:
            self.close()
            raise

    def _open(self, name: str) -> Store:
        store = self._opener(name)
        self._opened.append(store)
        return store

    @property
    def check_workers(self) -> CheckWorkers | None:
        """The processes that check submissions, if the node has any."""
        return self._workers

    @property
    def party(self) -> str:
        """The party whose node this is."""
        return self.identity.party

    def timestamp(self) -> int:
        """The clock's time in POSIX seconds (cosignature timestamps)."""
        return int(self.config.clock().timestamp())

    def mirror_store(self, name: str) -> Store:
        """The store of the mirror of party ``name``'s log (opened once, kept open)."""
        return self._log_store(mirror_log_name(name))

    def _log_store(self, log_name: str) -> Store:
        """The store of a log of this node's database by its store name (kept open)."""
        if log_name == OWN_LOG:
            return self.reader
        with self._lock:
            store = self._logs.get(log_name)
            if store is None:
                store = self._logs[log_name] = self._open(log_name)
            return store

    def info(self) -> dict[str, Any]:
        """The node's identity and its log's size, as JSON."""
        return {**self.identity.to_json(), "size": self.reader.tree_size()}

    # -- submissions ----------------------------------------------------------------------

    def accept(self, body: bytes) -> Future[Sequenced]:
        """Queue a signed note for the log; it is checked (see :mod:`~.submission`) on the way.

        Returns at once. The future tells where the entry is once it is
        durable and integrated, or fails with the refusal (a
        :class:`~.errors.RefusalError`) or the store's error (group commit:
        :mod:`~.sequencer`).
        """
        return self.sequencer.submit(body)

    def submit(self, body: bytes) -> Sequenced:
        """Check a signed note (see :mod:`~.submission`) and append it durably."""
        return self.accept(body).result()

    def _admit(self, bodies: Sequence[bytes]) -> Sequence[Exception | None]:
        """The refusal of each note of a batch, or None (:mod:`~.checks`).

        The registry is read once per batch; the workers check it where the
        node has them, else (or when a worker is lost) this thread does.
        """
        parties = self.registry.all()
        own = self.log.verifier.vkey()
        context = CheckContext(
            party=self.party,
            treaty=self.treaty,
            log_vkey=own,
            others=tuple((p.name, p.vkey) for p in parties),
            logs=(
                (self.log.origin, OWN_LOG, own),
                *((p.origin, mirror_log_name(p.name), p.vkey) for p in parties),
            ),
            now=self.config.clock(),
        )
        if self._workers is not None:
            try:
                return self._workers.check(bodies, context)
            except WorkerLostError as exc:
                log.warning("a check worker was lost (%s); checking the batch here", exc)
        return self._checker.check(bodies, context)

    # -- witness --------------------------------------------------------------------------

    def evidence(self) -> list[Evidence]:
        """Every piece of equivocation evidence this node holds."""
        return self.witness.evidence([p.origin for p in self.registry.all()])

    # -- sync -----------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.config.http_timeout,
                headers={"User-Agent": f"treatyledger/{__version__}"},
            )
            self._own_http = True
        return self._http

    def mirror_party(self, name: str) -> Outcome:
        """Bring the mirror of one registered party's log up to date (no cosigning)."""
        with self._sync_lock:
            party = self.registry.get(name)
            if party.url is None:
                raise InputError(f"party {name!r} has no node address to mirror from")
            peers = PeerClient(self._client())
            return self._step(party.name, "mirror", functools.partial(self._mirror, party, peers))

    def sync_round(self) -> list[Outcome]:
        """Push our checkpoint to every party's witness and mirror every party's log, once."""
        with self._sync_lock:
            peers = PeerClient(self._client())
            outcomes = []
            for party in self.registry.all():
                if party.url is None:
                    continue
                if party.witness_vkey is not None:
                    push = functools.partial(push_checkpoint, self.log, self.store, party, peers)
                    outcomes.append(self._step(party.name, "cosign", push))
                mirror = functools.partial(self._mirror, party, peers)
                outcomes.append(self._step(party.name, "mirror", mirror))
            return outcomes

    def _mirror(self, party: Party, peers: PeerClient) -> str:
        _, state = read_state(self.store, party.origin)
        if state.refused:
            raise VerificationError(
                f"{party.origin} is refused: this node holds evidence that it equivocated"
            )
        result = mirror_log(
            party,
            self.mirror_store(party.name),
            peers.fetcher(party),
            report=lambda evidence: record_evidence(self.store, evidence),
            now=self.timestamp,
            witnessed=state.checkpoint,
        )
        return f"{result.status} at {result.size} entries ({result.added} new)"

    @staticmethod
    def _step(party: str, action: Literal["cosign", "mirror"], run: Callable[[], str]) -> Outcome:
        try:
            detail, ok = run(), True
        except TreatyLedgerError as exc:
            detail, ok = str(exc), False
            log.warning("sync: %s %s failed: %s", action, party, detail)
        else:
            log.info("sync: %s %s: %s", action, party, detail)
        return Outcome(party=party, action=action, ok=ok, detail=detail)

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the check workers; close every store and the HTTP client this node opened."""
        if self._workers is not None:
            if hasattr(self, "sequencer"):  # (not when __init__ failed before it)
                self.sequencer.close()
            self._workers.close()
        for store in self._opened:
            store.close()
        if self._own_http and self._http is not None:
            self._http.close()
            self._http = None
