"""The figure of a quota curve: detection probability against inspections a year."""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from treatyledger.assurance.inputs import PlanInputError
from treatyledger.assurance.quota import QuotaCurve

__all__ = ["FIGURE_FORMATS", "plot_curve"]

FIGURE_FORMATS = (".png", ".svg", ".pdf")
# Colour-blind-safe (Okabe-Ito), one per cheat.
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")


def plot_curve(curve: QuotaCurve, out: Path) -> Path:
    """Draw one line per cheat, mark the treaty's quota, and write the figure to ``out``."""
    if out.suffix.lower() not in FIGURE_FORMATS:
        raise PlanInputError(
            "out", f"cannot write a figure to {out}: use one of {', '.join(FIGURE_FORMATS)}"
        )
    if not out.parent.is_dir():
        raise PlanInputError(
            "out", f"cannot write a figure to {out}: folder {out.parent} does not exist"
        )
    regime = curve.regime
    fig = Figure(figsize=(9, 5.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for i, (cheat, series) in enumerate(zip(curve.cheats, curve.detection, strict=True)):
        ax.plot(
            curve.inspections,
            series,
            marker="o",
            markersize=3.5,
            linewidth=1.6,
            color=_COLOURS[i % len(_COLOURS)],
            label=cheat.text,
        )
    quota = regime.quota
    if quota <= curve.inspections[-1]:
        ax.axvline(quota, color="black", linestyle="--", linewidth=1.2)
        ax.annotate(
            f"{regime.inspection_name} quota: {quota} a year",
            (quota, 0.02),
            xycoords=("data", "axes fraction"),
            rotation=90,
            fontsize=8,
            ha="right",
            va="bottom",
            xytext=(-3, 0),
            textcoords="offset points",
        )
    ax.set_xlim(0, curve.inspections[-1])
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(f"{regime.inspection_name} inspections a year")
    ax.set_ylabel("probability of detecting the cheat (exact)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8, title="cheat", title_fontsize=8)
    cap = "no limit" if regime.per_site_cap is None else f"at most {regime.per_site_cap}"
    fig.suptitle(
        f"{regime.treaty}: a year of {regime.inspection_name} inspections of {regime.party}'s "
        f"{len(regime.sites)} sites",
        fontsize=11,
        x=0.01,
        ha="left",
    )
    fig.supxlabel(
        f"Sites drawn at random without replacement, {cap} per site and year; one missile's "
        f"reentry vehicles counted per inspection; recognition probability {curve.recognition:g}.",
        fontsize=7.5,
        color="#444444",
    )
    fig.savefig(out, dpi=150)
    return out
