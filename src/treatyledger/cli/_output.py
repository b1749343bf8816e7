"""Output helpers shared by the commands: consoles and JSON."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

__all__ = ["console", "emit_json", "err_console"]


def console() -> Console:
    """A console on standard output, sized for the terminal (or ``COLUMNS``) of this call."""
    return Console(highlight=False)


def err_console() -> Console:
    """A console on standard error; messages are not wrapped so paths stay whole."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def emit_json(value: Any) -> None:
    """Write ``value`` to standard output as indented JSON, exactly, with no styling."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()
