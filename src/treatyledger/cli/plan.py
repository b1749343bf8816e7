"""``treaty plan``: sampling plans, detection, allocation, quotas, curves, verifiable draws."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from treatyledger.assurance import (
    Cheat,
    DetectionPlan,
    DeterrencePlan,
    QuotaRegime,
    allocate_detection,
    allocate_deterrence,
    check_draws,
    commitment_entry,
    detect,
    find_commitment,
    fix_draw,
    load_sites_csv,
    parse_cheat,
    quota_curve,
    quota_regime,
    quota_report,
    reveal_entry,
    sample_size,
    simulate_quota,
)
from treatyledger.assurance.draw import parse_hex32
from treatyledger.assurance.draw_record import (
    DrawRecord,
    acknowledgment_entries,
    read_live_log,
)
from treatyledger.assurance.inputs import PlanInputError
from treatyledger.assurance.montecarlo import MonteCarloEstimate
from treatyledger.assurance.regime import inspection_type_for
from treatyledger.cli._options import DbOption, JsonOption, folder_fetcher, store_at
from treatyledger.cli._output import console, emit_json, err_console
from treatyledger.compliance import LoggedLog, read_log, verifier_from_export
from treatyledger.declarations import load_signer, recorded_party, recorded_treaty
from treatyledger.errors import InputError, VerificationError
from treatyledger.escrow.inventory_csv import load_inventory
from treatyledger.ledger import Entry, sign_entry
from treatyledger.log.note import Ed25519Verifier
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.logs import open_log, write_secret_file
from treatyledger.storage.protocols import Store
from treatyledger.treaty import TreatySpec, resolve_spec

__all__ = ["app"]

app = typer.Typer(
    help="Statistical assurance: sample sizes, detection, allocation, quotas, random draws.",
    no_args_is_help=True,
)


class Objective(enum.StrEnum):
    """What ``plan allocate`` optimises."""

    detection = "detection"
    deterrence = "deterrence"


TreatyOption = Annotated[str, typer.Option("--treaty", help="Built-in name or TOML file.")]
RecognitionOption = Annotated[
    float,
    typer.Option("--recognition", help="Probability that an inspected defect is recognised."),
]
InventoryOption = Annotated[Path, typer.Option("--inventory", help="The items CSV file.")]
FacilitiesOption = Annotated[Path, typer.Option("--facilities", help="The facilities CSV file.")]
PartyOption = Annotated[
    str | None,
    typer.Option("--party", help="The inventory's party (default: the treaty's first party)."),
]
TypeOption = Annotated[
    str | None,
    typer.Option(
        "--inspection-type",
        help="Inspection type (default: the first that counts reentry vehicles).",
    ),
]
NodePartyOption = Annotated[
    str | None,
    typer.Option("--party", help="The party whose node this is (default: the imported one)."),
]
KeyOption = Annotated[
    Path | None, typer.Option("--key", help="The log's signing key file (default: recorded).")
]
VkeysOption = Annotated[
    list[str] | None,
    typer.Option("--vkey", help="Pin a log's verifier key (name+hex8+base64); repeat per log."),
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _pairs(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    return _grid(title, ("what", "value"), rows, header=False)


def _grid(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, header: bool = True
) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_header=header)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*map(escape, row))
    return table


# -- one stratum ---------------------------------------------------------------------------


@app.command("sample-size")
def sample_size_command(
    population: Annotated[int, typer.Option("--population", help="Items in the population (N).")],
    defects: Annotated[int, typer.Option("--defects", help="Defects to detect (M).")],
    non_detection: Annotated[
        float, typer.Option("--non-detection", help="Non-detection target beta, in (0, 1).")
    ],
    json_: JsonOption = False,
) -> None:
    """The smallest sample whose exact non-detection is at most the target, and the IAEA size."""
    result = sample_size(population, defects, non_detection)
    if json_:
        emit_json(result.to_json())
        return
    console().print(
        _pairs(
            f"Attribute sampling: {population:,} items, {defects:,} defects",
            [
                ("non-detection target", f"{result.non_detection_target:g}"),
                ("exact sample size n (hypergeometric)", f"{result.n:,}"),
                ("IAEA approximation", f"{result.n_iaea:,}"),
                ("achieved non-detection", f"{result.achieved_non_detection:.6g}"),
            ],
        )
    )


@app.command("detect")
def detect_command(
    population: Annotated[int, typer.Option("--population", help="Items in the population (N).")],
    defects: Annotated[int, typer.Option("--defects", help="Defects among them (M).")],
    sample: Annotated[int, typer.Option("--sample", help="Items sampled (n).")],
    recognition: RecognitionOption = 1.0,
    json_: JsonOption = False,
) -> None:
    """The probability that one sample reveals at least one defect (exact hypergeometric)."""
    result = detect(population, defects, sample, recognition)
    if json_:
        emit_json(result.to_json())
        return
    model = "every sampled defect recognised"
    if recognition < 1:
        model = f"each sampled defect recognised with probability {recognition:g}"
    console().print(
        _pairs(
            f"Sample of {sample:,} from {population:,} items with {defects:,} defects",
            [
                ("model", f"hypergeometric, {model}"),
                ("detection probability", f"{result.detection_probability:.6g}"),
                ("non-detection", f"{result.non_detection:.6g}"),
            ],
        )
    )


# -- several sites -------------------------------------------------------------------------


@app.command("allocate")
def allocate(
    sites: Annotated[
        Path,
        typer.Option("--sites", help="CSV: id, items, value, non_detection[, gain, sanction]."),
    ],
    inspections: Annotated[int, typer.Option("--inspections", help="Inspections to spread (K).")],
    objective: Annotated[
        Objective, typer.Option("--objective", help="Worst-case detection or deterrence.")
    ] = Objective.detection,
    margin: Annotated[
        float,
        typer.Option("--margin", help="Deterrence: detection margin above each threshold."),
    ] = 0.0,
    json_: JsonOption = False,
) -> None:
    """Inspection probabilities per site: zero-sum water-filling, or deterrence with a budget."""
    listed = load_sites_csv(sites)
    if objective is Objective.detection:
        plan: DetectionPlan | DeterrencePlan = allocate_detection(listed, inspections)
        keys: tuple[str, ...] = ("id", "value", "non_detection", "probability", "detection")
        keys += ("expected_gain",)
    else:
        plan = allocate_deterrence(listed, inspections, margin=margin)
        keys = ("id", "threshold", "needed", "probability", "deterred")
    doc = plan.to_json()
    if json_:
        emit_json(doc)
        return
    out = console()
    rows = [[_cell(site[key]) for key in keys] for site in doc["sites"]]
    out.print(_grid(f"{inspections} inspections, {objective.value}", keys, rows))
    if isinstance(plan, DetectionPlan):
        out.print(
            f"game value {plan.value:.6g} (the cheater's best expected undetected gain); "
            f"guaranteed detection {plan.guaranteed_detection:.4f}; unused {plan.unused:.4g}"
        )
        return
    budget = "impossible" if plan.budget is None else f"{plan.budget:.4f}"
    out.print(
        f"full deterrence needs {budget} inspections ({plan.deterrable_budget:.4f} for the "
        f"sites that can be deterred); {len(plan.deterred)} of {len(plan.shares)} sites "
        f"deterred with {inspections}"
    )


# -- a treaty's quota ----------------------------------------------------------------------


def _regime(
    treaty: str, party: str | None, inventory: Path, facilities: Path, type_id: str | None
) -> QuotaRegime:
    spec = resolve_spec(treaty)
    owner = party or spec.parties[0].id
    return quota_regime(
        spec, load_inventory(spec, owner, inventory, facilities), inspection_type=type_id
    )


def _simulate(
    regime: QuotaRegime, cheat: Cheat, *, replications: int, seed: int, inspections: int, q: float
) -> MonteCarloEstimate:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
    ) as progress:
        task = progress.add_task("simulating years", total=replications)
        return simulate_quota(
            regime,
            cheat,
            replications=replications,
            seed=seed,
            inspections=inspections,
            recognition=q,
            progress=lambda done: progress.advance(task, done),
        )


@app.command("quota")
def quota(
    *,
    inventory: InventoryOption,
    facilities: FacilitiesOption,
    cheat: Annotated[
        str,
        typer.Option(
            "--cheat", help="undeclared:N@SITE, warheads:W@SITE or warheads:W, joined by '+'."
        ),
    ],
    treaty: TreatyOption = "new-start",
    party: PartyOption = None,
    inspection_type: TypeOption = None,
    inspections: Annotated[
        int | None, typer.Option("--inspections", help="Inspections a year (default: the quota).")
    ] = None,
    recognition: RecognitionOption = 1.0,
    monte_carlo: Annotated[
        int | None,
        typer.Option("--monte-carlo", help="Also simulate R years and give the rate's interval."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Monte Carlo seed (default: a random one).")
    ] = None,
    json_: JsonOption = False,
) -> None:
    """The probability that a year of quota inspections catches a cheat: exact, and simulated."""
    regime = _regime(treaty, party, inventory, facilities, inspection_type)
    parsed = parse_cheat(cheat, regime)
    report = quota_report(regime, parsed, inspections=inspections, recognition=recognition)
    estimate = None
    if monte_carlo is not None:
        estimate = _simulate(
            regime,
            parsed,
            replications=monte_carlo,
            seed=secrets.randbelow(2**63) if seed is None else seed,
            inspections=report.inspections,
            q=recognition,
        )
    if json_:
        emit_json({**report.to_json(), "monte_carlo": estimate and estimate.to_json()})
        return
    cap = regime.per_site_cap
    rows = [
        ("sites (missiles)", ", ".join(f"{s.id} ({s.missiles})" for s in regime.sites)),
        ("inspections a year", f"{report.inspections} (quota {regime.quota})"),
        ("per-site cap", "none" if cap is None else str(cap)),
        ("recognition", f"{recognition:g}"),
        ("detection probability (exact)", f"{1.0 - report.non_detection:.6f}"),
    ]
    if estimate is not None:
        low, high = estimate.interval
        rows.append(
            (
                f"Monte Carlo, {estimate.replications:,} years (seed {estimate.seed})",
                f"{estimate.rate:.6f} [{low:.6f}, {high:.6f}] 95%",
            )
        )
    console().print(
        _pairs(f"{regime.treaty}: {regime.inspection_name} against {parsed.text}", rows)
    )


@app.command("curve")
def curve(
    *,
    inventory: InventoryOption,
    facilities: FacilitiesOption,
    cheats: Annotated[
        list[str], typer.Option("--cheat", help="A cheat as in `plan quota`; repeat for more.")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the figure (.png, .svg, .pdf).")
    ],
    treaty: TreatyOption = "new-start",
    party: PartyOption = None,
    inspection_type: TypeOption = None,
    max_inspections: Annotated[
        int | None,
        typer.Option(
            "--max-inspections", help="Last point (default: all the per-site cap allows)."
        ),
    ] = None,
    recognition: RecognitionOption = 1.0,
    json_: JsonOption = False,
) -> None:
    """Draw detection against inspections a year for several cheats, with the quota marked."""
    # matplotlib loads only when drawing, so other commands start fast.
    from treatyledger.assurance.figure import plot_curve  # noqa: PLC0415

    regime = _regime(treaty, party, inventory, facilities, inspection_type)
    data = quota_curve(
        regime,
        [parse_cheat(text, regime) for text in cheats],
        max_inspections=max_inspections,
        recognition=recognition,
    )
    written = plot_curve(data, out)
    if json_:
        emit_json({**data.to_json(), "figure": str(written)})
        return
    console().print(f"wrote {escape(str(written))}")


# -- verifiable random draws -----------------------------------------------------------------


def _folder(directory: Path, pinned: list[str] | None) -> LoggedLog:
    fetch = folder_fetcher(directory)
    verifier = verifier_from_export(fetch)
    if pinned:
        keys = {Ed25519Verifier.from_vkey(v).name: Ed25519Verifier.from_vkey(v) for v in pinned}
        if keys.get(verifier.name) != verifier:
            raise VerificationError(
                f"{directory}: the log's vkey {verifier.vkey()} is not a pinned key"
            )
    return read_log(fetch, verifier)


def _read_seed(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the seed file {path}: {exc}") from exc
    return parse_hex32(text, f"seed file {path}")


def _write_seed(path: Path, seed: bytes) -> None:
    write_secret_file(path, seed.hex(), what="the seed file")


def _node(
    store: Store, party: str | None, key: Path | None
) -> tuple[Callable[[list[Entry]], list[int]], TransparencyLog, TreatySpec, str]:
    """What a draw command on a node needs: an appender, the log, the treaty, the party."""
    party_id = recorded_party(store, party)
    spec = resolve_spec(recorded_treaty(store, None))
    signer = load_signer(store, key)
    log = open_log(store, writable=True, key_path=key)

    def append(entries: list[Entry]) -> list[int]:
        return log.append_and_integrate([sign_entry(e, signer) for e in entries])[0]

    return append, log, spec, party_id


@app.command("draw-commit")
def draw_commit(
    *,
    inspected_party: Annotated[
        str, typer.Option("--inspected-party", help="The party whose sites are drawn.")
    ],
    quota_year: Annotated[
        str, typer.Option("--quota-year", help="The quota year's first day, YYYY-MM-DD.")
    ],
    seed_out: Annotated[
        Path, typer.Option("--seed-out", help="New file for the secret seed (mode 0600).")
    ],
    inspection_type: TypeOption = None,
    size: Annotated[
        int | None, typer.Option("--size", help="Designations to draw (default: the quota).")
    ] = None,
    party: NodePartyOption = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Commit to a fresh secret seed: its SHA-256 goes into this party's log, the seed to a file."""
    try:
        year = dt.date.fromisoformat(quota_year)
    except ValueError as exc:
        raise PlanInputError("quota year", f"{quota_year!r} is not a date YYYY-MM-DD") from exc
    with store_at(db) as store:
        append, _, spec, sender = _node(store, party, key)
        chosen = inspection_type_for(spec, inspection_type)
        seed = secrets.token_bytes(32)
        entry = commitment_entry(
            spec,
            sender=sender,
            seed=seed,
            inspected_party=inspected_party,
            inspection_type=chosen.id,
            quota_year=year,
            size=chosen.annual_quota if size is None else size,
            time=_now(),
        )
        _write_seed(seed_out, seed)
        (index,) = append([entry])
    console().print(
        f"committed to the draw of {entry.payload['size']} {chosen.name} designations of "
        f"{inspected_party} in the quota year from {year}: entry {index}, "
        f"seed SHA-256 {entry.payload['seed_sha256']}; keep {escape(str(seed_out))} secret"
    )


