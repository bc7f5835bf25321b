"""Exporting the database as an interchange folder that re-imports to the same content.

Rows are streamed table by table in primary-key order, so the same database
always exports to the same files, and a folder of any size is written in
bounded memory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, select

from casevault.store.interchange.spec import FILES, FILES_BY_NAME
from casevault.store.interchange.writer import Format, InterchangeWriter
from casevault.store.rows import RecordBuilder, builder_for

_STREAM_BATCH: Final = 5_000

ExportProgress = Callable[[str, int], None]


def export_folder(connection: Connection, folder: Path, *, fmt: Format = "csv",
                  progress: ExportProgress | None = None) -> dict[str, int]:
    """Write every table to ``folder``; returns the row count of each file written."""
    with InterchangeWriter(folder, fmt) as writer:
        for spec in FILES:
            builder: RecordBuilder[Any] = builder_for(spec.record_type)
            table = spec.table
            statement = select(*[table.c[name] for name in builder.fields]).order_by(
                *table.primary_key.columns)
            result = connection.execute(statement.execution_options(
                stream_results=True, yield_per=_STREAM_BATCH))
            rows = 0
            for partition in result.partitions():
                for row in partition:
                    writer.write(builder.build(row))
                rows += len(partition)
                if progress is not None:
                    progress(spec.name, rows)
        return {name: count for name, count in writer.counts().items()
                if count or not FILES_BY_NAME[name].extension}
