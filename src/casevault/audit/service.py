"""What the faces (CLI now, API later) ask of the ledger: reports, exports, accounting.

Reading the audit log is itself an access (issue: "access to the audit log is
itself audited"): each function here first appends an ``audit_access`` event for
the operator who asked, and only then reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import Engine, select

from casevault.audit.checkpoint import Signer, parse_signed_checkpoint
from casevault.audit.events import Action, Event, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.audit.report import StaffEntry, build_report
from casevault.audit.siem import SiemFormat, write_events
from casevault.store import tables

DISCLOSING_ACTIONS = frozenset({Action.DISCLOSURE, Action.EXPORT})


@dataclass(frozen=True, slots=True)
class Operator:
    """Who asks, for what purpose and why: the same three things the guard asks of anyone."""

    user_id: str
    purpose: str
    justification: str | None = None
    session_id: str | None = None
    device_id: str | None = None
    ip: str | None = None
    policy_ids: tuple[str, ...] = ()
    """The policies that let the guard admit this operator (the guard fills these in)."""


def record_audit_access(ledger: Ledger, operator: Operator, what: str, *,
                        person_id: str | None = None) -> Event:
    return ledger.append(EventDraft(
        action=Action.AUDIT_ACCESS, result=Result.PERMIT, user_id=operator.user_id,
        session_id=operator.session_id, device_id=operator.device_id, ip=operator.ip,
        person_id=person_id, purpose=operator.purpose, justification=operator.justification,
        policy_ids=operator.policy_ids, detail={"what": what}))


def staff_directory(engine: Engine) -> Callable[[str], StaffEntry | None]:
    """Role, agency and name of staff by user id, read once per report."""
    users = tables.users
    with engine.connect() as connection:
        rows = connection.execute(select(users.c.user_id, users.c.role, users.c.agency,
                                         users.c.family_name, users.c.given_name)).all()
    directory = {str(row[0]): StaffEntry(*(str(value) for value in row)) for row in rows}
    return directory.get


def subject_report(ledger: Ledger, engine: Engine, signer: Signer, operator: Operator, *,
                   person_id: str, generated_at: datetime,
                   show_staff_names: bool = False) -> dict[str, Any]:
    """Every access to ``person_id`` up to a fresh signed checkpoint, with proofs.

    The operator's own access to this person's audit trail is appended first, so
    it is part of the report it produces.
    """
    record_audit_access(ledger, operator, "subject_report", person_id=person_id)
    note = ledger.issue_checkpoint()
    checkpoint = parse_signed_checkpoint(note, signer.verifier())
    events = list(ledger.events(person_id=person_id, until_size=checkpoint.size))
    return build_report(person_id=person_id, events=events, checkpoint_note=note,
                        checkpoint=checkpoint, inclusion=ledger.inclusion_proof, signer=signer,
                        generated_at=generated_at, staff=staff_directory(engine),
                        show_staff_names=show_staff_names)


def disclosures(ledger: Ledger, operator: Operator, person_id: str) -> list[Event]:
    """Accounting of disclosures: every export or sharing of the person's records."""
    record_audit_access(ledger, operator, "accounting_of_disclosures", person_id=person_id)
    return [event for event in ledger.events(person_id=person_id)
            if event.action in DISCLOSING_ACTIONS]


def export_for_siem(ledger: Ledger, operator: Operator, fmt: SiemFormat, out: TextIO, *,
                    since: datetime | None = None) -> int:
    record_audit_access(ledger, operator, f"siem_export:{fmt}")
    return write_events(ledger.events(since=since), fmt, out)
