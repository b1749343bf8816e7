"""docs/cli.md is the generated help of every command, and it is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = (
    "python -m typer treatyledger.cli.app utils docs --name treaty "
    '--title "Command-line reference (generated)" --output docs/cli.md'
)


def test_cli_reference_is_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "typer",
            "treatyledger.cli.app",
            "utils",
            "docs",
            "--name",
            "treaty",
            "--title",
            "Command-line reference (generated)",
            "--output",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == current, f"docs/cli.md is stale; run: {REGENERATE}"


def test_every_command_has_help() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in (
        "spec list",
        "spec show",
        "spec validate",
        "record show",
        "record check",
        "record plot",
    ):
        assert f"## `treaty {command}`" in text
    # Typer writes a bare option line when an option has no help text.
    assert "`: \n" not in text
