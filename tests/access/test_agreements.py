"""Data-sharing agreements (issue 9, item 1): each limit enforced, refusals ledgered.

Purpose, category, volume, frequency and expiry each refuse a disclosure outside
the agreement with ``DisclosureRefused`` after a ``deny`` disclosure event; asylum
records leave only for persons whose written consent to this recipient is on
record. Facts are checked against the stored ledger with SQL, not the gate.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from casevault.access import PolicyEngine
from casevault.access.agreements import (
    Agreements,
    DisclosureKind,
    DisclosureRequest,
    SharingGate,
)
from casevault.access.guard import Guard
from casevault.access.identity import SessionContext
from casevault.audit.ledger import Ledger
from casevault.domain import DataCategory, Purpose, Role
from casevault.errors import (
    AccessDenied,
    BudgetExhausted,
    DisclosureRefused,
    InvalidValue,
    NotFound,
)
from casevault.store.tables_share import share_agreements

from .guard_helpers import TERMS_KEY, SignIn, context_for
from .identities import TODAY, users_with_role
from .share_helpers import Parties, cleared, in_force, ledger_events_of, parties, terms

JUSTIFICATION = "Accounting of disclosures for the quarterly review, ticket PRV-2026-88"


@pytest.fixture(scope="module", autouse=True)
def release_connections(court_engine: Engine) -> Iterator[None]:
    """Close this module's pooled connections when it ends (the PostgreSQL server's
    connection limit is shared by every test process)."""
    yield
    court_engine.dispose()


@pytest.fixture
def share_clean(guard_engine: Engine) -> Iterator[None]:
    yield from cleared(guard_engine)


@pytest.fixture
def found(share_clean: None, sign_in: SignIn, guard_engine: Engine) -> Parties:
    return parties(sign_in, guard_engine)


@pytest.fixture
def gate(guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> SharingGate:
    return Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=TERMS_KEY,
                 clock=sign_in.clock).sharing


def _stats(agreement_id: str | None, *, purpose: Purpose = Purpose.STATISTICS,
           categories: frozenset[DataCategory] = frozenset({DataCategory.CASE}), rows: int = 10,
           epsilon: float = 0.1) -> DisclosureRequest:
    return DisclosureRequest(kind=DisclosureKind.STATISTICS, purpose=purpose,
                             categories=categories, rows=rows, agreement_id=agreement_id,
                             epsilon=epsilon)


def _refused_with(engine: Engine, reason: str) -> None:
    denied = [e for e in ledger_events_of(engine, "disclosure") if e["result"] == "deny"]
    assert denied, "a refusal must be ledgered"
    assert denied[-1]["detail"]["reason"] == reason


def _admit_and_record(gate: SharingGate, found: Parties, request: DisclosureRequest) -> str:
    admission = gate.admit(found.recipient_ctx, request)
    return gate.record(admission, rows=request.rows, detail={"query": "test"}).event_id


def test_a_disclosure_inside_the_agreement_is_recorded_in_the_accounting(
        gate: SharingGate, found: Parties, guard_engine: Engine) -> None:
    agreement_id = in_force(found)
    event_id = _admit_and_record(gate, found, _stats(agreement_id))
    permitted = [e for e in ledger_events_of(guard_engine, "disclosure")
                 if e["result"] == "permit"]
    assert [e["event_id"] for e in permitted] == [event_id]
    assert permitted[0]["detail"]["agreement_id"] == agreement_id
    assert permitted[0]["detail"]["recipient_user_id"] == found.recipient


def test_purpose_outside_the_agreement_is_refused(gate: SharingGate, found: Parties,
                                                  guard_engine: Engine) -> None:
    agreement_id = in_force(found)
    with pytest.raises(DisclosureRefused, match="purpose"):
        gate.admit(found.recipient_ctx, _stats(agreement_id, purpose=Purpose.COMPLIANCE_AUDIT))
    _refused_with(guard_engine, "purpose")


def test_category_outside_the_agreement_is_refused(gate: SharingGate, found: Parties,
                                                   guard_engine: Engine) -> None:
    agreement_id = in_force(found)
    wider = frozenset({DataCategory.CASE, DataCategory.IDENTITY})
    with pytest.raises(DisclosureRefused, match="category"):
        gate.admit(found.recipient_ctx, _stats(agreement_id, categories=wider))
    _refused_with(guard_engine, "category")


def test_volume_over_the_row_limit_is_refused_and_at_the_limit_admitted(
        gate: SharingGate, found: Parties, guard_engine: Engine) -> None:
    agreement_id = in_force(found, max_rows=50)
    gate.admit(found.recipient_ctx, _stats(agreement_id, rows=50))
    with pytest.raises(DisclosureRefused, match="row limit"):
        gate.admit(found.recipient_ctx, _stats(agreement_id, rows=51))
    _refused_with(guard_engine, "volume")


def test_frequency_limit_refuses_until_the_period_has_passed(
        gate: SharingGate, found: Parties, sign_in: SignIn, guard_engine: Engine) -> None:
    agreement_id = in_force(found, max_disclosures=2, period_days=7)
    for _ in range(2):
        _admit_and_record(gate, found, _stats(agreement_id))
    with pytest.raises(DisclosureRefused, match="per period"):
        gate.admit(found.recipient_ctx, _stats(agreement_id))
    _refused_with(guard_engine, "frequency")
    sign_in.clock.advance(timedelta(days=7, minutes=1))
    fresh = context_for(sign_in, found.recipient)
    gate.admit(fresh, _stats(agreement_id))


def test_expiry_ends_the_agreement_on_the_day(gate: SharingGate, found: Parties,
                                              sign_in: SignIn, guard_engine: Engine) -> None:
    agreement_id = in_force(found, expires_on=TODAY + timedelta(days=2))
    gate.admit(found.recipient_ctx, _stats(agreement_id))
    sign_in.clock.advance(timedelta(days=3))
    with pytest.raises(DisclosureRefused, match="not in force"):
        gate.admit(found.recipient_ctx, _stats(agreement_id))
    _refused_with(guard_engine, "not_in_force")


def test_an_agreement_not_yet_approved_or_ended_discloses_nothing(
        gate: SharingGate, found: Parties) -> None:
    proposed = found.agreements.propose(terms(found.recipient), by=found.owner)
    with pytest.raises(DisclosureRefused, match="not in force"):
        gate.admit(found.recipient_ctx, _stats(proposed))
    found.agreements.approve(proposed, by=found.second_owner)
    gate.admit(found.recipient_ctx, _stats(proposed))
    found.agreements.end(proposed, by=found.owner, reason="superseded")
    with pytest.raises(DisclosureRefused, match="not in force"):
        gate.admit(found.recipient_ctx, _stats(proposed))


def test_the_proposer_cannot_approve_and_bad_terms_store_nothing(
        found: Parties, guard_engine: Engine) -> None:
    agreement_id = found.agreements.propose(terms(found.recipient), by=found.owner)
    with pytest.raises(AccessDenied, match="another data owner"):
        found.agreements.approve(agreement_id, by=found.owner)
    with pytest.raises(InvalidValue, match="legal basis") as bad:
        found.agreements.propose(terms(found.recipient, legal_basis="ok", max_rows=0),
                                 by=found.owner)
    assert "row limit" in str(bad.value)
    with guard_engine.connect() as connection:
        stored = connection.execute(select(share_agreements.c.agreement_id)).scalars().all()
    assert stored == [agreement_id]


def test_outside_parties_need_an_agreement_and_a_recipient_of_their_own(
        gate: SharingGate, found: Parties, sign_in: SignIn, guard_engine: Engine) -> None:
    with pytest.raises(DisclosureRefused, match="under a data-sharing agreement"):
        gate.admit(found.recipient_ctx, _stats(None))
    agreement_id = in_force(found)
    with pytest.raises(DisclosureRefused, match="another recipient"):
        gate.admit(found.owner_ctx, _stats(agreement_id))


def test_an_aggregates_only_recipient_can_never_be_given_records(found: Parties) -> None:
    """The recipient here is an external advisor (efficiency reviewers: tests/share)."""
    with pytest.raises(InvalidValue, match="never records"):
        found.agreements.propose(terms(found.recipient, kinds=frozenset(
            {DisclosureKind.RECORDS})), by=found.owner)


def test_the_privacy_budget_of_an_agreement_is_enforced(
        gate: SharingGate, found: Parties, guard_engine: Engine) -> None:
    agreement_id = in_force(found, epsilon_budget=1.0, max_disclosures=10)
    _admit_and_record(gate, found, _stats(agreement_id, epsilon=0.6))
    with pytest.raises(BudgetExhausted, match="agreement"):
        gate.admit(found.recipient_ctx, _stats(agreement_id, epsilon=0.6))
    _refused_with(guard_engine, "budget_agreement")
    _admit_and_record(gate, found, _stats(agreement_id, epsilon=0.4))
    assert [b.remaining for b in gate.budgets(found.recipient, agreement_id)][1] == \
        pytest.approx(0.0)


# --- records and asylum consent --------------------------------------------------------

def _records_agreement(found: Parties, *categories: DataCategory) -> str:
    """An agreement for records with another agency's user (not an aggregates-only role)."""
    return in_force(found, kinds=frozenset({DisclosureKind.RECORDS}),
                    purposes=frozenset({Purpose.COMPLIANCE_AUDIT}),
                    categories=frozenset(categories))


