"""Respondents' self-service writes: a change of address (Form EOIR-33), through the door.

The respondent's account is linked to their record by its user id (the person's
id, ``store/respondents.py``). A change of address is decided like any write —
relationships at ``now`` (``respondent_self``), the Cedar decision for ``update``
on ``contact`` (``respondent-change-of-address``) — and ledgered before the
sealed fields change; a refusal is a ``deny`` event. Reading their own record
and "who looked at my record" go through ``Guard.person_file`` and
``Guard.subject_report`` with the ``self_service`` purpose.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Final

from casevault.access._part import GuardedPart
from casevault.access.identity import SessionContext
from casevault.access.policy import AccessAction, AccessRequest, RecordKind
from casevault.access.relationships import relationships_to_person
from casevault.audit.events import Action, EventDraft, Result
from casevault.domain import DataCategory, Purpose
from casevault.errors import InvalidValue
from casevault.logs import get_logger
from casevault.store.respondents import change_address

_STATE: Final = re.compile(r"^[A-Z]{2}$")
_ZIP: Final = re.compile(r"^\d{5}(-\d{4})?$")
_LOG = get_logger("casevault.access")


@dataclass(frozen=True, slots=True)
class NewAddress:
    """A change of address as the respondent gives it (checked before anything is written)."""

    address: str
    city: str | None
    state: str | None
    postal_code: str | None


def _checked(new: NewAddress) -> NewAddress:
    """The address as the interchange format would accept it, or ``InvalidValue``."""
    if not new.address.strip() or len(new.address) > 200:
        msg = "give the street address (1 to 200 characters)"
        raise InvalidValue(msg)
    if new.state is not None and not _STATE.match(new.state):
        msg = "the state is a two-letter US postal code (for example TX)"
        raise InvalidValue(msg)
    if new.postal_code is not None and not _ZIP.match(new.postal_code):
        msg = "the ZIP code is five digits, or ZIP+4"
        raise InvalidValue(msg)
    if new.city is not None and len(new.city) > 100:
        msg = "the city is at most 100 characters"
        raise InvalidValue(msg)
    return NewAddress(new.address.strip(), new.city, new.state, new.postal_code)


class SelfService(GuardedPart):
    """A respondent's writes to their own record."""

    def change_address(self, who: SessionContext, new: NewAddress) -> str:
        """Change the respondent's own address; returns the ledger event's id."""
        address = _checked(new)
        person_id = who.user_id
        now = self._clock()
        with self._engine.connect() as connection:
            relationships = relationships_to_person(connection, who.user_id, person_id,
                                                    now.date())
        decision = self._policy.decide(AccessRequest(
            principal=who.principal, action=AccessAction.UPDATE, kind=RecordKind.PERSON,
            record_id=person_id, purpose=Purpose.SELF_SERVICE, at=now, device_id=who.device_id,
            relationships=relationships, categories=frozenset({DataCategory.CONTACT})))
        permitted = DataCategory.CONTACT in decision.categories
        event = self._ledger.append(EventDraft(
            action=Action.UPDATE, result=Result.PERMIT if permitted else Result.DENY,
            user_id=who.user_id, session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=person_id, categories=(DataCategory.CONTACT.value,),
            purpose=Purpose.SELF_SERVICE, record_count=1 if permitted else 0,
            policy_ids=decision.policy_ids, detail={"what": "change_of_address"}))
        if not permitted:
            _LOG.info("access.refused", user_id=who.user_id, action="change_of_address",
                      purpose=Purpose.SELF_SERVICE.value, reason="policy")
            decision.require(DataCategory.CONTACT)
        with self._engine.begin() as connection:
            change_address(connection, person_id, asdict(address), now.date())
        return event.event_id


__all__ = ["NewAddress", "SelfService"]
