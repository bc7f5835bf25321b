"""Field encryption: which columns are sealed, and how rows are sealed on write and opened on read.

Each person has a random 256-bit data key (``person_keys``, wrapped by the
key-encryption key). Every personal field of the person's rows (identity, contact,
family and law-enforcement fields, and each document's title and content) is
stored AES-256-GCM encrypted under it (and each application's kind, dates and decision:
the asylum category), with ``table|record id|column`` as the
associated data, so a ciphertext moved to another row or column does not open.
Look-ups that need equality (A-number, name keys, date of birth) use blind
indexes: HMAC-SHA-256 under a database-wide key that is itself wrapped by the KEK.

Writers go through ``casevault.store.bulk.open_loader``, which seals rows of these
tables on the way in; readers select ``sealed_columns`` (the row's columns plus its
owner's wrapped key, fetched in the same query) and open them with an ``Opener``.
``docs/dev/encryption.md`` lists what stays clear and why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, ColumnElement, Connection, FromClause, Select, Table, insert, select
from sqlalchemy.exc import IntegrityError

from casevault.domain.anumber import normalize_a_number
from casevault.errors import InvalidValue, KeyUnavailable, PersonErased
from casevault.store import tables
from casevault.store.keys import blind_index, keyring
from casevault.store.keys._ring import FIELD_PREFIX, NONCE_BYTES
from casevault.store.tables_keys import erasures, key_meta, person_keys

BLIND_KEY_NAME: Final = "blind_index"
ERASED_TITLE: Final = "(erased)"
"""What a document's title reads as once its person was erased (the filing itself remains)."""
IN_CHUNK: Final = 500
_BODY: Final = 1 + NONCE_BYTES


@dataclass(frozen=True, slots=True)
class SealedTable:
    """One table's sealed columns, how its record id is formed, and who owns each row."""

    table: Table
    fields: frozenset[str]
    record_id: tuple[str, ...]
    owner: str | None
    """The column naming the owning person; None: through the row's case (documents)."""
    binary: frozenset[str] = frozenset()
    erased_marker: tuple[tuple[str, Any], ...] | None = None
    """Values shown for sealed fields once the owner is erased; None: reading raises."""

    @property
    def name(self) -> str:
        return self.table.name


SEALED: Final[dict[str, SealedTable]] = {
    spec.name: spec for spec in (
        SealedTable(tables.persons, frozenset({
            "a_number", "family_name", "given_name", "other_names", "date_of_birth", "address",
            "city", "state", "postal_code", "phone", "email"}), ("person_id",), "person_id"),
        SealedTable(tables.person_addresses, frozenset({"address", "city", "state",
                                                        "postal_code"}),
                    ("person_id", "valid_from"), "person_id"),
        SealedTable(tables.relatives, frozenset({"relation"}), ("person_id", "relative_id"),
                    "person_id"),
        SealedTable(tables.encounters, frozenset({"agency", "occurred_on", "kind", "outcome"}),
                    ("encounter_id",), "person_id"),
        SealedTable(tables.documents, frozenset({"title", "content"}), ("document_id",), None,
                    binary=frozenset({"content"}),
                    erased_marker=(("title", ERASED_TITLE), ("content", None))),
        SealedTable(tables.applications, frozenset({"kind", "filed_on", "decision",
                                                    "decided_on"}), ("application_id",), None),
    )
}
"""Every table with sealed columns; nothing else in the schema holds personal field values."""


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _plain(value: Any) -> bytes:
    if type(value) is str:  # the common case first: the import's hot loop
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return _text(value).encode()


def record_id(values: Sequence[Any]) -> str:
    """A record's id as bound into its fields' associated data (composite keys joined by '/')."""
    return "/".join(_text(value) for value in values)


# --- keys ---------------------------------------------------------------------------------


def erasure_of(connection: Connection, person_id: str) -> str | None:
    """The id of the completed erasure of this person, if they were erased."""
    found = connection.execute(select(erasures.c.erasure_id).where(
        erasures.c.person_id == person_id, erasures.c.state == "erased")).first()
    return None if found is None else str(found[0])


