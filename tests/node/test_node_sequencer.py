"""Group commit: batches checked together, appended in one commit, each entry answered alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError, Future

import pytest

from treatyledger.errors import StorageError
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.node.errors import MalformedError
from treatyledger.node.sequencer import Admit, Sequenced, Sequencer
from treatyledger.storage import MemoryStore

TIMEOUT = 30


class Gate:
    """Holds the first call of a stage until opened, and says when it is held."""

    def __init__(self) -> None:
        self.held = threading.Event()
        self.opened = threading.Event()

    def __call__(self) -> None:
        if not self.opened.is_set():
            self.held.set()
            assert self.opened.wait(TIMEOUT)


class GatedStore(MemoryStore):
    """A store whose lookups wait at a gate: the commit stage stalls there, as on a slow disk."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = Gate()
        self.lookups: list[int] = []
        self.fail_next = False

    def find_leaves(self, leaf_hashes: Sequence[bytes]) -> dict[bytes, int]:
        self.gate()
        self.lookups.append(len(leaf_hashes))
        if self.fail_next:
            self.fail_next = False
            raise StorageError("the disk is full")
        return super().find_leaves(leaf_hashes)


@pytest.fixture
def store() -> GatedStore:
    return GatedStore()


@pytest.fixture
def log(store: GatedStore) -> Iterator[TransparencyLog]:
    signer = Signer.generate("example.org/seq/log")
    verifier = signer.verifier()
    log = TransparencyLog(store=store, origin=signer.name, verifier=verifier, signer=signer)
    store.gate.opened.set()
    log.integrate()
    store.gate.opened.clear()
    yield log
    store.gate.opened.set()  # never leave a stage waiting


OVERLAP = [False]
"""Whether the sequencers of the running test check a batch while the one before commits."""


