"""Alert cases: alerts grouped per staff member, worked by privacy officers, every step ledgered.

A case is about one staff member (the alerts' ``user_id``). New alerts about someone
join their case while it is open or under investigation; otherwise they open a new
one. A privacy officer moves a case open -> investigating -> substantiated or
unfounded (or straight from open to unfounded), with a note for each step.

Every step is appended to the ledger *before* the case changes (``audit_access``
events whose ``detail`` names the case and the step; a note enters the ledger only as
its SHA-256, so the log proves the note was not edited later without holding it).
When a case is substantiated, each person whose record the alerts name gets a ledger
event of their own, so that their subject access report tells them a staff member's
access to their record was found to be misuse (DESIGN.md invariant 8).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Engine, func, select

from casevault.audit.events import Action, EventDraft, Result
from casevault.errors import AccessDenied, InvalidValue, NotFound
from casevault.store import tables
from casevault.store.tables_watch import watch_alerts, watch_case_steps, watch_cases
from casevault.watch._alerts import Alert

LIST_SEPARATOR: Final = ";"
OFFICER_ROLE: Final = "privacy_officer"


class CaseState(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    SUBSTANTIATED = "substantiated"
    UNFOUNDED = "unfounded"


MOVES: Final = {
    CaseState.OPEN: frozenset({CaseState.INVESTIGATING, CaseState.UNFOUNDED}),
    CaseState.INVESTIGATING: frozenset({CaseState.SUBSTANTIATED, CaseState.UNFOUNDED}),
}
"""Where a case may go from each state; substantiated and unfounded are final."""

ACTIVE: Final = (CaseState.OPEN, CaseState.INVESTIGATING)


Append = Callable[[EventDraft], object]
"""What cases need of the ledger: ``Ledger.append`` (returns the stored event)."""


@dataclass(frozen=True, slots=True)
class CaseSummary:
    watch_case_id: str
    user_id: str
    state: CaseState
    alerts: int
    opened_at: datetime
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class CaseStep:
    step: int
    at: datetime
    officer_id: str | None
    state: CaseState
    note: str | None
    event_id: str


@dataclass(frozen=True, slots=True)
class CaseDetail:
    summary: CaseSummary
    alerts: tuple[Alert, ...]
    steps: tuple[CaseStep, ...]


@dataclass(frozen=True, slots=True)
class Filed:
    opened: tuple[str, ...]
    added: int
    already_filed: int


def _event_id(event: object) -> str:
    return str(getattr(event, "event_id", ""))


def _ledger(append: Append, *, officer_id: str | None, case_id: str, step: str,
            note: str | None = None, person_id: str | None = None,
            extra: dict[str, str] | None = None) -> str:
    detail = {"watch_case": case_id, "step": step, **(extra or {})}
    if note:
        detail["note_sha256"] = hashlib.sha256(note.encode()).hexdigest()
    event = append(EventDraft(Action.AUDIT_ACCESS, Result.PERMIT, user_id=officer_id,
                              person_id=person_id, purpose="compliance_audit", detail=detail))
    return _event_id(event)


def _new_case_id(user_id: str, now: datetime, first_alert: str) -> str:
    digest = hashlib.sha256(f"{user_id}|{now.isoformat()}|{first_alert}".encode()).hexdigest()
    return f"WC-{digest[:18]}"


def file_alerts(engine: Engine, append: Append, alerts: Iterable[Alert], *,
                now: datetime) -> Filed:
    """File alerts into cases, one case per staff member; an alert is filed once only.

    Reads first, then ledgers each new case, then writes: the ledger commits on its own
    connection, so no database transaction stays open across an append.
    """
    by_user: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_user.setdefault(alert.user_id, []).append(alert)
    with engine.connect() as connection:
        known = {row[0] for row in connection.execute(select(watch_alerts.c.alert_id))}
        active = dict(connection.execute(
            select(watch_cases.c.user_id, watch_cases.c.watch_case_id)
            .where(watch_cases.c.state.in_([str(s) for s in ACTIVE]))
            .order_by(watch_cases.c.opened_at.desc())).all())
    fresh = {user: [a for a in group if a.alert_id not in known]
             for user, group in sorted(by_user.items())}
    skipped = sum(len(group) for group in by_user.values()) - sum(map(len, fresh.values()))
    opened: list[tuple[str, str, str]] = []
    rows: list[dict[str, object]] = []
    for user_id, group in fresh.items():
        if not group:
            continue
        case_id = active.get(user_id)
        if case_id is None:
            case_id = _new_case_id(user_id, now, group[0].alert_id)
            event_id = _ledger(append, officer_id=None, case_id=case_id, step="opened",
                               extra={"subject_user": user_id, "alerts": str(len(group))})
            opened.append((case_id, user_id, event_id))
        rows.extend(_alert_row(case_id, a) for a in group)
    with engine.begin() as connection:
        for case_id, user_id, event_id in opened:
            connection.execute(watch_cases.insert().values(
                watch_case_id=case_id, user_id=user_id, state=str(CaseState.OPEN),
                opened_at=now, changed_at=now, officer_id=None, event_id=event_id))
            connection.execute(watch_case_steps.insert().values(
                watch_case_id=case_id, step=1, at=now, officer_id=None,
                state=str(CaseState.OPEN), note=None, event_id=event_id))
        if rows:
            connection.execute(watch_alerts.insert(), rows)
    return Filed(tuple(case for case, _, _ in opened), len(rows), skipped)


def _alert_row(case_id: str, alert: Alert) -> dict[str, object]:
    return {"alert_id": alert.alert_id, "watch_case_id": case_id, "detector": alert.detector,
            "user_id": alert.user_id, "person_ids": LIST_SEPARATOR.join(alert.person_ids),
            "event_ids": LIST_SEPARATOR.join(alert.event_ids), "score": alert.score,
            "severity": alert.severity, "summary": alert.summary,
            "first_at": datetime.fromisoformat(alert.first_at.replace("Z", "+00:00")),
            "last_at": datetime.fromisoformat(alert.last_at.replace("Z", "+00:00"))}


def _require_officer(engine: Engine, officer_id: str) -> None:
    with engine.connect() as connection:
        role = connection.execute(select(tables.users.c.role).where(
            tables.users.c.user_id == officer_id)).scalar()
    if role != OFFICER_ROLE:
        msg = ("only a privacy officer may work misuse cases: sign in as one, or ask one to "
               "take the case")
        raise AccessDenied(msg)


def move_case(engine: Engine, append: Append, watch_case_id: str, to: CaseState, *,
              officer_id: str, note: str, now: datetime) -> CaseSummary:
    """Move a case to another state with the officer's note (ledgered first)."""
    _require_officer(engine, officer_id)
    if not note.strip():
        msg = "a note is required: say what was checked and why the case moves"
        raise InvalidValue(msg)
    summary = case_summary(engine, watch_case_id)
    allowed = MOVES.get(summary.state, frozenset())
    if to not in allowed:
        choices = ", ".join(sorted(allowed)) or "none (the case is closed)"
        msg = f"case {watch_case_id} is {summary.state}; it can move to: {choices}"
        raise InvalidValue(msg)
    event_id = _ledger(append, officer_id=officer_id, case_id=watch_case_id, step=str(to),
                       note=note, extra={"subject_user": summary.user_id})
    if to is CaseState.SUBSTANTIATED:
        _notify_subjects(engine, append, watch_case_id, officer_id)
    with engine.begin() as connection:
        step = connection.execute(select(func.max(watch_case_steps.c.step)).where(
            watch_case_steps.c.watch_case_id == watch_case_id)).scalar() or 0
        connection.execute(watch_case_steps.insert().values(
            watch_case_id=watch_case_id, step=step + 1, at=now, officer_id=officer_id,
            state=str(to), note=note, event_id=event_id))
        connection.execute(watch_cases.update().where(
            watch_cases.c.watch_case_id == watch_case_id).values(
            state=str(to), changed_at=now, officer_id=officer_id, event_id=event_id))
    return case_summary(engine, watch_case_id)