def data_keys(connection: Connection, owners: Iterable[str], *,
              create: bool) -> dict[str, AESGCM]:
    """The data key of each owner; with ``create``, new keys for owners without one.

    A person who was erased gets no new key: their rows cannot come back by a
    re-import of an old file (the import is refused with the person's id).
    """
    ring = keyring()
    known = _transaction_keys(connection)
    found: dict[str, AESGCM] = {}
    wanted: list[str] = []
    for person_id in set(owners):
        cipher = known.get(person_id)
        if cipher is None:
            wanted.append(person_id)
        else:
            found[person_id] = cipher
    wanted.sort()
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start:start + IN_CHUNK]
        for person_id, wrapped, kek_id in connection.execute(
                select(person_keys.c.person_id, person_keys.c.wrapped, person_keys.c.kek_id)
                .where(person_keys.c.person_id.in_(chunk))):
            found[person_id] = ring.data_key(wrapped, kek_id, person_id)
    missing = [person_id for person_id in wanted if person_id not in found]
    if create and missing:
        _refuse_erased(connection, missing)
        now = datetime.now(UTC)
        rows = []
        for person_id in missing:
            cipher, wrapped, kek_id = ring.new_data_key(person_id)
            found[person_id] = cipher
            rows.append({"person_id": person_id, "wrapped": wrapped, "kek_id": kek_id,
                         "created_at": now})
        connection.execute(insert(person_keys), rows)
    known.update(found)
    return found


_transaction_cache: list[tuple[Any, dict[str, AESGCM]]] = []
"""The keys looked up or made in the writing transaction now open (one at a time).

Each loader of an import (persons, addresses, encounters, documents, ...) needs the same
persons' keys; they are fetched once per transaction, not once per table. The entry is
bound to the (nested) transaction object, so keys made in a transaction or savepoint
that was rolled back are never used again.
"""


def forget_transaction_keys() -> None:
    """After a key was destroyed or replaced: nothing cached may be used again."""
    _transaction_cache.clear()


def _transaction_keys(connection: Connection) -> dict[str, AESGCM]:
    token = connection.get_nested_transaction() or connection.get_transaction()
    if token is None:
        return {}
    if _transaction_cache and _transaction_cache[0][0] is token and token.is_active:
        return _transaction_cache[0][1]
    keys: dict[str, AESGCM] = {}
    _transaction_cache[:] = [(token, keys)]
    return keys


def _refuse_erased(connection: Connection, person_ids: Sequence[str]) -> None:
    for start in range(0, len(person_ids), IN_CHUNK):
        erased = connection.execute(select(erasures.c.person_id, erasures.c.erasure_id).where(
            erasures.c.person_id.in_(person_ids[start:start + IN_CHUNK]),
            erasures.c.state == "erased")).first()
        if erased is not None:
            raise PersonErased(erased[0], erased[1])


def blind_key(connection: Connection, *, create: bool) -> bytes | None:
    """The database's blind-index key (created on first write); None before any person."""
    ring = keyring()
    row = _blind_row(connection)
    if row is not None:
        return ring.meta_key(BLIND_KEY_NAME, row[0], row[1])
    if not create:
        return None
    key, wrapped, kek_id = ring.new_meta_key(BLIND_KEY_NAME)
    try:
        with connection.begin_nested():
            connection.execute(insert(key_meta).values(name=BLIND_KEY_NAME, wrapped=wrapped,
                                                       kek_id=kek_id))
    except IntegrityError:  # another writer created it first: use theirs
        return blind_key(connection, create=False)
    return key


_BLIND_SQL: Final = {
    "sqlite": "SELECT wrapped, kek_id FROM key_meta WHERE name = ?",
    "postgresql": "SELECT wrapped, kek_id FROM key_meta WHERE name = %s",
}
"""Asked before every search: run on the driver connection, as the store's hot reads are."""


def _blind_row(connection: Connection) -> tuple[Any, ...] | None:
    sql = _BLIND_SQL.get(connection.dialect.name)
    if sql is None:
        return connection.execute(select(key_meta.c.wrapped, key_meta.c.kek_id).where(
            key_meta.c.name == BLIND_KEY_NAME)).first()
    driver: Any = connection.connection.driver_connection
    found: tuple[Any, ...] | None = driver.execute(sql, (BLIND_KEY_NAME,)).fetchone()
    return found


def a_number_index(key: bytes, a_number: str) -> str:
    return blind_index(key, "a_number", normalize_a_number(a_number))


def name_index(key: bytes, folded: str) -> str:
    return blind_index(key, "name", folded)


def birth_date_index(key: bytes, born: Any) -> str:
    return blind_index(key, "dob", _text(born)[:10])


# --- writing --------------------------------------------------------------------------------