@pytest.fixture(autouse=True, params=[False, True], ids=["checked-then-committed", "overlapped"])
def overlap(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Every test runs with both orders of the two stages (see the sequencer's docstring)."""
    OVERLAP[0] = bool(request.param)
    yield OVERLAP[0]
    OVERLAP[0] = False


def new_sequencer(log: TransparencyLog, store: GatedStore, admit: Admit | None = None) -> Sequencer:
    return Sequencer(log, store, admit=admit, overlap=OVERLAP[0])


def refuse_bad(entries: Sequence[bytes]) -> list[Exception | None]:
    return [MalformedError(f"{e!r} is bad") if e.startswith(b"bad") else None for e in entries]


def results(futures: Sequence[Future[Sequenced]]) -> list[Sequenced]:
    return [future.result(TIMEOUT) for future in futures]


def test_entries_queued_during_a_commit_share_the_next_one(
    log: TransparencyLog, store: GatedStore
) -> None:
    sequencer = new_sequencer(log, store)
    first = sequencer.submit(b"first")
    assert store.gate.held.wait(TIMEOUT)  # the first commit is under way
    rest = [sequencer.submit(f"entry {n}".encode()) for n in range(20)]
    store.gate.opened.set()
    assert results([first]) == [Sequenced(0, leaf_hash(b"first"), True)]
    assert [r.index for r in results(rest)] == list(range(1, 21))
    assert store.lookups == [1, 20]  # one lookup, one append, one checkpoint per batch
    assert [size for size, _ in store.checkpoint_history()] == [0, 1, 21]


def test_a_refused_entry_fails_alone_and_is_not_stored(
    log: TransparencyLog, store: GatedStore
) -> None:
    store.gate.opened.set()
    sequencer = new_sequencer(log, store, admit=refuse_bad)
    futures = [sequencer.submit(e) for e in (b"good 1", b"bad 1", b"good 2", b"bad 2")]
    assert results([futures[0], futures[2]]) == [
        Sequenced(0, leaf_hash(b"good 1"), True),
        Sequenced(1, leaf_hash(b"good 2"), True),
    ]
    for future in (futures[1], futures[3]):
        with pytest.raises(MalformedError, match="is bad"):
            future.result(TIMEOUT)
    assert store.read_entries(0, store.entry_count()) == [b"good 1", b"good 2"]


def test_a_note_twice_in_a_batch_or_again_later_is_stored_once(
    log: TransparencyLog, store: GatedStore
) -> None:
    sequencer = new_sequencer(log, store)
    held = sequencer.submit(b"held")
    assert store.gate.held.wait(TIMEOUT)
    twice = [sequencer.submit(b"twice"), sequencer.submit(b"other"), sequencer.submit(b"twice")]
    store.gate.opened.set()
    held.result(TIMEOUT)
    assert results(twice) == [
        Sequenced(1, leaf_hash(b"twice"), True),
        Sequenced(2, leaf_hash(b"other"), True),
        Sequenced(1, leaf_hash(b"twice"), False),
    ]
    assert sequencer.append(b"twice") == Sequenced(1, leaf_hash(b"twice"), False)
    assert sequencer.append(b"held") == Sequenced(0, leaf_hash(b"held"), False)
    assert store.entry_count() == 3


def test_a_failed_commit_fails_its_batch_and_the_next_batch_goes_on(
    log: TransparencyLog, store: GatedStore
) -> None:
    sequencer = new_sequencer(log, store)
    held = sequencer.submit(b"held")
    assert store.gate.held.wait(TIMEOUT)
    doomed = [sequencer.submit(f"doomed {n}".encode()) for n in range(3)]
    store.fail_next = True  # the lookup of the held batch fails
    store.gate.opened.set()
    with pytest.raises(StorageError, match="disk is full"):
        held.result(TIMEOUT)
    assert [r.index for r in results(doomed)] == [0, 1, 2]
    assert store.entry_count() == 3


def test_a_check_that_raises_fails_its_batch_only(log: TransparencyLog, store: GatedStore) -> None:
    store.gate.opened.set()
    calls = 0

    def flaky(entries: Sequence[bytes]) -> list[Exception | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the registry could not be read")
        return [None] * len(entries)

    sequencer = new_sequencer(log, store, admit=flaky)
    with pytest.raises(RuntimeError, match="registry"):
        sequencer.append(b"first")
    assert sequencer.append(b"second").index == 0
    assert store.read_entries(0, store.entry_count()) == [b"second"]


def test_a_submission_cancelled_while_queued_is_not_stored(
    log: TransparencyLog, store: GatedStore
) -> None:
    store.gate.opened.set()
    gate = Gate()

    def slow(entries: Sequence[bytes]) -> list[Exception | None]:
        gate()
        return [None] * len(entries)

    sequencer = new_sequencer(log, store, admit=slow)
    first = sequencer.submit(b"first")
    assert gate.held.wait(TIMEOUT)  # the first batch is being checked
    given_up = sequencer.submit(b"given up")
    assert given_up.cancel()
    gate.opened.set()
    assert first.result(TIMEOUT).index == 0
    with pytest.raises(CancelledError):
        given_up.result(TIMEOUT)
    assert sequencer.append(b"last").index == 1
    assert store.read_entries(0, store.entry_count()) == [b"first", b"last"]


def test_many_threads_get_distinct_gap_free_indexes(
    log: TransparencyLog, store: GatedStore
) -> None:
    store.gate.opened.set()
    sequencer = new_sequencer(log, store, admit=refuse_bad)
    found: dict[bytes, int] = {}
    errors: list[BaseException] = []

    def work(thread: int) -> None:
        try:
            for n in range(25):
                entry = f"t{thread}/{n}".encode()
                found[entry] = sequencer.append(entry).index
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not errors, errors
    assert sorted(found.values()) == list(range(200))
    stored = store.read_entries(0, 200)
    assert all(stored[index] == entry for entry, index in found.items())
    assert log.size() == 200


def test_a_batch_is_checked_while_the_one_before_commits(
    log: TransparencyLog, store: GatedStore, overlap: bool
) -> None:
    checked: list[list[bytes]] = []

    def admit(entries: Sequence[bytes]) -> list[Exception | None]:
        checked.append(list(entries))
        return refuse_bad(entries)

    sequencer = new_sequencer(log, store, admit)
    first = sequencer.submit(b"first")
    assert store.gate.held.wait(TIMEOUT)  # the first batch is checked; its commit is held
    later = [sequencer.submit(e) for e in (b"second", b"bad", b"third")]
    if overlap:  # the next batch is checked while the commit waits
        deadline = time.monotonic() + TIMEOUT
        while len(checked) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert checked == [[b"first"], [b"second", b"bad", b"third"]]
    else:
        time.sleep(0.05)
        assert checked == [[b"first"]]
    store.gate.opened.set()
    assert first.result(TIMEOUT).index == 0
    assert [later[0].result(TIMEOUT).index, later[2].result(TIMEOUT).index] == [1, 2]
    with pytest.raises(MalformedError):
        later[1].result(TIMEOUT)
    sequencer.close()


def test_entries_submitted_after_close_are_refused_as_unavailable(
    log: TransparencyLog, store: GatedStore, overlap: bool
) -> None:
    store.gate.opened.set()
    sequencer = new_sequencer(log, store, refuse_bad)
    assert sequencer.append(b"before").index == 0
    sequencer.close()
    late = sequencer.submit(b"after")
    if overlap:  # the commit thread is gone: the entry is refused, and nothing is stored
        with pytest.raises(StorageError, match="closing"):
            late.result(TIMEOUT)
        assert store.entry_count() == 1
    else:  # the committer is started for each run of batches: it goes on
        assert late.result(TIMEOUT).index == 1
