"""The court's guarded writes: scheduling hearings, appearances, filing documents.

Every write takes the path a read takes (``docs/dev/request-flow.md``): the
user's relationships to the case at ``now``, a Cedar decision for the one data
category the write touches, then the ledger — an attempt the policy refuses is
a ``deny`` event, a permitted one an ``update`` event appended **before** the
row changes (if the ledger cannot be written, nothing is written). Who may do
what:

* **schedule / reschedule a hearing** — clerks and court administrators of the
  case's court (``clerk-case-processing``, ``update`` on ``case``), for
  ``case_processing``; a new date needs a reason, kept on the hearing and in
  the ledger event's justification.
* **enter an appearance** (EOIR-28) — any active, trained attorney with a bar
  record, for ``representation`` (``attorney-appearance``: the ``appearance``
  action, which nothing else grants); **withdraw** — only the attorney of record.
  The representation ends on the day of the withdrawal, and with it the
  relationship: the attorney's next read of the case is refused.
* **file a document** — whoever may update the case's ``document`` category:
  the attorney of record (``attorney-of-record-filing``), the case's clerk, the
  judge. The type is decided by the content's first bytes (``_media``), never by
  its name; title and content are sealed under the person's key.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from casevault.access._media import MAX_DOCUMENT_BYTES, media_type_of
from casevault.access._part import GuardedPart
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, Decision, RecordKind
from casevault.access.relationships import relationships_to_case
from casevault.audit.events import Action, EventDraft, Result
from casevault.domain import DataCategory, Purpose, Role
from casevault.domain.vocab import Capacity, DocumentCategory, HearingType
from casevault.errors import AccessDenied, InvalidValue, NotFound
from casevault.logs import get_logger
from casevault.store import court_writes as store
from casevault.store.court_writes import CaseRef

SCHEDULERS: Final = frozenset({Role.CLERK, Role.COURT_ADMIN})
_NOT_A_SCHEDULER: Final = "Hearings are scheduled by the clerks of the case's court."
_NO_BAR_RECORD: Final = ("Your account has no bar record to appear under. Ask the court "
                         "administrator to link your account to your attorney record.")
_NOT_OF_RECORD: Final = ("You are not the attorney of record in this case, so there is "
                         "nothing to withdraw.")
_ALREADY: Final = "You are already the attorney of record in this case."
_NOT_AN_ADMIN: Final = "Assignments are made by the court administrators of the case's court."
_LOG = get_logger("casevault.access")
_E = TypeVar("_E", HearingType, DocumentCategory, Capacity)


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did, by id only: the record it touched and the ledger event."""

    record_id: str
    case_id: str
    event_id: str


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6).upper()}"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        msg = "give the hearing time with its UTC offset (for example 2026-12-01T09:00:00Z)"
        raise InvalidValue(msg)
    return at