@pytest.fixture
def records_party(share_clean: None, sign_in: SignIn, guard_engine: Engine) -> Parties:
    """An analyst of the court as recipient (records agreements exclude aggregate-only roles)."""
    return parties(sign_in, guard_engine, role=Role.ANALYST)


def _persons_with_asylum_application(court_folder: Path, count: int) -> list[str]:
    """From the interchange folder the court was imported from (applications are sealed in
    the database, and the answer should not come from the code under test)."""
    with (court_folder / "cases.csv").open(newline="", encoding="utf-8") as cases:
        owner = {row["case_id"]: row["person_id"] for row in csv.DictReader(cases)}
    with (court_folder / "applications.csv").open(newline="", encoding="utf-8") as applications:
        asylum = {owner[row["case_id"]] for row in csv.DictReader(applications)
                  if row["kind"] == "asylum"}
    return sorted(asylum)[:count]


def test_asylum_records_never_leave_without_recorded_consent(
        court_folder: Path, gate: SharingGate, records_party: Parties,
        guard_engine: Engine) -> None:
    found = records_party
    agreement_id = _records_agreement(found, DataCategory.IDENTITY, DataCategory.ASYLUM,
                                      DataCategory.CASE)
    people = _persons_with_asylum_application(court_folder, 2)
    wanted = {DataCategory.IDENTITY, DataCategory.CASE, DataCategory.ASYLUM}
    with pytest.raises(DisclosureRefused, match="written consent"):
        gate.disclose_records(found.owner_ctx, agreement_id, people, categories=wanted,
                              purpose=Purpose.COMPLIANCE_AUDIT)
    _refused_with(guard_engine, "consent")
    found.agreements.record_consent(people[0], recipient_user_id=found.recipient,
                                    signed_on=TODAY, by=found.owner)
    # consent given to someone else does not count for this recipient
    found.agreements.record_consent(people[1], recipient_user_id=found.owner,
                                    signed_on=TODAY, by=found.second_owner)
    with pytest.raises(DisclosureRefused, match="written consent"):
        gate.disclose_records(found.owner_ctx, agreement_id, people, categories=wanted,
                              purpose=Purpose.COMPLIANCE_AUDIT)
    sent = gate.disclose_records(found.owner_ctx, agreement_id, people[:1], categories=wanted,
                                 purpose=Purpose.COMPLIANCE_AUDIT)
    assert [p.person["person_id"] for p in sent.persons] == people[:1]
    permitted = [e for e in ledger_events_of(guard_engine, "disclosure")
                 if e["result"] == "permit"]
    assert [e["person_id"] for e in permitted] == [None, people[0]]


