"""The ledger entry envelope: one line of canonical JSON, signed as a C2SP note.

Everything a party says is an entry in its own transparency log. The entry's
note text is one line of canonical JSON and a newline::

    {"payload":{...},"refs":[{"index":N,"leaf_hash":HEX,"origin":LOG},...],
     "sender":PARTY,"time":"YYYY-MM-DDTHH:MM:SSZ","treaty":TREATY,"type":TYPE,"v":1}

Canonical JSON is what Python's ``json.dumps(value, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`` writes: keys sorted by code
point, no white space, text as UTF-8 (only ``"``, ``\\`` and U+0000-U+001F
escaped), integers only (no floats, no exponents, no ``-0``). The envelope is
the one :mod:`treatyledger.ledger.exchange` already writes for data exchanges;
this module reads and writes it for every entry type. ``docs/ledger.md``
gives every byte.

A reference names an earlier entry in any party's log by its log's origin,
its 0-based index and its RFC 6962 leaf hash (``SHA-256(0x00 || note bytes)``
of the whole signed note, as the log hashes it), written as 64 lowercase hex
digits, as the escrow documents write hashes.

Parsing is strict: :func:`parse_entry` verifies the signature, then refuses
anything :func:`entry_text` would not have written (raising
:class:`~treatyledger.errors.FormatError`), so an entry has exactly one
encoding and its leaf hash is fixed. A bad signature raises
:class:`~treatyledger.errors.VerificationError`. What an entry *means* (its
type, payload, references) is checked by :func:`treatyledger.ledger.types.validate_entry`.

Pure: no clock, no storage.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, NoReturn, cast

from treatyledger.errors import FormatError
from treatyledger.log.merkle import HASH_SIZE, leaf_hash
from treatyledger.log.note import NoteSigner, Verifier, open_note, sign_note, validate_key_name
from treatyledger.log.tiles import MAX_ENTRY_SIZE

__all__ = [
    "ENTRY_KEYS",
    "ENTRY_VERSION",
    "MAX_DEPTH",
    "MAX_ENTRY_SIZE",
    "MAX_REFS",
    "TIME_FORMAT",
    "Entry",
    "EntryFormatError",
    "Ref",
    "entry_text",
    "format_time",
    "parse_entry",
    "parse_entry_text",
    "parse_time",
    "ref_to",
    "sign_entry",
    "thaw",
]

ENTRY_VERSION: Final = 1
"""The envelope version, ``"v"``; the only one defined."""
ENTRY_KEYS: Final = frozenset({"payload", "refs", "sender", "time", "treaty", "type", "v"})
TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
MAX_REFS: Final = 64
"""The most references one entry may carry."""
MAX_DEPTH: Final = 32
"""The deepest nesting of arrays and objects inside a payload."""
_MIN_INT, _MAX_INT = -(2**63), 2**64 - 1
_MAX_INDEX = 2**63 - 1

_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", re.ASCII)
_TYPE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_TREATY = re.compile(r"[a-z][a-z0-9-]*", re.ASCII)
_PARTY = re.compile(r"[A-Z]{2,3}", re.ASCII)
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_REF_KEYS = frozenset({"index", "leaf_hash", "origin"})
_WHAT = "ledger entry"


class EntryFormatError(FormatError):
    """An entry does not follow the envelope; ``field`` names the offending part."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(what=_WHAT, problem=f"{field}: {problem}" if field else problem)


def _fail(field: str, problem: str) -> NoReturn:
    raise EntryFormatError(field, problem)


# -- times ------------------------------------------------------------------------------


