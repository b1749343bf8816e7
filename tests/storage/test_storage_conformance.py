"""One conformance suite that every storage driver must pass: memory, SQLite, PostgreSQL.

Each test gets fresh log names, so the PostgreSQL tests share one database
without seeing each other. Tests that need a fresh database (migrations) make one.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgcluster import PostgresCluster
from treatyledger.errors import ConflictError, NotFoundError, StorageError
from treatyledger.storage import (
    EntryStore,
    MemoryDatabase,
    MetaStore,
    SqliteStore,
    Store,
    TreeStore,
    open_store,
)
from treatyledger.storage._schema import (
    POSTGRES_BOOTSTRAP,
    POSTGRES_MIGRATIONS,
    POSTGRES_SCHEMA,
    SQLITE_BOOTSTRAP,
    SQLITE_MIGRATIONS,
    latest_version,
    leaf_key,
)
from treatyledger.storage.postgres import PostgresStore

DRIVERS = ["memory", "sqlite", "postgres"]
SQL_DRIVERS = ["sqlite", "postgres"]


@dataclass
class Backend:
    """One database of one driver, and how to open stores on it."""

    name: str
    opener: Callable[..., Store]
    """Opens a store on a log; keyword options go to the SQL drivers (memory ignores them)."""
    url: str | None = None
    """A database URL for other processes (None for memory)."""
    raw: Callable[[str, tuple[object, ...]], None] | None = None
    """Runs one SQL statement directly, behind the driver's back (tables unqualified)."""
    opened: list[Store] = field(default_factory=list)

    def open(self, log: str, **options: Any) -> Store:
        """A new store object on this database, closed at the end of the test."""
        store = self.opener(log, **options)
        self.opened.append(store)
        return store


def _sqlite_raw(path: Path) -> Callable[[str, tuple[object, ...]], None]:
    def run(sql: str, parameters: tuple[object, ...]) -> None:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            connection.execute(sql.replace("%s", "?"), parameters)
        finally:
            connection.close()

    return run


def _postgres_raw(url: str) -> Callable[[str, tuple[object, ...]], None]:
    def run(sql: str, parameters: tuple[object, ...]) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"SET search_path TO {POSTGRES_SCHEMA}")
            connection.execute(sql, parameters)

    return run


def _make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "memory":
        database = MemoryDatabase()
        return Backend(name, lambda log, **_: database.open(log))
    if name == "sqlite":
        path = tmp_path / "store.db"
        return Backend(
            name,
            lambda log, **options: SqliteStore(path, log=log, **options),
            url=f"sqlite:///{path}",
            raw=_sqlite_raw(path),
        )
    url: str = request.getfixturevalue("postgres_url")
    return Backend(
        name,
        lambda log, **options: PostgresStore(url, log=log, **options),
        url=url,
        raw=_postgres_raw(url),
    )


