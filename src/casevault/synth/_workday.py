"""A workday simulator: access events of a synthetic court's staff doing their real work.

Each working day (Monday to Friday) each active staff member signs in from their
own device on their office network, works, and signs out:

* judges open the cases on their calendar in the coming week and some of their docket;
* clerks (interpreters among them) work their court's docket, updating some records;
* DHS counsel prepare the cases of their court;
* attorneys open their clients' cases;
* court administrators look over what their clerks opened that week;
* analysts export statistics extracts (no person), privacy officers sign in and audit.

A small share of the work is legitimate but unexplainable from the records (a search
that opened the wrong person): real logs have that noise, and the detectors must
not mistake it for misuse. Misuse is injected by ``_workday_misuse``, labelled.

Everything is drawn from the seed; times are UTC seconds. The simulator writes
events in DESIGN.md's access-event format and never imports the detectors.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from casevault.domain.access_events import AccessEvent
from casevault.domain.records import (
    Assignment,
    Case,
    Document,
    Hearing,
    Person,
    Representation,
    User,
)
from casevault.domain.vocab import Role

SEARCH_FIRST: Final = 0.8
"""Share of records opened from a search (the search names no person; its hits are counted)."""
NOISE_SHARE: Final = 0.015
"""Share of accesses that are legitimate but that no record explains."""

_JUSTIFICATIONS: Final = {
    Role.JUDGE: ("hearing preparation", "calendar review", "ruling on motion", ""),
    Role.CLERK: ("docket update", "filing intake", "", "", "record update"),
    Role.DHS_COUNSEL: ("motion preparation", "government brief", ""),
    Role.ATTORNEY: ("client file review", "representation of client", ""),
    Role.COURT_ADMIN: ("", "docket review"),
}
_PURPOSE: Final = {
    Role.JUDGE: "adjudication", Role.CLERK: "case_processing",
    Role.DHS_COUNSEL: "litigation", Role.ATTORNEY: "representation",
    Role.COURT_ADMIN: "case_processing", Role.PRIVACY_OFFICER: "compliance_audit",
    Role.ANALYST: "statistics", Role.EXTERNAL_ADVISOR: "statistics",
}


@dataclass(slots=True)
class Court:
    """The records the simulator draws on, indexed for the day's work."""

    users: list[User]
    persons: dict[str, Person]
    cases: dict[str, Case]
    cases_by_court: dict[str, list[str]] = field(default_factory=dict)
    assigned: dict[str, list[Assignment]] = field(default_factory=dict)
    hearings_by_judge: dict[str, list[Hearing]] = field(default_factory=dict)
    clients: dict[str, list[Representation]] = field(default_factory=dict)
    documents_by_filer: dict[str, list[Document]] = field(default_factory=dict)
    relatives: dict[str, list[str]] = field(default_factory=dict)


def index_court(records: Iterable[object], start: date, end: date) -> Court:
    """Index a court's records for the period [start, end)."""
    court = Court([], {}, {})
    for record in records:
        if isinstance(record, User):
            court.users.append(record)
        elif isinstance(record, Person):
            court.persons[record.person_id] = record
        elif isinstance(record, Case):
            court.cases[record.case_id] = record
            court.cases_by_court.setdefault(record.court_code, []).append(record.case_id)
        else:
            _index_work(court, record, start, end)
    return court


def _index_work(court: Court, record: object, start: date, end: date) -> None:
    if isinstance(record, Assignment):
        if record.ended_on is None or record.ended_on >= start:
            court.assigned.setdefault(record.user_id, []).append(record)
    elif isinstance(record, Hearing):
        if record.judge_user_id and start <= record.scheduled_at.date() < end + timedelta(7):
            court.hearings_by_judge.setdefault(record.judge_user_id, []).append(record)
    elif isinstance(record, Representation):
        if record.started_on <= end and (record.ended_on is None or record.ended_on >= start):
            court.clients.setdefault(record.attorney_id, []).append(record)
    elif isinstance(record, Document):
        if record.filed_by and start - timedelta(1) <= record.filed_on < end:
            court.documents_by_filer.setdefault(record.filed_by, []).append(record)
    elif type(record).__name__ == "Relative":
        court.relatives.setdefault(record.person_id, []).append(  # type: ignore[attr-defined]
            record.relative_id)  # type: ignore[attr-defined]


