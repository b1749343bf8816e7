"""Inventories as CSV: an items file and a facilities file.

Each file is UTF-8 (a leading byte-order mark is ignored) and starts with a
header row of exactly :data:`~treatyledger.escrow.inventory.ITEM_COLUMNS`
(``uid,kind,type,status,facility,warheads``) or
:data:`~treatyledger.escrow.inventory.FACILITY_COLUMNS` (``id,kind,name,location``)
in that order; the header is row 1 and every record is one row (a value never
spans lines). ``warheads`` is an empty cell when not given. A blank row, a row
with too few or too many values, or a value with surrounding spaces is an error,
never skipped or trimmed. The writers produce what the readers read back
unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NoReturn

from treatyledger.errors import InventoryError
from treatyledger.escrow.inventory import (
    FACILITY_COLUMNS,
    ITEM_COLUMNS,
    Facility,
    Inventory,
    _at,
    _build,
    _decode,
    _Origin,
    _read,
    _text_problem,
)
from treatyledger.treaty.counting import Item
from treatyledger.treaty.spec import TreatySpec

__all__ = [
    "facilities_to_csv",
    "items_to_csv",
    "load_facilities_csv",
    "load_inventory",
    "load_items_csv",
    "parse_facilities_csv",
    "parse_inventory_csv",
    "parse_items_csv",
]

_WHOLE = re.compile(r"0|[1-9][0-9]*")


def _table(
    data: str | bytes, columns: tuple[str, ...], *, source: str
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file as (row number, cells), after checking its shape."""
    text = _decode(data, source=source)
    if not text:
        raise InventoryError(
            item=f"{source}, row 1",
            field="(header)",
            problem=f"the file is empty; it must start with the header {','.join(columns)}",
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    line = 0
    try:
        for values in reader:
            row, line = line + 1, reader.line_num
            if row == 1:
                _check_header(values, columns, source=source)
                continue
            where = f"{source}, row {row}"
            if not values:
                raise InventoryError(item=where, field="(row)", problem="blank row; remove it")
            if len(values) != len(columns):
                raise InventoryError(
                    item=where,
                    field="(row)",
                    problem=f"expected {len(columns)} values ({','.join(columns)}), "
                    f"got {len(values)}",
                )
            cells = dict(zip(columns, values, strict=True))
            ident = cells[columns[0]]
            if _text_problem(ident) is None:
                where = f"{where} ({columns[0]} {ident})"
            for column, value in cells.items():
                problem = None if column == "warheads" and not value else _text_problem(value)
                if problem is not None:
                    raise InventoryError(item=where, field=column, problem=problem)
            rows.append((row, cells))
    except csv.Error as exc:
        raise InventoryError(
            item=f"{source}, row {line + 1}", field="(row)", problem=f"not valid CSV: {exc}"
        ) from exc
    return rows


def _check_header(header: list[str], columns: tuple[str, ...], *, source: str) -> None:
    if tuple(header) == columns:
        return

    def fail(problem: str) -> NoReturn:
        raise InventoryError(
            item=f"{source}, row 1",
            field="(header)",
            problem=f"{problem}; the header must be exactly {','.join(columns)}",
        )

    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        fail(f"column {repeated[0]!r} appears more than once")
    unknown = [c for c in header if c not in columns]
    if unknown:
        fail(f"unknown column {unknown[0]!r}")
    missing = [c for c in columns if c not in header]
    if missing:
        fail(f"missing column {missing[0]!r}")
    fail(f"the columns are out of order ({','.join(header)})")


def _whole(text: str) -> int:
    """The warhead number written in a CSV cell; raised problems get their row from :func:`_at`."""
    if text.startswith("-") and _WHOLE.fullmatch(text[1:]):
        problem = f"must not be negative, got {text}"
    elif not _WHOLE.fullmatch(text):
        problem = f"must be a whole number in digits 0-9, no sign or leading zeros, got {text!r}"
    elif len(text) > 6:  # never convert an absurdly long number
        problem = f"{text} warheads on one missile is impossible"
    else:
        return int(text)
    raise InventoryError(item="", field="warheads", problem=problem)


def _parse_items(data: str | bytes, *, source: str) -> list[tuple[int, Item]]:
    parsed: list[tuple[int, Item]] = []
    for row, cells in _table(data, ITEM_COLUMNS, source=source):
        with _at(f"{source}, row {row} (uid {cells['uid']})"):
            warheads = _whole(cells["warheads"]) if cells["warheads"] else None
            item = Item(
                uid=cells["uid"],
                kind=cells["kind"],
                type=cells["type"],
                status=cells["status"],
                facility=cells["facility"],
                warheads=warheads,
            )
        parsed.append((row, item))
    return parsed


def _parse_facilities(data: str | bytes, *, source: str) -> list[tuple[int, Facility]]:
    parsed: list[tuple[int, Facility]] = []
    for row, cells in _table(data, FACILITY_COLUMNS, source=source):
        with _at(f"{source}, row {row} (id {cells['id']})"):
            facility = Facility(
                id=cells["id"], kind=cells["kind"], name=cells["name"], location=cells["location"]
            )
        parsed.append((row, facility))
    return parsed


def parse_items_csv(data: str | bytes, *, source: str) -> tuple[Item, ...]:
    """Read an items CSV file's contents; ``source`` names the file in errors.

    Checks the file's shape and each value's form (file, row and column in every
    error); what the values mean is checked by :func:`parse_inventory_csv` or
    :func:`build_inventory`.
    """
    return tuple(item for _, item in _parse_items(data, source=source))


def parse_facilities_csv(data: str | bytes, *, source: str) -> tuple[Facility, ...]:
    """Read a facilities CSV file's contents; like :func:`parse_items_csv`."""
    return tuple(facility for _, facility in _parse_facilities(data, source=source))


def parse_inventory_csv(
    spec: TreatySpec,
    party: str,
    *,
    items: str | bytes,
    items_source: str,
    facilities: str | bytes,
    facilities_source: str,
) -> Inventory:
    """Read and check a party's inventory from the contents of its two CSV files.

    All or nothing: any problem raises :class:`InventoryError` naming the file,
    the row and the problem, and no inventory is returned.
    """
    facility_rows = _parse_facilities(facilities, source=facilities_source)
    item_rows = _parse_items(items, source=items_source)
    return _build(
        spec,
        party,
        [f for _, f in facility_rows],
        [i for _, i in item_rows],
        facilities_origin=_Origin(facilities_source, lambda i: f"row {facility_rows[i][0]}"),
        items_origin=_Origin(items_source, lambda i: f"row {item_rows[i][0]}"),
        party_origin="inventory",
    )


def _write_csv(columns: tuple[str, ...], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def items_to_csv(items: Iterable[Item]) -> str:
    """The items as CSV text that :func:`parse_items_csv` reads back unchanged."""
    return _write_csv(
        ITEM_COLUMNS,
        (
            (
                i.uid,
                i.kind,
                i.type,
                i.status,
                i.facility,
                "" if i.warheads is None else str(i.warheads),
            )
            for i in items
        ),
    )


def facilities_to_csv(facilities: Iterable[Facility]) -> str:
    """The facilities as CSV text that :func:`parse_facilities_csv` reads back unchanged."""
    return _write_csv(FACILITY_COLUMNS, ((f.id, f.kind, f.name, f.location) for f in facilities))


def load_items_csv(path: Path) -> tuple[Item, ...]:
    """:func:`parse_items_csv` on the file at ``path``."""
    return parse_items_csv(_read(path), source=str(path))


def load_facilities_csv(path: Path) -> tuple[Facility, ...]:
    """:func:`parse_facilities_csv` on the file at ``path``."""
    return parse_facilities_csv(_read(path), source=str(path))


def load_inventory(
    spec: TreatySpec, party: str, items_path: Path, facilities_path: Path
) -> Inventory:
    """:func:`parse_inventory_csv` on two files; all or nothing."""
    return parse_inventory_csv(
        spec,
        party,
        items=_read(items_path),
        items_source=str(items_path),
        facilities=_read(facilities_path),
        facilities_source=str(facilities_path),
    )
