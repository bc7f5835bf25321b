"""Incidents: a leaked file taken up as a breach, with its timeline, clocks and affected set.

``open_incident`` does the mechanical part of the first hour in one step, each
part a ledger event (ids and counts only):

1. the officer is admitted (``BreachDoor.admit``: privacy officers only);
2. the file is scanned with the shield's exact data match (the same index and
   scanner as ``casevault scan``): every person it names becomes an affected
   person with the kinds of identifier of theirs that matched and the
   confidence; identifiers of nobody here are kept masked for manual review;
3. persons with a protection claim on file are marked (8 CFR 208.6: the
   disclosure can itself create a new claim for protection);
4. every affected person's open cases are put on hold ("disclosure under
   review"); notices follow (``notices``).

A file that names nobody still opens an incident: zero affected, said so.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from sqlalchemy import Connection, Engine, func, select

from casevault.access.holds import BreachDoor, Hold, Officer, holds_of_incident
from casevault.audit.events import Action
from casevault.breach import clocks
from casevault.domain import DataCategory
from casevault.errors import InvalidValue, NotFound
from casevault.shield.model import Finding
from casevault.shield.scan import BLOCKING_CONFIDENCE, ScanReport
from casevault.store.rows import instant_from_store
from casevault.store.tables_breach import (
    breach_affected,
    breach_downloads,
    breach_incidents,
    breach_notices,
    breach_steps,
    breach_unresolved,
)

INCIDENT_VERSION: Final = "cv-breach-incident/1"
_PROTECTION_WORDS: Final = re.compile(
    r"asyl|refug|protect|credible|withhold|torture|\bcat\b|persecut", re.IGNORECASE)


class FileScanner(Protocol):
    """What an incident needs of the shield: one file in, a scan report out."""

    def scan(self, path: Path) -> ScanReport: ...


@dataclass(frozen=True, slots=True)
class Timeline:
    """When the file went up, was found and came down, and where it was."""

    detected_at: datetime
    posted_at: datetime | None = None
    removed_at: datetime | None = None
    where: str | None = None

    def __post_init__(self) -> None:
        for name in ("detected_at", "posted_at", "removed_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                msg = f"{name.replace('_', ' ')} needs a time zone (write it with Z or +hh:mm)"
                raise InvalidValue(msg)
        if self.posted_at and self.posted_at > self.detected_at:
            msg = "the file cannot have been posted after it was detected"
            raise InvalidValue(msg)
        if self.posted_at and self.removed_at and self.removed_at < self.posted_at:
            msg = "the file cannot have been removed before it was posted"
            raise InvalidValue(msg)


@dataclass(frozen=True, slots=True)
class Affected:
    """One affected person: ids, kinds exposed, confidence, rows, protection claim."""

    person_id: str
    kinds: tuple[str, ...]
    confidence: float
    rows: int
    asylum_exposed: bool


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An identifier of nobody here, masked: for someone to look at by hand."""

    seq: int
    location: str
    kind: str
    confidence: float
    masked_preview: str


