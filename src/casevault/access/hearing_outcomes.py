"""Recording a hearing's outcome through the door: policy-checked, ledgered, hold-aware.

Only the judge of the hearing (``judge-adjudication-update``: an assigned judge,
for adjudication, who must also be the hearing's own judge) or a clerk of the
case's court (``clerk-case-processing``, for case_processing) may record an
outcome. A case on a breach hold ("disclosure under review", ``holds``) refuses
a **removal-related** outcome — ``completed`` on a master or individual hearing,
the step after which a removal order can issue — with ``CaseOnHold`` until a
privacy officer clears the hold; adjourning or continuing stays possible, since
it only postpones. Permit or refusal, each attempt is a ledger event, appended
before the row changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from casevault.access._part import GuardedPart
from casevault.access.holds import holds_of_case
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, RecordKind
from casevault.access.relationships import relationships_to_case
from casevault.audit.events import Action, EventDraft, Result
from casevault.domain import DataCategory, Purpose, Role
from casevault.domain.vocab import HearingOutcome, HearingType
from casevault.errors import AccessDenied, CaseOnHold, InvalidValue, NotFound
from casevault.logs import get_logger
from casevault.store import tables

REMOVAL_RELATED: Final = frozenset({HearingOutcome.COMPLETED})
"""Outcomes that can lead to a removal order; a breach hold blocks them."""
REMOVAL_HEARINGS: Final = frozenset({HearingType.MASTER, HearingType.INDIVIDUAL})
"""Hearing types whose completion decides removal (a bond hearing does not)."""
_NOT_THE_JUDGE: Final = "Only the judge of the hearing may record its outcome."
_LOG = get_logger("casevault.access")


@dataclass(frozen=True, slots=True)
class OutcomeRecorded:
    hearing_id: str
    case_id: str
    outcome: HearingOutcome
    event_id: str


def removal_related(outcome: HearingOutcome, hearing_type: str) -> bool:
    """Whether recording ``outcome`` on a hearing of this type is a removal-related step."""
    return outcome in REMOVAL_RELATED and hearing_type in REMOVAL_HEARINGS


class HearingOutcomes(GuardedPart):
    """The guarded write path for hearing outcomes."""

    def record(self, who: SessionContext, hearing_id: str, outcome: str, *,
               purpose: Purpose) -> OutcomeRecorded:
        """Set the outcome of one hearing, or raise (``AccessDenied``, ``CaseOnHold``)."""
        try:
            chosen = HearingOutcome(outcome)
        except ValueError:
            allowed = ", ".join(o.value for o in HearingOutcome)
            msg = f"unknown hearing outcome; use one of: {allowed}"
            raise InvalidValue(msg) from None
        hearings, cases = tables.hearings, tables.cases
        now = self._clock()
        with self._engine.connect() as connection:
            row = connection.execute(
                select(hearings.c.case_id, hearings.c.judge_user_id, hearings.c.hearing_type,
                       cases.c.person_id)
                .join(cases, cases.c.case_id == hearings.c.case_id)
                .where(hearings.c.hearing_id == hearing_id)).first()
            if row is None:
                raise NotFound("hearing", hearing_id)
            case_id, person_id = str(row.case_id), str(row.person_id)
            relationships = relationships_to_case(connection, who.user_id, case_id, now.date())
            holds = holds_of_case(connection, case_id)
        decision = self._policy.decide(AccessRequest(
            principal=who.principal, action=AccessAction.UPDATE, kind=RecordKind.CASE,
            record_id=case_id, purpose=purpose, at=now, device_id=who.device_id,
            relationships=relationships, categories=frozenset({DataCategory.CASE})))
        base = {"what": "hearing_outcome", "hearing_id": hearing_id, "outcome": chosen.value}

        def refuse(reason: str, policy_ids: tuple[str, ...]) -> None:
            _LOG.info("access.refused", user_id=who.user_id, action="hearing_outcome",
                      purpose=purpose.value, reason=reason)
            self._ledger.append(EventDraft(
                action=Action.UPDATE, result=Result.DENY, user_id=who.user_id,
                session_id=who.session_id, device_id=who.device_id, ip=who.ip,
                person_id=person_id, case_id=case_id, categories=(DataCategory.CASE.value,),
                purpose=purpose, policy_ids=policy_ids, detail={**base, "reason": reason}))

        if DataCategory.CASE not in decision.categories:
            refuse("policy", decision.policy_ids)
            decision.require(DataCategory.CASE)
        if who.principal.role is Role.JUDGE and row.judge_user_id != who.user_id:
            refuse("not_the_judge", decision.policy_ids)
            raise AccessDenied(_NOT_THE_JUDGE, policy_ids=decision.policy_ids)
        if holds and removal_related(chosen, str(row.hearing_type)):
            hold_ids = tuple(h.hold_id for h in holds)
            refuse("case_on_hold", ("breach-case-hold",))
            raise CaseOnHold(case_id, hold_ids)
        event = self._ledger.append(EventDraft(
            action=Action.UPDATE, result=Result.PERMIT, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=person_id, case_id=case_id, categories=(DataCategory.CASE.value,),
            purpose=purpose, record_count=1, policy_ids=decision.policy_ids, detail=base))
        with self._engine.begin() as connection:
            connection.execute(hearings.update().where(hearings.c.hearing_id == hearing_id)
                               .values(outcome=chosen.value))
        return OutcomeRecorded(hearing_id, case_id, chosen, event.event_id)


__all__ = ["REMOVAL_HEARINGS", "REMOVAL_RELATED", "HearingOutcomes", "OutcomeRecorded",
           "removal_related"]