def _notify_subjects(engine: Engine, append: Append, watch_case_id: str,
                     officer_id: str) -> None:
    """One ledger event per affected person: their access report then tells them."""
    with engine.connect() as connection:
        lists = connection.execute(select(watch_alerts.c.person_ids).where(
            watch_alerts.c.watch_case_id == watch_case_id)).scalars().all()
    persons = sorted({p for joined in lists for p in joined.split(LIST_SEPARATOR) if p})
    for person_id in persons:
        _ledger(append, officer_id=officer_id, case_id=watch_case_id, step="subject_notified",
                person_id=person_id,
                extra={"misuse_finding": "a staff member's access to your record was found "
                                         "to be misuse; the privacy office has acted on it"})


def case_summary(engine: Engine, watch_case_id: str) -> CaseSummary:
    found = list_cases(engine, case_ids=[watch_case_id])
    if not found:
        raise NotFound("misuse case (list them with `casevault watch cases`)", watch_case_id)
    return found[0]


def list_cases(engine: Engine, *, state: CaseState | None = None,
               case_ids: Sequence[str] | None = None) -> list[CaseSummary]:
    c = watch_cases.c
    counts = (select(watch_alerts.c.watch_case_id, func.count().label("n"))
              .group_by(watch_alerts.c.watch_case_id).subquery())
    statement = (select(c.watch_case_id, c.user_id, c.state, func.coalesce(counts.c.n, 0),
                        c.opened_at, c.changed_at)
                 .outerjoin(counts, counts.c.watch_case_id == c.watch_case_id)
                 .order_by(c.opened_at, c.watch_case_id))
    if state is not None:
        statement = statement.where(c.state == str(state))
    if case_ids is not None:
        statement = statement.where(c.watch_case_id.in_(list(case_ids)))
    with engine.connect() as connection:
        return [CaseSummary(row[0], row[1], CaseState(row[2]), int(row[3]), row[4], row[5])
                for row in connection.execute(statement)]


def case_detail(engine: Engine, watch_case_id: str) -> CaseDetail:
    summary = case_summary(engine, watch_case_id)
    a, s = watch_alerts.c, watch_case_steps.c
    with engine.connect() as connection:
        alerts = tuple(
            Alert(r.alert_id, r.detector, r.user_id, _ids(r.person_ids), _ids(r.event_ids),
                  float(r.score), r.severity, r.summary, _iso(r.first_at), _iso(r.last_at))
            for r in connection.execute(select(watch_alerts).where(
                a.watch_case_id == watch_case_id).order_by(a.first_at, a.alert_id)))
        steps = tuple(
            CaseStep(int(r.step), r.at, r.officer_id, CaseState(r.state), r.note, r.event_id)
            for r in connection.execute(select(watch_case_steps).where(
                s.watch_case_id == watch_case_id).order_by(s.step)))
    return CaseDetail(summary, alerts, steps)


def _ids(joined: str) -> tuple[str, ...]:
    return tuple(part for part in joined.split(LIST_SEPARATOR) if part)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