def test_without_asylum_in_the_agreement_no_consent_opens_it(
        court_folder: Path, gate: SharingGate, records_party: Parties,
        guard_engine: Engine) -> None:
    found = records_party
    agreement_id = _records_agreement(found, DataCategory.IDENTITY, DataCategory.CASE)
    person = _persons_with_asylum_application(court_folder, 1)
    found.agreements.record_consent(person[0], recipient_user_id=found.recipient,
                                    signed_on=TODAY, by=found.owner)
    with pytest.raises(DisclosureRefused, match="category"):
        gate.disclose_records(found.owner_ctx, agreement_id, person,
                              categories={DataCategory.IDENTITY, DataCategory.ASYLUM},
                              purpose=Purpose.COMPLIANCE_AUDIT)
    sent = gate.disclose_records(found.owner_ctx, agreement_id, person,
                                 categories={DataCategory.IDENTITY, DataCategory.CASE},
                                 purpose=Purpose.COMPLIANCE_AUDIT)
    for case in sent.persons[0].cases:
        assert case.fields.get("case_type") not in {"asylum_only", "withholding_only",
                                                    "credible_fear_review",
                                                    "reasonable_fear_review"}


def test_records_are_sent_by_a_data_owner_never_by_the_recipient(
        court_folder: Path, gate: SharingGate, records_party: Parties,
        guard_engine: Engine) -> None:
    found = records_party
    agreement_id = _records_agreement(found, DataCategory.IDENTITY)
    person = _persons_with_asylum_application(court_folder, 1)
    with pytest.raises(DisclosureRefused, match="data owner"):
        gate.disclose_records(found.recipient_ctx, agreement_id, person,
                              categories={DataCategory.IDENTITY},
                              purpose=Purpose.COMPLIANCE_AUDIT)
    _refused_with(guard_engine, "records_operator")


