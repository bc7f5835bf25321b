"""The guard end to end on the synthetic court: decide, ledger, read, redact (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, create_engine, select, text

from casevault.access import PolicyEngine
from casevault.access.guard import Guard, ReviewOutcome
from casevault.access.policy import AccountState, RecordKind
from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.audit.verify import verify_ledger
from casevault.domain import Purpose, Role
from casevault.errors import (
    AccessDenied,
    InputError,
    JustificationRefused,
    LedgerUnavailable,
    NotFound,
    SearchRefused,
)
from casevault.store import reads, tables
from clear_values import clear_person

from .guard_helpers import (
    NOW,
    TERMS_KEY,
    FakeClock,
    SignIn,
    calendared_case,
    context_for,
    ledger_rows,
    unrelated_case,
    user_of_role,
)

PERSON_IDENTITY = {"person_id", "a_number", "family_name", "given_name", "other_names",
                   "date_of_birth", "sex", "nationality"}
PERSON_CONTACT = {"address", "city", "state", "postal_code", "phone", "email"}
REASON = "Hearing tomorrow requires interpreter details for this respondent urgently"


@pytest.fixture(scope="module")
def policy() -> PolicyEngine:
    return PolicyEngine.load()


@pytest.fixture
def clock(sign_in: SignIn) -> FakeClock:
    return sign_in.clock


@pytest.fixture
def guard(guard_engine: Engine, guard_ledger: Ledger, policy: PolicyEngine,
          clock: FakeClock) -> Guard:
    return Guard(guard_engine, guard_ledger, policy, terms_key=TERMS_KEY, clock=clock)


def test_assigned_judge_reads_the_whole_person_file_and_the_read_is_ledgered_first(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)

    answer = guard.person_file(judge, found.person_id, purpose=Purpose.ADJUDICATION)

    assert set(answer.value.person) == PERSON_IDENTITY | PERSON_CONTACT | {"language"}
    assert found.case_id in {view["case_id"] for view in answer.value.cases}
    [event] = ledger_rows(guard_engine)
    assert event["event_id"] == answer.event_id
    assert (event["action"], event["result"], event["user_id"], event["person_id"],
            event["purpose"]) == ("view", "permit", found.judge_id, found.person_id,
                                  "adjudication")
    assert event["record_count"] == answer.value.record_count
    assert "judge-adjudication-read" in str(event["policy_ids"])


def test_unrelated_user_is_refused_and_the_refusal_is_ledgered(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    judge_id = user_of_role(guard_engine, Role.JUDGE)
    case_id, person_id = unrelated_case(guard_engine, judge_id)
    judge = context_for(sign_in, judge_id)

    with pytest.raises(AccessDenied, match="no recorded relationship"):
        guard.person(judge, person_id, purpose=Purpose.ADJUDICATION)
    with pytest.raises(AccessDenied):
        guard.case_file(judge, case_id, purpose=Purpose.ADJUDICATION)

    events = ledger_rows(guard_engine)
    assert [(e["result"], e["user_id"]) for e in events] == [("deny", judge_id)] * 2
    assert events[0]["person_id"] == person_id
    assert events[1]["case_id"] == case_id


def test_dhs_counsel_gets_no_contact_family_or_asylum(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    sql = text("SELECT u.user_id, c.person_id FROM users u JOIN cases c "
               "ON c.court_code = u.office_code WHERE u.role = 'dhs_counsel' "
               "AND EXISTS (SELECT 1 FROM relatives r WHERE r.person_id = c.person_id) "
               "ORDER BY c.case_id LIMIT 1")
    with guard_engine.connect() as connection:
        counsel_id, person_id = connection.execute(sql).one()
    counsel = context_for(sign_in, counsel_id)

    answer = guard.person_file(counsel, person_id, purpose=Purpose.LITIGATION,
                               justification=REASON)

    assert set(answer.value.person) == PERSON_IDENTITY | {"language"}  # language: case info
    assert not set(answer.value.person) & PERSON_CONTACT  # absent, not None
    assert answer.value.relatives == ()
    assert answer.value.addresses == ()
    assert "asylum" not in answer.categories


def test_protection_case_type_and_applications_are_withheld_without_asylum(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    sql = text("SELECT c.case_id, u.user_id FROM cases c JOIN users u "
               "ON u.office_code = c.court_code WHERE u.role = 'dhs_counsel' "
               "AND EXISTS (SELECT 1 FROM applications a WHERE a.case_id = c.case_id) "
               "ORDER BY c.case_id")
    with guard_engine.connect() as connection:
        # Application kinds are sealed (asylum category): find one through the store.
        case_id, counsel_id, kinds = next(
            (case, counsel, found) for case, counsel in connection.execute(sql)
            if "asylum" in (found := [a.kind.value for a in reads.applications(connection,
                                                                               case)]))
    counsel = context_for(sign_in, counsel_id)

    litigation = guard.case_file(counsel, case_id, purpose=Purpose.LITIGATION,
                                 justification=REASON)
    appeal = guard.case_file(counsel, case_id, purpose=Purpose.APPEAL_REVIEW)

    protection = {"asylum", "withholding", "cat"}
    assert [v["kind"] for v in litigation.value.applications] == [
        k for k in kinds if k not in protection]
    assert sorted(v["kind"] for v in appeal.value.applications) == sorted(kinds)


def test_attorney_loses_access_the_day_the_representation_ends(
        guard_engine: Engine, guard_ledger: Ledger, policy: PolicyEngine, sign_in: SignIn) -> None:
    sql = text("SELECT r.case_id, r.attorney_id, r.started_on, r.ended_on FROM representations r "
               "JOIN users u ON u.user_id = r.attorney_id WHERE r.ended_on IS NOT NULL "
               "AND NOT EXISTS (SELECT 1 FROM representations o WHERE o.case_id = r.case_id "
               "AND o.attorney_id = r.attorney_id AND (o.ended_on IS NULL OR "
               "o.ended_on > r.ended_on)) ORDER BY r.case_id LIMIT 1")
    with guard_engine.connect() as connection:
        case_id, attorney_id, started, ended = connection.execute(sql).one()
    ended = ended if isinstance(ended, date) else date.fromisoformat(str(ended))
    day_before = FakeClock(NOW.replace(year=ended.year, month=ended.month, day=ended.day)
                           - timedelta(days=1))
    on_the_day = FakeClock(day_before.now + timedelta(days=1))
    attorney = context_for(sign_in, attorney_id)

    before = Guard(guard_engine, guard_ledger, policy, terms_key=TERMS_KEY,
                   clock=day_before)
    assert before.case(attorney, case_id, purpose=Purpose.REPRESENTATION).value["case_id"] == (
        case_id)
    after = Guard(guard_engine, guard_ledger, policy, terms_key=TERMS_KEY,
                  clock=on_the_day)
    with pytest.raises(AccessDenied):
        after.case(attorney, case_id, purpose=Purpose.REPRESENTATION)
    assert str(started) <= str(ended)


@pytest.mark.parametrize(("state", "trained", "mfa", "why"), [
    (AccountState.EXPIRED, True, True, "not active"),
    (AccountState.SUSPENDED, True, True, "not active"),
    (AccountState.ACTIVE, False, True, "training"),
    (AccountState.ACTIVE, True, False, "second factor"),
])
def test_unusable_accounts_are_refused_with_a_message_that_says_why(
        guard: Guard, guard_engine: Engine, state: AccountState, trained: bool, mfa: bool,
        why: str, sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id, account_state=state,
                        training_current=trained, mfa_verified=mfa)

    with pytest.raises(AccessDenied, match=why):
        guard.person(judge, found.person_id, purpose=Purpose.ADJUDICATION)
    assert [e["result"] for e in ledger_rows(guard_engine)] == ["deny"]


def test_outside_party_sees_no_record_level_data(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    advisor_id = user_of_role(guard_engine, Role.EXTERNAL_ADVISOR)
    advisor = context_for(sign_in, advisor_id,
                          purposes=frozenset({Purpose.STATISTICS, Purpose.COMPLIANCE_AUDIT}))
    found = calendared_case(guard_engine)

    for purpose in (Purpose.COMPLIANCE_AUDIT, Purpose.CASE_PROCESSING):
        with pytest.raises(AccessDenied, match="outside parties"):
            guard.case(advisor, found.case_id, purpose=purpose, justification=REASON)


def test_a_thin_justification_is_refused_and_logged(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    officer = context_for(sign_in, user_of_role(guard_engine, Role.PRIVACY_OFFICER))
    found = calendared_case(guard_engine)

    for thin in (None, "", "checking"):
        with pytest.raises(JustificationRefused):
            guard.person(officer, found.person_id, purpose=Purpose.COMPLIANCE_AUDIT,
                         justification=thin)
    answer = guard.person(officer, found.person_id, purpose=Purpose.COMPLIANCE_AUDIT,
                          justification=f"Audit ticket INC-2041 review of {found.case_id}")
    assert set(answer.value) == PERSON_IDENTITY | {"language"}
    assert [e["result"] for e in ledger_rows(guard_engine)] == ["deny"] * 3 + ["permit"]


def test_a_missing_record_is_a_recorded_look_up(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    officer = context_for(sign_in, user_of_role(guard_engine, Role.PRIVACY_OFFICER))
    with pytest.raises(NotFound):
        guard.person(officer, "P9999999", purpose=Purpose.COMPLIANCE_AUDIT,
                     justification="Audit ticket INC-2041 follow-up on a reported identifier")
    [event] = ledger_rows(guard_engine)
    assert (event["person_id"], event["record_count"]) == ("P9999999", 0)


def test_break_glass_opens_a_short_window_marked_in_the_ledger(
        guard: Guard, guard_engine: Engine, clock: FakeClock, sign_in: SignIn) -> None:
    clerk_id = user_of_role(guard_engine, Role.CLERK)
    case_id, person_id = unrelated_case(guard_engine, clerk_id)
    clerk = context_for(sign_in, clerk_id)
    with pytest.raises(AccessDenied):
        guard.person(clerk, person_id, purpose=Purpose.CASE_PROCESSING)
    with pytest.raises(JustificationRefused):
        guard.break_glass(clerk, RecordKind.PERSON, person_id, reason="urgent")

    grant = guard.break_glass(clerk, RecordKind.PERSON, person_id, reason=REASON)
    answer = guard.person(clerk, person_id, purpose=Purpose.CASE_PROCESSING)
    case_answer = guard.case(clerk, case_id, purpose=Purpose.CASE_PROCESSING)

    assert answer.break_glass and case_answer.break_glass
    assert answer.categories == {"identity", "contact", "case"}
    with guard_engine.connect() as connection:
        pending = connection.execute(select(tables.break_glass_grants.c.grant_id).where(
            tables.break_glass_grants.c.reviewed_at.is_(None))).scalars().all()
    assert pending == [grant.grant_id]
    events = ledger_rows(guard_engine)
    assert [(e["action"], e["result"]) for e in events] == [
        ("view", "deny"), ("break_glass", "deny"), ("break_glass", "permit"),
        ("break_glass", "permit"), ("break_glass", "permit")]
    assert grant.grant_id in str(events[-1]["detail"])

    clock.advance(timedelta(minutes=31))
    with pytest.raises(AccessDenied):
        guard.person(clerk, person_id, purpose=Purpose.CASE_PROCESSING)


def test_analysts_cannot_break_glass(guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    analyst = context_for(sign_in, user_of_role(guard_engine, Role.ANALYST))
    found = calendared_case(guard_engine)
    with pytest.raises(AccessDenied, match="Break-glass"):
        guard.break_glass(analyst, RecordKind.CASE, found.case_id, reason=REASON)


def test_the_ledger_written_by_guarded_reads_verifies(guard: Guard, guard_engine: Engine,
        guard_ledger: Ledger,
        sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    for _ in range(3):
        guard.case_file(judge, found.case_id, purpose=Purpose.ADJUDICATION)
    guard_ledger.issue_checkpoint()
    with guard_engine.connect() as connection:
        stored = connection.execute(text("SELECT COUNT(*) FROM ledger_events")).scalar_one()
    assert len(ledger_rows(guard_engine)) == 3
    assert verify_ledger(guard_engine, guard_ledger.verifier()).size == stored


@pytest.fixture
def unwritable_ledger(guard_engine: Engine, tmp_path_factory: pytest.TempPathFactory,
                      ) -> Iterator[Ledger]:
    """A ledger whose database refuses writes (a read-only connection): a real outage."""
    if guard_engine.dialect.name == "sqlite":
        path = guard_engine.url.database
        broken = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    else:
        broken = create_engine(
            guard_engine.url.set(query={"options": "-c default_transaction_read_only=on"}))
    log = Ledger(broken, signer=Signer.generate("casevault.test/broken"))
    yield log
    log.close()
    broken.dispose()


def test_reads_fail_closed_when_the_ledger_cannot_be_written(
        guard_engine: Engine, unwritable_ledger: Ledger, policy: PolicyEngine,
        sign_in: SignIn) -> None:
    guard = Guard(guard_engine, unwritable_ledger, policy, terms_key=TERMS_KEY,
                  clock=FakeClock())
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)

    with pytest.raises(LedgerUnavailable):
        guard.person_file(judge, found.person_id, purpose=Purpose.ADJUDICATION)
    assert ledger_rows(guard_engine) == []


# --- search ------------------------------------------------------------------------------

def _person_row(engine: Engine, person_id: str) -> dict[str, object]:
    found = clear_person(engine, person_id)
    return {"family_name": found.family_name, "given_name": found.given_name,
            "a_number": found.a_number}


def test_a_judge_finds_a_calendared_person_by_name_and_the_terms_stay_hashed(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    row = _person_row(guard_engine, found.person_id)

    result = guard.search_persons(judge, purpose=Purpose.ADJUDICATION, justification=REASON,
                                  family_name=str(row["family_name"]),
                                  given_name=str(row["given_name"]))

    assert found.person_id in {view["person_id"] for view in result.persons}
    assert all(set(view) <= PERSON_IDENTITY for view in result.persons)
    events = ledger_rows(guard_engine)
    assert {e["action"] for e in events} == {"search"}
    assert events[0]["query_hmac"] and found.person_id in str(events[0]["detail"])
    assert found.person_id in {e["person_id"] for e in events[1:]}
    stored = " ".join(str(value) for e in events for value in e.values())
    assert str(row["family_name"]) not in stored


def test_search_results_exclude_persons_the_user_has_no_part_in(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    judge_id = user_of_role(guard_engine, Role.JUDGE)
    _, person_id = unrelated_case(guard_engine, judge_id)
    judge = context_for(sign_in, judge_id)
    number = str(_person_row(guard_engine, person_id)["a_number"])

    result = guard.search_persons(judge, purpose=Purpose.ADJUDICATION, justification=REASON,
                                  a_number=number)
    assert result.persons == ()


@pytest.mark.parametrize("justification", [None, "", "work", "official business"])
def test_a_search_without_real_justification_is_refused_and_logged(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, justification: str | None) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    with pytest.raises(JustificationRefused):
        guard.search_persons(judge, purpose=Purpose.ADJUDICATION, justification=justification,
                             family_name="Garcia")
    assert [(e["action"], e["result"]) for e in ledger_rows(guard_engine)] == [
        ("search", "deny")]


def test_sequential_a_numbers_are_refused_as_enumeration_and_logged(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    start = 200_000_100
    with pytest.raises(SearchRefused, match="pattern"):
        for step in range(10):
            guard.search_persons(judge, purpose=Purpose.ADJUDICATION, justification=REASON,
                                 a_number=f"A{start + step}")
            sign_in.clock.advance(timedelta(seconds=5))
    results = [e["result"] for e in ledger_rows(guard_engine) if e["person_id"] is None]
    assert results[-1] == "deny" and "permit" in results


@pytest.mark.parametrize("terms", [{"family_name": "*"}, {"family_name": "%"},
                                   {"given_name": "Maria"}, {}])
def test_wildcard_and_unanchored_searches_are_refused(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, terms: dict[str, str]) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    with pytest.raises(SearchRefused):
        guard.search_persons(judge, purpose=Purpose.ADJUDICATION, justification=REASON, **terms)
    assert [e["result"] for e in ledger_rows(guard_engine)] == ["deny"]


def test_the_rate_limit_refuses_a_burst(guard: Guard, guard_engine: Engine,
                                        sign_in: SignIn) -> None:
    found = calendared_case(guard_engine)
    judge = context_for(sign_in, found.judge_id)
    row = _person_row(guard_engine, found.person_id)
    with pytest.raises(SearchRefused, match=r"(?i)limit|again"):
        for _ in range(40):
            guard.search_persons(judge, purpose=Purpose.ADJUDICATION,
                                 justification=f"Hearing of {found.case_id} today",
                                 family_name=str(row["family_name"]))


def test_analysts_cannot_search_at_all(guard: Guard, guard_engine: Engine,
                                       sign_in: SignIn) -> None:
    analyst = context_for(sign_in, user_of_role(guard_engine, Role.ANALYST))
    with pytest.raises(AccessDenied):
        guard.search_persons(analyst, purpose=Purpose.STATISTICS, justification=REASON,
                             family_name="Garcia")


def test_privacy_officers_review_break_glass_and_not_their_own(
        guard: Guard, guard_engine: Engine, sign_in: SignIn) -> None:
    clerk_id = user_of_role(guard_engine, Role.CLERK)
    case_id, _ = unrelated_case(guard_engine, clerk_id)
    grant = guard.break_glass(context_for(sign_in, clerk_id), RecordKind.CASE, case_id,
                              reason=REASON)
    officers = _users_of_role(guard_engine, "privacy_officer")[:2]
    first, second = (context_for(sign_in, officer) for officer in officers)
    own = guard.break_glass(first, RecordKind.CASE, case_id, reason=REASON)
    why = "Weekly break-glass review, ticket INC-5120"

    queue = guard.break_glass_reviews(first, justification=why)
    assert {item.grant_id for item in queue} == {grant.grant_id, own.grant_id}
    assert {item.user_id for item in queue} == {clerk_id, first.user_id}

    with pytest.raises(AccessDenied, match="own"):
        guard.review_break_glass(first, own.grant_id, outcome=ReviewOutcome.JUSTIFIED, note=why)
    guard.review_break_glass(first, grant.grant_id, outcome=ReviewOutcome.MISUSE, note=why)
    guard.review_break_glass(second, own.grant_id, outcome=ReviewOutcome.JUSTIFIED, note=why)
    with pytest.raises(InputError, match="already reviewed"):
        guard.review_break_glass(second, grant.grant_id, outcome=ReviewOutcome.JUSTIFIED,
                                 note=why)
    assert guard.break_glass_reviews(first, justification=why) == []
    everything = guard.break_glass_reviews(first, justification=why, pending_only=False)
    assert {(i.grant_id, i.review_outcome) for i in everything} == {
        (grant.grant_id, "misuse"), (own.grant_id, "justified")}


def test_a_clerk_cannot_see_the_review_queue(guard: Guard, guard_engine: Engine,
                                             sign_in: SignIn) -> None:
    clerk = context_for(sign_in, user_of_role(guard_engine, Role.CLERK))
    with pytest.raises(AccessDenied):
        guard.break_glass_reviews(clerk, justification="Weekly review, ticket INC-5120")


def _users_of_role(engine: Engine, role: str) -> list[str]:
    with engine.connect() as connection:
        return [str(u) for u in connection.execute(text(
            "SELECT user_id FROM users WHERE role = :r ORDER BY user_id"), {"r": role}).scalars()]
