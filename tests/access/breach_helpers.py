"""Arranging breach rows for access tests: an incident to hang holds on, and cleaning up.

The breach tables are not among the guard tables the shared fixtures empty, so
tests that write them clear them before and after themselves.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, delete

from casevault.store.tables_breach import (
    breach_affected,
    breach_downloads,
    breach_incidents,
    breach_notices,
    breach_steps,
    breach_unresolved,
    case_holds,
)

BREACH_TABLES = (case_holds, breach_notices, breach_downloads, breach_unresolved,
                 breach_affected, breach_steps, breach_incidents)


def clear_breach_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in BREACH_TABLES:
            connection.execute(delete(table))


def an_incident(engine: Engine, incident_id: str = "inc-test-1") -> str:
    """An incident row (no file behind it): enough for holds to refer to."""
    now = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(breach_incidents.insert().values(
            incident_id=incident_id, version="cv-breach-incident/1", opened_at=now,
            opened_by="u-test", file_name="leak.csv", file_sha256="0" * 64, file_bytes=1,
            detected_at=now, clocks='{"version": "cv-breach-clocks/1", "clocks": []}',
            mentions_protection=False, affected_count=0, unresolved_count=0,
            event_id="e-test"))
    return incident_id