def test_a_record_disclosure_is_in_the_persons_accounting_of_disclosures(
        court_folder: Path, gate: SharingGate, records_party: Parties, guard_engine: Engine,
        guard_ledger: Ledger, sign_in: SignIn) -> None:
    found = records_party
    agreement_id = _records_agreement(found, DataCategory.IDENTITY)
    person = _persons_with_asylum_application(court_folder, 1)[0]
    sent = gate.disclose_records(found.owner_ctx, agreement_id, [person],
                                 categories={DataCategory.IDENTITY},
                                 purpose=Purpose.COMPLIANCE_AUDIT)
    guard = Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=TERMS_KEY,
                  clock=sign_in.clock)
    officer = _privacy_officer(sign_in, guard_engine, found)
    accounting = guard.disclosures(officer, person, purpose=Purpose.COMPLIANCE_AUDIT,
                                   justification=JUSTIFICATION)
    assert [e.detail["agreement_id"] for e in accounting] == [agreement_id]
    assert accounting[0].detail["recipient_user_id"] == found.recipient
    assert sent.recipient_user_id == found.recipient


def _privacy_officer(sign_in: SignIn, engine: Engine, found: Parties) -> SessionContext:
    officer = next(u for u in users_with_role(engine, Role.PRIVACY_OFFICER)
                   if u not in {found.recipient})
    return context_for(sign_in, officer)


def test_agreements_are_listed_with_their_status(found: Parties) -> None:
    agreement_id = in_force(found)
    listed = Agreements.of_recipient(found.agreements, found.recipient)
    assert [(a.agreement_id, a.status(TODAY)) for a in listed] == [(agreement_id, "in_force")]


def test_an_agreements_budget_is_shown_to_its_recipient_only(
        gate: SharingGate, found: Parties) -> None:
    agreement_id = in_force(found)
    assert [b.scope for b in gate.budgets(found.recipient, agreement_id)] == ["analyst",
                                                                            "agreement"]
    with pytest.raises(NotFound):
        gate.budgets(found.owner, agreement_id)


def test_concurrent_queries_cannot_both_spend_the_last_of_a_budget(
        gate: SharingGate, found: Parties) -> None:
    agreement_id = in_force(found, epsilon_budget=1.0, max_disclosures=10)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def ask() -> None:
        barrier.wait()
        try:
            gate.admit(found.recipient_ctx, _stats(agreement_id, epsilon=0.6))
            outcomes.append("admitted")
        except BudgetExhausted:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 -- SQLite may refuse a stale writer instead
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("admitted") == 1, outcomes
    spent = gate.budgets(found.recipient, agreement_id)[1].spent
    assert spent == pytest.approx(0.6)
