"""Group commit: concurrent submissions share one durable append and one signed checkpoint.

Every thread that submits an entry queues it; one of them (the leader)
takes everything queued, looks each entry up (a note the log already holds
keeps its index), appends the rest in one
:meth:`~treatyledger.log.transparency_log.TransparencyLog.append_and_integrate`
call (one commit, one fsync, one checkpoint) and hands each waiting thread its
index. The leader goes on until the queue is empty, so no entry waits for a
later submission. An index is handed out only after the commit returned.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from treatyledger.log.merkle import leaf_hash
from treatyledger.log.transparency_log import TransparencyLog

__all__ = ["Sequenced", "Sequencer"]


@dataclass(frozen=True)
class Sequenced:
    """Where an entry is: its index and leaf hash, and whether this call appended it."""

    index: int
    leaf_hash: bytes
    created: bool


class Sequencer:
    """Appends entries to ``log`` in batches, one leader thread at a time."""

    def __init__(self, log: TransparencyLog, *, max_batch: int = 4096) -> None:
        self._log = log
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[tuple[bytes, Future[Sequenced]]] = []
        self._leading = False

    def append(self, entry: bytes) -> Sequenced:
        """Sequence ``entry`` durably (or find it in the log) and return where it is."""
        future: Future[Sequenced] = Future()
        with self._lock:
            self._queue.append((entry, future))
            lead = not self._leading
            self._leading = True
        if lead:
            self._lead()
        return future.result()

    def _lead(self) -> None:
        while True:
            with self._lock:
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                if not batch:
                    self._leading = False
                    return
            try:
                results = self._commit([entry for entry, _ in batch])
            except Exception as exc:  # every waiter learns why its entry was not stored
                for _, future in batch:
                    future.set_exception(exc)
                continue
            except BaseException as exc:  # the leader is going away: release every waiter
                with self._lock:
                    batch += self._queue
                    self._queue.clear()
                    self._leading = False
                for _, future in batch:
                    future.set_exception(exc)
                raise
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    def _commit(self, entries: Sequence[bytes]) -> list[Sequenced]:
        log = self._log
        hashes = [leaf_hash(entry) for entry in entries]
        found: dict[bytes, int] = {}
        fresh: dict[bytes, bytes] = {}  # leaf hash -> entry, in submission order
        for entry, digest in zip(entries, hashes, strict=True):
            if digest in found or digest in fresh:
                continue
            index = log.find(entry)
            if index is None:
                fresh[digest] = entry
            else:
                found[digest] = index
        if found and max(found.values()) >= log.size():
            log.integrate()  # an earlier writer appended without integrating; finish its work
        created: dict[bytes, int] = {}
        if fresh:
            indexes, _ = log.append_and_integrate(list(fresh.values()))
            created = dict(zip(fresh, indexes, strict=True))
        results = []
        for digest in hashes:
            if digest in created:
                results.append(Sequenced(created.pop(digest), digest, True))
            else:
                index = found.get(digest)
                if index is None:  # the same note twice in one batch: the later gets the index
                    index = next(r.index for r in results if r.leaf_hash == digest)
                results.append(Sequenced(index, digest, False))
        return results