class RowSealer:
    """Seals rows bound for one table (columns in ``columns`` order) before they are loaded.

    Persons also get their blind indexes (``a_number_bidx``, ``dob_bidx``) and their
    ``name_key`` hashed; ``person_names`` rows get their name key hashed.
    """

    def __init__(self, connection: Connection, table: Table, columns: Sequence[str]) -> None:
        self.connection = connection
        self.spec = SEALED.get(table.name)
        self.columns = tuple(columns)
        self.positions = [(i, name) for i, name in enumerate(columns)
                          if self.spec is not None and name in self.spec.fields]
        index = {name: i for i, name in enumerate(columns)}
        self.id_positions = [index[name] for name in self.spec.record_id] if self.spec else []
        self.owner_position = (index.get(self.spec.owner) if self.spec and self.spec.owner
                               else index.get("case_id"))
        self.name_key_position = index.get("name_key")
        extra: list[str] = []
        if table.name == "persons":
            self.a_number_position = index.get("a_number")
            self.dob_position = index.get("date_of_birth")
            extra += ["a_number_bidx"] if self.a_number_position is not None else []
            extra += ["dob_bidx"] if self.dob_position is not None else []
        else:
            self.a_number_position = self.dob_position = None
        self.out_columns = (*self.columns, *extra)
        needs_blind = self.name_key_position is not None or extra
        self._blind = blind_key(connection, create=True) if needs_blind else None

    @staticmethod
    def applies_to(table: Table) -> bool:
        return table.name in SEALED or table.name == "person_names"

    def _owners(self, rows: Sequence[Sequence[Any]]) -> list[str]:
        assert self.owner_position is not None  # noqa: S101 -- every sealed table has an owner
        values = [row[self.owner_position] for row in rows]
        if self.spec is None or self.spec.owner is not None:
            return values
        person_of = _case_owners(self.connection, values)
        return [person_of.get(case_id, "") for case_id in values]

    def seal(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """The rows with their sealed fields encrypted (the import's hot loop: kept lean)."""
        if self.spec is None:
            return [self._hash_names(list(row)) for row in rows]
        owners = self._owners(rows)
        keys = data_keys(self.connection, owners, create=True)
        prefix = f"casevault-field v1|{self.spec.name}|".encode()
        fields = [(position, f"|{name}".encode()) for position, name in self.positions]
        ids = self.id_positions
        single = len(ids) == 1
        nonces = os.urandom(NONCE_BYTES * len(rows) * max(1, len(fields)))
        offset = 0
        sealed: list[tuple[Any, ...]] = []
        for row, owner in zip(rows, owners, strict=True):
            values = list(row)
            encrypt = keys[owner].encrypt
            first = values[ids[0]]
            rid = first if single and type(first) is str else record_id(
                [values[i] for i in ids])
            context = prefix + rid.encode()
            extra = self._indexes(values)
            for position, suffix in fields:
                value = values[position]
                if value is not None:
                    nonce = nonces[offset:offset + NONCE_BYTES]
                    offset += NONCE_BYTES
                    values[position] = FIELD_PREFIX + nonce + encrypt(
                        nonce, _plain(value), context + suffix)
            sealed.append((*self._hash_names(values), *extra))
        return sealed

    def _hash_names(self, values: list[Any]) -> tuple[Any, ...]:
        position = self.name_key_position
        if position is not None and values[position] is not None:
            assert self._blind is not None  # noqa: S101 -- set whenever name_key is loaded
            values[position] = name_index(self._blind, values[position])
        return tuple(values)

    def _indexes(self, values: Sequence[Any]) -> list[str | None]:
        extra: list[str | None] = []
        if self.a_number_position is not None:
            a_number = values[self.a_number_position]
            extra.append(None if a_number is None else a_number_index(self._key, a_number))
        if self.dob_position is not None:
            born = values[self.dob_position]
            extra.append(None if born is None else birth_date_index(self._key, born))
        return extra

    @property
    def _key(self) -> bytes:
        assert self._blind is not None  # noqa: S101 -- set whenever indexes are computed
        return self._blind


def _case_owners(connection: Connection, case_ids: Sequence[str]) -> dict[str, str]:
    wanted = sorted(set(case_ids))
    owners: dict[str, str] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        owners.update((case_id, person_id) for case_id, person_id in connection.execute(
            select(tables.cases.c.case_id, tables.cases.c.person_id).where(
                tables.cases.c.case_id.in_(wanted[start:start + IN_CHUNK]))))
    return owners


# --- reading --------------------------------------------------------------------------------


def owner_column(spec: SealedTable) -> ColumnElement[str]:
    return tables.cases.c.person_id if spec.owner is None else spec.table.c[spec.owner]


def keyed_from(spec: SealedTable) -> FromClause:
    """The table joined to its owner's wrapped key (and, for documents, through the case)."""
    owner = owner_column(spec)
    base: FromClause = spec.table
    if spec.owner is None:
        base = spec.table.join(tables.cases, tables.cases.c.case_id == spec.table.c.case_id)
    return base.outerjoin(person_keys, person_keys.c.person_id == owner)


def sealed_select(spec: SealedTable, columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
    """``columns`` of the table, then the owner id and its wrapped key: what ``Opener`` reads."""
    return select(*columns, owner_column(spec), person_keys.c.wrapped,
                  person_keys.c.kek_id).select_from(keyed_from(spec))


class Opener:
    """Opens rows selected by ``sealed_select`` into clear values, in the same column order."""

    def __init__(self, spec: SealedTable, columns: Sequence[str]) -> None:
        self.spec = spec
        self.width = len(columns)
        index = {name: i for i, name in enumerate(columns)}
        self.positions = tuple((i, name, name in spec.binary) for i, name in enumerate(columns)
                               if name in spec.fields)
        self.id_positions = tuple(index[name] for name in spec.record_id)
        self.marker = tuple((index[name], value) for name, value in spec.erased_marker or ()
                            if name in index)
        self.prefix = f"casevault-field v1|{spec.name}|".encode()
        self.fields = tuple((i, f"|{name}".encode(), binary) for i, name, binary
                            in self.positions)

    @classmethod
    def of(cls, table: Table, columns: Sequence[Column[Any] | ColumnElement[Any]]) -> Opener:
        return cls(SEALED[table.name], [str(getattr(c, "name", c)) for c in columns])

    def open(self, connection: Connection, row: Sequence[Any]) -> list[Any]:
        """The row's clear values; raises ``PersonErased`` for an erased owner's fields."""
        width = self.width
        values = list(row[:width])
        owner, wrapped, kek_id = row[width], row[width + 1], row[width + 2]
        if wrapped is None:
            return self._without_key(connection, owner, values)
        decrypt = keyring().data_key(wrapped, kek_id, owner).decrypt
        context = self.prefix + record_id([values[i] for i in self.id_positions]).encode()
        for position, suffix, binary in self.fields:
            value = values[position]
            if value is not None:
                if value[:1] != FIELD_PREFIX:
                    raise KeyUnavailable("an encrypted field has an unknown format version")
                try:
                    plain = decrypt(value[1:_BODY], value[_BODY:], context + suffix)
                except InvalidTag:
                    raise KeyUnavailable("an encrypted field does not open for its record "
                                         "and column (moved or altered)") from None
                values[position] = plain if binary else plain.decode()
        return values

    def open_or_none(self, connection: Connection, row: Sequence[Any]) -> list[Any] | None:
        """For bulk readers (the leak shield's index): an erased owner's row is skipped."""
        try:
            return self.open(connection, row)
        except PersonErased:
            return None

    def _without_key(self, connection: Connection, owner: str | None,
                     values: list[Any]) -> list[Any]:
        erasure = erasure_of(connection, owner) if owner is not None else None
        if erasure is not None and self.spec.erased_marker is not None:
            for position, marker in self.marker:
                values[position] = marker
            return values
        if erasure is not None:
            raise PersonErased(str(owner), erasure)
        if all(values[position] is None for position, _, _ in self.positions):
            return values
        raise KeyUnavailable(f"the data key of person {owner!r} is missing; restore the "
                             "person_keys table from the backup taken with the data")


def update_person(connection: Connection, person_id: str, values: dict[str, Any]) -> None:
    """Correct some of a person's fields in place, sealed as an import would seal them.

    Names are changed by re-importing the person (their name keys are rebuilt there).
    """
    if {"family_name", "given_name", "other_names"} & values.keys():
        msg = "names are corrected by re-importing the person (name keys are rebuilt there)"
        raise InvalidValue(msg)
    columns = ("person_id", *values)
    sealer = RowSealer(connection, tables.persons, columns)
    (row,) = sealer.seal([(person_id, *values.values())])
    persons = tables.persons
    connection.execute(persons.update().where(persons.c.person_id == person_id)
                       .values(dict(zip(sealer.out_columns[1:], row[1:], strict=True))))
