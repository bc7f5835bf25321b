"""Demo sign-ins for a synthetic court: one active account per role, made the real way.

``casevault demo`` prints these so that a newcomer can sign in at once. Each
account goes through the same lifecycle as any other (enrolment, approval by a
data owner, training attestation), and each role that sees personal data has its
own TOTP secret. The password is random per demo run; nothing here is a default
credential that could survive into a real installation.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Final

from sqlalchemy import Engine, text

from casevault.access.accounts import Accounts
from casevault.domain import Purpose, Role
from casevault.store.respondents import add_respondent_user

DEMO_ROLES: Final = (Role.COURT_ADMIN, Role.JUDGE, Role.CLERK, Role.ATTORNEY, Role.DHS_COUNSEL,
                     Role.PRIVACY_OFFICER, Role.ANALYST)
DEMO_DAYS: Final = 30


@dataclass(frozen=True, slots=True)
class DemoLogin:
    user_id: str
    role: Role
    totp_secret: str


def demo_password() -> str:
    """A fresh random password shared by this demo's accounts (printed once, with them)."""
    return secrets.token_urlsafe(12)


def create_demo_accounts(engine: Engine, accounts: Accounts, password: str) -> list[DemoLogin]:
    """One approved, trained account per role in ``DEMO_ROLES`` (the court admin owns data)."""
    chosen = {role: _first_user(engine, role) for role in DEMO_ROLES}
    owner = chosen[Role.COURT_ADMIN]
    today = accounts.clock().astimezone(UTC).date()
    until = today + timedelta(days=DEMO_DAYS)
    logins = []
    for role, user_id in chosen.items():
        enrollment = accounts.enroll(user_id, password, by=user_id)
        if user_id == owner:
            accounts.bootstrap_owner(owner, by=owner, legal_basis="Demo court administrator",
                                     expires_on=until)
        else:
            purposes = (Purpose.STATISTICS,) if role is Role.ANALYST else ()
            accounts.approve(user_id, by=owner, purposes=purposes,
                             legal_basis=f"Demo {role.value} account", expires_on=until)
        accounts.attest_training(user_id, valid_until=until, by=user_id)
        logins.append(DemoLogin(user_id, role, enrollment.totp_secret))
    logins.append(_demo_respondent(engine, accounts, password, owner=owner))
    return logins


def _demo_respondent(engine: Engine, accounts: Accounts, password: str, *,
                     owner: str) -> DemoLogin:
    """A respondent's own account, for the first person with a hearing (user id = person id)."""
    today = accounts.clock().astimezone(UTC).date()
    with engine.begin() as connection:
        person_id = str(connection.execute(text(
            "SELECT c.person_id FROM cases c JOIN hearings h ON h.case_id = c.case_id "
            "ORDER BY h.scheduled_at DESC, c.person_id LIMIT 1")).scalar_one())
        add_respondent_user(connection, person_id, today)
    enrollment = accounts.enroll(person_id, password, by=person_id)
    accounts.approve(person_id, by=owner, purposes=(), legal_basis="Demo respondent account",
                     expires_on=today + timedelta(days=DEMO_DAYS))
    accounts.attest_training(person_id, valid_until=today + timedelta(days=DEMO_DAYS),
                             by=person_id)
    return DemoLogin(person_id, Role.RESPONDENT, enrollment.totp_secret)


def _first_user(engine: Engine, role: Role) -> str:
    """The role's first user with the most work (attorneys: a current client; judges: hearings)."""
    ranking = {
        Role.ATTORNEY: "(SELECT COUNT(*) FROM representations r WHERE r.attorney_id = u.user_id "
                       "AND r.ended_on IS NULL)",
        Role.JUDGE: "(SELECT COUNT(*) FROM hearings h WHERE h.judge_user_id = u.user_id)",
    }.get(role, "(SELECT 0)")
    sql = text(f"SELECT u.user_id FROM users u WHERE u.role = :role AND u.active_to IS NULL "
               f"ORDER BY {ranking} DESC, u.user_id LIMIT 1")
    with engine.connect() as connection:
        return str(connection.execute(sql, {"role": role.value}).scalar_one())


__all__ = ["DEMO_ROLES", "DemoLogin", "create_demo_accounts", "demo_password"]
