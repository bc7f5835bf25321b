"""Helpers of the API tests: a hand-set clock, approved accounts, signed-in headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from casevault.access.setup import Door

PASSWORD = "api test passphrase, long enough"  # noqa: S105 -- a test account's password
HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
DEVICE = "api-test-device"
WHY = "Hearing preparation for ticket INC-6001"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def one(engine: Engine, sql: str, **params: str) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text(sql), params).scalars().first())


def account(door: Door, user_id: str) -> str:
    """An approved, trained account for ``user_id``; returns its TOTP secret."""
    owner = one(door.engine, "SELECT user_id FROM users WHERE role = 'court_admin' "
                "ORDER BY user_id")
    today = door.accounts.clock().date()
    with door.engine.connect() as connection:
        has_owner = connection.execute(text("SELECT 1 FROM accounts WHERE user_id = :u"),
                                       {"u": owner}).first() is not None
    if not has_owner:
        door.accounts.enroll(owner, PASSWORD, by=owner)
        door.accounts.bootstrap_owner(owner, by=owner, legal_basis="test",
                                      expires_on=today + timedelta(days=60))
    if user_id == owner:
        door.accounts.attest_training(owner, valid_until=today + timedelta(days=60), by=owner)
        return one(door.engine, "SELECT totp_secret FROM accounts WHERE user_id = :u", u=owner)
    secret = door.accounts.enroll(user_id, PASSWORD, by=user_id).totp_secret
    door.accounts.approve(user_id, by=owner, purposes=(), legal_basis="test",
                          expires_on=today + timedelta(days=60))
    door.accounts.attest_training(user_id, valid_until=today + timedelta(days=60), by=user_id)
    return secret


def signed_in(client: TestClient, door: Door, user_id: str) -> dict[str, str]:
    secret = account(door, user_id)
    code = pyotp.TOTP(secret).at(door.accounts.clock())
    response = client.post("/api/v1/sessions", json={
        "user_id": user_id, "password": PASSWORD, "code": code, "device_id": DEVICE})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}", "X-Device-Id": DEVICE}


def events(engine: Engine, result: str) -> int:
    return int(one(engine, "SELECT COUNT(*) FROM ledger_events WHERE result = :r AND action "
                   "NOT IN ('login', 'mfa', 'account_change', 'logout')", r=result))
