"""The record figure: written, readable as an image, and refused for bad destinations."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest

from treatyledger.errors import InputError
from treatyledger.record import load_record
from treatyledger.record.plot import key_events, plot_record
from treatyledger.treaty import TreatySpec


def test_key_events_come_from_the_specification(new_start: TreatySpec) -> None:
    labels = dict(key_events(new_start))
    assert [str(d) for d, _ in key_events(new_start)] == [
        "2018-02-05",
        "2020-03-01",
        "2022-08-08",
        "2023-02-21",
        "2026-02-05",
    ]
    assert "agreed" in next(v for k, v in labels.items() if str(k) == "2020-03-01")
    assert "RU" in next(v for k, v in labels.items() if str(k) == "2023-02-21")


def test_plot_writes_a_png(new_start: TreatySpec, tmp_path: Path) -> None:
    out = plot_record(new_start, load_record(new_start), tmp_path / "record.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = matplotlib.image.imread(out)
    height, width = pixels.shape[:2]
    assert width >= 1200
    assert height >= 1200
    # Not a blank canvas: the series and limits put many distinct colours on it.
    assert len({tuple(p) for p in pixels[::7, ::7].reshape(-1, pixels.shape[2])}) > 20


@pytest.mark.parametrize(
    ("name", "problem"),
    [("record.gif", "use one of"), ("missing/record.png", "does not exist")],
    ids=["unsupported-format", "missing-folder"],
)
def test_plot_refuses_bad_destinations(
    new_start: TreatySpec, tmp_path: Path, name: str, problem: str
) -> None:
    with pytest.raises(InputError, match=problem):
        plot_record(new_start, load_record(new_start), tmp_path / name)
    assert list(tmp_path.iterdir()) == []