class EventIds:
    def __init__(self, prefix: str = "EV") -> None:
        self._prefix = prefix
        self._next = 0

    def next(self) -> str:
        self._next += 1
        return f"{self._prefix}{self._next:09d}"


@dataclass(frozen=True, slots=True)
class Desk:
    """Where a user works from: their device and office network address."""

    device_id: str
    ip: str


def desk_of(user: User, index: int) -> Desk:
    office = sum(map(ord, user.office_code or "HQ")) % 200 + 20
    return Desk(f"DEV-{user.user_id}", f"10.{office}.{index // 250 % 250}.{index % 250 + 1}")


@dataclass(slots=True)
class Shift:
    """One user's signed-in day: emits events at increasing times from sign-in."""

    user: User
    desk: Desk
    session_id: str
    now: int
    ids: EventIds
    out: list[AccessEvent]

    def emit(self, action: str, *, person_id: str | None = None, case_id: str | None = None,
             purpose: str | None = None, justification: str | None = None,
             record_count: int = 0, gap: int = 0, categories: str | None = None) -> AccessEvent:
        self.now += gap
        event = AccessEvent(self.ids.next(), self.now, self.user.user_id, self.session_id,
                         self.desk.device_id, self.desk.ip, action, person_id, case_id,
                         categories or ("identity;case" if person_id else None), purpose,
                         justification or None, "permit",
                         record_count if record_count else (1 if person_id else 0))
        self.out.append(event)
        return event


class Workday:
    """Simulates ``days`` calendar days of normal work ending the day before ``end``."""

    def __init__(self, court: Court, rng: random.Random, ids: EventIds, *, start: date,
                 days: int) -> None:
        self.court = court
        self.rng = rng
        self.ids = ids
        self.start = start
        self.days = days
        self.desks = {u.user_id: desk_of(u, i) for i, u in enumerate(court.users)}
        self.opened_by_clerks: dict[str, list[tuple[str, str]]] = {}

    def working_days(self) -> Iterator[date]:
        for offset in range(self.days):
            day = self.start + timedelta(days=offset)
            if day.weekday() < 5:
                yield day

    def run(self) -> Iterator[AccessEvent]:
        """Every day's events, day by day (within a day, user by user)."""
        for day in self.working_days():
            self.opened_by_clerks = {}
            ordered = sorted(self.court.users, key=lambda u: (u.role != Role.CLERK, u.user_id))
            for user in ordered:
                if _active(user, day):
                    yield from self.shift(user, day)

    def start_shift(self, user: User, day: date, *, hour: float | None = None,
                    desk: Desk | None = None) -> Shift:
        rng = self.rng
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        begin = int(at.timestamp()) + int((hour if hour is not None else
                                           rng.uniform(7.5, 9.5)) * 3600)
        shift = Shift(user, desk or self.desks[user.user_id],
                      f"SES-{user.user_id}-{day.isoformat()}-{rng.randrange(10**6)}", begin,
                      self.ids, [])
        shift.emit("login")
        return shift

    def shift(self, user: User, day: date) -> list[AccessEvent]:
        shift = self.start_shift(user, day)
        work = _WORK.get(user.role)
        if work is not None:
            work(self, shift, day)
        if self.rng.random() < NOISE_SHARE * 4 and user.role in _PURPOSE:
            self.noise(shift)
        shift.emit("logout", gap=self.rng.randrange(600, 3600))
        return shift.out

    def noise(self, shift: Shift) -> None:
        """A legitimate access no record explains (a mistaken search hit)."""
        person = self.rng.choice(list(self.court.persons))
        shift.emit("view", person_id=person, purpose=_PURPOSE[shift.user.role],
                   gap=self.rng.randrange(60, 900))

    def open_case(self, shift: Shift, case_id: str, *, update: bool = False) -> None:
        role = shift.user.role
        person = self.court.cases[case_id].person_id
        reason = self.rng.choice(_JUSTIFICATIONS.get(role, ("",)))
        if self.rng.random() < SEARCH_FIRST:
            shift.emit("search", purpose=_PURPOSE.get(role), record_count=self.rng.randint(1, 25),
                       gap=self.rng.randrange(20, 300), categories="identity")
        shift.emit("view", person_id=person, case_id=case_id, purpose=_PURPOSE.get(role),
                   justification=reason, gap=self.rng.randrange(30, 400))
        if update:
            shift.emit("update", person_id=person, case_id=case_id, purpose=_PURPOSE.get(role),
                       gap=self.rng.randrange(30, 300))


