"""Exporting the database as an interchange folder that re-imports to the same content.

Rows are streamed table by table in primary-key order, so the same database
always exports to the same files, and a folder of any size is written in
bounded memory.

An export may be scoped to a set of persons (what the guard passes after it has
decided on each of them): their rows, their cases and everything filed in those
cases, the staff and attorneys those rows refer to, and the reference tables.
Links that point outside the scope are withheld, so the folder re-imports on its
own: a relationship to a person not exported, and a rider's link to a lead case
not exported (both are ``family`` information about someone else).

Sealed fields are opened on the way out (the export is the guard's answer to a
permitted request); rows of erased persons are left out, since nothing of them can
be read any more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Select, String, bindparam, select, union

from casevault.errors import InvalidValue
from casevault.store import tables
from casevault.store.interchange.spec import FILES, FILES_BY_NAME
from casevault.store.interchange.writer import Format, InterchangeWriter
from casevault.store.rows import RecordBuilder, builder_for
from casevault.store.sealed import SEALED, Opener, sealed_select

_STREAM_BATCH: Final = 5_000

ExportProgress = Callable[[str, int], None]


MAX_SCOPED_PERSONS: Final = 10_000
"""Largest scoped export: beyond it, a scope is no longer a considered choice of persons."""


def export_folder(connection: Connection, folder: Path, *, fmt: Format = "csv",
                  progress: ExportProgress | None = None,
                  persons: Collection[str] | None = None) -> dict[str, int]:
    """Write every table (or the part ``persons`` scopes) to ``folder``; returns row counts."""
    if persons is not None and len(persons) > MAX_SCOPED_PERSONS:
        msg = (f"a scoped export takes at most {MAX_SCOPED_PERSONS} persons; "
               "split it into several exports")
        raise InvalidValue(msg)
    scope = {"persons": sorted(persons)} if persons is not None else {}
    with InterchangeWriter(folder, fmt) as writer:
        for spec in FILES:
            builder: RecordBuilder[Any] = builder_for(spec.record_type)
            table = spec.table
            columns = [_exported(table.c[name], persons is not None) for name in builder.fields]
            sealed = SEALED.get(table.name)
            opener = None if sealed is None else Opener(sealed, builder.fields)
            statement = (select(*columns) if sealed is None else sealed_select(sealed, columns)
                         ).order_by(*table.primary_key.columns)
            if persons is not None:
                statement = _scoped(statement, spec.table.name)
            result = connection.execute(statement.execution_options(
                stream_results=True, yield_per=_STREAM_BATCH), scope)
            rows = 0
            for partition in result.partitions():
                for row in partition:
                    values = row if opener is None else opener.open_or_none(connection, row)
                    if values is not None:
                        writer.write(builder.build(values))
                rows += len(partition)
                if progress is not None:
                    progress(spec.name, rows)
        return {name: count for name, count in writer.counts().items()
                if count or not FILES_BY_NAME[name].extension}


_PERSONS: Final = bindparam("persons", type_=String(), expanding=True)


def _scope_cases() -> Select[Any]:
    return select(tables.cases.c.case_id).where(tables.cases.c.person_id.in_(_PERSONS))


def _exported(column: ColumnElement[Any], scoped: bool) -> ColumnElement[Any]:
    """A rider's link to its lead case is kept only when the lead case is exported too."""
    if scoped and column.table is tables.cases and column.name == "lead_case_id":
        lead = tables.cases.alias("lead")
        return (select(lead.c.case_id).where(lead.c.case_id == column,
                                             lead.c.person_id.in_(_PERSONS))
                .scalar_subquery().label("lead_case_id"))
    return column


def _scoped(statement: Select[Any], table_name: str) -> Select[Any]:
    """Restrict one table's rows to the persons in scope and what they refer to."""
    t = tables
    in_cases = _scope_cases()
    referenced_users = union(
        select(t.hearings.c.judge_user_id).where(t.hearings.c.case_id.in_(in_cases)),
        select(t.assignments.c.user_id).where(t.assignments.c.case_id.in_(in_cases)),
    )
    filters: dict[str, ColumnElement[bool]] = {
        "persons": t.persons.c.person_id.in_(_PERSONS),
        "person_addresses": t.person_addresses.c.person_id.in_(_PERSONS),
        "relatives": t.relatives.c.person_id.in_(_PERSONS)
        & t.relatives.c.relative_id.in_(_PERSONS),
        "encounters": t.encounters.c.person_id.in_(_PERSONS),
        "cases": t.cases.c.person_id.in_(_PERSONS),
        "representations": t.representations.c.case_id.in_(in_cases),
        "hearings": t.hearings.c.case_id.in_(in_cases),
        "applications": t.applications.c.case_id.in_(in_cases),
        "charges": t.charges.c.case_id.in_(in_cases),
        "documents": t.documents.c.case_id.in_(in_cases),
        "assignments": t.assignments.c.case_id.in_(in_cases),
        "attorneys": t.attorneys.c.attorney_id.in_(
            select(t.representations.c.attorney_id).where(
                t.representations.c.case_id.in_(in_cases))),
        "users": t.users.c.user_id.in_(referenced_users),
    }
    where = filters.get(table_name)
    return statement if where is None else statement.where(where)