@dataclass(frozen=True, slots=True)
class Step:
    seq: int
    at: datetime
    step: str
    user_id: str | None
    detail: dict[str, str]


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as ``show`` and the report see it (ids, counts and times only)."""

    incident_id: str
    opened_at: datetime
    opened_by: str
    file_name: str
    file_sha256: str
    file_bytes: int
    timeline: Timeline
    rules: tuple[clocks.ClockRule, ...]
    mentions_protection: bool
    affected: int
    unresolved: int
    asylum_exposed: int
    kinds: dict[str, int]
    holds_placed: int
    holds_active: int
    notices: dict[str, int]
    notices_by_language: dict[str, int]
    downloads: int
    steps: tuple[Step, ...] = field(default=())

    def clock_status(self, now: datetime) -> list[clocks.ClockStatus]:
        met = {s.step.removeprefix("clock_met:"): s.at for s in self.steps
               if s.step.startswith("clock_met:")}
        return clocks.status(self.rules, self.timeline.detected_at, met, now)


@dataclass(frozen=True, slots=True)
class Opened:
    incident_id: str
    affected: int
    unresolved: int
    asylum_exposed: int
    holds: int
    scan_seconds: float
    earlier: tuple[str, ...] = ()
    """Incidents opened before from the same file (same SHA-256): a second look, not a new leak."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_incident(door: BreachDoor, engine: Engine, officer: Officer, scanner: FileScanner,
                  path: Path, timeline: Timeline,
                  rules: Sequence[clocks.ClockRule] = clocks.DEFAULT_CLOCKS, *,
                  place_holds: bool = True) -> Opened:
    """Scan the leaked file, record the incident and its affected set, hold open cases."""
    if not path.is_file():
        msg = f"{path} is not a file: give the leaked file itself"
        raise InvalidValue(msg)
    sha256 = file_sha256(path)
    with engine.connect() as connection:
        earlier = tuple(connection.execute(select(breach_incidents.c.incident_id).where(
            breach_incidents.c.file_sha256 == sha256).order_by(breach_incidents.c.opened_at))
            .scalars())
    report = scanner.scan(path)
    affected, unresolved = resolve(report)
    claimants = door.protection_claimants(officer, [a.person_id for a in affected]) \
        if affected else set()
    affected = [Affected(a.person_id, a.kinds, a.confidence, a.rows, a.person_id in claimants)
                for a in affected]
    incident_id = f"inc-{door.clock():%Y%m%d}-{secrets.token_hex(4)}"
    mentions = bool(_PROTECTION_WORDS.search(f"{path.name} {timeline.where or ''}"))
    event = door.record(officer, "open", record_count=len(affected), detail={
        "incident_id": incident_id, "file_sha256": sha256, "affected": str(len(affected)),
        "unresolved": str(len(unresolved)), "asylum_exposed": str(len(claimants))})
    now = door.clock()
    with engine.begin() as connection:
        connection.execute(breach_incidents.insert().values(
            incident_id=incident_id, version=INCIDENT_VERSION, opened_at=now,
            opened_by=officer.user_id, file_name=path.name, file_sha256=sha256,
            file_bytes=path.stat().st_size, where_url=timeline.where,
            posted_at=timeline.posted_at, detected_at=timeline.detected_at,
            removed_at=timeline.removed_at, clocks=clocks.dumps(rules),
            mentions_protection=mentions, affected_count=len(affected),
            unresolved_count=len(unresolved), event_id=event.event_id))
        _insert_many(connection, breach_affected, [{
            "incident_id": incident_id, "person_id": a.person_id, "kinds": ";".join(a.kinds),
            "confidence": a.confidence, "rows": a.rows, "asylum_exposed": a.asylum_exposed}
            for a in affected])
        _insert_many(connection, breach_unresolved, [{
            "incident_id": incident_id, "seq": u.seq, "location": u.location, "kind": u.kind,
            "confidence": u.confidence, "masked_preview": u.masked_preview, "reviewed": False}
            for u in unresolved])
        add_step(connection, incident_id, "opened", officer.user_id, event.event_id, at=now,
                 affected=len(affected), unresolved=len(unresolved),
                 asylum_exposed=len(claimants))
        for name, moment in (("posted", timeline.posted_at), ("detected", timeline.detected_at),
                             ("removed", timeline.removed_at)):
            if moment is not None:
                add_step(connection, incident_id, f"file_{name}", None, None, at=moment)
    holds = hold_cases(door, engine, officer, incident_id) if place_holds else []
    return Opened(incident_id, len(affected), len(unresolved), len(claimants), len(holds),
                  report.seconds, earlier)


def hold_cases(door: BreachDoor, engine: Engine, officer: Officer,
               incident_id: str) -> list[Hold]:
    """Hold the open cases of every affected person of the incident (idempotent)."""
    with engine.connect() as connection:
        require_incident(connection, incident_id)
        persons = affected_ids(connection, incident_id)
    holds = door.place_holds(officer, incident_id, persons)
    with engine.begin() as connection:
        add_step(connection, incident_id, "holds_placed", officer.user_id, None,
                 at=door.clock(), holds=len(holds))
    return holds


