"""The client side of submissions: sign an entry with the party's key and send it to its node."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from treatyledger.errors import InputError
from treatyledger.ledger.envelope import parse_entry_text, sign_entry
from treatyledger.log.merkle import leaf_hash
from treatyledger.log.note import Signer
from treatyledger.node.errors import PeerError, RemoteRefusalError
from treatyledger.node.parties import normalize_url

__all__ = ["Receipt", "sign_entry_document", "submit_note"]


@dataclass(frozen=True)
class Receipt:
    """A node's answer to a submission: where the entry is, and whether it was new."""

    index: int
    leaf_hash: bytes
    created: bool


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise InputError(f"the entry names {key!r} twice in one object")
        found[key] = value
    return found


def sign_entry_document(data: bytes, signer: Signer, *, source: str = "the entry") -> bytes:
    """The signed note of an entry given as a JSON document (any layout), by ``signer``.

    The document is the envelope :mod:`treatyledger.ledger.envelope` defines;
    it is rewritten canonically, read strictly, then signed. InputError (or
    FormatError) says what is wrong; nothing is signed then.
    """
    try:
        doc = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        raise InputError(f"{source} is not UTF-8 text") from exc
    except ValueError as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{source} is not JSON: {exc}") from exc
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    return sign_entry(parse_entry_text(text), signer)


def submit_note(url: str, note: bytes, client: httpx.Client) -> Receipt:
    """POST a signed note to ``<url>/api/v1/entries``; the node's receipt once it is durable.

    Raises :class:`RemoteRefusalError` for a 4xx answer (with the node's error and
    detail) and :class:`PeerError` when the node cannot be reached or answers
    anything else.
    """
    target = f"{normalize_url(url)}/api/v1/entries"
    try:
        response = client.post(
            target, content=note, headers={"Content-Type": "text/plain; charset=utf-8"}
        )
    except httpx.HTTPError as exc:
        raise PeerError(f"POST {target}: {exc}") from exc
    try:
        body = response.json()
    except ValueError:
        body = None
    if 400 <= response.status_code < 500:
        error = body.get("error", "refused") if isinstance(body, dict) else "refused"
        detail = body.get("detail", "") if isinstance(body, dict) else response.text[:500]
        raise RemoteRefusalError(
            url=target, status=response.status_code, error=str(error), detail=str(detail)
        )
    if response.status_code not in (200, 201) or not isinstance(body, dict):
        raise PeerError(f"POST {target} answered {response.status_code}: {response.text[:500]}")
    digest = leaf_hash(note)
    if body.get("leaf_hash") != digest.hex() or not isinstance(body.get("index"), int):
        raise PeerError(f"POST {target} answered a receipt for another entry: {body}")
    return Receipt(index=body["index"], leaf_hash=digest, created=response.status_code == 201)
