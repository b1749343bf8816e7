"""A draw fixed by two party logs: commitment, acknowledgment, declaration, reveal, designations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from drawworld import SEED, SPEC, YEAR, World, at, fixed_world

from treatyledger.assurance import check_draws, commitment_entry, find_commitment, fix_draw
from treatyledger.assurance.draw import DrawPurpose, draw_sites, seed_hash
from treatyledger.assurance.draw_record import acknowledgment_entries
from treatyledger.assurance.inputs import PlanInputError
from treatyledger.errors import NotFoundError, VerificationError
from treatyledger.ledger import Ref
from treatyledger.log.merkle import root_from_leaf_hashes

LEDGER_DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def reveal(w: World, commitment: Ref, declaration: Ref, *, seed: bytes = SEED) -> None:
    w.add(
        "draw_reveal",
        "RU",
        "2022-02-10T12:00:00Z",
        {"seed": seed.hex()},
        [commitment, declaration],
    )


def test_the_draw_is_fixed_by_seed_and_declaration_checkpoint() -> None:
    w, commitment, ack, declaration = fixed_world()
    ru, us = w.log("RU"), w.log("US")
    record = fix_draw(SPEC, ru, us, find_commitment(ru, SEED), SEED)
    assert (record.commitment, record.acknowledgment, record.declaration) == (
        commitment,
        ack,
        declaration,
    )
    # Recomputed by hand from the documented construction's inputs.
    purpose = DrawPurpose(
        treaty="new-start",
        inspected_party="US",
        inspection_type="type_one",
        quota_year=YEAR,
        size=10,
        cap=2,
        origin="example.org/us/log",
        tree_size=2,
        root_hash=root_from_leaf_hashes([e.leaf_hash for e in us.entries[:2]]),
    )
    assert record.purpose == purpose
    assert record.sites == (
        "bangor",
        "barksdale",
        "fe_warren",
        "kings_bay",
        "malmstrom",
        "minot_air",
        "minot_icbm",
        "whiteman",
    )
    assert record.designations == draw_sites(SEED, purpose, record.sites)
    doc = record.to_json()
    assert doc["checkpoint"] == {
        "origin": "example.org/us/log",
        "size": 2,
        "root_hash": purpose.root_hash.hex(),
    }


def test_later_entries_do_not_change_the_draw() -> None:
    w, *_ = fixed_world()
    before = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    w.declaration("2021-07-20T12:00:00Z")  # a later declaration: not the one that counts
    w.add("commission_request", "US", "2021-08-01T12:00:00Z", {"agenda": "Anything."})
    after = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    assert after == before


def test_the_declaration_is_the_first_after_the_acknowledgment() -> None:
    w = World()
    commitment = w.commitment()
    w.declaration("2021-01-10T11:00:00Z")  # before the acknowledgment: it does not count
    w.add("acknowledgment", "US", "2021-01-11T09:00:00Z", refs=[commitment])
    second = w.declaration("2021-01-20T12:00:00Z")
    record = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    assert record.declaration == second
    assert record.purpose.tree_size == 3


def test_not_fixed_until_acknowledged_and_declared() -> None:
    w = World()
    commitment = w.commitment()
    w.declaration()
    with pytest.raises(NotFoundError, match="not acknowledged"):
        fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    w.add("acknowledgment", "US", "2021-01-21T09:00:00Z", refs=[commitment])
    with pytest.raises(NotFoundError, match="no declaration since"):
        fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)


def test_only_the_first_commitment_counts() -> None:
    w = World()
    w.commitment("2021-01-09T10:00:00Z", seed=bytes(32))
    second = w.commitment()
    w.add("acknowledgment", "US", "2021-01-11T09:00:00Z", refs=[second])
    w.declaration()
    with pytest.raises(VerificationError, match="only the first commitment counts"):
        fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)


def test_the_seed_must_match() -> None:
    w, *_ = fixed_world()
    ru = w.log("RU")
    with pytest.raises(NotFoundError, match="no draw commitment"):
        find_commitment(ru, bytes(32))
    with pytest.raises(VerificationError, match="SHA-256"):
        fix_draw(SPEC, ru, w.log("US"), ru.entries[0], bytes(32))


def test_a_revealed_draw_checks_against_the_designations() -> None:
    w, commitment, _, declaration = fixed_world()
    reveal(w, commitment, declaration)
    record = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    for month, site in enumerate(record.designations[:4], start=3):
        w.inspect(site, f"2021-{month:02d}-01T10:00:00Z")
    w.inspect("whiteman", "2020-10-06T16:00:00Z")  # the year before: not under this draw
    w.inspect("bangor", "2021-04-05T10:00:00Z", kind="type_two")  # another type: not either
    (check,) = check_draws(SPEC, w.log("RU"), w.log("US"))
    assert check.holds, check.problems
    assert [site for _, site in check.logged] == list(record.designations[:4])
    assert check.record is not None
    assert check.record.reveal == check.reveal
    assert check.to_json()["holds"] is True


def test_a_designation_off_the_draw_is_reported() -> None:
    w, commitment, _, declaration = fixed_world()
    reveal(w, commitment, declaration)
    record = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    w.inspect(record.designations[0], "2021-03-01T10:00:00Z")
    off = next(s for s in record.sites if s != record.designations[1])
    w.inspect(off, "2021-04-01T10:00:00Z")
    (check,) = check_draws(SPEC, w.log("RU"), w.log("US"))
    assert not check.holds
    assert check.problems == (
        f"designation #2 (example.org/ru/log#5) is {off}; the draw says {record.designations[1]}",
    )


def test_more_designations_than_drawn_are_reported() -> None:
    w = World()
    commitment = w.commitment(size=1)
    w.add("acknowledgment", "US", "2021-01-11T09:00:00Z", refs=[commitment])
    declaration = w.declaration()
    reveal(w, commitment, declaration)
    record = fix_draw(SPEC, w.log("RU"), w.log("US"), find_commitment(w.log("RU"), SEED), SEED)
    w.inspect(record.designations[0], "2021-03-01T10:00:00Z")
    w.inspect(record.designations[0], "2021-05-01T10:00:00Z")
    (check,) = check_draws(SPEC, w.log("RU"), w.log("US"))
    assert [p.split(")")[1] for p in check.problems] == [" exceeds the 1 drawn"]


def test_a_reveal_naming_another_declaration_is_reported() -> None:
    w = World()
    commitment = w.commitment()
    early = w.declaration("2021-01-10T11:00:00Z")
    w.add("acknowledgment", "US", "2021-01-11T09:00:00Z", refs=[commitment])
    w.declaration("2021-01-20T12:00:00Z")
    reveal(w, commitment, early)
    (check,) = check_draws(SPEC, w.log("RU"), w.log("US"))
    assert len(check.problems) == 1
    assert "but the draw is fixed by example.org/us/log#2" in check.problems[0]


def test_a_wrong_seed_in_the_reveal_is_reported() -> None:
    w, commitment, _, declaration = fixed_world()
    reveal(w, commitment, declaration, seed=bytes(32))
    (check,) = check_draws(SPEC, w.log("RU"), w.log("US"))
    assert check.record is None
    assert check.problems == ("the seed's SHA-256 is not the one committed to",)


def test_no_reveal_no_check() -> None:
    w, *_ = fixed_world()
    with pytest.raises(NotFoundError, match="reveals no draw"):
        check_draws(SPEC, w.log("RU"), w.log("US"))


def test_acknowledgments_are_made_once() -> None:
    w = World()
    first = w.commitment()
    w.commitment("2021-01-12T10:00:00Z", seed=bytes(32))
    entries = acknowledgment_entries(
        SPEC, w.log("US"), w.log("RU"), sender="US", time=at("2021-01-13T00:00:00Z")
    )
    assert [e.refs[0].index for e in entries] == [0, 1]
    w.entry(entries[0])
    again = acknowledgment_entries(
        SPEC, w.log("US"), w.log("RU"), sender="US", time=at("2021-01-13T00:00:00Z")
    )
    assert [e.refs for e in again] == [entries[1].refs]
    assert entries[0].refs == (first,)
    # RU's own commitments are not about RU.
    assert (
        acknowledgment_entries(
            SPEC, w.log("RU"), w.log("RU"), sender="RU", time=at("2021-01-13T00:00:00Z")
        )
        == []
    )


def test_commitment_entries_are_checked() -> None:
    with pytest.raises(PlanInputError, match="first day of a quota year"):
        commitment_entry(
            SPEC,
            sender="RU",
            seed=SEED,
            inspected_party="US",
            inspection_type="type_one",
            quota_year=YEAR.replace(day=6),
            size=10,
            time=at("2021-01-10T10:00:00Z"),
        )
    with pytest.raises(PlanInputError, match="of itself"):
        commitment_entry(
            SPEC,
            sender="US",
            seed=SEED,
            inspected_party="US",
            inspection_type="type_one",
            quota_year=YEAR,
            size=10,
            time=at("2021-01-10T10:00:00Z"),
        )


def test_the_ledger_examples_are_this_world() -> None:
    """docs/ledger.md shows the draw entries of this year, byte for byte."""
    w, commitment, _, declaration = fixed_world()
    reveal(w, commitment, declaration)
    text = LEDGER_DOC.read_text(encoding="utf-8")
    shown = {
        json.loads(example)["type"]: example
        for example in re.findall(r"```json\n(.*?)\n```", text, flags=re.DOTALL)
        if '"type":"draw_' in example
    }
    assert shown["draw_commitment"] + "\n" == w.notes["RU"][0].decode().split("\n\n")[0] + "\n"
    assert shown["draw_reveal"] + "\n" == w.notes["RU"][1].decode().split("\n\n")[0] + "\n"
    assert json.loads(shown["draw_commitment"])["payload"]["seed_sha256"] == seed_hash(SEED).hex()
