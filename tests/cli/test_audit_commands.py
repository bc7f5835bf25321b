"""``casevault audit``: reports that verify offline, verification that names tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from casevault.cli import app
from casevault.store import make_engine

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {"CASEVAULT_DB_URL": f"sqlite:///{tmp_path / 'audit.db'}",
              "CASEVAULT_KEY_DIR": str(tmp_path / "keys")}
    result = runner.invoke(app, ["init"], env=values)
    assert result.exit_code == 0, result.output
    return values


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_subject_report_round_trip(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    for operator in ("U000001", "U000002"):
        code, output = _run(env, "audit", "report", "--person", "P000042", "--operator", operator,
                            "--out", str(out))
        assert code == 0, output
    code, output = _run(env, "audit", "verify-report", str(out), "--show")
    assert code == 0, output
    assert "report verifies: person P000042, 2 events" in " ".join(output.split())
    report = json.loads(out.read_text())
    report["events"].pop(0)
    out.write_text(json.dumps(report))
    code, output = _run(env, "audit", "verify-report", str(out))
    assert code == 1, output


def test_report_verifies_with_only_the_public_key(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert _run(env, "audit", "report", "--person", "P7", "--operator", "U1", "--out",
                str(out))[0] == 0
    vkey = json.loads(out.read_text())["log_key"]
    stranger = {"CASEVAULT_KEY_DIR": str(tmp_path / "elsewhere")}
    code, output = _run(stranger, "audit", "verify-report", str(out), "--vkey", vkey)
    assert code == 0, output


def test_verify_names_the_first_bad_index(env: dict[str, str], tmp_path: Path) -> None:
    for number in range(3):
        assert _run(env, "audit", "report", "--person", f"P{number}", "--operator", "U1",
                    "--out", str(tmp_path / f"r{number}.json"))[0] == 0
    code, output = _run(env, "audit", "verify")
    assert code == 0, output
    assert "ledger verifies: 3 events" in output
    engine = make_engine(env["CASEVAULT_DB_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE ledger_events SET user_id = 'U9' WHERE seq = 1"))
    engine.dispose()
    code, output = _run(env, "audit", "verify")
    assert code == 1
    assert "first bad index 1" in output


def test_verify_from_a_kept_checkpoint(env: dict[str, str], tmp_path: Path) -> None:
    assert _run(env, "audit", "report", "--person", "P1", "--operator", "U1", "--out",
                str(tmp_path / "r.json"))[0] == 0
    code, note = _run(env, "audit", "checkpoint")
    assert code == 0 and note.startswith("casevault.local/ledger\n1\n")
    kept = tmp_path / "kept.txt"
    kept.write_text(note)
    assert _run(env, "audit", "report", "--person", "P2", "--operator", "U1", "--out",
                str(tmp_path / "r2.json"))[0] == 0
    code, output = _run(env, "audit", "verify", "--from-checkpoint", str(kept))
    assert code == 0, output
    assert "extends the checkpoint" in output


@pytest.mark.parametrize("fmt", ["jsonl", "ocsf", "cef"])
def test_siem_export_is_itself_audited(env: dict[str, str], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"events.{fmt}"
    code, output = _run(env, "audit", "export", "--operator", "U5", "--format", fmt, "--out",
                        str(out))
    assert code == 0, output
    lines = out.read_text().splitlines()
    assert len(lines) == 1  # the export's own audit_access event
    assert "audit_access" in lines[0]


def test_reading_the_log_needs_an_operator(env: dict[str, str], tmp_path: Path) -> None:
    code, _ = _run(env, "audit", "report", "--person", "P1", "--out", str(tmp_path / "r.json"))
    assert code != 0
    assert not (tmp_path / "r.json").exists()
