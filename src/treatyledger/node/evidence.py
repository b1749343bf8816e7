"""Equivocation evidence, as the node's witness keeps it: see :mod:`treatyledger.log.equivocation`.

The format and its verification belong to the log (the compliance engine,
which must not depend on the node, checks the same records).
"""

from treatyledger.log.equivocation import (
    Evidence,
    EvidenceKind,
    fork_path,
    fork_roots,
    proves_fork,
    verify_evidence,
)

__all__ = [
    "Evidence",
    "EvidenceKind",
    "fork_path",
    "fork_roots",
    "proves_fork",
    "verify_evidence",
]
