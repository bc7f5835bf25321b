"""The door breach work goes through: privacy officers, breach_response, every step ledgered.

A breach response handles personal data in bulk — the persons a leaked file
names, their open cases, their postal addresses and their attorneys of record
for the notices — so it needs the same door as any read (DESIGN.md invariant 1),
sized for thousands of persons at once:

* ``admit`` lets in a privacy officer (role checked first, then the policy for
  ``breach_response``, then the justification); anyone else is refused, and
  the refusal is a ledger event.
* ``disclose`` and ``notice_subjects`` append one event per person (ids only)
  before anything about them is handed back; the policy is decided once per
  batch, because an officer's decision depends on no relationship.
* ``place_holds`` / ``clear_hold`` flag affected persons' open cases
  "disclosure under review"; a hold blocks recording a removal-related
  hearing outcome (``hearing_outcomes``) until an officer clears it, case by
  case, with a reason. Each hold placed or cleared is its own ledger event,
  appended before the row is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, and_, or_, select

from casevault.access._part import GuardedPart
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, RecordKind
from casevault.access.search import check_justification
from casevault.audit.events import Action, Event, EventDraft, Result
from casevault.audit.ledger import Clock
from casevault.domain import PROTECTION_APPLICATION_KINDS, DataCategory, Purpose, Role
from casevault.errors import AccessDenied, NotFound
from casevault.logs import get_logger
from casevault.store import tables
from casevault.store.rows import instant_from_store
from casevault.store.sealed import SEALED, Opener, sealed_select
from casevault.store.tables_breach import case_holds

HOLD_REASON: Final = "disclosure_under_review"
"""The one reason a breach hold is placed for (shown on the case)."""
OPEN_STATUSES: Final = frozenset({"pending", "appealed", "administratively_closed"})
"""Case statuses a hold applies to: anything not closed can still reach a removal order."""
CHUNK: Final = 500
"""Ids per ``IN (...)`` query: well under every driver's parameter limit."""
_OFFICERS_ONLY: Final = "Only privacy officers may run a breach response."
_BREACH: Final = Purpose.BREACH_RESPONSE
_LOG = get_logger("casevault.access")


@dataclass(frozen=True, slots=True)
class Officer:
    """A privacy officer admitted to breach work: who, and the checked justification."""

    who: SessionContext
    justification: str
    policy_ids: tuple[str, ...]

    @property
    def user_id(self) -> str:
        return self.who.user_id


@dataclass(frozen=True, slots=True)
class Hold:
    """One case hold (ids, reason code and times; no personal data)."""

    hold_id: str
    incident_id: str
    case_id: str
    person_id: str
    reason: str
    placed_at: datetime
    placed_by: str
    cleared_at: datetime | None = None
    cleared_by: str | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None

    @classmethod
    def from_row(cls, row: Any) -> Hold:
        return cls(row.hold_id, row.incident_id, row.case_id, row.person_id, row.reason,
                   instant_from_store(row.placed_at), row.placed_by,
                   instant_from_store(row.cleared_at) if row.cleared_at is not None else None,
                   row.cleared_by)


@dataclass(frozen=True, slots=True)
class Addressee:
    """Whom a notice goes to and where (personal data: for the notice folder only)."""

    recipient_id: str
    family_name: str
    given_name: str
    organization: str
    address: str
    city: str
    state: str
    postal_code: str
    language: str


@dataclass(frozen=True, slots=True)
class NoticeSubject:
    """An affected person as a notice needs them: the addressee, open cases, attorneys."""

    person: Addressee
    a_number: str
    open_cases: tuple[str, ...]
    attorneys: tuple[Addressee, ...]


