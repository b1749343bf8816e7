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
from treatyledger.node.evidence import Evidence
from treatyledger.node.identity import NodeIdentity, init_node, read_witness_signer
from treatyledger.node.mirror import mirror_log
from treatyledger.node.parties import OWN_LOG, Party, PartyRegistry, mirror_log_name
from treatyledger.node.sequencer import Sequenced, Sequencer
from treatyledger.node.submission import LogResolver, check_submission
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


class Node:
    """A running node (see the module docstring); close it when done."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        url = config.db_url
        self._opener = config.open_store or (lambda name: open_store(url, log=name))
        self.store = self._opener(OWN_LOG)
        self._opened: list[Store] = [self.store]
        self._mirrors: dict[str, Store] = {}
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
            self.spec = resolve_spec(recorded_treaty(self.store, None))
            self.reader = self._open(OWN_LOG)
            self.registry = PartyRegistry(self.store, own_origin=self.log.origin)
            self.witness = Witness(
                meta=self.store,
                signer=read_witness_signer(self.store),
                party_for=self.registry.by_origin,
                clock=self.timestamp,
            )
            self.sequencer = Sequencer(self.log, writer, admit=self._admit)
        except BaseException:
            self.close()
            raise

    def _open(self, name: str) -> Store:
        store = self._opener(name)
        self._opened.append(store)
        return store

    @property
    def party(self) -> str:
        """The party whose node this is."""
        return self.identity.party

    def timestamp(self) -> int:
        """The clock's time in POSIX seconds (cosignature timestamps)."""
        return int(self.config.clock().timestamp())

    def mirror_store(self, name: str) -> Store:
        """The store of the mirror of party ``name``'s log (opened once, kept open)."""
        with self._lock:
            store = self._mirrors.get(name)
            if store is None:
                store = self._mirrors[name] = self._open(mirror_log_name(name))
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

    def _admit(self, bodies: Sequence[bytes]) -> list[Exception | None]:
        """The refusal of each note of a batch, or None: the registry is read once per batch."""
        parties = self.registry.all()
        logs = {self.log.origin: (self.reader, self.log.verifier)}
        for party in parties:
            logs[party.origin] = (self.mirror_store(party.name), party.verifier())
        others = [(p.name, p.verifier()) for p in parties]
        resolve = LogResolver(logs)
        now = self.config.clock()
        refusals: list[Exception | None] = []
        for body in bodies:
            try:
                check_submission(
                    body,
                    party=self.party,
                    verifier=self.log.verifier,
                    others=others,
                    spec=self.spec,
                    resolve=resolve,
                    now=now,
                )
            except TreatyLedgerError as exc:
                refusals.append(exc)
            else:
                refusals.append(None)
        return refusals

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
        """Close every store and the HTTP client this node opened."""
        for store in self._opened:
            store.close()
        if self._own_http and self._http is not None:
            self._http.close()
            self._http = None