@pytest.fixture(params=DRIVERS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = _make_backend(request.param, request, tmp_path)
    yield made
    for store in made.opened:
        store.close()


@pytest.fixture(params=SQL_DRIVERS)
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    made = _make_backend(request.param, request, tmp_path)
    yield made
    for store in made.opened:
        store.close()


def fresh_log() -> str:
    return f"log-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open(fresh_log())


def leaf(entry: bytes) -> bytes:
    """A stand-in leaf hash: drivers store whatever digest the log computes."""
    return hashlib.sha256(b"\x00" + entry).digest()


def batch(tag: str, count: int) -> tuple[list[bytes], list[bytes]]:
    entries = [f"{tag}/{i}".encode() for i in range(count)]
    return entries, [leaf(e) for e in entries]


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a test can observe about a log, to show that a refused call changed nothing."""
    count = store.entry_count()
    return {
        "entries": store.read_entries(0, count),
        "hashes": store.read_leaf_hashes(0, count),
        "tree_size": store.tree_size(),
        "tiles": store.read_tiles([(level, index) for level in range(3) for index in range(4)]),
        "checkpoint": store.latest_checkpoint(),
        "history": store.checkpoint_history(),
        "meta": store.get_meta("origin"),
    }


def populated(store: Store) -> Store:
    entries, hashes = batch("base", 5)
    store.append_entries(entries, hashes)
    store.publish(
        old_size=0, new_size=3, tiles={(0, 0): b"t" * 96, (1, 0): b"u" * 32}, checkpoint=b"cp3\n"
    )
    store.set_meta("origin", "example.org/log")
    return store


# -- entries ---------------------------------------------------------------------------


def test_a_new_log_is_empty(store: Store) -> None:
    assert store.entry_count() == 0
    assert store.tree_size() == 0
    assert store.read_entries(0, 0) == []
    assert store.read_leaf_hashes(0, 0) == []
    assert store.find_leaf(leaf(b"x")) is None
    assert store.read_tiles([(0, 0)]) == {}
    assert store.latest_checkpoint() is None
    assert store.checkpoint_history() == []
    assert store.get_meta("origin") is None


def test_the_store_implements_every_protocol(store: Store) -> None:
    for protocol in (EntryStore, TreeStore, MetaStore, Store):
        assert isinstance(store, protocol)
    assert store.log.startswith("log-")


def test_appends_return_sequential_first_indexes(store: Store) -> None:
    everything: list[bytes] = []
    firsts = []
    for number, size in enumerate([1, 3, 2, 5, 1]):
        entries, hashes = batch(f"b{number}", size)
        firsts.append(store.append_entries(entries, hashes))
        everything += entries
    assert firsts == [0, 1, 4, 6, 11]
    assert store.entry_count() == 12
    assert store.read_entries(0, 12) == everything
    assert store.read_leaf_hashes(0, 12) == [leaf(e) for e in everything]
    assert store.tree_size() == 0  # appending does not publish


def test_entries_keep_arbitrary_bytes(store: Store) -> None:
    entries = [b"", b"\x00\xff" * 100, bytes(range(256)), os.urandom(70_000)]
    hashes = [b"", b"\x00", b"\xff" * 64, leaf(b"big")]
    assert store.append_entries(entries, hashes) == 0
    assert store.read_entries(0, 4) == entries
    assert store.read_leaf_hashes(0, 4) == hashes
    assert all(type(e) is bytes for e in store.read_entries(0, 4))


def test_reads_return_exactly_the_range(store: Store) -> None:
    entries, hashes = batch("r", 20)
    store.append_entries(entries, hashes)
    for start, stop in [(0, 20), (0, 1), (19, 20), (5, 12), (7, 7), (20, 20), (0, 0)]:
        assert store.read_entries(start, stop) == entries[start:stop]
        assert store.read_leaf_hashes(start, stop) == hashes[start:stop]


@pytest.mark.parametrize("reader", ["read_entries", "read_leaf_hashes"])
def test_reads_out_of_range_raise(store: Store, reader: str) -> None:
    read = getattr(store, reader)
    with pytest.raises(NotFoundError):
        read(0, 1)  # an empty log
    store.append_entries(*batch("o", 4))
    for start, stop in [(0, 5), (3, 5), (4, 5), (5, 6), (100, 200)]:
        with pytest.raises(NotFoundError, match="cannot read"):
            read(start, stop)
    for start, stop in [(-1, 2), (3, 2), (0, -1)]:
        with pytest.raises(ValueError, match=r"start|stop"):
            read(start, stop)
    with pytest.raises(TypeError):
        read(0.0, 1)


def test_find_leaf_gives_the_smallest_index(store: Store) -> None:
    store.append_entries([b"a", b"b", b"a"], [leaf(b"a"), leaf(b"b"), leaf(b"a")])
    store.append_entries([b"b", b"c"], [leaf(b"b"), leaf(b"c")])
    assert store.find_leaf(leaf(b"a")) == 0
    assert store.find_leaf(leaf(b"b")) == 1
    assert store.find_leaf(leaf(b"c")) == 4
    assert store.find_leaf(leaf(b"d")) is None
    with pytest.raises(TypeError):
        store.find_leaf("a")  # type: ignore[arg-type]


def test_reads_span_several_batches_and_parts_of_batches(store: Store) -> None:
    entries: list[bytes] = []
    hashes: list[bytes] = []
    for number, size in enumerate([1, 7, 3, 20, 1, 5]):
        more, more_hashes = batch(f"s{number}", size)
        if number == 2:  # a batch whose hashes differ in length, and a long entry
            more_hashes = [b"", b"\x01" * 20, leaf(b"x")]
            more[1] = os.urandom(70_000)
        assert store.append_entries(more, more_hashes) == len(entries)
        entries += more
        hashes += more_hashes
    total = len(entries)
    for start in range(total + 1):
        for stop in range(start, total + 1):
            assert store.read_entries(start, stop) == entries[start:stop], (start, stop)
            assert store.read_leaf_hashes(start, stop) == hashes[start:stop], (start, stop)
        with pytest.raises(NotFoundError):
            store.read_entries(start, total + 1)
        with pytest.raises(NotFoundError):
            store.read_leaf_hashes(start, total + 1)


def test_entries_of_the_largest_tile_size_and_empty_ones(store: Store) -> None:
    largest = os.urandom(65_535)  # the largest entry a tlog entry bundle can hold
    entries = [b"", largest, b"", b"z", b""]
    hashes = [leaf(e) for e in entries]
    assert store.append_entries(entries, hashes) == 0
    assert store.append_entries([largest + b"!", b""], [leaf(b"over"), leaf(b"")]) == 5
    assert store.read_entries(0, 7) == [*entries, largest + b"!", b""]
    assert store.read_entries(1, 2) == [largest]
    assert store.read_entries(2, 4) == [b"", b"z"]
    assert store.read_entries(4, 6) == [b"", largest + b"!"]
    assert store.read_leaf_hashes(0, 7) == [*hashes, leaf(b"over"), leaf(b"")]
    assert store.find_leaf(leaf(b"")) == 0
    assert store.find_leaf(leaf(largest)) == 1
    assert store.find_leaf(leaf(b"over")) == 5


@pytest.mark.parametrize("threshold", [1, 3, 10_000])
def test_find_leaf_handles_hashes_of_any_length(backend: Backend, threshold: int) -> None:
    store = backend.open(fresh_log(), index_threshold=threshold)
    # b"", b"\x00" and b"\x00" * 8 share one index key; only the full hash tells them apart.
    store.append_entries([b"a", b"b"], [b"\x00" * 8, b"\x00" * 9])
    store.append_entries([b"c", b"d", b"e"], [b"\x00", b"", b"\xff" * 64])
    store.append_entries([b"f", b"g"], [b"", b"\x00"])
    store.append_entries([b"h", b"i"], [b"", b""])  # hashes all empty
    assert store.read_leaf_hashes(5, 9) == [b"", b"\x00", b"", b""]
    assert store.find_leaf(b"\x00" * 8) == 0
    assert store.find_leaf(b"\x00" * 9) == 1
    assert store.find_leaf(b"\x00") == 2
    assert store.find_leaf(b"") == 3
    assert store.find_leaf(b"\xff" * 64) == 4
    assert store.find_leaf(b"\x00" * 2) is None
    assert store.find_leaf(b"\xff" * 63) is None
    assert store.find_leaf(b"\x00" * 7 + b"\x01") is None


def _indexed_upto(backend: Backend, log: str) -> int | None:
    """How far the SQL driver's leaf hash index reaches (None for memory)."""
    if backend.url is None:
        return None
    sql = "SELECT indexed_upto FROM logs WHERE name = %s"
    if backend.name == "sqlite":
        connection = sqlite3.connect(backend.url.removeprefix("sqlite:///"))
        try:
            row = connection.execute(sql.replace("%s", "?"), (log,)).fetchone()
        finally:
            connection.close()
    else:
        with psycopg.connect(backend.url, autocommit=True) as pg:
            row = pg.execute(sql.replace("logs", f"{POSTGRES_SCHEMA}.logs"), (log,)).fetchone()
    assert row is not None
    return int(row[0])


def test_find_leaf_across_the_indexed_and_the_scanned_entries(backend: Backend) -> None:
    log = fresh_log()
    store = backend.open(log, index_threshold=10)
    other = backend.open(log)  # the default threshold: readers need not agree on it
    names = [
        ["x", "a0", "X", "a1"],  # 0-3
        ["a2", "Y", "a3", "a4", "a5", "X", "a6", "a7"],  # 4-11: the index reaches 12
        ["a8", "Y", "Z"],  # 12-14: scanned
        ["Z", "W"],  # 15-16
    ]
    position = 0
    for names_of_batch in names:
        entries = [name.encode() for name in names_of_batch]
        assert store.append_entries(entries, [leaf(e) for e in entries]) == position
        position += len(entries)
    for reader in (store, other):
        assert reader.find_leaf(leaf(b"X")) == 2  # both in the index
        assert reader.find_leaf(leaf(b"Y")) == 5  # in the index and in the scanned rows
        assert reader.find_leaf(leaf(b"Z")) == 14  # both scanned
        assert reader.find_leaf(leaf(b"W")) == 16
        assert reader.find_leaf(leaf(b"a7")) == 11  # the last indexed entry
        assert reader.find_leaf(leaf(b"a8")) == 12  # the first scanned one
        assert reader.find_leaf(leaf(b"missing")) is None
        # Bytes that straddle two stored hashes are no hash of the log.
        straddling = leaf(b"Z")[16:] + leaf(b"W")[:16]
        assert reader.find_leaf(straddling) is None
        # A hash that shares its index key with a stored one, but not the rest.
        assert reader.find_leaf(leaf(b"X")[:8] + bytes(24)) is None
    assert _indexed_upto(backend, log) in {None, 12}
    entries = [b"a9", b"Z", b"W", b"V", b"a10", b"a11"]  # 17-22: the index reaches 23
    store.append_entries(entries, [leaf(e) for e in entries])
    assert _indexed_upto(backend, log) in {None, 23}
    for reader in (store, other):
        assert reader.find_leaf(leaf(b"Z")) == 14
        assert reader.find_leaf(leaf(b"W")) == 16
        assert reader.find_leaf(leaf(b"V")) == 20
        assert [reader.find_leaf(leaf(f"a{n}".encode())) for n in range(12)] == [
            1,
            3,
            4,
            6,
            7,
            8,
            10,
            11,
            12,
            17,
            21,
            22,
        ]


def test_find_leaves_gives_the_smallest_index_of_each_hash_held(store: Store) -> None:
    assert store.find_leaves([leaf(b"a")]) == {}  # a log never written
    assert store.find_leaves([]) == {}
    store.append_entries([b"a", b"b", b"a"], [leaf(b"a"), leaf(b"b"), leaf(b"a")])
    store.append_entries([b"b", b"c", b""], [leaf(b"b"), leaf(b"c"), b""])
    wanted = [leaf(b"c"), leaf(b"a"), leaf(b"d"), leaf(b"a"), b"", leaf(b"b")]
    assert store.find_leaves(wanted) == {leaf(b"a"): 0, leaf(b"b"): 1, leaf(b"c"): 4, b"": 5}
    assert store.find_leaves([leaf(b"d")]) == {}


@pytest.mark.parametrize(
    ("hashes", "error"),
    [
        ([leaf(b"a"), "b"], TypeError),
        ([bytearray(leaf(b"a"))], TypeError),
        ([leaf(b"a"), None], TypeError),
        ([leaf(b"a"), b"h" * 65], ValueError),
        (leaf(b"a"), TypeError),  # one hash, not a sequence of them
        ("abc", TypeError),
    ],
    ids=["str", "bytearray", "None", "too long", "bytes", "str as the sequence"],
)
def test_find_leaves_refuses_bad_hashes(store: Store, hashes: Any, error: type[Exception]) -> None:
    store.append_entries([b"a"], [leaf(b"a")])
    with pytest.raises(error):
        store.find_leaves(hashes)


def test_find_leaves_across_the_indexed_and_the_scanned_entries(backend: Backend) -> None:
    log = fresh_log()
    writer = backend.open(log, index_threshold=6)
    early = backend.open(log)  # looks up before the index moves, and again after
    model: dict[bytes, int] = {}
    rng = random.Random(11)
    names = [f"n{n}".encode() for n in range(12)]  # few names: many repeats
    size = 0
    for round_ in range(14):
        entries = [rng.choice(names) for _ in range(rng.randint(1, 4))]
        hashes = [leaf(e) for e in entries]
        if round_ == 5:  # a row of mixed-length hashes among the digests
            hashes[0] = hashes[0][:8]
        assert writer.append_entries(entries, hashes) == size
        for offset, leaf_hash in enumerate(hashes):
            model.setdefault(leaf_hash, size + offset)
        size += len(entries)
        late = backend.open(log)  # a store that never looked anything up
        asked = [*model, leaf(b"absent"), *rng.choices(sorted(model), k=3)]
        rng.shuffle(asked)
        for reader in (writer, early, late):
            assert reader.find_leaves(asked) == model, (round_, reader)
            assert {h: reader.find_leaf(h) for h in model} == model
        assert early.find_leaves([leaf(b"absent")]) == {}
    assert _indexed_upto(backend, log) in {None, *range(6, size + 1)}


def test_find_leaves_sees_every_append_committed_before_it(backend: Backend) -> None:
    log = fresh_log()
    writer, reader = backend.open(log, index_threshold=50), backend.open(log)
    appended: list[bytes] = []  # every hash here was committed before it was added
    done = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for number in range(120):
                entries = [f"w{number}/{i}".encode() for i in range(1 + number % 3)]
                writer.append_entries(entries, [leaf(e) for e in entries])
                appended.extend(leaf(e) for e in entries)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=write)
    thread.start()
    while not done.is_set():
        known = list(appended)
        found = reader.find_leaves(known)
        assert sorted(found.values()) == list(range(len(known)))
    thread.join()
    assert not errors, errors
    assert reader.find_leaves(appended) == {h: n for n, h in enumerate(appended)}


