"""The guard: the one door to personal data (DESIGN.md invariants 1, 2, 4, 5; issue 4).

Every read follows the same five steps, in this order:

1. **who** — the caller hands in a ``SessionContext`` (``Sessions.authenticate``
   made it; it carries the principal as the account lifecycle sees it now);
2. **relationship** — the user's relationships to the record are derived from
   the records themselves (``relationships``), on today's date;
3. **decision** — the policy engine answers which data categories this
   principal may have of this record for the stated purpose; nothing permitted
   is a refusal, written to the ledger and raised as ``AccessDenied``;
4. **read and redact** — the rows are read through ``store.reads`` and reduced
   to the permitted categories (``redaction``);
5. **ledger, then answer** — the event (who, what, why, which categories, how
   many records, which policies decided) is durably appended, and only then is
   the view returned. If the ledger cannot be written the read is refused
   (``LedgerUnavailable``): fail closed.

A user with no relationship can still open a record in an emergency
(``break_glass``): the reason is checked like any justification, the window is
short, every read under it is marked ``break_glass`` in the ledger, and the
grant stays on the privacy officers' review queue until one of them reviews it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Generic, TextIO, TypeVar

from sqlalchemy import Connection, Engine, and_, or_, select

from casevault.access.agreements import SharingGate
from casevault.access.identity import SessionContext
from casevault.access.policy import (
    ALL_CATEGORIES,
    AccessAction,
    AccessRequest,
    Decision,
    PolicyEngine,
    RecordKind,
)
from casevault.access.redaction import RecordView, redact, redact_all
from casevault.access.relationships import (
    Relationship,
    relationships_to_case,
    relationships_to_person,
)
from casevault.access.search import (
    EnumerationGuard,
    PersonQuery,
    RateLimiter,
    ReasonHistory,
    cap_results,
    check_justification,
    parse_query,
    protected_terms,
)
from casevault.audit import service as audit_service
from casevault.audit.events import Action, Event, EventDraft, Result
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.audit.siem import SiemFormat
from casevault.domain import PROTECTION_APPLICATION_KINDS, DataCategory, Purpose, Role
from casevault.domain.names import fold
from casevault.domain.records import Application, Document, Hearing, Person
from casevault.errors import AccessDenied, InvalidValue, NotFound, PersonErased
from casevault.logs import get_logger
from casevault.store import reads, tables
from casevault.store.interchange.exporter import ExportProgress, export_folder
from casevault.store.interchange.writer import Format
from casevault.store.rows import instant_from_store

T = TypeVar("T")
_LOG = get_logger("casevault.access")

BREAK_GLASS_WINDOW: Final = timedelta(minutes=30)
"""How long an emergency grant lasts; long enough to act, short enough to need renewing."""

MAX_CALENDAR_DAYS: Final = 31
"""The longest calendar one read returns: a month, enough to plan; not a bulk read of hearings."""

JUSTIFIED_PURPOSES: Final = frozenset({
    Purpose.COMPLIANCE_AUDIT, Purpose.BREACH_RESPONSE, Purpose.LITIGATION, Purpose.EMERGENCY,
})
"""Purposes that open records the user has no part in: each read states why (checked)."""


@dataclass(frozen=True, slots=True)
class Guarded(Generic[T]):
    """What the guard returns: the redacted value, and how it was decided and recorded."""

    value: T
    categories: frozenset[DataCategory]
    """The categories the decision permitted; fields of any other category are absent."""
    policy_ids: tuple[str, ...]
    event_id: str
    """The ledger event recorded before the value was returned."""
    break_glass: bool = False


@dataclass(frozen=True, slots=True)
class PersonFile:
    """A person's record with what hangs off it, each part redacted."""

    person: RecordView
    addresses: tuple[RecordView, ...]
    relatives: tuple[RecordView, ...]
    encounters: tuple[RecordView, ...]
    cases: tuple[RecordView, ...]

    @property
    def record_count(self) -> int:
        return _records_in(self.addresses, self.relatives, self.encounters, self.cases)


@dataclass(frozen=True, slots=True)
class CaseFile:
    """A case's record of proceedings (document contents are fetched one by one)."""

    case: RecordView
    hearings: tuple[RecordView, ...]
    applications: tuple[RecordView, ...]
    representations: tuple[RecordView, ...]
    charges: tuple[RecordView, ...]
    documents: tuple[RecordView, ...]

    @property
    def record_count(self) -> int:
        return _records_in(self.hearings, self.applications, self.representations,
                           self.charges, self.documents)


