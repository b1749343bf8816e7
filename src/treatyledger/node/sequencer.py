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
batch crosses once where entries would cross one by one.

Where the checks run in other processes (``overlap``;
:mod:`~treatyledger.node.checks`), a batch is checked while the one before
it is committed: the thread that takes batches waits on the workers' checks
and hands each checked batch to a commit thread, one batch at a time and in
order, then takes the next. (Checked in this process, that overlap does not
pay: both halves hold the interpreter lock, and it adds hand-offs.) A batch is
checked against the log as committed when its check starts, after all its
notes arrived; a reference names an index and a leaf hash its sender read in
a receipt or in the log, so it is to an entry committed before its note
arrived, and resolves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from treatyledger.errors import StorageError
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


_Item = tuple[bytes, Future[Sequenced]]
_Refusals = Sequence[Exception | None]


class Sequencer:
    """Appends entries to ``log`` in batches, each checked by ``admit`` first.

    ``store`` is the log's store (one lookup per batch). ``max_batch`` bounds
    the entries checked, and appended, together. ``overlap`` checks a batch
    while the one before it is committed (for an ``admit`` that works in
    other processes).
    """

    def __init__(
        self,
        log: TransparencyLog,
        store: EntryStore,
        *,
        admit: Admit | None = None,
        max_batch: int = 1024,
        overlap: bool = False,
    ) -> None:
        self._log = log
        self._store = store
        self._admit = admit
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # an entry queued, or a commit done
        self._queue: list[_Item] = []
        self._committing = False
        self._commits: ThreadPoolExecutor | None = None
        if overlap and admit is not None:
            self._commits = ThreadPoolExecutor(1, thread_name_prefix="treatyledger-commit")

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
            self._ready.notify()
        if start:
            target = self._run if self._commits is None else self._run_overlapped
            committer = threading.Thread(target=target, name="treatyledger-batch", daemon=True)
            try:
                committer.start()
            except BaseException as exc:  # no thread (the interpreter is exiting): fail, not hang
                self._fail_queued(exc)
                raise
        return future

    def append(self, entry: bytes) -> Sequenced:
        """Sequence ``entry`` durably (or find it in the log) and return where it is."""
        return self.submit(entry).result()

    def close(self) -> None:
        """Stop the commit thread of ``overlap`` (after the batches it was given)."""
        if self._commits is not None:
            self._commits.shutdown(wait=True)

    def _take(self) -> list[_Item]:
        """The next batch (its cancelled entries dropped); the caller holds the lock."""
        taken = self._queue[: self._max_batch]
        del self._queue[: self._max_batch]
        return [(entry, f) for entry, f in taken if f.set_running_or_notify_cancel()]

    def _run(self) -> None:
        """Check, then commit, batch after batch, until the queue is empty."""
        while True:
            with self._lock:
                if not self._queue:
                    self._committing = False
                    return
                batch = self._take()
            self._guarded(batch, None)

    def _run_overlapped(self) -> None:
        """Check batch after batch; the commit thread commits each while the next is checked."""
        assert self._commits is not None
        assert self._admit is not None
        committing: Future[None] | None = None
        batch: list[_Item] = []
        try:
            while True:
                with self._ready:
                    while not self._queue and committing is not None and not committing.done():
                        self._ready.wait()
                    if not self._queue and (committing is None or committing.done()):
                        self._committing = False
                        return
                    batch = self._take()
                refusals: _Refusals = []
                if batch:
                    try:
                        refusals = self._admit([entry for entry, _ in batch])
                    except Exception as exc:  # the batch fails; the next goes on
                        self._fail(batch, exc)
                        batch = []
                if committing is not None:
                    committing.result()  # commits go one at a time, in order
                    committing = None
                if batch:
                    try:
                        committing = self._commits.submit(self._guarded, batch, refusals)
                    except RuntimeError:  # closed: the batch fails, and so will the rest
                        self._fail(batch, StorageError("the node is closing; nothing was stored"))
                        continue
                    committing.add_done_callback(self._wake)
                    batch = []
        except BaseException as exc:  # the thread is going away: release the rest
            self._fail(batch, exc)
            self._fail_queued(exc)
            raise

    def _wake(self, _: Future[None]) -> None:
        with self._ready:
            self._ready.notify()

    def _guarded(self, batch: list[_Item], refusals: _Refusals | None) -> None:
        """:meth:`_settle` ``batch``; if that fails, every waiter of the batch learns why."""
        try:
            self._settle(batch, refusals)
        except BaseException as exc:
            self._fail(batch, exc)
            if not isinstance(exc, Exception):  # the thread is going away: release the rest
                self._fail_queued(exc)
                raise

    @staticmethod
    def _fail(batch: list[_Item], exc: BaseException) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

    def _settle(self, batch: list[_Item], refusals: _Refusals | None) -> None:
        """Check ``batch`` (unless its ``refusals`` are known), then commit the rest."""
        if batch and self._admit is not None:
            if refusals is None:
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
