"""Shared fixtures: a database per dialect, a rolled-back connection per test, a synthetic court.

Every storage test runs twice, on SQLite and on the real PostgreSQL server on
127.0.0.1:5432 (DEVELOPERS.md). PostgreSQL being unreachable is a failure, not a
skip: `make test` starts the server when it is down.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine, create_engine, delete, text

from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.logs import configure as configure_logs
from casevault.store import tables
from casevault.store.database import make_engine, upgrade_schema
from casevault.store.interchange import import_folder
from casevault.synth import write_court

# The suite's key-encryption key (issue 10): fixed, synthetic, set before any keyring loads,
# so that subprocesses the tests start (the CLI, a killed rotation) read the same data.
TEST_KEK = "test-kek:" + base64.b64encode(bytes(range(32))).decode("ascii")
os.environ.setdefault("CASEVAULT_KEK", TEST_KEK)
os.environ.setdefault("CASEVAULT_ERASURE_REGISTER",
                      str(Path(tempfile.mkdtemp(prefix="casevault-register-")) / "erasures"))

# Property tests: no wall-clock deadline (the machines are shared; a slow example is not a
# failure) and, in CI, a fixed example sequence so that a landing never hinges on what a
# random search happened to try. Run without CI=true to explore new examples locally.
settings.register_profile("casevault", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("casevault"), derandomize=True,
                          print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "casevault")

LOG_DIR = Path(__file__).parents[1] / "test-artifacts" / "logs"
"""Where the suite's operational logs go; `make test` runs the leak scanner over them."""


@pytest.fixture(scope="session", autouse=True)
def suite_logs(worker_id: str) -> None:
    """Every test process logs JSON lines to its own file, as production would."""
    configure_logs(level=logging.INFO, file=LOG_DIR / f"pytest-{worker_id}.log")


PG_ADMIN_URL = os.environ.get("CASEVAULT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DIALECTS = ("sqlite", "postgresql")


def _create_pg_database() -> tuple[str, Engine]:
    name = f"casevault_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 -- turned into a clear test failure
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is not reachable ({type(exc).__name__}); "
                    "start it with `make pg` (see DEVELOPERS.md)")
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", admin


def _drop_pg_database(url: str, admin: Engine) -> None:
    name = url.rsplit("/", 1)[1]
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Creates empty, migrated databases of either dialect; drops them at the end."""
    created: list[tuple[str, Engine | None, Engine]] = []

    def make(dialect: str) -> Engine:
        if dialect == "sqlite":
            path = tmp_path_factory.mktemp("db") / "casevault.db"
            url, admin = f"sqlite:///{path}", None
        else:
            url, admin = _create_pg_database()
        engine = make_engine(url)
        upgrade_schema(engine)
        created.append((url, admin, engine))
        return engine

    yield make
    for url, admin, engine in created:
        engine.dispose()
        if admin is not None:
            _drop_pg_database(url, admin)


@pytest.fixture(scope="session", params=DIALECTS)
def engine(request: pytest.FixtureRequest, database_factory: object) -> Engine:
    """One migrated database per dialect for the whole session."""
    return database_factory(request.param)  # type: ignore[operator, no-any-return]


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture(scope="session")
def court_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic court system as an interchange folder (CSV)."""
    folder = tmp_path_factory.mktemp("court") / "court"
    write_court(folder, people=150, seed=7)
    return folder


# --- a committed court, for the guard, the API and everything that appends to the ledger ---

GUARD_TABLES = (tables.publication_approvals, tables.break_glass_grants, tables.sessions,
                tables.account_approvals, tables.accounts, tables.ledger_checkpoints,
                tables.ledger_meta, tables.ledger_nodes, tables.ledger_events)
"""What guard tests write (children first): emptied before and after each such test."""


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def court_engine(request: pytest.FixtureRequest, database_factory: Callable[[str], Engine],
                 court_folder: Path) -> Iterator[Engine]:
    """A database of either dialect with the synthetic court committed (one per test module).

    Guard tests need committed rows: the ledger appends on its own connection, so
    a test's rolled-back transaction cannot hold the court. The module's pooled
    connections are closed when it ends: the PostgreSQL server is shared, and idle
    pools of finished modules would otherwise pile up to its connection limit.
    """
    engine = database_factory(request.param)
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    yield engine
    engine.dispose()


def _clear_guard_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in GUARD_TABLES:
            connection.execute(delete(table))


@pytest.fixture
def guard_engine(court_engine: Engine) -> Iterator[Engine]:
    """The committed court with no accounts, sessions, break-glass grants or ledger events."""
    _clear_guard_tables(court_engine)
    yield court_engine
    _clear_guard_tables(court_engine)


@pytest.fixture
def guard_ledger(guard_engine: Engine) -> Iterator[Ledger]:
    """A ledger on ``guard_engine`` with a signing key made for the test."""
    log = Ledger(guard_engine, signer=Signer.generate("casevault.test/guard"))
    yield log
    log.close()
