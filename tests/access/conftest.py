"""Fixtures of the guard's tests: the synthetic court, rolled back or committed, and a ledger."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete

from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.store import tables
from casevault.store.interchange import import_folder

from .guard_helpers import SignIn, sign_in_services


@pytest.fixture
def court(connection: Connection, court_folder: Path) -> Connection:
    """The connection with the synthetic court of ``court_folder`` imported (rolled back after)."""
    import_folder(connection, court_folder)
    return connection


GUARD_TABLES = (tables.publication_approvals, tables.break_glass_grants, tables.sessions,
                tables.account_approvals, tables.accounts, tables.ledger_checkpoints,
                tables.ledger_meta, tables.ledger_nodes, tables.ledger_events)
"""What guard tests write (children first): emptied before and after each such test."""


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def court_engine(request: pytest.FixtureRequest, database_factory: Callable[[str], Engine],
                 court_folder: Path) -> Engine:
    """A database of either dialect with the synthetic court committed (one per test module).

    Guard tests need committed rows: the ledger appends on its own connection, so
    a test's rolled-back transaction cannot hold the court.
    """
    engine = database_factory(request.param)
    with engine.begin() as connection:
        import_folder(connection, court_folder)
    return engine


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


@pytest.fixture
def sign_in(guard_engine: Engine, guard_ledger: Ledger) -> SignIn:
    """Real accounts and sessions on the committed court, with a hand-moved clock."""
    return sign_in_services(guard_engine, guard_ledger)