def resolve(report: ScanReport) -> tuple[list[Affected], list[Unresolved]]:
    """Affected persons and unresolved identifiers from a scan report.

    A person's kinds are the identifiers of theirs that matched, over every row
    naming them; their confidence the highest. Persons the report only counted
    (past its findings limit) carry the kinds and lowest confidence seen in the file.
    """
    kinds: dict[str, set[str]] = {}
    sure: dict[str, float] = {}
    rows: dict[str, int] = {}
    unresolved: list[Unresolved] = []
    for finding in report.findings:
        person = finding.matched_person_id
        if person is None:
            if finding.confidence >= BLOCKING_CONFIDENCE:
                unresolved.append(Unresolved(len(unresolved) + 1, _where(finding),
                                             finding.kind.value, finding.confidence,
                                             finding.masked_preview))
            continue
        found = finding.detail.get("identifiers", finding.kind.value).split(",")
        kinds.setdefault(person, set()).update(found)
        sure[person] = max(sure.get(person, 0.0), finding.confidence)
        rows[person] = rows.get(person, 0) + 1
    seen_kinds = sorted({k for ks in kinds.values() for k in ks})
    floor = min(sure.values(), default=BLOCKING_CONFIDENCE)
    affected = [Affected(p, tuple(sorted(kinds.get(p, seen_kinds))), sure.get(p, floor),
                         rows.get(p, 1), asylum_exposed=False) for p in sorted(report.persons)]
    return affected, unresolved


def _where(finding: Finding) -> str:
    return " ".join(f"{k}={v}" for k, v in finding.location.as_dict().items())


def _insert_many(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5_000):
        connection.execute(table.insert(), rows[start:start + 5_000])


def add_step(connection: Connection, incident_id: str, step: str, user_id: str | None,
             event_id: str | None, *, at: datetime, **detail: object) -> None:
    """Append a step to the incident's timeline (ids and counts only)."""
    seq = connection.execute(select(func.coalesce(func.max(breach_steps.c.seq), 0)).where(
        breach_steps.c.incident_id == incident_id)).scalar_one() + 1
    connection.execute(breach_steps.insert().values(
        incident_id=incident_id, seq=seq, at=at, step=step,
        user_id=user_id, detail=json.dumps({k: str(v) for k, v in detail.items()}),
        event_id=event_id))


def require_incident(connection: Connection, incident_id: str) -> Any:
    row = connection.execute(select(breach_incidents).where(
        breach_incidents.c.incident_id == incident_id)).first()
    if row is None:
        raise NotFound("incident", incident_id)
    return row


def affected_ids(connection: Connection, incident_id: str) -> list[str]:
    return list(connection.execute(select(breach_affected.c.person_id).where(
        breach_affected.c.incident_id == incident_id).order_by(breach_affected.c.person_id))
        .scalars())


def load_incident(connection: Connection, incident_id: str) -> Incident:
    """The incident with its counts and timeline (no personal data)."""
    row = require_incident(connection, incident_id)
    affected = connection.execute(select(breach_affected.c.kinds,
                                         breach_affected.c.asylum_exposed).where(
        breach_affected.c.incident_id == incident_id)).all()
    kinds: dict[str, int] = {}
    for kinds_text, _ in affected:
        for kind in kinds_text.split(";"):
            if kind:
                kinds[kind] = kinds.get(kind, 0) + 1
    holds = holds_of_incident(connection, incident_id)
    notices: dict[str, int] = {}
    languages: dict[str, int] = {}
    for status, language, recipient in connection.execute(select(
            breach_notices.c.status, breach_notices.c.language,
            breach_notices.c.recipient_kind).where(breach_notices.c.incident_id == incident_id)):
        notices[status] = notices.get(status, 0) + 1
        notices[f"to_{recipient}"] = notices.get(f"to_{recipient}", 0) + 1
        languages[language] = languages.get(language, 0) + 1
    downloads = connection.execute(select(func.count()).select_from(breach_downloads).where(
        breach_downloads.c.incident_id == incident_id)).scalar_one()
    steps = tuple(Step(s.seq, instant_from_store(s.at), s.step, s.user_id, json.loads(s.detail))
                  for s in connection.execute(select(breach_steps).where(
                      breach_steps.c.incident_id == incident_id).order_by(breach_steps.c.seq)))
    return Incident(
        incident_id=row.incident_id, opened_at=instant_from_store(row.opened_at),
        opened_by=row.opened_by, file_name=row.file_name, file_sha256=row.file_sha256,
        file_bytes=row.file_bytes,
        timeline=Timeline(instant_from_store(row.detected_at), _instant(row.posted_at),
                          _instant(row.removed_at), row.where_url),
        rules=clocks.loads(row.clocks), mentions_protection=bool(row.mentions_protection),
        affected=len(affected), unresolved=row.unresolved_count,
        asylum_exposed=sum(1 for _, exposed in affected if exposed), kinds=kinds,
        holds_placed=len(holds), holds_active=sum(1 for h in holds if h.active),
        notices=notices, notices_by_language=languages, downloads=int(downloads), steps=steps)


