"""The sites file of ``treaty plan allocate``: one CSV row per site.

UTF-8 (a leading byte-order mark is ignored), a header row naming the columns
(in any order): ``id``, ``items``, ``value``, ``non_detection`` always, and
``gain``, ``sanction`` for deterrence. Every row has a value in every column;
``items`` is a whole number, the others decimal numbers. Unknown or repeated
columns, blank or ragged rows, repeated ids and values out of range are
errors naming the file, the row and the column; nothing is skipped.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Final

from treatyledger.assurance.allocation import InspectionSite
from treatyledger.assurance.inputs import PlanInputError

__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "load_sites_csv", "parse_sites_csv"]

REQUIRED_COLUMNS: Final = ("id", "items", "value", "non_detection")
OPTIONAL_COLUMNS: Final = ("gain", "sanction")
_WHOLE = re.compile(r"0|[1-9][0-9]*")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?")


def _number(text: str, where: str) -> float:
    if not _DECIMAL.fullmatch(text):
        raise PlanInputError(where, f"expected a non-negative decimal number, got {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise PlanInputError(where, f"{text!r} is too large")
    return value


def _header(row: list[str], source: str) -> list[str]:
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    for name in row:
        if name not in known:
            raise PlanInputError(
                f"{source}, row 1", f"unknown column {name!r} (columns: {', '.join(known)})"
            )
        if row.count(name) > 1:
            raise PlanInputError(f"{source}, row 1", f"column {name!r} appears twice")
    for name in REQUIRED_COLUMNS:
        if name not in row:
            raise PlanInputError(f"{source}, row 1", f"the header lacks the column {name!r}")
    if ("gain" in row) != ("sanction" in row):
        raise PlanInputError(f"{source}, row 1", "give both gain and sanction, or neither")
    return row


def parse_sites_csv(data: str | bytes, *, source: str) -> tuple[InspectionSite, ...]:
    """Read a sites file's contents; ``source`` names the file in errors."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PlanInputError(source, f"is not UTF-8 text ({exc.reason})") from exc
    text = data.removeprefix("\ufeff")
    if not text.strip():
        raise PlanInputError(source, f"is empty; it needs a header ({','.join(REQUIRED_COLUMNS)})")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise PlanInputError(source, f"is not valid CSV: {exc}") from exc
    columns = _header(rows[0], source)
    sites: list[InspectionSite] = []
    first_row: dict[str, int] = {}
    for number, values in enumerate(rows[1:], start=2):
        where = f"{source}, row {number}"
        if not values:
            raise PlanInputError(where, "blank row; remove it")
        if len(values) != len(columns):
            raise PlanInputError(
                where, f"expected {len(columns)} values ({','.join(columns)}), got {len(values)}"
            )
        cells = dict(zip(columns, values, strict=True))
        for name, value in cells.items():
            if value.strip() != value or not value:
                raise PlanInputError(
                    f"{where}, {name}", f"must be filled, without spaces: {value!r}"
                )
        if not _WHOLE.fullmatch(cells["items"]):
            raise PlanInputError(
                f"{where}, items", f"expected a whole number, got {cells['items']!r}"
            )
        if cells["id"] in first_row:
            raise PlanInputError(
                f"{where}, id", f"{cells['id']!r} is already on row {first_row[cells['id']]}"
            )
        first_row[cells["id"]] = number
        numbers = {
            name: _number(cells[name], f"{where}, {name}")
            for name in ("value", "non_detection", *OPTIONAL_COLUMNS)
            if name in cells
        }
        try:
            sites.append(
                InspectionSite(
                    id=cells["id"],
                    items=int(cells["items"]),
                    value=numbers["value"],
                    non_detection=numbers["non_detection"],
                    gain=numbers.get("gain"),
                    sanction=numbers.get("sanction"),
                )
            )
        except PlanInputError as exc:
            field = exc.argument.rsplit(": ", 1)[-1]
            raise PlanInputError(f"{where}, {field}", exc.problem) from exc
    if not sites:
        raise PlanInputError(source, "lists no site")
    return tuple(sites)


def load_sites_csv(path: Path) -> tuple[InspectionSite, ...]:
    """:func:`parse_sites_csv` on the file at ``path``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanInputError(str(path), f"cannot read: {exc.strerror}") from exc
    return parse_sites_csv(data, source=str(path))
