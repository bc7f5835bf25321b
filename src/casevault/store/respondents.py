"""Respondents' own accounts and their changes of address.

A respondent's directory entry (``users``) has the person's id as its user id —
the link between the account and the record — and placeholder names: the
person's names stay sealed in ``persons`` and are never copied into the clear
``users`` table. A change of address updates the person's sealed contact fields
and adds a sealed row to their address history, as an import would.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from sqlalchemy import Connection, select

from casevault.domain import Agency, Role
from casevault.errors import InvalidValue, NotFound
from casevault.store import tables
from casevault.store.sealed import RowSealer, update_person

PLACEHOLDER_FAMILY: Final = "(respondent)"
PLACEHOLDER_GIVEN: Final = "(see the sealed record)"


def add_respondent_user(connection: Connection, person_id: str, active_from: date) -> str:
    """The directory entry of a respondent's account; returns its user id (the person id)."""
    persons, users = tables.persons, tables.users
    if connection.execute(select(persons.c.person_id)
                          .where(persons.c.person_id == person_id)).first() is None:
        raise NotFound("person", person_id)
    if connection.execute(select(users.c.user_id)
                          .where(users.c.user_id == person_id)).first() is not None:
        msg = "this person already has an account"
        raise InvalidValue(msg)
    connection.execute(users.insert().values(
        user_id=person_id, family_name=PLACEHOLDER_FAMILY, given_name=PLACEHOLDER_GIVEN,
        role=Role.RESPONDENT.value, agency=Agency.PRIVATE.value, active_from=active_from))
    return person_id


def change_address(connection: Connection, person_id: str, values: dict[str, str | None],
                   on: date) -> None:
    """Seal the new address (``address``, ``city``, ``state``, ``postal_code``) into the person
    and open a new period of their address history."""
    update_person(connection, person_id, values)
    history = tables.person_addresses
    connection.execute(history.update().where(
        history.c.person_id == person_id, history.c.valid_to.is_(None),
        history.c.valid_from < on).values(valid_to=on))
    connection.execute(history.delete().where(history.c.person_id == person_id,
                                              history.c.valid_from == on))
    columns = ("person_id", "valid_from", "address", "city", "state", "postal_code",
               "valid_to")
    sealer = RowSealer(connection, history, columns)
    (row,) = sealer.seal([(person_id, on, values["address"], values["city"], values["state"],
                           values["postal_code"], None)])
    connection.execute(history.insert().values(dict(zip(sealer.out_columns, row, strict=True))))


__all__ = ["PLACEHOLDER_FAMILY", "PLACEHOLDER_GIVEN", "add_respondent_user", "change_address"]
