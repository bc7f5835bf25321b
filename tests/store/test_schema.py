"""Migrations and table declarations agree on both databases; init is repeatable."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from casevault.errors import ConfigError, SchemaOutOfDate
from casevault.store import database_url, make_engine, require_current_schema, upgrade_schema
from casevault.store.database import current_revision, head_revision
from casevault.store.tables import metadata


def test_migrated_schema_matches_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, metadata) == []


def test_schema_is_at_head_and_upgrade_is_repeatable(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    upgrade_schema(engine)
    require_current_schema(engine)


def test_lookup_indexes_exist(engine: Engine) -> None:
    inspector = inspect(engine)
    indexed = {(table, tuple(ix["column_names"])) for table in inspector.get_table_names()
               for ix in inspector.get_indexes(table)}
    unique = {(table, tuple(uq["column_names"])) for table in inspector.get_table_names()
              for uq in inspector.get_unique_constraints(table)}
    # Look-ups by date of birth and A-number go through blind indexes (issue 10).
    for needed in [("persons", ("name_key",)), ("persons", ("dob_bidx",)),
                   ("cases", ("person_id",)), ("cases", ("court_code",)),
                   ("hearings", ("scheduled_at",)), ("hearings", ("case_id", "judge_user_id")),
                   ("person_names", ("name_key", "person_id"))]:
        assert needed in indexed, needed
    assert ("persons", ("a_number_bidx",)) in unique | indexed


def test_empty_database_is_refused_until_init(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with pytest.raises(SchemaOutOfDate, match="run `casevault init`"):
        require_current_schema(engine)
    upgrade_schema(engine)
    require_current_schema(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_database_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEVAULT_DB_URL", raising=False)
    assert database_url() == "sqlite:///casevault.db"
    monkeypatch.setenv("CASEVAULT_DB_URL", "postgresql://postgres@127.0.0.1/x")
    assert database_url() == "postgresql+psycopg://postgres@127.0.0.1/x"
    assert database_url("sqlite:///other.db") == "sqlite:///other.db"


@pytest.mark.parametrize("url", ["mysql://root@localhost/x", "not a url at all"])
def test_unsupported_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        database_url(url)
