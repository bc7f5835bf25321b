"""Helpers of the console's tests: court rows found with SQL, real accounts, sign-in by form.

Accounts go through the real lifecycle (enrolment, a data owner's approval, a
training attestation) and sign in with real TOTP codes at the door's clock, so
a code is used once: a user who signs in twice needs the clock moved on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.domain import Purpose, Role
from clear_values import clear_person

PASSWORD = "console test passphrase, long enough"  # noqa: S105 -- a test account's password
HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
WHY = "Hearing preparation for ticket INC-6001"
OUTSIDE_ROLES = {Role.EXTERNAL_ADVISOR.value, Role.ANALYST.value}
RECORD_ACTIONS_ONLY = ("login", "login_failure", "mfa", "account_change", "logout",
                       "session_revoked")


class Clock:
    """The door's clock; tests move it (STYLE.md: time is a parameter)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def one(engine: Engine, sql: str, **params: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(sql), params).scalars().first())


def user_of(engine: Engine, role: str) -> str:
    return one(engine, "SELECT user_id FROM users WHERE role = :r ORDER BY user_id", r=role)


def account(door: Door, user_id: str) -> str:
    """An approved, trained account for ``user_id`` (made once); returns its TOTP secret."""
    owner = user_of(door.engine, "court_admin")
    today = door.accounts.clock().date()
    until = today + timedelta(days=60)
    if not _has_account(door.engine, owner):
        door.accounts.enroll(owner, PASSWORD, by=owner)
        door.accounts.bootstrap_owner(owner, by=owner, legal_basis="test", expires_on=until)
        door.accounts.attest_training(owner, valid_until=until, by=owner)
    if user_id == owner:
        return one(door.engine, "SELECT totp_secret FROM accounts WHERE user_id = :u",
                   u=owner)
    secret = door.accounts.enroll(user_id, PASSWORD, by=user_id).totp_secret
    role = one(door.engine, "SELECT role FROM users WHERE user_id = :u", u=user_id)
    purposes = (Purpose.STATISTICS,) if role in OUTSIDE_ROLES else ()
    door.accounts.approve(user_id, by=owner, purposes=purposes, legal_basis="test",
                          expires_on=until)
    door.accounts.attest_training(user_id, valid_until=until, by=user_id)
    return secret


def _has_account(engine: Engine, user_id: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1 FROM accounts WHERE user_id = :u"),
                                  {"u": user_id}).first() is not None


def code(door: Door, secret: str) -> str:
    return pyotp.TOTP(secret).at(door.accounts.clock())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, door: Door, user_id: str) -> str:
    """Sign ``client`` in as ``user_id`` through the form; returns the home page's CSRF token."""
    secret = account(door, user_id)
    form = client.get("/console/sign-in")
    response = client.post("/console/sign-in", data={
        "csrf": csrf_of(form.text), "user_id": user_id, "password": PASSWORD,
        "code": code(door, secret)})
    assert response.status_code == 200, response.text
    assert response.url.path == "/console/home"
    return csrf_of(response.text)


def session_context(door: Door, user_id: str, device: str = "test-device") -> SessionContext:
    """A signed-in session made directly (for arranging, e.g. someone's break-glass grant)."""
    secret = account(door, user_id)
    login = door.sessions.login(user_id, PASSWORD, code(door, secret), device_id=device)
    return door.authenticate(login.token, device_id=device)


def record_events(engine: Engine, result: str | None = None) -> int:
    """Ledger events about records (not sign-ins or account changes)."""
    sql = ("SELECT COUNT(*) FROM ledger_events WHERE action NOT IN "
           f"({', '.join(repr(a) for a in RECORD_ACTIONS_ONLY)})")
    if result is not None:
        sql += f" AND result = '{result}'"
    return int(one(engine, sql))


@dataclass(frozen=True)
class Calendared:
    judge_id: str
    case_id: str
    person_id: str
    a_number: str
    day: str


def calendared(engine: Engine) -> Calendared:
    """A judge's case with a hearing on their calendar, its person and the hearing's day."""
    sql = ("SELECT h.judge_user_id || '|' || c.case_id || '|' || c.person_id "
           "FROM hearings h JOIN cases c ON c.case_id = h.case_id "
           "WHERE h.judge_user_id IS NOT NULL ORDER BY c.case_id, h.scheduled_at")
    judge, case_id, person_id = one(engine, sql).split("|")
    a_number = str(clear_person(engine, person_id).a_number)  # sealed: read through the store
    day = one(engine, "SELECT scheduled_at FROM hearings WHERE case_id = :c AND "
              "judge_user_id = :j ORDER BY scheduled_at", c=case_id, j=judge)
    return Calendared(judge, case_id, person_id, a_number, str(day)[:10])
