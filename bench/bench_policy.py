"""Policy decision cost: the guard's Cedar decision point, memoised, fresh and batched.

Target (issue 4): a decision costs at most 50 us at the median with Cedar (the policy
set and entity data pre-parsed; only the request's small slice built per call).

A decision answers one read: which of the seven data categories the request may have,
so Cedar is asked once per category (one batch of seven). Measured over a workload of
realistic requests (every role, its usual purposes and relationships, some strays),
each path interleaved request by request with a peer so machine noise hits both alike:

  (a) ``PolicyEngine.decide``, memoised (the production path: each distinct attribute
      tuple goes to Cedar once), against a plain dict lookup of the same tuple;
      and the first sight of a tuple, which is a fresh Cedar evaluation plus the memo;
  (b) the same un-memoised (``PolicyEngine.load(memoise=False)``: Cedar on every call),
      for a whole read and for one category, against ``cedarpy.is_authorized`` for one
      category called the plain documented way (request dict, entity JSON text, schema);
  (c) ``PolicyEngine.decide_many`` over batches of requests (one Cedar call per batch),
      per decision, against (b).

It ends with where an un-memoised decision's time goes (private helpers, for profiling).

    python bench/bench_policy.py [--decisions 20000] [--fresh 2000] [--batches 100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from typing import TypeVar

import cedarpy

from _common import median, percentile, verdict
from casevault.access import policy as _policy
from casevault.access.policy import (
    AccessAction,
    AccessRequest,
    AccountState,
    PolicyEngine,
    Principal,
    RecordKind,
)
from casevault.access.relationships import Relationship
from casevault.domain import Agency, DataCategory, Purpose, Role

_T = TypeVar("_T")
TARGET_US = 50.0
BATCH = 100
AT = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)

_PROFILES: list[tuple[Role, Agency, list[Purpose], Relationship | None]] = [
    (Role.JUDGE, Agency.EOIR, [Purpose.ADJUDICATION], Relationship.ASSIGNED_JUDGE),
    (Role.CLERK, Agency.EOIR, [Purpose.CASE_PROCESSING], Relationship.COURT_CLERK),
    (Role.COURT_ADMIN, Agency.EOIR, [Purpose.CASE_PROCESSING], Relationship.COURT_CLERK),
    (Role.DHS_COUNSEL, Agency.ICE, [Purpose.LITIGATION, Purpose.APPEAL_REVIEW],
     Relationship.DHS_COUNSEL_AT_COURT),
    (Role.ATTORNEY, Agency.PRIVATE, [Purpose.REPRESENTATION], Relationship.ATTORNEY_OF_RECORD),
    (Role.PRIVACY_OFFICER, Agency.EOIR, [Purpose.COMPLIANCE_AUDIT, Purpose.BREACH_RESPONSE],
     None),
    (Role.ANALYST, Agency.EOIR, [Purpose.STATISTICS], None),
    (Role.EXTERNAL_ADVISOR, Agency.OTHER, [Purpose.STATISTICS], None),
]
_ACTIONS = ([AccessAction.VIEW] * 12 + [AccessAction.SEARCH] * 3 + [AccessAction.PRINT] * 2
            + [AccessAction.EXPORT, AccessAction.UPDATE])


def workload(count: int, seed: int = 7) -> list[AccessRequest]:
    """Requests as a court's day has them: mostly usual, some stray purposes and states."""
    rng = random.Random(seed)
    requests = []
    for n in range(count):
        role, agency, purposes, usual = rng.choice(_PROFILES)
        outside = role is Role.EXTERNAL_ADVISOR
        state = AccountState.ACTIVE if rng.random() < 0.95 else rng.choice(list(AccountState))
        principal = Principal(
            user_id=f"U{n}", role=role, agency=agency, account_state=state,
            training_current=rng.random() < 0.97, mfa_verified=rng.random() < 0.98,
            outside_party=outside,
            approved_purposes=frozenset({Purpose.STATISTICS}) if outside else frozenset(),
        )
        relationships = frozenset({usual}) if usual and rng.random() < 0.8 else frozenset()
        emergency = rng.random() < 0.01
        categories = (frozenset(DataCategory) if rng.random() < 0.8 else
                      frozenset(rng.sample(list(DataCategory), rng.randint(1, 3))))
        requests.append(AccessRequest(
            principal=principal,
            action=AccessAction.BREAK_GLASS if emergency else rng.choice(_ACTIONS),
            kind=RecordKind.CASE if rng.random() < 0.8 else RecordKind.PERSON,
            record_id=f"C{n}",
            purpose=(Purpose.EMERGENCY if emergency else rng.choice(purposes)
                     if rng.random() < 0.9 else rng.choice(list(Purpose))),
            at=AT, device_id=f"D{n}" if rng.random() < 0.99 else None,
            relationships=relationships, categories=categories,
        ))
    return requests


