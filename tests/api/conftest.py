"""The API's fixtures: a door on the committed court (both databases) and a test client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access import PolicyEngine
from casevault.access.accounts import Accounts
from casevault.access.guard import Guard
from casevault.access.sessions import Sessions
from casevault.access.setup import Door
from casevault.api.app import create_app
from casevault.audit.ledger import Ledger
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import Scanner

from .api_helpers import HASHER, Clock


@pytest.fixture
def door(guard_engine: Engine, guard_ledger: Ledger) -> Door:
    clock = Clock()
    accounts = Accounts(guard_engine, guard_ledger, clock=clock, password_hasher=HASHER)
    sessions = Sessions(guard_engine, guard_ledger, accounts, clock=clock)
    guard = Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=bytes(32),
                  clock=clock)
    return Door(guard_engine, guard_ledger, accounts, sessions, guard)


@pytest.fixture
def client(door: Door) -> Iterator[TestClient]:
    shield = Scanner(EdmIndex.build(door.engine, bytes(range(32))))
    with TestClient(create_app(door, shield=shield)) as test_client:
        yield test_client
