"""The console's fixtures: a door on the committed court (both databases), a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from casevault.access import PolicyEngine
from casevault.access.accounts import Accounts
from casevault.access.guard import Guard
from casevault.access.sessions import Sessions
from casevault.access.setup import Door
from casevault.api.app import create_app
from casevault.audit.ledger import Ledger

from .console_helpers import HASHER, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def door(guard_engine: Engine, guard_ledger: Ledger, clock: Clock) -> Door:
    accounts = Accounts(guard_engine, guard_ledger, clock=clock, password_hasher=HASHER)
    sessions = Sessions(guard_engine, guard_ledger, accounts, clock=clock)
    guard = Guard(guard_engine, guard_ledger, PolicyEngine.load(), terms_key=bytes(32),
                  clock=clock)
    return Door(guard_engine, guard_ledger, accounts, sessions, guard)


@pytest.fixture
def app(door: Door) -> FastAPI:
    return create_app(door)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client at a loopback host name (cookies are Secure anywhere else)."""
    with TestClient(app, base_url="http://localhost") as client:
        yield client