def _plain_key(r: AccessRequest) -> tuple[object, ...]:
    p = r.principal
    return (p.role, p.agency, p.account_state, p.training_current, p.mfa_verified,
            p.outside_party, p.approved_purposes, r.action, r.kind, r.relationships, r.purpose,
            r.device_id is not None, r.categories)


def _plain_cedar(engine: PolicyEngine) -> Callable[[AccessRequest], object]:
    """One category through ``cedarpy.is_authorized`` as its documentation shows it."""
    policies, schema = engine._policies.policy_set, engine._policies.schema

    def ref(kind: str, value: str) -> dict[str, dict[str, str]]:
        return {"__entity": {"type": f"Casevault::{kind}", "id": value}}

    def decide(r: AccessRequest) -> object:
        p = r.principal
        user = {"type": "Casevault::User", "id": "principal"}
        entities = json.dumps([{"uid": user, "parents": [], "attrs": {
            "role": ref("Role", p.role), "agency": ref("Agency", p.agency),
            "account_state": ref("AccountState", p.account_state),
            "training_current": p.training_current, "mfa_verified": p.mfa_verified,
            "outside_party": p.outside_party,
            "approved_purposes": [ref("Purpose", x) for x in p.approved_purposes],
        }}])
        return cedarpy.is_authorized({
            "principal": user, "action": {"type": "Casevault::Action", "id": r.action.value},
            "resource": {"type": f"Casevault::{r.kind.value.title()}", "id": "record"},
            "context": {"purpose": ref("Purpose", r.purpose),
                        "category": ref("Category", DataCategory.IDENTITY),
                        "relationships": [ref("Relationship", x) for x in r.relationships],
                        "device_bound": r.device_id is not None},
        }, policies, entities, schema)

    return decide


def _interleaved(paths: Sequence[Callable[[_T], object]],
                 items: Sequence[_T]) -> list[list[float]]:
    """Time every path on each item in turn, so machine noise hits all alike."""
    samples: list[list[float]] = [[] for _ in paths]
    clock = time.perf_counter
    for item in items:
        for path, into in zip(paths, samples, strict=True):
            started = clock()
            path(item)
            into.append(clock() - started)
    return samples


def _line(label: str, samples: list[float], scale: float = 1.0) -> float:
    p50 = median(samples) * 1e6 / scale
    print(f"  {label:<58} p50 {p50:8.2f} us  p99 {percentile(samples, 0.99) * 1e6 / scale:8.2f} us")
    return p50


def _one_category(request: AccessRequest) -> AccessRequest:
    return AccessRequest(
        principal=request.principal, action=request.action, kind=request.kind,
        record_id=request.record_id, purpose=request.purpose, at=request.at,
        device_id=request.device_id, relationships=request.relationships,
        categories=frozenset({DataCategory.IDENTITY}))


def memoised(requests: list[AccessRequest], count: int) -> tuple[float, float]:
    print(f"(a) decide, memoised (production path), {count:,} decisions")
    engine = PolicyEngine.load()
    tuples = {_plain_key(r)[:-1]: r for r in requests}  # the attributes Cedar sees
    cold = _interleaved([engine.decide], list(tuples.values()))[0]
    table = {_plain_key(r): engine.decide(r) for r in requests}
    sample = [requests[i % len(requests)] for i in range(count)]
    _interleaved([engine.decide, lambda r: table[_plain_key(r)]], sample[:2000])  # warm
    warm, peer = _interleaved([engine.decide, lambda r: table[_plain_key(r)]], sample)
    p50 = _line("decide (tuple already seen)", warm)
    peer50 = _line("peer: dict lookup of the same attribute tuple", peer)
    print(f"  {'ratio decide/dict lookup (p50)':<58} {p50 / peer50:8.2f}x")
    cold50 = _line(f"decide, first sight of a tuple ({len(tuples):,} distinct)", cold)
    return p50, cold50