def test_a_large_batch_is_stored_whole(backend: Backend) -> None:
    store = backend.open(fresh_log())
    rng = random.Random(5)
    count = 50_000
    entries = [rng.randbytes(rng.randint(0, 300)) for _ in range(count)]
    hashes = [hashlib.sha256(b"%d" % n).digest() for n in range(count)]
    assert store.append_entries([b"first"], [leaf(b"first")]) == 0
    assert store.append_entries(entries, hashes) == 1
    assert store.entry_count() == count + 1
    assert store.read_entries(1, count + 1) == entries
    assert store.read_leaf_hashes(0, count + 1) == [leaf(b"first"), *hashes]
    for start, stop in [(4090, 4100), (8190, 8200), (count - 5, count + 1), (20_000, 20_001)]:
        assert store.read_entries(start, stop) == entries[start - 1 : stop - 1]
        assert store.read_leaf_hashes(start, stop) == hashes[start - 1 : stop - 1]
    for n in [0, 4095, 4096, 12_345, count - 1]:
        assert store.find_leaf(hashes[n]) == n + 1
    assert store.append_entries([b"last"], [hashes[7]]) == count + 1
    assert store.find_leaf(hashes[7]) == 8
    assert store.read_entries(count, count + 2) == [entries[-1], b"last"]


