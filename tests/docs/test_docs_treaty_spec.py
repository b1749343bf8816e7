"""docs/treaty-spec.md stays true to the loader and the built-in specifications."""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from treatyledger.treaty import (
    DatePrecision,
    EventKind,
    FieldType,
    Obligation,
    QuotaScope,
    builtin_names,
    parse_spec,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "treaty-spec.md"
TEXT = DOC.read_text(encoding="utf-8")

# The keys of these tables are data (party ids), not names of the format.
_DATA_TABLES = {"party_caps"}


def _toml_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced ```toml block, with the last heading above it."""
    blocks: list[tuple[str, str]] = []
    heading = ""
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("#"):
            heading = line
        elif line.strip() == "```toml":
            body = []
            for inner in lines:
                if inner.strip() == "```":
                    break
                body.append(inner)
            else:
                pytest.fail(f"unclosed ```toml block under {heading!r}")
            blocks.append((heading, "\n".join(body) + "\n"))
    return blocks


def _key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Dotted key paths of parsed TOML, list indexes dropped."""
    if isinstance(value, dict):
        for key, child in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            if key not in _DATA_TABLES:
                yield from _key_paths(child, path)
    elif isinstance(value, list):
        for child in value:
            yield from _key_paths(child, prefix)


def _builtin_key_paths() -> list[str]:
    folder = resources.files("treatyledger.treaty.specs")
    paths: set[str] = set()
    for name in builtin_names():
        text = folder.joinpath(f"{name}.toml").read_text(encoding="utf-8")
        paths.update(_key_paths(tomllib.loads(text)))
    return sorted(paths)


def _mentioned(word: str) -> bool:
    return f"`{word}`" in TEXT


def test_minimal_example_is_a_valid_specification() -> None:
    examples = [body for heading, body in _toml_blocks(TEXT) if "Minimal example" in heading]
    assert len(examples) == 1, "expected one ```toml block under a 'Minimal example' heading"
    spec = parse_spec(examples[0], source="docs")
    assert len(spec.parties) == 2
    assert spec.unverified == ()


@pytest.mark.parametrize(("heading", "body"), _toml_blocks(TEXT))
def test_every_toml_example_is_valid_toml(heading: str, body: str) -> None:
    tomllib.loads(body)


def test_builtin_specifications_are_walked() -> None:
    paths = _builtin_key_paths()
    assert "limits.counting.each" in paths
    assert "notifications.deadline.event" in paths


@pytest.mark.parametrize("path", _builtin_key_paths())
def test_every_key_of_the_builtin_specifications_is_documented(path: str) -> None:
    key = path.rsplit(".", 1)[-1]
    assert _mentioned(key), f"{path}: `{key}` is not documented in {DOC.name}"


@pytest.mark.parametrize(
    "member",
    [m for e in (FieldType, EventKind, Obligation, QuotaScope, DatePrecision) for m in e],
    ids=lambda m: f"{type(m).__name__}.{m.name}",
)
def test_every_choice_value_is_documented(member: enum.Enum) -> None:
    assert _mentioned(member.value), f"`{member.value}` is not documented in {DOC.name}"
