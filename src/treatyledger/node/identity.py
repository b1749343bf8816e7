"""Who a node is: its party, its log and its witness key, recorded in its store.

A node serves the log that ``treaty log init`` created in its database (the
log ``self``, the one ``treaty declare commit`` writes). Starting it the
first time records its party under ``node/party`` and creates its witness
key: a cosignature key (type 0x04) named ``<origin>/witness``, in a key file
beside the log's own key, readable by its owner only. The store records the
witness verifier key and where the key file is, never the secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from treatyledger.declarations import recorded_party, recorded_treaty
from treatyledger.errors import ConflictError, InputError, NotFoundError
from treatyledger.log.cosignature import CosignatureSigner
from treatyledger.log.store import LogStore
from treatyledger.logs import default_key_path, open_log, write_secret_file
from treatyledger.treaty import TreatySpec, resolve_spec

__all__ = [
    "NODE_PARTY_KEY",
    "WITNESS_KEY",
    "NodeIdentity",
    "init_node",
    "node_identity",
    "read_witness_signer",
    "witness_name",
]

NODE_PARTY_KEY = "node/party"
"""The meta key of the node's party."""

WITNESS_KEY = "node/witness"
"""The meta key of the witness key record, ``{"vkey", "key_path"}`` (written once)."""


def witness_name(origin: str) -> str:
    """The key name of the witness of the node whose log is ``origin``."""
    return f"{origin}/witness"


@dataclass(frozen=True)
class NodeIdentity:
    """A node's party, its log's origin and verifier key, and its witness verifier key."""

    party: str
    origin: str
    vkey: str
    witness_vkey: str
    treaty: str

    def to_json(self) -> dict[str, str]:
        """``{"party", "origin", "vkey", "witness_vkey", "treaty"}``."""
        return {
            "party": self.party,
            "origin": self.origin,
            "vkey": self.vkey,
            "witness_vkey": self.witness_vkey,
            "treaty": self.treaty,
        }


def _witness_record(store: LogStore) -> tuple[str, Path] | None:
    text = store.get_meta(WITNESS_KEY)
    if text is None:
        return None
    try:
        record = json.loads(text)
        return str(record["vkey"]), Path(record["key_path"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"the stored witness key record is unreadable: {exc}") from exc


def read_witness_signer(store: LogStore) -> CosignatureSigner:
    """The node's witness key, read from its key file and checked against the store."""
    record = _witness_record(store)
    if record is None:
        raise NotFoundError("this node has no witness key yet; start it with `treaty serve`")
    vkey, path = record
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise NotFoundError(f"the witness key file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the witness key file {path}: {exc}") from exc
    signer = CosignatureSigner.from_key_string(text)
    if signer.vkey() != vkey:
        raise InputError(f"the key in {path} is not this node's witness key {vkey}")
    return signer


def init_node(
    store: LogStore, *, party: str, db_url: str, key_path: Path | None = None
) -> NodeIdentity:
    """Record this node's party and create its witness key, once; later calls check them.

    The log must exist (``treaty log init``) and ``party`` must be a party of
    the treaty recorded in the store (``new-start`` by default) and the party
    of any imported inventory. InputError if the node was started for another
    party before.
    """
    log = open_log(store)
    treaty = recorded_treaty(store, None)
    spec = resolve_spec(treaty)
    if spec.party(party) is None:
        known = ", ".join(p.id for p in spec.parties)
        raise InputError(f"{party!r} is not a party of {spec.id} ({known})")
    recorded_party(store, party)
    stored = store.get_meta(NODE_PARTY_KEY)
    if stored is None:
        try:
            store.set_meta(NODE_PARTY_KEY, party, create_only=True)
        except ConflictError:
            stored = store.get_meta(NODE_PARTY_KEY)
    if stored is not None and stored != party:
        raise InputError(f"this node is {stored}'s; --party {party} does not match")
    if _witness_record(store) is None:
        path = key_path or default_key_path(db_url, witness_name(log.origin))
        _create_witness_key(store, log.origin, path)
    identity = node_identity(store, spec)
    assert identity is not None  # both recorded above
    return identity


def _create_witness_key(store: LogStore, origin: str, path: Path) -> None:
    signer = CosignatureSigner.generate(witness_name(origin))
    write_secret_file(path, signer.key_string())
    record = json.dumps({"vkey": signer.vkey(), "key_path": str(path.resolve())}, sort_keys=True)
    try:
        store.set_meta(WITNESS_KEY, record, create_only=True)
    except ConflictError:
        path.unlink(missing_ok=True)  # another start created the key first; keep that one


def node_identity(store: LogStore, spec: TreatySpec | None = None) -> NodeIdentity | None:
    """This node's identity, or None before ``treaty serve`` first ran on the store."""
    party = store.get_meta(NODE_PARTY_KEY)
    witness = _witness_record(store)
    origin, vkey = store.get_meta("origin"), store.get_meta("vkey")
    if party is None or witness is None or origin is None or vkey is None:
        return None
    treaty = (spec or resolve_spec(recorded_treaty(store, None))).id
    return NodeIdentity(
        party=party, origin=origin, vkey=vkey, witness_vkey=witness[0], treaty=treaty
    )
