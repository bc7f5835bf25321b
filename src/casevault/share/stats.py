"""Differentially private statistics with OpenDP's Polars interface (issue 9, item 2).

Counts, sums, means and quantiles of the analysis table (``_dataset``), grouped
by court, state, month, year, nationality, case type, custody, status or
decision. Every group key set is **public**: court codes come from the courts
table (public reference data), months from the range the query names, the rest
from closed vocabularies; so the released cells do not depend on which groups
happen to hold data, and an empty cell is released (noisy) like any other.

Each answer reports the noise distribution and scale OpenDP used and a
``1 - alpha`` confidence interval per cell: OpenDP's accuracy for counts and
sums; for means, the interval the sum's and the count's intervals (each at
``alpha / 2``) imply; for quantiles, the released candidate and the rank error
the exponential mechanism stays within (``rank_error``), since its error is in
ranks, not in days.

``StatisticsService.ask`` is the way in: the guard's sharing gate admits the
query (agreement, purpose, categories, budgets) before anything is computed,
the answer is computed from a ``scan_parquet`` plan, the disclosure is ledgered
(with the ε spent), and only then is the answer returned.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import product
from pathlib import Path
from typing import Any, Final

import opendp.prelude as dp
import polars as pl
from opendp.accuracy import summarize_polars_measurement
from sqlalchemy import Engine, select

from casevault.access.agreements import DisclosureKind, DisclosureRequest, SharingGate
from casevault.access.identity import SessionContext
from casevault.domain import DataCategory, Purpose
from casevault.domain.vocab import CaseStatus, CaseType, Custody, Decision
from casevault.errors import InvalidValue
from casevault.share._dataset import MAX_CASES_PER_PERSON, MAX_WAIT_DAYS, cases_parquet
from casevault.store import tables

dp.enable_features("contrib")
_DP: Any = dp
"""OpenDP's prelude, typed loosely: it re-exports ``polars`` and ``len`` without declaring them."""

MAX_ROWS_BOUND: Final = 100_000_000
"""A public upper bound on the table's length (OpenDP needs one for sums and means)."""
MAX_CELLS: Final = 20_000
QUANTILE_STEP: Final = 5
"""Quantile candidates are every ``QUANTILE_STEP`` days from 0 to ``MAX_WAIT_DAYS``."""
STATS_VERSION: Final = "cv-dp-stats/1"


class Measure(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    QUANTILE = "quantile"


GROUP_CATEGORIES: Final[dict[str, frozenset[DataCategory]]] = {
    "court_code": frozenset({DataCategory.CASE}),
    "state": frozenset({DataCategory.CASE}),
    "month": frozenset({DataCategory.CASE}),
    "year": frozenset({DataCategory.CASE}),
    "custody": frozenset({DataCategory.CASE}),
    "status": frozenset({DataCategory.CASE}),
    "nationality": frozenset({DataCategory.IDENTITY}),
    "case_type": frozenset({DataCategory.CASE, DataCategory.ASYLUM}),
    "decision": frozenset({DataCategory.CASE, DataCategory.ASYLUM}),
}
"""The data categories grouping by each column touches (case type and decision reveal
protection claims, so they are ``asylum`` as well)."""
VALUE_COLUMN: Final = "wait_days"


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """One statistic: what, grouped by what, over which months, at which ε."""

    measure: Measure
    by: tuple[str, ...]
    epsilon: float
    first_month: str
    last_month: str
    quantile: float = 0.5
    alpha: float = 0.05

    def __post_init__(self) -> None:
        problems = [f"cannot group by {c!r} (choose from {', '.join(GROUP_CATEGORIES)})"
                    for c in self.by if c not in GROUP_CATEGORIES]
        if len(set(self.by)) != len(self.by):
            problems.append("name each grouping column once")
        if not 0 < self.epsilon <= 5:
            problems.append("epsilon must be above 0 and at most 5")
        if not 0 < self.quantile < 1:
            problems.append("the quantile is between 0 and 1 (0.5 is the median)")
        if not 0 < self.alpha < 0.5:
            problems.append("alpha is between 0 and 0.5 (0.05 gives 95% intervals)")
        try:
            months = month_range(self.first_month, self.last_month)
        except ValueError:
            problems.append("months are written YYYY-MM, the first not after the last")
        else:
            if len(months) > 120:
                problems.append("a query covers at most 120 months")
        if problems:
            raise InvalidValue("; ".join(problems))

    @property
    def categories(self) -> frozenset[DataCategory]:
        found = {DataCategory.CASE}
        for column in self.by:
            found |= GROUP_CATEGORIES[column]
        return frozenset(found)

    def describe(self) -> str:
        extra = f" q={self.quantile:g}" if self.measure is Measure.QUANTILE else ""
        return (f"{self.measure.value}{extra} by {','.join(self.by) or '-'} "
                f"{self.first_month}..{self.last_month} eps={self.epsilon:g}")


@dataclass(frozen=True, slots=True)
class Cell:
    keys: dict[str, str]
    value: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class StatsAnswer:
    """Released cells with their intervals, and how they were made noisy."""

    query: StatsQuery
    cells: tuple[Cell, ...]
    distribution: str
    noise_scales: dict[str, float]
    confidence: float
    rank_error: float | None = None
    event_id: str | None = None
    version: str = STATS_VERSION
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "query": self.query.describe(),
            "measure": self.query.measure.value, "by": list(self.query.by),
            "epsilon": self.query.epsilon, "distribution": self.distribution,
            "noise_scales": self.noise_scales, "confidence": self.confidence,
            "rank_error": self.rank_error, "event_id": self.event_id, "notes": list(self.notes),
            "cells": [{**c.keys, "value": c.value, "low": c.low, "high": c.high}
                      for c in self.cells],
        }


