"""The witness (c2sp.org/tlog-witness): cosign the checkpoints of registered parties' logs.

For each origin the witness keeps one state in its store's meta table, under
``witness/<origin>``: the latest checkpoint it cosigned (the signed note as
received) and any equivocation evidence it holds. The state changes only by
compare-and-set, so checking a request against the state and recording the
new checkpoint are one atomic step, across threads and processes; a request
that loses the race is checked again against the new state.

``add-checkpoint`` answers exactly as the specification says:

====  ===========================================================================
200   the cosignature line (the checkpoint was recorded first)
400   the body is malformed, or the old size exceeds the checkpoint's size
403   no signature by the origin's registered key verifies; or the origin is
      refused because the witness holds equivocation evidence against it
404   the origin is not the log of a registered party
409   the old size is not the size last cosigned (body: that size, newline;
      ``Content-Type: text/x.tlog.size``); also a checkpoint of the size last
      cosigned with a different root hash
422   the consistency proof does not verify
====  ===========================================================================

A checkpoint of the size last cosigned with another root, or a proof that
leads to the new root from a different old root (:func:`~.evidence.proves_fork`),
is proof that the log signed two inconsistent trees. The witness keeps both
signed checkpoints as evidence and never cosigns that origin again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from treatyledger.log.cosignature import CosignatureSigner
from treatyledger.log.merkle import EMPTY_ROOT, HASH_SIZE, verify_consistency
from treatyledger.log.note import decode_base64, parse_note
from treatyledger.log.store import MetaStore
from treatyledger.node.errors import TLOG_SIZE, WitnessRefusalError
from treatyledger.node.evidence import Evidence, proves_fork
from treatyledger.node.parties import Party

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "Witness",
    "WitnessState",
    "parse_add_checkpoint",
    "read_state",
    "record_evidence",
    "state_key",
]

MAX_PROOF_LINES = 63
"""The most consistency proof lines a request may carry."""

_OLD = re.compile(r"old (0|[1-9][0-9]{0,19})")
_ATTEMPTS = 50


def state_key(origin: str) -> str:
    """The meta key of the witness state of ``origin``."""
    return f"witness/{origin}"


@dataclass(frozen=True)
class WitnessState:
    """What the witness holds for one origin: the last cosigned checkpoint and any evidence."""

    checkpoint: bytes | None = None
    evidence: tuple[Evidence, ...] = ()

    @property
    def refused(self) -> bool:
        """Whether the witness holds evidence against the origin (and cosigns it no more)."""
        return bool(self.evidence)

    def cosigned(self) -> Checkpoint | None:
        """The last cosigned checkpoint, parsed (it was verified when it was recorded)."""
        if self.checkpoint is None:
            return None
        return parse_checkpoint(parse_note(self.checkpoint).text)

    def to_text(self) -> str:
        """The state as stored: canonical JSON."""
        doc = {
            "checkpoint": None if self.checkpoint is None else self.checkpoint.decode("utf-8"),
            "evidence": [e.to_json() for e in self.evidence],
        }
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_text(cls, text: str | None) -> WitnessState:
        """The state :meth:`to_text` wrote (an empty state for None)."""
        if text is None:
            return cls()
        try:
            doc = json.loads(text)
            checkpoint = doc["checkpoint"]
            return cls(
                checkpoint=None if checkpoint is None else str(checkpoint).encode("utf-8"),
                evidence=tuple(Evidence.from_json(e) for e in doc["evidence"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(what="witness state", problem=str(exc)) from exc


def read_state(meta: MetaStore, origin: str) -> tuple[str | None, WitnessState]:
    """The stored text (for compare-and-set) and the state of ``origin``."""
    text = meta.get_meta(state_key(origin))
    return text, WitnessState.from_text(text)


def record_evidence(meta: MetaStore, evidence: Evidence) -> WitnessState:
    """Add ``evidence`` to the state of its origin (atomically; once) and return the state."""
    for _ in range(_ATTEMPTS):
        text, state = read_state(meta, evidence.origin)
        if any(e.older == evidence.older and e.newer == evidence.newer for e in state.evidence):
            return state
        updated = replace(state, evidence=(*state.evidence, evidence))
        if meta.compare_and_set_meta(state_key(evidence.origin), text, updated.to_text()):
            return updated
    raise WitnessRefusalError(503, f"the witness state of {evidence.origin} kept changing; retry")


@dataclass(frozen=True)
class AddCheckpoint:
    """An add-checkpoint request: the old size, the consistency proof, the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes


