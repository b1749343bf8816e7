"""Submissions: which signed notes a node appends to its log.

A node's log is its party's record, and every entry in it is signed with the
log's key, as the compliance engine reads it. So a note is appended only when

1. it is a well-formed signed note of at most 65,535 bytes with exactly one
   signature (:class:`~.errors.MalformedError`, :class:`~.errors.TooLargeError`);
2. that signature is by the node's own log key (a key nobody registered:
   :class:`~.errors.UnknownKeyError`; another registered party's log key:
   :class:`~.errors.NotThisNodeError`, since that party's entries go to its own
   node) and verifies (:class:`~.errors.BadSignatureError`);
3. it is a ledger entry (the envelope, and for a data exchange its escrow
   content: what :func:`~treatyledger.ledger.types.read_entry` checks, with the
   signature verified once) whose sender is the node's party
   (:class:`~.errors.WrongSenderError`);
4. it checks against the treaty, with its references resolved against this
   node's log and its verified mirrors
   (:func:`~treatyledger.ledger.types.validate_entry`; :class:`~.errors.InvalidEntryError`).

These are the checks the command line applies to an entry.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterable, Mapping

from treatyledger.errors import FormatError, TreatyLedgerError
from treatyledger.ledger.envelope import Entry, Ref, parse_entry, parse_entry_text
from treatyledger.ledger.exchange import ENTRY_TYPE as EXCHANGE_TYPE
from treatyledger.ledger.exchange import parse_exchange
from treatyledger.ledger.types import validate_entry
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Ed25519Verifier, Note, parse_note
from treatyledger.log.store import LogStore
from treatyledger.log.tiles import MAX_ENTRY_SIZE
from treatyledger.node.errors import (
    BadSignatureError,
    InvalidEntryError,
    MalformedError,
    NotThisNodeError,
    TooLargeError,
    UnknownKeyError,
    WrongSenderError,
)
from treatyledger.treaty import TreatySpec

__all__ = ["LogResolver", "check_submission"]


class LogResolver:
    """Resolves references against logs held in stores: the node's own and its mirrors.

    ``logs`` maps an origin to its store and verifier. A reference resolves
    to the entry at its index of the integrated tree when the leaf hash
    matches and the note reads as an entry.
    """

    def __init__(self, logs: Mapping[str, tuple[LogStore, Ed25519Verifier]]) -> None:
        self._logs = dict(logs)

    def __call__(self, ref: Ref) -> Entry | None:
        held = self._logs.get(ref.origin)
        if held is None:
            return None
        store, verifier = held
        if ref.index >= store.tree_size():
            return None
        note = store.read_entries(ref.index, ref.index + 1)[0]
        if not hmac.compare_digest(leaf_hash(note), ref.leaf_hash):
            return None
        try:
            return parse_entry(note, verifier)
        except TreatyLedgerError:
            return None


def _authenticate(
    body: bytes, own: Ed25519Verifier, others: Iterable[tuple[str, Ed25519Verifier]]
) -> Note:
    """The note ``body`` holds, once its one signature is known to be a good one by ``own``."""
    try:
        note = parse_note(body)
    except FormatError as exc:
        raise MalformedError(f"not a signed note: {exc.problem}") from None
    if len(note.signatures) != 1:
        raise MalformedError(
            f"an entry carries exactly one signature, this one {len(note.signatures)}"
        )
    signature = note.signatures[0]
    key = (signature.name, signature.key_id)
    label = f"{signature.name}+{signature.key_id.hex()}"
    if key != (own.name, own.key_id):
        for name, verifier in others:
            if key == (verifier.name, verifier.key_id):
                raise NotThisNodeError(
                    f"the note is signed by {name}'s log key {label}; "
                    f"{name}'s entries go to {name}'s own node"
                )
        raise UnknownKeyError(f"the note is signed by {label}, a key this node does not know")
    if not own.verify(note.text.encode("utf-8"), signature.signature):
        raise BadSignatureError(f"the signature by {label} does not verify")
    return note


def _read(body: bytes, note: Note, verifier: Ed25519Verifier) -> Entry:
    """The entry of an authenticated note, as :func:`read_entry` reads it.

    The signature was verified once already, so the envelope is read from the
    note's text; only a data exchange, whose escrow content
    :func:`parse_exchange` checks from the signed note, is verified again.
    """
    try:
        entry = parse_entry_text(note.text)
        if entry.type == EXCHANGE_TYPE:
            parse_exchange(body, verifier)
    except FormatError as exc:
        raise MalformedError(str(exc)) from None
    except TreatyLedgerError as exc:  # VerificationError and the rest: the content is wrong
        raise InvalidEntryError(str(exc)) from None
    return entry


def check_submission(
    body: bytes,
    *,
    party: str,
    verifier: Ed25519Verifier,
    others: Iterable[tuple[str, Ed25519Verifier]],
    spec: TreatySpec,
    resolve: Callable[[Ref], Entry | None],
    now: dt.datetime,
) -> Entry:
    """The entry ``body`` holds, if this node may append it (see the module docstring).

    ``verifier`` is the node's log key, ``others`` the (name, log key) of the
    registered parties. Raises a :class:`~.errors.RefusalError` naming the first
    check that fails (and no other :class:`~treatyledger.errors.TreatyLedgerError`).
    """
    if len(body) > MAX_ENTRY_SIZE:
        raise TooLargeError(
            f"the note is {len(body):,} bytes; an entry is at most {MAX_ENTRY_SIZE:,}"
        )
    entry = _read(body, _authenticate(body, verifier, others), verifier)
    if entry.sender != party:
        raise WrongSenderError(
            f"the entry's sender is {entry.sender!r}; this node signs for {party!r} only"
        )
    try:
        validate_entry(entry, spec, resolve=resolve, now=now)
    except TreatyLedgerError as exc:
        raise InvalidEntryError(str(exc)) from None
    return entry
