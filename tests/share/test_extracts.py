"""De-identified extracts (issue 9, item 3): achieved k checked independently, shield passes.

The k check here counts quasi-identifier combinations of the released CSV with
the standard library, not with the code that built it. The leak shield is the
real scanner with an exact-data-match index of the court's own people.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine

from access.guard_helpers import SignIn
from access.identities import TODAY
from access.share_helpers import in_force, ledger_events_of, parties
from casevault.access.guard import Guard
from casevault.audit.checkpoint import Signer
from casevault.domain import DataCategory, Role
from casevault.domain.categories import PROTECTION_CASE_TYPES
from casevault.errors import DisclosureRefused, InvalidValue
from casevault.share._dataset import build_cases_frame
from casevault.share.extracts import (
    DIRECT_IDENTIFIERS,
    QUASI_IDENTIFIERS,
    ExtractService,
    anonymise,
    verify_manifest,
)
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import Scanner

PROTECTION = {t.value for t in PROTECTION_CASE_TYPES}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _smallest_class(rows: list[dict[str, str]]) -> int:
    counts = Counter(tuple(row[c] for c in QUASI_IDENTIFIERS) for row in rows)
    return min(counts.values())


@pytest.mark.parametrize("k", [2, 5, 10, 25])
def test_the_achieved_k_holds_on_the_released_rows(court_engine: Engine, k: int) -> None:
    cases = build_cases_frame(court_engine, today=TODAY)
    made = anonymise(cases, k=k, asylum_allowed=False)
    rows = made.frame.to_dicts()
    counts = Counter(tuple(str(row[c]) for c in QUASI_IDENTIFIERS) for row in rows)
    assert min(counts.values()) == made.achieved_k >= k
    assert len(rows) + made.suppressed_rows == cases.height
    assert 0.0 <= made.information_loss <= 1.0
    assert not set(made.frame.columns) & DIRECT_IDENTIFIERS
    assert not {row["case_group"] for row in rows} & PROTECTION
    assert {row["decision"] for row in rows} == {"*"}


def test_a_larger_k_generalises_more_and_loses_more(court_engine: Engine) -> None:
    cases = build_cases_frame(court_engine, today=TODAY)
    small, large = (anonymise(cases, k=k, asylum_allowed=False) for k in (2, 25))
    assert large.information_loss >= small.information_loss
    with pytest.raises(InvalidValue, match="k is between"):
        anonymise(cases, k=1, asylum_allowed=False)


@pytest.fixture
def scanner(guard_engine: Engine) -> Scanner:
    return Scanner(EdmIndex.build(guard_engine, bytes(range(32))), today=TODAY)


def test_a_released_extract_passes_the_shield_and_its_signed_manifest_checks_out(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, scanner: Scanner,
        tmp_path: Path) -> None:
    found = parties(sign_in, guard_engine)
    agreement_id = in_force(found, max_rows=100_000,
                            categories=frozenset({DataCategory.CASE, DataCategory.IDENTITY}))
    signer = Signer.generate("casevault.test/extracts")
    release = ExtractService(guard_engine, guard.sharing, signer).release(
        found.recipient_ctx, agreement_id, tmp_path / "extract", scanner=scanner)
    cases_csv = release.folder / "cases.csv"
    assert scanner.scan(cases_csv).verdict == "pass"
    rows = _rows(cases_csv)
    manifest = verify_manifest(release.folder, signer.verifier_key())
    table = manifest["tables"]["cases"]
    assert table["rows"] == len(rows) and table["suppressed_rows"] >= 0
    assert _smallest_class(rows) == manifest["achieved_k"] >= manifest["parameters"]["k"]
    assert not set(rows[0]) & DIRECT_IDENTIFIERS
    permitted = [e for e in ledger_events_of(guard_engine, "disclosure")
                 if e["result"] == "permit"]
    assert [e["detail"]["extract_id"] for e in permitted] == [release.extract_id]
    cases_csv.write_text(cases_csv.read_text(encoding="utf-8") + "x\n", encoding="utf-8")
    with pytest.raises(InvalidValue, match="does not match the signed manifest"):
        verify_manifest(release.folder, signer.verifier_key())


def test_a_blocking_shield_stops_the_release_and_nothing_is_left(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, tmp_path: Path) -> None:
    found = parties(sign_in, guard_engine)
    agreement_id = in_force(found, max_rows=100_000,
                            categories=frozenset({DataCategory.CASE, DataCategory.IDENTITY}))
    strict = Scanner(None, k_threshold=1_000_000, today=TODAY)  # no table is that anonymous
    service = ExtractService(guard_engine, guard.sharing, Signer.generate("casevault.test/x"))
    with pytest.raises(DisclosureRefused, match="leak shield blocked"):
        service.release(found.recipient_ctx, agreement_id, tmp_path / "extract", scanner=strict)
    assert not (tmp_path / "extract").exists()
    events = ledger_events_of(guard_engine, "disclosure")
    assert [(e["result"], e["detail"].get("reason")) for e in events] == [("deny", "leak_scan")]


def test_asylum_values_appear_only_for_persons_who_consented(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, scanner: Scanner,
        tmp_path: Path) -> None:
    found = parties(sign_in, guard_engine, role=Role.ANALYST)
    agreement_id = in_force(found, max_rows=100_000, categories=frozenset(
        {DataCategory.CASE, DataCategory.IDENTITY, DataCategory.ASYLUM}))
    cases = build_cases_frame(guard_engine, today=TODAY)
    protected = sorted(set(cases.filter(cases["case_type"].is_in(sorted(PROTECTION)))
                           ["person_id"].to_list()))
    consenting = protected[:3]
    for person in consenting:
        found.agreements.record_consent(person, recipient_user_id=found.recipient,
                                        signed_on=TODAY, by=found.owner)
    release = ExtractService(guard_engine, guard.sharing, Signer.generate("t/x")).release(
        found.recipient_ctx, agreement_id, tmp_path / "extract", scanner=scanner, k=2)
    rows = _rows(release.folder / "cases.csv")
    exact = [row for row in rows if row["case_group"] in PROTECTION]
    released_consenting = release.manifest["asylum_rows_with_consent"]
    assert len(exact) <= len(cases.filter(cases["person_id"].is_in(consenting)))
    per_person = [e["person_id"] for e in ledger_events_of(guard_engine, "disclosure")
                  if e["result"] == "permit" and e["person_id"] is not None]
    assert set(per_person) <= set(consenting)
    assert len(per_person) == released_consenting

