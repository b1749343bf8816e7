"""The transparency log: RFC 6962 tree, C2SP signed notes, checkpoints, tiles, proofs.

Pure logic, byte-exact to the specifications: :mod:`.merkle` (hashing,
proofs), :mod:`.tiles` (tlog-tiles layout), :mod:`.note` (signed notes and
keys), :mod:`.checkpoint`, :mod:`.cosignature` (type 0x04), :mod:`.tlogproof`;
and the log itself, :class:`TransparencyLog`, over a store that implements
:mod:`.store`'s protocols.
"""

from treatyledger.log.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint
from treatyledger.log.export import export_files
from treatyledger.log.merkle import (
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from treatyledger.log.note import Ed25519Verifier, Note, Signer, open_note, parse_note, sign_note
from treatyledger.log.tlogproof import TlogProof, parse_tlog_proof, verify_tlog_proof
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.log.verify_tree import TreeReport, verify_tree

__all__ = [
    "Checkpoint",
    "Ed25519Verifier",
    "Note",
    "Signer",
    "TlogProof",
    "TransparencyLog",
    "TreeReport",
    "export_files",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_note",
    "parse_tlog_proof",
    "root_from_leaf_hashes",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
    "verify_tlog_proof",
    "verify_tree",
]
