"""The verifiable random draw of a year's inspection sites: a pure, deterministic function.

The construction, byte for byte (``docs/assurance.md`` has it with a test
vector, so an independent verifier can reimplement it):

1. The **context** is UTF-8 text, one value per line, each line ending in
   ``\\n``: ``treatyledger/draw/v1``, the treaty id, the inspected party, the
   inspection type, the quota year's first day (``YYYY-MM-DD``), the number of
   designations drawn, the tickets per site, the inspected log's origin, the
   tree size of its checkpoint and that checkpoint's root hash (64 lowercase
   hex digits). Numbers are plain decimal.
2. The **stream** is the concatenation of blocks
   ``HMAC-SHA-256(key = seed, message = context || uint64_be(i))`` for
   ``i = 0, 1, 2, ...``; it is read 8 bytes at a time as big-endian unsigned
   64-bit words.
3. A **uniform index** below ``n`` takes words until one is below
   ``2^64 - (2^64 mod n)`` and returns it modulo ``n`` (rejection sampling,
   so no index is favoured).
4. The **tickets** are the eligible site ids sorted by code point, each
   repeated ``cap`` times in a row. For ``i = 0 .. size-1``: ``j = i + index(T - i)``
   with ``T`` the number of tickets, swap tickets ``i`` and ``j``; designation
   ``i`` is ticket ``i`` (a partial Fisher-Yates shuffle: a uniformly random
   draw without replacement).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from treatyledger.assurance.inputs import PlanInputError

__all__ = [
    "DRAW_VERSION",
    "SEED_SIZE",
    "DrawPurpose",
    "draw_context",
    "draw_sites",
    "draw_stream",
    "parse_hex32",
    "seed_hash",
    "uniform_indices",
]

DRAW_VERSION: Final = "treatyledger/draw/v1"
SEED_SIZE: Final = 32
_HEX32 = re.compile(r"[0-9a-f]{64}")
_WORD: Final = 1 << 64


def parse_hex32(text: object, what: str) -> bytes:
    """32 bytes from exactly 64 lowercase hex digits, else PlanInputError naming ``what``."""
    if not isinstance(text, str) or not _HEX32.fullmatch(text):
        raise PlanInputError(what, "must be 64 lowercase hex digits (32 bytes)")
    return bytes.fromhex(text)


def seed_hash(seed: bytes) -> bytes:
    """SHA-256 of the seed: what the commitment publishes."""
    return hashlib.sha256(seed).digest()


@dataclass(frozen=True)
class DrawPurpose:
    """What a draw is for, and the checkpoint that fixes it."""

    treaty: str
    inspected_party: str
    inspection_type: str
    quota_year: dt.date
    size: int
    """How many designations are drawn."""
    cap: int
    """Tickets per site: the most designations one site can receive."""
    origin: str
    """The inspected party's log."""
    tree_size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        for name in ("treaty", "inspected_party", "inspection_type", "origin"):
            value = getattr(self, name)
            if not value or any(c in value for c in "\r\n"):
                raise PlanInputError(name, f"must be one non-empty line, got {value!r}")
        if len(self.root_hash) != 32:
            raise PlanInputError("root hash", "must be 32 bytes")
        for name in ("size", "cap", "tree_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PlanInputError(name, f"must be a whole number, got {value!r}")
        if self.cap < 1:
            raise PlanInputError("cap", "each site needs at least one ticket")


def draw_context(purpose: DrawPurpose) -> bytes:
    """The context bytes (step 1 of the module docstring)."""
    lines = (
        DRAW_VERSION,
        purpose.treaty,
        purpose.inspected_party,
        purpose.inspection_type,
        purpose.quota_year.isoformat(),
        str(purpose.size),
        str(purpose.cap),
        purpose.origin,
        str(purpose.tree_size),
        purpose.root_hash.hex(),
    )
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def draw_stream(seed: bytes, context: bytes) -> Iterator[int]:
    """The stream's 64-bit words (step 2), without end."""
    if len(seed) != SEED_SIZE:
        raise PlanInputError("seed", f"must be {SEED_SIZE} bytes, got {len(seed)}")
    counter = 0
    while True:
        block = hmac.new(seed, context + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for offset in range(0, len(block), 8):
            yield int.from_bytes(block[offset : offset + 8], "big")
        counter += 1


def uniform_indices(words: Iterator[int], bounds: Sequence[int]) -> list[int]:
    """One unbiased index below each bound, taking words from ``words`` (step 3)."""
    out: list[int] = []
    for n in bounds:
        if n < 1:
            raise PlanInputError("bound", f"must be at least 1, got {n}")
        limit = _WORD - _WORD % n
        word = next(words)
        while word >= limit:
            word = next(words)
        out.append(word % n)
    return out


def draw_sites(seed: bytes, purpose: DrawPurpose, sites: Sequence[str]) -> tuple[str, ...]:
    """The ``purpose.size`` designations drawn from ``sites`` (steps 1-4), in order.

    ``sites`` are the eligible site ids in any order; they are sorted here.
    """
    ordered = sorted(sites)
    if len(set(ordered)) != len(ordered):
        raise PlanInputError("sites", "an eligible site is listed twice")
    tickets = [site for site in ordered for _ in range(purpose.cap)]
    if purpose.size > len(tickets):
        raise PlanInputError(
            "size",
            f"{purpose.size} designations cannot be drawn from {len(ordered)} sites "
            f"with {purpose.cap} tickets each",
        )
    words = draw_stream(seed, draw_context(purpose))
    for i in range(purpose.size):
        (offset,) = uniform_indices(words, [len(tickets) - i])
        j = i + offset
        tickets[i], tickets[j] = tickets[j], tickets[i]
    return tuple(tickets[: purpose.size])