def fresh(requests: list[AccessRequest], count: int) -> tuple[float, float, float]:
    print(f"(b) decide, un-memoised (Cedar on every call), {count:,} decisions")
    engine = PolicyEngine.load(memoise=False)
    plain = _plain_cedar(engine)
    sample = [requests[i % len(requests)] for i in range(count)]
    paths = [engine.decide, lambda r: engine.decide(_one_category(r)), plain]
    _interleaved(paths, sample[:200])  # warm
    whole, one, peer = _interleaved(paths, sample)
    whole50 = _line("decide, the request's categories (a read: all seven)", whole)
    one50 = _line("decide, one category", one)
    peer50 = _line("peer: cedarpy.is_authorized, one category, plain call", peer)
    print(f"  {'ratio one-category decide / plain cedarpy call (p50)':<58} {one50 / peer50:8.2f}x")
    return whole50, one50, peer50


def batched(requests: list[AccessRequest], batches: int, single50: float) -> float:
    print(f"(c) decide_many, {batches} batches of {BATCH} requests (one Cedar call per batch), "
          "per decision")
    groups = [[requests[(b * BATCH + i) % len(requests)] for i in range(BATCH)]
              for b in range(batches)]
    fresh_engine, memo_engine = PolicyEngine.load(memoise=False), PolicyEngine.load()
    for group in groups:  # the memoised engine has seen every tuple: it answers from memory
        memo_engine.decide_many(group)
    _interleaved([fresh_engine.decide_many, memo_engine.decide_many], groups[:3])
    fresh_s, memo_s = _interleaved(
        [fresh_engine.decide_many, memo_engine.decide_many], groups)
    distinct = median([len({_plain_key(r)[:-1] for r in g}) for g in groups])
    per50 = _line(f"decide_many, un-memoised ({distinct:.0f} distinct tuples/batch)", fresh_s,
                  BATCH)
    _line("decide_many, memoised (tuples already seen)", memo_s, BATCH)
    print(f"  {'ratio batched / single un-memoised decide (p50)':<58} {per50 / single50:8.2f}x")
    return per50


def breakdown(requests: list[AccessRequest], count: int) -> None:
    """Where an un-memoised whole-read decision spends its time (private helpers)."""
    print("where an un-memoised decision's time goes (median per decision, whole read):")
    engine = PolicyEngine.load(memoise=False)
    policies = engine._policies.policy_set
    clock = time.perf_counter
    parts: dict[str, list[float]] = {
        "attributes + request JSON (Python)": [], "principal entity parse (cached per tuple)": [],
        "Cedar: 7 requests, pre-parsed entities": [], "results -> verdicts -> decision": []}
    for request in (requests[i % len(requests)] for i in range(count)):
        t0 = clock()
        attributes = _policy._attributes(request)
        cedar_requests = _policy._cedar_requests(
            attributes, _policy._CATEGORY_ORDER, _policy._PRINCIPAL_UID)
        t1 = clock()
        entities = cedarpy.Entities.from_json_str(
            f"[{_policy._principal_json(attributes, 'principal')}]",
            engine._policies.schema)
        t2 = clock()
        results = cedarpy.is_authorized_batch(cedar_requests, policies, entities)
        t3 = clock()
        verdicts = {c: engine._verdict(attributes, c, r)
                    for c, r in zip(_policy._CATEGORY_ORDER, results, strict=True)}
        engine._decision(verdicts, request.categories)
        t4 = clock()
        for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            parts[name].append(seconds)
    for name, samples in parts.items():
        print(f"  {name:<58} {median(samples) * 1e6:8.1f} us")
    print("  (the principal parse is paid once per distinct principal, then cached)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--fresh", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args()
    requests = workload(5_000)
    engine = PolicyEngine.load()
    print(f"policy-decision benchmark: {len(engine.policy_ids)} Cedar policies, "
          f"{len(DataCategory)} categories per read, cedarpy {version('cedarpy')}; "
          f"workload of {len(requests):,} requests, "
          f"{len({_plain_key(r)[:-1] for r in requests}):,} distinct attribute tuples "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    memo50, cold50 = memoised(requests, args.decisions)
    whole50, one50, _ = fresh(requests, args.fresh)
    batched(requests, args.batches, whole50)
    breakdown(requests, min(args.fresh, 1000))
    print(f"target: decision p50 <= {TARGET_US:.0f} us with Cedar")
    print(f"  production path (memoised decide)        {memo50:8.2f} us: "
          f"{verdict(memo50 <= TARGET_US)}")
    print(f"  first sight of a tuple (Cedar, 7 cats)   {cold50:8.2f} us: "
          f"{verdict(cold50 <= TARGET_US)}")
    print(f"  un-memoised decide, whole read           {whole50:8.2f} us: "
          f"{verdict(whole50 <= TARGET_US)}")
    print(f"  un-memoised decide, one category         {one50:8.2f} us: "
          f"{verdict(one50 <= TARGET_US)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
