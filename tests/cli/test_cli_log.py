"""``treaty log``: the whole workflow through the command line, on a SQLite file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from treatyledger.cli import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'party.db'}"
    result = runner.invoke(
        app, ["log", "init", "--origin", "example.org/us/log", "--db", url], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    return url


def run(*args: str, stdin: bytes | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "300"})


def test_init_writes_a_private_key_and_says_where(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = run("log", "init", "--origin", "example.org/ru/log", "--db", url)
    assert result.exit_code == 0, result.output
    key = tmp_path / "x.example.org_ru_log.key"
    assert str(key) in result.stdout
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+example.org/ru/log+")
    again = run("log", "init", "--origin", "example.org/ru/log", "--db", url)
    assert again.exit_code != 0
    assert key.read_text().startswith("PRIVATE+KEY+")


def test_vkey_and_db_from_the_environment(db: str) -> None:
    by_option = run("log", "vkey", "--db", db)
    by_env = runner.invoke(app, ["log", "vkey"], env={"TREATYLEDGER_DB": db})
    assert by_option.exit_code == by_env.exit_code == 0
    assert by_option.stdout == by_env.stdout
    assert by_option.stdout.startswith("example.org/us/log+")


def test_append_files_stdin_and_jsonl(db: str, tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_bytes(b'{"n": 1}')
    lines = tmp_path / "many.jsonl"
    lines.write_bytes(b'{"n": 2}\n{"n": 3}\n')
    result = run(
        "log", "append", str(one), "-", "--jsonl", str(lines), "--db", db, stdin=b"from stdin"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["0", "1", "2", "3"]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("big.bin", b"x" * 65_536, "65,535"),
        ("bad.jsonl", b'{"ok": 1}\nnot json\n', "line 2 is not JSON"),
    ],
    ids=["oversized-entry", "jsonl-line-not-json"],
)
def test_bad_input_appends_nothing(
    db: str, tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(b"fine")
    bad = tmp_path / name
    bad.write_bytes(content)
    args = ["--jsonl", str(bad)] if name.endswith(".jsonl") else [str(bad)]
    result = run("log", "append", str(good), *args, "--db", db)
    assert result.exit_code == 2
    assert problem in result.stderr
    assert "nothing was appended" in result.stderr
    after = run("log", "append", str(good), "--db", db)
    assert after.stdout.split() == ["0"]


def test_append_missing_file(db: str, tmp_path: Path) -> None:
    result = run("log", "append", str(tmp_path / "absent"), "--db", db)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_checkpoint_export_verify_prove(db: str, tmp_path: Path) -> None:
    entries = tmp_path / "entries.jsonl"
    entries.write_bytes(b"".join(b'{"i": %d}\n' % i for i in range(700)))
    assert run("log", "append", "--jsonl", str(entries), "--db", db).exit_code == 0
    checkpoint = run("log", "checkpoint", "--db", db)
    assert checkpoint.exit_code == 0, checkpoint.output
    assert checkpoint.stdout.splitlines()[:2] == ["example.org/us/log", "700"]
    vkey = run("log", "vkey", "--db", db).stdout.strip()
    out = tmp_path / "tree"
    exported = run("log", "export", str(out), "--db", db)
    assert exported.exit_code == 0, exported.output
    assert (out / "tile/0/002.p/188").is_file()
    assert (out / "tile/entries/000").is_file()
    assert (out / "vkey").read_text().strip() == vkey
    verified = run("log", "verify", str(out), "--vkey", vkey)
    assert verified.exit_code == 0, verified.output
    assert "700 entries" in verified.stdout

    older = tmp_path / "older-checkpoint"
    older.write_text(checkpoint.stdout)
    assert run("log", "append", str(entries), "--db", db).exit_code == 0
    assert run("log", "checkpoint", "--db", db).exit_code == 0
    assert run("log", "export", str(out), "--db", db).exit_code == 0
    since = run("log", "verify", str(out), "--vkey", vkey, "--since", str(older))
    assert since.exit_code == 0, since.output
    assert "consistent with the checkpoint of 700" in since.stdout

    proof = tmp_path / "proof"
    proved = run("log", "prove", "5", "--db", db)
    assert proved.exit_code == 0
    proof.write_text(proved.stdout)
    entry = tmp_path / "entry"
    entry.write_bytes(b'{"i": 5}')
    ok = run("log", "verify-proof", str(proof), "--vkey", vkey, "--entry", str(entry))
    assert ok.exit_code == 0, ok.output
    entry.write_bytes(b'{"i": 6}')
    wrong = run("log", "verify-proof", str(proof), "--vkey", vkey, "--entry", str(entry))
    assert wrong.exit_code == 1


def test_verify_names_the_tampered_file(db: str, tmp_path: Path) -> None:
    entries = tmp_path / "e.jsonl"
    entries.write_bytes(b"".join(b'{"i": %d}\n' % i for i in range(300)))
    run("log", "append", "--jsonl", str(entries), "--db", db)
    run("log", "checkpoint", "--db", db)
    out = tmp_path / "tree"
    run("log", "export", str(out), "--db", db)
    vkey = run("log", "vkey", "--db", db).stdout.strip()
    tile = out / "tile/0/000"
    data = bytearray(tile.read_bytes())
    data[100] ^= 0xFF
    tile.write_bytes(bytes(data))
    result = run("log", "verify", str(out), "--vkey", vkey)
    assert result.exit_code == 1
    assert "tile/entries/000" in result.stderr or "tile/0/000" in result.stderr


def test_commands_before_init_explain_what_to_do(tmp_path: Path) -> None:
    result = run("log", "checkpoint", "--db", f"sqlite:///{tmp_path / 'none.db'}")
    assert result.exit_code == 2
    assert "treaty log init" in result.stderr


def test_unsupported_db_url(tmp_path: Path) -> None:
    result = run("log", "vkey", "--db", "mysql://localhost/x")
    assert result.exit_code == 2
    assert "mysql" in result.stderr
    assert not os.path.exists("treatyledger.db")


def test_whole_workflow_on_postgres(fresh_postgres_url: str, tmp_path: Path) -> None:
    url = fresh_postgres_url
    key = tmp_path / "us.key"
    assert (
        run(
            "log", "init", "--origin", "example.org/us/log", "--key", str(key), "--db", url
        ).exit_code
        == 0
    )
    entries = tmp_path / "e.jsonl"
    entries.write_bytes(b"".join(b'{"i": %d}\n' % i for i in range(600)))
    appended = run("log", "append", "--jsonl", str(entries), "--db", url)
    assert appended.stdout.split() == [str(i) for i in range(600)]
    assert run("log", "checkpoint", "--db", url).exit_code == 0
    out = tmp_path / "tree"
    assert run("log", "export", str(out), "--db", url).exit_code == 0
    vkey = run("log", "vkey", "--db", url).stdout.strip()
    verified = run("log", "verify", str(out), "--vkey", vkey)
    assert verified.exit_code == 0, verified.output
    proof = tmp_path / "proof"
    proof.write_text(run("log", "prove", "599", "--db", url).stdout)
    entry = tmp_path / "entry"
    entry.write_bytes(b'{"i": 599}')
    assert (
        run("log", "verify-proof", str(proof), "--vkey", vkey, "--entry", str(entry)).exit_code == 0
    )