def _instant(value: Any) -> datetime | None:
    return instant_from_store(value) if value is not None else None


def incident_ids(connection: Connection) -> list[str]:
    return list(connection.execute(select(breach_incidents.c.incident_id).order_by(
        breach_incidents.c.opened_at.desc())).scalars())


def affected_people(door: BreachDoor, engine: Engine, officer: Officer,
                    incident_id: str) -> list[Affected]:
    """The affected persons (ids, kinds, confidence, protection claim), disclosed and ledgered."""
    with engine.connect() as connection:
        require_incident(connection, incident_id)
        rows = connection.execute(select(breach_affected).where(
            breach_affected.c.incident_id == incident_id)
            .order_by(breach_affected.c.person_id)).all()
    found = [Affected(r.person_id, tuple(k for k in r.kinds.split(";") if k), r.confidence,
                      r.rows, bool(r.asylum_exposed)) for r in rows]
    door.disclose(officer, [a.person_id for a in found], "affected_shown",
                  incident_id=incident_id,
                  categories=(DataCategory.IDENTITY, DataCategory.ASYLUM, DataCategory.CASE))
    return found


def unresolved_rows(door: BreachDoor, engine: Engine, officer: Officer,
                    incident_id: str) -> list[Unresolved]:
    """Identifiers of nobody here, masked (the review list); ledgered as a step."""
    with engine.connect() as connection:
        require_incident(connection, incident_id)
        rows = connection.execute(select(breach_unresolved).where(
            breach_unresolved.c.incident_id == incident_id)
            .order_by(breach_unresolved.c.seq)).all()
    door.record(officer, "unresolved_shown", action=Action.VIEW, record_count=len(rows),
                detail={"incident_id": incident_id})
    return [Unresolved(r.seq, r.location, r.kind, r.confidence, r.masked_preview) for r in rows]


def record_step(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
                step: str, **detail: object) -> None:
    """A step of the response (a clock met, notices mailed): ledger event, then timeline."""
    with engine.connect() as connection:
        require_incident(connection, incident_id)
    event = door.record(officer, step, detail={"incident_id": incident_id,
                                               **{k: str(v) for k, v in detail.items()}})
    with engine.begin() as connection:
        add_step(connection, incident_id, step, officer.user_id, event.event_id,
                 at=door.clock(), **detail)


def meet_clock(door: BreachDoor, engine: Engine, officer: Officer, incident_id: str,
               clock_name: str) -> None:
    """Record that a clock's obligation was met (now)."""
    with engine.connect() as connection:
        incident = load_incident(connection, incident_id)
    names = [rule.name for rule in incident.rules]
    if clock_name not in names:
        msg = f"incident {incident_id} has no clock {clock_name!r}; its clocks: {', '.join(names)}"
        raise InvalidValue(msg)
    if any(s.step == f"clock_met:{clock_name}" for s in incident.steps):
        msg = f"clock {clock_name} of incident {incident_id} is already met"
        raise InvalidValue(msg)
    record_step(door, engine, officer, incident_id, f"clock_met:{clock_name}")


__all__ = ["INCIDENT_VERSION", "Affected", "FileScanner", "Incident", "Opened", "Step",
           "Timeline", "Unresolved", "add_step", "affected_ids", "affected_people",
           "file_sha256", "hold_cases", "incident_ids", "load_incident", "meet_clock",
           "open_incident", "record_step", "require_incident", "resolve", "unresolved_rows"]