class CourtWrites(GuardedPart):
    """The guarded write paths of the court's daily work."""

    # --- hearings ---------------------------------------------------------------------

    def schedule_hearing(self, who: SessionContext, case_id: str, *, scheduled_at: datetime,
                         hearing_type: str, judge_user_id: str, purpose: Purpose,
                         interpreter_language: str | None = None) -> Written:
        """Calendar a new hearing of the case before a judge."""
        kind = _vocab(HearingType, hearing_type, "hearing type")
        at = _utc(scheduled_at)
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
            judge_role = store.user_role(connection, judge_user_id)
        hearing_id = _new_id("HRG")
        detail = {"what": "hearing_scheduled", "hearing_id": hearing_id,
                  "hearing_type": kind.value, "judge_user_id": judge_user_id,
                  "scheduled_at": at.isoformat()}
        decision = self._decide(who, case, AccessAction.UPDATE, DataCategory.CASE, purpose,
                                detail)
        self._only_schedulers(who, case, decision, purpose, detail)
        if judge_role != Role.JUDGE.value:
            msg = "the judge must be the user id of an immigration judge's account"
            raise InvalidValue(msg)
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.insert_hearing(connection, hearing_id=hearing_id, case_id=case_id,
                                 scheduled_at=at, hearing_type=kind.value,
                                 judge_user_id=judge_user_id,
                                 interpreter_language=interpreter_language)
        return Written(hearing_id, case_id, event)

    def reschedule_hearing(self, who: SessionContext, hearing_id: str, *,
                           scheduled_at: datetime, reason: str, purpose: Purpose) -> Written:
        """Move a hearing to a new time; the reason is required and kept."""
        at = _utc(scheduled_at)
        if not reason.strip():
            msg = "say why the hearing moves (the reason is kept with the hearing)"
            raise InvalidValue(msg)
        with self._engine.connect() as connection:
            hearing = store.hearing_ref(connection, hearing_id)
        case = hearing.case
        detail = {"what": "hearing_rescheduled", "hearing_id": hearing_id,
                  "from": hearing.scheduled_at.isoformat(), "to": at.isoformat()}
        decision = self._decide(who, case, AccessAction.UPDATE, DataCategory.CASE, purpose,
                                detail)
        self._only_schedulers(who, case, decision, purpose, detail)
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail,
                             justification=reason)
        with self._engine.begin() as connection:
            store.move_hearing(connection, hearing_id, at, reason)
        return Written(hearing_id, case.case_id, event)

    # --- appearances ------------------------------------------------------------------

    def enter_appearance(self, who: SessionContext, case_id: str, *,
                         purpose: Purpose) -> Written:
        """The attorney becomes attorney of record from today (Form EOIR-28)."""
        today = self._clock().date()
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
            bar = store.is_attorney(connection, who.user_id)
            current = store.active_representation(connection, case_id, who.user_id, today)
        detail = {"what": "appearance_entered", "attorney_id": who.user_id}
        decision = self._decide(who, case, AccessAction.APPEARANCE, DataCategory.CASE,
                                purpose, detail)
        if not bar:
            self._refuse(who, case, DataCategory.CASE, purpose, decision.policy_ids,
                         {**detail, "reason": "no_bar_record"})
            raise AccessDenied(_NO_BAR_RECORD, policy_ids=decision.policy_ids)
        if current is not None:
            raise InvalidValue(_ALREADY)
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.insert_representation(connection, case_id, who.user_id, today)
        return Written(who.user_id, case_id, event)

    def withdraw_appearance(self, who: SessionContext, case_id: str, *,
                            purpose: Purpose) -> Written:
        """End the attorney's representation today; their access to the case ends with it."""
        today = self._clock().date()
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
            started = store.active_representation(connection, case_id, who.user_id, today)
        detail = {"what": "appearance_withdrawn", "attorney_id": who.user_id}
        decision = self._decide(who, case, AccessAction.APPEARANCE, DataCategory.CASE,
                                purpose, detail)
        if started is None:
            self._refuse(who, case, DataCategory.CASE, purpose, decision.policy_ids,
                         {**detail, "reason": "not_of_record"})
            raise AccessDenied(_NOT_OF_RECORD, policy_ids=decision.policy_ids)
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.end_representation(connection, case_id, who.user_id, started, today)
        return Written(who.user_id, case_id, event)

    # --- assignments (court administrators) ---------------------------------------------

    def assign(self, who: SessionContext, case_id: str, *, user_id: str, capacity: str,
               purpose: Purpose) -> Written:
        """Assign a staff member to the case from today (court administrators of its court)."""
        chosen = _vocab(Capacity, capacity, "assignment capacity")
        today = self._clock().date()
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
            role = store.user_role(connection, user_id)
            current = store.active_assignment(connection, case_id, user_id, chosen.value, today)
        detail = {"what": "assignment_started", "user_id": user_id, "capacity": chosen.value}
        decision = self._decide(who, case, AccessAction.UPDATE, DataCategory.CASE, purpose,
                                detail)
        self._only_admins(who, case, decision, purpose, detail)
        if role is None or (chosen is not Capacity.INTERPRETER and role != chosen.value):
            msg = "assign a staff member in the capacity of their own role (or as interpreter)"
            raise InvalidValue(msg)
        if current is not None:
            msg = "this staff member already holds that assignment"
            raise InvalidValue(msg)
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.insert_assignment(connection, case_id, user_id, chosen.value, today)
        return Written(user_id, case_id, event)

    def end_assignment(self, who: SessionContext, case_id: str, *, user_id: str,
                       capacity: str, purpose: Purpose) -> Written:
        """End an assignment today; the staff member's access through it ends with it."""
        chosen = _vocab(Capacity, capacity, "assignment capacity")
        today = self._clock().date()
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
            started = store.active_assignment(connection, case_id, user_id, chosen.value, today)
        detail = {"what": "assignment_ended", "user_id": user_id, "capacity": chosen.value}
        decision = self._decide(who, case, AccessAction.UPDATE, DataCategory.CASE, purpose,
                                detail)
        self._only_admins(who, case, decision, purpose, detail)
        if started is None:
            raise NotFound("assignment", f"{case_id}/{user_id}/{chosen.value}")
        event = self._permit(who, case, DataCategory.CASE, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.end_assignment(connection, case_id, user_id, chosen.value, started, today)
        return Written(user_id, case_id, event)

    def _only_admins(self, who: SessionContext, case: CaseRef, decision: Decision,
                     purpose: Purpose, detail: dict[str, str]) -> None:
        if who.principal.role is not Role.COURT_ADMIN:
            self._refuse(who, case, DataCategory.CASE, purpose, decision.policy_ids,
                         {**detail, "reason": "not_a_court_admin"})
            raise AccessDenied(_NOT_AN_ADMIN, policy_ids=decision.policy_ids)

    # --- documents --------------------------------------------------------------------

    def file_document(self, who: SessionContext, case_id: str, *, category: str, title: str,
                      content: bytes, purpose: Purpose) -> Written:
        """File a document in the case, sealed under the person's key."""
        chosen = _vocab(DocumentCategory, category, "document category")
        if not title.strip() or len(title) > 200:
            msg = "give the document a title of 1 to 200 characters"
            raise InvalidValue(msg)
        if len(content) > MAX_DOCUMENT_BYTES:
            msg = f"a document is at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB"
            raise InvalidValue(msg)
        media_type = media_type_of(content)
        with self._engine.connect() as connection:
            case = store.case_ref(connection, case_id)
        document_id = _new_id("DOC")
        digest = hashlib.sha256(content).hexdigest()
        detail = {"what": "document_filed", "document_id": document_id,
                  "category": chosen.value, "media_type": media_type, "content_sha256": digest,
                  "bytes": str(len(content))}
        decision = self._decide(who, case, AccessAction.UPDATE, DataCategory.DOCUMENT,
                                purpose, detail)
        event = self._permit(who, case, DataCategory.DOCUMENT, purpose, decision, detail)
        with self._engine.begin() as connection:
            store.insert_document(connection, document_id=document_id, case_id=case_id,
                                  category=chosen.value, title=title.strip(),
                                  filed_on=self._clock().date(), filed_by=who.user_id,
                                  media_type=media_type, content_sha256=digest,
                                  content=content)
        return Written(document_id, case_id, event)

    # --- the shared steps -------------------------------------------------------------

    def _decide(self, who: SessionContext, case: CaseRef, action: AccessAction,
                category: DataCategory, purpose: Purpose, detail: dict[str, str]) -> Decision:
        """Decide one category of one case; a refusal is ledgered, then raised."""
        now = self._clock()
        with self._engine.connect() as connection:
            relationships = relationships_to_case(connection, who.user_id, case.case_id,
                                                  now.date())
        decision = self._policy.decide(AccessRequest(
            principal=who.principal, action=action, kind=RecordKind.CASE,
            record_id=case.case_id, purpose=purpose, at=now, device_id=who.device_id,
            relationships=relationships, categories=frozenset({category})))
        if category not in decision.categories:
            self._refuse(who, case, category, purpose, decision.policy_ids,
                         {**detail, "reason": "policy"})
            decision.require(category)
        return decision

    def _only_schedulers(self, who: SessionContext, case: CaseRef, decision: Decision,
                         purpose: Purpose, detail: dict[str, str]) -> None:
        if who.principal.role not in SCHEDULERS:
            self._refuse(who, case, DataCategory.CASE, purpose, decision.policy_ids,
                         {**detail, "reason": "not_a_scheduler"})
            raise AccessDenied(_NOT_A_SCHEDULER, policy_ids=decision.policy_ids)

    def _refuse(self, who: SessionContext, case: CaseRef, category: DataCategory,
                purpose: Purpose, policy_ids: tuple[str, ...], detail: dict[str, str]) -> None:
        _LOG.info("access.refused", user_id=who.user_id, action=detail["what"],
                  purpose=purpose.value, reason=detail.get("reason"))
        self._ledger.append(EventDraft(
            action=Action.UPDATE, result=Result.DENY, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=case.person_id, case_id=case.case_id, categories=(category.value,),
            purpose=purpose, policy_ids=policy_ids, detail=detail))

    def _permit(self, who: SessionContext, case: CaseRef, category: DataCategory,
                purpose: Purpose, decision: Decision, detail: dict[str, str], *,
                justification: str | None = None) -> str:
        """Append the permit event (before the write) and return its id."""
        event = self._ledger.append(EventDraft(
            action=Action.UPDATE, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=case.person_id, case_id=case.case_id, categories=(category.value,),
            purpose=purpose, justification=justification, record_count=1,
            policy_ids=decision.policy_ids, detail=detail))
        return event.event_id


def _vocab(kind: type[_E], value: str, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        msg = f"unknown {what}; use one of: {allowed}"
        raise InvalidValue(msg) from None


__all__ = ["SCHEDULERS", "CourtWrites", "Written"]
