"""The specifications that ship with treatyledger."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from treatyledger.errors import NotFoundError
from treatyledger.treaty.loader import load_spec, parse_spec
from treatyledger.treaty.spec import TreatySpec

__all__ = ["builtin_names", "load_builtin", "resolve_spec"]

_PACKAGE = "treatyledger.treaty.specs"


def builtin_names() -> list[str]:
    """The names of the built-in specifications, sorted."""
    folder = resources.files(_PACKAGE)
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def load_builtin(name: str) -> TreatySpec:
    """Load the built-in specification called ``name`` (``new-start``, ``strategic-p5``)."""
    if name not in builtin_names():
        raise NotFoundError(
            f"no built-in treaty specification {name!r}; "
            f"the built-in ones are {', '.join(builtin_names())}"
        )
    text = resources.files(_PACKAGE).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return parse_spec(text, source=f"built-in {name}")


def resolve_spec(name_or_path: str) -> TreatySpec:
    """A built-in specification by name, or the specification in a TOML file."""
    if name_or_path in builtin_names():
        return load_builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return load_spec(path)
    return load_builtin(name_or_path)  # raises NotFoundError listing the built-in names
