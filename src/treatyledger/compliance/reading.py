"""Read one party's exported log: verify the whole tree, decode and parse every entry.

Pure: files are read through a ``fetch(path) -> bytes`` callable, as
:func:`treatyledger.log.verify_tree.verify_tree` does, so the same reading
works on a folder, a web server or an object store. Reading refuses a tree
that does not verify (a tampered tile, entry bundle or checkpoint); an entry
that is logged but does not parse is kept, with the reason, because what a
party logged is evidence even when it is malformed.

An export may also hold the log's earlier checkpoints, with the cosignatures
the witnesses returned (``checkpoints/index`` lists their sizes, one per line;
``checkpoints/<size>`` is each note; see :mod:`treatyledger.log.export`). Each
must be signed by the log's key and have the root the verified tree has at
that size (else the log showed another history: :class:`VerificationError`).
Their cosignatures by trusted witnesses attest when entries existed
(:mod:`treatyledger.compliance.attestation`). A party's export may also carry
``witness-evidence.json``: the equivocation evidence its witness holds about
other logs (:mod:`treatyledger.log.equivocation`), which the compliance engine
checks against the accused logs' keys.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from treatyledger.compliance.attestation import (
    Attestation,
    CosignedCheckpoint,
    attested_by,
    cosignatures,
)
from treatyledger.compliance.findings import Evidence
from treatyledger.errors import FormatError, TreatyLedgerError, VerificationError
from treatyledger.ledger.envelope import Entry, parse_entry, parse_entry_text
from treatyledger.ledger.exchange import DataExchange, parse_exchange
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.equivocation import Evidence as Equivocation
from treatyledger.log.merkle import NodeId, inclusion_proof, leaf_hash, root_hash, verify_inclusion
from treatyledger.log.note import Ed25519Verifier, Verifier, open_note
from treatyledger.log.store import TileId
from treatyledger.log.tiles import (
    bundles_for_size,
    decode_bundle,
    entries_path,
    fetch_nodes,
    tile_path,
    tiles_for_size,
)
from treatyledger.log.verify_tree import verify_tree

__all__ = [
    "WITNESS_EVIDENCE",
    "Fetch",
    "LoggedEntry",
    "LoggedLog",
    "read_log",
    "verifier_from_export",
]

WITNESS_EVIDENCE = "witness-evidence.json"
"""The file of an export holding the equivocation evidence its party's witness keeps."""

Fetch = Callable[[str], bytes]


@dataclass(frozen=True)
class LoggedEntry:
    """One logged note, where it is, and what it says.

    ``entry`` is None when the note is not a readable entry (``problem`` says
    why). A readable ``data_exchange`` entry also carries its parsed
    ``exchange``, or a ``problem`` when its totals do not check against its
    commitment.
    """

    origin: str
    index: int
    note: bytes
    leaf_hash: bytes
    entry: Entry | None
    exchange: DataExchange | None = None
    problem: str | None = None


@dataclass(frozen=True)
class LoggedLog:
    """A verified log: its signed checkpoint, its verifier key and every entry."""

    origin: str
    vkey: str
    signed_checkpoint: bytes
    checkpoint: Checkpoint
    entries: tuple[LoggedEntry, ...]
    _tiles: Mapping[TileId, bytes] = field(repr=False, compare=False)
    history: tuple[CosignedCheckpoint, ...] = ()
    """Every checkpoint read (earlier ones and the latest), with trusted cosignatures."""
    own_witnesses: frozenset[str] = frozenset()
    """Witness keys whose cosignatures do not count for this log (its own party's)."""
    held_evidence: tuple[Equivocation, ...] = ()
    """Equivocation evidence this party's witness holds about other logs (unverified here)."""

    @property
    def size(self) -> int:
        """The number of entries the signed checkpoint commits to."""
        return self.checkpoint.size

    def _nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        return fetch_nodes(ids, lambda tids: {t: self._tiles[t] for t in tids})

    def proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of entry ``index`` against the signed checkpoint (or ``size``)."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"entry {index} is not in the tree of {size} entries")
        return inclusion_proof(index, size, self._nodes)

    def root_at(self, size: int) -> bytes:
        """The root hash of the log's first ``size`` entries, from the verified tiles."""
        if not 0 <= size <= self.size:
            raise ValueError(f"the log has {self.size} entries, not {size}")
        return root_hash(size, self._nodes)

    def attestation(self, index: int) -> Attestation | None:
        """The earliest trusted witness cosignature on a checkpoint that includes ``index``."""
        found = attested_by(index, self.history, exclude=self.own_witnesses)
        if found is None:
            return None
        held, witness, time = found
        return Attestation(
            checkpoint=held.signed,
            proof=tuple(self.proof(index, held.checkpoint.size)),
            witness=witness,
            time=dt.datetime.fromtimestamp(time, dt.UTC),
        )

    def evidence(self, index: int) -> Evidence:
        """Entry ``index`` as self-contained evidence: note, proof, signed checkpoint, key."""
        logged = self.entries[index]
        return Evidence(
            origin=self.origin,
            index=index,
            leaf_hash=logged.leaf_hash,
            proof=tuple(self.proof(index)),
            checkpoint=self.signed_checkpoint,
            entry=logged.note,
            vkey=self.vkey,
            attestation=self.attestation(index),
        )


