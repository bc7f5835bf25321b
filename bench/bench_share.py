"""Differentially private per-court monthly case counts at epsilon = 1 (issue 9, item 2).

Target: median relative error <= 5% over cells of at least 100 cases. The exact
counts are computed in the same run with a plain Polars group-by over the same
Parquet file, and the DP query's time is compared with that group-by's (ratio).
The privacy unit is the person (at most 3 cases each), so the noise scale is
3 / epsilon; the relative error of a cell of n cases is about 3 / n.

    python bench/bench_share.py [--people 60000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from _common import fresh_sqlite, median, synthetic_court, verdict
from casevault.share._dataset import cases_parquet
from casevault.share.stats import Measure, StatsQuery, compute, public_keys
from casevault.store.interchange import import_folder
from casevault.synth import REFERENCE_DATE

TARGET = 0.05
MIN_CELL = 100


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with fresh_sqlite("share") as engine:
        started = time.perf_counter()
        with engine.begin() as connection:
            import_folder(connection, synthetic_court(args.people))
        print(f"court of {args.people} people imported in {time.perf_counter() - started:.0f} s")
        parquet = cases_parquet(engine, Path(tempfile.mkdtemp()), today=REFERENCE_DATE)
        last = str(pl.read_parquet(parquet, columns=["month"])["month"].max())
        first = f"{int(last[:4]) - 5}{last[4:]}"  # the last five years: 61 months
        query = StatsQuery(Measure.COUNT, ("court_code", "month"), 1.0, first, last)
        keys = public_keys(engine, query)
    plain_times, dp_times, errors = [], [], []
    exact: dict[tuple[str, str], int] = {}
    for _ in range(args.repeats):
        started = time.perf_counter()
        frame = (pl.scan_parquet(parquet).filter(pl.col("month") >= first)
                 .group_by("court_code", "month").agg(pl.len()).collect())
        plain_times.append(time.perf_counter() - started)
        exact = {(r["court_code"], r["month"]): r["len"] for r in frame.to_dicts()}
        started = time.perf_counter()
        answer = compute(parquet, query, keys)
        dp_times.append(time.perf_counter() - started)
        for cell in answer.cells:
            truth = exact.get((cell.keys["court_code"], cell.keys["month"]), 0)
            if truth >= MIN_CELL:
                errors.append(abs(cell.value - truth) / truth)
    big = sum(1 for n in exact.values() if n >= MIN_CELL)
    print(f"cells: {len(answer.cells)} released, {len(exact)} non-empty, {big} with >= "
          f"{MIN_CELL} cases (median size {statistics.median(exact.values()):.0f})")
    print(f"noise: {answer.distribution}, scale {answer.noise_scales['value']:g} at epsilon 1")
    if not errors:
        print(f"no cell reaches {MIN_CELL} cases: run with more --people")
        return 1
    error = statistics.median(errors)
    print(f"median relative error, cells >= {MIN_CELL}: {error:.3%} over {len(errors)} "
          f"cell releases (target <= {TARGET:.0%}) {verdict(error <= TARGET)}")
    plain, private = median(plain_times), median(dp_times)
    print(f"query time: DP {private * 1000:.1f} ms vs plain Polars group-by "
          f"{plain * 1000:.1f} ms: ratio {private / plain:.0f}x")
    return 0 if error <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
