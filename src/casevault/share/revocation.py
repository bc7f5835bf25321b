"""Revocation and disgorgement (issue 9, item 4).

Revoking an outside party ends everything at once: its account is suspended
(every live session ends, ledgered), every agreement naming it as recipient
ends, and an **inventory** of everything it ever received is drawn from the
ledger, the only complete record: records disclosed to it (one entry per
person), extracts (with their manifest hash) and statistics (with the query and
ε), and anything it read itself. The inventory's hash is kept with the
revocation, so the list handed to the party can be checked later.

Disgorgement is then certified in two steps by two different data owners:
``certify`` records the hash of the party's signed deletion certificate,
``accept`` closes the revocation once another data owner has checked it.
Every step is a ledger event appended before it is stored.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Final

from sqlalchemy import Engine, insert, select, update

from casevault.access.accounts import Accounts
from casevault.access.agreements import Agreements, data_owner_refusal, end_agreements
from casevault.audit.events import Action, Event, EventDraft, Result
from casevault.audit.ledger import Clock, Ledger, utc_now
from casevault.errors import AccessDenied, InvalidValue, NotFound
from casevault.store.tables_share import share_agreements, share_revocations

INVENTORY_VERSION: Final = "cv-disgorgement-inventory/1"
RECEIVING_ACTIONS: Final = frozenset({Action.VIEW, Action.SEARCH, Action.EXPORT, Action.PRINT,
                                      Action.BREAK_GLASS, Action.DISCLOSURE})
"""Actions by which a user receives data (when the ledger says ``permit``)."""


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """One thing the party received, as the ledger recorded it (ids only)."""

    event_id: str
    seq: int
    at: str
    kind: str
    """``records``, ``extract``, ``statistics``, or the action of a read of its own."""
    person_id: str | None
    case_id: str | None
    record_count: int
    agreement_id: str | None
    reference: str | None
    """The extract id, the statistics query, or nothing."""


@dataclass(frozen=True, slots=True)
class RevocationResult:
    revocation_id: str
    user_id: str
    sessions_ended: int
    agreements_ended: tuple[str, ...]
    inventory: tuple[InventoryItem, ...]
    inventory_sha256: str

    def inventory_document(self) -> dict[str, Any]:
        return inventory_document(self.user_id, self.inventory, self.revocation_id)


def received_by(event: Event, user_id: str) -> bool:
    """Whether ``event`` is something ``user_id`` received: their own permitted read or
    disclosure, or a disclosure that names them as recipient."""
    if event.result is not Result.PERMIT or event.action not in RECEIVING_ACTIONS:
        return False
    if event.action is Action.DISCLOSURE:
        return event.detail.get("recipient_user_id") == user_id
    return event.user_id == user_id


def _item(event: Event) -> InventoryItem:
    kind = event.detail.get("kind", event.action.value)
    reference = event.detail.get("extract_id") or event.detail.get("query")
    return InventoryItem(event.event_id, event.seq, event.at.isoformat(), kind,
                         event.person_id, event.case_id, event.record_count,
                         event.detail.get("agreement_id"), reference)


def inventory_of(ledger: Ledger, user_id: str) -> tuple[InventoryItem, ...]:
    """Everything the ledger shows ``user_id`` received, in log order."""
    return tuple(_item(e) for e in ledger.events() if received_by(e, user_id))


def inventory_document(user_id: str, items: Iterable[InventoryItem],
                       revocation_id: str | None = None) -> dict[str, Any]:
    listed = [asdict(item) for item in items]
    counts: dict[str, int] = {}
    for item in listed:
        counts[item["kind"]] = counts.get(item["kind"], 0) + 1
    return {"version": INVENTORY_VERSION, "user_id": user_id, "revocation_id": revocation_id,
            "counts": counts, "items": listed}


def _digest(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class Revocations:
    """Revoke an outside party, inventory what it received, certify its deletion."""

    def __init__(self, engine: Engine, ledger: Ledger, accounts: Accounts, *,
                 clock: Clock = utc_now) -> None:
        self._engine = engine
        self._ledger = ledger
        self._accounts = accounts
        self._agreements = Agreements(engine, ledger, clock=clock)
        self._clock = clock

    def revoke(self, user_id: str, *, by: str, reason: str) -> RevocationResult:
        """Suspend the party (sessions end), end its agreements, inventory it; all ledgered.

        The inventory names persons by id, so only a data owner may revoke (a refusal
        is ledgered before anything is read).
        """
        self._require_owner(by, "revoked", "-", user_id)
        sessions = self._accounts.suspend(user_id, by=by, reason=reason)
        now = self._clock()
        with self._engine.connect() as connection:
            open_ids = [str(a) for (a,) in connection.execute(
                select(share_agreements.c.agreement_id).where(
                    share_agreements.c.recipient_user_id == user_id,
                    share_agreements.c.ended_at.is_(None)))]
        revocation_id = f"RV-{secrets.token_hex(8)}"
        self._ledger.append_many([self._event(by, "revoked", revocation_id, user_id,
                                              reason=reason[:24])]
                                 + [self._event(by, "agreement_ended", revocation_id, user_id,
                                                agreement_id=a) for a in open_ids])
        with self._engine.begin() as connection:
            end_agreements(connection, open_ids, now, "revoked")
        items = inventory_of(self._ledger, user_id)
        digest = _digest(inventory_document(user_id, items, revocation_id))
        event = self._ledger.append(self._event(by, "inventory", revocation_id, user_id,
                                                inventory_sha256=digest,
                                                items=str(len(items))))
        with self._engine.begin() as connection:
            connection.execute(insert(share_revocations).values(
                revocation_id=revocation_id, user_id=user_id, revoked_by=by, revoked_at=now,
                reason=reason[:24], event_id=event.event_id, inventory_sha256=digest))
        return RevocationResult(revocation_id, user_id, sessions, tuple(open_ids), items, digest)

    def certify(self, revocation_id: str, *, by: str, certificate_sha256: str) -> None:
        """Record the party's signed deletion certificate (by the hash of the document)."""
        row = self._row(revocation_id)
        self._require_owner(by, "certified", revocation_id, row.user_id)
        if len(certificate_sha256) != 64 or any(c not in "0123456789abcdef"
                                                for c in certificate_sha256):
            msg = "give the certificate's SHA-256 as 64 lower-case hex digits"
            raise InvalidValue(msg)
        if row.certified_at is not None:
            msg = f"revocation {revocation_id} is already certified"
            raise InvalidValue(msg)
        self._ledger.append(self._event(by, "certified", revocation_id, row.user_id,
                                        certificate_sha256=certificate_sha256))
        with self._engine.begin() as connection:
            connection.execute(update(share_revocations).where(
                share_revocations.c.revocation_id == revocation_id).values(
                certified_by=by, certified_at=self._clock(),
                certificate_sha256=certificate_sha256))

    def accept(self, revocation_id: str, *, by: str) -> None:
        """A second data owner accepts the certificate: the disgorgement is closed."""
        row = self._row(revocation_id)
        self._require_owner(by, "accepted", revocation_id, row.user_id)
        if row.certified_at is None:
            msg = f"revocation {revocation_id} has no deletion certificate yet: certify it first"
            raise InvalidValue(msg)
        if row.accepted_at is not None:
            msg = f"revocation {revocation_id} is already closed"
            raise InvalidValue(msg)
        if by == row.certified_by:
            self._ledger.append(self._event(by, "accepted", revocation_id, row.user_id,
                                            result=Result.DENY, reason="same_owner"))
            msg = "another data owner than the one who recorded the certificate must accept it"
            raise AccessDenied(msg)
        self._ledger.append(self._event(by, "accepted", revocation_id, row.user_id))
        with self._engine.begin() as connection:
            connection.execute(update(share_revocations).where(
                share_revocations.c.revocation_id == revocation_id).values(
                accepted_by=by, accepted_at=self._clock()))

    def status(self, revocation_id: str) -> str:
        row = self._row(revocation_id)
        if row.accepted_at is not None:
            return "closed"
        return "certified" if row.certified_at is not None else "awaiting_certificate"

    def _row(self, revocation_id: str) -> Any:
        with self._engine.connect() as connection:
            row = connection.execute(select(share_revocations).where(
                share_revocations.c.revocation_id == revocation_id)).first()
        if row is None:
            raise NotFound("revocation", revocation_id)
        return row

    def _require_owner(self, by: str, step: str, revocation_id: str, subject: str) -> None:
        refusal = data_owner_refusal(self._engine, by, subject, self._clock())
        if refusal is not None:
            self._ledger.append(self._event(by, step, revocation_id, subject,
                                            result=Result.DENY, reason=refusal[0]))
            raise AccessDenied(refusal[1])

    @staticmethod
    def _event(by: str, step: str, revocation_id: str, subject: str, *,
               result: Result = Result.PERMIT, **detail: str) -> EventDraft:
        return EventDraft(action=Action.POLICY_CHANGE, result=result, user_id=by,
                          detail={"what": "revocation", "step": step,
                                  "revocation_id": revocation_id, "subject_user_id": subject,
                                  **detail})



__all__ = ["INVENTORY_VERSION", "InventoryItem", "RevocationResult", "Revocations",
           "inventory_document", "inventory_of", "received_by"]
