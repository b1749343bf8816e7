"""The import direction: the pure core never reaches the edges (cli, and later node, storage)."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import treatyledger

PACKAGE = Path(treatyledger.__file__).parent
CORE = ("errors", "treaty", "record", "data", "log", "escrow", "ledger", "compliance", "assurance")
EDGES = (
    "treatyledger.cli",
    "treatyledger.node",
    "treatyledger.storage",
    "treatyledger.exercise",
    "treatyledger.dashboard",
)


def _modules(top: str) -> list[Path]:
    path = PACKAGE / top
    return sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]


def _imports(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("top", CORE)
def test_core_does_not_import_the_edges(top: str) -> None:
    for module in _modules(top):
        for name in _imports(module):
            assert not name.startswith(EDGES), f"{module.relative_to(PACKAGE)} imports {name}"


@pytest.mark.parametrize("top", CORE)
def test_core_does_not_import_the_cli_toolkit(top: str) -> None:
    for module in _modules(top):
        for name in _imports(module):
            root = name.split(".")[0]
            assert root not in {"typer", "rich", "click"}, (
                f"{module.relative_to(PACKAGE)} imports {name}"
            )


def test_no_module_is_too_long() -> None:
    for module in PACKAGE.rglob("*.py"):
        lines = len(module.read_text(encoding="utf-8").splitlines())
        assert lines <= 600, f"{module.relative_to(PACKAGE)} has {lines} lines; split it"


def test_every_module_declares_its_public_names() -> None:
    for info in pkgutil.walk_packages([str(PACKAGE)], prefix="treatyledger."):
        name = info.name
        if name.rsplit(".", 1)[-1].startswith("_") or name.endswith(".specs"):
            continue
        if name == "treatyledger.data":
            continue  # a data folder, no code
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} has no __all__"
        assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
        for symbol in exported:
            assert hasattr(module, symbol), f"{name}.__all__ names missing {symbol}"
