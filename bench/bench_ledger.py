"""Audit ledger: group-commit appends, inclusion proofs at 1,000,000 leaves, full verification.

Targets (issue 3), each printed beside a peer measured in the same run on the same database:

1. Appends under 8 concurrent writer threads, each calling ``Ledger.append`` for one
   event at a time (group commit batches them): >= 50,000 events/s on SQLite and
   >= 20,000 events/s on PostgreSQL. Peer: the same 8 threads inserting rows of the
   same columns and indexes into an unaudited scratch table, one INSERT + COMMIT each,
   through the raw driver connections of the same engine. Bound: each writer has one
   event in flight until its commit is durable, so no batch holds more than 8 events
   and 8 writers cannot pass 8 / (latency of one durable commit) events/s; that
   latency is measured too (one writer, one-row INSERT + COMMIT, as durable as the
   ledger's: synchronous=FULL on SQLite).
2. Producing an inclusion proof from the database at 1,000,000 leaves and verifying it
   against the root: <= 1 ms. Peer: a primary-key point read of one event row through
   the same engine (the same pooled connection).
3. ``verify_ledger`` over the whole log: >= 300,000 events/s. Peers: streaming the same
   rows with the raw driver (one stream), and SHA-256 over each row's leaf bytes.
   ``verify_ledger`` checks large logs in one worker process per core.

The log for 2 and 3 is the log written by 1, grown to the full size with ``append_many``.

    python bench/bench_ledger.py [--appends 200000] [--writers 8] [--leaves 1000000]
                                 [--proofs 2000] [--time-limit 60] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Column, Engine, Index, MetaData, Table

from _common import fresh_postgres, fresh_sqlite, median, percentile, timed, verdict
from casevault.audit import merkle
from casevault.audit.checkpoint import Signer
from casevault.audit.events import Action, EventDraft, Result
from casevault.audit.ledger import Ledger
from casevault.audit.verify import verify_ledger
from casevault.store import tables

APPEND_TARGETS = {"sqlite": 50_000, "postgresql": 20_000}
PROOF_TARGET_S = 1e-3
VERIFY_TARGET = 300_000
ISSUE_LEAVES = 1_000_000
ISSUE_APPENDS = 200_000
DEFAULT_LEAVES = 400_000  # the issue's 1,000,000 takes ~25-30 minutes here (see the note printed)
SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_SYNC = ("OFF", "NORMAL", "FULL", "EXTRA")
HASH_SAMPLE = 50_000
FETCH = 20_000

PURPOSES = ("adjudication", "case_review", "hearing_prep", "quality_review")
CATEGORIES = (("identity", "case"), ("identity", "case", "hearing"), ("identity", "address"))
POLICIES = (("judge-own-calendar",), ("clerk-same-court", "purpose-required"),
            ("officer-assigned-case", "purpose-required"))

Worker = Callable[[Callable[[], bool]], int]
"""One writer thread's loop: given an ``expired()`` test, does its share and returns its count."""


# --- realistic events ---------------------------------------------------------------------

def make_drafts(count: int, persons: int, seed: int) -> list[EventDraft]:
    """Views of a person's case by staff, with purpose and justification (a few denied)."""
    rng = random.Random(seed)
    drafts = []
    for _ in range(count):
        person = rng.randrange(persons)
        user = rng.randrange(600)
        case = f"C{person:07d}-{rng.randrange(3)}"
        drafts.append(EventDraft(
            action=Action.VIEW, result=Result.PERMIT if rng.random() < 0.97 else Result.DENY,
            user_id=f"U{user:05d}", session_id=f"S{user:05d}-{rng.randrange(1 << 32):08x}",
            device_id=f"D{user % 250:04d}", ip=f"10.{user % 200}.{rng.randrange(256)}.17",
            person_id=f"P{person:07d}", case_id=case, categories=rng.choice(CATEGORIES),
            purpose=rng.choice(PURPOSES),
            justification=f"preparing the hearing on case {case}, calendar {rng.randrange(90)}",
            record_count=1, policy_ids=rng.choice(POLICIES)))
    return drafts


