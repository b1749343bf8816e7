"""docs/ledger.md stays true: every complete example is a canonical, valid entry."""

from __future__ import annotations

import re
from pathlib import Path

from treatyledger.ledger import PROTOCOL_TYPES, entry_text, parse_entry_text, validate_entry
from treatyledger.treaty import TreatySpec

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"```json\n(.*?)\n```", TEXT, flags=re.DOTALL)


def test_every_complete_example_is_canonical_and_valid(new_start: TreatySpec) -> None:
    complete = [e for e in EXAMPLES if "…" not in e]
    assert len(complete) >= 14
    for example in complete:
        entry = parse_entry_text(example + "\n")
        assert entry_text(entry) == example + "\n"
        validate_entry(entry, new_start)


def test_every_protocol_type_is_documented() -> None:
    for type_id in PROTOCOL_TYPES:
        assert f"#### `{type_id}`" in TEXT
        assert f'"type":"{type_id}"' in TEXT
