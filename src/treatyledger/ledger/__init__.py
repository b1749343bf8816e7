"""Ledger entries: what a party says, as signed canonical JSON in its own log.

:mod:`.envelope` defines the entry (type, sender, time, payload, references)
and its one encoding; :mod:`.protocol` the regime's own entry types;
:mod:`.types` checks an entry against a treaty. Pure core: no storage, no
clock, no command line. The format is documented in ``docs/ledger.md``.
"""

from treatyledger.ledger.envelope import (
    ENTRY_VERSION,
    MAX_ENTRY_SIZE,
    Entry,
    EntryFormatError,
    Ref,
    entry_text,
    parse_entry,
    parse_entry_text,
    ref_to,
    sign_entry,
)
from treatyledger.ledger.protocol import PROTOCOL_TYPES, ProtocolType, protocol_type
from treatyledger.ledger.types import (
    CLOCK_SKEW,
    EntryError,
    EntryIndex,
    check_payload,
    entry_types,
    read_entry,
    validate_entry,
)

__all__ = [
    "CLOCK_SKEW",
    "ENTRY_VERSION",
    "MAX_ENTRY_SIZE",
    "PROTOCOL_TYPES",
    "Entry",
    "EntryError",
    "EntryFormatError",
    "EntryIndex",
    "ProtocolType",
    "Ref",
    "check_payload",
    "entry_text",
    "entry_types",
    "parse_entry",
    "parse_entry_text",
    "protocol_type",
    "read_entry",
    "ref_to",
    "sign_entry",
    "validate_entry",
]
