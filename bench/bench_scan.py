"""Leak-scan throughput with exact data match over a large index (issue 6).

Targets: >= 50 MB/s on a 100 MB CSV with EDM over 1,000,000 indexed persons;
the 6,252-row incident replica scanned in <= 1 s. The peer measured in the same
run is Python's csv module reading the same file (no detection at all): the
ratio says how much of the cost is reading and how much judging.

The persons come from ``bench_edm``'s generated database (reused under
var/bench/); the index is built once with a fixed key and saved next to it. The
leak file is written from them: rows in the incident's layout (LAST, FIRST, DOB,
A#, NATIONALITY, DETENTION FACILITY, BOOKING DATE), half of them persons of the
index, half of them invented.

The large file is scanned twice, each time by a fresh process that loads the
saved index first (load time is not scan time): in one process, and with
``--workers`` processes (forked after the load, sharing the index). The two
reports must be identical; peak resident memory of each process is printed.

    python bench/bench_scan.py [--persons 1000000] [--mb 100] [--workers 2] [--row-reader]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import CACHE, verdict
from bench_edm import database
from casevault.shield.edm import EdmIndex
from casevault.shield.scan import FastCsv, Scanner
from casevault.store import make_engine

TARGET_MB_S = 50.0
TARGET_REPLICA_S = 1.0
KEY = bytes(range(32))
TODAY = date(2026, 11, 21)
HEADERS = ("LAST NAME", "FIRST NAME", "DOB", "A-NUMBER", "NATIONALITY", "DETENTION FACILITY",
           "BOOKING DATE")


def _persons(db: Path, limit: int) -> list[tuple[str, str, str, str]]:
    raw = sqlite3.connect(db)
    try:
        return [tuple(row) for row in raw.execute(
            "SELECT family_name, given_name, date_of_birth, a_number FROM persons LIMIT ?",
            (limit,))]
    finally:
        raw.close()


def _row(rng: random.Random, person: tuple[str, str, str, str], real: bool) -> list[str]:
    family, given, born, a_number = person
    if not real:
        family, a_number = family[::-1].title(), f"A{rng.randrange(900_000_000, 999_999_999)}"
    day = date.fromisoformat(born)
    return [family.upper(), given.upper(), day.strftime("%m/%d/%Y"), a_number, "MEXICO",
            "Lake Dawnside Contract Detention Facility",
            f"{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}/2025"]


def leak_file(path: Path, persons: list[tuple[str, str, str, str]], megabytes: float,
              seed: int = 5) -> None:
    """Write the leak file (kept and reused: it is deterministic)."""
    rng = random.Random(seed)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        while handle.tell() < megabytes * 1e6:
            writer.writerow(_row(rng, rng.choice(persons), rng.random() < 0.5))
    partial.rename(path)


def _index(persons: int) -> tuple[Path, float]:
    """The saved index of the generated persons (built on first use), and its build time."""
    path = CACHE / f"scan-index-{persons}.bin"
    if path.exists():
        return path, 0.0
    engine = make_engine(f"sqlite:///{database(persons, seed=1)}")
    started = time.perf_counter()
    EdmIndex.build(engine, KEY).save(path)
    engine.dispose()
    return path, time.perf_counter() - started


def _read_only(path: Path) -> tuple[float, int]:
    """The peer: seconds the csv module takes to read the file, and the data rows."""
    started = time.perf_counter()
    rows = -1
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle):
            rows += 1
    return time.perf_counter() - started, rows


# -- one scan, in a fresh process ------------------------------------------------------------

def measure(index_path: Path, file: Path, workers: int, row_reader: bool) -> None:
    """Child process: load the index, scan ``file``, print the figures as JSON."""
    started = time.perf_counter()
    index = EdmIndex.load(index_path, KEY)
    loaded = time.perf_counter() - started
    fast = FastCsv(enabled=False) if row_reader else FastCsv(workers=workers)
    cpu = time.process_time()
    report = Scanner(index, today=TODAY, fast=fast).scan(file)
    cpu = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "load_s": loaded, "seconds": report.seconds, "cpu_s": cpu + children.ru_utime,
        "verdict": report.verdict, "persons": len(report.persons),
        "persons_digest": hash(frozenset(report.persons)), "blocking": report.blocking,
        "findings": [(f.kind.value, f.location.as_dict(), f.confidence, f.matched_person_id)
                     for f in report.findings],
        "more_findings": report.more_findings,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": children.ru_maxrss / 1024,
    }))


def _scan_in_child(index_path: Path, file: Path, workers: int,
                   row_reader: bool = False) -> dict[str, Any]:
    command = [sys.executable, __file__, "--measure", str(index_path), str(file), str(workers)]
    if row_reader:
        command.append("--row-reader")
    child = subprocess.run(  # noqa: S603 -- our own script, our own arguments
        command, check=True, capture_output=True, text=True, cwd=Path(__file__).parent,
        env={**os.environ, "PYTHONHASHSEED": "0"})
    result: dict[str, Any] = json.loads(child.stdout)
    return result


def _line(label: str, size: float, run: dict[str, Any]) -> str:
    rate = size / run["seconds"]
    memory = f"peak RSS {run['peak_mb']:.0f} MB"
    if run["worker_peak_mb"]:
        memory += f" (each worker <= {run['worker_peak_mb']:.0f} MB)"
    return (f"  {label:<22} {run['seconds']:6.1f} s = {rate:6.1f} MB/s (CPU {run['cpu_s']:.1f} s;"
            f" {memory}) target >= {TARGET_MB_S:.0f} MB/s: {verdict(rate >= TARGET_MB_S)}")


def _same(first: dict[str, Any], second: dict[str, Any]) -> bool:
    keys = ("verdict", "persons", "persons_digest", "blocking", "findings", "more_findings")
    return all(first[key] == second[key] for key in keys)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--mb", type=float, default=100.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--row-reader", action="store_true",
                        help="also time the row-by-row reader on the large file (slow)")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        index_path, file, workers = args.measure
        measure(Path(index_path), Path(file), int(workers), args.row_reader)
        return 0

    index_path, built = _index(args.persons)
    started = time.perf_counter()
    index = EdmIndex.load(index_path, KEY)
    print(f"index: {index.persons:,} persons ({index_path.stat().st_size / 2**20:.0f} MB; "
          + (f"built in {built:.0f} s, " if built else "")
          + f"loaded in {time.perf_counter() - started:.1f} s)")
    persons = _persons(database(args.persons, seed=1), 200_000)

    replica = CACHE / "scan-replica-6252.csv"
    rng = random.Random(2)
    with replica.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(_row(rng, person, True) for person in rng.sample(persons, 6_252))
    report = Scanner(index, today=TODAY).scan(replica)
    print(f"replica: 6,252 rows, {report.verdict}, {len(report.persons):,} persons identified, "
          f"{report.seconds:.2f} s (target <= {TARGET_REPLICA_S:.0f} s: "
          f"{verdict(report.seconds <= TARGET_REPLICA_S and len(report.persons) == 6_252)})")
    del index

    big = CACHE / f"scan-{args.mb:g}mb.csv"
    if not big.exists():
        leak_file(big, persons, args.mb)
    del persons
    size = big.stat().st_size / 1e6
    peer, rows = _read_only(big)
    single = _scan_in_child(index_path, big, 1)
    parallel = _scan_in_child(index_path, big, args.workers)
    print(f"large file: {size:.0f} MB, {rows:,} rows, {single['verdict']}, "
          f"{single['persons']:,} persons identified, {single['blocking']:,} blocking findings "
          f"(index loaded by each scanning process in {single['load_s']:.1f} s, not counted)")
    if args.row_reader:
        print(_line("row reader, 1 process", size, _scan_in_child(index_path, big, 1, True)))
    print(_line("columnar, 1 process", size, single))
    print(_line(f"columnar, {args.workers} processes", size, parallel))
    print(f"  parallel report identical to the single-process one: "
          f"{'yes' if _same(single, parallel) else 'NO'}")
    best = min(single["seconds"], parallel["seconds"])
    print(f"  peer: csv module reading only {peer:6.1f} s = {size / peer:6.1f} MB/s; "
          f"scan/read time ratio {single['seconds'] / peer:.1f}x (1 process), "
          f"{best / peer:.1f}x (best)")
    print("  Presidio comparison: bench_presidio.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
