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
reports must be identical. Memory is the proportional set size of the scanning
process and its workers together (pages they share counted once), before the
scan (interpreter, libraries and index) and at its peak, sampled every 0.1 s.

    python bench/bench_scan.py [--persons 1000000] [--mb 100] [--workers 2] [--row-reader]
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv

from _common import CACHE, verdict
from bench_edm import database
from casevault.shield._edm_normal import name_queries
from casevault.shield._tablescan import GroupMatcher, TablePlan, TableScanner
from casevault.shield.columns import SAMPLE_ROWS, infer_columns
from casevault.shield.edm import EdmIndex
from casevault.shield.model import Kind
from casevault.shield.scan import FastCsv, Scanner, ScanReport
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

def _pss_kb(pid: str) -> int:
    """Proportional set size of a process: shared pages (the forked index) counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemoryWatch(threading.Thread):
    """Samples the memory of this process and its worker processes (PSS, summed)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.1):
            pids = {"self"} | {child for task in Path("/proc/self/task").iterdir()
                               for child in (task / "children").read_text().split()}
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in pids))


def measure(index_path: Path, file: Path, workers: int, row_reader: bool) -> None:
    """Child process: load the index, scan ``file``, print the figures as JSON."""
    started = time.perf_counter()
    index = EdmIndex.load(index_path, KEY)
    loaded = time.perf_counter() - started
    fast = FastCsv(enabled=False) if row_reader else FastCsv(workers=workers)
    baseline = _pss_kb("self")
    watch = MemoryWatch()
    watch.start()
    cpu = time.process_time()
    report = Scanner(index, today=TODAY, fast=fast).scan(file)
    cpu = time.process_time() - cpu
    watch.stopped.set()
    watch.join()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "load_s": loaded, "seconds": report.seconds, "cpu_s": cpu + children.ru_utime,
        "verdict": report.verdict, "persons": len(report.persons),
        "persons_digest": hash(frozenset(report.persons)), "blocking": report.blocking,
        "findings": [(f.kind.value, f.location.as_dict(), f.confidence, f.matched_person_id)
                     for f in report.findings],
        "more_findings": report.more_findings,
        "before_mb": baseline / 1024, "peak_mb": watch.peak_kb / 1024,
    }))


def breakdown(index_path: Path, file: Path, rows: int) -> None:
    """Child process: where a row's time goes, stage by stage, on the file's first rows.

    Each stage runs over the same rows on its own (birth-date memo warmed first, the
    collector frozen as the scan freezes it); the private parts are timed on purpose.
    """
    index = EdmIndex.load(index_path, KEY)
    scanner = Scanner(index, today=TODAY)
    with file.open("rb") as handle:
        data = b"".join(islice(handle, rows + 1))
    header, *body = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    plan = TablePlan.of(str(file), None, header, infer_columns(header, body[:SAMPLE_ROWS],
                                                               today=TODAY))
    matcher = GroupMatcher(index)
    table = TableScanner(plan, scanner._detectors, scanner._by_kind, matcher)
    columns = {i: [row[i] for row in body] for i in plan.needed}
    readers = table._readers
    groups = list(zip(*(reader(columns[i]) for i, reader in readers), strict=True))
    keys = _hashed_keys(groups)
    hash_of, lookup = matcher._hash, matcher._table.lookup
    hashes = [hash_of(kind, key) for kind, key in keys]
    stages = {
        "csv module: read rows (the peer)": lambda: list(csv.reader(io.StringIO(
            data.decode("utf-8"), newline=""))),
        "Arrow: parse, cells to Python": lambda: _arrow_cells(data, len(header), plan.needed),
        "columns read (fold names, A-numbers, dates)": lambda: [
            reader(columns[i]) for i, reader in readers],
        f"keyed hashes (HMAC-SHA256), {len(keys) / len(body):.2f} a row": lambda: [
            hash_of(kind, key) for kind, key in keys],
        "index look-ups of those hashes": lambda: [lookup(h) for h in hashes],
        "group matching (hashes and look-ups included)": lambda: [
            matcher.strong(group) for group in groups],
        "whole table scan (reading, matching, tallies)": lambda: table.scan_columns(
            columns, len(body), 2, ScanReport(file=str(file), finding_limit=0)),
    }
    gc.freeze()
    results = {}
    for name, stage in stages.items():
        started = time.process_time()
        stage()
        results[name] = (time.process_time() - started) * 1e6 / len(body)
    print(json.dumps(results))


def _hashed_keys(groups: list[tuple[Any, ...]]) -> list[tuple[Kind, str]]:
    """The (kind, key) pairs a row's look-up hashes: A-numbers and the joined name (birth
    dates are remembered, so hashed once per date, not per row)."""
    keys: list[tuple[Kind, str]] = []
    for group in groups:
        values = [(kind, value) for items in group for kind, value, _ in items]
        keys += [(kind, value) for kind, value in values if kind is Kind.A_NUMBER]
        families = [value for kind, value in values if kind is Kind.FAMILY_NAME]
        givens = [value for kind, value in values if kind is Kind.GIVEN_NAME]
        for family, given in zip(families, givens, strict=False):
            keys += [(Kind.PERSON_NAME, key) for key, _ in name_queries(f"{family} {given}")[:1]]
    return keys


def _arrow_cells(data: bytes, width: int, needed: tuple[int, ...]) -> list[list[str]]:
    names = [str(i) for i in range(width)]
    parsed = pa_csv.read_csv(
        pa.BufferReader(data[data.index(b"\n") + 1:]),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
    return [parsed.column(i).to_pylist() for i in needed]


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
    return (f"  {label:<22} {run['seconds']:6.1f} s = {rate:5.1f} MB/s (CPU {run['cpu_s']:5.1f} s;"
            f" memory {run['before_mb']:.0f} MB with the index, peak {run['peak_mb']:.0f} MB)"
            f" target >= {TARGET_MB_S:.0f} MB/s: {verdict(rate >= TARGET_MB_S)}")


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
    parser.add_argument("--breakdown-rows", type=int, default=100_000,
                        help="rows of the large file timed stage by stage")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--breakdown", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.breakdown:
        breakdown(Path(args.breakdown[0]), Path(args.breakdown[1]), args.breakdown_rows)
        return 0
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
    _print_breakdown(index_path, big, args.breakdown_rows, size * 1e6 / rows)
    print("  Presidio comparison: bench_presidio.py")
    return 0


def _print_breakdown(index_path: Path, file: Path, rows: int, bytes_per_row: float) -> None:
    child = subprocess.run(  # noqa: S603 -- our own script, our own arguments
        [sys.executable, __file__, "--breakdown", str(index_path), str(file),
         "--breakdown-rows", str(rows)],
        check=True, capture_output=True, text=True, cwd=Path(__file__).parent)
    stages: dict[str, float] = json.loads(child.stdout)
    print(f"  where a row's time goes (CPU, first {rows:,} rows, one process; "
          f"{bytes_per_row:.0f} bytes a row, so {TARGET_MB_S:.0f} MB/s on 2 cores leaves "
          f"{2 * bytes_per_row / TARGET_MB_S:.1f} us a row per core):")
    for name, micros in stages.items():
        print(f"    {name:<50} {micros:6.2f} us/row  (alone: {bytes_per_row / micros:6.1f} MB/s)")


if __name__ == "__main__":
    sys.exit(main())
