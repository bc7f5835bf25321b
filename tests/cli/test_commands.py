"""The command line end to end: init, synth, import, export, demo, and clear failures."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from casevault.cli import app
from casevault.store import make_engine, tables

from .operators import run, signed_in

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _persons(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(tables.persons)
                                      ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_synth_init_import_export_round(tmp_path: Path, sqlite_url: str) -> None:
    code, out = _run("synth", "--people", "60", "--seed", "3", str(tmp_path / "court"))
    assert code == 0, out
    assert (tmp_path / "court" / "persons.csv").exists()
    code, out = _run("init", "--db", sqlite_url)
    assert code == 0 and "schema revision" in out
    code, out = _run("import", str(tmp_path / "court"), "--db", sqlite_url)
    assert code == 0, out
    assert "persons.csv: 60 rows" in out
    assert _persons(sqlite_url) == 60


def _client_of_an_attorney(url: str) -> tuple[str, list[str]]:
    """An attorney with a user account, and the persons they represent today."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT r.attorney_id, c.person_id FROM representations r JOIN users u "
                "ON u.user_id = r.attorney_id JOIN cases c ON c.case_id = r.case_id "
                "WHERE r.ended_on IS NULL ORDER BY r.attorney_id, c.person_id")).all()
    finally:
        engine.dispose()
    attorney = rows[0][0]
    return attorney, sorted({person for who, person in rows if who == attorney})


def test_export_runs_through_the_guard_as_the_signed_in_attorney(tmp_path: Path,
                                                                  court_folder: Path) -> None:
    url = f"sqlite:///{tmp_path / 'export.db'}"
    env = {"CASEVAULT_DB_URL": url, "CASEVAULT_KEY_DIR": str(tmp_path / "keys")}
    assert run(env, "init")[0] == 0
    assert run(env, "import", str(court_folder))[0] == 0
    attorney, clients = _client_of_an_attorney(url)
    session = signed_in(env, attorney, tmp_path / "session")
    env["CASEVAULT_SESSION_FILE"] = str(session)
    why = "Preparing the client's file for the individual hearing, ticket INC-7781"

    code, out = run(env, "export", str(tmp_path / "out"), "--format", "parquet",
                    *[arg for client in clients for arg in ("--person", client)],
                    "--justification", why)
    assert code == 0, out
    assert (tmp_path / "out" / "persons.parquet").exists()

    stranger = _persons_not_represented_by(url, attorney)
    code, out = run(env, "export", str(tmp_path / "refused"), "--person", stranger,
                    "--justification", why)
    assert code == 2 and "Export refused for 1 of 1 persons" in out
    assert not (tmp_path / "refused").exists()


def _persons_not_represented_by(url: str, attorney: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text(
                "SELECT p.person_id FROM persons p WHERE NOT EXISTS (SELECT 1 FROM cases c "
                "JOIN representations r ON r.case_id = c.case_id WHERE c.person_id = p.person_id "
                "AND r.attorney_id = :a) ORDER BY p.person_id LIMIT 1"), {"a": attorney})
                .scalar_one())
    finally:
        engine.dispose()


def test_import_into_postgresql(tmp_path: Path, database_factory: Callable[[str], Engine]) -> None:
    engine = database_factory("postgresql")
    url = engine.url.render_as_string(hide_password=False)
    assert _run("synth", "--people", "40", str(tmp_path / "court"))[0] == 0
    code, out = _run("import", str(tmp_path / "court"), "--db", url)
    assert code == 0, out
    assert _persons(url) == 40


def test_import_before_init_says_what_to_do(tmp_path: Path, sqlite_url: str) -> None:
    assert _run("synth", "--people", "20", str(tmp_path / "court"))[0] == 0
    code, out = _run("import", str(tmp_path / "court"), "--db", sqlite_url)
    assert code == 2
    assert "run `casevault init` first" in out


def test_bad_row_is_reported_and_nothing_imported(tmp_path: Path, sqlite_url: str) -> None:
    assert _run("synth", "--people", "30", str(tmp_path / "court"))[0] == 0
    path = tmp_path / "court" / "cases.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("custody")] = "in-custody"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _run("init", "--db", sqlite_url)[0] == 0
    code, out = _run("import", str(tmp_path / "court"), "--db", sqlite_url)
    assert code == 2
    assert "cases.csv line 4, column custody: not one of" in " ".join(out.split())
    assert "nothing was imported" in out
    assert _persons(sqlite_url) == 0


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    code, out = _run("synth", "--people", "5", "--format", "xlsx", str(tmp_path / "x"))
    assert code == 2 and "use csv or parquet" in out


def test_demo_builds_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEVAULT_KEY_DIR", str(tmp_path / "keys"))
    code, out = _run("demo", "--people", "80", "--folder", str(tmp_path / "demo"), "--no-serve")
    assert code == 0, out
    assert "demo ready" in out
    database = tmp_path / "demo" / "casevault-demo.db"
    assert _persons(f"sqlite:///{database}") == 80
    code, out = _run("demo", "--people", "50", "--folder", str(tmp_path / "demo"), "--no-serve")
    assert code == 0, out
    assert _persons(f"sqlite:///{database}") == 50


def test_the_printed_demo_logins_sign_in(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEVAULT_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("COLUMNS", "200")
    code, out = _run("demo", "--people", "60", "--folder", str(tmp_path / "demo"), "--no-serve")
    assert code == 0, out
    password = re.search(r"password for all: (\S+?)\)", out)
    judge = re.search(r"(\S+)\s*[│|]\s*judge\s*[│|]\s*([A-Z2-7]{16,})", out)
    assert password is not None and judge is not None, out
    env = {"CASEVAULT_DB_URL": f"sqlite:///{tmp_path / 'demo' / 'casevault-demo.db'}",
           "CASEVAULT_KEY_DIR": str(tmp_path / "keys"), "CASEVAULT_PASSWORD": password[1]}
    code, out = run(env, "access", "login", judge[1], "--session-file",
                    str(tmp_path / "session"), CASEVAULT_TOTP_CODE=pyotp.TOTP(judge[2]).now())
    assert code == 0 and f"signed in as {judge[1]}" in out, out
