"""Mirroring another party's log: fetch, verify, then store.

The mirror never trusts what it fetches. It verifies the party's checkpoint
against the party's registered key, fetches only the entry bundles it lacks,
recomputes the leaf hashes and tiles itself from the entries
(:func:`treatyledger.log.integrate.integrate`) on top of the tree it already
verified, and stores the new entries, tiles and checkpoint in one atomic
commit only if the recomputed root is the signed one. A tree extended that
way is consistent with everything mirrored before, by construction.

When the signed root does not come out, the mirror asks whether the party's
own tiles back the new checkpoint and contradict the older one; if they do,
the two signed checkpoints and the fork path are equivocation evidence.
A checkpoint of the mirrored size with another root, or an older one the
mirrored tree contradicts, is evidence too. So is a checkpoint the node's
witness cosigned that the mirrored tree contradicts: the party showed the
witness one history and the mirror another. Evidence is handed to
``report`` and the round fails with :class:`~treatyledger.errors.InconsistencyError`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from treatyledger.errors import (
    FormatError,
    InconsistencyError,
    TreatyLedgerError,
    VerificationError,
)
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.integrate import integrate
from treatyledger.log.merkle import NodeFetcher, NodeId, leaf_hash, root_hash
from treatyledger.log.store import LogStore, TileId
from treatyledger.log.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    decode_bundle,
    entries_path,
    fetch_nodes,
    tile_path,
)
from treatyledger.node.evidence import Evidence, EvidenceKind, fork_path, proves_fork
from treatyledger.node.parties import Party

__all__ = ["Fetch", "MirrorResult", "mirror_log"]

Fetch = Callable[[str], bytes]
"""Reads a file of the party's tiled log by its path (``checkpoint``, ``tile/0/000``...)."""


@dataclass(frozen=True)
class MirrorResult:
    """What a mirror round did: the mirrored size and how many entries it added."""

    size: int
    added: int
    status: Literal["extended", "current", "behind"]


def _fetcher(store: LogStore, overlay: Mapping[TileId, bytes] | None = None) -> NodeFetcher:
    def read(ids: Sequence[TileId]) -> dict[TileId, bytes]:
        found = store.read_tiles([i for i in ids if not overlay or i not in overlay])
        if overlay:
            found.update({i: overlay[i] for i in ids if i in overlay})
        return found

    def fetch(ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, read)

    return fetch


def _remote_fetcher(fetch: Fetch, size: int) -> NodeFetcher:
    """Node hashes from the party's own tiles of the tree of ``size``."""

    def read(ids: Sequence[TileId]) -> dict[TileId, bytes]:
        found = {}
        for level, index in ids:
            width = min(TILE_WIDTH, (size >> (TILE_HEIGHT * level)) - index * TILE_WIDTH)
            if width > 0:
                found[(level, index)] = fetch(tile_path(level, index, width))
        return found

    def nodes(ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, read)

    return nodes


