"""Import throughput: validated interchange import vs. the raw driver loading the same files.

Targets (issue 2): >= 50,000 rows/s on SQLite and >= 100,000 rows/s on PostgreSQL for
100,000 synthetic people with their cases, hearings and applications, validation
included. The peer in the same run is the fastest thing each driver can do with the
same CSV files and no checks at all: sqlite3 executemany of plain INSERTs, and
PostgreSQL COPY ... FROM STDIN (CSV) of the files as they are.

    python bench/bench_import.py [--people 100000]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from sqlalchemy import Engine

from _common import fresh_postgres, fresh_sqlite, synthetic_court, timed, verdict
from casevault.store.interchange import import_folder
from casevault.store.interchange.spec import FILES

TARGETS = {"sqlite": 50_000, "postgresql": 100_000}


def casevault_import(engine: Engine, folder: Path) -> int:
    with engine.connect() as connection:
        return import_folder(connection, folder).total_rows


def raw_sqlite_load(engine: Engine, folder: Path) -> None:
    """No validation, no upsert, no derived names: the driver's floor for the same rows."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("BEGIN")
        for spec in FILES:
            path = folder / f"{spec.name}.csv"
            if not path.exists():
                continue
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                header = [h if h != "content_path" else "content_sha256" for h in next(reader)]
                sql = (f"INSERT INTO {spec.table.name} ({', '.join(header)}) "
                       f"VALUES ({', '.join('?' for _ in header)})")
                cursor.executemany(sql, ([v or None for v in row] for row in reader))
        raw.commit()
    finally:
        raw.close()


def raw_postgres_load(engine: Engine, folder: Path) -> None:
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute("SET session_replication_role = replica")  # no FK checks
            for spec in FILES:
                path = folder / f"{spec.name}.csv"
                if not path.exists():
                    continue
                with path.open(encoding="utf-8") as handle:
                    header = handle.readline().strip().split(",")
                    header = [h if h != "content_path" else "content_sha256" for h in header]
                    with cursor.copy(f"COPY {spec.table.name} ({', '.join(header)}) "
                                     "FROM STDIN WITH (FORMAT csv)") as copy:
                        while block := handle.read(1 << 20):
                            copy.write(block)
        raw.commit()
    finally:
        raw.close()


def measure(dialect: str, folder: Path) -> tuple[float, float]:
    fresh = fresh_sqlite if dialect == "sqlite" else fresh_postgres
    with fresh(f"import_{dialect}") as engine:
        rows = 0

        def run() -> None:
            nonlocal rows
            rows = casevault_import(engine, folder)

        ours = timed(run)
    raw_load = raw_sqlite_load if dialect == "sqlite" else raw_postgres_load
    with fresh(f"raw_{dialect}") as engine:
        peer = timed(lambda: raw_load(engine, folder))
    rate = rows / ours
    print(f"{dialect:<11} casevault import: {rows:,} rows in {ours:6.2f} s = {rate:>9,.0f} rows/s "
          f"(target {TARGETS[dialect]:,}: {verdict(rate >= TARGETS[dialect])})")
    print(f"{'':<11} raw driver load : {rows:,} rows in {peer:6.2f} s = {rows / peer:>9,.0f} rows/s"
          f"  -> casevault costs {ours / peer:.2f}x the unchecked raw load")
    return rate, ours / peer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--dialect", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    folder = synthetic_court(args.people)
    print(f"import benchmark: synthetic court of {args.people:,} people ({folder.name})")
    for dialect in (["sqlite", "postgresql"] if args.dialect == "both" else [args.dialect]):
        measure(dialect, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
