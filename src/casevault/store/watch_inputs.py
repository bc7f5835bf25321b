"""What the misuse detectors read from the store in bulk (issue 7).

``person_contacts`` is the one place the detectors read persons' contact data, opened
from its seal (``sealed.py``); the caller turns every value into a keyed token at once
and keeps no clear text. Erased persons have no contact data left and are skipped.

The other readers return plain id and date columns of the case tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, select

from casevault.store import tables
from casevault.store.sealed import SEALED, Opener, sealed_select


@dataclass(frozen=True, slots=True)
class PersonContact:
    """A person's identifiers and contact attributes, current and past addresses included."""

    person_id: str
    a_number: str | None
    family_name: str | None
    given_name: str | None
    phone: str | None
    email: str | None
    addresses: tuple[tuple[str, str | None], ...]
    """(street address, postal code) pairs: the current one first, then the history."""


_HISTORY_COLUMNS: Final = (tables.person_addresses.c.person_id,
                           tables.person_addresses.c.valid_from,
                           tables.person_addresses.c.address,
                           tables.person_addresses.c.postal_code)
_CONTACT_COLUMNS: Final = tuple(tables.persons.c[name] for name in (
    "person_id", "a_number", "family_name", "given_name", "phone", "email", "address",
    "postal_code"))


def person_contacts(connection: Connection, *, batch: int = 20_000) -> Iterator[PersonContact]:
    """Every person's contact attributes, streamed (one pass over persons and their history)."""
    history: dict[str, list[tuple[str, str | None]]] = {}
    past = Opener.of(tables.person_addresses, _HISTORY_COLUMNS)
    for row in connection.execute(sealed_select(SEALED["person_addresses"], _HISTORY_COLUMNS)):
        opened = past.open_or_none(connection, row)
        if opened is not None:
            history.setdefault(opened[0], []).append((opened[2], opened[3]))
    current = Opener.of(tables.persons, _CONTACT_COLUMNS)
    result = connection.execute(
        sealed_select(SEALED["persons"], _CONTACT_COLUMNS)
        .execution_options(stream_results=True, yield_per=batch))
    for row in result:
        opened = current.open_or_none(connection, row)
        if opened is None:
            continue
        person_id, a_number, family, given, phone, email, address, postal = opened
        addresses = ([(address, postal)] if address else []) + history.pop(person_id, [])
        yield PersonContact(person_id, a_number, family, given, phone, email, tuple(addresses))


def bulk_rows(connection: Connection, table_name: str, columns: Sequence[str],
              *, batch: int = 50_000) -> Iterator[tuple[Any, ...]]:
    """Rows of a few columns of one case or staff table, streamed."""
    table = tables.metadata.tables[table_name]
    statement = select(*(table.c[name] for name in columns))
    result = connection.execute(statement.execution_options(stream_results=True,
                                                            yield_per=batch))
    for row in result:
        yield tuple(row)
