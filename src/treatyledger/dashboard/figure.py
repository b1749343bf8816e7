"""The public record's figure as inline SVG, drawn from the shipped data."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from treatyledger.record.aggregates import PublicRecord
from treatyledger.record.plot import plot_record
from treatyledger.treaty.spec import TreatySpec

__all__ = ["record_svg"]


def record_svg(spec: TreatySpec, record: PublicRecord) -> str:
    """The figure ``treaty record plot`` draws, as an SVG element to inline in a page."""
    with tempfile.TemporaryDirectory() as folder:
        out = plot_record(spec, record, Path(folder) / "record.svg")
        text = out.read_text(encoding="utf-8")
    start = text.find("<svg")
    svg = text[start:]
    # Scale with the page: keep the viewBox, drop the fixed size.
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
