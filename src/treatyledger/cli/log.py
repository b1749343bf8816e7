"""``treaty log``: create, append to, integrate, export, prove and verify a transparency log."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from treatyledger.cli._options import DbOption, folder_fetcher, store_at
from treatyledger.cli._output import console
from treatyledger.errors import InputError, NotFoundError
from treatyledger.log.export import export_files
from treatyledger.log.note import Ed25519Verifier
from treatyledger.log.tlogproof import parse_tlog_proof, verify_tlog_proof
from treatyledger.log.transparency_log import MAX_ENTRY_SIZE
from treatyledger.log.verify_tree import verify_tree
from treatyledger.logs import create_log, default_key_path, open_log
from treatyledger.storage import default_db_url

__all__ = ["app"]

app = typer.Typer(
    help="The party's transparency log (RFC 6962 tree, C2SP checkpoints and tiles).",
    no_args_is_help=True,
)

VkeyOption = Annotated[
    str, typer.Option("--vkey", help="The log's verifier key (name+hex8+base64).")
]


@app.command("init")
def init(
    origin: Annotated[
        str, typer.Option("--origin", help="The log's origin line, e.g. example.org/us/log.")
    ],
    key: Annotated[
        Path | None, typer.Option("--key", help="Where to write the signing key.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create the log and its signing key (a key file readable by its owner only)."""
    url = db or default_db_url()
    key_path = key or default_key_path(url, origin)
    with store_at(url) as store:
        log = create_log(store, origin=origin, key_path=key_path)
        out = console()
        out.print(f"created log [bold]{escape(origin)}[/] in {escape(url)}")
        out.print(f"signing key: {escape(str(key_path.resolve()))} (mode 0600; keep it secret)")
        out.print(f"verifier key: {escape(log.verifier.vkey())}")


@app.command("vkey")
def vkey(db: DbOption = None) -> None:
    """Print the log's verifier key."""
    with store_at(db) as store:
        sys.stdout.write(open_log(store).verifier.vkey() + "\n")


def _read_entries(files: list[str], jsonl: Path | None) -> list[bytes]:
    entries: list[bytes] = []
    for name in files:
        data = sys.stdin.buffer.read() if name == "-" else _read_file(Path(name))
        _check_size(data, name)
        entries.append(data)
    if jsonl is not None:
        text = _read_file(jsonl)
        lines = text.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, line in enumerate(lines, start=1):
            where = f"{jsonl}, line {number}"
            try:
                json.loads(line)
            except ValueError as exc:
                raise InputError(f"{where} is not JSON ({exc}); nothing was appended") from exc
            _check_size(line, where)
            entries.append(line)
    if not entries:
        raise InputError("give files to append, or --jsonl FILE")
    return entries


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"{path} does not exist; nothing was appended") from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}; nothing was appended") from exc


def _check_size(data: bytes, where: str) -> None:
    if len(data) > MAX_ENTRY_SIZE:
        raise InputError(
            f"{where} is {len(data):,} bytes; an entry may have at most {MAX_ENTRY_SIZE:,} "
            "(nothing was appended)"
        )


@app.command("append")
def append(
    files: Annotated[
        list[str] | None, typer.Argument(help="Files, one entry each ('-': stdin).")
    ] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help="Append each line as one entry.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Append entries durably and print their indexes (integrate with `treaty log checkpoint`)."""
    entries = _read_entries(files or [], jsonl)
    with store_at(db) as store:
        indexes = open_log(store).append(entries)
    sys.stdout.write("".join(f"{i}\n" for i in indexes))


@app.command("checkpoint")
def checkpoint(
    key: Annotated[Path | None, typer.Option("--key", help="The signing key file.")] = None,
    db: DbOption = None,
) -> None:
    """Integrate pending entries and print the latest signed checkpoint."""
    with store_at(db) as store:
        log = open_log(store, writable=True, key_path=key)
        sys.stdout.buffer.write(log.integrate())


@app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="The folder to write the static tree into.", file_okay=False)
    ],
    db: DbOption = None,
) -> None:
    """Write the log as a static tlog-tiles tree (checkpoint, tiles, entry bundles, vkey)."""
    directory.mkdir(parents=True, exist_ok=True)
    with store_at(db) as store:
        log = open_log(store)
        written = 0
        with Progress(console=console(), transient=True) as progress:
            task = progress.add_task("exporting", total=None)
            for path, data in export_files(log, skip=lambda p: (directory / p).is_file()):
                _write_atomically(directory / path, data)
                written += 1
                progress.advance(task)
        _write_atomically(directory / "vkey", (log.verifier.vkey() + "\n").encode())
        console().print(
            f"exported {log.origin} at {log.size()} entries to "
            f"{escape(str(directory))} ({written} files written)"
        )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("prove")
def prove(
    index: Annotated[int, typer.Argument(help="The entry's index.", min=0)],
    db: DbOption = None,
) -> None:
    """Print a C2SP tlog-proof of one entry against the latest checkpoint."""
    with store_at(db) as store:
        sys.stdout.buffer.write(open_log(store).tlog_proof(index))


@app.command("verify-proof")
def verify_proof(
    proof: Annotated[Path, typer.Argument(help="A tlog-proof file.")],
    vkey_: VkeyOption,
    entry: Annotated[Path, typer.Option("--entry", help="The entry the proof is about.")],
) -> None:
    """Check a tlog-proof offline: the checkpoint's signature and the entry's inclusion."""
    verifier = Ed25519Verifier.from_vkey(vkey_)
    parsed = parse_tlog_proof(_read_file(proof))
    checkpoint = verify_tlog_proof(parsed, entry=_read_file(entry), verifier=verifier)
    console().print(
        f"[green]verified:[/] entry {parsed.index} is in {escape(checkpoint.origin)} "
        f"at size {checkpoint.size}"
    )


@app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="An exported tree.", file_okay=False)],
    vkey_: VkeyOption,
    since: Annotated[
        Path | None,
        typer.Option("--since", help="An older checkpoint file the tree must be consistent with."),
    ] = None,
) -> None:
    """Check an exported tree completely; exit 0 only when everything holds."""
    verifier = Ed25519Verifier.from_vkey(vkey_)
    older = _read_file(since) if since is not None else None
    fetch = folder_fetcher(directory)

    with Progress(console=console(), transient=True) as progress:
        task = progress.add_task("verifying", total=None)
        report = verify_tree(
            fetch,
            verifier,
            since=older,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    checkpoint = report.checkpoint
    message = (
        f"[green]verified:[/] {escape(checkpoint.origin)} at {checkpoint.size} entries: "
        f"signature, {report.tiles} tiles and {report.bundles} entry bundles"
    )
    if report.since is not None:
        message += f"; consistent with the checkpoint of {report.since.size}"
    console().print(message)