def plain_row(seq: int, draft: EventDraft, *, sqlite: bool) -> tuple[Any, ...]:
    """A row of the same width as a stored event, with no hashing behind it."""
    now = datetime.now(UTC)
    at: Any = now.strftime(SQLITE_INSTANT) if sqlite else now
    return (seq, str(uuid.uuid4()), at, draft.action.value, draft.result.value, draft.user_id,
            draft.session_id, draft.device_id, draft.ip, draft.person_id, draft.case_id,
            ";".join(draft.categories), draft.purpose, draft.justification, draft.record_count,
            ";".join(draft.policy_ids), draft.query_hmac, "{}", os.urandom(32), os.urandom(32))


def plain_table() -> Table:
    """An unaudited copy of ``ledger_events``: the same columns, keys and indexes."""
    return Table(
        "bench_plain_events", MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                 unique=bool(c.unique), index=bool(c.index), autoincrement=False)
          for c in tables.ledger_events.columns),
        Index("ix_bench_plain_events_person_id_seq", "person_id", "seq"),
    )


# --- 1. appends under concurrent writers ----------------------------------------------------

def run_threads(workers: Sequence[Worker],
                time_limit: float) -> tuple[int, float]:
    """Start every worker at once; each gets an ``expired()`` test and returns its count."""
    barrier = threading.Barrier(len(workers) + 1)
    counts = [0] * len(workers)
    errors: list[BaseException] = []
    deadline = [0.0]

    def expired() -> bool:
        return time.perf_counter() > deadline[0]

    def body(position: int) -> None:
        barrier.wait()
        try:
            counts[position] = workers[position](expired)
        except Exception as exc:  # noqa: BLE001 -- re-raised in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + time_limit
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), elapsed


def ledger_worker(ledger: Ledger, drafts: list[EventDraft]) -> Worker:
    def work(expired: Callable[[], bool]) -> int:
        done = 0
        for draft in drafts:
            if expired():
                break
            ledger.append(draft)
            done += 1
        return done

    return work


def plain_worker(engine: Engine, rows: list[tuple[Any, ...]]) -> Worker:
    columns = [c.name for c in tables.ledger_events.columns]
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    sql = (f"INSERT INTO bench_plain_events ({', '.join(columns)}) "
           f"VALUES ({', '.join(marker for _ in columns)})")

    def work(expired: Callable[[], bool]) -> int:
        raw = engine.raw_connection()  # the engine's own connection settings, no SQLAlchemy
        try:
            cursor = raw.cursor()
            done = 0
            for row in rows:
                if expired():
                    break
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(sql, row)
                if sqlite:
                    cursor.execute("COMMIT")
                else:
                    raw.commit()
                done += 1
            cursor.close()
            return done
        finally:
            raw.close()

    return work


def durable_commit_latency(engine: Engine, samples: int = 300) -> float:
    """p50 seconds of a one-row INSERT + COMMIT on one connection, as durable as the ledger."""
    sqlite = engine.dialect.name == "sqlite"
    connection = engine.connect()
    connection.detach()  # its synchronous setting must not reach the pool
    driver: Any = connection.connection.dbapi_connection
    try:
        if sqlite:
            driver.isolation_level = None
            driver.execute("PRAGMA synchronous=FULL")
        driver.execute("CREATE TABLE bench_commit_probe (id INTEGER PRIMARY KEY, note TEXT)")
        driver.commit()
        marker = "?" if sqlite else "%s"
        latencies = []
        for number in range(samples):
            started = time.perf_counter()
            if sqlite:
                driver.execute("BEGIN IMMEDIATE")
            driver.execute(f"INSERT INTO bench_commit_probe VALUES ({marker}, {marker})",
                           (number, f"probe {number}"))
            driver.commit()
            latencies.append(time.perf_counter() - started)
        return median(latencies)
    finally:
        connection.close()


