"""Invariant 1 for the command line: every command is classified, and those that output
personal data refuse without a signed-in operator and ledger a refusal of one the
policy does not allow (no operator shortcut, no second path)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.core import TyperGroup
from typer.testing import CliRunner

from casevault.cli import app
from casevault.store import make_engine
from casevault.synth.leaks import write_incident_replica

from .operators import person_ids, run, signed_in, users_with_role

runner = CliRunner()
WHY = "Checking the file for ticket INC-9001 on request of the court"

PERSONAL_DATA: dict[str, list[str]] = {
    "export": ["export", "{tmp}/out", "--person", "P0000001", "--justification", WHY],
    "audit report": ["audit", "report", "--person", "P0000001", "--justification", WHY,
                     "--out", "{tmp}/report.json"],
    "audit disclosures": ["audit", "disclosures", "--person", "P0000001", "--justification",
                          WHY],
    "audit export": ["audit", "export", "--justification", WHY, "--out", "{tmp}/events.jsonl"],
    "access break-glass list": ["access", "break-glass", "list", "--justification", WHY],
    "access break-glass open": ["access", "break-glass", "open", "C0000001", "--justification",
                                WHY],
    "access break-glass review": ["access", "break-glass", "review", "G1", "--outcome",
                                  "justified", "--justification", WHY],
    "scan": ["scan", "{leak}", "--identify", "--justification", WHY],
    "breach open": ["breach", "open", "{leak}", "--justification", WHY],
    "breach list": ["breach", "list", "--justification", WHY],
    "breach show": ["breach", "show", "inc-1", "--justification", WHY],
    "breach affected": ["breach", "affected", "inc-1", "--justification", WHY],
    "breach unresolved": ["breach", "unresolved", "inc-1", "--justification", WHY],
    "breach holds": ["breach", "holds", "inc-1", "--justification", WHY],
    "breach clear-hold": ["breach", "clear-hold", "C0000001", "--reason", WHY,
                          "--justification", WHY],
    "breach notices": ["breach", "notices", "inc-1", "--out", "{tmp}/notices",
                       "--justification", WHY],
    "breach mailed": ["breach", "mailed", "inc-1", "--justification", WHY],
    "breach met": ["breach", "met", "inc-1", "authority", "--justification", WHY],
    "breach trace": ["breach", "trace", "inc-1", "{leak}", "--justification", WHY],
    "breach downloads": ["breach", "downloads", "inc-1", "--justification", WHY],
    "breach report": ["breach", "report", "inc-1", "--out", "{tmp}/report", "--justification",
                      WHY],
    "hearing outcome": ["hearing", "outcome", "H00000001", "completed"],
    "share revoke": ["share", "revoke", "U00001", "--reason", "court_order", "--inventory-out",
                     "{tmp}/inventory.json"],
    "watch run": ["watch", "run", "--out", "{tmp}/alerts.jsonl", "--justification", WHY],
    "watch case": ["watch", "case", "WC-1", "--justification", WHY],
}
"""Commands whose output names persons or their records, with arguments to run them."""

NO_PERSONAL_DATA = {
    "init", "synth", "import", "demo", "version", "serve",
    "audit checkpoint", "audit verify", "audit verify-report",
    "access enroll", "access bootstrap", "access approve", "access renew", "access suspend",
    "access reinstate", "access attest-training", "access review", "access recertify",
    "access login", "access whoami", "access logout", "access sessions revoke",
    "access sessions revoke-all",
    "publish", "shield index", "shield approve", "shield watch",
    "share agreement propose", "share agreement approve", "share agreement end",
    "share agreement list", "share consent", "stats ask", "stats budget",
    "share extract", "share certify", "share accept", "share verify-extract",
    # issue 10: they print person and erasure ids, counts and key ids; backups stay sealed
    "erase", "retention run", "retention approve", "keys rotate-kek", "keys retire-kek",
    "keys rotate-data-keys", "backup", "restore",
    "watch evaluate", "watch workday", "watch file", "watch cases", "watch move",
}
"""Commands that print counts, keys, checkpoints or account ids only (or synthetic data)."""


def _command_names(group: TyperGroup, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, TyperGroup):
            names |= _command_names(command, f"{full} ")
        else:
            names.add(full)
    return names


def test_every_command_is_classified() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    assert _command_names(root) == set(PERSONAL_DATA) | NO_PERSONAL_DATA


@pytest.fixture(scope="module")
def court_env(tmp_path_factory: pytest.TempPathFactory, court_folder: Path) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("one-door-cli")
    env = {"CASEVAULT_DB_URL": f"sqlite:///{folder / 'court.db'}",
           "CASEVAULT_KEY_DIR": str(folder / "keys"),
           "CASEVAULT_SHIELD_DIR": str(folder / "shield")}
    assert run(env, "init")[0] == 0
    assert run(env, "import", str(court_folder))[0] == 0
    analyst = users_with_role(env, "analyst")[0]
    session = signed_in(env, analyst, folder / "analyst-session")
    return {**env, "CASEVAULT_SESSION_FILE": str(session)}


def _args(command: str, tmp_path: Path, leak: Path) -> list[str]:
    return [arg.replace("{tmp}", str(tmp_path)).replace("{leak}", str(leak))
            for arg in PERSONAL_DATA[command]]


@pytest.fixture(scope="module")
def leak(tmp_path_factory: pytest.TempPathFactory, court_folder: Path) -> Path:
    """A file naming persons of the court (for the one command that reveals who it names)."""
    folder = tmp_path_factory.mktemp("leak")
    return write_incident_replica(court_folder, folder, rows=5,
                                  among=person_ids(court_folder)).csv_path


def _events(env: dict[str, str], result: str) -> int:
    engine = make_engine(env["CASEVAULT_DB_URL"])
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT COUNT(*) FROM ledger_events WHERE result = :r AND action NOT IN "
                "('login', 'mfa', 'account_change')"), {"r": result}).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("command", sorted(PERSONAL_DATA))
def test_without_a_session_nothing_is_output(court_env: dict[str, str], tmp_path: Path,
                                            command: str, leak: Path) -> None:
    env = {**court_env, "CASEVAULT_SESSION_FILE": str(tmp_path / "no-session")}
    permits = _events(env, "permit")
    code, output = run(env, *_args(command, tmp_path, leak))
    assert code == 2 and "sign in" in output
    assert _events(env, "permit") == permits
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", sorted(PERSONAL_DATA))
def test_an_operator_the_policy_refuses_is_ledgered_and_gets_nothing(
        court_env: dict[str, str], tmp_path: Path, command: str, leak: Path) -> None:
    denies, permits = _events(court_env, "deny"), _events(court_env, "permit")
    code, output = run(court_env, *_args(command, tmp_path, leak))
    assert code == 2, output
    assert _events(court_env, "deny") == denies + 1
    assert _events(court_env, "permit") == permits
    assert list(tmp_path.iterdir()) == []