def _records_in(*parts: tuple[RecordView, ...]) -> int:
    """The main record and every record of each part, as the ledger's record count."""
    return 1 + sum(len(part) for part in parts)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Persons a search found and the user may see (identity fields only), at most the cap."""

    persons: tuple[RecordView, ...]
    truncated: bool
    """More permitted persons matched than are shown: narrow the query (there are no pages)."""
    message: str | None
    event_id: str


@dataclass(frozen=True, slots=True)
class Calendar:
    """The hearings on a judge's own calendar over some days, each redacted by its case's read."""

    hearings: tuple[RecordView, ...]
    """In time order; hearings of cases the decision did not open are left out."""
    event_id: str
    """The summary event of the look-up (each case shown has its own event too)."""


@dataclass(frozen=True, slots=True)
class SearchLimits:
    """The per-process memories behind search refusals (each thread-safe, each with a clock)."""

    rate: RateLimiter
    reasons: ReasonHistory
    enumeration: EnumerationGuard

    @classmethod
    def default(cls, clock: Clock = utc_now) -> SearchLimits:
        return cls(RateLimiter(clock=clock), ReasonHistory(clock=clock),
                   EnumerationGuard(clock=clock))


@dataclass(frozen=True, slots=True)
class BreakGlassGrant:
    grant_id: str
    user_id: str
    record_kind: RecordKind
    record_id: str
    opened_at: datetime
    expires_at: datetime
    event_id: str


class ReviewOutcome(StrEnum):
    JUSTIFIED = "justified"
    MISUSE = "misuse"


@dataclass(frozen=True, slots=True)
class BreakGlassReview:
    """One emergency grant as the review queue shows it (ids and times, the stated reason)."""

    grant_id: str
    user_id: str
    record_kind: str
    record_id: str
    reason: str
    opened_at: datetime
    expires_at: datetime
    event_id: str
    reviewed_by: str | None
    review_outcome: str | None

    @classmethod
    def from_row(cls, row: Any) -> BreakGlassReview:
        return cls(row.grant_id, row.user_id, row.record_kind, row.record_id, row.reason,
                   instant_from_store(row.opened_at), instant_from_store(row.expires_at),
                   row.event_id, row.reviewed_by, row.review_outcome)


@dataclass(frozen=True, slots=True)
class _Target:
    """The record a request is about, as the ledger names it."""

    kind: RecordKind
    record_id: str
    person_id: str | None = None
    case_id: str | None = None


@dataclass(slots=True)
class _Opened:
    """A permitted request between decision and ledger: what to record once the read is done."""

    who: SessionContext
    target: _Target
    action: AccessAction
    purpose: Purpose
    justification: str | None
    decision: Decision
    break_glass_grant: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


class Guard:
    """The one door: decides, records, reads and redacts. One per process and database."""

    def __init__(self, engine: Engine, ledger: Ledger, policy: PolicyEngine, *,
                 terms_key: bytes, clock: Clock = utc_now,
                 break_glass_window: timedelta = BREAK_GLASS_WINDOW,
                 search_limits: SearchLimits | None = None) -> None:
        """``terms_key`` keys the hash under which search terms are kept (never in clear)."""
        self._engine = engine
        self._ledger = ledger
        self._policy = policy
        self._terms_key = terms_key
        self._clock = clock
        self._break_glass_window = break_glass_window
        self._limits = search_limits or SearchLimits.default(clock)
        self.sharing = SharingGate(engine, ledger, clock)
        """Disclosures under data-sharing agreements: statistics, extracts, records (issue 9)."""

    # --- reads ---------------------------------------------------------------------------

    def person(self, who: SessionContext, person_id: str, *, purpose: Purpose,
               justification: str | None = None) -> Guarded[RecordView]:
        """One person's own row (identity and contact fields), redacted."""
        with self._engine.connect() as connection:
            opened = self._open(connection, who, _Target(RecordKind.PERSON, person_id,
                                                         person_id=person_id),
                                purpose, justification)
            found = self._read_or_record_missing(
                opened, "person", lambda: reads.person(connection, person_id))
        view = redact(found, opened.decision.categories)
        return self._answer(opened, view, record_count=1)

    def person_file(self, who: SessionContext, person_id: str, *, purpose: Purpose,
                    justification: str | None = None) -> Guarded[PersonFile]:
        """A person with address history, relatives, encounters and cases, redacted."""
        with self._engine.connect() as connection:
            opened = self._open(connection, who, _Target(RecordKind.PERSON, person_id,
                                                         person_id=person_id),
                                purpose, justification)
            person = self._read_or_record_missing(
                opened, "person", lambda: reads.person(connection, person_id))
            permitted = opened.decision.categories
            value = PersonFile(
                person=redact(person, permitted),
                addresses=tuple(redact_all(reads.address_history(connection, person_id),
                                           permitted)),
                relatives=tuple(redact_all(reads.relatives(connection, person_id), permitted)),
                encounters=tuple(redact_all(reads.encounters(connection, person_id),
                                            permitted)),
                cases=tuple(redact_all(reads.cases_of_person(connection, person_id),
                                       permitted)),
            )
        return self._answer(opened, value, record_count=value.record_count)

    def case(self, who: SessionContext, case_id: str, *, purpose: Purpose,
             justification: str | None = None) -> Guarded[RecordView]:
        """One case row, redacted (its type is asylum information for protection cases)."""
        with self._engine.connect() as connection:
            opened = self._open(connection, who, _Target(RecordKind.CASE, case_id,
                                                         case_id=case_id),
                                purpose, justification)
            found = self._read_or_record_missing(
                opened, "case", lambda: reads.case(connection, case_id))
        opened.target = _Target(RecordKind.CASE, case_id, found.person_id, case_id)
        return self._answer(opened, redact(found, opened.decision.categories), record_count=1)

    def case_file(self, who: SessionContext, case_id: str, *, purpose: Purpose,
                  justification: str | None = None) -> Guarded[CaseFile]:
        """A case with hearings, applications, representations, charges and document list."""
        with self._engine.connect() as connection:
            opened = self._open(connection, who, _Target(RecordKind.CASE, case_id,
                                                         case_id=case_id),
                                purpose, justification)
            found = self._read_or_record_missing(
                opened, "case", lambda: reads.case(connection, case_id))
            opened.target = _Target(RecordKind.CASE, case_id, found.person_id, case_id)
            permitted = opened.decision.categories
            applications = reads.applications(connection, case_id)
            documents = reads.documents_of_case(connection, case_id)
            value = CaseFile(
                case=redact(found, permitted),
                hearings=tuple(redact_all(reads.hearings_of_case(connection, case_id),
                                          permitted)),
                applications=tuple(redact_all(applications, permitted)),
                representations=tuple(redact_all(reads.representations(connection, case_id),
                                                 permitted)),
                charges=tuple(redact_all(reads.charges(connection, case_id), permitted)),
                documents=tuple(redact_all(
                    documents, permitted,
                    protection_documents=_protection_documents(applications, documents))),
            )
        return self._answer(opened, value, record_count=value.record_count)

    def document(self, who: SessionContext, document_id: str, *, purpose: Purpose,
                 justification: str | None = None) -> Guarded[RecordView]:
        """One document with its content, if the decision on its case covers it."""
        with self._engine.connect() as connection:
            case_id = _case_of_document(connection, document_id)
            opened = self._open(connection, who, _Target(RecordKind.CASE, case_id,
                                                         case_id=case_id),
                                purpose, justification)
            found = self._read_or_record_missing(
                opened, "document", lambda: reads.document(connection, document_id))
            applications = reads.applications(connection, case_id)
        protected = found.document_id in _protection_documents(applications, [found])
        views = redact_all([found], opened.decision.categories,
                           protection_documents=frozenset({found.document_id}) if protected
                           else frozenset())
        if not views:
            self._record_refusal(opened.who, opened.target, opened.action, opened.purpose,
                                 opened.justification, opened.decision, _DOCUMENT_WITHHELD)
            raise AccessDenied(_DOCUMENT_WITHHELD, policy_ids=opened.decision.policy_ids)
        opened.detail["document_id"] = document_id
        return self._answer(opened, views[0], record_count=1)

    # --- search ----------------------------------------------------------------------------

    def search_persons(self, who: SessionContext, *, purpose: Purpose,
                       justification: str | None, family_name: str | None = None,
                       given_name: str | None = None, born_on: date | str | None = None,
                       a_number: str | None = None) -> SearchResult:
        """Find persons by name, birth date or A-number: identity fields of related persons only.

        Every step can refuse, and every refusal is a ledger event: the
        justification (and whether this user keeps copying it), the shape of the
        query (no wildcards, no broad sweeps), the user's rate limit, and
        enumeration patterns across their recent searches. Matches are then
        decided one by one, as reads of each person's identity; only permitted
        ones are returned, capped at ``RESULT_CAP`` with no further pages. The
        terms are kept only as a keyed hash (``query_hmac``), with the result ids.
        """
        terms_hash: str | None = None
        try:
            checked = check_justification(justification)
            query = parse_query(family_name=family_name, given_name=given_name,
                                born_on=born_on, a_number=a_number)
            terms_hash = self._terms_hash(protected_terms(query))
            self._may_ever_search(who, purpose)
            self._limits.rate.admit(who.user_id)
            self._limits.reasons.admit(who.user_id, checked)
            self._limits.enumeration.admit(who.user_id, query)
        except (AccessDenied, InvalidValue) as refused:
            self._record_search_refusal(who, purpose, justification, terms_hash, refused)
            raise
        now = self._clock()
        found: list[tuple[Person, Decision]] = []
        with self._engine.connect() as connection:
            for person in _matches(connection, query):
                target = _Target(RecordKind.PERSON, person.person_id, person_id=person.person_id)
                relationships = self._relationships(connection, who.user_id, target, now.date())
                decision = self._policy.decide(self._request(
                    who, target, AccessAction.SEARCH, purpose, relationships, now))
                if DataCategory.IDENTITY in decision.categories:
                    found.append((person, decision))
        capped = cap_results(p.person_id for p, _ in found)
        shown = found[:len(capped.ids)]
        search_id = secrets.token_hex(8)
        common = {"search_id": search_id}
        drafts = [EventDraft(
            action=Action.SEARCH, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            categories=(DataCategory.IDENTITY.value,), purpose=purpose,
            justification=checked.text, record_count=len(shown), query_hmac=terms_hash,
            policy_ids=tuple(sorted({i for _, d in shown for i in d.policy_ids})),
            detail={**common, "result_ids": ";".join(capped.ids),
                    "truncated": "yes" if capped.truncated else "no"})]
        drafts += [EventDraft(
            action=Action.SEARCH, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=person.person_id, categories=(DataCategory.IDENTITY.value,),
            purpose=purpose, justification=checked.text, record_count=1, query_hmac=terms_hash,
            policy_ids=decision.policy_ids, detail=common) for person, decision in shown]
        events = self._ledger.append_many(drafts)
        identity = frozenset({DataCategory.IDENTITY})
        return SearchResult(
            persons=tuple(redact(person, identity) for person, _ in shown),
            truncated=capped.truncated, message=capped.message, event_id=events[0].event_id)

    def _may_ever_search(self, who: SessionContext, purpose: Purpose) -> None:
        """Refuse up front whom no relationship would let search (role, purpose, account).

        Decided with every relationship granted, so the refusal depends on the
        principal and purpose only and says nothing about who matched.
        """
        best_case = self._request(who, _Target(RecordKind.PERSON, "*"), AccessAction.SEARCH,
                                  purpose, frozenset(Relationship), self._clock())
        self._policy.decide(best_case).require(DataCategory.IDENTITY)

    def _terms_hash(self, terms: str) -> str:
        return hmac.new(self._terms_key, terms.encode(), hashlib.sha256).hexdigest()

    def _record_search_refusal(self, who: SessionContext, purpose: Purpose,
                               justification: str | None, terms_hash: str | None,
                               refused: Exception) -> None:
        rule = refused.policy_ids if isinstance(refused, AccessDenied) else ("invalid_input",)
        self._ledger.append(EventDraft(
            action=Action.SEARCH, result=Result.DENY, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            categories=(DataCategory.IDENTITY.value,), purpose=purpose,
            justification=justification, query_hmac=terms_hash, policy_ids=rule,
            detail={"reason": _reason_code(str(refused))}))

    # --- a judge's calendar ------------------------------------------------------------------

    def hearing_calendar(self, who: SessionContext, *, first_day: date, days: int,
                         purpose: Purpose = Purpose.ADJUDICATION) -> Calendar:
        """The hearings on the caller's own calendar from ``first_day`` for ``days`` days.

        A judge's home page needs this list before any one case is opened. Each
        case on it is decided as a read of that case (the hearing relates the
        judge to it), only permitted cases' hearings are shown, redacted, and each
        is ledgered with its person and case, so a subject access report names
        every calendar that listed them. Whoever no relationship could let read
        case data (an analyst, an outside party) is refused up front, logged.
        """
        if not 1 <= days <= MAX_CALENDAR_DAYS:
            msg = f"a calendar covers 1 to {MAX_CALENDAR_DAYS} days"
            raise InvalidValue(msg)
        self._may_ever_read_cases(who, purpose)
        with self._engine.connect() as connection:
            hearings = [hearing for offset in range(days) for hearing in
                        reads.hearings_of_judge_on(connection, who.user_id,
                                                   first_day + timedelta(days=offset))]
            decided = self._decide_cases(connection, who, {h.case_id for h in hearings},
                                         purpose)
            shown = [(h, decided[h.case_id]) for h in hearings
                     if DataCategory.CASE in decided[h.case_id].categories]
            owners = _owners(connection, {h.case_id for h, _ in shown})
        events = self._ledger.append_many(self._calendar_events(
            who, purpose, shown, owners, first_day=first_day, days=days))
        return Calendar(hearings=tuple(redact(h, d.categories) for h, d in shown),
                        event_id=events[0].event_id)

    def _decide_cases(self, connection: Connection, who: SessionContext,
                      case_ids: Collection[str], purpose: Purpose) -> dict[str, Decision]:
        """One read decision per case, each with the user's own relationships to it."""
        now = self._clock()
        decided = {}
        for case_id in sorted(case_ids):
            target = _Target(RecordKind.CASE, case_id, case_id=case_id)
            relationships = self._relationships(connection, who.user_id, target, now.date())
            decided[case_id] = self._policy.decide(self._request(
                who, target, AccessAction.VIEW, purpose, relationships, now))
        return decided

    def _may_ever_read_cases(self, who: SessionContext, purpose: Purpose) -> None:
        """Refuse, and log, whom no relationship would let read case data for ``purpose``."""
        target = _Target(RecordKind.CASE, "*")
        best_case = self._request(who, target, AccessAction.VIEW, purpose,
                                  frozenset(Relationship), self._clock())
        decision = self._policy.decide(best_case)
        if DataCategory.CASE not in decision.categories:
            self._record_refusal(who, target, AccessAction.VIEW, purpose, None, decision,
                                 decision.reason)
            decision.require(DataCategory.CASE)

    @staticmethod
    def _calendar_events(who: SessionContext, purpose: Purpose,
                         shown: list[tuple[Hearing, Decision]], owners: dict[str, str | None],
                         *, first_day: date, days: int) -> list[EventDraft]:
        """One summary event, then one per case listed (naming its person and case)."""
        common = {"what": "hearing_calendar", "first_day": first_day.isoformat(),
                  "days": str(days)}
        drafts = [EventDraft(
            action=Action.VIEW, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            categories=(DataCategory.CASE.value,), purpose=purpose, record_count=len(shown),
            policy_ids=tuple(sorted({i for _, d in shown for i in d.policy_ids})),
            detail=common)]
        per_case: dict[str, list[Decision]] = {}
        for hearing, decision in shown:
            per_case.setdefault(hearing.case_id, []).append(decision)
        drafts += [EventDraft(
            action=Action.VIEW, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=owners.get(case_id), case_id=case_id,
            categories=_sorted(decisions[0].categories), purpose=purpose,
            record_count=len(decisions), policy_ids=decisions[0].policy_ids, detail=common)
            for case_id, decisions in per_case.items()]
        return drafts

    # --- break-glass ---------------------------------------------------------------------

    def break_glass(self, who: SessionContext, kind: RecordKind, record_id: str, *,
                    reason: str) -> BreakGlassGrant:
        """Open ``record_id`` for a short window in an emergency; alerts a privacy officer.

        The reason is checked like any justification. The policy decides whether
        this principal may break glass at all (court staff only; never asylum).
        """
        target = self._target_of(kind, record_id)
        justification = self._checked(who, target, Purpose.EMERGENCY, reason,
                                      action=AccessAction.BREAK_GLASS)
        now = self._clock()
        request = self._request(who, target, AccessAction.BREAK_GLASS, Purpose.EMERGENCY,
                                frozenset(), now)
        decision = self._policy.decide(request)
        if not decision.permitted:
            self._record_refusal(who, target, AccessAction.BREAK_GLASS, Purpose.EMERGENCY,
                                 justification, decision, decision.reason)
            decision.require()
        grant_id = secrets.token_hex(16)
        expires_at = now + self._break_glass_window
        event = self._ledger.append(EventDraft(
            action=Action.BREAK_GLASS, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=target.person_id, case_id=target.case_id,
            categories=_sorted(decision.categories), purpose=Purpose.EMERGENCY,
            justification=justification, policy_ids=decision.policy_ids,
            detail={"step": "open", "grant_id": grant_id, "expires_at": expires_at.isoformat(),
                    "alert": "privacy_officer_review"}))
        with self._engine.begin() as connection:
            connection.execute(tables.break_glass_grants.insert().values(
                grant_id=grant_id, user_id=who.user_id, session_id=who.session_id,
                record_kind=kind.value, record_id=record_id, reason=justification,
                opened_at=now, expires_at=expires_at, event_id=event.event_id))
        return BreakGlassGrant(grant_id, who.user_id, kind, record_id, now, expires_at,
                               event.event_id)

    def break_glass_reviews(self, who: SessionContext, *, justification: str | None,
                            pending_only: bool = True) -> list[BreakGlassReview]:
        """The privacy officers' queue: emergency grants not yet reviewed (ids only)."""
        operator = self._admit_to_trail(who, None, Purpose.COMPLIANCE_AUDIT, justification)
        audit_service.record_audit_access(self._ledger, operator, "break_glass_reviews")
        grants = tables.break_glass_grants
        query = select(grants).order_by(grants.c.opened_at)
        if pending_only:
            query = query.where(grants.c.reviewed_at.is_(None))
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [BreakGlassReview.from_row(row) for row in rows]

    def review_break_glass(self, who: SessionContext, grant_id: str, *, outcome: ReviewOutcome,
                           note: str) -> None:
        """Close one emergency grant: ``justified``, or ``misuse`` (which watch takes up)."""
        checked = self._admit_to_trail(who, None, Purpose.COMPLIANCE_AUDIT, note).justification
        grants = tables.break_glass_grants
        with self._engine.connect() as connection:
            row = connection.execute(select(grants.c.user_id, grants.c.reviewed_at).where(
                grants.c.grant_id == grant_id)).first()
        if row is None:
            raise NotFound("break-glass grant", grant_id)
        if row.reviewed_at is not None:
            msg = "this break-glass grant was already reviewed; its review stands"
            raise InvalidValue(msg)
        if row.user_id == who.user_id:
            msg = "a privacy officer cannot review their own break-glass access"
            raise AccessDenied(msg)
        self._ledger.append(EventDraft(
            action=Action.AUDIT_ACCESS, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            purpose=Purpose.COMPLIANCE_AUDIT, justification=checked,
            detail={"what": "break_glass_review", "grant_id": grant_id,
                    "outcome": outcome.value, "subject_user_id": str(row.user_id)}))
        with self._engine.begin() as connection:
            connection.execute(grants.update().where(grants.c.grant_id == grant_id).values(
                reviewed_by=who.user_id, reviewed_at=self._clock(),
                review_outcome=outcome.value, review_note=checked))

    def approve_publication(self, who: SessionContext, file_sha256: str, *,
                            justification: str | None) -> int:
        """A privacy officer releases one exact blocked file; returns how many approvals it has.

        Invariant 6: a blocked file leaves only with two different privacy
        officers' approval of its exact hash. Each approval is a ledger event
        (before it is stored); approving twice counts once.
        """
        if who.principal.role is not Role.PRIVACY_OFFICER:
            self._record_refusal(who, _Target(RecordKind.PERSON, "*"), AccessAction.VIEW,
                                 Purpose.COMPLIANCE_AUDIT, justification, None, _OFFICERS_ONLY)
            raise AccessDenied(_OFFICERS_ONLY)
        operator = self._admit_to_trail(who, None, Purpose.COMPLIANCE_AUDIT, justification)
        approvals = tables.publication_approvals
        event = self._ledger.append(EventDraft(
            action=Action.PUBLICATION, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            purpose=Purpose.COMPLIANCE_AUDIT, justification=operator.justification,
            policy_ids=operator.policy_ids,
            detail={"step": "approve_release", "file_sha256": file_sha256}))
        with self._engine.begin() as connection:
            already = connection.execute(select(approvals.c.approved_by).where(
                approvals.c.file_sha256 == file_sha256,
                approvals.c.approved_by == who.user_id)).first()
            if already is None:
                connection.execute(approvals.insert().values(
                    file_sha256=file_sha256, approved_by=who.user_id,
                    approved_at=self._clock(), justification=operator.justification or "",
                    event_id=event.event_id))
            return len(connection.execute(select(approvals.c.approved_by).where(
                approvals.c.file_sha256 == file_sha256)).all())

    # --- exports and the audit trail: the same door for operators --------------------------

    def export_persons(self, who: SessionContext, person_ids: Collection[str], folder: Path, *,
                       purpose: Purpose, justification: str | None, fmt: Format = "csv",
                       progress: ExportProgress | None = None) -> dict[str, int]:
        """Write the named persons' whole files as an interchange folder.

        An export is all or nothing: each person needs an ``export`` decision that
        covers every data category (an interchange file has no way to mark a
        withheld column), else nothing is written and the refusal says how many
        persons were refused. One ``export`` event per person is appended (one
        commit) before the folder is written.
        """
        checked = check_justification(justification).text
        scope = sorted(set(person_ids))
        if not scope:
            msg = "name at least one person to export"
            raise InvalidValue(msg)
        decisions = self._decide_each(who, scope, AccessAction.EXPORT, purpose)
        refused = [(p, d) for p, d in decisions if d.categories != ALL_CATEGORIES]
        result = Result.DENY if refused else Result.PERMIT
        self._ledger.append_many([EventDraft(
            action=Action.EXPORT, result=result, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip, person_id=person_id,
            categories=_sorted(decision.categories if not refused else ALL_CATEGORIES),
            purpose=purpose, justification=checked, record_count=0 if refused else 1,
            policy_ids=decision.policy_ids, detail={"format": fmt, "persons": str(len(scope))},
        ) for person_id, decision in decisions])
        if refused:
            reason = refused[0][1].reason or "no policy permits this export"
            msg = (f"Export refused for {len(refused)} of {len(scope)} persons; nothing was "
                   f"written. {reason}")
            raise AccessDenied(msg, policy_ids=refused[0][1].policy_ids)
        with self._engine.connect() as connection:
            return export_folder(connection, folder, fmt=fmt, progress=progress,
                                 persons=scope)

    def identify(self, who: SessionContext, person_ids: Collection[str], *, purpose: Purpose,
                 justification: str | None, what: str) -> tuple[str, ...]:
        """Let ``who`` see which persons an analysis found (a scan's or a breach's matches).

        The ids themselves are what is disclosed: each person needs a decision
        permitting their identity for ``purpose`` (privacy officers for
        breach_response or compliance_audit need no relationship), all or
        nothing, and each is ledgered (``what`` names the analysis) before the
        ids are handed back.
        """
        checked = check_justification(justification).text
        scope = sorted(set(person_ids))
        decisions = self._decide_each(who, scope, AccessAction.VIEW, purpose)
        refused = [d for _, d in decisions if DataCategory.IDENTITY not in d.categories]
        if refused:
            self._record_refusal(who, _Target(RecordKind.PERSON, "*"), AccessAction.VIEW,
                                 purpose, checked, refused[0], refused[0].reason)
            msg = (f"Identifying the persons found was refused for {len(refused)} of "
                   f"{len(scope)}; nothing is shown. {refused[0].reason or ''}").strip()
            raise AccessDenied(msg, policy_ids=refused[0].policy_ids)
        self._ledger.append_many([EventDraft(
            action=Action.VIEW, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip, person_id=person_id,
            categories=(DataCategory.IDENTITY.value,), purpose=purpose, justification=checked,
            record_count=1, policy_ids=decision.policy_ids, detail={"what": what},
        ) for person_id, decision in decisions])
        return tuple(scope)

    def _decide_each(self, who: SessionContext, person_ids: Iterable[str],
                     action: AccessAction, purpose: Purpose) -> list[tuple[str, Decision]]:
        """One decision per person, each with the user's relationships to that person."""
        now = self._clock()
        decisions = []
        with self._engine.connect() as connection:
            for person_id in person_ids:
                target = _Target(RecordKind.PERSON, person_id, person_id=person_id)
                relationships = self._relationships(connection, who.user_id, target, now.date())
                decisions.append((person_id, self._policy.decide(self._request(
                    who, target, action, purpose, relationships, now))))
        return decisions

    def subject_report(self, who: SessionContext, person_id: str, *, purpose: Purpose,
                       justification: str | None, show_staff_names: bool = False) -> dict[str, Any]:
        """Everyone who accessed ``person_id``, with proofs (invariant 8), for whoever may know.

        The person's attorney of record (representation) and privacy officers
        (compliance_audit, breach_response) may; the decision is the one for
        reading the person's identity, so the same relationships apply.
        """
        operator = self._admit_to_trail(who, person_id, purpose, justification)
        return audit_service.subject_report(
            self._ledger, self._engine, self._ledger.signer, operator, person_id=person_id,
            generated_at=self._clock(), show_staff_names=show_staff_names)

    def disclosures(self, who: SessionContext, person_id: str, *, purpose: Purpose,
                    justification: str | None) -> list[Event]:
        """The accounting of disclosures of one person's records."""
        operator = self._admit_to_trail(who, person_id, purpose, justification)
        return audit_service.disclosures(self._ledger, operator, person_id)

    def audit_export(self, who: SessionContext, fmt: SiemFormat, out: TextIO, *,
                     purpose: Purpose, justification: str | None,
                     since: datetime | None = None) -> int:
        """The whole audit trail for a SIEM: oversight only (privacy officers, compliance)."""
        operator = self._admit_to_trail(who, None, purpose, justification)
        return audit_service.export_for_siem(self._ledger, operator, fmt, out, since=since)

    def admit_oversight(self, who: SessionContext, *, purpose: Purpose,
                        justification: str | None, what: str) -> None:
        """Admit an analysis over the whole trail (misuse detection) and ledger it first.

        The same decision as an audit export: oversight roles only; a refusal is ledgered.
        """
        operator = self._admit_to_trail(who, None, purpose, justification)
        audit_service.record_audit_access(self._ledger, operator, what)

    def _admit_to_trail(self, who: SessionContext, person_id: str | None, purpose: Purpose,
                        justification: str | None) -> audit_service.Operator:
        """Decide access to an audit trail as a read of the person's identity; refusals logged."""
        target = _Target(RecordKind.PERSON, person_id or "*", person_id=person_id)
        # A respondent asking who looked at their own record owes nobody a reason (the
        # policy permits self_service only on one's own record: respondent_self).
        checked = (justification if purpose is Purpose.SELF_SERVICE
                   else self._checked(who, target, purpose, justification))
        now = self._clock()
        with self._engine.connect() as connection:
            relationships = (self._relationships(connection, who.user_id, target, now.date())
                             if person_id is not None else frozenset())
        decision = self._policy.decide(self._request(who, target, AccessAction.VIEW, purpose,
                                                     relationships, now))
        if DataCategory.IDENTITY not in decision.categories:
            self._record_refusal(who, target, AccessAction.VIEW, purpose, checked, decision,
                                 decision.reason)
            decision.require(DataCategory.IDENTITY)
        return audit_service.Operator(
            user_id=who.user_id, purpose=purpose.value, justification=checked,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            policy_ids=decision.policy_ids)

    # --- the five steps ------------------------------------------------------------------

    def _open(self, connection: Connection, who: SessionContext, target: _Target,
              purpose: Purpose, justification: str | None) -> _Opened:
        """Steps 2 and 3: relationships and decision; a refusal is recorded and raised."""
        if purpose in JUSTIFIED_PURPOSES:
            justification = self._checked(who, target, purpose, justification)
        now = self._clock()
        relationships = self._relationships(connection, who.user_id, target, now.date())
        request = self._request(who, target, AccessAction.VIEW, purpose, relationships, now)
        decision = self._policy.decide(request)
        if decision.permitted:
            return _Opened(who, target, AccessAction.VIEW, purpose, justification, decision)
        grant = self._active_grant(connection, who.user_id, target, now)
        if grant is not None:
            emergency = self._request(who, target, AccessAction.BREAK_GLASS, Purpose.EMERGENCY,
                                      relationships, now)
            glass = self._policy.decide(emergency)
            if glass.permitted:
                return _Opened(who, target, AccessAction.BREAK_GLASS, Purpose.EMERGENCY,
                               justification, glass, break_glass_grant=grant)
        self._record_refusal(who, target, AccessAction.VIEW, purpose, justification, decision,
                             decision.reason)
        decision.require()
        raise AssertionError  # pragma: no cover -- require() raised

    def _checked(self, who: SessionContext, target: _Target, purpose: Purpose,
                 justification: str | None, *,
                 action: AccessAction = AccessAction.VIEW) -> str:
        """The accepted justification; a refused one is recorded, then raised."""
        try:
            return check_justification(justification).text
        except AccessDenied as refused:
            self._record_refusal(who, target, action, purpose, justification, None,
                                 refused.reason)
            raise

    def _answer(self, opened: _Opened, value: T, *, record_count: int) -> Guarded[T]:
        """Step 5: append the event, then hand over the value (never the other way round)."""
        event = self._record(opened, record_count)
        return Guarded(value, opened.decision.categories, opened.decision.policy_ids,
                       event.event_id, break_glass=opened.break_glass_grant is not None)

    def _record(self, opened: _Opened, record_count: int) -> Event:
        detail = dict(opened.detail)
        if opened.break_glass_grant is not None:
            detail.update(step="read", grant_id=opened.break_glass_grant)
        action = (Action.BREAK_GLASS if opened.action is AccessAction.BREAK_GLASS
                  else Action.VIEW)
        who, target = opened.who, opened.target
        return self._ledger.append(EventDraft(
            action=action, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=target.person_id, case_id=target.case_id,
            categories=_sorted(opened.decision.categories), purpose=opened.purpose,
            justification=opened.justification, record_count=record_count,
            policy_ids=opened.decision.policy_ids, detail=detail))

    def _read_or_record_missing(self, opened: _Opened, kind: str, read: Callable[[], T]) -> T:
        """Read; an id that does not exist is still a recorded look-up, then ``NotFound``."""
        try:
            return read()
        except PersonErased as erased:  # issue 10: the look-up is recorded; the answer says so
            opened.detail["found"] = "erased"
            self._record(opened, 0)
            raise PersonErased(erased.record_id, erased.erasure_id) from None
        except NotFound:
            opened.detail["found"] = "no"
            self._record(opened, 0)
            raise NotFound(kind, opened.target.record_id) from None

    def _record_refusal(self, who: SessionContext, target: _Target, action: AccessAction,
                        purpose: Purpose, justification: str | None,
                        decision: Decision | None, reason: str | None) -> None:
        # Operational log: who was refused what kind of thing and why, never whose record.
        _LOG.info("access.refused", user_id=who.user_id, action=action.value,
                  record_kind=target.kind.value, purpose=purpose.value,
                  reason=_reason_code(reason))
        self._ledger.append(EventDraft(
            action=Action(action.value), result=Result.DENY, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=target.person_id, case_id=target.case_id,
            categories=_sorted(ALL_CATEGORIES), purpose=purpose, justification=justification,
            policy_ids=decision.policy_ids if decision is not None else (),
            detail={"reason": _reason_code(reason)}))

    def _request(self, who: SessionContext, target: _Target, action: AccessAction,
                 purpose: Purpose, relationships: frozenset[Relationship],
                 at: datetime) -> AccessRequest:
        return AccessRequest(principal=who.principal, action=action, kind=target.kind,
                             record_id=target.record_id, purpose=purpose, at=at,
                             device_id=who.device_id, relationships=relationships)

    @staticmethod
    def _relationships(connection: Connection, user_id: str, target: _Target,
                       on: date) -> frozenset[Relationship]:
        if target.kind is RecordKind.CASE:
            return relationships_to_case(connection, user_id, target.record_id, on)
        return relationships_to_person(connection, user_id, target.record_id, on)

    def _target_of(self, kind: RecordKind, record_id: str) -> _Target:
        if kind is RecordKind.PERSON:
            return _Target(kind, record_id, person_id=record_id)
        with self._engine.connect() as connection:
            person_id = connection.execute(select(tables.cases.c.person_id).where(
                tables.cases.c.case_id == record_id)).scalar_one_or_none()
        return _Target(kind, record_id, person_id=person_id, case_id=record_id)

    @staticmethod
    def _active_grant(connection: Connection, user_id: str, target: _Target,
                      now: datetime) -> str | None:
        """An open emergency window of this user on this record (a person's covers their cases)."""
        grants = tables.break_glass_grants
        covering = [and_(grants.c.record_kind == target.kind.value,
                         grants.c.record_id == target.record_id)]
        if target.kind is RecordKind.CASE:
            owner = select(tables.cases.c.person_id).where(
                tables.cases.c.case_id == target.record_id).scalar_subquery()
            covering.append(and_(grants.c.record_kind == RecordKind.PERSON.value,
                                 grants.c.record_id == owner))
        found = connection.execute(
            select(grants.c.grant_id).where(grants.c.user_id == user_id, or_(*covering),
                                            grants.c.expires_at > now)
            .order_by(grants.c.expires_at.desc()).limit(1)).scalar_one_or_none()
        return str(found) if found is not None else None


