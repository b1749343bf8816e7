"""One sync round: get our checkpoint cosigned by every party's witness, mirror their logs.

For each registered party with a node URL, a round

1. pushes this node's latest checkpoint to the party's witness
   (``POST <url>/witness/add-checkpoint``, with a consistency proof from the
   size that witness last cosigned, learnt from its 409 answers), verifies the
   cosignature against the party's registered witness key and adds it to the
   stored checkpoint (publishing again at the same size), so that
   ``/log/checkpoint`` serves every cosignature collected; and
2. mirrors the party's log (:func:`~treatyledger.node.mirror.mirror_log`) into
   this node's database under the party's name.

A failure with one party is reported in its :class:`Outcome` and does not
stop the round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from treatyledger.errors import ConflictError, NotFoundError, TreatyLedgerError
from treatyledger.log.checkpoint import parse_checkpoint
from treatyledger.log.note import Note, encode_base64, format_note, open_note, parse_note
from treatyledger.log.store import LogStore
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.node.errors import TLOG_SIZE, PeerError, RemoteRefusalError
from treatyledger.node.parties import Party

__all__ = ["Outcome", "PeerClient", "push_checkpoint"]

_MAX_FILE = 16 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What one step of a round did with one party."""

    party: str
    action: Literal["cosign", "mirror"]
    ok: bool
    detail: str

    def to_json(self) -> dict[str, object]:
        """``{"party", "action", "ok", "detail"}``."""
        return {"party": self.party, "action": self.action, "ok": self.ok, "detail": self.detail}


class PeerClient:
    """HTTP to other nodes, with ``client`` (keep-alive; any httpx transport)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def fetcher(self, party: Party) -> Callable[[str], bytes]:
        """Reads files of ``party``'s tiled log under ``<url>/log/``."""
        if party.url is None:
            raise NotFoundError(f"{party.name} has no node URL registered")
        base = f"{party.url}/log/"

        def fetch(path: str) -> bytes:
            url = base + path
            try:
                response = self._client.get(url)
            except httpx.HTTPError as exc:
                raise PeerError(f"GET {url}: {exc}") from exc
            if response.status_code == 404:
                raise NotFoundError(f"{url} does not exist")
            if response.status_code != 200:
                raise PeerError(f"GET {url} answered {response.status_code}")
            if len(response.content) > _MAX_FILE:
                raise PeerError(f"GET {url} answered {len(response.content):,} bytes")
            return response.content

        return fetch

    def add_checkpoint(self, party: Party, body: bytes) -> tuple[int, str, str]:
        """POST ``body`` to the party's witness; (status, content type, text)."""
        url = f"{party.url}/witness/add-checkpoint"
        try:
            response = self._client.post(url, content=body)
        except httpx.HTTPError as exc:
            raise PeerError(f"POST {url}: {exc}") from exc
        return response.status_code, response.headers.get("content-type", ""), response.text


def _request(old: int, proof: list[bytes], signed: bytes) -> bytes:
    lines = [f"old {old}", *(encode_base64(h) for h in proof)]
    return ("\n".join(lines) + "\n\n").encode("ascii") + signed


_attach_lock = threading.Lock()


def _attach(store: LogStore, size: int, lines: str, party: Party) -> bool:
    """Add the verified cosignature lines to the stored checkpoint of ``size``, if still latest."""
    verifier = party.witness_verifier()
    assert verifier is not None
    with _attach_lock:
        latest = store.latest_checkpoint()
        if latest is None or store.tree_size() != size:
            return False
        try:
            cosigned = open_note(latest + lines.encode("utf-8"), [verifier])
        except TreatyLedgerError as exc:
            raise PeerError(
                f"{party.name}'s witness answered with no valid cosignature: {exc}"
            ) from exc
        current = parse_note(latest)
        new = [s for s in cosigned.verified_by if s not in current.signatures]
        if not new:
            return True
        note = Note(text=current.text, signatures=(*current.signatures, *new))
        try:
            store.publish(old_size=size, new_size=size, tiles={}, checkpoint=format_note(note))
        except ConflictError:
            return False  # the log moved on; the next round gets the newer checkpoint cosigned
        return True


def push_checkpoint(log: TransparencyLog, store: LogStore, party: Party, peers: PeerClient) -> str:
    """Get ``party``'s witness to cosign the log's latest checkpoint; what happened, in words.

    Raises :class:`PeerError` or :class:`RemoteRefusalError` when the witness does not cosign.
    """
    verifier = party.witness_verifier()
    if verifier is None or party.url is None:
        return "no witness key or URL registered; nothing to push"
    signed = log.checkpoint()
    note = parse_note(signed)
    size = parse_checkpoint(note.text).size
    if any(s.name == verifier.name and s.key_id == verifier.key_id for s in note.signatures):
        return f"checkpoint {size} is already cosigned"
    key = f"sync/cosigned/{party.name}"
    old = int(store.get_meta(key) or "0")
    for _ in range(3):
        if old > size:
            raise PeerError(
                f"{party.name}'s witness says it cosigned size {old} of our log, which has {size}"
            )
        status, content_type, text = peers.add_checkpoint(
            party, _request(old, log.consistency_proof(old, size), signed)
        )
        if status == 200:
            break
        if status == 409 and content_type.startswith(TLOG_SIZE) and text.strip().isdigit():
            old = int(text.strip())
            store.set_meta(key, str(old))
            continue
        raise RemoteRefusalError(
            url=f"{party.url}/witness/add-checkpoint",
            status=status,
            error="witness",
            detail=text.strip()[:500],
        )
    else:
        raise PeerError(f"{party.name}'s witness kept answering 409")
    attached = _attach(store, size, text, party)
    store.set_meta(key, str(size))
    if not attached:
        return f"checkpoint {size} cosigned; the log has moved on since"
    return f"checkpoint {size} cosigned"
