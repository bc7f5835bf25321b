"""Sign-in and sessions on the committed synthetic court, on SQLite and PostgreSQL.

Covers issue 4 item 1's acceptance: a revoked session cannot be reused, a
session presented from a second device is refused (and ended), repeated
failures lock an account, idle and absolute timeouts end sessions, a
suspension stops live sessions at once, and accounts that are expired,
untrained or without a second factor get a principal the real policy refuses.
Time only moves when a test moves the fake clock.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from casevault.access import PolicyEngine
from casevault.access.accounts import Accounts
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, AccountState, RecordKind
from casevault.access.relationships import relationships_to_case
from casevault.access.sessions import SIGN_IN_FAILED, Sessions
from casevault.audit.events import Action, Event, Result
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose, Role
from casevault.errors import AccessDenied, AuthenticationFailed, InvalidValue, SessionInvalid
from casevault.store import tables

from .identities import (
    PASSWORD,
    TOTP_STEP,
    FakeClock,
    approve,
    data_owner,
    login,
    services,
    signed_in,
    today,
    totp_code,
    totp_secret,
    user_with_role,
)


@pytest.fixture(scope="module")
def policy() -> PolicyEngine:
    return PolicyEngine.load()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def svc(guard_engine: Engine, guard_ledger: Ledger, clock: FakeClock) -> tuple[Accounts, Sessions]:
    return services(guard_engine, guard_ledger, clock)


@pytest.fixture
def judge(guard_engine: Engine) -> str:
    return user_with_role(guard_engine, Role.JUDGE)


def _events(ledger: Ledger, action: Action | None = None) -> list[Event]:
    return [e for e in ledger.events() if action is None or e.action is action]


def _reasons(ledger: Ledger, action: Action) -> list[str]:
    return [e.detail.get("reason", "") for e in _events(ledger, action)]


# --- signing in ---------------------------------------------------------------------------

def test_sign_in_gives_a_device_bound_session_and_ledgers_mfa_and_login(
        svc: tuple[Accounts, Sessions], guard_ledger: Ledger, guard_engine: Engine,
        judge: str) -> None:
    accounts, sessions = svc
    token, context = signed_in(accounts, sessions, judge, device_id="laptop-7")
    assert isinstance(context, SessionContext)
    assert (context.user_id, context.device_id, context.ip) == (judge, "laptop-7", "192.0.2.1")
    principal = context.principal
    assert principal.account_state is AccountState.ACTIVE
    assert principal.training_current and principal.mfa_verified
    assert not principal.outside_party and principal.approved_purposes == frozenset()
    mfa, logins = _events(guard_ledger, Action.MFA), _events(guard_ledger, Action.LOGIN)
    assert [(e.result, e.user_id, e.session_id) for e in mfa] == [
        (Result.PERMIT, judge, context.session_id)]
    assert [(e.result, e.user_id, e.session_id, e.device_id) for e in logins] == [
        (Result.PERMIT, judge, context.session_id, "laptop-7")]
    with guard_engine.connect() as connection:
        stored = connection.execute(select(tables.sessions)).one()._asdict()
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert token not in {str(v) for v in stored.values()}


def test_token_and_secrets_stay_out_of_reprs_and_the_ledger(
        svc: tuple[Accounts, Sessions], guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    approve(accounts, judge)
    signed = login(accounts, sessions, judge)
    secret = totp_secret(accounts, judge)
    assert signed.token not in repr(signed)
    leaves = b"".join(e.leaf() for e in guard_ledger.events()).decode()
    for value in (PASSWORD, secret, signed.token):
        assert value not in leaves


def test_every_failure_answers_the_same_message(
        svc: tuple[Accounts, Sessions], guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    approve(accounts, judge)
    attempts = [
        ("U-NO-SUCH-USER", PASSWORD, "000000"),
        (judge, "wrong password, long enough", totp_code(accounts, judge)),
        (judge, PASSWORD, None),
        (judge, PASSWORD, "12x456"),
    ]
    for user_id, password, code in attempts:
        with pytest.raises(AuthenticationFailed) as caught:
            sessions.login(user_id, password, code, device_id="device-1")
        assert str(caught.value) == SIGN_IN_FAILED
        assert password not in str(caught.value)
    assert _reasons(guard_ledger, Action.LOGIN_FAILURE) == [
        "unknown_user", "password", "code_missing", "code"]
    failures = _events(guard_ledger, Action.LOGIN_FAILURE)
    assert failures[0].user_id is None  # a mistyped secret in the user-id box is not kept
    assert [e.result for e in _events(guard_ledger, Action.MFA)] == [Result.DENY]


def test_roles_that_see_personal_data_must_give_a_code(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, judge: str) -> None:
    accounts, sessions = svc
    analyst = user_with_role(guard_engine, Role.ANALYST)
    for user_id in (judge, analyst):
        approve(accounts, user_id)
    with pytest.raises(AuthenticationFailed):
        login(accounts, sessions, judge, with_code=False)
    without = login(accounts, sessions, analyst, with_code=False)
    assert not without.mfa_verified
    context = sessions.authenticate(without.token, device_id="device-1")
    assert not context.principal.mfa_verified


def test_a_code_works_once(svc: tuple[Accounts, Sessions], clock: FakeClock,
                           judge: str) -> None:
    accounts, sessions = svc
    approve(accounts, judge)
    code = totp_code(accounts, judge)
    sessions.login(judge, PASSWORD, code, device_id="device-1")
    with pytest.raises(AuthenticationFailed):
        sessions.login(judge, PASSWORD, code, device_id="device-2")
    with pytest.raises(AuthenticationFailed):  # the previous step's code is older still
        sessions.login(judge, PASSWORD, totp_code(accounts, judge, offset=-1),
                       device_id="device-2")
    clock.advance(TOTP_STEP)
    assert login(accounts, sessions, judge, device_id="device-2").mfa_verified


def test_a_code_from_the_step_just_past_is_accepted(
        svc: tuple[Accounts, Sessions], judge: str) -> None:
    accounts, sessions = svc
    approve(accounts, judge)
    late = totp_code(accounts, judge, offset=-1)
    assert sessions.login(judge, PASSWORD, late, device_id="device-1").mfa_verified


def test_lock_out_after_repeated_failures_then_sign_in_again(
        guard_engine: Engine, guard_ledger: Ledger, clock: FakeClock, judge: str) -> None:
    accounts, sessions = services(guard_engine, guard_ledger, clock, max_failures=3,
                                  lockout=timedelta(minutes=15))
    approve(accounts, judge)
    for _ in range(3):
        with pytest.raises(AuthenticationFailed):
            sessions.login(judge, "not the password at all", totp_code(accounts, judge),
                           device_id="device-1")
    with pytest.raises(AuthenticationFailed) as caught:  # the right password, but locked
        login(accounts, sessions, judge)
    assert str(caught.value) == SIGN_IN_FAILED
    assert _reasons(guard_ledger, Action.LOGIN_FAILURE) == ["password"] * 3 + ["locked"]
    locks = [e for e in _events(guard_ledger, Action.ACCOUNT_CHANGE)
             if e.detail["change"] == "locked"]
    assert [e.detail["subject_user_id"] for e in locks] == [judge]
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(AuthenticationFailed):
        login(accounts, sessions, judge)
    clock.advance(timedelta(seconds=1))
    assert login(accounts, sessions, judge).mfa_verified
    with guard_engine.connect() as connection:
        failures = connection.execute(select(tables.accounts.c.failed_logins).where(
            tables.accounts.c.user_id == judge)).scalar_one()
    assert failures == 0


def test_a_success_resets_the_failure_count(
        guard_engine: Engine, guard_ledger: Ledger, clock: FakeClock, judge: str) -> None:
    accounts, sessions = services(guard_engine, guard_ledger, clock, max_failures=3)
    approve(accounts, judge)
    for _ in range(2):
        for _ in range(2):
            with pytest.raises(AuthenticationFailed):
                sessions.login(judge, "not the password at all", None, device_id="d")
        login(accounts, sessions, judge)
        clock.advance(TOTP_STEP)


def test_a_suspended_account_cannot_sign_in(svc: tuple[Accounts, Sessions],
                                            guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    approve(accounts, judge)
    accounts.suspend(judge, by=data_owner(accounts), reason="investigation")
    with pytest.raises(AuthenticationFailed):
        login(accounts, sessions, judge)
    assert _reasons(guard_ledger, Action.LOGIN_FAILURE) == ["suspended"]


def test_bad_device_ids_and_addresses_are_input_errors(svc: tuple[Accounts, Sessions],
                                                       judge: str) -> None:
    _, sessions = svc
    with pytest.raises(InvalidValue):
        sessions.login(judge, PASSWORD, None, device_id="")
    with pytest.raises(InvalidValue):
        sessions.login(judge, PASSWORD, None, device_id="x" * 65)
    with pytest.raises(InvalidValue):
        sessions.login(judge, PASSWORD, None, device_id="d", ip="not an address")


# --- using and ending sessions ------------------------------------------------------------

def test_a_revoked_session_cannot_be_reused(svc: tuple[Accounts, Sessions],
                                            guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    token, context = signed_in(accounts, sessions, judge)
    assert sessions.revoke(context.session_id, by=judge, reason="lost_device")
    assert not sessions.revoke(context.session_id, by=judge, reason="lost_device")
    with pytest.raises(SessionInvalid, match="Sign in again"):
        sessions.authenticate(token, device_id="device-1")
    revoked = _events(guard_ledger, Action.SESSION_REVOKED)
    assert [(e.session_id, e.detail["reason"]) for e in revoked] == [
        (context.session_id, "lost_device")]
    assert _reasons(guard_ledger, Action.LOGIN_FAILURE) == ["revoked"]


def test_logout_ends_the_session(svc: tuple[Accounts, Sessions], guard_ledger: Ledger,
                                 judge: str) -> None:
    accounts, sessions = svc
    token, context = signed_in(accounts, sessions, judge)
    sessions.logout(token)
    sessions.logout(token)  # already signed out: nothing more happens
    with pytest.raises(SessionInvalid):
        sessions.authenticate(token, device_id="device-1")
    assert [e.session_id for e in _events(guard_ledger, Action.LOGOUT)] == [context.session_id]
    with pytest.raises(SessionInvalid, match="not known"):
        sessions.logout("not-a-token")


def test_a_session_used_from_a_second_device_is_refused_and_ended(
        svc: tuple[Accounts, Sessions], guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    token, context = signed_in(accounts, sessions, judge, device_id="device-1")
    with pytest.raises(SessionInvalid, match="another device"):
        sessions.authenticate(token, device_id="device-2", ip="198.51.100.9")
    with pytest.raises(SessionInvalid):  # the thief's attempt ended it for the owner too
        sessions.authenticate(token, device_id="device-1")
    refused = _events(guard_ledger, Action.LOGIN_FAILURE)[0]
    assert (refused.session_id, refused.device_id, refused.ip, refused.detail["reason"]) == (
        context.session_id, "device-2", "198.51.100.9", "other_device")
    assert _reasons(guard_ledger, Action.SESSION_REVOKED) == ["other_device"]


def test_an_unknown_token_is_refused(svc: tuple[Accounts, Sessions]) -> None:
    _, sessions = svc
    with pytest.raises(SessionInvalid, match="not known"):
        sessions.authenticate("forged", device_id="device-1")


def test_idle_timeout(svc: tuple[Accounts, Sessions], clock: FakeClock,
                      guard_ledger: Ledger, judge: str) -> None:
    accounts, sessions = svc
    token, _ = signed_in(accounts, sessions, judge)
    for _ in range(3):  # use keeps it alive
        clock.advance(timedelta(minutes=29))
        sessions.authenticate(token, device_id="device-1")
    clock.advance(timedelta(minutes=30, seconds=1))
    with pytest.raises(SessionInvalid):
        sessions.authenticate(token, device_id="device-1")
    assert _reasons(guard_ledger, Action.SESSION_REVOKED) == ["idle"]


def test_absolute_timeout_ends_even_a_busy_session(
        svc: tuple[Accounts, Sessions], clock: FakeClock, guard_ledger: Ledger,
        judge: str) -> None:
    accounts, sessions = svc
    token, _ = signed_in(accounts, sessions, judge)
    for _ in range(12 * 3 - 1):
        clock.advance(timedelta(minutes=20))
        sessions.authenticate(token, device_id="device-1")
    clock.advance(timedelta(minutes=20))  # exactly 12 hours after sign-in
    with pytest.raises(SessionInvalid):
        sessions.authenticate(token, device_id="device-1")
    assert _reasons(guard_ledger, Action.SESSION_REVOKED) == ["expired"]


def test_last_seen_is_written_at_most_once_a_minute(
        svc: tuple[Accounts, Sessions], clock: FakeClock, guard_engine: Engine,
        judge: str) -> None:
    accounts, sessions = svc
    token, context = signed_in(accounts, sessions, judge)

    def last_seen() -> object:
        with guard_engine.connect() as connection:
            return connection.execute(select(tables.sessions.c.last_seen_at).where(
                tables.sessions.c.session_id == context.session_id)).scalar_one()

    first = last_seen()
    clock.advance(timedelta(seconds=59))
    sessions.authenticate(token, device_id="device-1")
    assert last_seen() == first
    clock.advance(timedelta(seconds=1))
    sessions.authenticate(token, device_id="device-1")
    assert last_seen() != first


def test_suspension_stops_live_sessions_at_once(
        svc: tuple[Accounts, Sessions], clock: FakeClock, guard_ledger: Ledger,
        judge: str) -> None:
    accounts, sessions = svc
    token1, context1 = signed_in(accounts, sessions, judge, device_id="device-1")
    clock.advance(TOTP_STEP)
    token2 = login(accounts, sessions, judge, device_id="device-2").token
    assert accounts.suspend(judge, by=data_owner(accounts), reason="investigation") == 2
    for token, device in ((token1, "device-1"), (token2, "device-2")):
        with pytest.raises(SessionInvalid):
            sessions.authenticate(token, device_id=device)
    revoked = _events(guard_ledger, Action.SESSION_REVOKED)
    assert len(revoked) == 2 and context1.session_id in {e.session_id for e in revoked}
    assert {e.detail["reason"] for e in revoked} == {"account_suspended"}


def test_the_account_state_is_checked_live_on_every_request(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, judge: str) -> None:
    accounts, sessions = svc
    token, _ = signed_in(accounts, sessions, judge)
    with guard_engine.begin() as connection:  # suspended without ending the sessions
        connection.execute(update(tables.accounts).where(tables.accounts.c.user_id == judge)
                           .values(state="suspended"))
    with pytest.raises(SessionInvalid, match="suspended"):
        sessions.authenticate(token, device_id="device-1")


def test_revoke_all_ends_every_session_of_a_user(
        svc: tuple[Accounts, Sessions], clock: FakeClock, judge: str) -> None:
    accounts, sessions = svc
    tokens = []
    for device in ("device-1", "device-2", "device-3"):
        tokens.append((signed_in(accounts, sessions, judge, device_id=device)[0], device))
        clock.advance(TOTP_STEP)
    assert sessions.revoke_all(judge, by=data_owner(accounts), reason="lost_device") == 3
    assert sessions.revoke_all(judge, by=judge, reason="lost_device") == 0
    for token, device in tokens:
        with pytest.raises(SessionInvalid):
            sessions.authenticate(token, device_id=device)


def test_only_the_owner_or_a_data_owner_may_revoke(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, guard_ledger: Ledger,
        judge: str) -> None:
    accounts, sessions = svc
    _, context = signed_in(accounts, sessions, judge)
    clerk = user_with_role(guard_engine, Role.CLERK)
    approve(accounts, clerk)
    with pytest.raises(AccessDenied, match="data owner"):
        sessions.revoke(context.session_id, by=clerk, reason="prank")
    with pytest.raises(AccessDenied):
        sessions.revoke_all(judge, by=clerk, reason="prank")
    with pytest.raises(InvalidValue, match="short code"):
        sessions.revoke(context.session_id, by=judge, reason="Left laptop on the train")
    denied = [e for e in _events(guard_ledger, Action.ACCOUNT_CHANGE) if e.result is Result.DENY]
    assert [(e.user_id, e.detail["subject_user_id"]) for e in denied] == [(clerk, judge)] * 2


# --- the principal the policy sees --------------------------------------------------------

def _calendared(engine: Engine) -> tuple[str, str]:
    hearings = tables.hearings
    with engine.connect() as connection:
        judge_id, case_id = connection.execute(
            select(hearings.c.judge_user_id, hearings.c.case_id)
            .where(hearings.c.judge_user_id.is_not(None))
            .order_by(hearings.c.case_id).limit(1)).one()
    return judge_id, case_id


def _decide(policy: PolicyEngine, engine: Engine, context: SessionContext, case_id: str,
            clock: FakeClock) -> AccessRequest:
    with engine.connect() as connection:
        related = relationships_to_case(connection, context.user_id, case_id, clock().date())
    return AccessRequest(principal=context.principal, action=AccessAction.VIEW,
                         kind=RecordKind.CASE, record_id=case_id, purpose=Purpose.ADJUDICATION,
                         at=clock(), device_id=context.device_id, relationships=related)


def test_a_usable_account_is_permitted_end_to_end(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    _, context = signed_in(accounts, sessions, judge_id)
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert decision.permitted, decision.reason


def test_an_expired_account_is_refused_by_the_policy(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    signed_in(accounts, sessions, judge_id)
    clock.advance(timedelta(days=90))  # the approval ran 90 days
    context = sessions.authenticate(
        login(accounts, sessions, judge_id).token, device_id="device-1")
    assert context.principal.account_state is AccountState.EXPIRED
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert not decision.permitted
    assert "forbid-account-not-active" in decision.policy_ids
    assert decision.reason is not None and "renew" in decision.reason


def test_an_untrained_account_is_refused_with_a_message_that_says_so(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    _, context = signed_in(accounts, sessions, judge_id, trained=False)
    assert not context.principal.training_current
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert not decision.permitted
    assert decision.reason is not None and "training" in decision.reason


def test_training_that_ran_out_is_refused(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    signed_in(accounts, sessions, judge_id, trained=False)
    accounts.attest_training(judge_id, valid_until=today(accounts), by=judge_id)
    clock.advance(timedelta(days=1))
    context = sessions.authenticate(login(accounts, sessions, judge_id).token,
                                    device_id="device-1")
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert "forbid-training-not-current" in decision.policy_ids


def test_a_session_without_a_second_factor_is_refused(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    signed_in(accounts, sessions, judge_id)
    without = accounts.principal(judge_id, mfa_verified=False)
    context = SessionContext("S-x", judge_id, "device-1", None, without)
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert not decision.permitted
    assert "forbid-mfa-not-verified" in decision.policy_ids
    analyst = user_with_role(guard_engine, Role.ANALYST)
    approve(accounts, analyst)
    accounts.attest_training(analyst, valid_until=today(accounts), by=analyst)
    signed = login(accounts, sessions, analyst, with_code=False)
    context = sessions.authenticate(signed.token, device_id="device-1")
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert "forbid-mfa-not-verified" in decision.policy_ids


def test_a_pending_account_signs_in_but_is_refused(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    judge_id, case_id = _calendared(guard_engine)
    accounts.enroll(judge_id, PASSWORD, by=judge_id)
    context = sessions.authenticate(login(accounts, sessions, judge_id).token,
                                    device_id="device-1")
    assert context.principal.account_state is AccountState.PENDING
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert "forbid-account-not-active" in decision.policy_ids


def test_an_outside_party_is_refused_records_whatever_its_purposes(
        svc: tuple[Accounts, Sessions], guard_engine: Engine, clock: FakeClock,
        policy: PolicyEngine) -> None:
    accounts, sessions = svc
    _, case_id = _calendared(guard_engine)
    advisor = user_with_role(guard_engine, Role.EXTERNAL_ADVISOR)
    _, context = signed_in(accounts, sessions, advisor,
                           purposes=(Purpose.STATISTICS, Purpose.COMPLIANCE_AUDIT))
    principal = context.principal
    assert principal.outside_party and principal.mfa_verified
    assert principal.approved_purposes == {Purpose.STATISTICS, Purpose.COMPLIANCE_AUDIT}
    decision = policy.decide(_decide(policy, guard_engine, context, case_id, clock))
    assert not decision.permitted
    assert "forbid-outside-party-records" in decision.policy_ids
    assert "forbid-outside-party-unapproved-purpose" in decision.policy_ids