_OFFICERS_ONLY: Final = "Only privacy officers may release a file the leak scanner blocked."
_DOCUMENT_WITHHELD: Final = ("This document belongs to a category your access does not "
                             "cover for the purpose you stated.")


def _matches(connection: Connection, query: PersonQuery) -> list[Person]:
    """Candidates for a search, at most one more than the cap (to know it was exceeded)."""
    if query.a_number is not None:
        found = reads.person_by_a_number(connection, query.a_number)
        candidates = [found] if found is not None else []
    else:
        assert query.family_name is not None  # noqa: S101 -- parse_query guarantees it
        candidates = reads.persons_by_name(connection, query.family_name, query.given_name,
                                           limit=reads.MAX_MATCHES)
    if query.born_on is not None:
        candidates = [p for p in candidates if p.date_of_birth == query.born_on]
    if query.family_name is not None and query.a_number is not None:
        candidates = [p for p in candidates if _has_name(p, query)]
    return candidates


def _has_name(person: Person, query: PersonQuery) -> bool:
    """An A-number search that also names the family keeps the person only if the name fits."""
    names = [fold(person.family_name or ""), *(fold(n) for n in person.other_names)]
    return any(str(query.family_name) in name for name in names)


def _owners(connection: Connection, case_ids: Collection[str]) -> dict[str, str | None]:
    """The person of each case, for the ledger (a calendar event names whose case it listed)."""
    if not case_ids:
        return {}
    rows = connection.execute(select(tables.cases.c.case_id, tables.cases.c.person_id).where(
        tables.cases.c.case_id.in_(sorted(case_ids))))
    return {str(case_id): person_id for case_id, person_id in rows}


