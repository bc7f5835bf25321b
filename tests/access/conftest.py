"""Fixtures of the guard's tests: the synthetic court, rolled back or committed, and a ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from casevault.audit.ledger import Ledger
from casevault.store.interchange import import_folder

from .guard_helpers import SignIn, sign_in_services


@pytest.fixture
def court(connection: Connection, court_folder: Path) -> Connection:
    """The connection with the synthetic court of ``court_folder`` imported (rolled back after)."""
    import_folder(connection, court_folder)
    return connection


@pytest.fixture
def sign_in(guard_engine: Engine, guard_ledger: Ledger) -> SignIn:
    """Real accounts and sessions on the committed court, with a hand-moved clock."""
    return sign_in_services(guard_engine, guard_ledger)
