"""The ledger is pure core: it never reaches storage, the command line, nodes or the old modules."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import treatyledger.ledger

LEDGER = Path(treatyledger.ledger.__file__).parent
FORBIDDEN = (
    "treatyledger.storage",
    "treatyledger.cli",
    "treatyledger.node",
    "treatyledger.logs",
    "treatyledger.declarations",
    "typer",
    "rich",
    "click",
    "sqlite3",
    "psycopg",
)


def _imports(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{source.name}: use absolute imports"
            names.add(node.module or "")
    return names


def test_ledger_modules_import_nothing_from_the_edges() -> None:
    modules = sorted(LEDGER.glob("*.py"))
    assert {m.name for m in modules} >= {"__init__.py", "envelope.py", "types.py"}
    for module in modules:
        for name in _imports(module):
            for forbidden in FORBIDDEN:
                assert not f"{name}.".startswith(f"{forbidden}."), (
                    f"ledger/{module.name} imports {name}"
                )


def test_importing_the_ledger_loads_no_edge_module() -> None:
    code = (
        "import sys, treatyledger.ledger\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN[5:]!r} "
        f"or any(m == f or m.startswith(f + '.') for f in {FORBIDDEN[:5]!r}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
