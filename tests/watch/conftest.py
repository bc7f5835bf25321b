"""Watch fixtures: an empty ledger on each database; a small simulated court in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.store import tables

_LEDGER_TABLES = (tables.ledger_checkpoints, tables.ledger_meta, tables.ledger_nodes,
                  tables.ledger_events)


def _empty_ledger(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in _LEDGER_TABLES:
            connection.execute(delete(table))


@pytest.fixture
def signer() -> Signer:
    return Signer.generate("casevault.test/watch")


@pytest.fixture
def ledger(engine: Engine, signer: Signer) -> Iterator[Ledger]:
    """A ledger on the session database of either dialect, emptied before and after."""
    _empty_ledger(engine)
    log = Ledger(engine, signer=signer)
    yield log
    log.close()
    _empty_ledger(engine)
