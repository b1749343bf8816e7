"""``treaty declare``: import, commit, totals, open, verify-opening and diff, end to end."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from treatyledger.cli import app
from treatyledger.declarations import declaration_record, unseal_secret
from treatyledger.escrow.fixtures import us_inventory_2020_09_01
from treatyledger.escrow.inventory import Inventory
from treatyledger.escrow.inventory_csv import facilities_to_csv, items_to_csv
from treatyledger.logs import read_key_file
from treatyledger.storage import open_store
from treatyledger.treaty import TreatySpec

runner = CliRunner()
ORIGIN = "example.org/us/log"


def run(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "300"})


def write_inventory(inventory: Inventory, folder: Path) -> tuple[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    items, facilities = folder / "items.csv", folder / "facilities.csv"
    items.write_text(items_to_csv(inventory.items), encoding="utf-8")
    facilities.write_text(facilities_to_csv(inventory.facilities), encoding="utf-8")
    return str(items), str(facilities)


def changed(inventory: Inventory) -> Inventory:
    """The 2020 inventory with one change of each kind a party notifies."""
    items = {item.uid: item for item in inventory.items}
    items.pop("US-MM3-LCH-0451")  # a non-deployed launcher at Vandenberg, eliminated
    items["US-MM3-LCH-0300"] = replace(items["US-MM3-LCH-0300"], facility="fe_warren")
    items["US-B52H-0001"] = replace(items["US-B52H-0001"], status="non_deployed")
    items["US-D5-0001"] = replace(items["US-D5-0001"], warheads=4)
    new = replace(items["US-B2A-0001"], uid="US-B2A-9999")
    items[new.uid] = new
    return replace(inventory, items=tuple(items.values()))


def init(url: str, key: Path) -> str:
    result = run("log", "init", "--origin", ORIGIN, "--key", str(key), "--db", url)
    assert result.exit_code == 0, result.output
    return run("log", "vkey", "--db", url).stdout.strip()


def workflow(url: str, tmp_path: Path, spec: TreatySpec) -> None:
    vkey = init(url, tmp_path / "us.key")
    inventory = us_inventory_2020_09_01(spec)
    items, facilities = write_inventory(inventory, tmp_path / "2020")
    imported = run(
        "declare", "import", items, "--facilities", facilities, "--party", "US", "--db", url
    )
    assert imported.exit_code == 0, imported.output
    assert "12 facilities, 1427 items" in imported.stdout

    committed = run("declare", "commit", "--as-of", "2020-09-01", "--db", url)
    assert committed.exit_code == 0, committed.output
    assert "root: " in committed.stdout
    assert "1,457" in committed.stdout

    totals = run("declare", "totals", "--json", "--db", url)
    assert totals.exit_code == 0, totals.output
    doc = json.loads(totals.stdout)
    assert doc["totals"] == {"deployed_delivery_vehicles": 675, "warheads": 1457, "launchers": 800}
    assert (doc["party"], doc["as_of"], doc["log_index"]) == ("US", "2020-09-01", 0)

    bundle = tmp_path / "malmstrom.json"
    opened = run("declare", "open", "--facility", "malmstrom", "--out", str(bundle), "--db", url)
    assert opened.exit_code == 0, opened.output
    verified = run("declare", "verify-opening", str(bundle), "--vkey", vkey, "--json")
    assert verified.exit_code == 0, verified.output
    result = json.loads(verified.stdout)
    assert result["verified"] is True
    assert result["facility"] == "malmstrom"
    assert len(result["items"]) == 282
    assert result["counts"] == {
        "icbm/deployed": 132,
        "icbm_launcher/deployed": 132,
        "icbm_launcher/non_deployed": 18,
    }
    assert run("declare", "verify-opening", str(bundle), "--vkey", vkey).exit_code == 0

    items, facilities = write_inventory(changed(inventory), tmp_path / "2021")
    assert run("declare", "import", items, "--facilities", facilities, "--db", url).exit_code == 0
    second = run("declare", "commit", "--as-of", "2021-03-01", "--db", url)
    assert second.exit_code == 0, second.output
    assert run("declare", "totals", "--json", "--db", url).exit_code == 0
    diff = run("declare", "diff", "2020-09-01", "2021-03-01", "--json", "--db", url)
    assert diff.exit_code == 0, diff.output
    changes = {(c["subject"], c["change"]): c for c in json.loads(diff.stdout)["changes"]}
    assert set(changes) == {
        ("US-B2A-9999", "new_item"),
        ("US-B52H-0001", "status_change"),
        ("US-D5-0001", "warheads"),
        ("US-MM3-LCH-0300", "movement"),
        ("US-MM3-LCH-0451", "removed"),
    }
    assert changes["US-MM3-LCH-0300", "movement"]["from"] == "malmstrom"
    assert changes["US-MM3-LCH-0300", "movement"]["to"] == "fe_warren"
    assert changes["US-MM3-LCH-0451", "removed"]["notification"] == "elimination"
    assert changes["US-B2A-9999", "new_item"]["notification"] == "new_item"
    assert changes["US-D5-0001", "warheads"]["notification"] is None
    assert "only at data exchanges" in changes["US-D5-0001", "warheads"]["note"]
    table = run("declare", "diff", "2020-09-01", "2021-03-01", "--db", url)
    assert table.exit_code == 0
    assert "5 changes" in table.stdout
    # the first declaration still opens after the second
    older = tmp_path / "old.json"
    assert (
        run(
            "declare",
            "open",
            "--facility",
            "bangor",
            "--as-of",
            "2020-09-01",
            "--out",
            str(older),
            "--db",
            url,
        ).exit_code
        == 0
    )
    assert run("declare", "verify-opening", str(older), "--vkey", vkey).exit_code == 0


def test_whole_workflow_on_sqlite(tmp_path: Path, new_start: TreatySpec) -> None:
    workflow(f"sqlite:///{tmp_path / 'us.db'}", tmp_path, new_start)


def test_whole_workflow_on_postgres(
    fresh_postgres_url: str, tmp_path: Path, new_start: TreatySpec
) -> None:
    workflow(fresh_postgres_url, tmp_path, new_start)


@pytest.fixture
def committed(tmp_path: Path, new_start: TreatySpec) -> tuple[str, str]:
    """A SQLite node with the 2020 declaration committed: (url, vkey)."""
    url = f"sqlite:///{tmp_path / 'us.db'}"
    vkey = init(url, tmp_path / "us.key")
    items, facilities = write_inventory(us_inventory_2020_09_01(new_start), tmp_path / "inv")
    assert (
        run(
            "declare", "import", items, "--facilities", facilities, "--party", "US", "--db", url
        ).exit_code
        == 0
    )
    assert run("declare", "commit", "--as-of", "2020-09-01", "--db", url).exit_code == 0
    return url, vkey


def test_the_secret_never_reaches_the_database_in_clear(
    committed: tuple[str, str], tmp_path: Path
) -> None:
    url, _ = committed
    bundle = tmp_path / "b.json"
    assert (
        run("declare", "open", "--facility", "bangor", "--out", str(bundle), "--db", url).exit_code
        == 0
    )
    store = open_store(url)
    try:
        record = declaration_record(store)
    finally:
        store.close()
    secret = unseal_secret(read_key_file(tmp_path / "us.key"), dt.date(2020, 9, 1), record.sealed)
    salt = json.loads(bundle.read_bytes())["opening"]["salt"]
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("us.db*"))
    for needle in (secret, secret.hex().encode(), bytes.fromhex(salt), salt.encode()):
        assert needle not in stored


def test_tampered_opening_exits_1_naming_the_failure(
    committed: tuple[str, str], tmp_path: Path
) -> None:
    url, vkey = committed
    bundle = tmp_path / "b.json"
    assert (
        run(
            "declare", "open", "--facility", "malmstrom", "--out", str(bundle), "--db", url
        ).exit_code
        == 0
    )
    doc = json.loads(bundle.read_bytes())
    doc["opening"]["items"][0]["item"]["status"] = "test"
    bundle.write_text(json.dumps(doc))
    result = run("declare", "verify-opening", str(bundle), "--vkey", vkey)
    assert result.exit_code == 1
    assert "facility opening:" in result.stderr


def _meta(url: str) -> dict[str, str | None]:
    store = open_store(url)
    try:
        keys = ("inventory/current", "declaration/index", "declaration/2020-09-01")
        return {key: store.get_meta(key) for key in keys}
    finally:
        store.close()


def test_bad_input_exits_2_and_changes_nothing(
    committed: tuple[str, str], tmp_path: Path, new_start: TreatySpec
) -> None:
    url, _ = committed
    before = _meta(url)
    size = run("log", "checkpoint", "--db", url).stdout

    inventory = us_inventory_2020_09_01(new_start)
    bad = replace(inventory.items[0], facility="nowhere")
    items, facilities = write_inventory(inventory, tmp_path / "bad")
    Path(items).write_text(items_to_csv((bad, *inventory.items[1:])), encoding="utf-8")
    unknown = run("declare", "import", items, "--facilities", facilities, "--db", url)
    assert unknown.exit_code == 2
    assert "nowhere" in unknown.stderr

    twice = run("declare", "commit", "--as-of", "2020-09-01", "--db", url)
    assert twice.exit_code == 2
    assert "already committed" in twice.stderr

    nothing = run(
        "declare", "open", "--facility", "atlantis", "--out", str(tmp_path / "x.json"), "--db", url
    )
    assert nothing.exit_code == 2
    assert "atlantis" in nothing.stderr
    assert not (tmp_path / "x.json").exists()

    other = run("declare", "totals", "--party", "RU", "--db", url)
    assert other.exit_code == 2
    assert run("declare", "commit", "--as-of", "2021-02-30", "--db", url).exit_code == 2
    assert run("declare", "totals", "--as-of", "2019-09-01", "--db", url).exit_code == 2

    assert _meta(url) == before
    assert run("log", "checkpoint", "--db", url).stdout == size


def test_party_is_needed_before_the_first_import(tmp_path: Path, new_start: TreatySpec) -> None:
    url = f"sqlite:///{tmp_path / 'us.db'}"
    init(url, tmp_path / "us.key")
    items, facilities = write_inventory(us_inventory_2020_09_01(new_start), tmp_path / "inv")
    result = run("declare", "import", items, "--facilities", facilities, "--db", url)
    assert result.exit_code == 2
    assert "--party" in result.stderr
