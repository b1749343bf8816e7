"""Benchmark: a full New START `clean` treaty year through real nodes, against the 60 s target.

Runs ``treaty exercise`` end to end (as the command does: one node per party
on loopback, SQLite files in a fresh folder, real HTTP and witnessing, the
report written) and, in the same run, the same year through the in-memory
transport (no HTTP, no database), so the cost of the nodes shows as a ratio.

    python3 bench/bench_exercise.py [--runs N] [--seed S]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from treatyledger.cli.app import app
from treatyledger.exercise import run_exercise, scenario
from treatyledger.exercise.transport import MemoryTransport
from treatyledger.treaty import load_builtin

TARGET_SECONDS = 60.0


def _nodes(seed: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        start = time.perf_counter()
        result = CliRunner().invoke(app, ["exercise", "--out", str(out), "--seed", str(seed)])
        elapsed = time.perf_counter() - start
        if result.exit_code != 0:
            raise SystemExit(f"treaty exercise failed:\n{result.output}")
        entries = sum(
            int((out / "logs" / p / "checkpoint").read_text().splitlines()[1]) for p in ("US", "RU")
        )
    return elapsed, entries


def _memory(seed: int) -> float:
    spec = load_builtin("new-start")
    start = time.perf_counter()
    run_exercise(spec, scenario("clean"), seed, lambda signers, _: MemoryTransport(signers))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    nodes, memory = [], []
    entries = 0
    for n in range(args.runs):
        seconds, entries = _nodes(args.seed + n)
        nodes.append(seconds)
        memory.append(_memory(args.seed + n))
        print(
            f"run {n + 1}: nodes {seconds:6.1f} s   in memory {memory[-1]:5.1f} s   "
            f"({entries} entries)"
        )
    best, median = min(nodes), statistics.median(nodes)
    print(
        f"treaty exercise (new-start, clean), through nodes: best {best:.1f} s, "
        f"median {median:.1f} s"
    )
    print(
        f"  same year in memory (peer): best {min(memory):.1f} s; nodes / memory = "
        f"{best / min(memory):.1f}x"
    )
    verdict = "met" if median < TARGET_SECONDS else "NOT met"
    print(
        f"  target: under {TARGET_SECONDS:.0f} s -> {verdict} "
        f"(median / target = {median / TARGET_SECONDS:.2f})"
    )


if __name__ == "__main__":
    main()
