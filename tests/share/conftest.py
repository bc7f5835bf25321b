"""Fixtures of the share tests: the committed synthetic court, real accounts, a clean slate.

The account and agreement helpers are the guard tests' own (``tests/access``), so
the share workflows are exercised through the same real sign-ins and agreements.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from access.guard_helpers import TERMS_KEY, SignIn, sign_in_services
from access.share_helpers import cleared
from casevault.access import PolicyEngine
from casevault.access.guard import Guard
from casevault.audit.ledger import Ledger
from casevault.share._dataset import cases_parquet

TODAY = date(2026, 11, 21)


@pytest.fixture
def share_clean(guard_engine: Engine) -> Iterator[None]:
    yield from cleared(guard_engine)


@pytest.fixture
def sign_in(share_clean: None, guard_engine: Engine, guard_ledger: Ledger) -> SignIn:
    return sign_in_services(guard_engine, guard_ledger)


@pytest.fixture
def guard(guard_engine: Engine, guard_ledger: Ledger, sign_in: SignIn) -> Guard:
    return Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=TERMS_KEY,
                 clock=sign_in.clock)


@pytest.fixture(scope="module")
def cases_table(court_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analysis table of the committed court, as Parquet."""
    return cases_parquet(court_engine, tmp_path_factory.mktemp("share"), today=TODAY)


@pytest.fixture(scope="module", autouse=True)
def release_connections(court_engine: Engine) -> Iterator[None]:
    """Close the module's pooled connections when it ends: the PostgreSQL server is shared
    by every test process (and its connection limit with it)."""
    yield
    court_engine.dispose()
