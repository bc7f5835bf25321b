"""Point read cost: a person by A-number through the store vs. the raw DB-API driver.

Target (issue 2): the store's read (SQL built by SQLAlchemy, compiled once per dialect,
row turned into a domain record) costs at most 2x the raw driver doing the same
SELECT on the same database and returning the row tuple.

    python bench/bench_point_read.py [--people 20000] [--reads 20000]
"""

from __future__ import annotations

import argparse
import csv
import random
import sqlite3
import sys
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import Engine

from _common import fresh_postgres, fresh_sqlite, median, percentile, synthetic_court, verdict
from casevault.domain import Person
from casevault.store import reads
from casevault.store.interchange import import_folder
from casevault.store.rows import builder_for
from casevault.store.sealed import a_number_index, blind_key

TARGET_RATIO = 2.0


def _interleaved(store: Callable[[str], object], raw: Callable[[str], object],
                 keys: list[str]) -> tuple[list[float], list[float]]:
    """Time both paths key by key, alternating, so machine noise hits both alike."""
    store_samples, raw_samples = [], []
    clock = time.perf_counter
    for key in keys:
        started = clock()
        store(key)
        middle = clock()
        raw(key)
        store_samples.append(middle - started)
        raw_samples.append(clock() - middle)
    return store_samples, raw_samples


def _raw_lookup(engine: Engine, blind: Callable[[str], str]) -> Callable[[str], object]:
    """The raw driver's SELECT of the same row by its A-number's blind index (issue 10).

    It returns the stored (sealed) tuple; the store's read also opens the sealed fields,
    whose cost ``bench_encryption.py`` measures on its own.
    """
    columns = ", ".join(builder_for(Person).fields)
    if engine.dialect.name == "sqlite":
        raw = sqlite3.connect(engine.url.database or "", check_same_thread=False)
        sql = f"SELECT {columns} FROM persons WHERE a_number_bidx = ?"
        return lambda a: raw.execute(sql, (blind(a),)).fetchone()
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url, autocommit=True)
    sql_pg = f"SELECT {columns} FROM persons WHERE a_number_bidx = %s"

    def lookup(a: str) -> object:
        with connection.cursor() as cursor:
            cursor.execute(sql_pg, (blind(a),))
            return cursor.fetchone()

    return lookup


def measure(engine: Engine, folder_people: int, reads_count: int) -> float:
    folder = synthetic_court(folder_people)
    with engine.connect() as connection:
        import_folder(connection, folder)
        key = blind_key(connection, create=False)
        assert key is not None
    numbers = [row["a_number"] for row in csv.DictReader(
        (folder / "persons.csv").open(encoding="utf-8", newline=""))]
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # fold the import's write-ahead log into the file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    rng = random.Random(7)
    keys = [rng.choice(numbers) for _ in range(reads_count)]
    raw = _raw_lookup(engine, lambda a: a_number_index(key, a))
    with engine.connect() as connection:
        def store_lookup(a: str) -> object:
            return reads.person_by_a_number(connection, a)

        _interleaved(store_lookup, raw, keys[:1000])  # warm statement caches on both paths
        store_samples, raw_samples = _interleaved(store_lookup, raw, keys)
    ratio = median(store_samples) / median(raw_samples)
    name = engine.dialect.name
    print(f"{name:<11} store  p50 {median(store_samples) * 1e6:7.1f} us  "
          f"p99 {percentile(store_samples, 0.99) * 1e6:7.1f} us")
    print(f"{'':<11} raw    p50 {median(raw_samples) * 1e6:7.1f} us  "
          f"p99 {percentile(raw_samples, 0.99) * 1e6:7.1f} us")
    print(f"{'':<11} ratio store/raw (p50) {ratio:.2f}x (target <= {TARGET_RATIO}x: "
          f"{verdict(ratio <= TARGET_RATIO)})")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=20_000)
    args = parser.parse_args()
    print(f"point-read benchmark: person by A-number, {args.reads:,} reads over "
          f"{args.people:,} people")
    with fresh_sqlite("point_read") as engine:
        measure(engine, args.people, args.reads)
    with fresh_postgres("point_read") as engine:
        measure(engine, args.people, args.reads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
