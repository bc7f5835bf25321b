"""Misuse detection at scale: acceptance on a simulated court, then 10,000,000 events.

Targets (issue 7):
  (a) a simulated court of 2,000 staff over 30 days with injected misuse: >= 95% of normal
      accesses explained, per-user recall >= 0.95 and precision >= 0.9 overall;
  (b) the full rule set (explanations included) on 10,000,000 events on DuckDB in <= 15 s
      on this 2-core machine, against a baseline measured in the same run on the same
      file: a plain per-user-hour aggregate (events and distinct persons per user-hour);
  (c) the Spark local-mode time of the same rules on the same input.

The 10 M events are the acceptance court's month repeated over later months (each copy
shifted by the simulated period, with its own event ids), written once to Parquet under
var/bench/ with the court's context tables; both engines read those files.

    python bench/bench_watch.py [--staff 2000] [--days 30] [--events 10000000] [--no-spark]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pyarrow as pa

from _common import CACHE, verdict
from casevault.synth import simulate_court_workday
from casevault.watch import DETECTOR_NAMES, evaluate
from casevault.watch._context import RecordsSource, build_context
from casevault.watch._engines import DuckEngine, SparkEngine
from casevault.watch._events import read_rows
from casevault.watch._prepare import event_table, write_prepared
from casevault.watch._tokens import Tokenizer
from casevault.watch.evaluate import LabelRow
from casevault.watch.run import run_on_engine, run_watch

PEOPLE_PER_STAFF = 71
"""The synthetic court's ratio of respondents to staff (142,000 people have about 2,000)."""


def acceptance(staff: int, days: int, folder: Path) -> dict[str, Path]:
    started = time.perf_counter()
    run = simulate_court_workday(people=staff * PEOPLE_PER_STAFF, days=days, seed=1)
    simulated = time.perf_counter() - started
    tokens = Tokenizer()
    report = read_rows(enumerate((e.to_design_row() for e in run.events), start=1))
    assert not report.problems
    events = event_table(report.events, tokens)
    context = build_context(RecordsSource(run.records), tokens, run.watchlist)
    labelled = pa.table({"event_id": pa.array(
        sorted({e for label in run.labels for e in label.event_ids}), pa.string())})
    prepared = time.perf_counter() - started - simulated
    started = time.perf_counter()
    result = run_watch(events, context, labelled_events=labelled)
    ran = time.perf_counter() - started
    labels = [LabelRow(label.user_id, label.kind, label.event_ids) for label in run.labels]
    scored = evaluate(result.alerts, labels, DETECTOR_NAMES,
                      normal_accesses=result.normal_accesses or 0,
                      normal_explained=result.normal_explained or 0)
    print(f"(a) simulated court: {run.users:,} staff, {days} days, {len(run.events):,} events, "
          f"{len(labels)} misusing users ({len(labels) / run.users:.2%} of staff)")
    print(f"    simulate {simulated:.1f} s, prepare {prepared:.1f} s, all rules on DuckDB "
          f"{ran:.1f} s; {len(result.alerts)} alerts")
    for score in scored.detectors:
        print(f"    {score.name:<26} alerted {score.alerted:>3}  labelled {score.labelled:>3}  "
              f"precision {score.precision:.3f}  recall {score.recall:.3f}")
    share = scored.explained_share
    print(f"    normal accesses explained: {share:.2%} (target >= 95%: {verdict(share >= 0.95)})")
    print(f"    per-user recall {scored.overall.recall:.3f} (target >= 0.95: "
          f"{verdict(scored.overall.recall >= 0.95)}), precision {scored.overall.precision:.3f} "
          f"(target >= 0.9: {verdict(scored.overall.precision >= 0.9)})")
    return write_prepared(folder, events, context)


def scaled_events(source: Path, target: Path, count: int, days: int) -> None:
    """The month repeated over later months up to ``count`` events (written once, reused)."""
    engine = DuckEngine()
    ((rows,),) = engine.rows(f"SELECT COUNT(*) FROM read_parquet('{source}')")
    copies = math.ceil(count / rows)
    shift = days * 86_400
    engine.rows(f"""
COPY (
  SELECT e.event_id || '.' || CAST(k.range AS VARCHAR) AS event_id,
         e.seq + k.range * {rows} AS seq, e.ts + k.range * {shift} AS ts,
         e.day + k.range * {days} AS day, e.hour + k.range * {days * 24} AS hour, e.hod,
         e.user_id, e.session_id || '.' || CAST(k.range AS VARCHAR) AS session_id,
         e.device_id, e.ip_tok, e.action, e.person_id, e.case_id, e.purpose, e.just_tok,
         e.just_class, e.result, e.record_count
  FROM read_parquet('{source}') e, range({copies}) k
  WHERE e.seq + k.range * {rows} < {count}
  ORDER BY seq
) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    engine.close()


def baseline(events: Path) -> float:
    engine = DuckEngine()
    started = time.perf_counter()
    engine.materialize("per_user_hour", f"""
SELECT user_id, hour, COUNT(*) AS events, COUNT(DISTINCT person_id) AS persons
FROM read_parquet('{events}') GROUP BY user_id, hour""")
    elapsed = time.perf_counter() - started
    engine.close()
    return elapsed


def full_run(paths: dict[str, Path], engine_name: str) -> tuple[float, int, float]:
    engine = DuckEngine() if engine_name == "duckdb" else SparkEngine()
    started = time.perf_counter()
    result = run_on_engine(engine, paths)
    elapsed = time.perf_counter() - started
    engine.close()
    return elapsed, len(result.alerts), result.explained_share


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--staff", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    folder = CACHE / f"watch-{args.staff}x{args.days}"
    paths = acceptance(args.staff, args.days, folder)
    big = CACHE / f"watch-{args.staff}x{args.days}-{args.events}"
    big.mkdir(parents=True, exist_ok=True)
    target = big / "events.parquet"
    if not target.exists() or target.stat().st_mtime < paths["events"].stat().st_mtime:
        scaled_events(paths["events"], target, args.events, args.days)
    scaled = {**paths, "events": target}
    base = min(baseline(target) for _ in range(2))
    duck, alerts, share = full_run(scaled, "duckdb")
    rate = args.events / duck
    print(f"(b) {args.events:,} events, all explanations and {len(DETECTOR_NAMES)} detectors on "
          f"DuckDB: {duck:.1f} s ({rate:,.0f} events/s), {alerts:,} alerts, "
          f"{share:.1%} of accesses explained")
    print(f"    baseline per-user-hour aggregate: {base:.2f} s; full set / baseline = "
          f"{duck / base:.1f}x (target <= 15 s: {verdict(duck <= 15)})")
    if not args.no_spark:
        spark, spark_alerts, _ = full_run(scaled, "spark")
        print(f"(c) the same rules on Spark local mode (2 cores): {spark:.1f} s "
              f"({args.events / spark:,.0f} events/s, {spark_alerts:,} alerts); "
              f"Spark / DuckDB = {spark / duck:.1f}x")


if __name__ == "__main__":
    main()
