"""Reading interchange table files (CSV or Parquet) into rows of text.

A reader checks the header against the file's declaration, then yields each data
row as ``(line, cells)``: ``cells`` follows the declared column order and holds
the text as written; an empty cell is ``""`` (CSV) or ``None`` (Parquet), and an
absent extension column is ``None``. The importer treats both as absent.
(Surrounding spaces are the importer's business: it strips them where a cell is
checked one by one, and its whole-column checks send any such cell there.)
Typed Parquet columns (dates, timestamps) are turned into their interchange
text so that both formats pass the same checks.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq

from casevault.errors import InterchangeError
from casevault.store.interchange.spec import FileSpec

Cells = Sequence[str | None]
_PARQUET_BATCH: Final = 20_000
_MAX_FIELD: Final = 1 << 20


@dataclass(frozen=True, slots=True)
class TableFile:
    spec: FileSpec
    path: Path

    @property
    def label(self) -> str:
        return self.path.name


def _column_positions(table_file: TableFile, header: list[str]) -> list[int | None]:
    spec = table_file.spec
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InterchangeError(table_file.label, f"column {name!r} appears twice in the header",
                                   line=1)
        seen.add(name)
    unknown = [name for name in header if name not in spec.column_names]
    if unknown:
        msg = (f"unknown column {unknown[0]!r}; the columns of {spec.name} are: "
               f"{', '.join(spec.column_names)}")
        raise InterchangeError(table_file.label, msg, line=1, column=unknown[0])
    missing = [name for name in spec.required_columns if name not in seen]
    if missing:
        raise InterchangeError(table_file.label, "required column is missing from the header",
                               line=1, column=missing[0])
    return [header.index(name) if name in seen else None for name in spec.column_names]


def read_rows(table_file: TableFile) -> Iterator[tuple[int, Cells]]:
    if table_file.path.suffix == ".parquet":
        return _read_parquet(table_file)
    return _read_csv(table_file)


def _read_csv(table_file: TableFile) -> Iterator[tuple[int, Cells]]:
    csv.field_size_limit(_MAX_FIELD)
    line = 1
    try:
        with table_file.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                raise InterchangeError(table_file.label, "the file is empty (no header row)")
            positions = _column_positions(table_file, [name.strip() for name in header])
            in_order = positions == list(range(len(positions)))
            width = len(header)
            for raw in reader:
                line = reader.line_num
                if len(raw) != width:
                    if not raw:
                        continue
                    msg = f"has {len(raw)} fields, the header has {width}"
                    raise InterchangeError(table_file.label, msg, line=line)
                if in_order:
                    yield line, raw
                else:
                    yield line, [raw[p] if p is not None else None for p in positions]
    except UnicodeDecodeError:
        raise InterchangeError(table_file.label, f"is not valid UTF-8 (after line {line})",
                               line=line + 1) from None
    except csv.Error as exc:
        raise InterchangeError(table_file.label, f"is not well-formed CSV ({exc})",
                               line=line + 1) from None


def _parquet_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value) or None


def _read_parquet(table_file: TableFile) -> Iterator[tuple[int, Cells]]:
    try:
        parquet = pq.ParquetFile(table_file.path)
    except Exception as exc:  # noqa: BLE001 -- pyarrow raises several types for a bad file
        problem = f"is not a readable Parquet file ({type(exc).__name__})"
        raise InterchangeError(table_file.label, problem) from None
    positions = _column_positions(table_file, list(parquet.schema_arrow.names))
    present = [name for name, p in zip(table_file.spec.column_names, positions, strict=True)
               if p is not None]
    row_number = 0
    for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH, columns=present):
        columns = {name: batch.column(name).to_pylist() for name in present}
        ordered = [columns.get(name) for name in table_file.spec.column_names]
        for index in range(batch.num_rows):
            row_number += 1
            yield row_number, [_parquet_text(values[index]) if values is not None else None
                               for values in ordered]
