"""Intake writes: applications docketed in a case, encounters recorded for a person.

Only ``casevault.access.intake`` calls these, after the decision and the ledger
event. Every field of an application (its kind can reveal a protection claim)
and of an encounter is sealed under the person's key by ``RowSealer``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, select

from casevault.errors import NotFound
from casevault.store import tables
from casevault.store.sealed import RowSealer


def person_exists(connection: Connection, person_id: str) -> bool:
    persons = tables.persons
    return connection.execute(select(persons.c.person_id)
                              .where(persons.c.person_id == person_id)).first() is not None


def _insert_sealed(connection: Connection, table: Table, values: dict[str, Any]) -> None:
    sealer = RowSealer(connection, table, tuple(values))
    (row,) = sealer.seal([tuple(values.values())])
    connection.execute(table.insert().values(dict(zip(sealer.out_columns, row, strict=True))))


def insert_application(connection: Connection, *, application_id: str, case_id: str,
                       kind: str, filed_on: date) -> None:
    _insert_sealed(connection, tables.applications, {
        "application_id": application_id, "case_id": case_id, "kind": kind,
        "filed_on": filed_on, "decision": None, "decided_on": None})


def insert_encounter(connection: Connection, *, encounter_id: str, person_id: str,
                     agency: str, occurred_on: date, kind: str, outcome: str) -> None:
    if not person_exists(connection, person_id):
        raise NotFound("person", person_id)
    _insert_sealed(connection, tables.encounters, {
        "encounter_id": encounter_id, "person_id": person_id, "agency": agency,
        "occurred_on": occurred_on, "kind": kind, "outcome": outcome})


__all__ = ["insert_application", "insert_encounter", "person_exists"]
