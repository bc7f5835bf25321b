"""Cost of field encryption (issue 10): a person read and an import, encrypted vs. clear.

Targets: a person read through the store costs at most 1.3x the same read of clear
columns; an import at most 1.5x the same import without sealing. Both paths are
measured in the same run on the same machine:

* read: ``reads.person`` (joins the wrapped data key, opens 11 sealed fields) vs. the
  pre-encryption read path (the same prepared Core statement and record builder) on a
  table holding the same persons in clear columns, ids interleaved so noise hits both;
* guarded read: ``Guard.person`` (what a user's person read is: decision, durable ledger
  append, read, redaction) with the store's sealed read vs. the clear read above;
* import: ``import_folder`` of the same synthetic court into fresh databases, with the
  bulk loaders sealing rows (the product) and with sealing switched off for the
  baseline (benchmark only: nothing in casevault can switch it off).

    python bench/bench_encryption.py [--people 10000] [--reads 20000]
"""

from __future__ import annotations

import argparse
import csv
import random
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
)

from _common import fresh_postgres, fresh_sqlite, median, percentile, synthetic_court, verdict
from bench_guard import _judge_and_persons, _signed_in_judge
from casevault.access import PolicyEngine
from casevault.access.guard import Guard
from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger
from casevault.domain import Person, Purpose
from casevault.store import bulk, reads
from casevault.store.interchange import import_folder
from casevault.store.keys import CACHE_SIZE
from casevault.store.reads import PreparedQuery
from casevault.store.rows import builder_for

READ_TARGET = 1.3
IMPORT_TARGET = 1.5

_clear_metadata = MetaData()
CLEAR_PERSONS = Table(
    "bench_clear_persons", _clear_metadata,
    Column("person_id", String(40), primary_key=True),
    Column("a_number", String(10)), Column("family_name", Text), Column("given_name", Text),
    Column("other_names", Text), Column("date_of_birth", Date), Column("sex", String(1)),
    Column("nationality", String(2)), Column("language", String(3)), Column("address", Text),
    Column("city", Text), Column("state", String(2)), Column("postal_code", String(10)),
    Column("phone", String(32)), Column("email", Text),
)
"""The persons table as it was before field encryption (the baseline's clear columns)."""


def _clear_rows(folder: Path) -> list[dict[str, Any]]:
    with (folder / "persons.csv").open(encoding="utf-8", newline="") as handle:
        rows = [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(handle)]
    for row in rows:
        if row["date_of_birth"]:
            row["date_of_birth"] = date.fromisoformat(row["date_of_birth"])
    return rows


def _clear_read(connection: Connection) -> Callable[[str], Person]:
    fields = builder_for(Person).fields
    query = PreparedQuery(select(*[CLEAR_PERSONS.c[name] for name in fields])
                          .where(CLEAR_PERSONS.c.person_id == bindparam("id")))
    build = builder_for(Person).build

    def read(person_id: str) -> Person:
        return build(query.rows(connection, {"id": person_id})[0])

    return read


def _interleaved(first: Callable[[str], object], second: Callable[[str], object],
                 keys: list[str]) -> tuple[list[float], list[float]]:
    a, b = [], []
    clock = time.perf_counter
    for key in keys:
        started = clock()
        first(key)
        middle = clock()
        second(key)
        a.append(middle - started)
        b.append(clock() - middle)
    return a, b


def measure_guarded(engine: Engine, reads_count: int) -> None:
    """The person read users make: decide, ledger (durable), read, redact; sealed vs clear."""
    ledger = Ledger(engine, signer=Signer.generate("casevault.bench/encryption"))
    judge, owner, persons = _judge_and_persons(engine)
    who = _signed_in_judge(engine, ledger, judge, owner)
    guard = Guard(engine, ledger, PolicyEngine.load(), terms_key=secrets.token_bytes(32))
    sealed_read = reads.person
    rng = random.Random(11)
    keys = [rng.choice(persons) for _ in range(reads_count)]
    sealed_samples: list[float] = []
    clear_samples: list[float] = []
    clock = time.perf_counter
    with engine.connect() as clear_connection:
        clear = _clear_read(clear_connection)
        for index, key in enumerate(keys):
            started = clock()
            guard.person(who, key, purpose=Purpose.ADJUDICATION)
            middle = clock()
            reads.person = lambda _connection, person_id: clear(person_id)  # type: ignore[assignment]
            try:
                guard.person(who, key, purpose=Purpose.ADJUDICATION)
            finally:
                reads.person = sealed_read
            if index >= 200:
                sealed_samples.append(middle - started)
                clear_samples.append(clock() - middle)
    ledger.close()
    ratio = median(sealed_samples) / median(clear_samples)
    name = engine.dialect.name
    print(f"{name:<11} guarded read (decide, durable ledger append, read, redact):")
    print(f"{'':<11}   encrypted p50 {median(sealed_samples) * 1e6:7.1f} us  "
          f"p99 {percentile(sealed_samples, 0.99) * 1e6:7.1f} us")
    print(f"{'':<11}   clear     p50 {median(clear_samples) * 1e6:7.1f} us  "
          f"p99 {percentile(clear_samples, 0.99) * 1e6:7.1f} us")
    print(f"{'':<11}   ratio {ratio:.2f}x (target <= {READ_TARGET}x: "
          f"{verdict(ratio <= READ_TARGET)})")


