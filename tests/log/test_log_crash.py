"""SIGKILL in the middle of appending: nothing acknowledged is lost, no checkpoint contradicts."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.merkle import verify_consistency
from treatyledger.log.note import Signer
from treatyledger.log.transparency_log import TransparencyLog
from treatyledger.storage import open_store

WRITER = Path(__file__).with_name("crash_writer.py")


def _run_and_kill(url: str, key: str, seed: int) -> list[str]:
    """Start the writer, let it work for a random while, SIGKILL it; return what it printed."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), url, key, str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    lines: list[str] = []
    wanted = random.Random(seed).randrange(20, 60)
    deadline = time.monotonic() + 60
    while len(lines) < wanted and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
    time.sleep(random.Random(seed).uniform(0, 0.05))  # kill mid-write, not between lines
    os.kill(child.pid, signal.SIGKILL)
    rest, err = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL, err
    lines.extend(line for line in rest.splitlines() if line)
    assert len(lines) >= 20, f"the writer did too little before the kill: {err}"
    return lines


def _check_after_crash(url: str, signer: Signer, lines: list[str]) -> None:
    store = open_store(url)
    try:
        log = TransparencyLog(
            store=store, origin=signer.name, verifier=signer.verifier(), signer=signer
        )
        for line in lines:
            if not line.startswith("A "):
                continue
            _, first, count, digest = line.split()
            entries = log.entries(int(first), int(first) + int(count))
            h = hashlib.sha256()
            for e in entries:
                h.update(len(e).to_bytes(4, "big") + e)
            assert h.hexdigest() == digest, f"acknowledged entries at {first} changed"
        final = open_checkpoint(log.integrate(), signer.verifier())
        seen = [base64.b64decode(line[2:]) for line in lines if line.startswith("C ")]
        assert seen, "the writer signed no checkpoint before the kill"
        for signed in seen + [cp for _, cp in store.checkpoint_history()]:
            older = open_checkpoint(signed, signer.verifier())
            verify_consistency(
                old_size=older.size,
                new_size=final.size,
                old_root=older.root_hash,
                new_root=final.root_hash,
                proof=log.consistency_proof(older.size, final.size),
            )
        acknowledged = max(
            int(line.split()[1]) + int(line.split()[2]) for line in lines if line[0] == "A"
        )
        assert final.size >= acknowledged
    finally:
        store.close()


def _crash_twice(url: str) -> None:
    signer = Signer.generate("crash.example/log")
    store = open_store(url)
    TransparencyLog(
        store=store, origin=signer.name, verifier=signer.verifier(), signer=signer
    ).integrate()
    store.close()
    for seed in (1, 2):
        lines = _run_and_kill(url, signer.key_string(), seed)
        _check_after_crash(url, signer, lines)


def test_sigkill_during_appends_on_sqlite(tmp_path: Path) -> None:
    _crash_twice(f"sqlite:///{tmp_path / 'crash.db'}")


def test_sigkill_during_appends_on_postgres(fresh_postgres_url: str) -> None:
    _crash_twice(fresh_postgres_url)
