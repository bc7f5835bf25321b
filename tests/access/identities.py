"""Helpers for tests that need real accounts and sessions on the synthetic court.

Users come from the court's ``users`` rows (read with SQL); nothing personal is
typed in here. Everything goes through the real ``Accounts`` and ``Sessions``:
enrolment, approval by a data owner of the court, a training attestation, a
sign-in with a real TOTP code at the services' clock, and ``authenticate``.

TOTP codes work once: a user who signs in twice needs the clock moved on by
``TOTP_STEP`` in between (``FakeClock.advance``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import Engine, or_, select

from casevault.access.accounts import Accounts, Enrollment
from casevault.access.identity import SessionContext
from casevault.access.policy import AccountState
from casevault.access.sessions import Login, Sessions
from casevault.audit.ledger import Ledger
from casevault.domain import Purpose, Role
from casevault.errors import NotFound
from casevault.store import tables

NOW: Final = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
"""Three weeks after the synthetic court's reference date."""
TODAY: Final = NOW.date()
TOTP_STEP: Final = timedelta(seconds=30)
PASSWORD: Final = "correct horse battery staple"  # noqa: S105 -- a test account's password
LEGAL_BASIS: Final = "Test approval on a synthetic court"
TEST_HASHER: Final = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
"""Still Argon2id, at a cost that keeps the suite fast (production uses RFC 9106's)."""
DATA_OWNER_ROLES: Final = (Role.COURT_ADMIN, Role.PRIVACY_OFFICER)


class FakeClock:
    """A clock the test moves by hand (STYLE.md: time is a parameter; tests never sleep)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def services(engine: Engine, ledger: Ledger, clock: FakeClock,
             **session_options: Any) -> tuple[Accounts, Sessions]:
    """Accounts and sessions on ``engine`` with the test clock and the test password hasher."""
    accounts = Accounts(engine, ledger, clock=clock, password_hasher=TEST_HASHER)
    return accounts, Sessions(engine, ledger, accounts, clock=clock, **session_options)


def today(accounts: Accounts) -> date:
    return accounts.clock().astimezone(UTC).date()


def users_with_role(engine: Engine, *roles: Role, on: date = TODAY) -> list[str]:
    """Ids of the court's users in ``roles`` in the directory on day ``on``, in id order."""
    users = tables.users
    with engine.connect() as connection:
        rows = connection.execute(
            select(users.c.user_id)
            .where(users.c.role.in_([r.value for r in roles]), users.c.active_from <= on,
                   or_(users.c.active_to.is_(None), users.c.active_to >= on))
            .order_by(users.c.user_id))
        return [user_id for (user_id,) in rows]


def user_with_role(engine: Engine, role: Role, *, index: int = 0) -> str:
    """The ``index``-th user in ``role`` in the directory at ``NOW``."""
    return users_with_role(engine, role)[index]


def has_account(accounts: Accounts, user_id: str) -> bool:
    try:
        accounts.principal(user_id, mfa_verified=False)
    except NotFound:
        return False
    return True


def is_active(accounts: Accounts, user_id: str) -> bool:
    try:
        principal = accounts.principal(user_id, mfa_verified=False)
    except NotFound:
        return False
    return principal.account_state is AccountState.ACTIVE


def enroll(accounts: Accounts, user_id: str) -> Enrollment | None:
    """Enrol ``user_id`` (by themselves) with ``PASSWORD``; None if they already have an account."""
    if has_account(accounts, user_id):
        return None
    return accounts.enroll(user_id, PASSWORD, by=user_id)


def data_owner(accounts: Accounts, *, other_than: str | None = None) -> str:
    """An active data owner of the court other than ``other_than``, made active if need be.

    The first one is bootstrapped (only possible while the installation has no
    approval); later ones are approved by an active one.
    """
    candidates = users_with_role(accounts.engine, *DATA_OWNER_ROLES, on=today(accounts))
    active = [u for u in candidates if is_active(accounts, u)]
    found = next((u for u in active if u != other_than), None)
    if found is not None:
        return found
    chosen = next(u for u in candidates if u != other_than and u not in active)
    enroll(accounts, chosen)
    expires_on = today(accounts) + timedelta(days=365)  # staff approvals run up to a year
    if active:
        accounts.approve(chosen, by=active[0], purposes=(), legal_basis=LEGAL_BASIS,
                         expires_on=expires_on)
    else:
        accounts.bootstrap_owner(chosen, by=chosen, legal_basis=LEGAL_BASIS,
                                 expires_on=expires_on)
    return chosen


def approve(accounts: Accounts, user_id: str, *, approver_id: str | None = None,
            purposes: Iterable[Purpose] = (Purpose.STATISTICS,),
            expires_in: timedelta = timedelta(days=90)) -> str:
    """Approve ``user_id``'s account (enrolling it first if needed); returns the approval id."""
    enroll(accounts, user_id)
    approver = approver_id or data_owner(accounts, other_than=user_id)
    if not is_active(accounts, approver):
        enroll(accounts, approver)
        approve(accounts, approver, approver_id=data_owner(accounts, other_than=approver))
    return accounts.approve(user_id, by=approver, purposes=purposes, legal_basis=LEGAL_BASIS,
                            expires_on=today(accounts) + expires_in)


def totp_secret(accounts: Accounts, user_id: str) -> str:
    with accounts.engine.connect() as connection:
        secret: str = connection.execute(
            select(tables.accounts.c.totp_secret)
            .where(tables.accounts.c.user_id == user_id)).scalar_one()
    return secret


def totp_code(accounts: Accounts, user_id: str, *, offset: int = 0) -> str:
    """The user's authenticator code at the services' clock (``offset`` steps away)."""
    return pyotp.TOTP(totp_secret(accounts, user_id)).at(accounts.clock(),
                                                         counter_offset=offset)


def login(accounts: Accounts, sessions: Sessions, user_id: str, *,
          device_id: str = "device-1", with_code: bool = True) -> Login:
    """Sign in with ``PASSWORD`` and, unless ``with_code`` is False, the current code."""
    code = totp_code(accounts, user_id) if with_code else None
    return sessions.login(user_id, PASSWORD, code, device_id=device_id, ip="192.0.2.1")


def signed_in(accounts: Accounts, sessions: Sessions, user_id: str, *,
              device_id: str = "device-1", approver_id: str | None = None,
              purposes: Iterable[Purpose] = (Purpose.STATISTICS,), trained: bool = True,
              ) -> tuple[str, SessionContext]:
    """Enrol, approve, attest training, sign in with a real TOTP code and authenticate.

    Returns the bearer token and the session context ``authenticate`` gave. The
    approver is ``approver_id`` or a data owner of the court (made active if
    need be). ``purposes`` matter for outside parties only.
    """
    approve(accounts, user_id, approver_id=approver_id, purposes=purposes)
    if trained:
        accounts.attest_training(user_id, valid_until=today(accounts) + timedelta(days=365),
                                 by=user_id)
    signed = login(accounts, sessions, user_id, device_id=device_id)
    return signed.token, sessions.authenticate(signed.token, device_id=device_id,
                                               ip="192.0.2.1")
