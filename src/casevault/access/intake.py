"""Intake through the door: clerks docket applications, DHS counsel record encounters.

Both writes take the path every write takes (``court_writes``): relationships at
``now``, the Cedar decision for ``update`` on the categories the new row is of,
the ledger event — a ``deny`` for a refusal, a ``permit`` appended before the
row is written — then the sealed insert.

* **docket an application** — clerks and court administrators of the case's
  court, for ``case_processing``. An asylum, withholding or CAT application is a
  protection claim (8 CFR 208.6): docketing one also needs the ``asylum``
  category (``clerk-case-processing-asylum``: the case's own court only).
* **record an encounter** with law enforcement — DHS counsel at the court of one
  of the person's cases, for ``litigation`` (``dhs-counsel-encounter-entry``).
"""

from __future__ import annotations

import secrets
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar

from casevault.access._part import GuardedPart
from casevault.access.court_writes import SCHEDULERS, Written
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, Decision, RecordKind
from casevault.access.relationships import (
    Relationship,
    relationships_to_case,
    relationships_to_person,
)
from casevault.audit.events import Action, EventDraft, Result
from casevault.domain import DataCategory, Purpose
from casevault.domain.categories import PROTECTION_APPLICATION_KINDS
from casevault.domain.vocab import (
    ApplicationKind,
    EncounterAgency,
    EncounterKind,
    EncounterOutcome,
)
from casevault.errors import AccessDenied, InvalidValue, NotFound
from casevault.logs import get_logger
from casevault.store import court_writes, intake_writes

_E = TypeVar("_E", bound=StrEnum)
_NOT_A_CLERK: Final = "Applications are docketed by the clerks of the case's court."
_LOG = get_logger("casevault.access")


def _vocab(kind: type[_E], value: str, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(v.value for v in kind)
        msg = f"unknown {what}; use one of: {allowed}"
        raise InvalidValue(msg) from None


class Intake(GuardedPart):
    """The guarded write paths of intake."""

    def docket_application(self, who: SessionContext, case_id: str, *, kind: str,
                           filed_on: date, purpose: Purpose) -> Written:
        """Docket an application filed in the case (sealed: its kind may reveal a claim)."""
        chosen = _vocab(ApplicationKind, kind, "application kind")
        if filed_on > self._clock().date():
            msg = "an application's filing date cannot be in the future"
            raise InvalidValue(msg)
        now = self._clock()
        with self._engine.connect() as connection:
            case = court_writes.case_ref(connection, case_id)
            relationships = relationships_to_case(connection, who.user_id, case_id, now.date())
        needed = {DataCategory.CASE}
        if chosen in PROTECTION_APPLICATION_KINDS:
            needed.add(DataCategory.ASYLUM)
        application_id = f"APP-{secrets.token_hex(6).upper()}"
        draft = _Draft(who, purpose, case.person_id, case_id, tuple(sorted(needed)),
                       {"what": "application_docketed", "application_id": application_id})
        decision = self._decide(draft, RecordKind.CASE, case_id, relationships)
        if who.principal.role not in SCHEDULERS:
            self._append(draft, Result.DENY, decision, reason="not_a_clerk")
            raise AccessDenied(_NOT_A_CLERK, policy_ids=decision.policy_ids)
        event = self._append(draft, Result.PERMIT, decision)
        with self._engine.begin() as connection:
            intake_writes.insert_application(connection, application_id=application_id,
                                             case_id=case_id, kind=chosen.value,
                                             filed_on=filed_on)
        return Written(application_id, case_id, event)

    def record_encounter(self, who: SessionContext, person_id: str, *, agency: str,
                         occurred_on: date, kind: str, outcome: str,
                         purpose: Purpose) -> Written:
        """Record an encounter with law enforcement (sealed under the person's key)."""
        values = (_vocab(EncounterAgency, agency, "encounter agency"),
                  _vocab(EncounterKind, kind, "encounter kind"),
                  _vocab(EncounterOutcome, outcome, "encounter outcome"))
        now = self._clock()
        if occurred_on > now.date():
            msg = "an encounter's date cannot be in the future"
            raise InvalidValue(msg)
        with self._engine.connect() as connection:
            if not intake_writes.person_exists(connection, person_id):
                raise NotFound("person", person_id)
            relationships = relationships_to_person(connection, who.user_id, person_id,
                                                    now.date())
        encounter_id = f"ENC-{secrets.token_hex(6).upper()}"
        draft = _Draft(who, purpose, person_id, None, (DataCategory.LAW_ENFORCEMENT,),
                       {"what": "encounter_recorded", "encounter_id": encounter_id})
        decision = self._decide(draft, RecordKind.PERSON, person_id, relationships)
        event = self._append(draft, Result.PERMIT, decision)
        with self._engine.begin() as connection:
            intake_writes.insert_encounter(
                connection, encounter_id=encounter_id, person_id=person_id,
                agency=values[0].value, occurred_on=occurred_on, kind=values[1].value,
                outcome=values[2].value)
        return Written(encounter_id, person_id, event)

    def _decide(self, draft: _Draft, kind: RecordKind, record_id: str,
                relationships: frozenset[Relationship]) -> Decision:
        decision = self._policy.decide(AccessRequest(
            principal=draft.who.principal, action=AccessAction.UPDATE, kind=kind,
            record_id=record_id, purpose=draft.purpose, at=self._clock(),
            device_id=draft.who.device_id,
            relationships=relationships,
            categories=frozenset(draft.categories)))
        if not set(draft.categories) <= decision.categories:
            self._append(draft, Result.DENY, decision, reason="policy")
            decision.require(*draft.categories)
        return decision

    def _append(self, draft: _Draft, result: Result, decision: Decision, *,
                reason: str | None = None) -> str:
        if result is Result.DENY:
            _LOG.info("access.refused", user_id=draft.who.user_id, action=draft.detail["what"],
                      purpose=draft.purpose.value, reason=reason)
        who = draft.who
        detail = {**draft.detail, **({"reason": reason} if reason else {})}
        event = self._ledger.append(EventDraft(
            action=Action.UPDATE, result=result, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=draft.person_id, case_id=draft.case_id,
            categories=tuple(c.value for c in draft.categories), purpose=draft.purpose,
            record_count=1 if result is Result.PERMIT else 0, policy_ids=decision.policy_ids,
            detail=detail))
        return event.event_id


class _Draft:
    """What one intake write is about, for its decision and its ledger events."""

    __slots__ = ("case_id", "categories", "detail", "person_id", "purpose", "who")

    def __init__(self, who: SessionContext, purpose: Purpose, person_id: str,
                 case_id: str | None, categories: tuple[DataCategory, ...],
                 detail: dict[str, str]) -> None:
        self.who, self.purpose, self.person_id = who, purpose, person_id
        self.case_id, self.categories, self.detail = case_id, categories, detail


__all__ = ["Intake"]