def _active(user: User, day: date) -> bool:
    return user.active_from <= day and (user.active_to is None or user.active_to >= day)


def _judge(sim: Workday, shift: Shift, day: date) -> None:
    rng = sim.rng
    soon = [h for h in sim.court.hearings_by_judge.get(shift.user.user_id, [])
            if day <= h.scheduled_at.date() <= day + timedelta(days=7)]
    for hearing in rng.sample(soon, min(len(soon), rng.randint(8, 20))):
        sim.open_case(shift, hearing.case_id)
    docket = [a.case_id for a in sim.court.assigned.get(shift.user.user_id, [])
              if a.started_on <= day and (a.ended_on is None or a.ended_on >= day)]
    for case_id in rng.sample(docket, min(len(docket), rng.randint(5, 15))):
        sim.open_case(shift, case_id)


def _clerk(sim: Workday, shift: Shift, day: date) -> None:
    rng = sim.rng
    cases = sim.court.cases_by_court.get(shift.user.office_code or "", [])
    for case_id in rng.sample(cases, min(len(cases), rng.randint(20, 60))):
        sim.open_case(shift, case_id, update=rng.random() < 0.3)
        sim.opened_by_clerks.setdefault(shift.user.office_code or "", []).append(
            (shift.user.user_id, case_id))


def _dhs(sim: Workday, shift: Shift, day: date) -> None:
    rng = sim.rng
    cases = sim.court.cases_by_court.get(shift.user.office_code or "", [])
    for case_id in rng.sample(cases, min(len(cases), rng.randint(15, 40))):
        sim.open_case(shift, case_id)


def _attorney(sim: Workday, shift: Shift, day: date) -> None:
    rng = sim.rng
    clients = [r.case_id for r in sim.court.clients.get(shift.user.user_id, [])
               if r.started_on <= day and (r.ended_on is None or r.ended_on >= day)]
    for case_id in rng.sample(clients, min(len(clients), rng.randint(2, 10))):
        sim.open_case(shift, case_id)


def _court_admin(sim: Workday, shift: Shift, day: date) -> None:
    rng = sim.rng
    opened = sim.opened_by_clerks.get(shift.user.office_code or "", [])
    for _, case_id in rng.sample(opened, min(len(opened), rng.randint(2, 6))):
        sim.open_case(shift, case_id)


def _analyst(sim: Workday, shift: Shift, day: date) -> None:
    if sim.rng.random() < 0.5:
        shift.emit("export", purpose="statistics", justification="monthly statistics",
                   record_count=sim.rng.randint(20, 300), gap=sim.rng.randrange(600, 7200),
                   categories="case")


_WORK: Final = {
    Role.JUDGE: _judge, Role.CLERK: _clerk, Role.DHS_COUNSEL: _dhs,
    Role.ATTORNEY: _attorney, Role.COURT_ADMIN: _court_admin, Role.ANALYST: _analyst,
    Role.EXTERNAL_ADVISOR: _analyst,
}
