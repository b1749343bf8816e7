"""Declarations on this machine: the current inventory, committed declarations, sealed secrets.

The edge between the pure escrow (:mod:`treatyledger.escrow`) and the store,
like :mod:`treatyledger.logs` for the log. Everything is kept in the store's
meta table under these keys (text values, no schema of its own):

``declare/treaty``
    the treaty specification the inventory was imported under (a built-in
    name or the absolute path of a TOML file);
``inventory/current``
    the current inventory, as canonical inventory JSON (its ``party`` is the
    party whose node this is);
``declaration/<YYYY-MM-DD>``
    one JSON record per committed declaration: the root, the log index and the
    signed data-exchange entry, the inventory snapshot, ``pad_to`` and the
    declaration's secret *sealed*;
``declaration/index``
    the dates of the declarations, sorted.

A secret is sealed with AES-256-GCM under a key derived by HKDF-SHA256 from
the party's log signing key seed (info ``treatyledger declaration secret
v1``), with the as-of date as associated data. The signing key never enters the
database, so the database alone reveals no secret and no salt.

A commit writes its record *before* appending the entry (state ``pending``)
and completes it after; a commit interrupted in between is completed by the
next commit of the same date, which appends the recorded entry only if the
log does not hold it yet.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from treatyledger.errors import (
    ConflictError,
    FormatError,
    InputError,
    NotFoundError,
    VerificationError,
)
from treatyledger.escrow.diff import Change, diff_inventories
from treatyledger.escrow.inventory import Inventory
from treatyledger.escrow.inventory_csv import load_inventory
from treatyledger.escrow.inventory_json import inventory_to_json, parse_inventory_json
from treatyledger.escrow.opening import open_facility, open_facility_list
from treatyledger.escrow.sumtree import Declaration, commit
from treatyledger.escrow.vector import PadTo, new_secret
from treatyledger.ledger.exchange import (
    DataExchange,
    build_exchange,
    exchange_entry_text,
    make_opening_bundle,
    parse_exchange,
    sign_exchange,
)
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.note import Signer
from treatyledger.log.store import LogStore
from treatyledger.log.transparency_log import MAX_ENTRY_SIZE, TransparencyLog
from treatyledger.logs import read_key_file
from treatyledger.treaty import TreatySpec, builtin_names

__all__ = [
    "SEAL_INFO",
    "Change",
    "DeclarationRecord",
    "commit_declaration",
    "current_inventory",
    "declaration_record",
    "declared_dates",
    "diff_declarations",
    "import_inventory",
    "load_signer",
    "open_declaration",
    "record_treaty",
    "recorded_party",
    "recorded_treaty",
    "seal_secret",
    "unseal_secret",
]

SEAL_INFO: Final = b"treatyledger declaration secret v1"
_SEAL_ALG = "AES-256-GCM+HKDF-SHA256/v1"
_TREATY_KEY = "declare/treaty"
_INVENTORY_KEY = "inventory/current"
_INDEX_KEY = "declaration/index"
_RECORD_VERSION = 1


def _dumps(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _record_key(as_of: dt.date) -> str:
    return f"declaration/{as_of.isoformat()}"


# -- sealing ------------------------------------------------------------------------------


def _seal_key(signer: Signer) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_INFO)
    return AESGCM(hkdf.derive(signer.seed))


def seal_secret(signer: Signer, as_of: dt.date, secret: bytes) -> dict[str, str]:
    """The secret encrypted under a key derived from the signer's seed, bound to ``as_of``."""
    nonce = os.urandom(12)
    sealed = _seal_key(signer).encrypt(nonce, secret, as_of.isoformat().encode("ascii"))
    return {
        "alg": _SEAL_ALG,
        "key": signer.verifier().vkey(),
        "nonce": nonce.hex(),
        "data": sealed.hex(),
    }


def unseal_secret(signer: Signer, as_of: dt.date, sealed: dict[str, Any]) -> bytes:
    """The secret :func:`seal_secret` sealed; VerificationError for the wrong key or date."""
    if sealed.get("alg") != _SEAL_ALG:
        raise FormatError(what="sealed secret", problem=f"unknown algorithm {sealed.get('alg')!r}")
    if sealed.get("key") != signer.verifier().vkey():
        raise InputError(f"the secret of {as_of} is sealed under the key {sealed.get('key')}")
    try:
        nonce, data = bytes.fromhex(sealed["nonce"]), bytes.fromhex(sealed["data"])
        return _seal_key(signer).decrypt(nonce, data, as_of.isoformat().encode("ascii"))
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(what="sealed secret", problem=str(exc)) from exc
    except InvalidTag:
        raise VerificationError(f"the sealed secret of {as_of} does not open") from None


def load_signer(store: LogStore, key_path: Path | None) -> Signer:
    """The log's signing key (from ``key_path`` or the recorded key file), checked against it."""
    stored = store.get_meta("key_path")
    path = key_path or (Path(stored) if stored else None)
    if path is None:
        raise NotFoundError("no key file is recorded for this log; pass --key")
    signer = read_key_file(path)
    if signer.verifier().vkey() != store.get_meta("vkey"):
        raise InputError(f"the key in {path} is not the signing key of this log")
    return signer


