"""Group commit: concurrent submissions share one durable append and one signed checkpoint.

A submission queues its entry and gets a future at once. One committer
thread at a time (started when entries wait and none runs; it ends when the
queue is empty) takes everything queued, has the batch checked (``admit``:
an entry refused there fails its own future and is not appended), looks the
rest up in the store at once (a note the log already holds keeps its index),
appends the new ones in one
:meth:`~treatyledger.log.transparency_log.TransparencyLog.append_and_integrate`
call (one commit, one fsync, one signed checkpoint) and settles each future.
While it works, the next batch gathers. A future gets its index only after
the commit returned.

The checks run in the committer, not in each request's thread: on CPython,
handing work between threads costs about as much CPU as the checks, and a
batch crosses once where entries would cross one by one. (A separate thread
checking the next batch while this one is committed did not pay either: with
the CPU busy, there is no idle time for it to fill, and it adds hand-offs.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from treatyledger.log.merkle import leaf_hash
from treatyledger.log.store import EntryStore
from treatyledger.log.transparency_log import TransparencyLog

__all__ = ["Admit", "Sequenced", "Sequencer"]

Admit = Callable[[Sequence[bytes]], Sequence[Exception | None]]
"""Checks a batch of entries: for each, ``None`` (append it) or the error that refuses it."""


@dataclass(frozen=True)
class Sequenced:
    """Where an entry is: its index and leaf hash, and whether this call appended it."""

    index: int
    leaf_hash: bytes
    created: bool


class Sequencer:
    """Appends entries to ``log`` in batches, each checked by ``admit`` first.

    ``store`` is the log's store (one lookup per batch). ``max_batch`` bounds
    the entries checked, and appended, together.
    """

    def __init__(
        self,
        log: TransparencyLog,
        store: EntryStore,
        *,
        admit: Admit | None = None,
        max_batch: int = 1024,
    ) -> None:
        self._log = log
        self._store = store
        self._admit = admit
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[tuple[bytes, Future[Sequenced]]] = []
        self._committing = False

    def submit(self, entry: bytes) -> Future[Sequenced]:
        """Queue ``entry``; the future tells where it is once it is durable (or already held).

        The future fails with the error ``admit`` refused the entry with, or
        the error that kept its batch from being stored. A future cancelled
        before its batch is taken is dropped, and its entry not appended.
        """
        future: Future[Sequenced] = Future()
        with self._lock:
            self._queue.append((entry, future))
            start = not self._committing
            self._committing = True
        if start:
            committer = threading.Thread(target=self._run, name="treatyledger-commit", daemon=True)
            try:
                committer.start()
            except BaseException as exc:  # no thread (the interpreter is exiting): fail, not hang
                self._fail_queued(exc)
                raise
        return future

    def append(self, entry: bytes) -> Sequenced:
        """Sequence ``entry`` durably (or find it in the log) and return where it is."""
        return self.submit(entry).result()

    def _run(self) -> None:
        while True:
            with self._lock:
                taken = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                if not taken:
                    self._committing = False
                    return
            batch = [(entry, f) for entry, f in taken if f.set_running_or_notify_cancel()]
            try:
                self._settle(batch)
            except BaseException as exc:  # every waiter learns why its entry was not stored
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):  # the thread is going away: release the rest
                    self._fail_queued(exc)
                    raise

    def _settle(self, batch: list[tuple[bytes, Future[Sequenced]]]) -> None:
        if batch and self._admit is not None:
            refusals = self._admit([entry for entry, _ in batch])
            for (_, future), refusal in zip(batch, refusals, strict=True):
                if refusal is not None:
                    future.set_exception(refusal)
            batch = [item for item, refusal in zip(batch, refusals, strict=True) if refusal is None]
        if batch:
            results = self._commit([entry for entry, _ in batch])
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    def _fail_queued(self, exc: BaseException) -> None:
        with self._lock:
            queued = list(self._queue)
            self._queue.clear()
            self._committing = False
        for _, future in queued:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)

    def _commit(self, entries: Sequence[bytes]) -> list[Sequenced]:
        log = self._log
        hashes = [leaf_hash(entry) for entry in entries]
        found = self._store.find_leaves(hashes)
        fresh: dict[bytes, bytes] = {}  # leaf hash -> entry, in submission order, once each
        for entry, digest in zip(entries, hashes, strict=True):
            if digest not in found:
                fresh.setdefault(digest, entry)
        if found and max(found.values()) >= log.size():
            log.integrate()  # an earlier writer appended without integrating; finish its work
        created: set[bytes] = set()
        if fresh:
            indexes, _ = log.append_and_integrate(list(fresh.values()))
            found.update(zip(fresh, indexes, strict=True))
            created.update(fresh)
        results = []
        for digest in hashes:
            results.append(Sequenced(found[digest], digest, digest in created))
            created.discard(digest)  # the same note twice in one batch: the later one finds it
        return results
