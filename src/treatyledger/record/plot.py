"""A figure of the public record: each limit's series for every party, with the key events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from treatyledger.errors import InputError
from treatyledger.record.aggregates import PublicRecord
from treatyledger.treaty.events import EventKind, StatusEvent
from treatyledger.treaty.spec import TreatySpec

__all__ = ["FIGURE_FORMATS", "KeyEvent", "key_events", "plot_record"]

FIGURE_FORMATS = (".png", ".svg", ".pdf")

# Colour-blind-safe (Okabe-Ito) colours, one per party in the order parties appear.
_PARTY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")
_KEY_KINDS = {
    EventKind.PAUSE: "inspections paused",
    EventKind.EXEMPTION: "exemption",
    EventKind.SUSPENSION: "suspension",
}

KeyEvent = tuple[dt.date, str]


def key_events(spec: TreatySpec) -> list[KeyEvent]:
    """The dates marked on the figure: limits in force, pauses, exemptions, suspensions, expiry."""
    events: list[KeyEvent] = []
    for effective in sorted({lim.effective for lim in spec.limits}):
        events.append((effective, "limits in force"))
    events.extend((ev.date, _label(ev)) for ev in spec.events if ev.kind in _KEY_KINDS)
    if spec.dates.expiry is not None:
        events.append((spec.dates.expiry, "expiry"))
    return sorted(events)


def _label(event: StatusEvent) -> str:
    what = _KEY_KINDS[event.kind]
    who = " + ".join(event.by)
    agreed = ", agreed" if event.agreed else ""
    return f"{what} ({who}{agreed})"


def plot_record(spec: TreatySpec, record: PublicRecord, out: Path) -> Path:
    """Draw every limit's series for every party in ``record`` and write it to ``out``.

    Each panel shows the cap from the day it took effect (dashed before, as a
    reference only), the key events as vertical lines, and marks exchanges for
    which a party provided no data instead of plotting them as zero.
    """
    if out.suffix.lower() not in FIGURE_FORMATS:
        raise InputError(f"cannot write a figure to {out}: use one of {', '.join(FIGURE_FORMATS)}")
    if not out.parent.is_dir():
        raise InputError(f"cannot write a figure to {out}: folder {out.parent} does not exist")
    fig = Figure(figsize=(11, 3.2 * len(record.limits) + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(record.limits), 1, sharex=True, squeeze=False)[:, 0]
    first = min(r.as_of for r in record.rows)
    last = max([r.as_of for r in record.rows] + [d for d, _ in key_events(spec)])
    span = (dt.date(first.year, 1, 1), dt.date(last.year + 1, 1, 1))
    events = key_events(spec)
    for ax, limit_id in zip(axes, record.limits, strict=True):
        limit = spec.limit(limit_id)
        assert limit is not None
        for colour, party in zip(_PARTY_COLOURS, record.parties, strict=False):
            rows = record.for_party(party)
            shown = [(r.as_of, r.counts[limit_id]) for r in rows if r.counts is not None]
            missing = [r.as_of for r in rows if r.counts is None]
            ax.plot(
                [d for d, _ in shown],
                [v for _, v in shown],
                marker="o",
                markersize=3.5,
                linewidth=1.6,
                color=colour,
                label=party,
                zorder=3,
            )
            for day in missing:
                ax.axvline(day, color=colour, linestyle=":", linewidth=1.2)
                ax.annotate(
                    f"{party}: no data",
                    (day, 0.03),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    fontsize=7.5,
                    color=colour,
                    ha="right",
                    va="bottom",
                )
            cap = limit.cap_for(party)
            ax.hlines(
                cap, span[0], limit.effective, colors="grey", linestyles=(0, (2, 3)), linewidth=1
            )
            ax.hlines(
                cap,
                limit.effective,
                spec.dates.expiry or span[1],
                colors="black",
                linewidth=1.4,
                zorder=2,
            )
        caps = sorted({limit.cap_for(p) for p in record.parties})
        ax.annotate(
            f"limit {', '.join(f'{c:,}' for c in caps)}",
            (limit.effective, caps[-1]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
        )
        for day, _label_text in events:
            ax.axvline(day, color="#777777", linewidth=0.8, alpha=0.6)
        ax.set_title(limit.name, fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0.3)
        ax.set_xlim(span)
    top = axes[0]
    for i, (day, text) in enumerate(events):
        top.annotate(
            text,
            (day, 1.0),
            xycoords=("data", "axes fraction"),
            rotation=35,
            fontsize=7.5,
            ha="left",
            va="bottom",
            xytext=(2, 2 + 8 * (i % 2)),
            textcoords="offset points",
        )
    axes[0].legend(loc="upper right", fontsize=8, ncols=len(record.parties))
    fig.suptitle(
        f"{spec.name.split(' (')[0]}: published aggregate figures per data exchange",
        fontsize=12,
        x=0.01,
        ha="left",
    )
    fig.supxlabel(
        f"Source: {record.source} shipped with treatyledger (sources per row). "
        "Dashed: the cap before it took effect. Dotted: no data provided.",
        fontsize=7.5,
        color="#444444",
    )
    fig.savefig(out, dpi=150)
    return out
