"""``casevault access``: the account lifecycle and sign-in from the command line, on SQLite.

Runs against a real database holding the synthetic court (imported with the CLI),
with the real clock: dates are computed from today, codes with pyotp.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from casevault.audit.events import Action
from casevault.audit.ledger import Ledger
from casevault.cli import app
from casevault.store import make_engine, tables

from .operators import PASSWORD, enroll, in_days, users_with_role

runner = CliRunner()


@pytest.fixture
def env(court_copy: dict[str, str]) -> dict[str, str]:
    return {**court_copy, "CASEVAULT_PASSWORD": PASSWORD}


def _run(env: dict[str, str], *args: str, **extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["access", *args], env={**env, **extra})
    return result.exit_code, " ".join(result.output.split())








def _owner_and_judge(env: dict[str, str]) -> tuple[str, str, str]:
    """A bootstrapped data owner and an approved, trained judge; returns (owner, judge, secret)."""
    owner, judge = users_with_role(env, "court_admin")[0], users_with_role(env, "judge")[0]
    enroll(env, owner)
    code, out = _run(env, "bootstrap", owner, "--by", owner, "--legal-basis",
                     "Court administrator of the synthetic court", "--expires-on", in_days(300))
    assert code == 0, out
    secret = enroll(env, judge)
    code, out = _run(env, "approve", judge, "--by", owner, "--legal-basis", "Judge, EOIR",
                     "--expires-on", in_days(200))
    assert code == 0 and f"account {judge} approved" in out, out
    code, out = _run(env, "attest-training", judge, "--by", judge, "--valid-until", in_days(365))
    assert code == 0, out
    return owner, judge, secret


def _login(env: dict[str, str], user: str, secret: str, session_file: Path) -> tuple[int, str]:
    return _run(env, "login", user, "--session-file", str(session_file),
                CASEVAULT_TOTP_CODE=pyotp.TOTP(secret).now())


def test_enrol_approve_train_sign_in_and_out(env: dict[str, str], tmp_path: Path) -> None:
    _, judge, secret = _owner_and_judge(env)
    session_file = tmp_path / "var" / "session"
    code, out = _login(env, judge, secret, session_file)
    assert code == 0, out
    session_id = re.search(r"session (S-[0-9a-f]+)", out)
    assert session_id is not None, out
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    assert PASSWORD not in session_file.read_text()
    code, out = _run(env, "whoami", "--session-file", str(session_file))
    assert code == 0, out
    assert f"{judge} (judge, EOIR): account active, training current, second factor yes" in out
    code, out = _run(env, "logout", "--session-file", str(session_file))
    assert code == 0 and session_id.group(1) in out, out
    assert not session_file.exists()
    code, out = _run(env, "whoami", "--session-file", str(session_file))
    assert code == 2 and "sign in" in out


def test_suspension_ends_the_cli_session(env: dict[str, str], tmp_path: Path) -> None:
    owner, judge, secret = _owner_and_judge(env)
    session_file = tmp_path / "session"
    assert _login(env, judge, secret, session_file)[0] == 0
    code, out = _run(env, "suspend", judge, "--by", owner, "--reason", "investigation")
    assert code == 0 and "1 live session(s) ended" in out, out
    code, out = _run(env, "whoami", "--session-file", str(session_file))
    assert code == 2 and "Sign in again" in out, out
    code, out = _run(env, "reinstate", judge, "--by", owner, "--reason", "cleared")
    assert code == 0 and "it is active" in out, out


def test_sessions_revoke_and_revoke_all(env: dict[str, str], tmp_path: Path) -> None:
    owner, judge, secret = _owner_and_judge(env)
    session_file = tmp_path / "session"
    code, out = _login(env, judge, secret, session_file)
    session_id = re.search(r"session (S-[0-9a-f]+)", out)
    assert code == 0 and session_id is not None, out
    code, out = _run(env, "sessions", "revoke", session_id.group(1), "--by", judge,
                     "--reason", "lost_device")
    assert code == 0 and "ended" in out, out
    code, out = _run(env, "sessions", "revoke-all", judge, "--by", owner, "--reason", "audit")
    assert code == 0 and f"0 session(s) of {judge} ended" in out, out
    code, out = _run(env, "whoami", "--session-file", str(session_file))
    assert code == 2


def test_review_lists_due_approvals_and_lapses_overdue_ones(env: dict[str, str]) -> None:
    owner, judge, _ = _owner_and_judge(env)
    code, out = _run(env, "review")
    assert code == 0 and "nothing is due for review" in out, out
    code, out = _run(env, "review", "--on", in_days(90))
    assert code == 0 and judge in out and owner in out, out
    code, out = _run(env, "review", "--on", in_days(91), "--lapse")
    assert code == 2 and "--by" in out
    approval = _approval_of(env, judge)
    code, out = _run(env, "recertify", approval, "--by", owner, "--end")
    assert code == 0 and "ended" in out, out
    code, out = _run(env, "review", "--on", in_days(91), "--lapse", "--by", owner)
    assert code == 0 and "1 approval(s) lapsed" in out, out  # the owner's own approval
    assert judge not in out


def _approval_of(env: dict[str, str], user: str) -> str:
    approvals = tables.account_approvals
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            approval: str = connection.execute(
                select(approvals.c.approval_id).where(approvals.c.user_id == user,
                                                      approvals.c.ended_at.is_(None))).scalar_one()
        return approval
    finally:
        engine.dispose()


def test_refusals_and_failures_say_what_to_do(env: dict[str, str], tmp_path: Path) -> None:
    owner, judge, secret = _owner_and_judge(env)
    clerk = users_with_role(env, "clerk")[0]
    enroll(env, clerk)
    code, out = _run(env, "approve", clerk, "--by", judge, "--legal-basis", "Clerk",
                     "--expires-on", in_days(30))
    assert code == 2 and "Only an active data owner" in out, out
    code, out = _run(env, "approve", clerk, "--by", owner, "--legal-basis", "Clerk",
                     "--expires-on", in_days(400))
    assert code == 2 and "at most 365 days" in out, out
    code, out = _run(env, "login", judge, "--session-file", str(tmp_path / "s"),
                     CASEVAULT_PASSWORD="not the right password",  # noqa: S106 -- a wrong one
                     CASEVAULT_TOTP_CODE="123456")
    assert code == 2 and "Sign-in failed" in out and "not the right password" not in out
    code, out = _run(env, "login", judge, "--session-file", str(tmp_path / "s"),
                     CASEVAULT_PASSWORD="")
    assert code == 2 and "CASEVAULT_PASSWORD" in out, out
    code, out = _run(env, "suspend", judge, "--by", owner, "--reason", "Has been naughty")
    assert code == 2 and "short code" in out, out
    assert not (tmp_path / "s").exists()
    assert _login(env, judge, secret, tmp_path / "s")[0] == 0  # the failures did not lock it


def test_every_change_is_in_the_ledger(env: dict[str, str]) -> None:
    owner, judge, _ = _owner_and_judge(env)
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        ledger = Ledger(engine)
        changes = [(e.user_id, e.detail["change"], e.detail["subject_user_id"])
                   for e in ledger.events() if e.action is Action.ACCOUNT_CHANGE]
        ledger.close()
    finally:
        engine.dispose()
    assert changes == [(owner, "enrolled", owner), (owner, "bootstrapped", owner),
                       (judge, "enrolled", judge), (owner, "approved", judge),
                       (judge, "training_attested", judge)]


def test_a_date_in_the_wrong_form_is_refused(env: dict[str, str]) -> None:
    owner = users_with_role(env, "court_admin")[0]
    code, out = _run(env, "bootstrap", owner, "--by", owner, "--legal-basis", "x",
                     "--expires-on", "21/11/2026")
    assert code == 2 and "--expires-on" in out, out


def test_passwords_and_codes_are_prompted_for_in_a_terminal(
        env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("casevault.cli.access._is_terminal", lambda: True)
    without = {k: v for k, v in env.items() if k != "CASEVAULT_PASSWORD"}
    clerk = users_with_role(env, "clerk")[0]
    result = runner.invoke(app, ["access", "enroll", clerk, "--by", clerk], env=without,
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    secret = parse_qs(urlparse(re.search(r"otpauth://\S+", result.output).group()).query)
    code = pyotp.TOTP(secret["secret"][0]).now()
    result = runner.invoke(app, ["access", "login", clerk, "--session-file",
                                 str(tmp_path / "session")],
                           env=without, input=f"{PASSWORD}\n{code}\n")
    assert result.exit_code == 0, result.output
    assert "signed in as" in result.output
