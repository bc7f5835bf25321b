"""Bulk loading: the fast, transactional write path for imports.

Rows arrive already validated, as tuples of canonical text (dates ``YYYY-MM-DD``,
instants ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC) in the order of the loader's
columns. Loading is an upsert keyed on the table's primary key, so loading the
same rows twice updates instead of duplicating.

SQLite: batched ``executemany`` of ``INSERT ... ON CONFLICT DO UPDATE``.
PostgreSQL: ``COPY`` into a temporary staging table, then one
``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` per table. Both run inside the
caller's transaction; nothing here commits.

Rows of tables with personal fields are sealed on the way in (``casevault.store.sealed``):
every writer that loads through here encrypts, whichever importer it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, Literal, Protocol

from sqlalchemy import Connection, DateTime, ForeignKeyConstraint, Table, UniqueConstraint, select
from sqlalchemy.schema import AddConstraint, DropConstraint

from casevault.store.sealed import RowSealer

Conflict = Literal["update", "ignore"]
_DELETE_BATCH: Final = 5_000


class TableLoader(Protocol):
    """Receives batches of rows for one table; ``finish`` makes them visible."""

    def add(self, rows: Sequence[Sequence[Any]]) -> None: ...

    def finish(self) -> None: ...


def open_loader(
    connection: Connection,
    table: Table,
    columns: Sequence[str] | None = None,
    *,
    on_conflict: Conflict = "update",
    fresh: bool = False,
) -> TableLoader:
    """A loader for ``table`` inside the connection's current transaction.

    ``fresh`` promises that the table was empty and the rows carry no duplicate keys
    (the importer has checked both): rows then go straight in, without the upsert.
    """
    names = tuple(columns) if columns is not None else tuple(c.name for c in table.columns)
    unknown = set(names) - set(table.columns.keys())
    if unknown:
        msg = f"table {table.name} has no columns {sorted(unknown)}"
        raise ValueError(msg)
    sealer = RowSealer(connection, table, names) if RowSealer.applies_to(table) else None
    if sealer is not None:
        names = sealer.out_columns
    loader: TableLoader
    if connection.dialect.name == "postgresql":
        loader = _PostgresLoader(connection, table, names, on_conflict, fresh=fresh)
    else:
        loader = _SqliteLoader(connection, table, names, on_conflict, fresh=fresh)
    return loader if sealer is None else _SealingLoader(sealer, loader)


class _SealingLoader:
    """Encrypts each batch's personal fields (and computes blind indexes) before loading it."""

    def __init__(self, sealer: RowSealer, loader: TableLoader) -> None:
        self._sealer = sealer
        self._loader = loader

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._loader.add(self._sealer.seal(rows))

    def finish(self) -> None:
        self._loader.finish()


def is_empty(connection: Connection, table: Table) -> bool:
    return connection.execute(select(1).select_from(table).limit(1)).first() is None


@contextmanager
def rebuilt_afterwards(connection: Connection, table: Table) -> Iterator[None]:
    """Load an empty table the way a restore does: indexes and checks rebuilt once at the end.

    Maintaining secondary indexes row by row, and on PostgreSQL firing a foreign-key
    trigger per row, costs far more than building each index once and validating
    each foreign key with one join. Everything happens inside the caller's
    transaction, so a failed load rolls the DDL back too; the schema afterwards is
    exactly the declared one. (SQLite's foreign keys live in CREATE TABLE and stay.)
    """
    postgres = connection.dialect.name == "postgresql"
    indexes = list(table.indexes)
    constraints = [c for c in table.constraints
                   if postgres and isinstance(c, ForeignKeyConstraint | UniqueConstraint)]
    for constraint in constraints:
        connection.execute(DropConstraint(constraint))
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)
    for constraint in constraints:
        connection.execute(AddConstraint(constraint))


def _conflict_clause(table: Table, columns: Sequence[str], on_conflict: Conflict,
                     excluded: str) -> str:
    keys = [c.name for c in table.primary_key.columns]
    if not keys:
        return ""
    updates = [c for c in columns if c not in keys]
    if on_conflict == "ignore" or not updates:
        return f" ON CONFLICT ({', '.join(keys)}) DO NOTHING"
    assignments = ", ".join(f"{c} = {excluded}.{c}" for c in updates)
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments}"


class _SqliteLoader:
    def __init__(self, connection: Connection, table: Table, columns: Sequence[str],
                 on_conflict: Conflict, *, fresh: bool) -> None:
        self._connection = connection
        placeholders = ", ".join("?" for _ in columns)
        self._sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
        if not fresh:
            self._sql += _conflict_clause(table, columns, on_conflict, "excluded")

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            batch = rows if isinstance(rows, list) and isinstance(rows[0], tuple) else [
                tuple(row) for row in rows]
            self._connection.exec_driver_sql(self._sql, batch)

    def finish(self) -> None:
        """Rows are written as they are added."""


class _PostgresLoader:
    def __init__(self, connection: Connection, table: Table, columns: Sequence[str],
                 on_conflict: Conflict, *, fresh: bool) -> None:
        self._connection = connection
        self._table = table
        self._columns = columns
        self._on_conflict = on_conflict
        self._fresh = fresh
        self._stage = table.name if fresh else f"cv_stage_{table.name}"
        self._instant_positions = tuple(
            i for i, name in enumerate(columns) if isinstance(table.columns[name].type, DateTime)
        )
        self._staged = False

    def _ensure_stage(self) -> None:
        if not self._staged and not self._fresh:
            self._connection.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {self._stage} "
                f"(LIKE {self._table.name} INCLUDING DEFAULTS)"
            )
            self._staged = True

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        self._ensure_stage()
        raw = self._connection.connection.driver_connection
        assert raw is not None  # noqa: S101 -- an open Connection always has one
        columns = ", ".join(self._columns)
        with raw.cursor() as cursor, cursor.copy(
            f"COPY {self._stage} ({columns}) FROM STDIN"
        ) as copy:
            if self._instant_positions:
                for row in rows:
                    copy.write_row(self._with_utc(row))
            else:
                for row in rows:
                    copy.write_row(row)

    def _with_utc(self, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for position in self._instant_positions:
            if values[position] is not None:
                values[position] = f"{values[position]}+00"
        return values

    def finish(self) -> None:
        if not self._staged or self._fresh:
            return
        columns = ", ".join(self._columns)
        self._connection.exec_driver_sql(
            f"INSERT INTO {self._table.name} ({columns}) SELECT {columns} FROM {self._stage}"
            + _conflict_clause(self._table, self._columns, self._on_conflict, "EXCLUDED")
        )
        self._connection.exec_driver_sql(f"DROP TABLE {self._stage}")
        self._staged = False


def delete_matching(connection: Connection, table: Table, column: str,
                    values: Sequence[str]) -> None:
    """Delete the rows whose ``column`` is one of ``values`` (derived rows to be rebuilt)."""
    for start in range(0, len(values), _DELETE_BATCH):
        batch = list(values[start:start + _DELETE_BATCH])
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                f"DELETE FROM {table.name} WHERE {column} = ANY(%(values)s)", {"values": batch}
            )
        else:
            placeholders = ", ".join("?" for _ in batch)
            connection.exec_driver_sql(
                f"DELETE FROM {table.name} WHERE {column} IN ({placeholders})", tuple(batch)
            )