class BreachDoor(GuardedPart):
    """Decides, records and reads for breach work; one per command or request."""

    @property
    def clock(self) -> Clock:
        return self._clock

    # --- admission -------------------------------------------------------------------------

    def admit(self, who: SessionContext, justification: str | None) -> Officer:
        """The officer, or ``AccessDenied`` (ledgered) for anyone else or a thin justification."""
        if who.principal.role is not Role.PRIVACY_OFFICER:
            self._refuse(who, justification, (), "not_privacy_officer")
            raise AccessDenied(_OFFICERS_ONLY)
        try:
            checked = check_justification(justification).text
        except AccessDenied as refused:
            self._refuse(who, justification, (), "justification")
            raise refused from None
        decision = self._policy.decide(AccessRequest(
            principal=who.principal, action=AccessAction.VIEW, kind=RecordKind.PERSON,
            record_id="*", purpose=_BREACH, at=self._clock(), device_id=who.device_id))
        missing = {DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.CASE} \
            - decision.categories
        if missing:
            self._refuse(who, checked, decision.policy_ids, "policy")
            decision.require(*sorted(missing))
        return Officer(who, checked, decision.policy_ids)

    def _refuse(self, who: SessionContext, justification: str | None,
                policy_ids: tuple[str, ...], reason: str) -> None:
        _LOG.info("access.refused", user_id=who.user_id, action="breach",
                  purpose=_BREACH.value, reason=reason)
        self._ledger.append(EventDraft(
            action=Action.VIEW, result=Result.DENY, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            purpose=_BREACH, justification=justification, policy_ids=policy_ids,
            detail={"what": "breach", "reason": reason}))

    # --- ledger ----------------------------------------------------------------------------

    def record(self, officer: Officer, step: str, *, action: Action = Action.UPDATE,
               person_id: str | None = None, case_id: str | None = None,
               detail: dict[str, str] | None = None, record_count: int = 0) -> Event:
        """One breach step in the ledger (ids and counts only in ``detail``)."""
        return self._ledger.append(self._draft(officer, step, action=action, person_id=person_id,
                                               case_id=case_id, detail=detail or {},
                                               record_count=record_count))

    def _draft(self, officer: Officer, step: str, *, action: Action, person_id: str | None,
               case_id: str | None, detail: dict[str, str], record_count: int,
               categories: tuple[str, ...] = ()) -> EventDraft:
        who = officer.who
        return EventDraft(
            action=action, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=person_id, case_id=case_id, categories=categories, purpose=_BREACH,
            justification=officer.justification, record_count=record_count,
            policy_ids=officer.policy_ids, detail={"what": "breach", "step": step, **detail})

    def disclose(self, officer: Officer, person_ids: Iterable[str], step: str, *,
                 incident_id: str, action: Action = Action.VIEW,
                 categories: Collection[DataCategory] = (DataCategory.IDENTITY,)) -> int:
        """Ledger that these persons were disclosed to the officer (one event each, first)."""
        shown = tuple(sorted(c.value for c in categories))
        drafts = [self._draft(officer, step, action=action, person_id=person_id, case_id=None,
                              detail={"incident_id": incident_id}, record_count=1,
                              categories=shown) for person_id in sorted(set(person_ids))]
        if drafts:
            self._ledger.append_many(drafts)
        return len(drafts)

    # --- bulk reads for the breach ---------------------------------------------------------

    def protection_claimants(self, officer: Officer, person_ids: Collection[str]) -> set[str]:
        """Which of these persons have an asylum, withholding or CAT application on file.

        The answer is asylum information (8 CFR 208.6): it needs its own permit for the
        officer (``privacy-breach-response-asylum``), else ``AccessDenied``.
        """
        decision = self._policy.decide(AccessRequest(
            principal=officer.who.principal, action=AccessAction.VIEW, kind=RecordKind.PERSON,
            record_id="*", purpose=_BREACH, at=self._clock(),
            device_id=officer.who.device_id, categories=frozenset({DataCategory.ASYLUM})))
        decision.require(DataCategory.ASYLUM)
        kinds = {kind.value for kind in PROTECTION_APPLICATION_KINDS}
        found: set[str] = set()
        with self._engine.connect() as connection:
            for chunk in _chunks(person_ids):
                found.update(person_id for person_id, kind in _application_kinds(connection, chunk)
                             if kind in kinds)
        return found

    def notice_subjects(self, officer: Officer, person_ids: Collection[str], *,
                        incident_id: str) -> Iterator[NoticeSubject]:
        """Names, postal addresses, open cases and attorneys of record, for the notices.

        One ``export`` event per person (identity, contact, case) is appended before
        anything is read back; the result is personal data for the notice folder only.
        """
        self.disclose(officer, person_ids, "notice_export", incident_id=incident_id,
                      action=Action.EXPORT, categories=(DataCategory.IDENTITY,
                                                        DataCategory.CONTACT, DataCategory.CASE))
        today = self._clock().date()
        with self._engine.connect() as connection:
            for chunk in _chunks(person_ids):
                yield from _subjects(connection, chunk, today)

    # --- holds -----------------------------------------------------------------------------

    def place_holds(self, officer: Officer, incident_id: str,
                    person_ids: Collection[str]) -> list[Hold]:
        """Hold every open case of these persons (a case already held for the incident once)."""
        cases = tables.cases
        with self._engine.connect() as connection:
            targets: list[tuple[str, str]] = []
            for chunk in _chunks(person_ids):
                targets += [(str(c), str(p)) for c, p in connection.execute(
                    select(cases.c.case_id, cases.c.person_id).where(
                        cases.c.person_id.in_(chunk),
                        cases.c.status.in_(sorted(OPEN_STATUSES))))]
            held = set(connection.execute(select(case_holds.c.case_id).where(
                case_holds.c.incident_id == incident_id)).scalars())
        targets = sorted(t for t in targets if t[0] not in held)
        if not targets:
            return []
        now = self._clock()
        holds = [Hold(secrets.token_hex(16), incident_id, case_id, person_id, HOLD_REASON, now,
                      officer.user_id) for case_id, person_id in targets]
        events = self._ledger.append_many([self._draft(
            officer, "hold_placed", action=Action.UPDATE, person_id=h.person_id,
            case_id=h.case_id, detail={"incident_id": incident_id, "hold_id": h.hold_id},
            record_count=1, categories=(DataCategory.CASE.value,)) for h in holds])
        with self._engine.begin() as connection:
            connection.execute(case_holds.insert(), [{
                "hold_id": h.hold_id, "incident_id": incident_id, "case_id": h.case_id,
                "person_id": h.person_id, "reason": HOLD_REASON, "placed_at": now,
                "placed_by": officer.user_id, "event_id": e.event_id}
                for h, e in zip(holds, events, strict=True)])
        return holds

    def clear_hold(self, officer: Officer, case_id: str, *, reason: str | None,
                   incident_id: str | None = None) -> list[Hold]:
        """Clear the active holds of one case (of one incident, if named), with a reason."""
        checked = check_justification(reason).text
        query = select(case_holds).where(case_holds.c.case_id == case_id,
                                         case_holds.c.cleared_at.is_(None))
        if incident_id is not None:
            query = query.where(case_holds.c.incident_id == incident_id)
        with self._engine.connect() as connection:
            active = [Hold.from_row(row) for row in connection.execute(query)]
        if not active:
            raise NotFound("active hold on case", case_id)
        now = self._clock()
        cleared = []
        for hold in active:
            event = self.record(officer, "hold_cleared", person_id=hold.person_id,
                                case_id=case_id, record_count=1,
                                detail={"incident_id": hold.incident_id,
                                        "hold_id": hold.hold_id})
            with self._engine.begin() as connection:
                connection.execute(case_holds.update().where(
                    case_holds.c.hold_id == hold.hold_id).values(
                    cleared_at=now, cleared_by=officer.user_id, clear_reason=checked,
                    clear_event_id=event.event_id))
            cleared.append(Hold(hold.hold_id, hold.incident_id, case_id, hold.person_id,
                                hold.reason, hold.placed_at, hold.placed_by, now,
                                officer.user_id))
        return cleared