def measure_appends(engine: Engine, ledger: Ledger, args: argparse.Namespace) -> None:
    name = engine.dialect.name
    sqlite = name == "sqlite"
    drafts = make_drafts(args.appends, args.persons, seed=11)
    shares = [drafts[i::args.writers] for i in range(args.writers)]
    appended, ledger_s = run_threads([ledger_worker(ledger, share) for share in shares],
                                     args.time_limit)
    plain = plain_table()
    plain.create(engine)
    rows = [[plain_row(seq, draft, sqlite=sqlite) for seq, draft in
             zip(range(i, appended, args.writers), share, strict=False)] for i, share in
            enumerate(shares)]
    inserted, plain_s = run_threads([plain_worker(engine, share) for share in rows],
                                    args.time_limit)
    ledger_rate, plain_rate = appended / ledger_s, inserted / plain_s
    commit_s = durable_commit_latency(engine)
    bound = args.writers / commit_s
    target = APPEND_TARGETS[name]
    with engine.connect() as connection:
        sync = ("FULL (ledger writer)" if sqlite else
                str(connection.exec_driver_sql("SHOW synchronous_commit").scalar()))
        peer_sync = (SQLITE_SYNC[int(connection.exec_driver_sql("PRAGMA synchronous").scalar_one())]
                     if sqlite else sync)
    print(f"{name:<11} appends, {args.writers} writer threads, 1 event per append() call "
          f"({args.persons:,} persons)")
    print(f"{'':<11}   ledger (group commit)    {appended:>9,} events in {ledger_s:6.2f} s = "
          f"{ledger_rate:>9,.0f} events/s  (sync {sync})")
    print(f"{'':<11}   plain INSERT + COMMIT    {inserted:>9,} rows   in {plain_s:6.2f} s = "
          f"{plain_rate:>9,.0f} rows/s    (sync {peer_sync}; engine default)")
    print(f"{'':<11}   durable commit p50 {commit_s * 1e6:7.0f} us (1 writer, sync "
          f"{'FULL' if sqlite else sync}): {args.writers} writers with one event each in flight "
          f"reach at most {bound:,.0f} events/s")
    print(f"{'':<11}   ratio ledger/plain {ledger_rate / plain_rate:.2f}x, ledger/bound "
          f"{ledger_rate / bound:.2f}x; target >= {target:,} events/s: "
          f"{verdict(ledger_rate >= target)}"
          + ("" if bound >= target else f" (unreachable here: the bound is {bound:,.0f})"))
    if appended < len(drafts) or inserted < appended:
        print(f"{'':<11}   (stopped at the {args.time_limit:.0f} s time limit)")


def grow(ledger: Ledger, leaves: int, args: argparse.Namespace) -> None:
    """Top the log up to ``leaves`` events with ``append_many`` from one thread."""
    start = ledger.size()
    if start >= leaves:
        return
    seed = itertools.count(1000)
    elapsed = 0.0
    for offset in range(start, leaves, args.batch):
        drafts = make_drafts(min(args.batch, leaves - offset), args.persons, seed=next(seed))
        elapsed += timed(partial(ledger.append_many, drafts))
    print(f"{'':<11} grew the log from {start:,} to {leaves:,} events with append_many "
          f"({args.batch:,} per call, one thread) in {elapsed:.1f} s = "
          f"{(leaves - start) / elapsed:,.0f} events/s")


# --- 2. inclusion proofs --------------------------------------------------------------------