# -- the current inventory ------------------------------------------------------------------


def recorded_party(store: LogStore, party: str | None) -> str:
    """``party``, or the party of the imported inventory; InputError if they differ."""
    text = store.get_meta(_INVENTORY_KEY)
    recorded = json.loads(text)["party"] if text is not None else None
    if party is None:
        if recorded is None:
            raise InputError("no inventory was imported here yet; pass --party")
        return str(recorded)
    if recorded is not None and party != recorded:
        raise InputError(f"this node is {recorded}'s; --party {party} does not match")
    return party


def record_treaty(store: LogStore, treaty: str) -> None:
    """Record the treaty this store's party declares under (before any inventory is imported).

    ConflictError if another treaty is recorded already.
    """
    current = store.get_meta(_TREATY_KEY)
    if current is None:
        store.set_meta(_TREATY_KEY, treaty, create_only=True)
    elif current != treaty:
        raise ConflictError(f"this store declares under {current!r}, not {treaty!r}")


def recorded_treaty(store: LogStore, treaty: str | None) -> str:
    """``treaty``, else the one recorded at import, else ``new-start``."""
    return treaty or store.get_meta(_TREATY_KEY) or "new-start"


def import_inventory(
    store: LogStore,
    spec: TreatySpec,
    *,
    treaty: str,
    party: str,
    items: Path,
    facilities: Path,
) -> Inventory:
    """Check the two CSV files against ``spec`` and make them the current inventory.

    All or nothing: on any problem nothing is stored.
    """
    inventory = load_inventory(spec, party, items, facilities)
    ref = treaty if treaty in builtin_names() else str(Path(treaty).resolve())
    store.set_meta(_TREATY_KEY, ref)
    store.set_meta(_INVENTORY_KEY, _dumps(inventory_to_json(inventory)))
    return inventory


def current_inventory(store: LogStore, spec: TreatySpec) -> Inventory:
    """The imported inventory (NotFoundError if none)."""
    text = store.get_meta(_INVENTORY_KEY)
    if text is None:
        raise NotFoundError("no inventory was imported here; run `treaty declare import`")
    return parse_inventory_json(text, source="the stored inventory", spec=spec)