def holds_of_case(connection: Connection, case_id: str, *, active_only: bool = True
                  ) -> list[Hold]:
    """The holds of one case (ids, reason code, times): what the case page shows."""
    query = select(case_holds).where(case_holds.c.case_id == case_id)
    if active_only:
        query = query.where(case_holds.c.cleared_at.is_(None))
    return [Hold.from_row(row) for row in connection.execute(
        query.order_by(case_holds.c.placed_at))]


def active_holds(engine: Engine, case_id: str) -> list[Hold]:
    """The case's active holds, for a face that already holds a permitted read of the case."""
    with engine.connect() as connection:
        return holds_of_case(connection, case_id)


def holds_of_incident(connection: Connection, incident_id: str) -> list[Hold]:
    """Every hold an incident placed, active or cleared."""
    return [Hold.from_row(row) for row in connection.execute(
        select(case_holds).where(case_holds.c.incident_id == incident_id)
        .order_by(case_holds.c.case_id))]


_NOTICE_COLUMNS: Final = tuple(tables.persons.c[name] for name in (
    "person_id", "a_number", "family_name", "given_name", "address", "city", "state",
    "postal_code", "language"))
_KIND_COLUMNS: Final = (tables.applications.c.application_id, tables.applications.c.kind)


def _application_kinds(connection: Connection,
                       person_ids: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(person id, application kind) of these persons' applications, opened from their seal.

    An erased person's applications no longer open and are left out.
    """
    opener = Opener.of(tables.applications, _KIND_COLUMNS)
    for row in connection.execute(sealed_select(SEALED["applications"], _KIND_COLUMNS)
                                  .where(tables.cases.c.person_id.in_(person_ids))):
        opened = opener.open_or_none(connection, row)
        if opened is not None:
            yield str(row[len(_KIND_COLUMNS)]), str(opened[1])


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _subjects(connection: Connection, person_ids: Sequence[str],
              today: date) -> Iterator[NoticeSubject]:
    persons, cases = tables.persons, tables.cases
    reps, attorneys, users = tables.representations, tables.attorneys, tables.users
    open_cases: dict[str, list[str]] = {}
    for case_id, person_id in connection.execute(
            select(cases.c.case_id, cases.c.person_id).where(
                cases.c.person_id.in_(person_ids), cases.c.status.in_(sorted(OPEN_STATUSES)))
            .order_by(cases.c.case_id)):
        open_cases.setdefault(str(person_id), []).append(str(case_id))
    counsel: dict[str, dict[str, Addressee]] = {}
    active = or_(reps.c.ended_on.is_(None), reps.c.ended_on >= today)
    for row in connection.execute(
            select(cases.c.person_id, attorneys, users.c.address, users.c.city, users.c.state,
                   users.c.postal_code)
            .join(reps, reps.c.case_id == cases.c.case_id)
            .join(attorneys, attorneys.c.attorney_id == reps.c.attorney_id)
            .outerjoin(users, users.c.user_id == attorneys.c.attorney_id)
            .where(cases.c.person_id.in_(person_ids),
                   cases.c.status.in_(sorted(OPEN_STATUSES)),
                   and_(reps.c.started_on <= today, active))):
        counsel.setdefault(str(row.person_id), {})[str(row.attorney_id)] = Addressee(
            str(row.attorney_id), row.family_name or "", row.given_name or "",
            row.organization or "", row.address or "", row.city or "", row.state or "",
            row.postal_code or "", "eng")
    opener = Opener.of(persons, _NOTICE_COLUMNS)
    for selected in connection.execute(
            sealed_select(SEALED["persons"], _NOTICE_COLUMNS)
            .where(persons.c.person_id.in_(person_ids)).order_by(persons.c.person_id)):
        opened = opener.open_or_none(connection, selected)
        if opened is None:
            continue  # erased: nothing of theirs is left to address a notice with
        person_id, a_number, family, given, address, city, state, postal, language = opened
        yield NoticeSubject(
            Addressee(person_id, family or "", given or "", "", address or "", city or "",
                      state or "", postal or "", language or "eng"),
            a_number or "", tuple(open_cases.get(person_id, ())),
            tuple(sorted(counsel.get(person_id, {}).values(),
                         key=lambda a: a.recipient_id)))


__all__ = ["HOLD_REASON", "OPEN_STATUSES", "Addressee", "BreachDoor", "Hold", "NoticeSubject",
           "Officer", "active_holds", "holds_of_case", "holds_of_incident"]
