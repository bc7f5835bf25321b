"""Batched writing of derived rows through the bulk loaders, in reference order.

Rows that refer to each other (a case to its person and court) are written by a
chain of sinks that always flushes in the chain's order. That order is enough on
both databases: SQLite's loader inserts on ``add``, PostgreSQL's on ``finish``,
and the chain calls both in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from sqlalchemy import Connection, Table

from casevault.store.bulk import open_loader

BATCH_ROWS: Final = 10_000

Row = tuple[str | None, ...]


class Sink:
    """Buffers rows for one table and hands them to its loader a batch at a time.

    ``before_write`` sees each batch before it is loaded (to clear rows it replaces).
    """

    def __init__(self, connection: Connection, table: Table, columns: Sequence[str],
                 before_write: Callable[[list[Row]], None] | None = None) -> None:
        self.table = table
        self.written = 0
        self._loader = open_loader(connection, table, columns)
        self._buffer: list[Row] = []
        self._before_write = before_write

    def add(self, row: Row) -> None:
        self._buffer.append(row)

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def flush(self) -> None:
        if not self._buffer:
            return
        if self._before_write is not None:
            self._before_write(self._buffer)
        self._loader.add(self._buffer)
        self.written += len(self._buffer)
        self._buffer = []

    def finish(self) -> None:
        self.flush()
        self._loader.finish()


class SinkChain:
    """Sinks in reference order; ``add`` takes one row (or None) per sink."""

    def __init__(self, *sinks: Sink) -> None:
        self.sinks = sinks

    def add(self, rows: Sequence[Row | None]) -> None:
        for sink, row in zip(self.sinks, rows, strict=True):
            if row is not None:
                sink.add(row)
        if any(sink.pending >= BATCH_ROWS for sink in self.sinks):
            self.flush()

    def flush(self) -> None:
        for sink in self.sinks:
            sink.flush()

    def finish(self) -> None:
        self.flush()
        for sink in self.sinks:
            sink.finish()