BAD_BATCHES: list[tuple[str, object, object, type[Exception]]] = [
    ("empty", [], [], ValueError),
    ("fewer hashes", [b"a", b"b"], [leaf(b"a")], ValueError),
    ("more hashes", [b"a"], [leaf(b"a"), leaf(b"b")], ValueError),
    ("str entry", [b"a", "b"], [leaf(b"a"), leaf(b"b")], TypeError),
    ("bytearray entry", [bytearray(b"a")], [leaf(b"a")], TypeError),
    ("None entry", [b"a", None], [leaf(b"a"), leaf(b"b")], TypeError),
    ("str hash", [b"a"], ["hash"], TypeError),
    ("hash too long", [b"a"], [b"h" * 65], ValueError),
    ("bytes as the batch", b"ab", [leaf(b"a"), leaf(b"b")], TypeError),
    ("str as the batch", [b"a"], "h", TypeError),
]


@pytest.mark.parametrize(
    ("entries", "hashes", "error"),
    [case[1:] for case in BAD_BATCHES],
    ids=[case[0] for case in BAD_BATCHES],
)
def test_bad_batches_change_nothing(
    store: Store, entries: Any, hashes: Any, error: type[Exception]
) -> None:
    before = snapshot(populated(store))
    with pytest.raises(error):
        store.append_entries(entries, hashes)
    assert snapshot(store) == before
    assert store.append_entries([b"next"], [leaf(b"next")]) == 5  # no index was used up


def test_a_failure_inside_a_batch_rolls_the_whole_batch_back(sql_backend: Backend) -> None:
    # With a threshold of 1 every append indexes its hashes after writing its entries.
    store = sql_backend.open(fresh_log(), index_threshold=1)
    store.append_entries(*batch("a", 3))
    assert sql_backend.raw is not None
    # Plant the index row of the batch's third entry, so the append fails after its
    # entries are written, while it indexes them.
    sql_backend.raw(
        "INSERT INTO leaf_index (log, key, idx) VALUES (%s, %s, %s)",
        (store.log, leaf_key(leaf(b"b/2")), 5),
    )
    with pytest.raises(StorageError):
        store.append_entries(*batch("b", 4))
    assert store.entry_count() == 3
    assert store.read_entries(0, 3) == batch("a", 3)[0]
    with pytest.raises(NotFoundError):
        store.read_entries(0, 4)
    assert store.find_leaf(leaf(b"b/0")) is None
    assert store.find_leaf(leaf(b"b/1")) is None
    # The store still works afterwards: the same batch fails again, a short one fits.
    with pytest.raises(StorageError):
        store.append_entries(*batch("b", 4))
    assert store.append_entries(*batch("c", 2)) == 3
    assert store.find_leaf(leaf(b"c/1")) == 4


def test_readers_never_see_part_of_a_batch(backend: Backend) -> None:
    log = fresh_log()
    writer, reader = backend.open(log), backend.open(log)
    size, batches = 50, 20
    seen: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(reader.entry_count())

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for number in range(batches):
            writer.append_entries(*batch(f"w{number}", size))
    finally:
        done.set()
        thread.join()
    assert all(count % size == 0 for count in seen), sorted(set(seen))
    assert reader.entry_count() == size * batches


# -- the tree --------------------------------------------------------------------------


def test_publish_moves_the_tree(store: Store) -> None:
    store.append_entries(*batch("p", 10))
    store.publish(old_size=0, new_size=4, tiles={(0, 0): b"a" * 128}, checkpoint=b"cp4\n")
    assert store.tree_size() == 4
    assert store.latest_checkpoint() == b"cp4\n"
    store.publish(old_size=4, new_size=10, tiles={(0, 0): b"b" * 320}, checkpoint=b"cp10\n")
    assert store.tree_size() == 10
    assert store.latest_checkpoint() == b"cp10\n"
    assert store.checkpoint_history() == [(4, b"cp4\n"), (10, b"cp10\n")]
    assert store.entry_count() == 10


def test_the_first_publish_may_be_the_empty_tree(store: Store) -> None:
    store.publish(old_size=0, new_size=0, tiles={}, checkpoint=b"empty\n")
    assert store.tree_size() == 0
    assert store.latest_checkpoint() == b"empty\n"
    assert store.checkpoint_history() == [(0, b"empty\n")]


