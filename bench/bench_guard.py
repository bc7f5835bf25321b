"""A complete guarded read vs a plain store read of the same row (issue 4).

A guarded read is: relationships derived from the records, the policy decision,
the durable ledger append (the writer's commit is ``synchronous=FULL`` on
SQLite: the event survives power loss before the data is returned), the read and
the redaction. The peer is ``store.reads.person`` of the same person on the same
database, timed interleaved with it so machine noise hits both alike.

Target: guarded read p50 <= 100 us on SQLite, i.e. >= 10,000 guarded reads/s on
one core. A sequential caller waits for one ledger commit per read; concurrent
callers share commits (group commit), so the throughput figure is measured with
several threads too, and the CPU cost per read is reported alongside.

    python bench/bench_guard.py [--people 20000] [--reads 3000] [--threads 8]
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import threading
import time
from datetime import timedelta

import pyotp
from sqlalchemy import Engine, text

from _common import fresh_postgres, fresh_sqlite, median, percentile, synthetic_court, verdict
from casevault.access import PolicyEngine
from casevault.access.accounts import Accounts
from casevault.access.guard import Guard
from casevault.access.identity import SessionContext
from casevault.access.sessions import Sessions
from casevault.audit.checkpoint import Signer
from casevault.audit.ledger import Ledger, utc_now
from casevault.domain import Purpose
from casevault.store import reads
from casevault.store.interchange import import_folder

TARGET_P50_US = 100.0
PASSWORD = "bench password for a synthetic judge"  # noqa: S105 -- a synthetic benchmark account


def _judge_and_persons(engine: Engine) -> tuple[str, str, list[str]]:
    """The judge with the most calendared persons, a data owner, and those persons."""
    with engine.connect() as connection:
        judge = connection.execute(text(
            "SELECT judge_user_id FROM hearings WHERE judge_user_id IS NOT NULL "
            "GROUP BY judge_user_id ORDER BY COUNT(*) DESC, judge_user_id LIMIT 1")).scalar_one()
        owner = connection.execute(text(
            "SELECT user_id FROM users WHERE role = 'court_admin' ORDER BY user_id LIMIT 1",
        )).scalar_one()
        persons = list(connection.execute(text(
            "SELECT DISTINCT c.person_id FROM hearings h JOIN cases c ON c.case_id = h.case_id "
            "WHERE h.judge_user_id = :j ORDER BY c.person_id"), {"j": judge}).scalars())
    return judge, owner, persons


def _signed_in_judge(engine: Engine, ledger: Ledger, judge: str, owner: str) -> SessionContext:
    """A real account: enrolled, approved by a data owner, trained, signed in with TOTP."""
    accounts = Accounts(engine, ledger)
    sessions = Sessions(engine, ledger, accounts)
    day = utc_now().date()
    accounts.enroll(owner, PASSWORD, by=owner)
    accounts.bootstrap_owner(owner, by=owner, legal_basis="benchmark",
                             expires_on=day + timedelta(days=30))
    enrollment = accounts.enroll(judge, PASSWORD, by=judge)
    accounts.approve(judge, by=owner, purposes=(), legal_basis="benchmark",
                     expires_on=day + timedelta(days=30))
    accounts.attest_training(judge, valid_until=day + timedelta(days=30), by=judge)
    code = pyotp.TOTP(enrollment.totp_secret).now()
    login = sessions.login(judge, PASSWORD, code, device_id="bench-device")
    return sessions.authenticate(login.token, device_id="bench-device")


def _interleaved(guarded: list[float], plain: list[float], guard: Guard, who: SessionContext,
                 engine: Engine, keys: list[str]) -> None:
    clock = time.perf_counter
    with engine.connect() as connection:
        for key in keys:
            started = clock()
            guard.person(who, key, purpose=Purpose.ADJUDICATION)
            middle = clock()
            reads.person(connection, key)
            guarded.append(middle - started)
            plain.append(clock() - middle)


def _concurrent(guard: Guard, who: SessionContext, keys: list[str], threads: int) -> tuple[
        float, float]:
    """Guarded reads/s with ``threads`` callers sharing ledger commits; CPU us per read."""
    per_thread = len(keys) // threads
    barrier = threading.Barrier(threads + 1)

    def work(part: list[str]) -> None:
        barrier.wait()
        for key in part:
            guard.person(who, key, purpose=Purpose.ADJUDICATION)

    workers = [threading.Thread(target=work, args=(keys[i * per_thread:(i + 1) * per_thread],))
               for i in range(threads)]
    for worker in workers:
        worker.start()
    cpu = time.process_time()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - started
    cpu_used = time.process_time() - cpu
    done = per_thread * threads
    return done / wall, cpu_used / done * 1e6


def measure(engine: Engine, people: int, count: int, threads: int) -> None:
    with engine.begin() as connection:
        import_folder(connection, synthetic_court(people))
    ledger = Ledger(engine, signer=Signer.generate("casevault.bench/guard"))
    judge, owner, persons = _judge_and_persons(engine)
    who = _signed_in_judge(engine, ledger, judge, owner)
    policy = PolicyEngine.load()
    guard = Guard(engine, ledger, policy, terms_key=secrets.token_bytes(32))
    rng = random.Random(7)
    keys = [rng.choice(persons) for _ in range(count)]
    warm_g: list[float] = []
    warm_p: list[float] = []
    _interleaved(warm_g, warm_p, guard, who, engine, keys[:200])
    guarded: list[float] = []
    plain: list[float] = []
    _interleaved(guarded, plain, guard, who, engine, keys)
    rate, cpu_us = _concurrent(guard, who, keys * 2, threads)
    ledger.close()

    name = engine.dialect.name
    p50 = median(guarded) * 1e6
    print(f"{name:<11} guarded read  p50 {p50:8.1f} us  p99 "
          f"{percentile(guarded, 0.99) * 1e6:8.1f} us   ({len(persons)} calendared persons)")
    print(f"{'':<11} plain read    p50 {median(plain) * 1e6:8.1f} us  p99 "
          f"{percentile(plain, 0.99) * 1e6:8.1f} us")
    print(f"{'':<11} ratio guarded/plain (p50) {median(guarded) / median(plain):.1f}x")
    print(f"{'':<11} sequential: {1e6 / p50:,.0f} guarded reads/s (target p50 <= "
          f"{TARGET_P50_US:.0f} us: {verdict(p50 <= TARGET_P50_US)})")
    print(f"{'':<11} {threads} threads: {rate:,.0f} guarded reads/s, {cpu_us:.0f} us CPU per read "
          f"(target >= 10,000/s: {verdict(rate >= 10_000)})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=3_000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    print(f"guarded-read benchmark: person by id as its assigned judge, {args.reads:,} reads "
          f"over {args.people:,} people")
    with fresh_sqlite("guard") as engine:
        measure(engine, args.people, args.reads, args.threads)
    with fresh_postgres("guard") as engine:
        measure(engine, args.people, args.reads, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
