"""``casevault audit``: reports that verify offline, verification that names tampering.

Reading the audit trail goes through the guard: the commands run as a signed-in
privacy officer of the synthetic court, with a purpose and a justification.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from casevault.cli import app
from casevault.store import make_engine

from .operators import ledger_count, run, signed_in, users_with_role

runner = CliRunner()
WHY = "Compliance review under ticket INC-3301"


@pytest.fixture
def env(court_copy: dict[str, str]) -> dict[str, str]:
    return court_copy


@pytest.fixture
def officer(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """``env`` with a privacy officer signed in (the session file in the environment)."""
    session = signed_in(env, users_with_role(env, "privacy_officer")[0], tmp_path / "session")
    return {**env, "CASEVAULT_SESSION_FILE": str(session)}




def _report(env: dict[str, str], person: str, out: Path) -> tuple[int, str]:
    return run(env, "audit", "report", "--person", person, "--justification", WHY,
               "--out", str(out))


def test_subject_report_round_trip(officer: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    for _ in range(2):
        code, output = _report(officer, "P0000042", out)
        assert code == 0, output
    code, output = run(officer, "audit", "verify-report", str(out), "--show")
    assert code == 0, output
    expected = ledger_count(officer, "person_id = 'P0000042'")
    assert expected == 2
    assert f"report verifies: person P0000042, {expected} events" in output
    report = json.loads(out.read_text())
    report["events"].pop(0)
    out.write_text(json.dumps(report))
    code, output = run(officer, "audit", "verify-report", str(out))
    assert code == 1, output


def test_report_verifies_with_only_the_public_key(officer: dict[str, str],
                                                  tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert _report(officer, "P0000007", out)[0] == 0
    vkey = json.loads(out.read_text())["log_key"]
    stranger = {"CASEVAULT_KEY_DIR": str(tmp_path / "elsewhere")}
    code, output = run(stranger, "audit", "verify-report", str(out), "--vkey", vkey)
    assert code == 0, output


def test_verify_names_the_first_bad_index(officer: dict[str, str], tmp_path: Path) -> None:
    for number in range(3):
        assert _report(officer, f"P000000{number + 1}", tmp_path / f"r{number}.json")[0] == 0
    code, output = run(officer, "audit", "verify")
    assert code == 0, output
    assert f"ledger verifies: {ledger_count(officer)} events" in output
    engine = make_engine(officer["CASEVAULT_DB_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE ledger_events SET user_id = 'U9' WHERE seq = 1"))
    engine.dispose()
    code, output = run(officer, "audit", "verify")
    assert code == 1
    assert "first bad index 1" in output


def test_verify_from_a_kept_checkpoint(officer: dict[str, str], tmp_path: Path) -> None:
    assert _report(officer, "P0000001", tmp_path / "r.json")[0] == 0
    result = runner.invoke(app, ["audit", "checkpoint"], env=officer)
    assert result.exit_code == 0 and result.output.startswith("casevault.local/ledger\n")
    kept = tmp_path / "kept.txt"
    kept.write_text(result.output)
    assert _report(officer, "P0000002", tmp_path / "r2.json")[0] == 0
    code, output = run(officer, "audit", "verify", "--from-checkpoint", str(kept))
    assert code == 0, output
    assert "extends the checkpoint" in output


@pytest.mark.parametrize("fmt", ["jsonl", "ocsf", "cef"])
def test_siem_export_is_itself_audited(officer: dict[str, str], tmp_path: Path,
                                       fmt: str) -> None:
    out = tmp_path / f"events.{fmt}"
    code, output = run(officer, "audit", "export", "--format", fmt, "--justification", WHY,
                       "--out", str(out))
    assert code == 0, output
    lines = out.read_text().splitlines()
    assert len(lines) == ledger_count(officer)  # every event, its own audit_access included
    assert "audit_access" in lines[-1]


def test_reading_the_log_needs_a_signed_in_operator(env: dict[str, str], tmp_path: Path) -> None:
    code, output = run(env, "audit", "report", "--person", "P0000001", "--justification", WHY,
                       "--out", str(tmp_path / "r.json"),
                       CASEVAULT_SESSION_FILE=str(tmp_path / "nobody"))
    assert code != 0 and "sign in" in output
    assert not (tmp_path / "r.json").exists()


def test_a_judge_cannot_read_the_audit_trail_and_the_refusal_is_ledgered(
        env: dict[str, str], tmp_path: Path) -> None:
    session = signed_in(env, users_with_role(env, "judge")[0], tmp_path / "judge-session")
    before = ledger_count(env, "result = 'deny'")
    code, output = run(env, "audit", "export", "--justification", WHY, "--out",
                       str(tmp_path / "e.jsonl"), CASEVAULT_SESSION_FILE=str(session))
    assert code == 2, output
    assert ledger_count(env, "result = 'deny'") == before + 1
    assert not (tmp_path / "e.jsonl").exists()


def test_a_thin_justification_is_refused(officer: dict[str, str], tmp_path: Path) -> None:
    code, output = run(officer, "audit", "report", "--person", "P0000001", "--justification",
                       "audit", "--out", str(tmp_path / "r.json"))
    assert code == 2 and "Justification refused" in output
    assert not (tmp_path / "r.json").exists()
