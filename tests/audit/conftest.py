"""Ledger fixtures: a clean ledger on each database, and a signing key made for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.store import tables

LEDGER_TABLES = (tables.ledger_checkpoints, tables.ledger_meta, tables.ledger_nodes,
                 tables.ledger_events)


def _empty_ledger(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in LEDGER_TABLES:
            connection.execute(delete(table))


@pytest.fixture
def signer() -> Signer:
    return Signer.generate("casevault.test/ledger")


@pytest.fixture
def ledger_engine(engine: Engine) -> Iterator[Engine]:
    """The session database of either dialect with an empty ledger (emptied again after)."""
    _empty_ledger(engine)
    yield engine
    _empty_ledger(engine)


@pytest.fixture
def ledger(ledger_engine: Engine, signer: Signer) -> Iterator[Ledger]:
    log = Ledger(ledger_engine, signer=signer)
    yield log
    log.close()