def _bad(detail: str) -> WitnessRefusalError:
    return WitnessRefusalError(400, detail)


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body strictly; WitnessRefusalError 400 naming what is wrong."""
    split = body.find(b"\n\n")
    if split < 0:
        raise _bad("no empty line between the old size and proof lines and the checkpoint")
    try:
        lines = body[:split].decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise _bad("the old size and proof lines are not ASCII") from None
    match = _OLD.fullmatch(lines[0])
    if match is None:
        raise _bad(f"the first line {lines[0][:40]!r} is not 'old <size>' (decimal, no leading 0)")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise _bad(f"{len(lines) - 1} proof lines; at most {MAX_PROOF_LINES} are allowed")
    proof = []
    for number, line in enumerate(lines[1:], start=1):
        try:
            value = decode_base64(line, what="consistency proof")
        except FormatError as exc:
            raise _bad(f"proof line {number}: {exc.problem}") from None
        if len(value) != HASH_SIZE:
            raise _bad(f"proof line {number} is {len(value)} bytes, not {HASH_SIZE}")
        proof.append(value)
    return AddCheckpoint(
        old_size=int(match.group(1)), proof=tuple(proof), checkpoint=body[split + 2 :]
    )


class Witness:
    """A witness over a meta store, cosigning with ``signer`` at the time ``clock`` gives.

    ``party_for(origin)`` returns the registered party whose log has that
    origin, or None. ``clock()`` returns POSIX seconds.
    """

    def __init__(
        self,
        *,
        meta: MetaStore,
        signer: CosignatureSigner,
        party_for: Callable[[str], Party | None],
        clock: Callable[[], int],
    ) -> None:
        self._meta = meta
        self._signer = signer
        self._party_for = party_for
        self._clock = clock

    @property
    def name(self) -> str:
        """The witness's key name."""
        return self._signer.name

    def add_checkpoint(self, body: bytes) -> str:
        """Check a request, record the checkpoint and return the cosignature line.

        Raises :class:`WitnessRefusalError` with the specification's status code.
        """
        request = parse_add_checkpoint(body)
        try:
            checkpoint = parse_checkpoint(parse_note(request.checkpoint).text)
        except FormatError as exc:
            raise _bad(f"the checkpoint is malformed: {exc.problem}") from None
        party = self._party_for(checkpoint.origin)
        if party is None:
            raise WitnessRefusalError(404, f"unknown origin {checkpoint.origin!r}")
        try:
            open_checkpoint(request.checkpoint, party.verifier(), origin=checkpoint.origin)
        except VerificationError as exc:
            raise WitnessRefusalError(403, f"no trusted signature: {exc}") from None
        if request.old_size > checkpoint.size:
            raise _bad(f"old size {request.old_size} exceeds the checkpoint's {checkpoint.size}")
        for _ in range(_ATTEMPTS):
            text, state = read_state(self._meta, checkpoint.origin)
            updated = self._check(request, checkpoint, state)
            if self._meta.compare_and_set_meta(
                state_key(checkpoint.origin), text, updated.to_text()
            ):
                return self._signer.cosignature_line(checkpoint.body(), self._clock())
        raise WitnessRefusalError(
            503, f"the witness state of {checkpoint.origin} kept changing; retry"
        )

    def _check(
        self, request: AddCheckpoint, checkpoint: Checkpoint, state: WitnessState
    ) -> WitnessState:
        """The state after cosigning ``checkpoint``; WitnessRefusalError if it may not be."""
        origin = checkpoint.origin
        if state.refused:
            raise WitnessRefusalError(
                403, f"{origin} is refused: this witness holds evidence that it equivocated"
            )
        cosigned = state.cosigned()
        size = 0 if cosigned is None else cosigned.size
        if (
            cosigned is not None
            and state.checkpoint is not None
            and checkpoint.size == size
            and checkpoint.root_hash != cosigned.root_hash
        ):
            self._evidence("same-size", state.checkpoint, request, ())
            raise WitnessRefusalError(
                409,
                f"{origin} signed two checkpoints of size {size} with different roots",
                body=f"{size}\n",
                content_type=TLOG_SIZE,
            )
        if request.old_size != size:
            raise WitnessRefusalError(
                409,
                f"old size {request.old_size} is not {size}, the size last cosigned",
                body=f"{size}\n",
                content_type=TLOG_SIZE,
            )
        old_root = EMPTY_ROOT if cosigned is None else cosigned.root_hash
        try:
            verify_consistency(
                old_size=size,
                new_size=checkpoint.size,
                old_root=old_root,
                new_root=checkpoint.root_hash,
                proof=request.proof,
            )
        except VerificationError as exc:
            if (
                cosigned is not None
                and state.checkpoint is not None
                and proves_fork(cosigned, checkpoint, request.proof)
            ):
                self._evidence("fork", state.checkpoint, request, request.proof)
                raise WitnessRefusalError(
                    422, f"the proof shows {origin} forked from the tree of {size} entries"
                ) from None
            raise WitnessRefusalError(
                422, f"the consistency proof does not verify: {exc}"
            ) from None
        return replace(state, checkpoint=request.checkpoint)

    def _evidence(
        self, kind: str, older: bytes, request: AddCheckpoint, path: Sequence[bytes]
    ) -> None:
        origin = parse_checkpoint(parse_note(older).text).origin
        record_evidence(
            self._meta,
            Evidence(
                origin=origin,
                kind="same-size" if kind == "same-size" else "fork",
                older=older,
                newer=request.checkpoint,
                path=tuple(path),
                detected_at=self._clock(),
                seen_by=f"witness {self.name}",
                detail=(
                    "two checkpoints of one size with different roots"
                    if kind == "same-size"
                    else "a consistency path leads to the newer root from a different older root"
                ),
            ),
        )

    def evidence(self, origins: Sequence[str]) -> list[Evidence]:
        """The evidence held against the given origins, oldest detection first."""
        found = [e for origin in origins for e in read_state(self._meta, origin)[1].evidence]
        return sorted(found, key=lambda e: (e.detected_at, e.origin))
