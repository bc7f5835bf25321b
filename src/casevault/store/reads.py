"""Reading records by key: the store's read surface, used only by the guard.

Invariant 1 says personal data leaves the store only through ``casevault.access``;
this module is what the guard calls after it has decided and the ledger has
recorded. (The layering test in ``tests/test_layers.py`` keeps everyone else out.)

Hot reads skip SQLAlchemy's per-call execution machinery: each statement is
built with SQLAlchemy Core, compiled once per dialect, and then run directly on
the pooled driver connection. That keeps a point read within a small factor of
the raw driver, with no ORM identity map, while SQL stays dialect-correct.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Select, Table, bindparam, select
from sqlalchemy.engine import Dialect

from casevault.domain.anumber import normalize_a_number
from casevault.domain.names import fold
from casevault.domain.records import (
    AddressPeriod,
    Application,
    Assignment,
    Attorney,
    Case,
    Charge,
    Court,
    Document,
    Encounter,
    Facility,
    Hearing,
    Person,
    Relative,
    Representation,
    User,
)
from casevault.errors import NotFound
from casevault.store import tables
from casevault.store.rows import builder_for, instant_for_sqlite
from casevault.store.sealed import (
    SEALED,
    Opener,
    a_number_index,
    birth_date_index,
    blind_key,
    name_index,
    sealed_select,
)

R = TypeVar("R")
MAX_MATCHES: Final = 1_000
"""Hard ceiling on rows one look-up returns; the guard applies its own, lower caps."""


_Compiled = tuple[str, Callable[[Mapping[str, Any]], Any]]


class PreparedQuery:
    """A Core statement compiled once per dialect and run on the driver connection.

    Parameters go to the driver as given: pass dates through ``date_param``.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]], opener: Opener | None = None) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self.opener = opener
        """Set for tables with sealed columns: rows carry the owner's wrapped key, to be opened."""

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect)
        # Parameters the compiler introduced itself (SQLite's OFFSET 0) keep their values.
        fixed = {name: value for name, value in compiled.params.items() if value is not None}
        if compiled.positional and compiled.positiontup:
            order = tuple(compiled.positiontup)

            def arguments(params: Mapping[str, Any]) -> Any:
                merged = {**fixed, **params} if fixed else params
                return tuple([merged[name] for name in order])
        else:
            def arguments(params: Mapping[str, Any]) -> Any:
                return {**fixed, **params} if fixed else params

        result = self._compiled[dialect.name] = (compiled.string, arguments)
        return result

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        sql, arguments = self._compiled.get(connection.dialect.name) or self._compile(
            connection.dialect)
        driver: Any = connection.connection.driver_connection
        # sqlite3 and psycopg both offer Connection.execute, which skips a cursor object.
        rows: list[tuple[Any, ...]] = driver.execute(sql, arguments(params)).fetchall()
        return rows


def _record_columns(table: Table, record_type: type) -> list[Any]:
    return [table.c[name] for name in builder_for(record_type).fields]


def _selected(table: Table, columns: Sequence[Any]) -> tuple[Select[Any], Opener | None]:
    """A select of ``columns``; for a sealed table, with the owner's wrapped key and an opener."""
    spec = SEALED.get(table.name)
    if spec is None:
        return select(*columns), None
    return sealed_select(spec, columns), Opener.of(table, columns)


def _by(table: Table, record_type: type, *where: Any, order_by: Sequence[Any] = (),
        limit: bool = False) -> PreparedQuery:
    statement, opener = _selected(table, _record_columns(table, record_type))
    statement = statement.where(*where).order_by(*order_by)
    if limit:
        statement = statement.limit(bindparam("limit"))
    return PreparedQuery(statement, opener)


def _records(query: PreparedQuery, record_type: type[R], connection: Connection,
             **params: Any) -> list[R]:
    build = builder_for(record_type).build
    rows = query.rows(connection, params)
    opener = query.opener
    if opener is None:
        return [build(row) for row in rows]
    return [build(opener.open(connection, row)) for row in rows]


def _one(query: PreparedQuery, record_type: type[R], connection: Connection, kind: str,
         record_id: str) -> R:
    found = _records(query, record_type, connection, id=record_id)
    if not found:
        raise NotFound(kind, record_id)
    return found[0]


_p, _c = tables.persons, tables.cases
_PERSON_BY_ID = _by(_p, Person, _p.c.person_id == bindparam("id"))
_PERSON_BY_A_NUMBER = _by(_p, Person, _p.c.a_number_bidx == bindparam("a_number"))
_PERSONS_BY_NAME = _by(_p, Person, _p.c.person_id.in_(
    select(tables.person_names.c.person_id)
    .where(tables.person_names.c.name_key == bindparam("name_key"))),
    order_by=[_p.c.person_id], limit=True)
_PERSONS_BY_BIRTH_DATE = _by(_p, Person, _p.c.dob_bidx == bindparam("dob"),
                             order_by=[_p.c.person_id], limit=True)
_ADDRESSES = _by(tables.person_addresses, AddressPeriod,
                 tables.person_addresses.c.person_id == bindparam("id"),
                 order_by=[tables.person_addresses.c.valid_from])
