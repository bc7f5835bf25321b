"""Independent helpers for storage tests: they read files and tables without casevault code."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

from sqlalchemy import Connection, func, select

from casevault.store.tables import LOAD_ORDER


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def copy_folder(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def set_cell(folder: Path, file: str, index: int, column: str, value: str) -> int:
    """Change one cell of data row ``index`` (0-based); returns the line number it is on."""
    path = folder / f"{file}.csv"
    header = header_of(path)
    rows = csv_rows(path)
    rows[index][column] = value
    write_csv(path, rows, header)
    return index + 2


def table_counts(connection: Connection) -> dict[str, int]:
    return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in LOAD_ORDER}


def snapshot(connection: Connection) -> str:
    """A digest of every row of every table, in a stable order."""
    digest = hashlib.sha256()
    for table in LOAD_ORDER:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in connection.execute(select(table).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()
