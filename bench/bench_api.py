"""Load test: 32 concurrent clients reading records through the API (issue 5).

The product server (``casevault serve``'s app, uvicorn, one process) runs on a
fresh SQLite demo court; 32 client threads on loopback read person files as
their assigned judge, with a bounded number of requests each. The peer, in the
same run, is a bare FastAPI route in this benchmark's own throw-away app that
reads the same row through the store and returns it (no session, no decision,
no ledger) - never part of the product.

Targets: >= 500 guarded, audited record reads/s with p99 <= 100 ms, and at least
0.75x the bare route's throughput.

    python bench/bench_api.py [--people 5000] [--clients 32] [--seconds 60]
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pyotp
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, text

from _common import CACHE, fresh_sqlite, median, percentile, synthetic_court, verdict
from casevault.access.setup import build_door
from casevault.api.app import create_app
from casevault.audit.ledger import utc_now
from casevault.settings import Settings
from casevault.store import reads
from casevault.store.interchange import import_folder

PASSWORD = "bench password for synthetic accounts"  # noqa: S105 -- synthetic benchmark account
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO = 500.0, 100.0, 0.75


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(app: FastAPI) -> tuple[uvicorn.Server, int]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="error", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port


def _bare_app(engine: Engine) -> FastAPI:
    bare = FastAPI()

    @bare.get("/bare/persons/{person_id}")
    def person(person_id: str) -> dict[str, Any]:
        with engine.connect() as connection:
            found = reads.person(connection, person_id)
        return {"person_id": found.person_id, "family_name": found.family_name}

    return bare


def _load(url: Callable[[int], str], headers: dict[str, str], clients: int, seconds: float,
          per_client: int) -> tuple[float, list[float], int]:
    """Requests/s, latencies and failures of ``clients`` threads for ``seconds`` at most."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        mine: list[float] = []
        with httpx.Client(headers=headers, timeout=30) as http:
            for request in range(per_client):
                if time.perf_counter() > deadline:
                    break
                started = time.perf_counter()
                response = http.get(url(number * per_client + request))
                mine.append(time.perf_counter() - started)
                if response.status_code != 200:
                    with lock:
                        failures[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies, failures[0]


def _signed_in_judge(engine: Engine, door: Any) -> tuple[dict[str, str], list[str]]:
    with engine.connect() as connection:
        judge = connection.execute(text(
            "SELECT judge_user_id FROM hearings WHERE judge_user_id IS NOT NULL "
            "GROUP BY judge_user_id ORDER BY COUNT(*) DESC LIMIT 1")).scalar_one()
        owner = connection.execute(text(
            "SELECT user_id FROM users WHERE role = 'court_admin' ORDER BY user_id")).scalar()
        persons = list(connection.execute(text(
            "SELECT DISTINCT c.person_id FROM hearings h JOIN cases c ON c.case_id = h.case_id "
            "WHERE h.judge_user_id = :j ORDER BY c.person_id"), {"j": judge}).scalars())
    day = utc_now().date() + timedelta(days=30)
    door.accounts.enroll(owner, PASSWORD, by=owner)
    door.accounts.bootstrap_owner(owner, by=owner, legal_basis="bench", expires_on=day)
    secret = door.accounts.enroll(judge, PASSWORD, by=judge).totp_secret
    door.accounts.approve(judge, by=owner, purposes=(), legal_basis="bench", expires_on=day)
    door.accounts.attest_training(judge, valid_until=day, by=judge)
    login = door.sessions.login(judge, PASSWORD, pyotp.TOTP(secret).now(), device_id="bench")
    headers = {"Authorization": f"Bearer {login.token}", "X-Device-Id": "bench",
               "X-Purpose": "adjudication"}
    return headers, persons


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--per-client", type=int, default=2_000)
    args = parser.parse_args()
    with fresh_sqlite("api") as engine:
        with engine.begin() as connection:
            import_folder(connection, synthetic_court(args.people))
        settings = Settings(key_dir=CACHE / "api-keys")
        door = build_door(engine, settings)
        headers, persons = _signed_in_judge(engine, door)
        product, product_port = _serve(create_app(door))
        bare, bare_port = _serve(_bare_app(engine))
        try:
            def guarded(n: int) -> str:
                return (f"http://127.0.0.1:{product_port}/api/v1/persons/"
                        f"{persons[n % len(persons)]}")

            def plain(n: int) -> str:
                return f"http://127.0.0.1:{bare_port}/bare/persons/{persons[n % len(persons)]}"

            rate, latencies, failed = _load(guarded, headers, args.clients, args.seconds,
                                            args.per_client)
            bare_rate, bare_latencies, _ = _load(plain, {}, args.clients, args.seconds,
                                                 args.per_client)
        finally:
            product.should_exit = bare.should_exit = True
            door.ledger.close()
    p50, p99 = median(latencies) * 1e3, percentile(latencies, 0.99) * 1e3
    print(f"{args.clients} clients, up to {args.seconds:.0f} s each run, SQLite, "
          f"{len(persons)} calendared persons")
    print(f"guarded API read  {rate:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  "
          f"({len(latencies):,} requests, {failed} failed)")
    print(f"bare route peer   {bare_rate:8.1f} req/s  p50 {median(bare_latencies) * 1e3:7.1f} ms"
          f"  p99 {percentile(bare_latencies, 0.99) * 1e3:7.1f} ms")
    ratio = rate / bare_rate
    print(f"ratio guarded/bare {ratio:.2f}x (target >= {TARGET_RATIO}: "
          f"{verdict(ratio >= TARGET_RATIO)}); throughput target >= {TARGET_RATE:.0f}/s: "
          f"{verdict(rate >= TARGET_RATE)}; p99 target <= {TARGET_P99_MS:.0f} ms: "
          f"{verdict(p99 <= TARGET_P99_MS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
