"""Differentially private statistics (issue 9, item 2): stated noise scale, budgets, intervals.

OpenDP draws its noise from the operating system's CSPRNG and takes no seed (by
design: a seeded sampler is a replayable one), so the noise test repeats the
release and compares the empirical spread of (released - exact) with the scale
OpenDP states, with tolerances of about four standard errors.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from access.guard_helpers import SignIn, context_for
from access.identities import user_with_role
from access.share_helpers import in_force, ledger_events_of, parties
from casevault.access.agreements import Agreements
from casevault.access.guard import Guard
from casevault.domain import Purpose, Role
from casevault.errors import BudgetExhausted, DisclosureRefused, InvalidValue
from casevault.share._dataset import MAX_WAIT_DAYS
from casevault.share.stats import (
    Measure,
    StatisticsService,
    StatsQuery,
    _mean_cell,
    compute,
    public_keys,
)

MONTHS = ("2025-01", "2026-10")


def _exact(cases_table: Path, by: tuple[str, ...], column: str) -> dict[tuple[str, ...], float]:
    """Exact sums with plain Polars (the independent reference), keyed like the cells."""
    frame = (pl.read_parquet(cases_table)
             .filter(pl.col("month").is_between(pl.lit(MONTHS[0]), pl.lit(MONTHS[1])))
             .group_by(*by).agg(pl.col(column).sum().alias("exact")))
    return {tuple(str(row[c]) for c in by): float(row["exact"]) for row in frame.to_dicts()}


def test_sum_noise_has_the_stated_laplace_scale(cases_table: Path, court_engine: Engine) -> None:
    query = StatsQuery(Measure.SUM, ("court_code", "month"), 1.0, *MONTHS)
    keys = public_keys(court_engine, query)
    exact = _exact(cases_table, query.by, "wait_days")
    errors: list[float] = []
    scale = 0.0
    for _ in range(10):
        answer = compute(cases_table, query, keys)
        scale = answer.noise_scales["value"]
        errors += [c.value - exact.get(tuple(c.keys.values()), 0.0) for c in answer.cells]
    n = len(errors)
    assert n >= 400
    assert scale == pytest.approx(3 * 3650 / 1.0)  # 3 cases per person, waits up to 3650 days
    mean_abs = sum(abs(e) for e in errors) / n   # E|X| = b and sd|X| = b for Laplace(b)
    assert mean_abs == pytest.approx(scale, rel=4 / math.sqrt(n))  # four standard errors
    assert abs(sum(errors) / n) < 4 * math.sqrt(2) * scale / math.sqrt(n)
    within = sum(abs(e) <= scale * math.log(1 / 0.05) for e in errors) / n
    assert within == pytest.approx(0.95, abs=0.04)  # P(|X| <= b ln(1/alpha)) = 1 - alpha


def test_every_answer_has_a_scale_and_an_interval_around_its_value(
        cases_table: Path, court_engine: Engine) -> None:
    for measure in Measure:
        query = StatsQuery(measure, ("custody",), 1.0, *MONTHS)
        answer = compute(cases_table, query, public_keys(court_engine, query))
        assert answer.noise_scales and all(s > 0 for s in answer.noise_scales.values())
        assert answer.confidence == pytest.approx(0.95)
        assert {c.keys["custody"] for c in answer.cells} == {"detained", "released",
                                                             "never_detained"}
        for cell in answer.cells:
            assert cell.low <= cell.value <= cell.high
        if measure is Measure.QUANTILE:
            assert answer.rank_error is not None and answer.rank_error > 0


def test_a_bad_query_is_refused_with_what_to_fix() -> None:
    with pytest.raises(InvalidValue, match="cannot group by 'a_number'") as refused:
        StatsQuery(Measure.COUNT, ("a_number",), 9.0, "2026-13", "2026-01")
    assert "epsilon" in str(refused.value) and "YYYY-MM" in str(refused.value)


def test_the_analysts_budget_is_spent_and_refused_when_exhausted(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, tmp_path: Path) -> None:
    analyst = user_with_role(guard_engine, Role.ANALYST)
    who = context_for(sign_in, analyst)
    owner_ctx = context_for(sign_in, user_with_role(guard_engine, Role.PRIVACY_OFFICER))
    Agreements(guard_engine, guard.sharing.ledger, clock=sign_in.clock).set_budget(
        analyst, 1.0, by=owner_ctx.user_id)
    service = StatisticsService(guard_engine, guard.sharing, tmp_path)
    query = StatsQuery(Measure.COUNT, ("court_code",), 0.6, *MONTHS)
    answer = service.ask(who, query, purpose=Purpose.STATISTICS)
    assert answer.event_id is not None
    with pytest.raises(BudgetExhausted, match="analyst"):
        service.ask(who, query, purpose=Purpose.STATISTICS)
    events = ledger_events_of(guard_engine, "disclosure")
    assert [(e["result"], e["detail"].get("reason")) for e in events] == [
        ("permit", None), ("deny", "budget_analyst")]
    assert events[0]["detail"]["epsilon"] == "0.6"
    assert guard.sharing.budgets(analyst)[0].remaining == pytest.approx(0.4)
    assert list(tmp_path.rglob("*.parquet")) == []  # the working table is not left behind


def test_an_outside_party_asks_under_its_agreement_and_its_categories(
        guard: Guard, guard_engine: Engine, sign_in: SignIn, tmp_path: Path) -> None:
    found = parties(sign_in, guard_engine)
    agreement_id = in_force(found)
    service = StatisticsService(guard_engine, guard.sharing, tmp_path)
    by_court = StatsQuery(Measure.MEAN, ("court_code",), 0.5, *MONTHS)
    answer = service.ask(found.recipient_ctx, by_court, purpose=Purpose.STATISTICS,
                         agreement_id=agreement_id)
    assert answer.cells
    by_type = StatsQuery(Measure.COUNT, ("case_type",), 0.5, *MONTHS)
    with pytest.raises(DisclosureRefused, match="category"):
        service.ask(found.recipient_ctx, by_type, purpose=Purpose.STATISTICS,
                    agreement_id=agreement_id)
    with pytest.raises(DisclosureRefused, match="agreement"):
        service.ask(found.recipient_ctx, by_court, purpose=Purpose.STATISTICS)


def test_a_mean_whose_noisy_sum_fell_below_zero_still_lies_in_its_interval() -> None:
    """Found by a CI run: a small cell's noisy sum of waits came out negative, the mean was
    clamped to 0 and the interval's top was below it."""
    cell = _mean_cell({"custody": "never_detained"}, -5000.0, 10.0, {"sum": 1000.0,
                                                                    "count": 3.0})
    assert cell.value == 0.0
    assert 0.0 <= cell.low <= cell.value <= cell.high <= MAX_WAIT_DAYS
    inside = _mean_cell({"custody": "detained"}, 3000.0, 20.0, {"sum": 500.0, "count": 4.0})
    assert inside.low <= inside.value == 150.0 <= inside.high
    assert inside.low == (3000.0 - 500.0) / 24.0 and inside.high == (3000.0 + 500.0) / 16.0
