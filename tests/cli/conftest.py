"""Fixtures of the command-line tests: a migrated SQLite court, copied fresh for each test."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from casevault.cli import app


@pytest.fixture(scope="module")
def court_db(tmp_path_factory: pytest.TempPathFactory, court_folder: Path) -> Path:
    """A migrated SQLite database holding the synthetic court, built with the CLI itself."""
    path = tmp_path_factory.mktemp("cli-court") / "court.db"
    url = f"sqlite:///{path}"
    runner = CliRunner()
    for args in (["init", "--db", url], ["import", str(court_folder), "--db", url]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def court_copy(tmp_path: Path, court_db: Path) -> dict[str, str]:
    """The environment of a fresh copy of the court: its database URL and its own key folder."""
    db = tmp_path / "casevault.db"
    db.write_bytes(court_db.read_bytes())
    return {"CASEVAULT_DB_URL": f"sqlite:///{db}", "CASEVAULT_KEY_DIR": str(tmp_path / "keys"),
            "CASEVAULT_SHIELD_DIR": str(tmp_path / "shield")}
