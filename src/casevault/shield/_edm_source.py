"""What the index learns from the database: each person's identifiers, normalised.

Reads ``persons`` in primary-key order, a batch at a time (keyset pagination, so
memory stays flat and no cursor stays open between batches), and the address
history in ``person_addresses`` for the same key range. Other names come from
``persons.other_names``, the column the importer derives ``person_names`` from:
``person_names`` has no index that starts with ``person_id``, so reading it per
batch would scan it again and again.

Personal fields are sealed in the database (``casevault.store.sealed``): each batch is
opened in memory, hashed, and dropped. Erased persons have nothing left to index.

Nothing here keeps a value after its batch is hashed; nothing is logged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, func, select

from casevault.domain.anumber import normalize_a_number
from casevault.errors import InvalidValue
from casevault.shield._edm_normal import (
    SHORTENED,
    address_keys,
    alias_keys,
    fold_name,
    name_keys_of_tokens,
    normalize_email,
    normalize_phone,
)
from casevault.shield.model import Kind
from casevault.store import tables
from casevault.store.sealed import SEALED, Opener, sealed_select
from casevault.store.tables import LIST_SEPARATOR

PersonValues = tuple[str, set[tuple[Kind, str]]]
"""A person id and the (kind, normal form) pairs the index keys for that person."""

IN_CHUNK: Final = 500
"""Ids per ``IN (...)`` list when only some persons are read (well under every driver's limit)."""

_P = tables.persons.c
_A = tables.person_addresses.c
_PERSON_COLUMNS: Final = (_P.person_id, _P.a_number, _P.family_name, _P.given_name,
                          _P.other_names, _P.date_of_birth, _P.phone, _P.email, _P.address)
_PERSONS: Final = Opener.of(tables.persons, _PERSON_COLUMNS)
_STREET_COLUMNS: Final = (_A.person_id, _A.valid_from, _A.address)
_STREETS: Final = Opener.of(tables.person_addresses, _STREET_COLUMNS)


def count_persons(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(tables.persons)).scalar_one())


def all_person_ids(connection: Connection, *, batch_size: int) -> Iterator[str]:
    """Every person id, in key order, a batch at a time."""
    after: str | None = None
    while True:
        statement = select(_P.person_id).order_by(_P.person_id).limit(batch_size)
        if after is not None:
            statement = statement.where(_P.person_id > after)
        ids = list(connection.execute(statement).scalars())
        yield from ids
        if len(ids) < batch_size:
            return
        after = ids[-1]


def person_batches(connection: Connection, *, batch_size: int,
                   only: Collection[str] | None = None) -> Iterator[list[PersonValues]]:
    """Each person's normalised identifiers, a batch at a time (``only``: just those ids)."""
    names = _NameKeys()
    if only is not None:
        yield from _chosen_batches(connection, sorted(only), names)
        return
    after: str | None = None
    while True:
        statement = _person_select().order_by(_P.person_id).limit(batch_size)
        if after is not None:
            statement = statement.where(_P.person_id > after)
        sealed_rows = connection.execute(statement).all()
        if not sealed_rows:
            return
        last = sealed_rows[-1][0]
        rows = _opened(connection, sealed_rows)
        streets = _streets(connection, _A.person_id <= last if after is None
                           else (_A.person_id > after) & (_A.person_id <= last))
        yield [_values(row, streets.get(row[0], ()), names) for row in rows]
        if len(sealed_rows) < batch_size:
            return
        after = last


def _chosen_batches(connection: Connection, ids: Sequence[str],
                    names: _NameKeys) -> Iterator[list[PersonValues]]:
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start:start + IN_CHUNK]
        rows = _opened(connection, connection.execute(
            _person_select().where(_P.person_id.in_(chunk))).all())
        streets = _streets(connection, _A.person_id.in_(chunk))
        yield [_values(row, streets.get(row[0], ()), names) for row in rows]


def _person_select() -> Any:
    return sealed_select(SEALED["persons"], _PERSON_COLUMNS)


def _opened(connection: Connection, rows: Sequence[Any]) -> list[list[Any]]:
    """Sealed identifiers opened in memory, batch by batch; erased persons are skipped."""
    opened = (_PERSONS.open_or_none(connection, row) for row in rows)
    return [row for row in opened if row is not None]


def _streets(connection: Connection, condition: Any) -> dict[str, list[str]]:
    by_person: defaultdict[str, list[str]] = defaultdict(list)
    statement = sealed_select(SEALED["person_addresses"], _STREET_COLUMNS).where(condition)
    for row in connection.execute(statement):
        opened = _STREETS.open_or_none(connection, row)
        if opened is not None:
            by_person[opened[0]].append(opened[2])
    return by_person


def _values(row: Sequence[Any], streets: Sequence[str], names: _NameKeys) -> PersonValues:
    (person_id, a_number, family, given, other_names, born, phone, email, address) = row
    values: set[tuple[Kind, str]] = set()
    values.update((Kind.PERSON_NAME, key) for key in names.of(family, given, other_names))
    _add_checked(values, Kind.A_NUMBER, a_number, normalize_a_number)
    if isinstance(born, date):
        values.add((Kind.DATE_OF_BIRTH, born.isoformat()))
    elif born:
        values.add((Kind.DATE_OF_BIRTH, str(born)[:10]))
    _add_checked(values, Kind.PHONE, phone, normalize_phone)
    _add_checked(values, Kind.EMAIL, email, normalize_email)
    for street in (address, *streets):
        if street:
            values.update((Kind.ADDRESS, key) for key in address_keys(street))
    return person_id, values


class _NameKeys:
    """Name keys, with each name part folded once per build (surnames recur in a docket).

    The memory lives only as long as one build or refresh (it holds names).
    """

    LIMIT: Final = 200_000

    def __init__(self) -> None:
        self._folded: dict[str, list[str]] = {}

    def _tokens(self, part: str | None) -> list[str]:
        if not part:
            return []
        tokens = self._folded.get(part)
        if tokens is None:
            if len(self._folded) >= self.LIMIT:
                self._folded.clear()
            tokens = self._folded[part] = fold_name(part).split()
        return tokens

    def of(self, family: str | None, given: str | None,
           other_names: str | None) -> frozenset[str]:
        keys = name_keys_of_tokens(self._tokens(family), self._tokens(given))
        if not other_names:
            return keys
        every = keys.union(*(alias_keys(alias) for alias in other_names.split(LIST_SEPARATOR)))
        return frozenset(key for key in every
                         if not (key[0] == SHORTENED and key[1:] in every))


def _add_checked(values: set[tuple[Kind, str]], kind: Kind, text: str | None,
                 normalize: Callable[[str], str]) -> None:
    """Add a stored value's normal form; a stored value that does not normalise is skipped."""
    if not text:
        return
    try:
        values.add((kind, normalize(text)))
    except InvalidValue:
        return
