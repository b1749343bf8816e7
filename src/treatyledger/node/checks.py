"""Submission checks over batches, in the committer thread or in worker processes.

The checks of :func:`~treatyledger.node.submission.check_submission` (parse,
signature, envelope, treaty) are CPU-bound Python. In the server process they
hold the interpreter lock, so they share one core with the HTTP server; on a
machine with more cores a node hands them to :class:`CheckWorkers`, processes
of their own, and the server process keeps only HTTP and the group commit.
Either way the same :class:`Checker` runs the same checks on the same inputs:

* a :class:`CheckContext`, plain data taken once per batch by the committer
  (the node's party and treaty, the log keys of the registered parties, the
  logs references resolve against, and the time), and
* the logs themselves, read through a store per log: the node's own stores in
  its process, or a worker's own connections to the node's database. A batch
  is checked only after the previous one was committed, so both see it.

A worker reads requests from a pipe of its own and ends when the node closes
it or when the node's process is gone (the pipe reaches its end); it ignores
SIGINT, so that Ctrl-C stops the server gracefully with its checks still
answered. A worker that dies is replaced, and the batch it held is checked in
the committer thread instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from treatyledger.errors import TreatyLedgerError
from treatyledger.log.note import Ed25519Verifier
from treatyledger.log.store import LogStore
from treatyledger.node.errors import RefusalError
from treatyledger.node.submission import LogResolver, check_submission
from treatyledger.storage import open_store
from treatyledger.storage.protocols import Store
from treatyledger.treaty import TreatySpec, resolve_spec

__all__ = ["ANSWER_TIMEOUT", "CheckContext", "CheckWorkers", "Checker", "WorkerLostError"]

log = logging.getLogger("treatyledger.node")

ANSWER_TIMEOUT = 120.0
"""Seconds a worker may take over its part of a batch before it is taken for lost and replaced
(a full batch of the largest notes takes a few seconds)."""

Refusals = list[RefusalError | None]
"""For each note of a batch, in order: ``None`` (append it) or why it is refused."""


@dataclass(frozen=True)
class CheckContext:
    """What a batch is checked against, as plain (picklable) data.

    ``log_vkey`` is the node's log key; ``others`` the (party, log key) of the
    registered parties; ``logs`` the (origin, store log name, log key) of the
    logs references resolve against, the node's own first; ``treaty`` a
    built-in treaty's name or a specification file's path.
    """

    party: str
    treaty: str
    log_vkey: str
    others: tuple[tuple[str, str], ...]
    logs: tuple[tuple[str, str, str], ...]
    now: dt.datetime


class Checker:
    """Checks batches of notes (:func:`check_submission`) against a :class:`CheckContext`.

    ``open_log`` gives the store of a log by its store name; keys and
    specifications are read once and kept.
    """

    def __init__(self, open_log: Callable[[str], LogStore]) -> None:
        self._open_log = open_log
        self._verifiers: dict[str, Ed25519Verifier] = {}
        self._specs: dict[str, TreatySpec] = {}

    def _verifier(self, vkey: str) -> Ed25519Verifier:
        verifier = self._verifiers.get(vkey)
        if verifier is None:
            verifier = self._verifiers[vkey] = Ed25519Verifier.from_vkey(vkey)
        return verifier

    def _spec(self, treaty: str) -> TreatySpec:
        spec = self._specs.get(treaty)
        if spec is None:
            spec = self._specs[treaty] = resolve_spec(treaty)
        return spec

    def check(self, bodies: Sequence[bytes], context: CheckContext) -> Refusals:
        """The refusal of each note of ``bodies``, or None where it may be appended."""
        own = self._verifier(context.log_vkey)
        others = [(name, self._verifier(vkey)) for name, vkey in context.others]
        resolve = LogResolver(
            {
                origin: (self._open_log(name), self._verifier(vkey))
                for origin, name, vkey in context.logs
            }
        )
        spec = self._spec(context.treaty)
        refusals: Refusals = []
        for body in bodies:
            try:
                check_submission(
                    body,
                    party=context.party,
                    verifier=own,
                    others=others,
                    spec=spec,
                    resolve=resolve,
                    now=context.now,
                )
            except RefusalError as exc:
                refusals.append(exc)
            else:
                refusals.append(None)
        return refusals


class WorkerLostError(TreatyLedgerError):
    """A check worker ended or failed before it answered a batch."""


def _serve(connection: Connection, db_url: str) -> None:
    """A worker's life: answer batches on ``connection`` until it closes or says stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops first, gracefully
    stores: dict[str, Store] = {}

    def open_log(name: str) -> LogStore:
        store = stores.get(name)
        if store is None:
            store = stores[name] = open_store(db_url, log=name)
        return store

    checker = Checker(open_log)
    try:
        while True:
            try:
                request = connection.recv()
            except (EOFError, OSError):
                return  # the node's process is gone
            if request is None:
                return
            bodies, context = request
            try:
                answer: tuple[str, object] = ("ok", checker.check(bodies, context))
            except Exception as exc:  # reported to the node, which checks the batch itself
                answer = ("failed", f"{type(exc).__name__}: {exc}")
            connection.send(answer)
    finally:
        for store in stores.values():
            with contextlib.suppress(Exception):
                store.close()
        connection.close()


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection


