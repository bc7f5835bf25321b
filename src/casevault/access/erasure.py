"""Erasure through the door: two privacy officers, a ledger event before each step, ids only.

Invariant 7 (erasure is real) is carried out by ``casevault.store.erasure``; this
module decides who may ask for it. A privacy officer requests the erasure of a
person with a reason; a *different* privacy officer approves it, and only then is
the person's data key destroyed. Each step is appended to the ledger before it
takes effect (fail closed) and names the person and erasure by id only; the reason
stays in the ``erasures`` table, never in the ledger or a log.

Retention (``casevault retention run``) goes through the same two steps, with
``basis="retention"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine

from casevault.access.identity import SessionContext
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.domain import Purpose, Role
from casevault.errors import AccessDenied
from casevault.store import erasure as store_erasure
from casevault.store.keys import ErasureRegister, default_register

_OFFICERS_ONLY: Final = ("only a privacy officer may request or approve an erasure; ask your "
                         "privacy office")
_SECOND_OFFICER: Final = ("the officer who requested an erasure cannot approve it: a second "
                          "privacy officer must approve (two-person rule)")


@dataclass(frozen=True, slots=True)
class ErasureOutcome:
    erasure_id: str
    person_id: str
    state: str


class Erasures:
    """Requests and approvals of erasures, each one ledgered before it takes effect."""

    def __init__(self, engine: Engine, ledger: Ledger, *, clock: Clock = utc_now,
                 register: ErasureRegister | None = None) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        self._register = register

    @property
    def register(self) -> ErasureRegister:
        return self._register or default_register()

    def _require_officer(self, who: SessionContext, person_id: str | None, step: str) -> None:
        if who.principal.role is not Role.PRIVACY_OFFICER:
            self._event(who, person_id, step, "", Result.DENY)
            raise AccessDenied(_OFFICERS_ONLY)

    def _event(self, who: SessionContext, person_id: str | None, step: str, erasure_id: str,
               result: Result = Result.PERMIT) -> None:
        self._ledger.append(EventDraft(
            action=Action.UPDATE, result=result, user_id=who.user_id,
            session_id=who.session_id, device_id=who.device_id, ip=who.ip,
            person_id=person_id, purpose=Purpose.COMPLIANCE_AUDIT, record_count=1,
            detail={"what": "erasure", "step": step, "erasure_id": erasure_id}))

    def request(self, who: SessionContext, person_id: str, *, reason: str,
                basis: str = "request") -> ErasureOutcome:
        """A first privacy officer asks for the erasure; nothing is destroyed yet."""
        self._require_officer(who, person_id, "request")
        with self._engine.connect() as connection:
            store_erasure.check_request(connection, person_id, reason=reason, basis=basis)
        erasure_id = store_erasure.new_erasure_id()
        self._event(who, person_id, "request", erasure_id)  # audit before the change
        with self._engine.begin() as connection:
            store_erasure.request(connection, person_id, reason=reason,
                                  requested_by=who.user_id, basis=basis, now=self._clock(),
                                  erasure_id=erasure_id)
        return ErasureOutcome(erasure_id, person_id, store_erasure.PENDING)

    def approve(self, who: SessionContext, erasure_id: str) -> ErasureOutcome:
        """A second privacy officer approves: the person's data key is destroyed."""
        with self._engine.connect() as connection:
            record = store_erasure.pending(connection, erasure_id)
        self._require_officer(who, record.person_id, "approve")
        if record.requested_by == who.user_id:
            self._event(who, record.person_id, "approve", erasure_id, Result.DENY)
            raise AccessDenied(_SECOND_OFFICER)
        self._event(who, record.person_id, "approve", erasure_id)  # audit before the change
        with self._engine.begin() as connection:
            done = store_erasure.complete(connection, erasure_id, approved_by=who.user_id,
                                          now=self._clock(), register=self.register)
        return ErasureOutcome(done.erasure_id, done.person_id, done.state)


__all__ = ["ErasureOutcome", "Erasures"]