_RELATIVES = _by(tables.relatives, Relative, tables.relatives.c.person_id == bindparam("id"),
                 order_by=[tables.relatives.c.relative_id])
_ENCOUNTERS = _by(tables.encounters, Encounter, tables.encounters.c.person_id == bindparam("id"),
                  order_by=[tables.encounters.c.encounter_id])
"""Ordered by date after opening: ``occurred_on`` is sealed."""
_CASE_BY_ID = _by(_c, Case, _c.c.case_id == bindparam("id"))
_CASES_OF_PERSON = _by(_c, Case, _c.c.person_id == bindparam("id"), order_by=[_c.c.opened_on])
_CASES_AT_COURT = _by(_c, Case, _c.c.court_code == bindparam("court"),
                      order_by=[_c.c.opened_on, _c.c.case_id], limit=True)
_RIDERS = _by(_c, Case, _c.c.lead_case_id == bindparam("id"), order_by=[_c.c.case_id])
_h = tables.hearings
_HEARINGS_OF_CASE = _by(_h, Hearing, _h.c.case_id == bindparam("id"),
                        order_by=[_h.c.scheduled_at])
_HEARINGS_AT_COURT = PreparedQuery(
    select(*_record_columns(_h, Hearing)).join(_c, _c.c.case_id == _h.c.case_id)
    .where(_c.c.court_code == bindparam("court"), _h.c.scheduled_at >= bindparam("start"),
           _h.c.scheduled_at < bindparam("end"))
    .order_by(_h.c.scheduled_at, _h.c.hearing_id)
)
_HEARINGS_OF_JUDGE = _by(_h, Hearing, _h.c.judge_user_id == bindparam("judge"),
                         _h.c.scheduled_at >= bindparam("start"),
                         _h.c.scheduled_at < bindparam("end"),
                         order_by=[_h.c.scheduled_at, _h.c.hearing_id])
_APPLICATIONS = _by(tables.applications, Application,
                    tables.applications.c.case_id == bindparam("id"),
                    order_by=[tables.applications.c.application_id])
"""Ordered by filing date after opening: ``filed_on`` is sealed."""
_CHARGES = _by(tables.charges, Charge, tables.charges.c.case_id == bindparam("id"),
               order_by=[tables.charges.c.charge_id])
_REPRESENTATIONS = _by(tables.representations, Representation,
                       tables.representations.c.case_id == bindparam("id"),
                       order_by=[tables.representations.c.started_on])
_REPRESENTED_BY = _by(tables.representations, Representation,
                      tables.representations.c.attorney_id == bindparam("id"),
                      order_by=[tables.representations.c.started_on])
_d = tables.documents
_DOCUMENT_COLUMNS = [c for c in _record_columns(_d, Document) if c.name != "content"]
_DOCUMENTS_OF_CASE = PreparedQuery(
    sealed_select(SEALED["documents"], _DOCUMENT_COLUMNS).where(_d.c.case_id == bindparam("id"))
    .order_by(_d.c.filed_on, _d.c.document_id), Opener.of(_d, _DOCUMENT_COLUMNS))
_DOCUMENT_BY_ID = _by(_d, Document, _d.c.document_id == bindparam("id"))
_ASSIGNMENTS_OF_CASE = _by(tables.assignments, Assignment,
                           tables.assignments.c.case_id == bindparam("id"),
                           order_by=[tables.assignments.c.started_on])
_ASSIGNMENTS_OF_USER = _by(tables.assignments, Assignment,
                           tables.assignments.c.user_id == bindparam("id"),
                           order_by=[tables.assignments.c.started_on])
_USER_BY_ID = _by(tables.users, User, tables.users.c.user_id == bindparam("id"))
_ATTORNEY_BY_ID = _by(tables.attorneys, Attorney, tables.attorneys.c.attorney_id == bindparam("id"))
_COURTS = _by(tables.courts, Court, order_by=[tables.courts.c.court_code])
_FACILITIES = _by(tables.facilities, Facility, order_by=[tables.facilities.c.facility_code])


def date_param(connection: Connection, value: date) -> Any:
    """A date as the driver takes it (ISO text on SQLite, where dates are stored as text)."""
    return value.isoformat() if connection.dialect.name == "sqlite" else value


def _instant_param(connection: Connection, value: datetime) -> Any:
    if connection.dialect.name == "sqlite":
        return instant_for_sqlite(value)
    return value.astimezone(UTC)


def _limit(limit: int) -> int:
    return max(0, min(limit, MAX_MATCHES))


def person(connection: Connection, person_id: str) -> Person:
    return _one(_PERSON_BY_ID, Person, connection, "person", person_id)


def person_by_a_number(connection: Connection, a_number: str) -> Person | None:
    """The person with this A-number, written in any accepted form (through its blind index)."""
    normal = normalize_a_number(a_number)
    key = blind_key(connection, create=False)
    if key is None:
        return None
    found = _records(_PERSON_BY_A_NUMBER, Person, connection,
                     a_number=a_number_index(key, normal))
    return found[0] if found else None


