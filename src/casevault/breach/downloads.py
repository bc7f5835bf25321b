"""Traced downloads of an incident: stored sealed, shown only to a privacy officer, ledgered.

``trace_incident`` reads the access logs over the incident's exposure window
(``trace``), keeps each request for the leaked file with its client address
sealed, and records the step with counts only. ``downloads`` opens the
addresses for the officer (one ledger event). Tracing the same log twice keeps
each request once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from casevault.access.holds import BreachDoor, Officer
from casevault.audit.events import Action
from casevault.breach.incidents import load_incident, record_step
from casevault.breach.trace import (
    AddressSeal,
    Request,
    TraceResult,
    Window,
    leaked_paths,
    trace_logs,
)
from casevault.store.rows import instant_from_store
from casevault.store.tables_breach import breach_downloads


@dataclass(frozen=True, slots=True)
class Traced:
    result: TraceResult
    new: int
    paths: tuple[str, ...]


def trace_incident(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
                   logs: Iterable[Path], seal: AddressSeal, *,
                   extra_paths: Iterable[str] = ()) -> Traced:
    """Trace the logs for the incident's leaked path(s) in its exposure window; store them."""
    with engine.connect() as connection:
        incident = load_incident(connection, incident_id)
        known = {(r.client_key, instant_from_store(r.at), r.path, r.status, r.bytes)
                 for r in connection.execute(select(
                     breach_downloads.c.client_key, breach_downloads.c.at,
                     breach_downloads.c.path, breach_downloads.c.status,
                     breach_downloads.c.bytes).where(
                     breach_downloads.c.incident_id == incident_id))}
        seq = connection.execute(select(func.coalesce(func.max(breach_downloads.c.seq), 0))
                                 .where(breach_downloads.c.incident_id == incident_id)
                                 ).scalar_one()
    paths = leaked_paths(incident.timeline.where, extra_paths)
    window = Window(incident.timeline.posted_at, incident.timeline.removed_at)
    result = trace_logs(list(logs), paths, window)
    rows = []
    for request in result.requests:
        key = seal.key(request.client)
        identity = (key, request.at, request.path, request.status, request.bytes)
        if identity in known:
            continue
        known.add(identity)
        seq += 1
        rows.append({"incident_id": incident_id, "seq": seq,
                     "client_sealed": seal.seal(request.client), "client_key": key,
                     "network": None, "at": request.at, "path": request.path,
                     "status": request.status, "bytes": request.bytes,
                     "user_agent": request.user_agent[:1000]})
    if rows:
        with engine.begin() as connection:
            connection.execute(breach_downloads.insert(), rows)
    record_step(door, engine, officer, incident_id, "downloads_traced", files=result.files,
                lines=result.lines, malformed=result.malformed, requests=len(result.requests),
                new=len(rows), outside_window=result.outside_window)
    return Traced(result, len(rows), paths)


def downloads(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
              seal: AddressSeal) -> list[Request]:
    """The traced requests with their client addresses opened (for the officer; ledgered)."""
    with engine.connect() as connection:
        load_incident(connection, incident_id)
        rows = connection.execute(select(breach_downloads).where(
            breach_downloads.c.incident_id == incident_id).order_by(breach_downloads.c.at,
                                                                     breach_downloads.c.seq)
        ).all()
    door.record(officer, "downloads_shown", action=Action.VIEW, record_count=len(rows),
                detail={"incident_id": incident_id})
    return [Request(seal.open(r.client_sealed), instant_from_store(r.at), r.path, r.status,
                    r.bytes, r.user_agent) for r in rows]


__all__ = ["Traced", "downloads", "trace_incident"]
