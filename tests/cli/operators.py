"""Signing in from the command line, for tests of commands that run as an operator.

Everything goes through the real commands (``casevault access enroll``,
``bootstrap``, ``approve``, ``attest-training``, ``login``) with real TOTP codes;
users come from the synthetic court's ``users`` table.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
from sqlalchemy import or_, select, text
from typer.testing import CliRunner

from casevault.cli import app
from casevault.store import make_engine, tables

runner = CliRunner()
PASSWORD = "a long test passphrase for the cli"  # noqa: S105 -- a test account's password


def run(env: dict[str, str], *args: str, **extra: str) -> tuple[int, str]:
    """Run ``casevault ARGS``; the exit code and the output with whitespace collapsed."""
    result = runner.invoke(app, list(args), env={"CASEVAULT_PASSWORD": PASSWORD, **env, **extra})
    return result.exit_code, " ".join(result.output.split())


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def users_with_role(env: dict[str, str], role: str) -> list[str]:
    users = tables.users
    today = datetime.now(UTC).date()
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(users.c.user_id)
                .where(users.c.role == role, users.c.active_from <= today,
                       or_(users.c.active_to.is_(None), users.c.active_to >= today))
                .order_by(users.c.user_id))
            return [user_id for (user_id,) in rows]
    finally:
        engine.dispose()


def enroll(env: dict[str, str], user: str) -> str:
    """Enrol ``user`` by themselves; returns their TOTP secret from the printed URI."""
    code, out = run(env, "access", "enroll", user, "--by", user)
    assert code == 0, out
    uri = re.search(r"otpauth://\S+", out)
    assert uri is not None, out
    return parse_qs(urlparse(uri.group()).query)["secret"][0]


def has_account(env: dict[str, str], user: str) -> bool:
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1 FROM accounts WHERE user_id = :u"),
                                      {"u": user}).first() is not None
    finally:
        engine.dispose()


def data_owner(env: dict[str, str]) -> str:
    """The court's first court administrator, bootstrapped as data owner if need be."""
    owner = users_with_role(env, "court_admin")[0]
    if not has_account(env, owner):
        enroll(env, owner)
        code, out = run(env, "access", "bootstrap", owner, "--by", owner, "--legal-basis",
                        "Court administrator of the synthetic court", "--expires-on", in_days(300))
        assert code == 0, out
    return owner


def approved(env: dict[str, str], user: str) -> str:
    """Enrol, approve (by the data owner) and train ``user``; returns their TOTP secret."""
    owner = data_owner(env)
    secret = enroll(env, user)
    code, out = run(env, "access", "approve", user, "--by", owner, "--legal-basis",
                    "Staff of the synthetic court", "--expires-on", in_days(200))
    assert code == 0, out
    code, out = run(env, "access", "attest-training", user, "--by", user, "--valid-until",
                    in_days(365))
    assert code == 0, out
    return secret


def signed_in(env: dict[str, str], user: str, session_file: Path) -> Path:
    """``user`` approved, trained and signed in; returns the session file."""
    secret = approved(env, user)
    code, out = run(env, "access", "login", user, "--session-file", str(session_file),
                    CASEVAULT_TOTP_CODE=pyotp.TOTP(secret).now())
    assert code == 0, out
    return session_file


def ledger_count(env: dict[str, str], where: str = "1 = 1") -> int:
    """How many ledger events match an SQL condition (written by the test, never user input)."""
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                text(f"SELECT COUNT(*) FROM ledger_events WHERE {where}")).scalar_one())
    finally:
        engine.dispose()


def person_ids(folder: Path) -> list[str]:
    """Every person id of an interchange folder, read with the csv module."""
    with (folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        return [row["person_id"] for row in csv.DictReader(handle)]