@app.command("draw-acknowledge")
def draw_acknowledge(
    inspecting: Annotated[Path, typer.Argument(help="The inspecting party's exported log.")],
    vkeys: VkeysOption = None,
    party: NodePartyOption = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Acknowledge, in this party's log, every draw commitment about it not acknowledged yet."""
    other = _folder(inspecting, vkeys)
    with store_at(db) as store:
        append, log, spec, me = _node(store, party, key)
        entries = acknowledgment_entries(spec, read_live_log(log), other, sender=me, time=_now())
        if entries:
            append(entries)
    console().print(f"acknowledged {len(entries)} new draw commitments of {escape(other.origin)}")


@app.command("draw-reveal")
def draw_reveal(
    inspected: Annotated[Path, typer.Argument(help="The inspected party's exported log.")],
    *,
    seed_file: Annotated[
        Path, typer.Option("--seed-file", help="The seed file of the commitment.")
    ],
    vkeys: VkeysOption = None,
    party: NodePartyOption = None,
    key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Reveal the seed in this party's log once the year's inspections are over."""
    seed = _read_seed(seed_file)
    other = _folder(inspected, vkeys)
    with store_at(db) as store:
        append, log, spec, me = _node(store, party, key)
        own = read_live_log(log)
        record = fix_draw(spec, own, other, find_commitment(own, seed), seed)
        entry = reveal_entry(
            spec,
            sender=me,
            seed=seed,
            commitment=record.commitment,
            declaration=record.declaration,
            time=_now(),
        )
        (index,) = append([entry])
    console().print(f"revealed the seed at entry {index}")
    _print_draw(record)


def _print_draw(record: DrawRecord) -> None:
    p = record.purpose
    out = console()
    out.print(
        f"{p.treaty}: {record.inspecting_party} draws {p.size} {p.inspection_type} designations "
        f"of {p.inspected_party}, quota year from {p.quota_year}, at most {p.cap} per site"
    )
    out.print(f"fixed by {escape(p.origin)} at size {p.tree_size}, root {p.root_hash.hex()}")
    for number, site in enumerate(record.designations, start=1):
        out.print(f"  {number:>3}. {escape(site)}")


@app.command("draw")
def draw(
    inspecting: Annotated[Path, typer.Argument(help="The inspecting party's exported log.")],
    inspected: Annotated[Path, typer.Argument(help="The inspected party's exported log.")],
    *,
    seed_file: Annotated[
        Path | None,
        typer.Option("--seed-file", help="Compute from this seed file (before it is revealed)."),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Check every revealed draw and the sites designated."),
    ] = False,
    treaty: TreatyOption = "new-start",
    vkeys: VkeysOption = None,
    json_: JsonOption = False,
) -> None:
    """Recompute the draw from the two logs; with --verify, exit 1 unless every check holds."""
    if seed_file is not None and verify:
        raise InputError("--verify checks the revealed seeds; leave out --seed-file")
    spec = resolve_spec(treaty)
    first, second = _folder(inspecting, vkeys), _folder(inspected, vkeys)
    if seed_file is not None:
        seed = _read_seed(seed_file)
        record = fix_draw(spec, first, second, find_commitment(first, seed), seed)
        if json_:
            emit_json(record.to_json())
        else:
            _print_draw(record)
        return
    checks = check_draws(spec, first, second)
    if json_:
        emit_json({"draws": [c.to_json() for c in checks]})
    else:
        out = console()
        for check in checks:
            if check.record is not None:
                _print_draw(check.record)
                out.print(f"  {len(check.logged)} designations logged so far")
            for problem in check.problems:
                out.print(f"[red]problem:[/] {escape(problem)}")
    failed = [c for c in checks if not c.holds]
    if verify and failed:
        raise VerificationError(
            f"{len(failed)} of {len(checks)} draws do not hold: "
            + "; ".join(p for c in failed for p in c.problems)
        )
    if verify and not json_:
        console().print(f"[green]verified:[/] {len(checks)} draws, every designation as drawn")