class CheckWorkers:
    """``count`` worker processes that check batches for a node on ``db_url``.

    A batch is cut into ``count`` consecutive parts, one per worker, and the
    answers joined in order. A worker that takes more than ``answer_timeout``
    seconds over its part is taken for lost (and replaced). Used by one
    thread at a time (the one that takes batches); :meth:`close` may come
    from another.
    """

    def __init__(self, db_url: str, count: int, *, answer_timeout: float = ANSWER_TIMEOUT) -> None:
        if count < 1:
            raise ValueError("a pool of check workers has at least one worker")
        self._db_url = db_url
        self._timeout = answer_timeout
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._lock = threading.Lock()  # the workers list
        self._busy = threading.Lock()  # a batch in flight: close() waits for it
        self._closed = False
        self._workers = [self._start() for _ in range(count)]

    def _start(self) -> _Worker:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_serve, args=(theirs, self._db_url), name="treatyledger-check", daemon=True
        )
        process.start()
        theirs.close()  # the worker holds the only other end: it sees our process end
        return _Worker(process, ours)

    def pids(self) -> list[int | None]:
        """The workers' process ids."""
        return [worker.process.pid for worker in self._workers]

    def check(self, bodies: Sequence[bytes], context: CheckContext) -> Refusals:
        """The refusals of ``bodies`` (see :meth:`Checker.check`), computed by the workers.

        Raises :class:`WorkerLostError` when a worker ends or fails meanwhile; it
        is replaced, and the caller checks the batch itself.
        """
        with self._busy:
            return self._check(bodies, context)

    def _check(self, bodies: Sequence[bytes], context: CheckContext) -> Refusals:
        with self._lock:
            if self._closed:
                raise WorkerLostError("the check workers are closed")
            workers = list(self._workers)
        if not bodies:
            return []
        size = -(-len(bodies) // len(workers))
        parts = [list(bodies[i : i + size]) for i in range(0, len(bodies), size)]
        busy = workers[: len(parts)]
        lost: list[str] = []
        sent: list[_Worker] = []
        for worker, part in zip(busy, parts, strict=True):
            try:
                worker.connection.send((part, context))
                sent.append(worker)
            except (OSError, ValueError) as exc:
                lost.append(f"{worker.process.name} could not be reached ({exc})")
                self._replace(worker)
        refusals: Refusals = []
        for worker in sent:
            try:
                if not worker.connection.poll(self._timeout):
                    lost.append(f"{worker.process.name} gave no answer in {self._timeout:g} s")
                    self._replace(worker)
                    continue
                status, answer = worker.connection.recv()
            except (EOFError, OSError) as exc:
                lost.append(f"{worker.process.name} ended ({exc or 'no answer'})")
                self._replace(worker)
                continue
            if status != "ok":
                lost.append(f"{worker.process.name} failed: {answer}")
                continue
            assert isinstance(answer, list)
            refusals.extend(answer)
        if lost:
            raise WorkerLostError("; ".join(lost))
        return refusals

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed or worker not in self._workers:
                return
            self._stop(worker, timeout=1.0)
            self._workers[self._workers.index(worker)] = self._start()

    @staticmethod
    def _stop(worker: _Worker, *, timeout: float) -> None:
        with contextlib.suppress(OSError, ValueError):
            worker.connection.send(None)
        worker.connection.close()
        worker.process.join(timeout)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout)

    def close(self) -> None:
        """Stop every worker, once the batch in flight (if any) is answered."""
        with self._busy, self._lock:
            if self._closed:
                return
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            self._stop(worker, timeout=10.0)