def month_range(first: str, last: str) -> list[str]:
    """``YYYY-MM`` months from ``first`` to ``last`` inclusive (``ValueError`` if malformed)."""
    start, end = date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01")
    if end < start:
        raise ValueError(first)
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def public_keys(engine: Engine, query: StatsQuery) -> dict[str, list[Any]]:
    """The public values of each grouping column (never read from the data itself)."""
    with engine.connect() as connection:
        courts = connection.execute(select(tables.courts.c.court_code, tables.courts.c.state)
                                    .order_by(tables.courts.c.court_code)).all()
    months = month_range(query.first_month, query.last_month)
    import pycountry  # noqa: PLC0415 -- only the nationality grouping needs the country list

    return {
        "court_code": [str(c) for c, _ in courts],
        "state": sorted({str(s or "??") for _, s in courts}),
        "month": months,
        "year": sorted({int(m[:4]) for m in months}),
        "custody": [c.value for c in Custody],
        "status": [s.value for s in CaseStatus],
        "nationality": sorted(c.alpha_2 for c in pycountry.countries),
        "case_type": [t.value for t in CaseType],
        "decision": [d.value for d in Decision] + ["pending", "none"],
    }


def key_frame(keys: dict[str, list[Any]], by: Sequence[str]) -> pl.DataFrame:
    combos = list(product(*(keys[c] for c in by)))
    if len(combos) > MAX_CELLS:
        msg = (f"this grouping has {len(combos)} cells, more than {MAX_CELLS}: group by fewer "
               "columns or fewer months")
        raise InvalidValue(msg)
    schema = {c: pl.Int32 if c == "year" else pl.String for c in by}
    return pl.DataFrame([dict(zip(by, combo, strict=True)) for combo in combos], schema=schema)


def compute(parquet: Path, query: StatsQuery, keys: dict[str, list[Any]]) -> StatsAnswer:
    """Release ``query`` over the table at ``parquet`` (read lazily), with scales and intervals."""
    plan = pl.scan_parquet(parquet)
    months = month_range(query.first_month, query.last_month)
    plan = plan.filter(pl.col("month").is_in(months))
    margins = [_DP.polars.Margin(by=(), max_length=MAX_ROWS_BOUND)]
    if query.by:
        margins.append(_DP.polars.Margin(by=list(query.by), invariant="keys",
                                        max_length=MAX_ROWS_BOUND))
    context = dp.Context.compositor(
        data=plan, privacy_unit=dp.unit_of(contributions=MAX_CASES_PER_PERSON),
        privacy_loss=dp.loss_of(epsilon=query.epsilon), split_evenly_over=1, margins=margins)
    expressions = _expressions(query)
    frame = context.query()
    if query.by:
        released_query = frame.group_by(*query.by).agg(*expressions).with_keys(
            key_frame(keys, query.by))
    else:
        released_query = frame.select(*expressions)
    alpha = query.alpha / 2 if query.measure is Measure.MEAN else query.alpha
    # Resolve the measurement (OpenDP's binary search for the noise scale) once, for both the
    # summary and the release: ``summarize`` and ``release`` would each search again.
    measurement = released_query.resolve()
    summary: pl.DataFrame = summarize_polars_measurement(measurement, alpha)
    released = object.__getattribute__(released_query, "_query")._context(measurement).collect()
    return _answer(query, released, summary)


def _dp_of(expr: pl.Expr) -> Any:
    """The ``.dp`` namespace OpenDP registers on Polars expressions (untyped)."""
    return expr.dp  # type: ignore[attr-defined]


def _count() -> pl.Expr:
    with warnings.catch_warnings():  # the keyword is given: the future default does not apply
        warnings.simplefilter("ignore", FutureWarning)
        result: pl.Expr = _DP.len(signed=False)
        return result


def _expressions(query: StatsQuery) -> list[pl.Expr]:
    """What OpenDP releases: a mean is a noisy sum and a noisy count, divided after release."""
    value = pl.col(VALUE_COLUMN).fill_null(0)
    bounds = (0, MAX_WAIT_DAYS)
    if query.measure is Measure.COUNT:
        return [_count().alias("value")]
    if query.measure is Measure.SUM:
        return [_dp_of(value).sum(bounds).alias("value")]
    if query.measure is Measure.MEAN:
        return [_dp_of(value).sum(bounds).alias("sum"), _count().alias("count")]
    candidates = list(range(0, MAX_WAIT_DAYS + 1, QUANTILE_STEP))
    return [_dp_of(value).quantile(query.quantile, candidates).alias("value")]


