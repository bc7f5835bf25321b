"""The context tables explanations and detectors join against, built once per run.

Read in bulk from a ``ContextSource`` (the store, or the domain records a simulator
made), converted to engine-neutral columns: ids, integer days (days since 1970-01-01)
and seconds, and keyed tokens in place of every contact attribute. Persons'
identifiers that the enumeration detectors need (A-number, name) enter as ranks
only: ``a_rank`` orders persons by A-number, ``name_rank`` by folded name, so that
a walk through consecutive records shows without the values themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Final, Protocol

import pyarrow as pa

from casevault.domain.names import fold
from casevault.store.watch_inputs import PersonContact, bulk_rows, person_contacts
from casevault.watch._tokens import Tokenizer

OPEN_END: Final = 1_000_000
"""The end day of an assignment or representation that has not ended (year 4707)."""

ROLE_PURPOSES: Final[Mapping[str, tuple[str, ...]]] = {
    "judge": ("adjudication", "case_processing", "appeal_review"),
    "clerk": ("case_processing", "adjudication"),
    "court_admin": ("case_processing", "compliance_audit", "statistics"),
    "dhs_counsel": ("litigation", "case_processing"),
    "attorney": ("representation",),
    "privacy_officer": ("compliance_audit", "breach_response"),
    "analyst": ("statistics",),
    "external_advisor": ("statistics",),
}
"""Purposes each role's real work calls for; a justification of another purpose is weak."""

SUPERVISED_BY: Final[Mapping[str, str]] = {"clerk": "court_admin"}
"""Who supervises whom in one office (a court's administrator supervises its clerks)."""

_TABLE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "users": ("user_id", "family_name", "given_name", "role", "office_code", "address",
              "postal_code", "phone", "email"),
    "cases": ("case_id", "person_id", "court_code", "lead_case_id"),
    "assignments": ("user_id", "case_id", "capacity", "started_on", "ended_on"),
    "hearings": ("case_id", "judge_user_id", "scheduled_at"),
    "representations": ("case_id", "attorney_id", "started_on", "ended_on"),
    "relatives": ("person_id", "relative_id"),
    "documents": ("case_id", "filed_by", "filed_on"),
}


class ContextSource(Protocol):
    """Where context comes from: bulk rows of case tables and persons' contacts."""

    def rows(self, table: str, columns: Sequence[str]) -> Iterable[Sequence[Any]]: ...

    def persons(self) -> Iterable[PersonContact]: ...


