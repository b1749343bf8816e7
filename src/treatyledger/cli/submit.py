"""``treaty submit``: sign an entry with the party's log key and send it to the party's node."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from treatyledger.cli._options import JsonOption
from treatyledger.cli._output import console, emit_json
from treatyledger.errors import InputError, NotFoundError
from treatyledger.logs import read_key_file

__all__ = ["submit"]


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(file).read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{file} does not exist; nothing was sent") from exc
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}; nothing was sent") from exc


def submit(
    file: Annotated[str, typer.Argument(help="The entry as a JSON document ('-': stdin).")],
    to: Annotated[str, typer.Option("--to", help="The node's URL, e.g. http://127.0.0.1:8000.")],
    key: Annotated[Path, typer.Option("--key", help="The party's log signing key file.")],
    json_: JsonOption = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for the node.", min=0.1)
    ] = 30.0,
) -> None:
    """Sign an entry and submit it; print its index once the node holds it durably."""
    # Imported here so that other commands start without loading the HTTP client.
    import httpx  # noqa: PLC0415

    from treatyledger.node.client import sign_entry_document, submit_note  # noqa: PLC0415

    note = sign_entry_document(_read(file), read_key_file(key), source=file)
    with httpx.Client(timeout=timeout) as client:
        receipt = submit_note(to, note, client)
    if json_:
        emit_json(
            {
                "index": receipt.index,
                "leaf_hash": receipt.leaf_hash.hex(),
                "created": receipt.created,
            }
        )
        return
    verb = "appended as" if receipt.created else "already logged as"
    console().print(f"{verb} entry {receipt.index} (leaf hash {receipt.leaf_hash.hex()})")