def verifier_from_export(fetch: Fetch) -> Ed25519Verifier:
    """The verifier key the export carries in its ``vkey`` file.

    Trusting it only proves the log is consistent with itself; pin the key
    (compare it with one obtained independently) to prove who wrote the log.
    """
    try:
        text = fetch("vkey").decode("utf-8").strip()
    except FileNotFoundError as exc:
        raise VerificationError("vkey is missing: every exported log must carry it") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(what="verifier key", problem="vkey is not UTF-8 text") from exc
    return Ed25519Verifier.from_vkey(text)


def _decode(origin: str, index: int, note: bytes, verifier: Verifier) -> LoggedEntry:
    digest = leaf_hash(note)
    try:
        entry = parse_entry_text(open_note(note, [verifier]).text)
    except TreatyLedgerError as exc:
        return LoggedEntry(origin, index, note, digest, None, problem=str(exc))
    try:
        parse_entry(note, verifier)
        exchange = parse_exchange(note, verifier) if entry.type == "data_exchange" else None
    except TreatyLedgerError as exc:
        return LoggedEntry(origin, index, note, digest, entry, problem=str(exc))
    return LoggedEntry(origin, index, note, digest, entry, exchange=exchange)


def _history_sizes(fetch: Fetch) -> list[int]:
    try:
        text = fetch("checkpoints/index").decode("ascii")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError as exc:
        raise FormatError(what="checkpoint history", problem="index is not ASCII") from exc
    sizes = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.isdigit() or (len(line) > 1 and line[0] == "0"):
            raise FormatError(
                what="checkpoint history", problem=f"checkpoints/index line {number}: {line!r}"
            )
        sizes.append(int(line))
    return sizes


def _read_history(
    fetch: Fetch,
    log: LoggedLog,
    verifier: Ed25519Verifier,
    witnesses: Sequence[CosignatureVerifier],
) -> tuple[CosignedCheckpoint, ...]:
    held = [cosignatures(log.signed_checkpoint, verifier, witnesses)]
    for size in _history_sizes(fetch):
        path = f"checkpoints/{size}"
        if size > log.size:
            raise VerificationError(f"{path}: beyond the latest checkpoint ({log.size})")
        try:
            signed = fetch(path)
        except FileNotFoundError as exc:
            raise VerificationError(f"{path} is listed in checkpoints/index but missing") from exc
        try:
            old = cosignatures(signed, verifier, witnesses)
        except TreatyLedgerError as exc:
            raise VerificationError(f"{path}: {exc}") from exc
        if old.checkpoint.size != size or old.checkpoint.origin != log.origin:
            raise VerificationError(f"{path} is the checkpoint of another tree")
        if old.checkpoint.root_hash != log.root_at(size):
            raise VerificationError(
                f"{path}: the log signed another tree of size {size} than the one it "
                "exports now (two histories)"
            )
        held.append(old)
    return tuple(held)


def read_log(
    fetch: Fetch,
    verifier: Ed25519Verifier,
    *,
    witnesses: Sequence[CosignatureVerifier] = (),
    own_witnesses: Sequence[str] = (),
) -> LoggedLog:
    """Verify the exported tree behind ``fetch`` with ``verifier`` and read every entry.

    ``witnesses`` are the witness keys whose cosignatures attest times; those
    in ``own_witnesses`` (vkeys of the log's own party) do not count for it.
    Raises :class:`VerificationError` (or :class:`FormatError`) naming the first
    file that does not hold; nothing is read from a tree that does not verify.
    """
    report = verify_tree(fetch, verifier)
    checkpoint = report.checkpoint
    signed = fetch("checkpoint")
    if open_checkpoint(signed, verifier) != checkpoint:
        raise VerificationError("the checkpoint changed while the log was read")
    size = checkpoint.size
    tiles = {
        (level, idx): fetch(tile_path(level, idx, width))
        for level, idx, width in tiles_for_size(size)
    }
    entries: list[LoggedEntry] = []
    for bundle, width in bundles_for_size(size):
        notes = decode_bundle(fetch(entries_path(bundle, width)), width=width)
        for note in notes:
            entries.append(_decode(checkpoint.origin, len(entries), note, verifier))
    log = LoggedLog(
        origin=checkpoint.origin,
        vkey=verifier.vkey(),
        signed_checkpoint=signed,
        checkpoint=checkpoint,
        entries=tuple(entries),
        _tiles=tiles,
    )
    for logged in entries:  # the files may have changed since verify_tree read them
        verify_inclusion(
            leaf_hash=logged.leaf_hash,
            index=logged.index,
            size=size,
            proof=log.proof(logged.index),
            root=checkpoint.root_hash,
        )
    history = _read_history(fetch, log, verifier, witnesses)
    return replace(
        log,
        history=history,
        own_witnesses=frozenset(own_witnesses),
        held_evidence=_held_evidence(fetch),
    )


def _held_evidence(fetch: Fetch) -> tuple[Equivocation, ...]:
    """The records of ``witness-evidence.json``, if the export carries one."""
    try:
        data = fetch(WITNESS_EVIDENCE)
    except FileNotFoundError:
        return ()
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(what=WITNESS_EVIDENCE, problem=f"not JSON: {exc}") from exc
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise FormatError(what=WITNESS_EVIDENCE, problem="not a list of evidence records")
    return tuple(Equivocation.from_json(record) for record in doc)