def measure_read(engine: Engine, folder: Path, reads_count: int) -> None:
    with engine.begin() as connection:
        import_folder(connection, folder)
        _clear_metadata.create_all(connection)
        connection.execute(insert(CLEAR_PERSONS), _clear_rows(folder))
    ids = [row["person_id"] for row in _clear_rows(folder)]
    rng = random.Random(7)
    name = engine.dialect.name
    with engine.connect() as connection:
        clear = _clear_read(connection)
        assert clear(ids[0]) == reads.person(connection, ids[0])

        def sealed(person_id: str) -> Person:
            return reads.person(connection, person_id)

        for label, population in (("all persons", ids), (f"{CACHE_SIZE:,} persons (keys "
                                                         "cached)", ids[:CACHE_SIZE])):
            keys = [rng.choice(population) for _ in range(reads_count)]
            _interleaved(sealed, clear, keys[:1000])
            sealed_samples, clear_samples = _interleaved(sealed, clear, keys)
            ratio = median(sealed_samples) / median(clear_samples)
            print(f"{name:<11} read, {label}:")
            print(f"{'':<11}   encrypted p50 {median(sealed_samples) * 1e6:7.1f} us  "
                  f"p99 {percentile(sealed_samples, 0.99) * 1e6:7.1f} us")
            print(f"{'':<11}   clear     p50 {median(clear_samples) * 1e6:7.1f} us  "
                  f"p99 {percentile(clear_samples, 0.99) * 1e6:7.1f} us")
            print(f"{'':<11}   ratio {ratio:.2f}x (target <= {READ_TARGET}x: "
                  f"{verdict(ratio <= READ_TARGET)})")


@contextmanager
def _sealing_off() -> Iterator[None]:
    """The benchmark's baseline only: bulk loaders write rows as given (clear)."""
    original = bulk.RowSealer.applies_to
    bulk.RowSealer.applies_to = staticmethod(lambda table: False)  # type: ignore[method-assign]
    try:
        yield
    finally:
        bulk.RowSealer.applies_to = original  # type: ignore[method-assign]


def _import_seconds(fresh: Callable[[str], Any], folder: Path, *, sealed: bool) -> float:
    with fresh("encryption_import") as engine, engine.connect() as connection:
        started = time.perf_counter()
        if sealed:
            import_folder(connection, folder)
        else:
            with _sealing_off():
                import_folder(connection, folder)
        return time.perf_counter() - started


def measure_import(fresh: Callable[[str], Any], name: str, folder: Path, people: int) -> None:
    clear_runs, sealed_runs = [], []
    for _ in range(2):  # alternate, keep the best of each: the machine is shared
        clear_runs.append(_import_seconds(fresh, folder, sealed=False))
        sealed_runs.append(_import_seconds(fresh, folder, sealed=True))
    clear, sealed = min(clear_runs), min(sealed_runs)
    ratio = sealed / clear
    print(f"{name:<11} import of {people:,} people: encrypted {sealed:.2f} s, clear "
          f"{clear:.2f} s, ratio {ratio:.2f}x (target <= {IMPORT_TARGET}x: "
          f"{verdict(ratio <= IMPORT_TARGET)})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=20_000)
    args = parser.parse_args()
    folder = synthetic_court(args.people)
    print(f"field-encryption benchmark: {args.people:,} people, {args.reads:,} person reads")
    for fresh in (fresh_sqlite, fresh_postgres):
        with fresh("encryption_read") as engine:
            measure_read(engine, folder, args.reads)
            measure_guarded(engine, min(args.reads, 3_000))
    measure_import(fresh_sqlite, "sqlite", folder, args.people)
    measure_import(fresh_postgres, "postgresql", folder, args.people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