# -- declarations -------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationRecord:
    """One stored declaration (the secret stays sealed)."""

    as_of: dt.date
    treaty: str
    party: str
    root: bytes
    index: int | None
    entry: bytes
    inventory: dict[str, Any]
    pad_to: PadTo
    sealed: dict[str, Any]

    def to_json(self) -> str:
        return _dumps(
            {
                "v": _RECORD_VERSION,
                "as_of": self.as_of.isoformat(),
                "treaty": self.treaty,
                "party": self.party,
                "root": self.root.hex(),
                "state": "pending" if self.index is None else "logged",
                "index": self.index,
                "entry": self.entry.decode("utf-8"),
                "inventory": self.inventory,
                "pad_to": self.pad_to,
                "sealed_secret": self.sealed,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DeclarationRecord:
        try:
            doc = json.loads(text)
            return cls(
                as_of=dt.date.fromisoformat(doc["as_of"]),
                treaty=doc["treaty"],
                party=doc["party"],
                root=bytes.fromhex(doc["root"]),
                index=doc["index"],
                entry=doc["entry"].encode("utf-8"),
                inventory=doc["inventory"],
                pad_to=doc["pad_to"],
                sealed=doc["sealed_secret"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FormatError(what="declaration record", problem=str(exc)) from exc


def declared_dates(store: LogStore) -> list[dt.date]:
    """The as-of dates of the stored declarations, oldest first."""
    text = store.get_meta(_INDEX_KEY)
    return [dt.date.fromisoformat(d) for d in json.loads(text)] if text else []


def declaration_record(store: LogStore, as_of: dt.date | None = None) -> DeclarationRecord:
    """The declaration as of ``as_of`` (default: the latest); NotFoundError if there is none."""
    if as_of is None:
        dates = declared_dates(store)
        if not dates:
            raise NotFoundError("no declaration was committed here yet")
        as_of = dates[-1]
    text = store.get_meta(_record_key(as_of))
    if text is None:
        known = ", ".join(d.isoformat() for d in declared_dates(store)) or "none"
        raise NotFoundError(f"no declaration as of {as_of} (declared: {known})")
    return DeclarationRecord.from_json(text)


def _add_to_index(store: LogStore, as_of: dt.date) -> None:
    dates = sorted({*declared_dates(store), as_of})
    store.set_meta(_INDEX_KEY, _dumps([d.isoformat() for d in dates]))


def _finish(store: LogStore, log: TransparencyLog, record: DeclarationRecord) -> DeclarationRecord:
    """Append the record's entry (unless the log holds it) and mark the record logged."""
    index = log.find(record.entry)
    if index is None:
        index = log.append_and_integrate([record.entry])[0][0]
    elif index >= log.size():
        log.integrate()
    done = replace(record, index=index)
    store.set_meta(_record_key(record.as_of), done.to_json())
    _add_to_index(store, record.as_of)
    return done


def commit_declaration(
    store: LogStore,
    log: TransparencyLog,
    spec: TreatySpec,
    *,
    signer: Signer,
    as_of: dt.date,
    pad_to: PadTo = None,
    clock: Callable[[], dt.datetime],
) -> tuple[DeclarationRecord, DataExchange, bool]:
    """Commit the current inventory as of ``as_of`` and append its data-exchange entry.

    Returns the record, the entry and whether an interrupted commit of that
    date was completed instead. InputError if ``as_of`` is already declared.
    """
    existing = store.get_meta(_record_key(as_of))
    if existing is not None:
        record = DeclarationRecord.from_json(existing)
        if record.index is not None:
            raise InputError(
                f"a declaration as of {as_of} is already committed (root {record.root.hex()})"
            )
        return _finish(store, log, record), parse_exchange(record.entry, log.verifier), True
    inventory = current_inventory(store, spec)
    secret = new_secret()
    declaration = commit(
        spec,
        inventory.party,
        as_of,
        inventory.items,
        [f.id for f in inventory.facilities],
        secret=secret,
        pad_to=pad_to,
    )
    kinds = {f.id: f.kind for f in inventory.facilities}
    exchange = build_exchange(declaration, kinds, clock=clock)
    entry = sign_exchange(exchange_entry_text(exchange), signer)
    if len(entry) > MAX_ENTRY_SIZE:
        raise InputError(
            f"the data-exchange entry is {len(entry):,} bytes, more than a log entry's "
            f"{MAX_ENTRY_SIZE:,}: too many facilities"
        )
    record = DeclarationRecord(
        as_of=as_of,
        treaty=spec.id,
        party=inventory.party,
        root=declaration.commitment.root,
        index=None,
        entry=entry,
        inventory=inventory_to_json(inventory),
        pad_to=pad_to,
        sealed=seal_secret(signer, as_of, secret),
    )
    try:
        store.set_meta(_record_key(as_of), record.to_json(), create_only=True)
    except ConflictError as exc:
        raise ConflictError(f"another commit of {as_of} came first; nothing was appended") from exc
    return _finish(store, log, record), exchange, False


def _redeclare(spec: TreatySpec, record: DeclarationRecord, signer: Signer) -> Declaration:
    """The declaration re-derived from its snapshot and unsealed secret; checks the root."""
    inventory = parse_inventory_json(
        _dumps(record.inventory), source=f"the inventory of {record.as_of}", spec=spec
    )
    secret = unseal_secret(signer, record.as_of, record.sealed)
    declaration = commit(
        spec,
        record.party,
        record.as_of,
        inventory.items,
        [f.id for f in inventory.facilities],
        secret=secret,
        pad_to=record.pad_to,
    )
    if declaration.commitment.root != record.root:
        raise VerificationError(
            f"the declaration of {record.as_of} re-derived under {spec.id} does not give the "
            "recorded root (was the specification changed?)"
        )
    return declaration


def open_declaration(
    store: LogStore,
    log: TransparencyLog,
    spec: TreatySpec,
    *,
    signer: Signer,
    facility: str,
    as_of: dt.date | None = None,
) -> bytes:
    """The opening bundle of one facility of a logged declaration (default: the latest)."""
    record = declaration_record(store, as_of)
    if record.index is None:
        raise InputError(f"the declaration of {record.as_of} is not logged yet; commit it again")
    declaration = _redeclare(spec, record, signer)
    opening = open_facility(declaration, facility)
    exchange = parse_exchange(record.entry, log.verifier)
    if exchange.commitment != declaration.commitment:
        raise VerificationError(f"the logged entry of {record.as_of} is not this declaration's")
    if log.entries(record.index, record.index + 1) != [record.entry]:
        raise VerificationError(f"log entry {record.index} is not the recorded entry")
    signed = log.checkpoint()
    size = open_checkpoint(signed, log.verifier, origin=log.origin).size
    return make_opening_bundle(
        entry=record.entry,
        origin=log.origin,
        index=record.index,
        proof=log.inclusion_proof(record.index, size),
        checkpoint=signed,
        facility_list=open_facility_list(declaration),
        opening=opening,
    )


# -- diff -----------------------------------------------------------------------------------


def diff_declarations(
    spec: TreatySpec, older: DeclarationRecord, newer: DeclarationRecord
) -> list[Change]:
    """What changed between two stored declarations (see :func:`diff_inventories`)."""
    return diff_inventories(spec, _snapshot(spec, older), _snapshot(spec, newer))


def _snapshot(spec: TreatySpec, record: DeclarationRecord) -> Inventory:
    return parse_inventory_json(
        json.dumps(record.inventory), source=f"declaration of {record.as_of}", spec=spec
    )
