"""Shared helpers for benchmarks: a cached synthetic court, fresh databases, timing."""

from __future__ import annotations

import shutil
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from casevault.store import make_engine, upgrade_schema
from casevault.synth import write_court

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def synthetic_court(people: int, seed: int = 1) -> Path:
    """The synthetic court for (people, seed); written once, then reused (it is deterministic)."""
    folder = CACHE / f"court-{people}-seed{seed}"
    if not (folder / "manifest.json").exists():
        if folder.exists():
            shutil.rmtree(folder)
        started = time.perf_counter()
        write_court(folder, people=people, seed=seed)
        print(f"  (wrote synthetic court of {people:,} people in "
              f"{time.perf_counter() - started:.1f} s: {folder.relative_to(ROOT)})")
    return folder


@contextmanager
def fresh_sqlite(name: str) -> Iterator[Engine]:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres(name: str) -> Iterator[Engine]:
    database = f"casevault_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{database}")
    upgrade_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"