def _case_of_document(connection: Connection, document_id: str) -> str:
    case_id = connection.execute(select(tables.documents.c.case_id).where(
        tables.documents.c.document_id == document_id)).scalar_one_or_none()
    if case_id is None:
        raise NotFound("document", document_id)
    return str(case_id)


def _protection_documents(applications: Iterable[Application],
                          documents: Iterable[Document]) -> frozenset[str]:
    """Ids of documents filed for an asylum, withholding or CAT application (8 CFR 208.6)."""
    protection = {a.application_id for a in applications if a.kind in PROTECTION_APPLICATION_KINDS}
    return frozenset(d.document_id for d in documents if d.application_id in protection)


def _sorted(categories: Iterable[DataCategory]) -> tuple[str, ...]:
    return tuple(sorted(c.value for c in categories))


def _reason_code(reason: str | None) -> str:
    """A short stable code for the ledger (the full message is for the person refused)."""
    if reason is None:
        return "no_permit"
    return reason.split(".")[0][:80]


__all__ = ["BREAK_GLASS_WINDOW", "MAX_CALENDAR_DAYS", "BreakGlassGrant", "BreakGlassReview",
           "Calendar", "CaseFile", "Guard", "Guarded", "PersonFile", "ReviewOutcome",
           "SearchLimits", "SearchResult"]
