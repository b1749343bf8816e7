"""The JSON bodies of the node's API, as Pydantic models (used only by the HTTP layer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "ADD_CHECKPOINT_PATTERN",
    "SIGNED_ENTRY_PATTERN",
    "ErrorBody",
    "EvidenceBody",
    "NodeInfoBody",
    "ReceiptBody",
    "error_responses",
    "text_body",
]


_SIGNATURE_LINE = r"\u2014 [!-*,-~]+ (?:[A-Za-z0-9+/]{4}){2,}\n"
_HASH = r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]="  # canonical base64 of 32 bytes
_SIZE = r"(?:0|[1-9][0-9]{0,18})"

SIGNED_ENTRY_PATTERN = r"^(?:[^\x00-\x1f]+\n)+\n" + _SIGNATURE_LINE + "$"
"""The shape of a signed entry: note text, a blank line, one signature line.

Only the shape: the text must also be a ledger entry, and the signature the
node's log key's, which no pattern can say."""

ADD_CHECKPOINT_PATTERN = (
    rf"^old {_SIZE}\n(?:{_HASH}\n){{0,63}}\n"
    rf"[!-~]{{1,255}}\n{_SIZE}\n{_HASH}\n\n(?:{_SIGNATURE_LINE})+$"
)
"""The shape of an add-checkpoint body: old size, proof lines, a blank line, a checkpoint."""


class ErrorBody(BaseModel):
    """Every refusal of the API: a short code and a sentence saying what is wrong."""

    error: str = Field(description="A short code: malformed, too_large, unknown_key, ...")
    detail: str = Field(description="What exactly is wrong, in words.")


class ReceiptBody(BaseModel):
    """Where an accepted entry is in the node's log."""

    index: int = Field(ge=0, description="The entry's 0-based index in the log.")
    leaf_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="The RFC 6962 leaf hash of the signed note, in lowercase hex.",
    )


class NodeInfoBody(BaseModel):
    """Who this node is: what another node needs to register it."""

    party: str
    origin: str
    vkey: str = Field(description="The log's verifier key (name+hex8+base64).")
    witness_vkey: str = Field(description="The witness's cosignature verifier key (type 0x04).")
    treaty: str
    size: int = Field(ge=0, description="The size of the log's latest checkpoint.")


class EvidenceBody(BaseModel):
    """Two checkpoints one log signed that cannot both be true (see docs/node.md)."""

    origin: str
    kind: str = Field(description="same-size or fork")
    older: str = Field(description="The older signed checkpoint, as received.")
    newer: str = Field(description="The newer signed checkpoint, as received.")
    path: list[str] = Field(description="For a fork: the consistency path, base64 hashes.")
    detected_at: int = Field(description="When it was detected, POSIX seconds.")
    seen_by: str
    detail: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for JSON refusals with these status codes."""
    words = {
        400: "The request is malformed.",
        403: "The request is not allowed (see the error code).",
        404: "There is no such resource.",
        413: "The body is too large.",
        415: "The body's content type is not accepted.",
        422: "The request is well-formed but does not check.",
        503: "The store is unavailable; retry.",
    }
    return {s: {"model": ErrorBody, "description": words.get(s, "Refused.")} for s in statuses}


def text_body(description: str, *, max_length: int, pattern: str) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` of plain text of at most ``max_length`` characters."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "pattern": pattern}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"text/plain": {"schema": schema}},
        }
    }
