"""Helpers of the guard's tests: find court rows with SQL, and a session context for a user.

Facts about the synthetic court (which judge hears which case, which attorney
represents whom) are read with plain SQL here, independently of the guard, so
that the guard's answers are checked against the records, not against itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, select, text

from casevault.access.accounts import Accounts
from casevault.access.identity import SessionContext
from casevault.access.sessions import Sessions
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose, Role
from casevault.store import tables

from .identities import NOW, FakeClock, services, signed_in

__all__ = ["NOW", "FakeClock"]

TERMS_KEY = bytes(range(32))
"""The key search terms are hashed under in tests (a production key comes from the key file)."""


@dataclass
class SignIn:
    """Real accounts and sessions on the test court, sharing one hand-moved clock."""

    accounts: Accounts
    sessions: Sessions
    clock: FakeClock
    signed: dict[str, SessionContext] = field(default_factory=dict)


def sign_in_services(engine: Engine, ledger: Ledger) -> SignIn:
    clock = FakeClock()
    accounts, sessions = services(engine, ledger, clock)
    return SignIn(accounts, sessions, clock)


def context_for(sign_in: SignIn, user_id: str, *, purposes: frozenset[Purpose] = frozenset(),
                **principal_changes: Any) -> SessionContext:
    """The context ``Sessions.authenticate`` gives ``user_id`` after a real sign-in.

    ``principal_changes`` replace attributes of the principal (account state,
    training, MFA) to put the guard in front of an account in that condition.
    """
    context = sign_in.signed.get(user_id)
    if context is None:
        _, context = signed_in(sign_in.accounts, sign_in.sessions, user_id,
                               purposes=purposes or (Purpose.STATISTICS,))
        sign_in.signed[user_id] = context
    if not principal_changes:
        return context
    return replace(context, principal=replace(context.principal, **principal_changes))


@dataclass(frozen=True)
class Calendared:
    judge_id: str
    case_id: str
    person_id: str


def calendared_case(engine: Engine) -> Calendared:
    """A judge and a case with a hearing on that judge's calendar."""
    sql = text("SELECT h.judge_user_id, c.case_id, c.person_id FROM hearings h "
               "JOIN cases c ON c.case_id = h.case_id WHERE h.judge_user_id IS NOT NULL "
               "ORDER BY c.case_id LIMIT 1")
    with engine.connect() as connection:
        judge_id, case_id, person_id = connection.execute(sql).one()
    return Calendared(judge_id, case_id, person_id)


def unrelated_case(engine: Engine, user_id: str) -> tuple[str, str]:
    """(case_id, person_id) of a case ``user_id`` has no part in: no hearing, another court."""
    sql = text(
        "SELECT c.case_id, c.person_id FROM cases c, users u WHERE u.user_id = :user "
        "AND c.court_code <> COALESCE(u.office_code, '') AND NOT EXISTS (SELECT 1 FROM hearings h "
        "JOIN cases c2 ON c2.case_id = h.case_id WHERE c2.person_id = c.person_id "
        "AND h.judge_user_id = :user) AND NOT EXISTS (SELECT 1 FROM representations r "
        "JOIN cases c3 ON c3.case_id = r.case_id WHERE c3.person_id = c.person_id "
        "AND r.attorney_id = :user) AND NOT EXISTS (SELECT 1 FROM assignments a "
        "JOIN cases c4 ON c4.case_id = a.case_id WHERE c4.person_id = c.person_id "
        "AND a.user_id = :user) ORDER BY c.case_id LIMIT 1")
    with engine.connect() as connection:
        case_id, person_id = connection.execute(sql, {"user": user_id}).one()
    return case_id, person_id


def user_of_role(engine: Engine, role: Role, *, office: str | None = None) -> str:
    query = select(tables.users.c.user_id).where(tables.users.c.role == role.value)
    if office is not None:
        query = query.where(tables.users.c.office_code == office)
    with engine.connect() as connection:
        return str(connection.execute(query.order_by(tables.users.c.user_id).limit(1))
                   .scalar_one())


SIGN_IN_ACTIONS = ("login", "login_failure", "mfa", "logout", "session_revoked",
                   "account_change")


def ledger_rows(engine: Engine) -> list[dict[str, object]]:
    """Stored ledger events about records (not sign-in or account changes), in log order."""
    events = tables.ledger_events
    with engine.connect() as connection:
        rows = connection.execute(select(events).where(events.c.action.not_in(SIGN_IN_ACTIONS))
                                  .order_by(events.c.seq)).mappings().all()
    return [dict(row) for row in rows]