def _new_entries(fetch: Fetch, old_size: int, new_size: int) -> list[bytes]:
    entries: list[bytes] = []
    for bundle in range(old_size // TILE_WIDTH, -(-new_size // TILE_WIDTH)):
        first = bundle * TILE_WIDTH
        width = min(TILE_WIDTH, new_size - first)
        try:
            held = decode_bundle(fetch(entries_path(bundle, width)), width=width)
        except FormatError as exc:
            raise VerificationError(f"{entries_path(bundle, width)}: {exc.problem}") from exc
        entries += held[max(0, old_size - first) :]
    return entries


class _Mirror:
    def __init__(
        self,
        party: Party,
        store: LogStore,
        report: Callable[[Evidence], object],
        now: Callable[[], int],
    ) -> None:
        self.party = party
        self.store = store
        self.report = report
        self.now = now
        self.verifier = party.verifier()

    def open(self, signed: bytes) -> Checkpoint:
        return open_checkpoint(signed, self.verifier, origin=self.party.origin)

    def fail(
        self, kind: EvidenceKind, older: bytes, newer: bytes, path: Sequence[bytes], why: str
    ) -> InconsistencyError:
        self.report(
            Evidence(
                origin=self.party.origin,
                kind=kind,
                older=older,
                newer=newer,
                path=tuple(path),
                detected_at=self.now(),
                seen_by="mirror",
                detail=why,
            )
        )
        return InconsistencyError(
            f"{self.party.name}'s log {self.party.origin} equivocates: {why}",
            older=older,
            newer=newer,
        )

    def check_against(self, signed: bytes, size: int, held: bytes) -> None:
        """Raise (with evidence) if ``signed`` contradicts the mirrored tree of ``size``."""
        other = self.open(signed)
        if other.size > size:
            return  # not checkable against what is mirrored yet
        local = _fetcher(self.store)
        if hmac.compare_digest(root_hash(other.size, local), other.root_hash):
            return
        if other.size == size:
            raise self.fail("same-size", signed, held, (), "two checkpoints of one size, two roots")
        if other.size == 0:
            raise VerificationError(f"{self.party.name} signed an empty tree with a wrong root")
        path = fork_path(other.size, size, local)
        raise self.fail(
            "fork", signed, held, path, f"the tree of {size} entries does not extend {other.size}"
        )

    def extend(self, signed: bytes, new: Checkpoint, fetch: Fetch) -> int:
        store = self.store
        old_size, held = store.tree_size(), store.latest_checkpoint()
        entries = _new_entries(fetch, old_size, new.size)
        hashes = [leaf_hash(entry) for entry in entries]
        tiles = integrate(old_size=old_size, leaf_hashes=hashes, read_tiles=store.read_tiles)
        root = root_hash(new.size, _fetcher(store, tiles))
        if hmac.compare_digest(root, new.root_hash):
            if entries:
                store.append_and_publish(
                    old_size=old_size,
                    entries=entries,
                    leaf_hashes=hashes,
                    tiles=tiles,
                    checkpoint=signed,
                )
            else:
                store.publish(old_size=0, new_size=0, tiles={}, checkpoint=signed)
            return len(entries)
        if held is not None:
            self.check_fork(held, signed, new, fetch)
        raise VerificationError(
            f"the entries {self.party.name} serves do not hash to its checkpoint of "
            f"{new.size}; nothing was mirrored"
        )

    def check_fork(self, held: bytes, signed: bytes, new: Checkpoint, fetch: Fetch) -> None:
        """Raise with evidence if the party's own tiles back ``new`` and contradict ``held``."""
        older = self.open(held)
        remote = _remote_fetcher(fetch, new.size)
        if older.size == 0:
            return
        try:
            path = fork_path(older.size, new.size, remote)
        except (TreatyLedgerError, ValueError):
            return  # its tiles cannot even be read: no evidence, just bad data
        if proves_fork(older, new, path):
            raise self.fail(
                "fork",
                held,
                signed,
                path,
                f"its tree of {new.size} entries does not extend the mirrored {older.size}",
            )


def mirror_log(
    party: Party,
    store: LogStore,
    fetch: Fetch,
    *,
    report: Callable[[Evidence], object],
    now: Callable[[], int],
    witnessed: bytes | None = None,
) -> MirrorResult:
    """Bring the mirror of ``party``'s log in ``store`` up to the party's checkpoint.

    ``witnessed`` is the checkpoint of that log this node's witness last
    cosigned, checked against the mirrored tree. Raises
    :class:`VerificationError` for a checkpoint or files that do not verify
    (nothing is stored) and :class:`InconsistencyError` for equivocation
    (after ``report`` got the evidence).
    """
    mirror = _Mirror(party, store, report, now)
    signed = fetch("checkpoint")
    try:
        new = mirror.open(signed)
    except (FormatError, VerificationError) as exc:
        raise VerificationError(
            f"{party.name} serves a checkpoint that does not verify against its registered "
            f"key: {exc}"
        ) from exc
    held = store.latest_checkpoint()
    size = store.tree_size()
    added = 0
    if held is not None and new.size <= size:
        mirror.check_against(signed, size, held)
        status: Literal["extended", "current", "behind"] = "current"
        if new.size < size:
            status = "behind"
        elif signed != held:  # the same tree with other cosignatures: keep the party's copy
            store.publish(old_size=size, new_size=size, tiles={}, checkpoint=signed)
    else:
        added, status = mirror.extend(signed, new, fetch), "extended"
        size, held = new.size, signed
    if witnessed is not None:
        mirror.check_against(witnessed, size, held)
    return MirrorResult(size=size, added=added, status=status)
