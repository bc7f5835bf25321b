"""Exact data match at scale: build rate, index memory and look-up cost for 1,000,000 persons.

Target (issue 6): the index covers 1,000,000 persons, and a look-up costs about
1-2 us (keyed hash + table), so a scan is limited by reading, not by matching.

The persons are written straight into a SQLite database by a seeded generator
(names from Faker pools with accents, two surnames and middle names, aliases,
birth dates, phones, e-mails, current and past addresses), since writing a whole
court of a million people takes minutes; the database is kept under var/bench/
and reused. Then:

  (a) ``EdmIndex.build`` from the database: persons/s and peak memory;
  (b) the saved index loaded in a fresh process: file size and resident memory,
      against a plain dict of the same persons' values as unkeyed strings;
  (c) ``EdmIndex.lookup`` per value (A-number, birth date, phone, e-mail, name,
      10% values nobody has), p50/p99, interleaved with the plain dict's ``get`` of
      the unkeyed string, and ``match_group`` for a typical leaked row
      (name + birth date + A-number).

    python bench/bench_edm.py [--persons 1000000] [--lookups 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import secrets
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from faker import Faker

from _common import CACHE, median, percentile, verdict
from casevault.domain.names import fold
from casevault.shield.edm import EdmIndex, normalize
from casevault.shield.model import Kind
from casevault.store import make_engine, upgrade_schema

TARGET_US = 2.0
_SURNAME_PARTICLES = ("de la", "del", "de", "da", "dos")
_STREET_SUFFIXES = ("Street", "Avenue", "Road", "Drive", "Loop", "Walk", "Lane", "Court")
_AREAS = ("212", "718", "917", "347", "213", "305", "713", "312", "202", "415", "619", "956")
_INSERT = ("INSERT INTO persons (person_id, a_number, family_name, given_name, other_names, "
           "date_of_birth, sex, nationality, language, address, city, state, postal_code, "
           "phone, email) VALUES (?, ?, ?, ?, ?, ?, ?, 'MX', 'spa', ?, 'Springfield', 'NY', "
           "'10001', ?, ?)")
_INSERT_ADDRESS = ("INSERT INTO person_addresses (person_id, valid_from, address, city, state, "
                   "postal_code, valid_to) VALUES (?, ?, ?, 'Springfield', 'NY', '10001', ?)")


class Pools:
    """Given names, surnames and street names drawn once from Faker (it is slow per call)."""

    def __init__(self, seed: int) -> None:
        given: list[str] = []
        family: list[str] = []
        for locale in ("es_MX", "es_CO", "pt_BR", "en_US", "fr_FR", "tr_TR"):
            faker = Faker(locale)
            faker.seed_instance(seed)
            given += {faker.first_name() for _ in range(400)}
            family += {faker.last_name() for _ in range(400)}
        streets = Faker("en_US")
        streets.seed_instance(seed)
        self.given = sorted(given)
        self.family = sorted(family)
        self.streets = sorted({streets.last_name() for _ in range(3000)})


Row = tuple[object, ...]


def generate(count: int, seed: int) -> Iterator[tuple[Row, list[Row]]]:
    """Person rows (persons columns) and their past addresses, seeded."""
    rng = random.Random(seed)
    pools = Pools(seed)
    for number in range(count):
        family = rng.choice(pools.family)
        if rng.random() < 0.6:
            family += " " + rng.choice(pools.family)
        if rng.random() < 0.03:
            family = rng.choice(_SURNAME_PARTICLES).title() + " " + family
        given = rng.choice(pools.given)
        if rng.random() < 0.35:
            given += " " + rng.choice(pools.given)
        other = f"{given.split()[0]} {family.split()[0]}" if rng.random() < 0.15 else None
        born = date.fromordinal(date(1940, 1, 1).toordinal() + rng.randrange(80 * 365))
        phone = (f"({rng.choice(_AREAS)}) {rng.randrange(200, 1000)}-{rng.randrange(10000):04d}"
                 if rng.random() < 0.8 else None)
        email = (f"{fold(given).split()[0]}.{fold(family).replace(' ', '')}{rng.randrange(100)}"
                 "@example.org" if rng.random() < 0.3 else None)
        street = _street(rng, pools)
        person_id = f"P{number:07d}"
        a_number = f"A{200_000_000 + (number * 7_919) % 100_000_000:09d}"
        row = (person_id, a_number, family, given, other, born.isoformat(), rng.choice("FM"),
               street, phone, email)
        history = [(person_id, "2019-01-01", _street(rng, pools), "2022-12-31")] \
            if rng.random() < 0.3 else []
        yield row, history


def _street(rng: random.Random, pools: Pools) -> str:
    street = f"{rng.randrange(1, 9999)} {rng.choice(pools.streets)} {rng.choice(_STREET_SUFFIXES)}"
    return street + (f" Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}"
                     if rng.random() < 0.3 else "")


def database(persons: int, seed: int) -> Path:
    """A SQLite database of ``persons`` generated persons; written once, then reused."""
    path = CACHE / f"edm-{persons}-seed{seed}.db"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    upgrade_schema(engine)
    engine.dispose()
    started = time.perf_counter()
    raw = sqlite3.connect(partial)
    raw.execute("PRAGMA foreign_keys=OFF")
    batch: list[tuple[object, ...]] = []
    history: list[tuple[object, ...]] = []
    for row, past in generate(persons, seed):
        batch.append(row)
        history += past
        if len(batch) == 50_000:
            _flush(raw, batch, history)
    _flush(raw, batch, history)
    raw.close()
    partial.rename(path)
    print(f"  (wrote {persons:,} persons in {time.perf_counter() - started:.1f} s: "
          f"{path.name})")
    return path


def _flush(raw: sqlite3.Connection, batch: list[tuple[object, ...]],
           history: list[tuple[object, ...]]) -> None:
    with raw:
        raw.executemany(_INSERT, batch)
        raw.executemany(_INSERT_ADDRESS, history)
    batch.clear()
    history.clear()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- (a) build ----------------------------------------------------------------------------------

def build(path: Path, key: bytes, persons: int) -> tuple[EdmIndex, float]:
    engine = make_engine(f"sqlite:///{path}")
    step = max(persons // 10, 1)
    last = [0]

    def progress(_task: str, done: int, total: int | None) -> None:
        if done - last[0] >= step or done == total:
            last[0] = done
            print(f"    {done:>10,} / {total:,} persons", flush=True)

    before = rss_mb()
    started = time.perf_counter()
    index = EdmIndex.build(engine, key, progress=progress)
    seconds = time.perf_counter() - started
    engine.dispose()
    print(f"  (a) build: {index.persons:,} persons, {index.entries:,} keyed hashes in "
          f"{seconds:.1f} s = {index.persons / seconds:,.0f} persons/s; "
          f"RSS grew {rss_mb() - before:,.0f} MB, peak {peak_mb():,.0f} MB")
    return index, seconds


# -- (b) resident memory of the saved index, in a fresh process ----------------------------------

def measure_load(index_path: str, key_hex: str) -> None:
    """Run in a child process: print the RSS a loaded index takes, as JSON."""
    before = rss_mb()
    started = time.perf_counter()
    index = EdmIndex.load(Path(index_path), bytes.fromhex(key_hex))
    print(json.dumps({"load_s": time.perf_counter() - started, "rss_mb": rss_mb() - before,
                      "persons": index.persons}))


def loaded_size(index_path: Path, key: bytes) -> dict[str, float]:
    child = subprocess.run(  # noqa: S603 -- our own script, our own arguments
        [sys.executable, __file__, "--measure-load", str(index_path), key.hex()],
        check=True, capture_output=True, text=True, cwd=Path(__file__).parent)
    result: dict[str, float] = json.loads(child.stdout)
    return result


def plain_dict(persons: int, seed: int, sample_every: int) -> tuple[dict[str, list[str]],
                                                                     list[tuple[Kind, str]]]:
    """The peer: every person's values as unkeyed strings; and a sample of look-ups."""
    table: dict[str, list[str]] = {}
    sample: list[tuple[Kind, str]] = []
    for number, (row, _) in enumerate(generate(persons, seed)):
        person_id, a_number, family, given, _, born, _, _, phone, email = row
        values = [(Kind.A_NUMBER, str(a_number)), (Kind.DATE_OF_BIRTH, str(born)),
                  (Kind.PERSON_NAME, fold(f"{family} {given}"))]
        if phone:
            values.append((Kind.PHONE, normalize(Kind.PHONE, str(phone))))
        if email:
            values.append((Kind.EMAIL, str(email)))
        for kind, value in values:
            table.setdefault(f"{kind.value}\0{value}", []).append(str(person_id))
        if number % sample_every == 0:
            sample.append(values[number // sample_every % len(values)])
    return table, sample


# -- (c) look-ups ---------------------------------------------------------------------------------

def lookups(index: EdmIndex, table: dict[str, list[str]],
            sample: list[tuple[Kind, str]]) -> tuple[list[float], list[float]]:
    """Each value looked up in the index and in the peer, one after the other."""
    rng = random.Random(5)
    work = sample + [(Kind.A_NUMBER, f"A1{rng.randrange(10**8):08d}")
                     for _ in range(len(sample) // 9)]
    rng.shuffle(work)
    timer = time.perf_counter_ns
    ours: list[float] = []
    peers: list[float] = []
    by_kind: dict[str, list[float]] = {}
    found = 0
    for kind, value in work:
        unkeyed = f"{kind.value}\0{value}"
        started = timer()
        hit = index.lookup(kind, value)
        middle = timer()
        table.get(unkeyed)
        ended = timer()
        ours.append((middle - started) / 1000)
        peers.append((ended - middle) / 1000)
        by_kind.setdefault(kind.value if hit else "nobody's", []).append(ours[-1])
        found += bool(hit)
    print(f"  (c) {len(work):,} look-ups ({found:,} found a person, "
          f"{len(work) - found:,} nobody's):")
    for name, timings in sorted(by_kind.items()):
        print(f"      {name:<14} p50 {median(timings):5.2f} us, p99 "
              f"{percentile(timings, 0.99):6.2f} us ({len(timings):,})")
    return ours, peers


def keyed_hash_cost(index: EdmIndex, sample: list[tuple[Kind, str]]) -> list[float]:
    """The floor of a look-up: the HMAC alone (a private helper, timed for the breakdown)."""
    keyed_hash = index._hasher.hash  # private: profiled for the breakdown
    timer = time.perf_counter_ns
    timings: list[float] = []
    for kind, value in sample:
        started = timer()
        keyed_hash(kind, value)
        timings.append((timer() - started) / 1000)
    return timings


def groups(index: EdmIndex, persons: int, seed: int, count: int) -> list[float]:
    chosen = set(random.Random(6).sample(range(persons), count))
    rows = [row for number, (row, _) in enumerate(generate(persons, seed)) if number in chosen]
    timings: list[float] = []
    right = 0
    for row in rows:
        group = [(Kind.PERSON_NAME, normalize(Kind.PERSON_NAME, f"{row[3]} {row[2]}".upper())),
                 (Kind.DATE_OF_BIRTH, str(row[5])),
                 (Kind.A_NUMBER, normalize(Kind.A_NUMBER, str(row[1])[1:]))]
        started = time.perf_counter_ns()
        matches = index.match_group(group)
        timings.append((time.perf_counter_ns() - started) / 1000)
        right += bool(matches) and matches[0].person_id == row[0]
    print(f"      match_group(name + birth date + A-number) of {len(rows):,} rows: "
          f"p50 {median(timings):.1f} us, p99 {percentile(timings, 0.99):.1f} us; "
          f"{right:,}/{len(rows):,} right person first")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--measure-load", nargs=2, metavar=("INDEX", "KEY"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_load:
        measure_load(*args.measure_load)
        return 0
    print(f"exact data match over {args.persons:,} persons")
    path = database(args.persons, args.seed)
    key = secrets.token_bytes(32)
    index, _ = build(path, key, args.persons)
    engine = make_engine(f"sqlite:///{path}")
    report = index.refresh(engine)
    engine.dispose()
    print(f"      refresh with nothing new (reads every person id): {report.seconds:.1f} s")
    index_path = CACHE / f"edm-index-{args.persons}.bin"
    started = time.perf_counter()
    index.save(index_path)
    saved = time.perf_counter() - started
    child = loaded_size(index_path, key)
    before = rss_mb()
    table, sample = plain_dict(args.persons, args.seed, max(args.persons // args.lookups, 1))
    peer_mb = rss_mb() - before
    print(f"  (b) saved in {saved:.1f} s, {index_path.stat().st_size / 2**20:,.0f} MB on disk; "
          f"loaded in {child['load_s']:.1f} s by a fresh process, {child['rss_mb']:,.0f} MB "
          f"resident; a plain dict of the same persons' values (unkeyed, {len(table):,} "
          f"strings) takes {peer_mb:,.0f} MB = {peer_mb / max(child['rss_mb'], 1):.1f}x")
    ours, peers = lookups(index, table, sample)
    p50, p99 = median(ours), percentile(ours, 0.99)
    print(f"      EdmIndex.lookup: p50 {p50:.2f} us, p99 {p99:.2f} us; plain dict.get of the "
          f"unkeyed string: p50 {median(peers):.2f} us, p99 {percentile(peers, 0.99):.2f} us "
          f"= {p50 / max(median(peers), 1e-3):.0f}x at the median")
    hash_only = keyed_hash_cost(index, sample)
    print(f"      of which the keyed hash (HMAC-SHA256) alone: p50 {median(hash_only):.2f} us")
    groups(index, args.persons, args.seed, min(10_000, args.persons))
    print(f"  look-up p50 {p50:.2f} us vs target {TARGET_US:.0f} us: {verdict(p50 <= TARGET_US)}")
    index_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
