"""An acknowledged entry is never lost: `treaty serve` killed with SIGKILL in a storm of
submissions comes back with every acknowledged entry at its index, and every checkpoint it
served before is consistent with the one it serves after."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from nodeworld import PartyDb, child_processes, process_ended, signed_item

from treatyledger.cli.serve import default_check_workers
from treatyledger.log.checkpoint import open_checkpoint
from treatyledger.log.merkle import verify_consistency
from treatyledger.log.verify_tree import verify_tree
from treatyledger.logs import open_log
from treatyledger.storage import open_store

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
_RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def treaty_serve(db: PartyDb, log_file: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`treaty serve` in a child process on a free loopback port; its URL once it listens."""
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "treatyledger",
                "serve",
                "--party",
                db.party,
                "--db",
                db.url,
                "--port",
                "0",
                "--sync-interval",
                "0",
            ],
            stdout=log,
            stderr=log,
            cwd=db.folder,  # where a PostgreSQL node's witness key file goes
        )
    try:
        deadline = time.monotonic() + 60
        while (found := _RUNNING.search(log_file.read_text(errors="replace"))) is None:
            assert process.poll() is None, log_file.read_text(errors="replace")
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.05)
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_acknowledged_entries_survive_sigkill_during_a_storm(
    party_dbs: Callable[[str], PartyDb], tmp_path: Path
) -> None:
    us = party_dbs("US")
    acknowledged: dict[int, bytes] = {}
    checkpoints: list[bytes] = []
    guard = threading.Lock()
    stop = threading.Event()

    def submitter(url: str, worker: int) -> None:
        with httpx.Client(timeout=30) as client:
            n = worker * 1_000_000
            while not stop.is_set():
                note = signed_item(us, n)
                n += 1
                try:
                    answer = client.post(f"{url}/api/v1/entries", content=note, headers=TEXT)
                except httpx.HTTPError:
                    return  # the node is gone
                assert answer.status_code == 201, answer.text
                with guard:
                    acknowledged[answer.json()["index"]] = note

    def watcher(url: str) -> None:
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                try:
                    checkpoints.append(client.get(f"{url}/log/checkpoint").content)
                except httpx.HTTPError:
                    return
                time.sleep(0.02)

    with treaty_serve(us, tmp_path / "first.log") as (process, url):
        threads = [threading.Thread(target=submitter, args=(url, w)) for w in range(8)]
        threads.append(threading.Thread(target=watcher, args=(url,)))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = child_processes(process.pid)
        if default_check_workers():  # (none on one CPU)
            assert workers, "treaty serve checks submissions in worker processes"
        os.kill(process.pid, signal.SIGKILL)  # in the middle of the storm
        process.wait(timeout=30)
        assert all(process_ended(pid) for pid in workers), "a check worker outlived its node"
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert len(acknowledged) >= 300

    with treaty_serve(us, tmp_path / "second.log") as (_, url), httpx.Client(timeout=30) as client:
        for index, note in sorted(acknowledged.items()):
            again = client.post(f"{url}/api/v1/entries", content=note, headers=TEXT)
            assert (again.status_code, again.json()["index"]) == (200, index)
        latest = client.get(f"{url}/log/checkpoint").content

        def fetch(path: str) -> bytes:
            answer = client.get(f"{url}/log/{path}")
            if answer.status_code == 404:
                raise FileNotFoundError(path)
            return answer.content

        verifier = us.signer.verifier()
        report = verify_tree(fetch, verifier, since=checkpoints[-1])
    assert report.checkpoint.size >= max(acknowledged) + 1
    with open_store(us.url) as store:
        log = open_log(store)
        stored = log.entries(0, max(acknowledged) + 1)
        for index, note in acknowledged.items():
            assert stored[index] == note
        new = open_checkpoint(latest, verifier)
        for seen in {*checkpoints}:
            old = open_checkpoint(seen, verifier)
            verify_consistency(
                old_size=old.size,
                new_size=new.size,
                old_root=old.root_hash,
                new_root=new.root_hash,
                proof=log.consistency_proof(old.size, new.size),
            )
