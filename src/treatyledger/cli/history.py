"""``treaty history``: the documented 2020-2023 record replayed as the parties' logs, judged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from treatyledger.cli._options import JsonOption
from treatyledger.cli._output import console, emit_json, err_console
from treatyledger.cli.comply import print_findings
from treatyledger.compliance import findings_to_json
from treatyledger.errors import InputError
from treatyledger.history import JUDGED_AT, REVIEW_FROM, History, replay_history
from treatyledger.treaty import resolve_spec

__all__ = ["history"]


def _write(history: History, out: Path) -> None:
    """``logs/<PARTY>/`` (tiles export with vkey) and ``findings.json`` under ``out``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for party, files in history.files.items():
            base = out / "logs" / party
            for path, data in files.items():
                target = base / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        (out / "findings.json").write_text(_document(history_json(history)), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the history to {out}: {exc}") from exc


def _document(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def history_json(history: History) -> dict[str, Any]:
    """``{"treaty", "since", "as_of", "parties": [...], "findings": [...]}``."""
    return {
        "treaty": history.spec.id,
        "since": f"{REVIEW_FROM:%Y-%m-%dT%H:%M:%SZ}",
        "as_of": f"{JUDGED_AT:%Y-%m-%dT%H:%M:%SZ}",
        "parties": [
            {
                "id": party,
                "origin": log.origin,
                "vkey": log.vkey,
                "entries": log.size,
            }
            for party, log in history.logs.items()
        ],
        **findings_to_json(history.findings),
    }


def history(
    treaty: Annotated[
        str, typer.Option("--treaty", help="The treaty whose record to replay.")
    ] = "new-start",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write logs/<PARTY>/ (tiles exports with vkey) and findings.json here.",
            file_okay=False,
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Replay the documented 2020-2023 record as the parties' logs and judge them."""
    spec = resolve_spec(treaty)
    if spec.id != "new-start":
        raise InputError(f"only New START has a documented history; {spec.id!r} has none")
    with err_console().status("replaying 2020-2023 and judging the logs"):
        replayed = replay_history(spec)
    if out is not None:
        _write(replayed, out)
        err_console().print(
            f"wrote {len(replayed.files)} logs and findings.json to {out}; "
            f"re-check with: treaty comply {out}/logs/* --at {JUDGED_AT:%Y-%m-%dT%H:%M:%SZ} "
            f"--since {REVIEW_FROM:%Y-%m-%d}"
        )
    if json_:
        emit_json(history_json(replayed))
        return
    sizes = ", ".join(f"{p} {log.size} entries" for p, log in replayed.logs.items())
    console().print(
        f"New START, {REVIEW_FROM:%Y-%m-%d} to {JUDGED_AT:%Y-%m-%d}: {sizes}; "
        "demonstration keys, times as the senders stated them."
    )
    print_findings(replayed.findings, f"{spec.id}, as of {JUDGED_AT:%Y-%m-%d}", len(replayed.logs))
