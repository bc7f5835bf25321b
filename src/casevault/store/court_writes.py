"""The court's day-to-day writes: hearings, appearances and filed documents.

Only ``casevault.access.court_writes`` calls these, after the guard has decided
and the ledger has recorded the attempt. A filed document's title and content
are personal data: they are sealed under the person's key by the same
``RowSealer`` an import uses, never written in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from casevault.errors import InvalidValue, NotFound
from casevault.store import tables
from casevault.store.sealed import RowSealer


@dataclass(frozen=True, slots=True)
class CaseRef:
    """What a write needs to know about a case before deciding: its person and court."""

    case_id: str
    person_id: str
    court_code: str


@dataclass(frozen=True, slots=True)
class HearingRef:
    """A hearing's case, judge and type (no personal data)."""

    hearing_id: str
    case: CaseRef
    judge_user_id: str | None
    hearing_type: str
    scheduled_at: datetime


def case_ref(connection: Connection, case_id: str) -> CaseRef:
    """The case's person and court, or ``NotFound``."""
    cases = tables.cases
    row = connection.execute(select(cases.c.person_id, cases.c.court_code)
                             .where(cases.c.case_id == case_id)).first()
    if row is None:
        raise NotFound("case", case_id)
    return CaseRef(case_id, str(row.person_id), str(row.court_code))


def hearing_ref(connection: Connection, hearing_id: str) -> HearingRef:
    """The hearing's case, judge and type, or ``NotFound``."""
    hearings = tables.hearings
    row = connection.execute(
        select(hearings.c.case_id, hearings.c.judge_user_id, hearings.c.hearing_type,
               hearings.c.scheduled_at)
        .where(hearings.c.hearing_id == hearing_id)).first()
    if row is None:
        raise NotFound("hearing", hearing_id)
    return HearingRef(hearing_id, case_ref(connection, str(row.case_id)),
                      row.judge_user_id, str(row.hearing_type), row.scheduled_at)


def user_role(connection: Connection, user_id: str) -> str | None:
    """The role of a staff account (None if there is no such account)."""
    users = tables.users
    role = connection.execute(select(users.c.role).where(users.c.user_id == user_id)).scalar()
    return None if role is None else str(role)


def hearing_exists(connection: Connection, hearing_id: str) -> bool:
    hearings = tables.hearings
    return connection.execute(select(hearings.c.hearing_id)
                              .where(hearings.c.hearing_id == hearing_id)).first() is not None


def insert_hearing(connection: Connection, *, hearing_id: str, case_id: str,
                   scheduled_at: datetime, hearing_type: str, judge_user_id: str,
                   interpreter_language: str | None) -> None:
    connection.execute(tables.hearings.insert().values(
        hearing_id=hearing_id, case_id=case_id, scheduled_at=scheduled_at,
        hearing_type=hearing_type, judge_user_id=judge_user_id, outcome=None,
        interpreter_language=interpreter_language))


def move_hearing(connection: Connection, hearing_id: str, scheduled_at: datetime,
                 reason: str) -> None:
    """A new date, the reason kept on the hearing (the ledger holds the history)."""
    hearings = tables.hearings
    connection.execute(hearings.update().where(hearings.c.hearing_id == hearing_id)
                       .values(scheduled_at=scheduled_at, adjournment_reason=reason))


def is_attorney(connection: Connection, attorney_id: str) -> bool:
    """Whether the account has a bar record (``attorneys``) to appear under."""
    attorneys = tables.attorneys
    return connection.execute(select(attorneys.c.attorney_id)
                              .where(attorneys.c.attorney_id == attorney_id)).first() is not None


def active_representation(connection: Connection, case_id: str, attorney_id: str,
                          on: date) -> date | None:
    """The start of the attorney's representation in force on day ``on``, if any."""
    reps = tables.representations
    return connection.execute(
        select(reps.c.started_on).where(
            reps.c.case_id == case_id, reps.c.attorney_id == attorney_id,
            reps.c.started_on <= on,
            (reps.c.ended_on.is_(None)) | (reps.c.ended_on > on))).scalar()


def insert_representation(connection: Connection, case_id: str, attorney_id: str,
                          started_on: date) -> None:
    reps = tables.representations
    taken = connection.execute(select(reps.c.case_id).where(
        reps.c.case_id == case_id, reps.c.attorney_id == attorney_id,
        reps.c.started_on == started_on)).first()
    if taken is not None:
        msg = ("an appearance in this case by this attorney already started today; "
               "enter it again tomorrow or ask the clerk to correct the record")
        raise InvalidValue(msg)
    connection.execute(reps.insert().values(case_id=case_id, attorney_id=attorney_id,
                                            started_on=started_on, ended_on=None))


def end_representation(connection: Connection, case_id: str, attorney_id: str,
                       started_on: date, ended_on: date) -> None:
    reps = tables.representations
    connection.execute(reps.update().where(
        reps.c.case_id == case_id, reps.c.attorney_id == attorney_id,
        reps.c.started_on == started_on).values(ended_on=ended_on))


def active_assignment(connection: Connection, case_id: str, user_id: str, capacity: str,
                      on: date) -> date | None:
    """The start of the user's assignment in this capacity in force on day ``on``, if any."""
    a = tables.assignments
    return connection.execute(select(a.c.started_on).where(
        a.c.case_id == case_id, a.c.user_id == user_id, a.c.capacity == capacity,
        a.c.started_on <= on, (a.c.ended_on.is_(None)) | (a.c.ended_on > on))).scalar()


def insert_assignment(connection: Connection, case_id: str, user_id: str, capacity: str,
                      started_on: date) -> None:
    a = tables.assignments
    taken = connection.execute(select(a.c.case_id).where(
        a.c.case_id == case_id, a.c.user_id == user_id, a.c.capacity == capacity,
        a.c.started_on == started_on)).first()
    if taken is not None:
        msg = "this assignment already started today; end it tomorrow or keep it"
        raise InvalidValue(msg)
    connection.execute(a.insert().values(case_id=case_id, user_id=user_id, capacity=capacity,
                                         started_on=started_on, ended_on=None))


def end_assignment(connection: Connection, case_id: str, user_id: str, capacity: str,
                   started_on: date, ended_on: date) -> None:
    a = tables.assignments
    connection.execute(a.update().where(
        a.c.case_id == case_id, a.c.user_id == user_id, a.c.capacity == capacity,
        a.c.started_on == started_on).values(ended_on=ended_on))


def insert_document(connection: Connection, *, document_id: str, case_id: str, category: str,
                    title: str, filed_on: date, filed_by: str, media_type: str,
                    content_sha256: str, content: bytes) -> None:
    """One filed document, its title and content sealed under the case's person's key."""
    columns = ("document_id", "case_id", "category", "title", "filed_on", "filed_by",
               "media_type", "content_sha256", "content")
    sealer = RowSealer(connection, tables.documents, columns)
    (row,) = sealer.seal([(document_id, case_id, category, title, filed_on, filed_by,
                           media_type, content_sha256, content)])
    connection.execute(tables.documents.insert().values(
        dict(zip(sealer.out_columns, row, strict=True))))


__all__ = [
    "CaseRef",
    "HearingRef",
    "active_assignment",
    "active_representation",
    "case_ref",
    "end_assignment",
    "end_representation",
    "hearing_exists",
    "hearing_ref",
    "insert_assignment",
    "insert_document",
    "insert_hearing",
    "insert_representation",
    "is_attorney",
    "move_hearing",
    "user_role",
]