class StoreSource:
    """Context read from the casevault database."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def rows(self, table: str, columns: Sequence[str]) -> Iterable[Sequence[Any]]:
        return bulk_rows(self._connection, table, columns)

    def persons(self) -> Iterable[PersonContact]:
        return person_contacts(self._connection)


_RECORD_TABLES: Final = {"User": "users", "Case": "cases", "Assignment": "assignments",
                         "Hearing": "hearings", "Representation": "representations",
                         "Relative": "relatives", "Document": "documents"}


class RecordsSource:
    """Context from domain records in memory (a simulated court that was never imported)."""

    def __init__(self, records: Iterable[object]) -> None:
        self._by_table: dict[str, list[object]] = {}
        self._persons: dict[str, Any] = {}
        self._history: dict[str, list[tuple[str, str | None]]] = {}
        for record in records:
            kind = type(record).__name__
            if kind in _RECORD_TABLES:
                self._by_table.setdefault(_RECORD_TABLES[kind], []).append(record)
            elif kind == "Person":
                self._persons[record.person_id] = record  # type: ignore[attr-defined]
            elif kind == "AddressPeriod":
                self._history.setdefault(record.person_id, []).append(  # type: ignore[attr-defined]
                    (record.address, record.postal_code))  # type: ignore[attr-defined]

    def rows(self, table: str, columns: Sequence[str]) -> Iterable[Sequence[Any]]:
        for record in self._by_table.get(table, []):
            yield tuple(getattr(record, name) for name in columns)

    def persons(self) -> Iterable[PersonContact]:
        for person in self._persons.values():
            current = [(person.address, person.postal_code)] if person.address else []
            yield PersonContact(person.person_id, person.a_number, person.family_name,
                                person.given_name, person.phone, person.email,
                                tuple(current + self._history.get(person.person_id, [])))


def epoch_day(value: date | datetime | str | None, default: int | None = None) -> int | None:
    if value is None:
        return default
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return (value - date(1970, 1, 1)).days


def epoch_second(value: datetime | str) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


@dataclass(slots=True)
class Context:
    """Engine-neutral context tables (Arrow), keyed by the name the rules use."""

    tables: dict[str, pa.Table]


def _table(rows: Iterable[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    columns: list[list[Any]] = [[] for _ in schema.names]
    for row in rows:
        for index, value in enumerate(row):
            columns[index].append(value)
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, schema,
                                                                          strict=True)],
                                schema=schema)


def _schema(**fields: pa.DataType) -> pa.Schema:
    return pa.schema(list(fields.items()))


STR, INT = pa.string(), pa.int64()


def build_context(source: ContextSource, tokens: Tokenizer,
                  watchlist: Iterable[str] = ()) -> Context:
    """Every context table the rules name, from one bulk pass over each source table."""
    out: dict[str, pa.Table] = {}
    out.update(_staff_tables(source, tokens))
    out.update(_person_tables(source, tokens))
    out["cases"] = _table(((c, p, court, lead) for c, p, court, lead in
                           source.rows("cases", _TABLE_COLUMNS["cases"])),
                          _schema(case_id=STR, person_id=STR, court_code=STR, lead_case_id=STR))
    out["assignments"] = _table(
        ((u, c, _plain(cap), epoch_day(s), epoch_day(e, OPEN_END))
         for u, c, cap, s, e in source.rows("assignments", _TABLE_COLUMNS["assignments"])),
        _schema(user_id=STR, case_id=STR, capacity=STR, start_day=INT, end_day=INT))
    out["hearings"] = _table(
        ((c, j, epoch_second(at)) for c, j, at in
         source.rows("hearings", _TABLE_COLUMNS["hearings"]) if j is not None),
        _schema(case_id=STR, judge_user_id=STR, ts=INT))
    out["representations"] = _table(
        ((c, a, epoch_day(s), epoch_day(e, OPEN_END)) for c, a, s, e in
         source.rows("representations", _TABLE_COLUMNS["representations"])),
        _schema(case_id=STR, attorney_id=STR, start_day=INT, end_day=INT))
    out["relatives"] = _table(_both_ways(source.rows("relatives", _TABLE_COLUMNS["relatives"])),
                              _schema(person_id=STR, relative_id=STR))
    out["documents"] = _table(
        ((c, by, epoch_day(on)) for c, by, on in
         source.rows("documents", _TABLE_COLUMNS["documents"]) if by is not None),
        _schema(case_id=STR, filed_by=STR, day=INT))
    out["watchlist"] = _table(((p,) for p in sorted(set(watchlist))), _schema(person_id=STR))
    out["role_purposes"] = _table(
        ((role, purpose) for role, purposes in ROLE_PURPOSES.items() for purpose in purposes),
        _schema(role=STR, purpose=STR))
    return Context(out)


def _both_ways(rows: Iterable[Sequence[Any]]) -> Iterator[tuple[str, str]]:
    seen: set[tuple[str, str]] = set()
    for person, relative in rows:
        for pair in ((person, relative), (relative, person)):
            if pair not in seen:
                seen.add(pair)
                yield pair


def _staff_tables(source: ContextSource, tokens: Tokenizer) -> dict[str, pa.Table]:
    staff: list[tuple[str, str, str | None, str | None, str | None]] = []
    contacts: list[tuple[str, str, str]] = []
    for (user_id, family, given, role, office, address, postal, phone,
         email) in source.rows("users", _TABLE_COLUMNS["users"]):
        staff.append((user_id, str(_plain(role)), office, tokens.surname(family),
                      tokens.name(family, given)))
        for kind, token in (("address", tokens.address(address, postal)),
                            ("near", tokens.near_address(address, postal)),
                            ("phone", tokens.phone(phone)), ("email", tokens.email(email))):
            if token is not None:
                contacts.append((user_id, kind, token))
    heads: dict[tuple[str | None, str], list[str]] = {}
    for user_id, role, office, _, _ in sorted(staff):
        heads.setdefault((office, role), []).append(user_id)
    pairs = sorted((head, u) for u, r, o, _, _ in staff
                   for head in heads.get((o, SUPERVISED_BY.get(r, "")), []))
    return {
        "staff": _table(staff, _schema(user_id=STR, role=STR, office_code=STR, surname_tok=STR,
                                       name_tok=STR)),
        "supervisors": _table(pairs, _schema(supervisor_id=STR, user_id=STR)),
        "staff_contacts": _table(contacts, _schema(user_id=STR, kind=STR, tok=STR)),
    }


def _person_tables(source: ContextSource, tokens: Tokenizer) -> dict[str, pa.Table]:
    keys: list[tuple[str, str | None, str | None, str, str]] = []
    contacts: list[tuple[str, str, str]] = []
    for person in source.persons():
        keys.append((person.person_id, tokens.surname(person.family_name),
                     tokens.name(person.family_name, person.given_name),
                     person.a_number or "", fold(f"{person.family_name or ''} "
                                                 f"{person.given_name or ''}")))
        found = {("phone", tokens.phone(person.phone)), ("email", tokens.email(person.email))}
        for street, postal in person.addresses:
            found.add(("address", tokens.address(street, postal)))
            found.add(("near", tokens.near_address(street, postal)))
        contacts.extend((person.person_id, kind, tok) for kind, tok in sorted(found, key=str)
                        if tok is not None)
    a_rank = _ranks(keys, 3)
    name_rank = _ranks(keys, 4)
    rows = ((pid, s, n, a_rank[pid], name_rank[pid]) for pid, s, n, _, _ in keys)
    return {
        "person_keys": _table(rows, _schema(person_id=STR, surname_tok=STR, name_tok=STR,
                                            a_rank=INT, name_rank=INT)),
        "person_contacts": _table(contacts, _schema(person_id=STR, kind=STR, tok=STR)),
    }


def _ranks(keys: Sequence[tuple[Any, ...]], index: int) -> dict[str, int]:
    """Position of each person when ordered by the given clear value (ties by id)."""
    ordered = sorted(keys, key=lambda row: (row[index], row[0]))
    return {row[0]: rank for rank, row in enumerate(ordered)}
