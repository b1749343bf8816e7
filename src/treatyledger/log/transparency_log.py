"""One party's transparency log: durable appends, batched integration, signed checkpoints.

The log owns hashing, tiles and checkpoint signing; its store only saves and
loads. An append returns indexes only once the entries are durable.
Integration folds every pending entry into the tiles and signs one new
checkpoint per batch. Because the tree is a function of the sequenced,
immutable entries, any two checkpoints the log signs are consistent, also
across crashes; before signing, the log checks that anyway against its
latest checkpoint and refuses to sign if the check fails.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

from treatyledger.errors import ConflictError, InconsistencyError, InputError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from treatyledger.log.integrate import integrate
from treatyledger.log.merkle import (
    NodeId,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
)
from treatyledger.log.note import Ed25519Verifier, Signer
from treatyledger.log.store import LogStore, TileId
from treatyledger.log.tilecache import TileCache
from treatyledger.log.tiles import MAX_ENTRY_SIZE
from treatyledger.log.tlogproof import TlogProof, format_tlog_proof

__all__ = ["MAX_ENTRY_SIZE", "TransparencyLog"]


_INTEGRATE_ATTEMPTS = 5

_Fetch = Callable[[Sequence[NodeId]], Sequence[bytes]]


class TransparencyLog:
    """A log bound to a store, a verifier and (for writing) a signer."""

    def __init__(
        self,
        *,
        store: LogStore,
        origin: str,
        verifier: Ed25519Verifier,
        signer: Signer | None = None,
    ) -> None:
        self._store = store
        self.origin = origin
        self.verifier = verifier
        self._signer = signer
        self._tiles = TileCache()

    # -- writing -------------------------------------------------------------

    def append(self, entries: Sequence[bytes]) -> list[int]:
        """Sequence ``entries`` durably; return their indexes.

        All entries are checked before any is stored: an empty batch or an
        oversized entry is refused with :class:`InputError` and nothing is
        appended. Integration is separate (:meth:`integrate`).
        """
        data, hashes = self._prepare(entries)
        first = self._store.append_entries(data, hashes)
        return list(range(first, first + len(data)))

    def append_and_integrate(self, entries: Sequence[bytes]) -> tuple[list[int], bytes]:
        """Sequence ``entries`` and sign the checkpoint that includes them: one commit per batch.

        Returns the indexes and the new signed checkpoint. When entries of
        another writer are pending, falls back to :meth:`append` then
        :meth:`integrate`, which gives the same guarantees.
        """
        signer = self._require_signer()
        data, hashes = self._prepare(entries)
        for _ in range(_INTEGRATE_ATTEMPTS):
            old_size = self._store.tree_size()
            latest = self._store.latest_checkpoint()
            if latest is None or self._store.entry_count() != old_size:
                break
            tiles, signed = self._next_tree(old_size, hashes, latest, signer)
            try:
                first = self._store.append_and_publish(
                    old_size=old_size,
                    entries=data,
                    leaf_hashes=hashes,
                    tiles=tiles,
                    checkpoint=signed,
                )
            except ConflictError:
                continue  # another writer came first; try again on the new tree
            return list(range(first, first + len(data))), signed
        first = self._store.append_entries(data, hashes)
        return list(range(first, first + len(data))), self.integrate()

    def _prepare(self, entries: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
        if not entries:
            raise InputError("nothing to append")
        data = list(entries)
        if not all(type(e) is bytes for e in data):
            for position, entry in enumerate(data):
                if not isinstance(entry, bytes | bytearray):
                    raise InputError(f"entry {position} is not bytes")
            data = [bytes(e) for e in data]
        if max(map(len, data)) > MAX_ENTRY_SIZE:
            position, entry = next((i, e) for i, e in enumerate(data) if len(e) > MAX_ENTRY_SIZE)
            raise InputError(
                f"entry {position} is {len(entry):,} bytes; the largest allowed is "
                f"{MAX_ENTRY_SIZE:,} (nothing was appended)"
            )
        sha256 = hashlib.sha256
        return data, [sha256(b"\x00" + e).digest() for e in data]  # RFC 6962 leaf hashes

    def _require_signer(self) -> Signer:
        if self._signer is None:
            raise InputError(f"the signing key of {self.origin} is not available here")
        return self._signer

    def integrate(self) -> bytes:
        """Integrate every pending entry and return the latest signed checkpoint.

        Signs a new checkpoint only when there are new entries (or none was
        ever signed). Safe against concurrent integrators: the store accepts
        one publication per tree size and the loser retries on the new tree.
        """
        signer = self._require_signer()
        for _ in range(_INTEGRATE_ATTEMPTS):
            old_size = self._store.tree_size()
            latest = self._store.latest_checkpoint()
            new_size = self._store.entry_count()
            if latest is not None and new_size == old_size:
                return latest
            hashes = self._store.read_leaf_hashes(old_size, new_size)
            tiles, signed = self._next_tree(old_size, hashes, latest, signer)
            try:
                self._store.publish(
                    old_size=old_size, new_size=new_size, tiles=tiles, checkpoint=signed
                )
            except ConflictError:
                continue  # another integrator published first; integrate on top of it
            return signed
        raise ConflictError(f"could not integrate {self.origin}: the tree kept changing")

    def _next_tree(
        self, old_size: int, hashes: Sequence[bytes], latest: bytes | None, signer: Signer
    ) -> tuple[dict[TileId, bytes], bytes]:
        """The tiles and the signed checkpoint of the tree extended by ``hashes``."""
        tiles = integrate(
            old_size=old_size,
            leaf_hashes=hashes,
            read_tiles=self._store.read_tiles,
            full_tile_root=self._tiles.full_tile_root,
        )
        new_size = old_size + len(hashes)
        fetch = self._fetcher(overlay=tiles)
        checkpoint = Checkpoint(
            origin=self.origin, size=new_size, root_hash=root_hash(new_size, fetch)
        )
        if latest is not None:
            self._check_extends(latest, checkpoint, fetch)
        return tiles, sign_checkpoint(checkpoint, signer)

    def _check_extends(self, latest: bytes, new: Checkpoint, fetch: _Fetch) -> None:
        old = open_checkpoint(latest, self.verifier, origin=self.origin)
        proof = consistency_proof(old.size, new.size, fetch)
        try:
            verify_consistency(
                old_size=old.size,
                new_size=new.size,
                old_root=old.root_hash,
                new_root=new.root_hash,
                proof=proof,
            )
        except VerificationError as exc:
            raise InconsistencyError(
                f"refusing to sign: the tree of {new.size} entries does not extend the "
                f"checkpoint of {old.size} ({exc}); the store is corrupt",
                older=latest,
                newer=new.body().encode(),
            ) from exc

    # -- reading -------------------------------------------------------------

    def checkpoint(self) -> bytes:
        """The latest signed checkpoint."""
        latest = self._store.latest_checkpoint()
        if latest is None:
            raise InputError(f"the log {self.origin} has no checkpoint yet; run integrate")
        return latest

    def checkpoint_history(self) -> list[tuple[int, bytes]]:
        """Every published ``(size, checkpoint)``, oldest first, with cosignatures gained."""
        return self._store.checkpoint_history()

    def size(self) -> int:
        """The integrated size."""
        return self._store.tree_size()

    def pending(self) -> int:
        """How many appended entries wait for integration."""
        return self._store.entry_count() - self._store.tree_size()

    def entries(self, start: int, stop: int) -> list[bytes]:
        """Entries [start, stop) of the log."""
        return self._store.read_entries(start, stop)

    def find(self, entry: bytes) -> int | None:
        """The index of ``entry`` if the log holds it."""
        return self._store.find_leaf(leaf_hash(entry))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof of ``index`` in the tree of ``size`` (default: latest)."""
        size = self.size() if size is None else size
        self._check_size(size)
        if not 0 <= index < size:
            raise InputError(f"index {index} is not in the tree of {size} entries")
        return inclusion_proof(index, size, self._fetcher())

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof between two tree sizes (default: latest)."""
        new_size = self.size() if new_size is None else new_size
        self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise InputError(f"cannot prove {old_size} against {new_size}")
        return consistency_proof(old_size, new_size, self._fetcher())

    def tlog_proof(self, index: int) -> bytes:
        """A C2SP tlog-proof of entry ``index`` against the latest checkpoint."""
        signed = self.checkpoint()
        checkpoint = open_checkpoint(signed, self.verifier, origin=self.origin)
        proof = self.inclusion_proof(index, checkpoint.size)
        return format_tlog_proof(TlogProof(index=index, proof=tuple(proof), checkpoint=signed))

    def tiles(self, ids: Sequence[TileId]) -> dict[TileId, bytes]:
        """Stored tile data (the latest width of each)."""
        return self._store.read_tiles(ids)

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size():
            raise InputError(f"the log has {self.size()} integrated entries, not {size}")

    def _fetcher(self, overlay: Mapping[TileId, bytes] | None = None) -> _Fetch:
        store = self._store

        def read(ids: Sequence[TileId]) -> dict[TileId, bytes]:
            wanted = [i for i in ids if overlay is None or i not in overlay]
            found = store.read_tiles(wanted) if wanted else {}
            if overlay:
                found.update({i: overlay[i] for i in ids if i in overlay})
            return found

        def fetch(ids: Sequence[NodeId]) -> list[bytes]:
            return self._tiles.fetch_nodes(ids, read)

        return fetch
