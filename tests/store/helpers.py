"""Independent helpers for storage tests: they read files and tables without casevault code."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

from sqlalchemy import Connection, func, select

from casevault.store.sealed import SEALED, Opener, sealed_select
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


BLIND_INDEXES = frozenset({"name_key", "a_number_bidx", "dob_bidx"})
"""Keyed hashes under the database's own blind-index key: equal content, other digests."""


def snapshot(connection: Connection) -> str:
    """A digest of every row of every table, in a stable order, sealed fields opened.

    Ciphertexts differ on every write (fresh nonces), so sealed tables are compared
    by their clear values (the one place these helpers use casevault code); blind
    indexes are left out, as they depend on the database's key.
    """
    digest = hashlib.sha256()
    for table in LOAD_ORDER:
        columns = [c for c in table.columns if c.name not in BLIND_INDEXES]
        order = list(table.primary_key.columns) or columns
        spec = SEALED.get(table.name)
        if spec is None:
            rows = connection.execute(select(*columns).order_by(*order))
            for row in rows:
                digest.update(repr(tuple(row)).encode())
            continue
        opener = Opener.of(table, columns)
        for row in connection.execute(sealed_select(spec, columns).order_by(*order)):
            digest.update(repr(tuple(opener.open(connection, row))).encode())
    return digest.hexdigest()
