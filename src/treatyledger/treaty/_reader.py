"""A strict reader over parsed TOML: typed getters that know their field path.

Every getter raises :class:`SpecError` naming the source, the dotted path and
the problem. :meth:`Table.close` refuses keys nobody asked for, so a typo in a
specification is an error, never silently ignored.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from treatyledger.errors import SpecError

T = TypeVar("T")

_MISSING: Any = object()


class Table:
    """One TOML table, read field by field."""

    def __init__(
        self, data: dict[str, Any], *, source: str, path: str, unverified: list[str]
    ) -> None:
        self._data = data
        self._used: set[str] = set()
        self._unverified = unverified
        self.source = source
        self.path = path

    def _child(self, data: dict[str, Any], path: str) -> Table:
        return Table(data, source=self.source, path=path, unverified=self._unverified)

    def where(self, key: str) -> str:
        """The dotted path of ``key`` in this table."""
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> SpecError:
        """An error about ``key`` of this table (``key`` may be empty for the table itself)."""
        return SpecError(
            source=self.source, field=self.where(key) if key else self.path, problem=problem
        )

    def keys(self) -> list[str]:
        """The keys present, in document order."""
        return list(self._data)

    def has(self, key: str) -> bool:
        """Whether ``key`` is present."""
        return key in self._data

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key`` as parsed, marking it read."""
        self._used.add(key)
        if key not in self._data:
            if default is _MISSING:
                raise self.fail(key, "is required but missing" + self._misspelt(key))
            return default
        return self._data[key]

    def _misspelt(self, key: str) -> str:
        """A hint naming an unread key that looks like a misspelling of ``key``."""
        unread = [k for k in self._data if k not in self._used]
        close = difflib.get_close_matches(key, unread, n=1, cutoff=0.75)
        return f" (is {close[0]!r} a misspelling of it?)" if close else ""

    def _typed(self, key: str, check: Callable[[Any], bool], what: str, default: Any) -> Any:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value
        if not check(value):
            raise self.fail(key, f"expected {what}, got {_show(value)}")
        return value

    def string(self, key: str, default: Any = _MISSING) -> Any:
        """A non-empty string."""
        return self._typed(
            key, lambda v: isinstance(v, str) and v.strip() != "", "a non-empty string", default
        )

    def text(self, key: str, default: str = "") -> str:
        """Free text, possibly empty."""
        value: str = self._typed(key, lambda v: isinstance(v, str), "a string", default)
        return value

    def count(self, key: str, default: Any = _MISSING) -> Any:
        """A non-negative integer."""
        return self._typed(
            key,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
            "a non-negative integer",
            default,
        )

    def flag(self, key: str, default: Any = _MISSING) -> Any:
        """true or false."""
        return self._typed(key, lambda v: isinstance(v, bool), "true or false", default)

    def day(self, key: str, default: Any = _MISSING) -> Any:
        """A TOML local date (``2011-02-05``, unquoted)."""
        return self._typed(
            key, lambda v: type(v) is dt.date, "a date such as 2011-02-05 (unquoted)", default
        )

    def strings(self, key: str, default: Any = _MISSING) -> Any:
        """A list of non-empty strings without repeats."""
        value = self._typed(
            key,
            lambda v: isinstance(v, list) and all(isinstance(s, str) and s.strip() for s in v),
            "a list of non-empty strings",
            default,
        )
        if value is not default:
            for i, s in enumerate(value):
                if s in value[:i]:
                    raise self.fail(key, f"{s!r} is listed twice")
        return value

    def parse(self, key: str, parser: Callable[[Any], T], default: Any = _MISSING) -> T:
        """Run ``parser`` on the value; its ``ValueError`` becomes a :class:`SpecError`."""
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return value  # type: ignore[no-any-return]
        try:
            return parser(value)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from exc

    def table(self, key: str, *, required: bool = True) -> Table | None:
        """A sub-table, or None when it is absent and not required."""
        value = self.raw(key, _MISSING if required else None)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {_show(value)}")
        return self._child(value, self.where(key))

    def tables(self, key: str, *, required: bool = True) -> Iterator[Table]:
        """The tables of an array of tables (``[[key]]``)."""
        value = self.raw(key, _MISSING if required else [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, f"expected an array of tables ([[{key}]]), got {_show(value)}")
        if required and not value:
            raise self.fail(key, "needs at least one entry")
        for i, item in enumerate(value):
            yield self._child(item, f"{self.where(key)}[{i}]")

    def build(self, constructor: Callable[[], T], key: str = "") -> T:
        """Build a value; a ``ValueError`` from its validation is reported at this table."""
        try:
            return constructor()
        except ValueError as exc:
            raise self.fail(key, str(exc)) from exc

    def close(self) -> None:
        """Refuse any key that was not read: unknown keys are mistakes.

        Any table may list some of its own keys under ``unverified``: values the
        public record could not confirm. They are collected with their full path.
        """
        if self.has("unverified"):
            for key in self.strings("unverified"):
                if key == "unverified" or key not in self._data:
                    raise self.fail("unverified", f"names {key!r}, which is not a field here")
                self._unverified.append(self.where(key))
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise self.fail(unknown[0], "is not a known field here")


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
