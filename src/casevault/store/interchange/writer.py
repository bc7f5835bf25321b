"""Writing interchange folders from domain records (export and the synthetic generator).

The writer streams: records go out as they come, one open file per table, so a
folder of any size is written in bounded memory. Document contents go to
``documents/<document_id>`` beside the tables and are named in ``content_path``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Literal, Self

import pyarrow as pa
import pyarrow.parquet as pq

from casevault.domain.records import Document
from casevault.errors import InputError
from casevault.store.interchange.spec import (
    CONTENT_DIR,
    FILES,
    FILES_BY_RECORD,
    FORMAT_NAME,
    FORMAT_VERSION,
    LIST_SEPARATOR,
    MANIFEST_FILE,
    FileSpec,
    Kind,
)

Format = Literal["csv", "parquet"]
_PARQUET_BATCH: Final = 50_000


def format_instant(value: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, seconds precision (the interchange writing of instants)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(kind: Kind, value: Any) -> str:
    if value is None:
        return ""
    if kind is Kind.INSTANT:
        return format_instant(value)
    if kind is Kind.NAMES:
        return LIST_SEPARATOR.join(value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _arrow_type(kind: Kind) -> pa.DataType:
    if kind is Kind.DATE:
        return pa.date32()
    if kind is Kind.INSTANT:
        return pa.timestamp("s", tz="UTC")
    return pa.string()


def _arrow_value(kind: Kind, value: Any) -> Any:
    if value is None:
        return None
    if kind in (Kind.DATE, Kind.INSTANT):
        return value
    text = _text(kind, value)
    return text or None


class _TableOut:
    """One table's output file; counts rows and hashes the file when closed."""

    def __init__(self, folder: Path, spec: FileSpec, fmt: Format) -> None:
        self.spec = spec
        self.rows = 0
        self.path = folder / f"{spec.name}.{fmt}"
        self._fmt = fmt
        self._csv_file: IO[str] | None = None
        self._csv: Any = None
        self._parquet: pq.ParquetWriter | None = None
        self._pending: list[list[Any]] = [[] for _ in spec.columns]
        if fmt == "csv":
            self._csv_file = self.path.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._csv_file, lineterminator="\n")
            self._csv.writerow(spec.column_names)
        else:
            schema = pa.schema([(c.name, _arrow_type(c.kind)) for c in spec.columns])
            self._parquet = pq.ParquetWriter(self.path, schema)

    def write(self, values: list[Any]) -> None:
        self.rows += 1
        if self._csv is not None:
            self._csv.writerow([_text(c.kind, v) for c, v in zip(self.spec.columns, values,
                                                                     strict=True)])
            return
        for column_values, column, value in zip(self._pending, self.spec.columns, values,
                                                strict=True):
            column_values.append(_arrow_value(column.kind, value))
        if len(self._pending[0]) >= _PARQUET_BATCH:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        if self._parquet is None or not self._pending[0]:
            return
        arrays = [pa.array(values, type=_arrow_type(column.kind))
                  for values, column in zip(self._pending, self.spec.columns, strict=True)]
        self._parquet.write_table(pa.Table.from_arrays(arrays, schema=self._parquet.schema))
        self._pending = [[] for _ in self.spec.columns]

    def close(self) -> str:
        if self._csv_file is not None:
            self._csv_file.close()
        if self._parquet is not None:
            self._flush_parquet()
            self._parquet.close()
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


class InterchangeWriter:
    """Writes records of any domain type into an interchange folder.

    Use as a context manager; the manifest (format, version, row counts, file
    hashes) is written on a clean exit only, so a half-written folder is never
    mistaken for a complete one.
    """

    def __init__(self, folder: Path, fmt: Format = "csv") -> None:
        if fmt not in ("csv", "parquet"):
            msg = f"unknown interchange format {fmt!r}: use csv or parquet"
            raise InputError(msg)
        folder.mkdir(parents=True, exist_ok=True)
        if any(folder.iterdir()):
            msg = f"output folder {folder} is not empty: choose a new or empty folder"
            raise InputError(msg)
        self.folder = folder
        self._outs = {spec.record_type: _TableOut(folder, spec, fmt) for spec in FILES}
        self._content_dir = folder / CONTENT_DIR

    def write(self, record: object) -> None:
        spec = FILES_BY_RECORD[type(record)]
        values = [getattr(record, c.name, None) for c in spec.columns]
        if isinstance(record, Document) and record.content is not None:
            values[spec.column_names.index("content_path")] = self._write_content(record)
        self._outs[type(record)].write(values)

    def write_all(self, records: Iterable[object]) -> None:
        for record in records:
            self.write(record)

    def _write_content(self, document: Document) -> str:
        assert document.content is not None  # noqa: S101 -- checked by the only caller
        self._content_dir.mkdir(exist_ok=True)
        relative = f"{CONTENT_DIR}/{document.document_id}"
        (self.folder / relative).write_bytes(document.content)
        return relative

    def counts(self) -> dict[str, int]:
        return {out.spec.name: out.rows for out in self._outs.values()}

    def close(self, *, complete: bool = True) -> None:
        """Close every file; drop empty extension files, which would only say "none"."""
        hashes = {out.spec.name: out.close() for out in self._outs.values()}
        written = []
        for out in self._outs.values():
            if out.rows == 0 and out.spec.extension:
                out.path.unlink()
            else:
                written.append(out)
        if not complete:
            return
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "files": {
                out.spec.name: {"file": out.path.name, "rows": out.rows,
                                "sha256": hashes[out.spec.name]}
                for out in written
            },
        }
        (self.folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n",
                                                 encoding="utf-8")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(complete=exc_type is None)

