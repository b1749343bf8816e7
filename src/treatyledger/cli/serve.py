"""``treaty serve``: run the party's node (tiles, submissions, witness, sync) over HTTP."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from treatyledger.cli._options import DbOption
from treatyledger.cli._output import err_console
from treatyledger.storage import default_db_url
from treatyledger.storage.url import redact_url

__all__ = ["default_check_workers", "serve"]


def default_check_workers() -> int:
    """One check worker per CPU this process may use, at most 4; none on one CPU.

    A batch is cut between the workers, so that its checks take less time
    while the batch before it is committed; on one CPU they would only add
    hand-offs.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(cpus, 4) if cpus > 1 else 0


def serve(
    *,
    party: Annotated[str, typer.Option("--party", help="The party whose node this is (US, RU).")],
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", help="The port to listen on (0: any free port).", min=0, max=65535),
    ] = 8000,
    sync_interval: Annotated[
        float,
        typer.Option(
            "--sync-interval", help="Seconds between background sync rounds (0: none).", min=0
        ),
    ] = 30.0,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports", help="A folder of `treaty exercise` runs to list on the dashboard."
        ),
    ] = None,
    check_workers: Annotated[
        int | None,
        typer.Option(
            "--check-workers",
            help=(
                "Processes that check submissions beside the server (0: the server itself). "
                "Default: one per CPU, at most 4; none on one CPU."
            ),
            min=0,
            max=64,
        ),
    ] = None,
) -> None:
    """Serve the party's log, take its signed entries and witness the other parties' logs.

    The first start records the party and creates the node's witness key
    beside the log's key. Stops gracefully on Ctrl-C or SIGTERM; logs go to
    standard error.
    """
    # Imported here so that other commands start without loading the web stack.
    from treatyledger.node.node import NodeConfig  # noqa: PLC0415
    from treatyledger.node.server import serve as run_server  # noqa: PLC0415

    url = db or default_db_url()
    workers = default_check_workers() if check_workers is None else check_workers
    err_console().print(
        f"starting {escape(party)}'s node on http://{escape(host)}:{port} "
        f"({escape(redact_url(url))})"
    )
    run_server(
        NodeConfig(
            party=party,
            db_url=url,
            sync_interval=sync_interval,
            reports_dir=reports,
            check_workers=workers,
        ),
        host=host,
        port=port,
    )
