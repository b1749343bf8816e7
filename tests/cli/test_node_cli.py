"""``treaty serve``, ``party``, ``submit`` and ``sync`` through the command line, end to end:
two nodes in child processes on loopback, commands run against them."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from treatyledger.cli import app
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory_csv import facilities_to_csv, items_to_csv
from treatyledger.log.tiles import decode_bundle
from treatyledger.treaty import TreatySpec

runner = CliRunner()
_RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")

ENTRY = {
    "type": "new_item",
    "v": 1,
    "treaty": "new-start",
    "sender": "US",
    "time": "2020-10-02T09:00:00Z",
    "payload": {
        "uid": "US-MM3-0451",
        "kind": "icbm",
        "type": "minuteman_iii",
        "status": "non_deployed",
        "facility": "vandenberg",
        "occurred_at": "2020-09-29T15:00:00Z",
    },
    "refs": [],
}


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def init(tmp_path: Path, party: str) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / party.lower()}.db"
    key = tmp_path / f"{party.lower()}.key"
    result = run(
        "log",
        "init",
        "--origin",
        f"example.org/{party.lower()}/log",
        "--key",
        str(key),
        "--db",
        url,
    )
    assert result.exit_code == 0, result.output
    return url, key


@contextmanager
def serving(url: str, party: str, log_file: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "treatyledger",
                "serve",
                "--party",
                party,
                "--db",
                url,
                "--port",
                "0",
                "--sync-interval",
                "0",
            ],
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 60
        while (found := _RUNNING.search(log_file.read_text(errors="replace"))) is None:
            assert process.poll() is None, log_file.read_text(errors="replace")
            assert time.monotonic() < deadline
            time.sleep(0.05)
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def node_info(url: str) -> dict[str, str]:
    info: dict[str, str] = httpx.get(f"{url}/api/v1/node").json()
    return info


def test_two_nodes_through_the_command_line(tmp_path: Path) -> None:
    us_db, us_key = init(tmp_path, "US")
    ru_db, _ = init(tmp_path, "RU")
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps(ENTRY, indent=2))
    with (
        serving(us_db, "US", tmp_path / "us.log") as (_, us_url),
        serving(ru_db, "RU", tmp_path / "ru.log") as (_, ru_url),
    ):
        us, ru = node_info(us_url), node_info(ru_url)
        added = run(
            "party",
            "add",
            "RU",
            "--vkey",
            ru["vkey"],
            "--url",
            ru_url,
            "--witness-vkey",
            ru["witness_vkey"],
            "--db",
            us_db,
        )
        assert added.exit_code == 0, added.output
        assert "added RU: log example.org/ru/log" in added.stdout
        assert run("party", "add", "US", "--vkey", us["vkey"], "--db", ru_db).exit_code == 0

        sent = run("submit", str(entry), "--to", us_url, "--key", str(us_key))
        assert sent.exit_code == 0, sent.output
        assert "appended as entry 0" in sent.stdout
        again = run("submit", str(entry), "--to", us_url, "--key", str(us_key), "--json")
        assert json.loads(again.stdout)["index"] == 0
        assert json.loads(again.stdout)["created"] is False

        synced = run("sync", "--db", us_db, "--json")
        assert synced.exit_code == 0, synced.output
        assert json.loads(synced.stdout) == [
            {"party": "RU", "action": "cosign", "ok": True, "detail": "checkpoint 1 cosigned"},
            {
                "party": "RU",
                "action": "mirror",
                "ok": True,
                "detail": "extended at 0 entries (0 new)",
            },
        ]
        served = httpx.get(f"{us_url}/log/checkpoint").text
        assert f"— {ru['witness_vkey'].split('+')[0]} " in served

        listed = json.loads(run("party", "list", "--db", us_db, "--json").stdout)
        assert listed["node"]["party"] == "US"
        assert listed["node"]["witness_vkey"] == us["witness_vkey"]
        assert [p["name"] for p in listed["parties"]] == ["RU"]
        table = run("party", "list", "--db", us_db)
        assert "example.org/ru/log" in table.stdout
        assert ru_url in table.stdout


def test_submit_refusals_and_bad_input_change_nothing(tmp_path: Path) -> None:
    us_db, us_key = init(tmp_path, "US")
    _, ru_key = init(tmp_path, "RU")
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps(ENTRY))
    with serving(us_db, "US", tmp_path / "us.log") as (_, url):
        refused = run("submit", str(entry), "--to", url, "--key", str(ru_key))
        assert refused.exit_code == 2
        assert "403 unknown_key" in refused.output
        bad = tmp_path / "bad.json"
        bad.write_text('{"type": "new_item", "type": "x"}')
        malformed = run("submit", str(bad), "--to", url, "--key", str(us_key))
        assert malformed.exit_code == 2
        assert "twice" in malformed.output
        floats = tmp_path / "floats.json"
        floats.write_text(json.dumps({**ENTRY, "v": 1.0}))
        assert run("submit", str(floats), "--to", url, "--key", str(us_key)).exit_code == 2
        missing = run("submit", str(tmp_path / "nope.json"), "--to", url, "--key", str(us_key))
        assert (missing.exit_code, "does not exist" in missing.output) == (2, True)
        assert httpx.get(f"{url}/api/v1/node").json()["size"] == 0
    unreachable = run("submit", str(entry), "--to", url, "--key", str(us_key), "--timeout", "2")
    assert unreachable.exit_code == 1


def test_party_add_refuses_bad_keys_and_changed_log_keys(tmp_path: Path) -> None:
    us_db, _ = init(tmp_path, "US")
    ru_db, _ = init(tmp_path, "RU")
    ru_vkey = run("log", "vkey", "--db", ru_db).stdout.strip()
    us_vkey = run("log", "vkey", "--db", us_db).stdout.strip()
    bad = run("party", "add", "RU", "--vkey", "example.org/ru/log+00000000+AAAA", "--db", us_db)
    assert bad.exit_code == 2
    assert "verifier key" in bad.output
    own = run("party", "add", "XX", "--vkey", us_vkey, "--db", us_db)
    assert (own.exit_code, "own log" in own.output) == (2, True)
    witness_as_log = run(
        "party", "add", "RU", "--vkey", ru_vkey, "--witness-vkey", ru_vkey, "--db", us_db
    )
    assert witness_as_log.exit_code == 2
    assert (
        run(
            "party", "add", "RU", "--vkey", ru_vkey, "--url", "http://h:1/", "--db", us_db
        ).exit_code
        == 0
    )
    moved = run("party", "add", "RU", "--vkey", ru_vkey, "--url", "http://h:2", "--db", us_db)
    assert "updated RU" in moved.stdout
    same = run("party", "add", "RU", "--vkey", ru_vkey, "--db", us_db)
    assert "unchanged RU" in same.stdout
    other = run(
        "log", "init", "--origin", "example.org/ru/log", "--db", f"sqlite:///{tmp_path / 'o.db'}"
    )
    assert other.exit_code == 0
    new_key = run("log", "vkey", "--db", f"sqlite:///{tmp_path / 'o.db'}").stdout.strip()
    changed = run("party", "add", "RU", "--vkey", new_key, "--db", us_db)
    assert changed.exit_code == 1
    assert "never changes" in changed.output
    assert run("party", "add", "self", "--vkey", ru_vkey, "--db", us_db).exit_code == 2
    listed = json.loads(run("party", "list", "--db", us_db, "--json").stdout)
    assert listed["node"] is None
    assert listed["parties"] == [
        {
            "name": "RU",
            "vkey": ru_vkey,
            "origin": "example.org/ru/log",
            "url": "http://h:2",
            "witness_vkey": None,
        }
    ]


def test_sync_fails_with_exit_1_when_a_peer_is_down_and_needs_a_started_node(
    tmp_path: Path,
) -> None:
    us_db, _ = init(tmp_path, "US")
    ru_db, _ = init(tmp_path, "RU")
    never = run("sync", "--db", us_db)
    assert (never.exit_code, "treaty serve" in never.output) == (2, True)
    with serving(us_db, "US", tmp_path / "us.log"):
        pass  # the first start records the party and makes the witness key
    ru_vkey = run("log", "vkey", "--db", ru_db).stdout.strip()
    run("party", "add", "RU", "--vkey", ru_vkey, "--url", "http://127.0.0.1:9", "--db", us_db)
    down = run("sync", "--db", us_db)
    assert down.exit_code == 1
    assert "failed" in down.output


def test_serve_refuses_a_database_without_a_log_and_a_party_outside_the_treaty(
    tmp_path: Path,
) -> None:
    empty = run("serve", "--party", "US", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert empty.exit_code == 2
    assert "treaty log init" in empty.output
    url, _ = init(tmp_path, "US")
    assert run("serve", "--party", "FR", "--db", url).exit_code == 2


def test_serve_stops_gracefully_on_sigterm(tmp_path: Path) -> None:
    url, _ = init(tmp_path, "US")
    log_file = tmp_path / "serve.log"
    with serving(url, "US", log_file) as (process, _):
        process.send_signal(signal.SIGTERM)
        # uvicorn finishes its shutdown, then ends by the signal it caught (as it should).
        assert process.wait(timeout=30) == -signal.SIGTERM
    text = log_file.read_text()
    assert "Application shutdown complete" in text
    assert "Finished server process" in text


def test_serve_serves_the_log_that_declare_commit_writes(
    tmp_path: Path, new_start: TreatySpec
) -> None:
    url, _ = init(tmp_path, "US")
    inventory = us_inventory_2020_09_01(new_start)
    items, facilities = tmp_path / "items.csv", tmp_path / "facilities.csv"
    items.write_text(items_to_csv(inventory.items), encoding="utf-8")
    facilities.write_text(facilities_to_csv(inventory.facilities), encoding="utf-8")
    assert (
        run(
            "declare",
            "import",
            str(items),
            "--facilities",
            str(facilities),
            "--party",
            "US",
            "--db",
            url,
        ).exit_code
        == 0
    )
    assert run("declare", "commit", "--as-of", "2020-09-01", "--db", url).exit_code == 0
    with serving(url, "US", tmp_path / "us.log") as (_, served):
        bundle = httpx.get(f"{served}/log/tile/entries/000.p/1").content
        [note] = decode_bundle(bundle, width=1)
        assert b'"type":"data_exchange"' in note
    with serving(url, "US", tmp_path / "again.log"):
        pass
    wrong = run("serve", "--party", "RU", "--db", url)
    assert wrong.exit_code == 2
    assert "US" in wrong.output


@pytest.mark.parametrize("command", ["serve", "party", "submit", "sync"])
def test_every_node_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
