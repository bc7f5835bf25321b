"""Fixtures of the guard's tests: the synthetic court loaded into a rolled-back connection."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection

from casevault.store.interchange import import_folder


@pytest.fixture
def court(connection: Connection, court_folder: Path) -> Connection:
    """The connection with the synthetic court of ``court_folder`` imported (rolled back after)."""
    import_folder(connection, court_folder)
    return connection
