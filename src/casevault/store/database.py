"""Engines and schema management for SQLite (embedded default) and PostgreSQL.

The URL comes from ``--db``, else ``CASEVAULT_DB_URL``, else ``sqlite:///casevault.db``.
``postgresql://`` URLs are served by psycopg 3. SQLite connections run in WAL mode
with foreign keys enforced, so both databases check the same constraints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from casevault.errors import ConfigError, DatabaseUnavailable, SchemaOutOfDate

DEFAULT_URL: Final = "sqlite:///casevault.db"
URL_ENV: Final = "CASEVAULT_DB_URL"
_MIGRATIONS: Final = Path(__file__).with_name("migrations")
SQLITE_CACHE_KIB: Final = 64 * 1024
SQLITE_BULK_CACHE_KIB: Final = 512 * 1024


def database_url(explicit: str | None = None) -> str:
    """The database URL in force: explicit, then environment, then the default."""
    url = explicit or os.environ.get(URL_ENV) or DEFAULT_URL
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        msg = f"database URL is not valid; set {URL_ENV} or --db to e.g. {DEFAULT_URL}"
        raise ConfigError(msg) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        msg = f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        raise ConfigError(msg)
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
    # that SAVEPOINTs nest correctly (the sqlite3 module's implicit BEGIN does not).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")  # the default 2 MB thrashes indexes
    cursor.execute("PRAGMA temp_store=MEMORY")  # index builds sort in memory, not temp files
    cursor.close()


def make_engine(url: str | None = None, **options: Any) -> Engine:
    """An engine for the URL in force, configured for casevault's needs."""
    resolved = database_url(url)
    engine = create_engine(resolved, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def _begin_sqlite(connection: Any) -> None:
    """``BEGIN``, or ``BEGIN IMMEDIATE`` for connections that will write at once.

    A connection opened with ``execution_options(sqlite_begin="IMMEDIATE")`` takes
    the write lock when its transaction starts, so a writer (the ledger) learns at
    the start, not half-way, whether another process holds the log.
    """
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def is_postgres(engine_or_dialect_name: Engine | str) -> bool:
    name = (engine_or_dialect_name if isinstance(engine_or_dialect_name, str)
            else engine_or_dialect_name.dialect.name)
    return name == "postgresql"


def _alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> str:
    """Create or upgrade the schema to the newest migration; returns its revision."""
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        msg = "could not reach the database to upgrade it; check the URL and that it is running"
        raise DatabaseUnavailable(msg) from exc
    return head_revision()


def head_revision() -> str:
    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    if head is None:  # pragma: no cover -- the package always ships migrations
        msg = "no migrations found in the installed package"
        raise ConfigError(msg)
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        msg = "could not reach the database; check the URL and that it is running"
        raise DatabaseUnavailable(msg) from exc


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is missing or old."""
    if current_revision(engine) != head_revision():
        msg = "the database schema is missing or out of date: run `casevault init` first"
        raise SchemaOutOfDate(msg)
