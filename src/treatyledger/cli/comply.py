"""``treaty comply``: read the parties' exported logs and report findings; re-check one offline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from treatyledger.cli._options import JsonOption, folder_fetcher
from treatyledger.cli._output import console, emit_json
from treatyledger.compliance import (
    Finding,
    check_compliance,
    findings_to_json,
    parse_findings,
    read_log,
    verifier_from_export,
    verify_finding,
)
from treatyledger.errors import FormatError, VerificationError
from treatyledger.log.cosignature import CosignatureVerifier
from treatyledger.log.note import Ed25519Verifier
from treatyledger.treaty import resolve_spec

__all__ = ["app", "print_findings"]


class _CheckByDefault(TyperGroup):
    """``treaty comply LOGDIR...`` is ``treaty comply check LOGDIR...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_CheckByDefault,
    help="Compliance findings from the parties' logs, with evidence anyone can re-check.",
    no_args_is_help=True,
)

VkeysOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vkey",
        help="Pin a log's verifier key (name+hex8+base64); repeat for each log.",
    ),
]


WitnessOption = Annotated[
    list[str] | None,
    typer.Option(
        "--witness",
        help=(
            "Trust this witness's cosignature key (name+hex8+base64) to attest times; "
            "repeat for each. Default: the witness-vkey file of every LOGDIR."
        ),
    ),
]


def _witness_key(directory: Path) -> str | None:
    """The party's own witness key, if its export carries a ``witness-vkey`` file."""
    path = directory / "witness-vkey"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(what="witness key", problem=f"cannot read {path}: {exc}") from exc
    return CosignatureVerifier.from_vkey(text).vkey()


def _pinned(vkeys: list[str] | None) -> dict[str, str] | None:
    if not vkeys:
        return None
    keys: dict[str, str] = {}
    for vkey in vkeys:
        keys[Ed25519Verifier.from_vkey(vkey).name] = vkey
    return keys


def _utc(value: str, option: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FormatError(what=option, problem=f"{value!r} is not a date or time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


@app.command("check")
def check(
    logdirs: Annotated[
        list[Path], typer.Argument(help="Exported logs (tiles trees with a vkey file).")
    ],
    *,
    treaty: Annotated[
        str, typer.Option("--treaty", help="Built-in name or TOML file.")
    ] = "new-start",
    vkeys: VkeysOption = None,
    witnesses: WitnessOption = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help="Judge as of this UTC time (YYYY-MM-DD[THH:MM:SSZ]) [default: now]."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Judge obligations due from this time [default: first entry]."
        ),
    ] = None,
    json_: JsonOption = False,
) -> None:
    """Verify every log, run every rule and list the findings (also: treaty comply LOGDIR...)."""
    spec = resolve_spec(treaty)
    pinned = _pinned(vkeys)
    own = {directory: _witness_key(directory) for directory in logdirs}
    trusted = [
        CosignatureVerifier.from_vkey(k)
        for k in (witnesses if witnesses else sorted({k for k in own.values() if k}))
    ]
    logs = []
    for directory in logdirs:
        fetch = folder_fetcher(directory)
        verifier = verifier_from_export(fetch)
        if pinned is not None:
            key = pinned.get(verifier.name)
            if key is None or Ed25519Verifier.from_vkey(key) != verifier:
                raise VerificationError(
                    f"{directory}: the log's vkey {verifier.vkey()} is not the pinned key"
                )
        mine = own[directory]
        logs.append(
            read_log(fetch, verifier, witnesses=trusted, own_witnesses=[mine] if mine else [])
        )
    now = _utc(at, "--at") if at else dt.datetime.now(dt.UTC).replace(microsecond=0)
    findings = check_compliance(
        logs, spec, now=now, since=_utc(since, "--since") if since else None
    )
    if json_:
        emit_json(findings_to_json(findings))
        return
    print_findings(findings, f"{spec.id}, as of {now:%Y-%m-%d %H:%M} UTC", len(logs))


def print_findings(findings: Sequence[Finding], context: str, logs: int) -> None:
    """The findings as a table on stdout (or a line saying there are none)."""
    out = console()
    if not findings:
        out.print(f"no findings in {logs} logs ({context})")
        return
    table = Table(title=f"Findings, {context}")
    for column in ("rule", "severity", "party", "summary", "evidence"):
        table.add_column(column, overflow="fold")
    for f in findings:
        evidence = "\n".join(f"{e.origin}#{e.index}" for e in f.evidence) or "-"
        table.add_row(
            escape(f.rule), f.severity.value, escape(f.party), escape(f.summary), escape(evidence)
        )
    out.print(table)


@app.command("verify-finding")
def verify_finding_command(
    file: Annotated[Path, typer.Argument(help='A finding, or a {"findings": [...]} document.')],
    vkeys: VkeysOption = None,
    witnesses: Annotated[
        list[str] | None,
        typer.Option(
            "--witness",
            help="Pin the witness keys an attestation may name; repeat for each.",
        ),
    ] = None,
) -> None:
    """Re-check a finding's evidence offline; exit 0 only when all of it holds."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(what="finding", problem=f"cannot read {file}: {exc}") from exc
    findings = parse_findings(text)
    if not findings:
        raise VerificationError(f"{file} holds no finding")
    pinned = _pinned(vkeys)
    out = console()
    for finding in findings:
        pinned_witnesses = (
            [CosignatureVerifier.from_vkey(w).vkey() for w in witnesses] if witnesses else None
        )
        entries = verify_finding(finding, pinned, pinned_witnesses)
        trust = "pinned keys" if pinned else "the keys the file carries (consistency only)"
        attested = sum(1 for e in finding.evidence if e.attestation is not None)
        out.print(
            f"[green]verified:[/] {escape(finding.rule)} ({finding.party}): "
            f"{len(entries)} logged entries ({attested} with witness-attested times), "
            f"checked against {trust}"
        )