def leaf_hashes(engine: Engine, indexes: list[int]) -> dict[int, bytes]:
    events = tables.ledger_events
    found: dict[int, bytes] = {}
    with engine.connect() as connection:
        for chunk in _chunks(sorted(set(indexes)), 500):
            rows = connection.execute(events.select().with_only_columns(
                events.c.seq, events.c.leaf_hash).where(events.c.seq.in_(chunk)))
            found.update((int(seq), bytes(digest)) for seq, digest in rows)
    return found


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def measure_proofs(engine: Engine, ledger: Ledger, size: int, proofs: int,
                   time_limit: float) -> None:
    name = engine.dialect.name
    rng = random.Random(5)
    indexes = [rng.randrange(size) for _ in range(proofs)]
    warm = [rng.randrange(size) for _ in range(min(50, proofs))]
    hashes = leaf_hashes(engine, indexes + warm)  # a verifier has the event, so its leaf hash
    root_s = timed(lambda: ledger.root(size))
    root = ledger.root(size)
    columns = ", ".join(c.name for c in tables.ledger_events.columns)
    marker = "?" if name == "sqlite" else "%s"
    sql = f"SELECT {columns} FROM ledger_events WHERE seq = {marker}"

    def point_read(index: int) -> object:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql, (index,)).fetchone()

    clock = time.perf_counter
    produce, check, both, peer = [], [], [], []
    deadline = clock() + time_limit
    for sample, index in enumerate(warm + indexes):
        started = clock()
        if sample == len(warm):
            deadline = started + time_limit
        elif started > deadline:
            break
        proof = ledger.inclusion_proof(index, size)
        proved = clock()
        merkle.verify_inclusion(hashes[index], index, size, proof, root)
        verified = clock()
        point_read(index)
        read = clock()
        if sample >= len(warm):
            produce.append(proved - started)
            check.append(verified - proved)
            both.append(verified - started)
            peer.append(read - verified)
    ratio = median(both) / median(peer)
    stopped = "" if len(both) == proofs else f", stopped at the {time_limit:.0f} s time limit"
    print(f"{name:<11} inclusion proof at {size:,} leaves, {len(both):,} random leaves "
          f"({len(warm)} more to warm up{stopped}; root({size:,}) once: {root_s * 1e3:.2f} ms)")
    print(f"{'':<11}   produce + verify  p50 {median(both) * 1e6:7.1f} us  "
          f"p99 {percentile(both, 0.99) * 1e6:7.1f} us  "
          f"(produce p50 {median(produce) * 1e6:.1f} us, verify p50 "
          f"{median(check) * 1e6:.1f} us)")
    print(f"{'':<11}   point read (PK)   p50 {median(peer) * 1e6:7.1f} us  "
          f"p99 {percentile(peer, 0.99) * 1e6:7.1f} us")
    print(f"{'':<11}   ratio proof/point read (p50) {ratio:.2f}x; target <= 1 ms: "
          f"p50 {verdict(median(both) <= PROOF_TARGET_S)}, "
          f"p99 {verdict(percentile(both, 0.99) <= PROOF_TARGET_S)}")


# --- 3. full verification -------------------------------------------------------------------

def raw_read_all(engine: Engine) -> int:
    """Stream every ledger_events column of every row, in log order, with the bare driver."""
    columns = ", ".join(c.name for c in tables.ledger_events.columns)
    sql = f"SELECT {columns} FROM ledger_events ORDER BY seq"
    count = 0
    if engine.dialect.name == "sqlite":
        raw = sqlite3.connect(engine.url.database or "")
        try:
            cursor = raw.execute(sql)
            while rows := cursor.fetchmany(FETCH):
                count += len(rows)
        finally:
            raw.close()
        return count
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as connection, connection.cursor(name="bench_read") as server:
        server.itersize = FETCH
        server.execute(sql)  # a server-side cursor: rows arrive as they are read
        while batch := server.fetchmany(FETCH):
            count += len(batch)
    return count


def hash_rate(ledger: Ledger, size: int) -> tuple[float, int]:
    """Seconds to SHA-256 ``size`` leaves (real leaf bytes, the first ones reused in turn)."""
    leaves = [event.leaf() for event in ledger.events(until_size=min(size, HASH_SAMPLE))]
    prefix, sha256 = b"\x00", hashlib.sha256
    rounds, rest = divmod(size, len(leaves))
    started = time.perf_counter()
    for _ in range(rounds):
        for leaf in leaves:
            sha256(prefix + leaf).digest()
    for leaf in leaves[:rest]:
        sha256(prefix + leaf).digest()
    return time.perf_counter() - started, sum(map(len, leaves)) // len(leaves)