def test_publishing_again_at_the_same_size_replaces_its_checkpoint(store: Store) -> None:
    store.append_entries(*batch("s", 2))
    store.publish(old_size=0, new_size=2, tiles={}, checkpoint=b"cp2\n")
    store.publish(old_size=2, new_size=2, tiles={}, checkpoint=b"cp2\n+cosignature\n")
    assert store.latest_checkpoint() == b"cp2\n+cosignature\n"
    assert store.checkpoint_history() == [(2, b"cp2\n+cosignature\n")]


def test_publish_with_a_stale_old_size_conflicts_and_changes_nothing(store: Store) -> None:
    before = snapshot(populated(store))
    for old_size in (0, 2, 4):
        with pytest.raises(ConflictError, match="tree size is 3"):
            store.publish(
                old_size=old_size, new_size=5, tiles={(0, 0): b"z" * 160}, checkpoint=b"cp5\n"
            )
    assert snapshot(store) == before


def test_publish_beyond_the_entries_is_refused(store: Store) -> None:
    before = snapshot(populated(store))
    with pytest.raises(ValueError, match="has 5 entries"):
        store.publish(old_size=3, new_size=6, tiles={(0, 0): b"z" * 192}, checkpoint=b"cp6\n")
    assert snapshot(store) == before


# -- append and publish in one transaction --------------------------------------------


def test_append_and_publish_sequences_and_publishes_at_once(store: Store) -> None:
    entries, hashes = batch("ap", 4)
    first = store.append_and_publish(
        old_size=0,
        entries=entries,
        leaf_hashes=hashes,
        tiles={(0, 0): b"t" * 128},
        checkpoint=b"cp4\n",
    )
    assert first == 0
    assert store.entry_count() == store.tree_size() == 4
    assert store.read_entries(0, 4) == entries
    assert store.read_tiles([(0, 0)]) == {(0, 0): b"t" * 128}
    assert store.latest_checkpoint() == b"cp4\n"
    more, more_hashes = batch("ap2", 2)
    assert (
        store.append_and_publish(
            old_size=4,
            entries=more,
            leaf_hashes=more_hashes,
            tiles={(0, 0): b"t" * 192},
            checkpoint=b"cp6\n",
        )
        == 4
    )
    assert store.checkpoint_history() == [(4, b"cp4\n"), (6, b"cp6\n")]
    assert store.find_leaf(more_hashes[1]) == 5


@pytest.mark.parametrize("pending", [True, False], ids=["entries-pending", "stale-old-size"])
def test_append_and_publish_conflicts_and_changes_nothing(store: Store, pending: bool) -> None:
    populated(store)  # 5 entries, a tree of 3
    if not pending:
        store.publish(old_size=3, new_size=5, tiles={}, checkpoint=b"cp5\n")
    before = snapshot(store)
    entries, hashes = batch("late", 2)
    with pytest.raises(ConflictError):
        store.append_and_publish(
            old_size=3,
            entries=entries,
            leaf_hashes=hashes,
            tiles={(0, 0): b"x" * 32},
            checkpoint=b"bad\n",
        )
    assert snapshot(store) == before


def test_append_and_publish_refuses_bad_batches(store: Store) -> None:
    before = snapshot(store)
    with pytest.raises(ValueError, match="at least one entry"):
        store.append_and_publish(
            old_size=0, entries=[], leaf_hashes=[], tiles={}, checkpoint=b"cp\n"
        )
    with pytest.raises(ValueError, match="leaf hashes"):
        store.append_and_publish(
            old_size=0, entries=[b"a"], leaf_hashes=[], tiles={}, checkpoint=b"cp\n"
        )
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"old_size": 3, "new_size": 2}, ValueError),
        ({"old_size": -1, "new_size": 4}, ValueError),
        ({"checkpoint": b""}, ValueError),
        ({"checkpoint": "cp"}, TypeError),
        ({"tiles": {(0, 0): b""}}, ValueError),
        ({"tiles": {(0, 0): "tile"}}, TypeError),
        ({"tiles": {(0, -1): b"t"}}, ValueError),
        ({"tiles": {(0,): b"t"}}, TypeError),
        ({"tiles": {(0, 0): b"ok", (1, 2**63): b"t"}}, ValueError),
    ],
)
def test_malformed_publishes_change_nothing(
    store: Store, arguments: dict[str, Any], error: type[Exception]
) -> None:
    before = snapshot(populated(store))
    call: dict[str, Any] = {"old_size": 3, "new_size": 4, "tiles": {}, "checkpoint": b"cp4\n"}
    with pytest.raises(error):
        store.publish(**(call | arguments))
    assert snapshot(store) == before


def test_tiles_are_replaced_by_wider_versions(store: Store) -> None:
    store.append_entries(*batch("t", 3))
    store.publish(old_size=0, new_size=1, tiles={(0, 0): b"h" * 32}, checkpoint=b"cp1\n")
    assert store.read_tiles([(0, 0)]) == {(0, 0): b"h" * 32}
    store.publish(
        old_size=1, new_size=3, tiles={(0, 0): b"h" * 96, (1, 0): b"i" * 32}, checkpoint=b"cp3\n"
    )
    assert store.read_tiles([(0, 0), (1, 0)]) == {(0, 0): b"h" * 96, (1, 0): b"i" * 32}


def test_read_tiles_omits_absent_tiles(store: Store) -> None:
    store.append_entries(*batch("t", 1))
    tiles = {
        (level, index): bytes([level, index % 256]) * 32
        for level in range(3)
        for index in range(100)
    }
    store.publish(old_size=0, new_size=1, tiles=tiles, checkpoint=b"cp1\n")
    wanted = [(level, index) for level in range(5) for index in range(0, 400, 3)]
    expected = {tile: data for tile, data in tiles.items() if tile in set(wanted)}
    assert store.read_tiles(wanted) == expected
    assert store.read_tiles(wanted + wanted[:10]) == expected  # duplicates are harmless
    assert store.read_tiles([]) == {}
    assert store.read_tiles([(9, 9)]) == {}
    with pytest.raises(ValueError, match="tile level"):
        store.read_tiles([(-1, 0)])
    with pytest.raises(TypeError):
        store.read_tiles((0, 0))  # type: ignore[arg-type]


