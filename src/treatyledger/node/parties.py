"""The parties a node knows: their log keys, node addresses and witness keys.

A node keeps one registry, a JSON document in its store's meta table under
``node/parties``, updated with compare-and-set so two writers never lose each
other's registrations. Each entry names a party (``RU``), its log's verifier
key (whose key name is the log's origin), optionally the base URL of its node
and the verifier key of its witness (type 0x04). A registered party's log is
mirrored into the same database under the log name ``<NAME>`` (the node's
own log is ``self``, a name no party may take).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from treatyledger.errors import ConflictError, InputError, NotFoundError
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.note import Ed25519Verifier
from treatyledger.log.store import MetaStore

__all__ = ["OWN_LOG", "PARTIES_KEY", "Party", "PartyRegistry", "mirror_log_name", "normalize_url"]

OWN_LOG = "self"
"""The log name of the node's own log (what ``treaty log`` and ``treaty declare`` write)."""

PARTIES_KEY = "node/parties"
"""The meta key of the registry document."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
_ATTEMPTS = 20


@functools.lru_cache(maxsize=256)
def _log_verifier(vkey: str) -> Ed25519Verifier:
    return Ed25519Verifier.from_vkey(vkey)


def mirror_log_name(name: str) -> str:
    """The log name under which the mirror of party ``name``'s log is stored: the name itself."""
    return name


def normalize_url(url: str) -> str:
    """``url`` checked to be an http(s) base URL, without a trailing slash."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InputError(f"{url!r} is not a URL: {exc}") from exc
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise InputError(f"{url!r} is not an http:// or https:// URL with a host")
    if parts.query or parts.fragment:
        raise InputError(f"{url!r}: a node URL has no query or fragment")
    return url.rstrip("/")


@dataclass(frozen=True)
class Party:
    """A registered party: name, log verifier key, node URL and witness key (both optional)."""

    name: str
    vkey: str
    url: str | None = None
    witness_vkey: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise InputError(
                f"a party name is a letter then up to 31 letters, digits, '_' or '-', "
                f"got {self.name!r}"
            )
        if self.name.lower() == OWN_LOG.lower():
            raise InputError(f"{self.name!r} names this node's own log; choose another party name")
        Ed25519Verifier.from_vkey(self.vkey)
        if self.url is not None:
            object.__setattr__(self, "url", normalize_url(self.url))
        if self.witness_vkey is not None:
            CosignatureVerifier.from_vkey(self.witness_vkey)

    @property
    def origin(self) -> str:
        """The origin of the party's log: its verifier key's name."""
        return self.verifier().name

    def verifier(self) -> Ed25519Verifier:
        """The verifier of the party's log checkpoints and entries."""
        return _log_verifier(self.vkey)

    def witness_verifier(self) -> CosignatureVerifier | None:
        """The verifier of the party's witness cosignatures, if registered."""
        return (
            None if self.witness_vkey is None else CosignatureVerifier.from_vkey(self.witness_vkey)
        )

    def to_json(self) -> dict[str, str | None]:
        """``{"name", "vkey", "origin", "url", "witness_vkey"}``."""
        return {
            "name": self.name,
            "vkey": self.vkey,
            "origin": self.origin,
            "url": self.url,
            "witness_vkey": self.witness_vkey,
        }


def _decode(text: str | None) -> list[Party]:
    if text is None:
        return []
    try:
        rows = json.loads(text)
        return [
            Party(name=r["name"], vkey=r["vkey"], url=r["url"], witness_vkey=r["witness_vkey"])
            for r in rows
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"the stored party registry is unreadable: {exc}") from exc


def _encode(parties: list[Party]) -> str:
    rows = [p.to_json() for p in sorted(parties, key=lambda p: p.name)]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"))


class PartyRegistry:
    """The registered parties of one node, read from and written to its meta store."""

    def __init__(self, meta: MetaStore, *, own_origin: str | None = None) -> None:
        self._meta = meta
        self._own_origin = own_origin
        self._cached: tuple[str | None, list[Party]] | None = None

    def all(self) -> list[Party]:
        """Every registered party, by name."""
        text = self._meta.get_meta(PARTIES_KEY)
        cached = self._cached
        if cached is None or cached[0] != text:  # parse each stored version once
            cached = self._cached = (text, _decode(text))
        return list(cached[1])

    def get(self, name: str) -> Party:
        """The party called ``name``; NotFoundError if it is not registered."""
        for party in self.all():
            if party.name == name:
                return party
        raise NotFoundError(f"no party {name!r} is registered here; add it with `treaty party add`")

    def by_origin(self, origin: str) -> Party | None:
        """The party whose log has this origin, if any."""
        return next((p for p in self.all() if p.origin == origin), None)

    def add(self, party: Party) -> tuple[Party, str]:
        """Register ``party``; returns it and ``"added"``, ``"updated"`` or ``"unchanged"``.

        A known party may get a new URL or witness key; its log key never
        changes (ConflictError), since its mirror is verified against it. Two
        parties may not share a name or an origin, nor use this node's origin.
        """
        if party.origin == self._own_origin:
            raise InputError(f"{party.origin} is this node's own log, not another party's")
        for _ in range(_ATTEMPTS):
            text = self._meta.get_meta(PARTIES_KEY)
            parties = _decode(text)
            known = next((p for p in parties if p.name == party.name), None)
            if known is not None and known.vkey != party.vkey:
                raise ConflictError(
                    f"{party.name} is registered with the log key {known.vkey}; "
                    "a party's log key never changes (its mirror is verified against it)"
                )
            clash = next(
                (p for p in parties if p.origin == party.origin and p.name != party.name), None
            )
            if clash is not None:
                raise ConflictError(
                    f"{clash.name} is already registered with origin {clash.origin}"
                )
            if known is not None:
                merged = replace(
                    known,
                    url=party.url if party.url is not None else known.url,
                    witness_vkey=party.witness_vkey
                    if party.witness_vkey is not None
                    else known.witness_vkey,
                )
                if merged == known:
                    return known, "unchanged"
                outcome, stored = "updated", merged
            else:
                outcome, stored = "added", party
            others = [p for p in parties if p.name != party.name]
            if self._meta.compare_and_set_meta(PARTIES_KEY, text, _encode([*others, stored])):
                return stored, outcome
        raise ConflictError("the party registry kept changing; try again")