def _answer(query: StatsQuery, released: pl.DataFrame, summary: pl.DataFrame) -> StatsAnswer:
    rows = summary.to_dicts()
    scales = {str(r["column"]): float(r["scale"]) for r in rows}
    accuracy = {str(r["column"]): r.get("accuracy") for r in rows}
    distribution = ", ".join(sorted({str(r["distribution"]) for r in rows}))
    cells = []
    rank_error = None
    if query.measure is Measure.QUANTILE:
        candidates = MAX_WAIT_DAYS // QUANTILE_STEP + 1
        rank_error = max(scales.values()) * math.log(candidates / query.alpha)
    for row in released.to_dicts():
        keys = {c: str(row[c]) for c in query.by}
        if query.measure is Measure.MEAN:
            cells.append(_mean_cell(keys, float(row["sum"]), float(row["count"]), accuracy))
            continue
        value = float(row["value"])
        if query.measure is Measure.COUNT:
            value = max(0.0, value)  # post-processing: a count is never negative
        low, high = _interval(query, value, accuracy)
        cells.append(Cell(keys, value, low, high))
    cells.sort(key=lambda c: tuple(c.keys.values()))
    notes = [f"each person contributes at most {MAX_CASES_PER_PERSON} cases; waits are "
             f"clamped to 0..{MAX_WAIT_DAYS} days"]
    if query.measure is Measure.QUANTILE:
        notes.append("quantile interval is the candidate grid step; rank_error bounds how far "
                     "the released value's rank is from the true quantile's, at 1 - alpha")
    return StatsAnswer(query, tuple(cells), distribution, scales, 1 - query.alpha,
                       rank_error, notes=tuple(notes))


def _interval(query: StatsQuery, value: float, accuracy: dict[str, Any]) -> tuple[float, float]:
    if query.measure is Measure.QUANTILE:
        return value - QUANTILE_STEP, value + QUANTILE_STEP
    half = float(accuracy.get("value") or 0.0)
    low = value - half
    return (max(0.0, low) if query.measure is Measure.COUNT else low), value + half


def _mean_cell(keys: dict[str, str], total: float, count: float,
               accuracy: dict[str, Any]) -> Cell:
    """The mean and the range that the sum's and count's intervals (each at alpha/2) imply."""
    sum_acc, count_acc = float(accuracy.get("sum") or 0.0), float(accuracy.get("count") or 0.0)
    bounded = min(float(MAX_WAIT_DAYS), max(0.0, total / count)) if count >= 1 else 0.0
    low_count, high_count = count - count_acc, count + count_acc
    if low_count < 1:
        return Cell(keys, bounded, 0.0, float(MAX_WAIT_DAYS))
    low = max(0.0, (total - sum_acc) / high_count)
    high = min(float(MAX_WAIT_DAYS), max(0.0, (total + sum_acc) / low_count))
    # Noise can push the released sum below zero, where the clamped mean (0) falls outside
    # the ratio of the bounds; the interval is widened to hold the value it is reported with.
    return Cell(keys, bounded, min(low, bounded), max(high, bounded))


class StatisticsService:
    """Ask a statistic through the guard's sharing gate: admitted, computed, ledgered, answered."""

    def __init__(self, engine: Engine, gate: SharingGate, work_dir: Path, *,
                 today: date | None = None) -> None:
        self._engine = engine
        self._gate = gate
        self._work_dir = work_dir
        self._today = today

    def ask(self, who: SessionContext, query: StatsQuery, *, purpose: Purpose,
            agreement_id: str | None = None) -> StatsAnswer:
        keys = public_keys(self._engine, query)
        cells = len(key_frame(keys, query.by)) if query.by else 1
        admission = self._gate.admit(who, DisclosureRequest(
            kind=DisclosureKind.STATISTICS, purpose=purpose, categories=query.categories,
            rows=cells, agreement_id=agreement_id, epsilon=query.epsilon))
        today = self._today or self._gate.clock().date()
        parquet = cases_parquet(self._engine, self._work_dir / who.session_id, today=today)
        try:
            answer = compute(parquet, query, keys)
        finally:
            parquet.unlink(missing_ok=True)
        event = self._gate.record(admission, rows=len(answer.cells), detail={
            "query": query.describe(), "scale": ";".join(
                f"{k}={v:g}" for k, v in sorted(answer.noise_scales.items()))})
        return StatsAnswer(answer.query, answer.cells, answer.distribution, answer.noise_scales,
                           answer.confidence, answer.rank_error, event.event_id,
                           notes=answer.notes)


__all__ = ["GROUP_CATEGORIES", "Cell", "Measure", "StatisticsService", "StatsAnswer",
           "StatsQuery", "compute", "key_frame", "month_range", "public_keys"]
