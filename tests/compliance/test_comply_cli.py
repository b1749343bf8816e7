"""``treaty comply``: findings from exported folders; ``verify-finding`` re-checks one offline."""

from __future__ import annotations

import json
from pathlib import Path

from complyworld import RU, US, World
from typer.testing import CliRunner, Result

from treatyledger.cli import app

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def folders(tmp_path: Path) -> list[str]:
    w = World()
    request = w.request("RU", "2019-05-01T08:00:00Z", "2019-05-02T18:00:00Z")
    w.add("refusal", "US", "2019-05-02T10:00:00Z", {"reason": "Not now."}, [request])
    return [str(w.write(p, tmp_path / p.lower())) for p in ("US", "RU")]


def test_comply_prints_json_findings(tmp_path: Path) -> None:
    result = run("comply", *folders(tmp_path), "--json", "--at", "2019-05-20")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rules = [(f["rule"], f["severity"], f["party"]) for f in doc["findings"]]
    assert ("inspection.refused", "violation", "US") in rules


def test_comply_prints_a_table(tmp_path: Path) -> None:
    result = run("comply", "check", *folders(tmp_path), "--at", "2019-05-20")
    assert result.exit_code == 0, result.output
    assert "inspection.refused" in result.stdout
    assert "example.org/us/log#0" in result.stdout


def test_comply_refuses_a_log_whose_key_is_not_pinned(tmp_path: Path) -> None:
    dirs = folders(tmp_path)
    result = run("comply", *dirs, "--vkey", US.verifier().vkey(), "--at", "2019-05-20")
    assert result.exit_code == 1
    pinned = ["--vkey", US.verifier().vkey(), "--vkey", RU.verifier().vkey()]
    assert run("comply", *dirs, *pinned, "--at", "2019-05-20").exit_code == 0


def test_comply_refuses_a_tampered_log(tmp_path: Path) -> None:
    dirs = folders(tmp_path)
    bundle = Path(dirs[0]) / "tile" / "entries" / "000.p" / "1"
    data = bytearray(bundle.read_bytes())
    data[10] ^= 0x01
    bundle.write_bytes(bytes(data))
    result = run("comply", *dirs, "--at", "2019-05-20")
    assert result.exit_code == 1
    assert "tile/entries/000.p/1: entry 0 does not match its hash" in result.stderr


def _finding_file(tmp_path: Path) -> Path:
    result = run("comply", *folders(tmp_path), "--json", "--at", "2019-05-20")
    doc = json.loads(result.stdout)
    (refused,) = [f for f in doc["findings"] if f["rule"] == "inspection.refused"]
    path = tmp_path / "finding.json"
    path.write_text(json.dumps(refused), encoding="utf-8")
    return path


def test_verify_finding_accepts_good_evidence(tmp_path: Path) -> None:
    path = _finding_file(tmp_path)
    result = run("comply", "verify-finding", str(path))
    assert result.exit_code == 0, result.output
    assert "verified" in result.stdout
    assert "consistency only" in result.stdout
    pinned = ["--vkey", US.verifier().vkey(), "--vkey", RU.verifier().vkey()]
    result = run("comply", "verify-finding", str(path), *pinned)
    assert result.exit_code == 0, result.output
    assert "pinned keys" in result.stdout


def test_verify_finding_refuses_tampered_evidence(tmp_path: Path) -> None:
    path = _finding_file(tmp_path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["evidence"][1]["leaf_hash"] = "00" * 32
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert run("comply", "verify-finding", str(path)).exit_code == 1


def test_verify_finding_refuses_a_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    assert run("comply", "verify-finding", str(path)).exit_code == 2
    path.write_text('{"rule": "x"}', encoding="utf-8")
    assert run("comply", "verify-finding", str(path)).exit_code == 2
