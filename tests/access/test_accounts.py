"""The account lifecycle on the committed synthetic court, on SQLite and PostgreSQL.

Pending → active → suspended / expired; approval by a data owner (never oneself),
outside parties limited to 90 days and to listed purposes, training
attestations, periodic recertification with lapsing; every change and every
refused change in the ledger, with ids only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from casevault.access._records import is_outside_party
from casevault.access.accounts import (
    OUTSIDE_PARTY_MAX_DAYS,
    REVIEW_INTERVAL_DAYS,
    STAFF_MAX_DAYS,
    Accounts,
)
from casevault.access.policy import AccountState
from casevault.access.sessions import Sessions
from casevault.audit.events import Action, Event, Result
from casevault.audit.ledger import Ledger
from casevault.domain import Agency, Purpose, Role
from casevault.errors import AccessDenied, InputError, InvalidValue, NotFound
from casevault.store import tables

from .identities import (
    LEGAL_BASIS,
    PASSWORD,
    FakeClock,
    approve,
    data_owner,
    enroll,
    services,
    signed_in,
    today,
    user_with_role,
    users_with_role,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(guard_engine: Engine, guard_ledger: Ledger, clock: FakeClock) -> tuple[Accounts, Sessions]:
    return services(guard_engine, guard_ledger, clock)


@pytest.fixture
def accounts(svc: tuple[Accounts, Sessions]) -> Accounts:
    return svc[0]


def _changes(ledger: Ledger, result: Result = Result.PERMIT) -> list[tuple[str, str]]:
    return [(e.detail["change"], e.detail["subject_user_id"]) for e in _account_events(ledger)
            if e.result is result]


def _account_events(ledger: Ledger) -> list[Event]:
    return [e for e in ledger.events() if e.action is Action.ACCOUNT_CHANGE]


def _state(accounts: Accounts, user_id: str) -> AccountState:
    return accounts.principal(user_id, mfa_verified=True).account_state


# --- who is an outside party --------------------------------------------------------------

@pytest.mark.parametrize(("role", "agency", "outside"), [
    (Role.EXTERNAL_ADVISOR, Agency.OTHER, True),
    (Role.EXTERNAL_ADVISOR, Agency.EOIR, True),
    (Role.ANALYST, Agency.USCIS, True),
    (Role.CLERK, Agency.PRIVATE, True),   # a contractor
    (Role.ANALYST, Agency.OTHER, True),
    (Role.JUDGE, Agency.EOIR, False),
    (Role.ANALYST, Agency.EOIR, False),
    (Role.PRIVACY_OFFICER, Agency.EOIR, False),
    (Role.ATTORNEY, Agency.PRIVATE, False),  # a party to the cases, bound by relationships
    (Role.DHS_COUNSEL, Agency.ICE, False),
])
def test_outside_parties(role: Role, agency: Agency, outside: bool) -> None:
    assert is_outside_party(role, agency) is outside


# --- enrolment ----------------------------------------------------------------------------

def test_enrolment_makes_a_pending_account_with_an_argon2id_hash(
        accounts: Accounts, guard_engine: Engine, guard_ledger: Ledger) -> None:
    judge = user_with_role(guard_engine, Role.JUDGE)
    enrollment = accounts.enroll(judge, PASSWORD, by=judge)
    assert enrollment.user_id == judge
    assert enrollment.totp_secret not in repr(enrollment)
    assert enrollment.provisioning_uri.startswith("otpauth://totp/casevault:")
    assert judge in enrollment.provisioning_uri
    assert _state(accounts, judge) is AccountState.PENDING
    with guard_engine.connect() as connection:
        row = connection.execute(select(tables.accounts).where(
            tables.accounts.c.user_id == judge)).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert (row.failed_logins, row.outside_party) == (0, False)
    assert _changes(guard_ledger) == [("enrolled", judge)]


def test_enrolment_refusals(accounts: Accounts, guard_engine: Engine,
                            guard_ledger: Ledger) -> None:
    judge, other = users_with_role(guard_engine, Role.JUDGE)[:2]
    short = "hunter2"
    with pytest.raises(InvalidValue, match="at least 12") as caught:
        accounts.enroll(judge, short, by=judge)
    assert short not in str(caught.value)
    with pytest.raises(NotFound):
        accounts.enroll("U-NOBODY", PASSWORD, by="U-NOBODY")
    with pytest.raises(AccessDenied, match="data owner"):
        accounts.enroll(judge, PASSWORD, by=other)
    assert _changes(guard_ledger, Result.DENY) == [("enrolled", judge)]
    accounts.enroll(judge, PASSWORD, by=judge)
    with pytest.raises(InputError, match="already has an account"):
        accounts.enroll(judge, PASSWORD, by=judge)


def test_the_directory_entry_bounds_the_account(accounts: Accounts, guard_engine: Engine,
                                                clock: FakeClock) -> None:
    users = tables.users
    start = clock.now
    with guard_engine.connect() as connection:
        leaver, last_day = connection.execute(
            select(users.c.user_id, users.c.active_to)
            .where(users.c.active_to >= today(accounts))
            .order_by(users.c.active_to).limit(1)).one()
    assert (last_day - today(accounts)).days < OUTSIDE_PARTY_MAX_DAYS
    day_after = datetime.combine(last_day + timedelta(days=1), start.timetz())
    clock.now = day_after
    with pytest.raises(InputError, match="not in the directory"):
        accounts.enroll(leaver, PASSWORD, by=leaver)
    clock.now = start
    approve(accounts, leaver, purposes=[Purpose.STATISTICS],
            expires_in=timedelta(days=OUTSIDE_PARTY_MAX_DAYS))
    clock.now = datetime.combine(last_day, start.timetz())
    assert _state(accounts, leaver) is AccountState.ACTIVE  # the last day is included
    clock.now = day_after
    assert _state(accounts, leaver) is AccountState.EXPIRED


# --- approvals ----------------------------------------------------------------------------

def test_the_first_data_owner_is_bootstrapped_once(accounts: Accounts, guard_engine: Engine,
                                                   guard_ledger: Ledger) -> None:
    admin, second = users_with_role(guard_engine, Role.COURT_ADMIN)[:2]
    judge = user_with_role(guard_engine, Role.JUDGE)
    for user_id in (admin, second, judge):
        enroll(accounts, user_id)
    expires_on = today(accounts) + timedelta(days=30)
    with pytest.raises(InputError, match="data owner"):
        accounts.bootstrap_owner(judge, by=judge, legal_basis=LEGAL_BASIS, expires_on=expires_on)
    accounts.bootstrap_owner(admin, by=admin, legal_basis=LEGAL_BASIS, expires_on=expires_on)
    assert _state(accounts, admin) is AccountState.ACTIVE
    with pytest.raises(InputError, match="already has approved accounts"):
        accounts.bootstrap_owner(second, by=second, legal_basis=LEGAL_BASIS,
                                 expires_on=expires_on)
    assert ("bootstrapped", admin) in _changes(guard_ledger)


def test_approval_needs_an_active_data_owner_other_than_oneself(
        accounts: Accounts, guard_engine: Engine, guard_ledger: Ledger) -> None:
    owner = data_owner(accounts)
    clerk = user_with_role(guard_engine, Role.CLERK)
    judge = user_with_role(guard_engine, Role.JUDGE)
    approve(accounts, clerk)
    enroll(accounts, judge)
    terms = {"purposes": (), "legal_basis": LEGAL_BASIS,
             "expires_on": today(accounts) + timedelta(days=30)}
    with pytest.raises(AccessDenied, match="data owner"):
        accounts.approve(judge, by=clerk, **terms)  # type: ignore[arg-type]
    with pytest.raises(AccessDenied, match="own account"):
        accounts.approve(owner, by=owner, **terms)  # type: ignore[arg-type]
    assert _changes(guard_ledger, Result.DENY) == [("approved", judge), ("approved", owner)]
    assert _state(accounts, judge) is AccountState.PENDING
    accounts.approve(judge, by=owner, **terms)  # type: ignore[arg-type]
    assert _state(accounts, judge) is AccountState.ACTIVE


def test_outside_parties_are_time_boxed_and_purpose_bound(
        accounts: Accounts, guard_engine: Engine, guard_ledger: Ledger) -> None:
    owner = data_owner(accounts)
    advisor = user_with_role(guard_engine, Role.EXTERNAL_ADVISOR)
    enroll(accounts, advisor)
    day = today(accounts)
    with pytest.raises(InvalidValue, match="at most 90 days"):
        accounts.approve(advisor, by=owner, purposes=[Purpose.STATISTICS],
                         legal_basis=LEGAL_BASIS,
                         expires_on=day + timedelta(days=OUTSIDE_PARTY_MAX_DAYS + 1))
    with pytest.raises(InvalidValue, match="purposes"):
        accounts.approve(advisor, by=owner, purposes=[], legal_basis=LEGAL_BASIS,
                         expires_on=day + timedelta(days=30))
    with pytest.raises(InvalidValue, match="legal basis"):
        accounts.approve(advisor, by=owner, purposes=[Purpose.STATISTICS], legal_basis="  ",
                         expires_on=day + timedelta(days=30))
    with pytest.raises(InvalidValue, match="after today"):
        accounts.approve(advisor, by=owner, purposes=[Purpose.STATISTICS],
                         legal_basis=LEGAL_BASIS, expires_on=day)
    approval_id = accounts.approve(
        advisor, by=owner, purposes=[Purpose.STATISTICS], legal_basis="Data-sharing agreement 7",
        expires_on=day + timedelta(days=OUTSIDE_PARTY_MAX_DAYS))
    principal = accounts.principal(advisor, mfa_verified=True)
    assert principal.outside_party and principal.approved_purposes == {Purpose.STATISTICS}
    event = next(e for e in _account_events(guard_ledger) if e.detail["change"] == "approved")
    assert event.user_id == owner
    assert event.detail == {
        "change": "approved", "subject_user_id": advisor, "approval_id": approval_id,
        "purposes": "statistics", "legal_basis": "Data-sharing agreement 7",
        "expires_on": (day + timedelta(days=90)).isoformat(),
        "review_due_on": (day + timedelta(days=90)).isoformat()}


def test_staff_approvals_run_up_to_a_year_and_are_reviewed_every_90_days(
        accounts: Accounts, guard_engine: Engine) -> None:
    owner = data_owner(accounts)
    judge = user_with_role(guard_engine, Role.JUDGE)
    enroll(accounts, judge)
    day = today(accounts)
    with pytest.raises(InvalidValue, match="at most 365 days"):
        accounts.approve(judge, by=owner, purposes=[], legal_basis=LEGAL_BASIS,
                         expires_on=day + timedelta(days=STAFF_MAX_DAYS + 1))
    approval_id = accounts.approve(judge, by=owner, purposes=[], legal_basis=LEGAL_BASIS,
                                   expires_on=day + timedelta(days=STAFF_MAX_DAYS))
    principal = accounts.principal(judge, mfa_verified=True)
    assert principal.approved_purposes == frozenset()  # staff are bound by policy, not a list
    with accounts.engine.connect() as connection:
        due = connection.execute(select(tables.account_approvals.c.review_due_on).where(
            tables.account_approvals.c.approval_id == approval_id)).scalar_one()
    assert due == day + timedelta(days=REVIEW_INTERVAL_DAYS)


def test_an_approval_expires_and_renewal_brings_the_account_back(
        accounts: Accounts, guard_engine: Engine, clock: FakeClock,
        guard_ledger: Ledger) -> None:
    advisor = user_with_role(guard_engine, Role.EXTERNAL_ADVISOR)
    approve(accounts, advisor, purposes=[Purpose.STATISTICS], expires_in=timedelta(days=10))
    clock.advance(timedelta(days=9))
    assert _state(accounts, advisor) is AccountState.ACTIVE
    clock.advance(timedelta(days=1))  # the expiry day itself is not covered
    assert _state(accounts, advisor) is AccountState.EXPIRED
    owner = data_owner(accounts, other_than=advisor)
    accounts.renew(advisor, by=owner, expires_on=today(accounts) + timedelta(days=20))
    principal = accounts.principal(advisor, mfa_verified=True)
    assert principal.account_state is AccountState.ACTIVE
    assert principal.approved_purposes == {Purpose.STATISTICS}  # kept from the last approval
    assert ("renewed", advisor) in _changes(guard_ledger)


def test_renewal_supersedes_the_current_approval(accounts: Accounts,
                                                 guard_engine: Engine) -> None:
    judge = user_with_role(guard_engine, Role.JUDGE)
    first = approve(accounts, judge)
    owner = data_owner(accounts, other_than=judge)
    second = accounts.renew(judge, by=owner, expires_on=today(accounts) + timedelta(days=200))
    with accounts.engine.connect() as connection:
        rows = dict(connection.execute(select(tables.account_approvals.c.approval_id,
                                              tables.account_approvals.c.end_reason)).all())
    assert rows[first] == "superseded" and rows[second] is None
    clerk = user_with_role(guard_engine, Role.CLERK)
    enroll(accounts, clerk)
    with pytest.raises(InputError, match="never approved"):
        accounts.renew(clerk, by=owner, expires_on=today(accounts) + timedelta(days=20))


# --- suspension ---------------------------------------------------------------------------

def test_suspend_and_reinstate(svc: tuple[Accounts, Sessions], guard_engine: Engine,
                               guard_ledger: Ledger) -> None:
    accounts, sessions = svc
    judge = user_with_role(guard_engine, Role.JUDGE)
    signed_in(accounts, sessions, judge)
    owner = data_owner(accounts, other_than=judge)
    assert accounts.suspend(judge, by=owner, reason="investigation") == 1
    assert _state(accounts, judge) is AccountState.SUSPENDED
    with pytest.raises(InputError, match="already suspended"):
        accounts.suspend(judge, by=owner, reason="investigation")
    with pytest.raises(InputError, match="reinstate it first"):
        accounts.renew(judge, by=owner, expires_on=today(accounts) + timedelta(days=5))
    with pytest.raises(InvalidValue):
        accounts.reinstate(judge, by=owner, reason="cleared by HR on 3 May")
    assert accounts.reinstate(judge, by=owner, reason="cleared") is AccountState.ACTIVE
    assert _changes(guard_ledger)[-2:] == [("suspended", judge), ("reinstated", judge)]
    with pytest.raises(InputError, match="not suspended"):
        accounts.reinstate(judge, by=owner, reason="cleared")


def test_a_data_owner_cannot_reinstate_themselves(accounts: Accounts) -> None:
    owner = data_owner(accounts)
    second = data_owner(accounts, other_than=owner)
    accounts.suspend(owner, by=owner, reason="self_report")  # removing access is always allowed
    with pytest.raises(AccessDenied):
        accounts.reinstate(owner, by=owner, reason="cleared")
    accounts.reinstate(owner, by=second, reason="cleared")


def test_a_pending_account_reinstated_stays_pending(accounts: Accounts,
                                                    guard_engine: Engine) -> None:
    clerk = user_with_role(guard_engine, Role.CLERK)
    enroll(accounts, clerk)
    owner = data_owner(accounts)
    accounts.suspend(clerk, by=owner, reason="duplicate")
    assert accounts.reinstate(clerk, by=owner, reason="cleared") is AccountState.PENDING


# --- training -----------------------------------------------------------------------------

def test_training_attestation(accounts: Accounts, guard_engine: Engine, clock: FakeClock,
                              guard_ledger: Ledger) -> None:
    judge, other = users_with_role(guard_engine, Role.JUDGE)[:2]
    approve(accounts, judge)
    assert not accounts.principal(judge, mfa_verified=True).training_current
    with pytest.raises(InvalidValue, match="at most 366 days"):
        accounts.attest_training(judge, valid_until=today(accounts) + timedelta(days=367),
                                 by=judge)
    with pytest.raises(AccessDenied):
        accounts.attest_training(judge, valid_until=today(accounts), by=other)
    accounts.attest_training(judge, valid_until=today(accounts) + timedelta(days=2), by=judge)
    clock.advance(timedelta(days=2))
    assert accounts.principal(judge, mfa_verified=True).training_current
    clock.advance(timedelta(days=1))
    assert not accounts.principal(judge, mfa_verified=True).training_current
    assert ("training_attested", judge) in _changes(guard_ledger)


def test_principal_reads_on_a_given_connection(accounts: Accounts, guard_engine: Engine) -> None:
    judge = user_with_role(guard_engine, Role.JUDGE)
    approve(accounts, judge)
    with guard_engine.connect() as connection:
        principal = accounts.principal(judge, mfa_verified=False, connection=connection)
    assert (principal.user_id, principal.role, principal.agency) == (judge, Role.JUDGE,
                                                                     Agency.EOIR)
    with pytest.raises(NotFound):
        accounts.principal("U-NOBODY", mfa_verified=False)


# --- recertification ----------------------------------------------------------------------

def test_review_lists_keeps_ends_and_lapses(accounts: Accounts, guard_engine: Engine,
                                            clock: FakeClock, guard_ledger: Ledger) -> None:
    owner = data_owner(accounts)
    second_owner = data_owner(accounts, other_than=owner)
    judges = users_with_role(guard_engine, Role.JUDGE)[:3]
    approvals = {judge: approve(accounts, judge, approver_id=owner,
                                expires_in=timedelta(days=300)) for judge in judges}
    start = today(accounts)
    assert accounts.due_for_review(start + timedelta(days=89)) == []
    due_day = start + timedelta(days=REVIEW_INTERVAL_DAYS)
    due = accounts.due_for_review(due_day)
    assert {item.approval_id for item in due} >= set(approvals.values())
    item = next(i for i in due if i.user_id == judges[0])
    assert (item.role, item.account_state, item.approved_by, item.review_due_on) == (
        Role.JUDGE, AccountState.ACTIVE, owner, due_day)
    clock.now = clock.now + (due_day - start)
    with pytest.raises(AccessDenied):
        accounts.review(approvals[judges[0]], by=judges[1], keep=True)
    accounts.review(approvals[judges[0]], by=owner, keep=True)
    accounts.review(approvals[judges[1]], by=owner, keep=False)
    assert _state(accounts, judges[1]) is AccountState.EXPIRED
    later = due_day + timedelta(days=1)
    lapsed = accounts.lapse_unreviewed(later, by=second_owner)
    assert approvals[judges[2]] in lapsed and approvals[judges[0]] not in lapsed
    assert _state(accounts, judges[2]) is AccountState.EXPIRED
    assert _state(accounts, judges[0]) is AccountState.ACTIVE
    kept = next(i for i in accounts.due_for_review(due_day + timedelta(days=90))
                if i.user_id == judges[0])
    assert kept.reviewed_at is not None
    changes = _changes(guard_ledger)
    assert ("review_kept", judges[0]) in changes and ("review_ended", judges[1]) in changes
    assert ("approval_lapsed", judges[2]) in changes
    with pytest.raises(InputError, match="no current approval"):
        accounts.review(approvals[judges[1]], by=owner, keep=True)


def test_no_personal_data_reaches_the_ledger(svc: tuple[Accounts, Sessions],
                                             guard_engine: Engine,
                                             guard_ledger: Ledger) -> None:
    accounts, sessions = svc
    judge = user_with_role(guard_engine, Role.JUDGE)
    signed_in(accounts, sessions, judge)
    with guard_engine.connect() as connection:
        row = connection.execute(select(tables.users).where(
            tables.users.c.user_id == judge)).one()
        secret = connection.execute(select(tables.accounts.c.totp_secret).where(
            tables.accounts.c.user_id == judge)).scalar_one()
    leaves = b"".join(e.leaf() for e in guard_ledger.events()).decode()
    for value in (row.family_name, row.given_name, row.email, row.phone, PASSWORD, secret):
        if value:
            assert value not in leaves