def measure_verify(engine: Engine, ledger: Ledger, signer: Signer, size: int) -> None:
    name = engine.dialect.name
    started = time.perf_counter()
    result = verify_ledger(engine, signer.verifier())
    verify_s = time.perf_counter() - started
    assert result.size == size, (result.size, size)
    read_s = timed(lambda: raw_read_all(engine))
    hash_s, leaf_bytes = hash_rate(ledger, size)
    print(f"{name:<11} verify_ledger over {size:,} events ({result.checkpoints} checkpoints, "
          f"{result.persons:,} persons; {len(os.sched_getaffinity(0))} cores)")
    print(f"{'':<11}   verify_ledger     {verify_s:6.2f} s = {size / verify_s:>10,.0f} events/s")
    print(f"{'':<11}   raw read (stream) {read_s:6.2f} s = {size / read_s:>10,.0f} rows/s")
    print(f"{'':<11}   sha256 of leaves  {hash_s:6.2f} s = {size / hash_s:>10,.0f} leaves/s "
          f"(mean leaf {leaf_bytes} bytes)")
    print(f"{'':<11}   ratio verify/read {verify_s / read_s:.2f}x, verify/hash "
          f"{verify_s / hash_s:.2f}x; target >= {VERIFY_TARGET:,} events/s: "
          f"{verdict(size / verify_s >= VERIFY_TARGET)}")


# --- driver ---------------------------------------------------------------------------------

def settle(engine: Engine) -> None:
    """What a database at rest has: the WAL folded in (SQLite), planner statistics (PostgreSQL)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql("ANALYZE ledger_events")
            connection.exec_driver_sql("ANALYZE ledger_nodes")
            connection.commit()
    engine.dispose()  # one pooled connection from here on: proofs and peers share it


def run(database: AbstractContextManager[Engine], args: argparse.Namespace) -> None:
    signer = Signer.generate("casevault-bench")
    with database as engine:
        ledger = Ledger(engine, signer=signer)
        try:
            if args.appends:
                measure_appends(engine, ledger, args)
                ledger.issue_checkpoint()
            grow(ledger, args.leaves, args)
            ledger.issue_checkpoint()
        finally:
            ledger.close()
        size = ledger.size()
        settle(engine)
        measure_proofs(engine, ledger, size, args.proofs, args.time_limit)
        measure_verify(engine, ledger, signer, size)
        engine.dispose()
        sqlite_path = engine.url.database if engine.dialect.name == "sqlite" else None
    if sqlite_path:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--appends", type=int, default=ISSUE_APPENDS,
                        help="single-event appends shared by the writer threads (0: skip)")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--persons", type=int, default=5_000,
                        help="distinct persons the events touch (their chains)")
    parser.add_argument("--leaves", type=int, default=DEFAULT_LEAVES,
                        help="log size for the proof and verification figures")
    parser.add_argument("--batch", type=int, default=5_000, help="events per append_many call")
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--time-limit", type=float, default=30.0,
                        help="seconds each writer phase and the proof phase may run")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"ledger benchmark: {args.appends:,} appends by {args.writers} threads, "
          f"proofs and verification at {args.leaves:,} leaves")
    if args.leaves < ISSUE_LEAVES:
        print(f"  (scaled: the issue asks for {ISSUE_LEAVES:,} leaves, which takes ~25-30 minutes "
              f"here; this run builds {args.leaves:,}, and each writer phase and the proof phase "
              f"stop after {args.time_limit:.0f} s. Full size: python bench/bench_ledger.py "
              f"--leaves {ISSUE_LEAVES} --time-limit 600)")
    for database in args.databases.split(","):
        if database == "sqlite":
            run(fresh_sqlite("ledger"), args)
        elif database == "postgresql":
            run(fresh_postgres("ledger"), args)
        else:
            parser.error(f"unknown database {database!r}: use sqlite and/or postgresql")
    return 0


if __name__ == "__main__":
    sys.exit(main())
