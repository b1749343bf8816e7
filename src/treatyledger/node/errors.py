"""What the node refuses, and the one mapping from errors to HTTP status codes.

The node's errors extend the library's hierarchy (:mod:`treatyledger.errors`)::

    TreatyLedgerError
    ├── InputError
    │   ├── RefusalError                  the API refuses a request: .status, .code
    │   │   ├── MalformedError            400 the body is not what the route takes
    │   │   ├── TooLargeError             413 the body is over the route's limit
    │   │   ├── UnsupportedMediaTypeError 415 the body is not text/plain
    │   │   ├── UnknownKeyError           403 no signature by a key this node knows
    │   │   ├── NotThisNodeError          403 signed by another party: send it to its node
    │   │   ├── BadSignatureError         403 the log key's signature does not verify
    │   │   ├── WrongSenderError          403 the entry names another party as its sender
    │   │   └── InvalidEntryError         422 the entry does not check against the treaty
    │   └── RemoteRefusalError            a node answered our request with a 4xx (client side)
    ├── WitnessRefusalError               add-checkpoint refused, with the tlog-witness status
    └── PeerError                         a peer node is unreachable or answered nonsense

:func:`http_status` is the only place where an error becomes a status code.
"""

from __future__ import annotations

from typing import ClassVar

from treatyledger.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    StorageError,
    TreatyLedgerError,
    VerificationError,
)

__all__ = [
    "TEXT_PLAIN",
    "TLOG_SIZE",
    "BadSignatureError",
    "InvalidEntryError",
    "MalformedError",
    "NotThisNodeError",
    "PeerError",
    "RefusalError",
    "RemoteRefusalError",
    "TooLargeError",
    "UnknownKeyError",
    "UnsupportedMediaTypeError",
    "WitnessRefusalError",
    "WrongSenderError",
    "http_status",
]

TEXT_PLAIN = "text/plain; charset=utf-8"
"""The content type of notes, checkpoints and witness answers."""

TLOG_SIZE = "text/x.tlog.size"
"""The content type of a witness's 409 answer: the tree size it last cosigned."""


class RefusalError(InputError):
    """A request the node refuses; nothing was stored. ``detail`` says exactly why."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class MalformedError(RefusalError):
    """The body is not a well-formed instance of what the route takes."""

    status = 400
    code = "malformed"


class TooLargeError(RefusalError):
    """The body is larger than the route accepts."""

    status = 413
    code = "too_large"


class UnsupportedMediaTypeError(RefusalError):
    """The body's content type is not the one the route takes."""

    status = 415
    code = "unsupported_media_type"


class UnknownKeyError(RefusalError):
    """The note carries no signature by a key this node knows."""

    status = 403
    code = "unknown_key"


class NotThisNodeError(RefusalError):
    """The note is signed by another registered party: its entries go to its own log."""

    status = 403
    code = "not_this_node"


class BadSignatureError(RefusalError):
    """The signature by a known key does not verify."""

    status = 403
    code = "bad_signature"


class WrongSenderError(RefusalError):
    """The entry's sender is not the party whose key signed it."""

    status = 403
    code = "wrong_sender"


class InvalidEntryError(RefusalError):
    """The entry is signed correctly but does not check against the treaty."""

    status = 422
    code = "invalid_entry"


class RemoteRefusalError(InputError):
    """A node refused what we sent (a 4xx answer); ``error`` and ``detail`` are its words."""

    def __init__(self, *, url: str, status: int, error: str, detail: str) -> None:
        self.url = url
        self.status = status
        self.error = error
        self.detail = detail
        super().__init__(f"{url} refused the request ({status} {error}): {detail}")


class WitnessRefusalError(TreatyLedgerError):
    """An add-checkpoint request refused with the status code the tlog-witness protocol gives.

    ``body`` and ``content_type`` are the answer (``text/x.tlog.size`` with the
    latest cosigned size for 409, plain text otherwise).
    """

    def __init__(
        self, status: int, detail: str, *, body: str | None = None, content_type: str = TEXT_PLAIN
    ) -> None:
        self.status = status
        self.detail = detail
        self.body = body if body is not None else detail + "\n"
        self.content_type = content_type
        super().__init__(f"{status}: {detail}")


class PeerError(TreatyLedgerError):
    """A peer node could not be reached, or answered with something this node cannot use."""


def http_status(error: TreatyLedgerError) -> int:
    """The HTTP status code that answers a request which failed with ``error``."""
    if isinstance(error, RefusalError | WitnessRefusalError):
        return error.status
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ConflictError):
        return 409
    if isinstance(error, InputError):
        return 400
    if isinstance(error, VerificationError):
        return 422
    if isinstance(error, StorageError):
        return 503
    return 500