# -- meta ------------------------------------------------------------------------------


def test_meta_values_are_set_and_replaced(store: Store) -> None:
    store.set_meta("origin", "example.org/log")
    store.set_meta("note", "")
    store.set_meta("verifier", "ünïcode ☢ key")
    assert store.get_meta("origin") == "example.org/log"
    assert store.get_meta("note") == ""
    assert store.get_meta("verifier") == "ünïcode ☢ key"
    store.set_meta("origin", "example.org/other")
    assert store.get_meta("origin") == "example.org/other"


def test_create_only_meta_refuses_an_existing_key(store: Store) -> None:
    store.set_meta("origin", "first", create_only=True)
    with pytest.raises(ConflictError, match="origin"):
        store.set_meta("origin", "second", create_only=True)
    assert store.get_meta("origin") == "first"


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("", "v", ValueError),
        ("k\x00", "v", ValueError),
        ("k", "v\x00", ValueError),
        ("k", b"v", TypeError),
    ],
)
def test_bad_meta_is_refused(store: Store, key: Any, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        store.set_meta(key, value)
    assert store.get_meta("k") is None


def test_compare_and_set_meta_creates_a_missing_key(store: Store) -> None:
    assert store.compare_and_set_meta("state", None, "first") is True
    assert store.get_meta("state") == "first"
    assert store.compare_and_set_meta("state", None, "again") is False
    assert store.get_meta("state") == "first"


def test_compare_and_set_meta_replaces_only_the_expected_value(store: Store) -> None:
    store.set_meta("state", "one")
    assert store.compare_and_set_meta("state", "two", "three") is False
    assert store.get_meta("state") == "one"
    assert store.compare_and_set_meta("state", "one", "two") is True
    assert store.get_meta("state") == "two"
    assert store.compare_and_set_meta("state", "one", "three") is False  # stale expectation
    assert store.get_meta("state") == "two"
    assert store.compare_and_set_meta("state", "two", "") is True
    assert store.compare_and_set_meta("state", "", "ünïcode ☢") is True
    assert store.get_meta("state") == "ünïcode ☢"


def test_compare_and_set_meta_on_a_missing_key_with_a_value_expected(store: Store) -> None:
    assert store.compare_and_set_meta("absent", "something", "new") is False
    assert store.get_meta("absent") is None


@pytest.mark.parametrize(
    ("key", "expected", "value", "error"),
    [
        ("", None, "v", ValueError),
        ("k\x00", None, "v", ValueError),
        ("k", None, "v\x00", ValueError),
        ("k", "x\x00", "v", ValueError),
        ("k", None, b"v", TypeError),
        ("k", b"x", "v", TypeError),
    ],
)
def test_bad_compare_and_set_meta_is_refused(
    store: Store, key: Any, expected: Any, value: Any, error: type[Exception]
) -> None:
    store.set_meta("k", "x")
    with pytest.raises(error):
        store.compare_and_set_meta(key, expected, value)
    assert store.get_meta("k") == "x"


def test_compare_and_set_meta_survives_reopening(backend: Backend) -> None:
    log = fresh_log()
    with backend.open(log) as store:
        assert store.compare_and_set_meta("state", None, "durable")
    with backend.open(log) as again:
        assert again.get_meta("state") == "durable"
        assert again.compare_and_set_meta("state", "durable", "next")


# -- several logs, several store objects, lifetime ---------------------------------------


def test_logs_are_isolated_in_one_database(backend: Backend) -> None:
    ours, theirs = backend.open(fresh_log()), backend.open(fresh_log())
    populated(ours)
    assert snapshot(theirs) == snapshot(backend.open(fresh_log()))  # still empty
    assert theirs.append_entries([b"x"], [leaf(b"base/0")]) == 0
    assert theirs.find_leaf(leaf(b"base/1")) is None
    theirs.publish(old_size=0, new_size=1, tiles={(0, 0): b"q" * 32}, checkpoint=b"theirs\n")
    theirs.set_meta("origin", "their.example/log")
    assert ours.entry_count() == 5
    assert ours.tree_size() == 3
    assert ours.read_tiles([(0, 0)]) == {(0, 0): b"t" * 96}
    assert ours.latest_checkpoint() == b"cp3\n"
    assert ours.get_meta("origin") == "example.org/log"
    assert ours.find_leaf(leaf(b"base/0")) == 0


def test_store_objects_on_one_log_share_it(backend: Backend) -> None:
    log = fresh_log()
    first, second = backend.open(log), backend.open(log)
    populated(first)
    assert snapshot(second) == snapshot(first)
    assert second.append_entries([b"more"], [leaf(b"more")]) == 5


def test_data_survives_close_and_reopen(backend: Backend) -> None:
    log = fresh_log()
    with backend.open(log) as store:
        before = snapshot(populated(store))
    with backend.open(log) as again:
        assert snapshot(again) == before
        assert again.append_entries([b"later"], [leaf(b"later")]) == 5


def test_a_closed_store_refuses_calls(store: Store) -> None:
    store.append_entries([b"a"], [leaf(b"a")])
    store.close()
    store.close()  # harmless
    calls: list[Callable[[], object]] = [
        store.entry_count,
        store.tree_size,
        lambda: store.read_entries(0, 1),
        lambda: store.read_entries(0, 0),
        lambda: store.append_entries([b"b"], [leaf(b"b")]),
        lambda: store.read_tiles([(0, 0)]),
        lambda: store.get_meta("origin"),
        lambda: store.compare_and_set_meta("origin", None, "x"),
    ]
    for call in calls:
        with pytest.raises(StorageError, match="closed"):
            call()


# -- concurrency -----------------------------------------------------------------------


def _check_gap_free(store: Store, acknowledged: list[tuple[int, list[bytes]]]) -> None:
    """Every acknowledged batch is stored where its first index said, and nothing else is."""
    acknowledged.sort()
    position = 0
    for first, entries in acknowledged:
        assert first == position, f"a gap or an overlap at index {position}"
        assert store.read_entries(first, first + len(entries)) == entries
        position += len(entries)
    assert store.entry_count() == position


def test_concurrent_threads_append_gap_free(backend: Backend) -> None:
    log = fresh_log()
    shared = backend.open(log)
    stores = [backend.open(log) for _ in range(5)] + [shared] * 3
    acknowledged: list[tuple[int, list[bytes]]] = []
    errors: list[BaseException] = []
    guard = threading.Lock()
    start = threading.Barrier(len(stores))

    def work(number: int, store: Store) -> None:
        rng = random.Random(number)
        try:
            start.wait()
            for round_ in range(15):
                entries, hashes = batch(f"t{number}.{round_}", rng.randint(1, 30))
                first = store.append_entries(entries, hashes)
                with guard:
                    acknowledged.append((first, entries))
        except BaseException as exc:  # reported below, with the thread's number
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(acknowledged) == 15 * len(stores)
    _check_gap_free(shared, acknowledged)


def test_concurrent_publishers_let_exactly_one_win(backend: Backend) -> None:
    log = fresh_log()
    stores = [backend.open(log) for _ in range(6)]
    stores[0].append_entries(*batch("c", 6))
    start = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def work(number: int, store: Store) -> None:
        start.wait()
        try:
            store.publish(
                old_size=0,
                new_size=number + 1,
                tiles={(0, 0): bytes([number]) * 32 * (number + 1)},
                checkpoint=f"cp by {number}\n".encode(),
            )
            outcomes.append(f"won {number}")
        except ConflictError:
            outcomes.append("lost")

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1, outcomes
    number = int(winners[0].split()[1])
    assert stores[1].tree_size() == number + 1
    assert stores[2].latest_checkpoint() == f"cp by {number}\n".encode()
    assert stores[3].read_tiles([(0, 0)]) == {(0, 0): bytes([number]) * 32 * (number + 1)}
    assert stores[4].checkpoint_history() == [(number + 1, f"cp by {number}\n".encode())]


def test_concurrent_create_only_meta_lets_exactly_one_win(backend: Backend) -> None:
    log = fresh_log()
    stores = [backend.open(log) for _ in range(6)]
    start = threading.Barrier(len(stores))
    winners: list[int] = []

    def work(number: int, store: Store) -> None:
        start.wait()
        try:
            store.set_meta("origin", f"writer {number}", create_only=True)
            winners.append(number)
        except ConflictError:
            pass

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert stores[0].get_meta("origin") == f"writer {winners[0]}"


def test_concurrent_compare_and_set_meta_loses_no_update(backend: Backend) -> None:
    """Counters incremented with read / compare-and-set / retry end at the exact total."""
    log = fresh_log()
    stores = [backend.open(log) for _ in range(6)]
    rounds = 12
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []
    lost = [0] * len(stores)

    def work(number: int, store: Store) -> None:
        try:
            start.wait()
            for _ in range(rounds):
                while True:
                    current = store.get_meta("counter")
                    new = str(int(current or "0") + 1)
                    if store.compare_and_set_meta("counter", current, new):
                        break
                    lost[number] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert stores[0].get_meta("counter") == str(rounds * len(stores))


def test_concurrent_compare_and_set_meta_from_one_state_lets_exactly_one_win(
    backend: Backend,
) -> None:
    log = fresh_log()
    stores = [backend.open(log) for _ in range(6)]
    stores[0].set_meta("state", "base")
    start = threading.Barrier(len(stores))
    winners: list[int] = []

    def work(number: int, store: Store) -> None:
        start.wait()
        if store.compare_and_set_meta("state", "base", f"writer {number}"):
            winners.append(number)

    threads = [threading.Thread(target=work, args=pair) for pair in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1, winners
    assert stores[1].get_meta("state") == f"writer {winners[0]}"


CAS_INCREMENTER = """
import sys
from treatyledger.storage import open_store

url, log, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open_store(url, log=log) as store:
    for _ in range(rounds):
        while True:
            current = store.get_meta("counter")
            if store.compare_and_set_meta("counter", current, str(int(current or "0") + 1)):
                break
"""


def test_concurrent_processes_compare_and_set_meta_lose_no_update(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    log = fresh_log()
    with sql_backend.open(log):
        pass  # create the schema before the race
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CAS_INCREMENTER, sql_backend.url, log, "15"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    assert sql_backend.open(log).get_meta("counter") == "60"


APPENDER = """
import sys
from treatyledger.storage import open_store

url, log, tag, batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open_store(url, log=log) as store:
    number = 0
    while batches < 0 or number < batches:
        size = 1 + number % 7
        entries = [f"{tag}/{number}/{i}".encode() for i in range(size)]
        first = store.append_entries(entries, [bytes(8)] * size)
        print(number, first, size, flush=True)  # acknowledged: durable now
        number += 1
"""


def _acknowledged(tag: str, lines: list[str]) -> list[tuple[int, list[bytes]]]:
    found = []
    for line in lines:
        number, first, size = (int(word) for word in line.split())
        found.append((first, [f"{tag}/{number}/{i}".encode() for i in range(size)]))
    return found


def _appender(url: str, log: str, tag: str, batches: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", APPENDER, url, log, tag, str(batches)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_processes_append_gap_free(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    log = fresh_log()
    with sql_backend.open(log):
        pass  # create the schema before the race, so the processes only race on appends
    processes = {f"p{n}": _appender(sql_backend.url, log, f"p{n}", 40) for n in range(3)}
    acknowledged = []
    for tag, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        acknowledged += _acknowledged(tag, out.splitlines())
    assert len(acknowledged) == 120
    _check_gap_free(sql_backend.open(log), acknowledged)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_acknowledged_appends_survive_a_killed_process(sql_backend: Backend) -> None:
    assert sql_backend.url is not None
    log = fresh_log()
    process = _appender(sql_backend.url, log, "k", -1)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(30)]
    process.send_signal(signal.SIGKILL)
    rest, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err
    lines += rest.splitlines(keepends=True)
    complete = [line for line in lines if line.endswith("\n")]  # a torn last line is no ack
    acknowledged = _acknowledged("k", complete)
    assert len(acknowledged) >= 30, err
    store = sql_backend.open(log)
    for first, entries in acknowledged:
        assert store.read_entries(first, first + len(entries)) == entries
    # The batch in flight at the kill either landed whole (unreported) or not at all.
    stored = sum(len(entries) for _, entries in acknowledged)
    in_flight = len(acknowledged)
    in_flight_size = 1 + in_flight % 7
    assert store.entry_count() in {stored, stored + in_flight_size}
    if store.entry_count() > stored:
        assert store.read_entries(stored, stored + in_flight_size) == [
            f"k/{in_flight}/{i}".encode() for i in range(in_flight_size)
        ]


# -- driver specifics: schema migrations, durability settings ---------------------------


@pytest.mark.parametrize("migrations", [SQLITE_MIGRATIONS, POSTGRES_MIGRATIONS])
def test_migration_steps_are_numbered_in_order(migrations: tuple[Any, ...]) -> None:
    assert [step.version for step in migrations] == list(range(1, len(migrations) + 1))
    assert all(step.statements and step.description for step in migrations)


@pytest.fixture
def fresh_database(sql_backend: Backend, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The driver's backend on a database that has never been opened."""
    if sql_backend.name == "sqlite":
        path = tmp_path / "fresh.db"
        return Backend(
            "sqlite",
            lambda log, **options: SqliteStore(path, log=log, **options),
            url=f"sqlite:///{path}",
            raw=_sqlite_raw(path),
            opened=sql_backend.opened,
        )
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    return Backend(
        "postgres",
        lambda log, **options: PostgresStore(url, log=log, **options),
        url=url,
        raw=_postgres_raw(url),
        opened=sql_backend.opened,
    )


def _schema_version(store: Store) -> int:
    assert isinstance(store, SqliteStore | PostgresStore)
    return store.schema_version()


def test_opening_migrates_once_and_is_idempotent(fresh_database: Backend) -> None:
    latest = latest_version(
        SQLITE_MIGRATIONS if fresh_database.name == "sqlite" else POSTGRES_MIGRATIONS
    )
    with fresh_database.open("self") as store:
        assert _schema_version(store) == latest
        populated(store)
    with fresh_database.open("self") as store:
        assert _schema_version(store) == latest
        assert store.entry_count() == 5


def test_concurrent_first_opens_all_succeed(fresh_database: Backend) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work(number: int) -> None:
        start.wait()
        try:
            with fresh_database.opener(f"log{number}") as store:
                store.append_entries([b"x"], [leaf(b"x")])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_a_version_1_database_is_migrated(fresh_database: Backend) -> None:
    raw = fresh_database.raw
    assert raw is not None
    if fresh_database.name == "sqlite":
        bootstrap, first_step = (SQLITE_BOOTSTRAP,), SQLITE_MIGRATIONS[0]
    else:
        bootstrap, first_step = POSTGRES_BOOTSTRAP, POSTGRES_MIGRATIONS[0]
    for statement in (*bootstrap, *first_step.statements):
        raw(statement, ())
    raw(
        "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
        (1, first_step.description),
    )
    old = [b"one", b"", b"two", b"one", os.urandom(70_000)]
    old_hashes = [leaf(b"one"), b"", leaf(b"two"), leaf(b"one"), b"\x07" * 3]
    for index, (entry, leaf_hash) in enumerate(zip(old, old_hashes, strict=True)):
        raw(
            "INSERT INTO entries (log, idx, data, leaf_hash) VALUES (%s, %s, %s, %s)",
            ("self", index, entry, leaf_hash),
        )
    raw("INSERT INTO logs (name, entry_count, tree_size) VALUES (%s, %s, %s)", ("self", 5, 2))
    raw("INSERT INTO checkpoints (log, size, note) VALUES (%s, %s, %s)", ("self", 2, b"cp2\n"))
    with fresh_database.open("self", index_threshold=3) as store:
        assert _schema_version(store) == latest_version(
            SQLITE_MIGRATIONS if fresh_database.name == "sqlite" else POSTGRES_MIGRATIONS
        )
        assert store.entry_count() == 5
        assert store.tree_size() == 2
        assert store.latest_checkpoint() == b"cp2\n"
        assert store.read_entries(0, 5) == old
        assert store.read_entries(2, 4) == old[2:4]
        assert store.read_leaf_hashes(0, 5) == old_hashes
        assert store.find_leaf(leaf(b"one")) == 0
        assert store.find_leaf(b"") == 1
        assert store.find_leaf(b"\x07" * 3) == 4
        assert store.append_entries([b"three", b"one"], [leaf(b"three"), leaf(b"one")]) == 5
        assert store.read_entries(3, 7) == [*old[3:], b"three", b"one"]
        assert store.find_leaf(leaf(b"one")) == 0
        assert store.find_leaf(leaf(b"three")) == 5


@pytest.mark.parametrize(("threshold", "error"), [(0, ValueError), (True, TypeError)])
def test_a_bad_index_threshold_is_refused(
    sql_backend: Backend, threshold: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="index_threshold"):
        sql_backend.open(fresh_log(), index_threshold=threshold)


def test_a_newer_schema_is_refused(fresh_database: Backend) -> None:
    with fresh_database.open("self"):
        pass
    assert fresh_database.raw is not None
    fresh_database.raw(
        "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)",
        (999, "from the future"),
    )
    with pytest.raises(StorageError, match="schema version 999"):
        fresh_database.open("self")


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    with open_store(f"sqlite:///{path}") as store:
        store.append_entries([b"a"], [leaf(b"a")])
        connection = store._connection  # type: ignore[attr-defined]
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    connection = sqlite3.connect(path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_sqlite_reports_an_unopenable_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot open SQLite database"):
        SqliteStore(tmp_path / "missing-folder" / "x.db")