def persons_by_name(connection: Connection, family_name: str, given_name: str | None = None,
                    *, limit: int = 25) -> list[Person]:
    """Persons known by this name or alias, ignoring case, accents and punctuation."""
    folded = " ".join(part for part in (fold(family_name), fold(given_name or "")) if part)
    key = blind_key(connection, create=False)
    if key is None:
        return []
    return _records(_PERSONS_BY_NAME, Person, connection, name_key=name_index(key, folded),
                    limit=_limit(limit))


def persons_by_birth_date(connection: Connection, born_on: date, *,
                          limit: int = 25) -> list[Person]:
    key = blind_key(connection, create=False)
    if key is None:
        return []
    return _records(_PERSONS_BY_BIRTH_DATE, Person, connection,
                    dob=birth_date_index(key, born_on), limit=_limit(limit))


def address_history(connection: Connection, person_id: str) -> list[AddressPeriod]:
    return _records(_ADDRESSES, AddressPeriod, connection, id=person_id)


def relatives(connection: Connection, person_id: str) -> list[Relative]:
    return _records(_RELATIVES, Relative, connection, id=person_id)


def encounters(connection: Connection, person_id: str) -> list[Encounter]:
    found = _records(_ENCOUNTERS, Encounter, connection, id=person_id)
    return sorted(found, key=lambda encounter: (encounter.occurred_on, encounter.encounter_id))


def case(connection: Connection, case_id: str) -> Case:
    return _one(_CASE_BY_ID, Case, connection, "case", case_id)


def cases_of_person(connection: Connection, person_id: str) -> list[Case]:
    return _records(_CASES_OF_PERSON, Case, connection, id=person_id)


def riders(connection: Connection, lead_case_id: str) -> list[Case]:
    return _records(_RIDERS, Case, connection, id=lead_case_id)


def cases_at_court(connection: Connection, court_code: str, *, limit: int = 100) -> list[Case]:
    return _records(_CASES_AT_COURT, Case, connection, court=court_code, limit=_limit(limit))


def hearings_of_case(connection: Connection, case_id: str) -> list[Hearing]:
    return _records(_HEARINGS_OF_CASE, Hearing, connection, id=case_id)


def _day_bounds(connection: Connection, day: date) -> dict[str, Any]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return {"start": _instant_param(connection, start),
            "end": _instant_param(connection, start + timedelta(days=1))}


def hearings_at_court_on(connection: Connection, court_code: str, day: date) -> list[Hearing]:
    """A court's calendar for one (UTC) day."""
    return _records(_HEARINGS_AT_COURT, Hearing, connection, court=court_code,
                    **_day_bounds(connection, day))


def hearings_of_judge_on(connection: Connection, judge_user_id: str, day: date) -> list[Hearing]:
    """A judge's calendar for one (UTC) day."""
    return _records(_HEARINGS_OF_JUDGE, Hearing, connection, judge=judge_user_id,
                    **_day_bounds(connection, day))


def applications(connection: Connection, case_id: str) -> list[Application]:
    found = _records(_APPLICATIONS, Application, connection, id=case_id)
    return sorted(found, key=lambda application: (application.filed_on,
                                                  application.application_id))


def charges(connection: Connection, case_id: str) -> list[Charge]:
    return _records(_CHARGES, Charge, connection, id=case_id)


def representations(connection: Connection, case_id: str) -> list[Representation]:
    return _records(_REPRESENTATIONS, Representation, connection, id=case_id)


def representations_by_attorney(connection: Connection, attorney_id: str) -> list[Representation]:
    return _records(_REPRESENTED_BY, Representation, connection, id=attorney_id)


def documents_of_case(connection: Connection, case_id: str) -> list[Document]:
    """Documents of a case without their content (listing a record of proceedings)."""
    build = builder_for(Document).build
    opener = _DOCUMENTS_OF_CASE.opener
    assert opener is not None  # noqa: S101 -- documents are sealed
    return [build((*opener.open(connection, row), None))
            for row in _DOCUMENTS_OF_CASE.rows(connection, {"id": case_id})]


def document(connection: Connection, document_id: str) -> Document:
    """One document with its content."""
    return _one(_DOCUMENT_BY_ID, Document, connection, "document", document_id)


def assignments_of_case(connection: Connection, case_id: str) -> list[Assignment]:
    return _records(_ASSIGNMENTS_OF_CASE, Assignment, connection, id=case_id)


def assignments_of_user(connection: Connection, user_id: str) -> list[Assignment]:
    return _records(_ASSIGNMENTS_OF_USER, Assignment, connection, id=user_id)


def user(connection: Connection, user_id: str) -> User:
    return _one(_USER_BY_ID, User, connection, "user", user_id)


def attorney(connection: Connection, attorney_id: str) -> Attorney:
    return _one(_ATTORNEY_BY_ID, Attorney, connection, "attorney", attorney_id)


def courts(connection: Connection) -> list[Court]:
    return _records(_COURTS, Court, connection)


def facilities(connection: Connection) -> list[Facility]:
    return _records(_FACILITIES, Facility, connection)