def format_time(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` for a UTC time of whole seconds."""
    return value.strftime(TIME_FORMAT)


def parse_time(text: object, where: str = "time") -> dt.datetime:
    """Read ``YYYY-MM-DDTHH:MM:SSZ`` strictly into an aware UTC datetime."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        _fail(where, "not a UTC time YYYY-MM-DDTHH:MM:SSZ")
    try:
        return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        _fail(where, f"{text!r} is not a valid time")


# -- JSON values ------------------------------------------------------------------------


class _UnfitError(Exception):
    """Raised by the fast path when a value needs the careful path's precise error."""


def _freeze_fast(value: object, depth: int = 0) -> object:
    """:func:`_freeze` without error locations; raises :class:`_UnfitError` on any doubt."""
    if depth > MAX_DEPTH:
        raise _UnfitError
    kind = type(value)
    if kind is str:
        if not cast(str, value).isascii():
            cast(str, value).encode("utf-8")  # lone surrogates raise UnicodeEncodeError
        return value
    if kind is int:
        if not _MIN_INT <= cast(int, value) <= _MAX_INT:
            raise _UnfitError
        return value
    if value is None or kind is bool:
        return value
    if kind is dict or isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, child in cast(Mapping[object, object], value).items():
            if type(key) is not str:
                raise _UnfitError
            _freeze_fast(key, depth)
            out[key] = _freeze_fast(child, depth + 1)
        return MappingProxyType(out)
    if kind is list or kind is tuple:
        return tuple(_freeze_fast(child, depth + 1) for child in cast(Sequence[object], value))
    raise _UnfitError


def _freeze(value: object, where: str, depth: int = 0) -> object:
    """A JSON value checked and made immutable: objects as read-only mappings, arrays as tuples.

    The common case goes through :func:`_freeze_fast`; only a value it doubts
    is walked again here, to name the offending place precisely.
    """
    if depth == 0:
        try:
            return _freeze_fast(value)
        except (_UnfitError, UnicodeEncodeError):
            pass
    return _freeze_careful(value, where, depth)


def _freeze_careful(value: object, where: str, depth: int = 0) -> object:
    """The careful walk of :func:`_freeze`, which names where a value is unfit."""
    if depth > MAX_DEPTH:
        _fail(where, f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not _MIN_INT <= value <= _MAX_INT:
            _fail(where, "an integer outside -2**63 .. 2**64-1")
        return value
    if isinstance(value, float):
        _fail(where, "floating-point numbers are not allowed (use integers or strings)")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _fail(where, "a string that is not valid Unicode (lone surrogate)")
        return value
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, child in value.items():
            if not isinstance(key, str):
                _fail(where, f"an object key {key!r} that is not a string")
            _freeze_careful(key, f"{where} key")
            out[key] = _freeze_careful(child, f"{where}.{key}", depth + 1)
        return MappingProxyType(out)
    if isinstance(value, (list, tuple)):
        return tuple(
            _freeze_careful(child, f"{where}[{i}]", depth + 1) for i, child in enumerate(value)
        )
    _fail(where, f"{type(value).__name__} is not a JSON value")


def thaw(value: object) -> Any:
    """A mutable copy of a frozen JSON value: mappings become dicts, tuples lists."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def _plain(value: object) -> object:
    """For :func:`json.dumps`: a frozen object's mapping (tuples already encode as arrays)."""
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _canonical(value: object) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


# -- references and entries -------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A reference to an earlier entry: its log's origin, its index and its leaf hash.

    ``leaf_hash`` is the 32-byte RFC 6962 leaf hash of the referenced entry's
    signed-note bytes (:func:`treatyledger.log.merkle.leaf_hash`).
    """

    origin: str
    index: int
    leaf_hash: bytes

    def __post_init__(self) -> None:
        try:
            validate_key_name(self.origin, what="reference origin")
        except FormatError as exc:
            _fail("origin", exc.problem)
        if isinstance(self.index, bool) or not isinstance(self.index, int):
            _fail("index", "not an integer")
        if not 0 <= self.index <= _MAX_INDEX:
            _fail("index", f"{self.index} is not from 0 to 2**63-1")
        if not isinstance(self.leaf_hash, bytes) or len(self.leaf_hash) != HASH_SIZE:
            _fail("leaf_hash", f"not a {HASH_SIZE}-byte hash")

    def to_json(self) -> dict[str, object]:
        """``{"index", "leaf_hash" (hex), "origin"}``."""
        return {"origin": self.origin, "index": self.index, "leaf_hash": self.leaf_hash.hex()}

    def __str__(self) -> str:
        return f"{self.origin}#{self.index} ({self.leaf_hash.hex()[:16]}...)"


def ref_to(origin: str, index: int, note: bytes) -> Ref:
    """The reference to the signed note ``note`` logged at ``index`` in log ``origin``."""
    return Ref(origin=origin, index=index, leaf_hash=leaf_hash(note))


@dataclass(frozen=True)
class Entry:
    """One ledger entry, validated as an envelope when built (see the module docstring).

    ``payload`` is stored frozen: nested objects as read-only mappings, arrays
    as tuples; :func:`thaw` gives a plain ``dict`` copy. ``time`` is an aware
    UTC datetime of whole seconds. Whether the type, payload and references
    make sense under a treaty is :func:`~treatyledger.ledger.types.validate_entry`'s job.
    """

    type: str
    treaty: str
    sender: str
    time: dt.datetime
    payload: Mapping[str, Any]
    refs: tuple[Ref, ...] = ()
    version: int = ENTRY_VERSION
    _text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.type, str) or not _TYPE.fullmatch(self.type):
            _fail("type", f"{self.type!r} is not a lower_snake_case identifier")
        if isinstance(self.version, bool) or self.version != ENTRY_VERSION:
            _fail("v", f"version {self.version!r} is not {ENTRY_VERSION}")
        if not isinstance(self.treaty, str) or not _TREATY.fullmatch(self.treaty):
            _fail("treaty", f"{self.treaty!r} is not a treaty id (lower-case words joined by '-')")
        if not isinstance(self.sender, str) or not _PARTY.fullmatch(self.sender):
            _fail("sender", f"{self.sender!r} is not a party id (2 or 3 capital letters)")
        self._check_time()
        if not isinstance(self.payload, Mapping):
            _fail("payload", "not an object")
        object.__setattr__(self, "payload", _freeze(self.payload, "payload"))
        refs = tuple(self.refs) if isinstance(self.refs, Sequence) else None
        if refs is None or not all(isinstance(r, Ref) for r in refs):
            _fail("refs", "not a sequence of Ref")
        if len(refs) > MAX_REFS:
            _fail("refs", f"{len(refs)} references, more than {MAX_REFS}")
        for i, ref in enumerate(refs):
            if ref in refs[:i]:
                _fail(f"refs[{i}]", f"repeats the reference to {ref}")
        object.__setattr__(self, "refs", refs)
        text = self._render()
        if len(text.encode("utf-8")) > MAX_ENTRY_SIZE:
            _fail("", f"the text is longer than the log's entry limit of {MAX_ENTRY_SIZE:,} bytes")
        object.__setattr__(self, "_text", text)

    def _check_time(self) -> None:
        t = self.time
        if not isinstance(t, dt.datetime) or t.tzinfo is None or t.utcoffset() != dt.timedelta(0):
            _fail("time", "not an aware UTC datetime")
        if t.microsecond:
            _fail("time", "has fractions of a second (entries are timed to the second)")
        object.__setattr__(self, "time", t.replace(tzinfo=dt.UTC))

    def _render(self) -> str:
        doc = {
            "type": self.type,
            "v": self.version,
            "treaty": self.treaty,
            "sender": self.sender,
            "time": format_time(self.time),
            "payload": self.payload,
            "refs": [r.to_json() for r in self.refs],
        }
        return _canonical(doc) + "\n"

    def payload_json(self) -> dict[str, Any]:
        """A mutable copy of the payload, as plain dicts and lists."""
        result: dict[str, Any] = json.loads(_canonical(self.payload))
        return result

    def __hash__(self) -> int:
        return hash(self._text)


def entry_text(entry: Entry) -> str:
    """The entry's note text: one line of canonical JSON and a newline."""
    return entry._text


def sign_entry(entry: Entry, signer: NoteSigner) -> bytes:
    """The entry as a C2SP signed note by ``signer`` (the party's log key); its bytes.

    Raises :class:`EntryFormatError` when the signed note would not fit in a log
    entry (:data:`MAX_ENTRY_SIZE` bytes).
    """
    note = sign_note(entry_text(entry), [signer])
    if len(note) > MAX_ENTRY_SIZE:
        _fail("", f"the signed note is {len(note):,} bytes, more than {MAX_ENTRY_SIZE:,}")
    return note


# -- strict parsing ---------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            _fail("", f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def _no_float(text: str) -> NoReturn:
    _fail("", f"the number {text} is not an integer (floating-point numbers are not allowed)")


def _no_constant(text: str) -> NoReturn:
    _fail("", f"{text} is not JSON")


def _parse_ref(value: object, where: str) -> Ref:
    if not isinstance(value, dict):
        _fail(where, "not an object")
    if value.keys() != _REF_KEYS:
        unknown, missing = sorted(value.keys() - _REF_KEYS), sorted(_REF_KEYS - value.keys())
        _fail(where, f"unknown keys {unknown}, missing keys {missing}")
    origin, index, digest = value["origin"], value["index"], value["leaf_hash"]
    if not isinstance(origin, str):
        _fail(f"{where}.origin", "not a string")
    if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
        _fail(f"{where}.leaf_hash", "not 64 lowercase hex digits")
    try:
        return Ref(origin=origin, index=index, leaf_hash=bytes.fromhex(digest))
    except EntryFormatError as exc:
        _fail(f"{where}.{exc.field}", exc.problem.split(": ", 1)[-1])


def parse_entry_text(text: str) -> Entry:
    """Read an entry's note text (no signature), refusing every non-canonical form."""
    if not isinstance(text, str) or not text.endswith("\n") or text.count("\n") != 1:
        _fail("", "the text is not exactly one line ending in a newline")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_ENTRY_SIZE:
        _fail("", f"the text is longer than {MAX_ENTRY_SIZE:,} bytes")
    try:
        doc = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        _fail("", "nested too deeply")
    except ValueError as exc:
        if isinstance(exc, EntryFormatError):
            raise
        _fail("", f"not JSON: {exc}")
    if not isinstance(doc, dict):
        _fail("", "the entry is not a JSON object")
    if doc.keys() != ENTRY_KEYS:
        unknown, missing = sorted(doc.keys() - ENTRY_KEYS), sorted(ENTRY_KEYS - doc.keys())
        _fail("", f"unknown keys {unknown}, missing keys {missing}")
    for key in ("type", "treaty", "sender"):
        if not isinstance(doc[key], str):
            _fail(key, "not a string")
    if isinstance(doc["v"], bool) or not isinstance(doc["v"], int):
        _fail("v", "not an integer")
    if not isinstance(doc["payload"], dict):
        _fail("payload", "not an object")
    if not isinstance(doc["refs"], list):
        _fail("refs", "not an array")
    if len(doc["refs"]) > MAX_REFS:
        _fail("refs", f"{len(doc['refs'])} references, more than {MAX_REFS}")
    entry = Entry(
        type=doc["type"],
        version=doc["v"],
        treaty=doc["treaty"],
        sender=doc["sender"],
        time=parse_time(doc["time"]),
        payload=doc["payload"],
        refs=tuple(_parse_ref(r, f"refs[{i}]") for i, r in enumerate(doc["refs"])),
    )
    if entry_text(entry) != text:
        _fail("", "not in canonical form (sorted keys, no spaces, UTF-8 text, integers)")
    return entry


def parse_entry(note: bytes, verifier: Verifier) -> Entry:
    """Verify and read a signed entry.

    The note must carry exactly one signature, by ``verifier``'s key, and be at
    most :data:`MAX_ENTRY_SIZE` bytes. Raises
    :class:`~treatyledger.errors.VerificationError` for a bad or unknown
    signature and :class:`~treatyledger.errors.FormatError` for any form
    :func:`entry_text` would not write. The envelope only: a ``data_exchange``
    entry's commitment, totals proof and sums are checked by
    :func:`~treatyledger.ledger.types.read_entry`.
    """
    if not isinstance(note, bytes):
        _fail("", "a signed entry is bytes")
    if len(note) > MAX_ENTRY_SIZE:
        _fail("", f"the signed note is {len(note):,} bytes, more than {MAX_ENTRY_SIZE:,}")
    opened = open_note(note, [verifier])
    if len(opened.signatures) != 1:
        _fail("", f"an entry carries exactly one signature, this one {len(opened.signatures)}")
    return parse_entry_text(opened.text)
