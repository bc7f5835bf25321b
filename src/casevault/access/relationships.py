"""Relationships between a user and a case, derived from the records (issue 4, item 3).

Need-to-know starts with a relationship, and a relationship is never typed in by
hand: it is read from the same rows the court works from (hearings, assignments,
representations, the user's office and the case's court), at a date the caller
passes (STYLE.md: time is a parameter). A representation that ends today gives
no access today; a hearing calendared before a judge relates that judge to the
case for as long as the hearing row exists (a judge who heard a case rules on
its later motions), while an assignment counts only between its start and end.

All relationships of one user to one case, or to every case of one person, come
back from a single indexed query (one round trip), compiled once and run on the
driver connection: it is asked on every guarded read.

``respondent_self``: a respondent's own account (role ``respondent``) reading
their own cases. The account is linked to the person by its user id, which is
the person's id (as an attorney's user id may be their bar record's id).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Select,
    String,
    bindparam,
    exists,
    or_,
    select,
)

from casevault.domain import Capacity, Role
from casevault.store.reads import PreparedQuery, date_param
from casevault.store.tables import assignments, cases, hearings, representations, users


class Relationship(StrEnum):
    """How a user stands to a case. Values are spelt as in ``policies/casevault.cedarschema``."""

    ASSIGNED_JUDGE = "assigned_judge"
    """A hearing of the case is on the user's calendar, or they hold an active judge assignment."""
    COURT_CLERK = "court_clerk"
    """A clerk or court administrator of the court that holds the case."""
    ATTORNEY_OF_RECORD = "attorney_of_record"
    """The user represents the respondent in the case, on this date."""
    DHS_COUNSEL_AT_COURT = "dhs_counsel_at_court"
    """DHS counsel whose office is the court that holds the case."""
    ASSIGNED = "assigned"
    """The user holds an active assignment to the case, in any capacity."""
    RESPONDENT_SELF = "respondent_self"
    """A respondent's own account (user id = person id), and the case is theirs."""


_Query = Select[str | None, str | None, str, bool, bool, bool, bool, bool]
"""Per case: the user's role and office (null if no such user), the case's court, five facts."""

_CLERK_ROLES = (Role.CLERK.value, Role.COURT_ADMIN.value)


def relationships_to_case(
    connection: Connection, user_id: str, case_id: str, on: date,
) -> frozenset[Relationship]:
    """The user's relationships to one case on day ``on``; empty if either id is unknown."""
    _check_day(on)
    return _union(_BY_CASE.rows(connection, {"user_id": user_id, "on": date_param(connection, on),
                                             "key": case_id}))


def relationships_to_person(
    connection: Connection, user_id: str, person_id: str, on: date,
) -> frozenset[Relationship]:
    """The user's relationships to any case of a person on day ``on`` (a person record's read).

    A person's record is needed by whoever is related to one of their cases: the
    union over their cases is the person's relationship set.
    """
    _check_day(on)
    return _union(_BY_PERSON.rows(connection, {"user_id": user_id,
                                               "on": date_param(connection, on),
                                               "key": person_id}))


def _check_day(on: date) -> None:
    """Refuse an instant: which day an instant falls on depends on the court's time zone."""
    if isinstance(on, datetime):
        msg = "pass the day (a date) at the court, not an instant"
        raise TypeError(msg)


_USER = bindparam("user_id", type_=String())
_ON = bindparam("on", type_=Date())
_KEY = bindparam("key", type_=String())


def _relationship_query(which_cases: ColumnElement[bool]) -> _Query:
    """One row per selected case: the user's role and office, the case's court, and five facts.

    Built once with bound parameters, so each call reuses SQLAlchemy's compiled form.
    """
    calendared = exists().where(
        hearings.c.case_id == cases.c.case_id, hearings.c.judge_user_id == _USER,
    )
    assigned = exists().where(
        assignments.c.case_id == cases.c.case_id, assignments.c.user_id == _USER,
        *_current(assignments.c.started_on, assignments.c.ended_on),
    )
    judge_assigned = exists().where(
        assignments.c.case_id == cases.c.case_id, assignments.c.user_id == _USER,
        assignments.c.capacity == Capacity.JUDGE.value,
        *_current(assignments.c.started_on, assignments.c.ended_on),
    )
    represents = exists().where(
        representations.c.case_id == cases.c.case_id, representations.c.attorney_id == _USER,
        *_current(representations.c.started_on, representations.c.ended_on),
    )
    return (
        select(
            users.c.role, users.c.office_code, cases.c.court_code,
            calendared.label("calendared"), judge_assigned.label("judge_assigned"),
            assigned.label("assigned"), represents.label("represents"),
            (cases.c.person_id == _USER).label("own"),
        )
        .select_from(cases.outerjoin(users, users.c.user_id == _USER))
        .where(which_cases)
    )


def _current(
    started_on: ColumnElement[date], ended_on: ColumnElement[date | None],
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """In force on day ``on``: started on or before it, and not ended on or before it."""
    return started_on <= _ON, or_(ended_on.is_(None), ended_on > _ON)


_BY_CASE: Final = PreparedQuery(_relationship_query(cases.c.case_id == _KEY))
_BY_PERSON: Final = PreparedQuery(_relationship_query(cases.c.person_id == _KEY))


def _union(rows: Iterable[tuple[Any, ...]]) -> frozenset[Relationship]:
    found: set[Relationship] = set()
    for row in rows:
        found |= _from_row(*row)
    return frozenset(found)


def _from_row(
    role: str | None, office: str | None, court: str,
    calendared: bool, judge_assigned: bool, assigned: bool, represents: bool,
    own: bool = False,
) -> set[Relationship]:
    """Turn one case's facts into relationships (EXISTS comes back as 0/1 on SQLite)."""
    found: set[Relationship] = set()
    if calendared or judge_assigned:
        found.add(Relationship.ASSIGNED_JUDGE)
    if assigned:
        found.add(Relationship.ASSIGNED)
    if represents:
        found.add(Relationship.ATTORNEY_OF_RECORD)
    if own and role == Role.RESPONDENT:
        found.add(Relationship.RESPONDENT_SELF)
    at_court = office is not None and office == court
    if at_court and role in _CLERK_ROLES:
        found.add(Relationship.COURT_CLERK)
    if at_court and role == Role.DHS_COUNSEL:
        found.add(Relationship.DHS_COUNSEL_AT_COURT)
    return found


__all__ = ["Relationship", "relationships_to_case", "relationships_to_person"]
