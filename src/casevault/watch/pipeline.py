"""The watch pipeline from its sources: context from the store, events from a file or the ledger.

This is what the command line calls; tests and the benchmark call the steps it is
made of (``build_context``, ``event_table``, ``run_watch``) on data in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine

from casevault.audit.ledger import Ledger
from casevault.errors import InputError
from casevault.watch._context import Context, StoreSource, build_context
from casevault.watch._engines import EngineName
from casevault.watch._events import EventColumns, KnownIds, RowProblem, read_events
from casevault.watch._ledger_source import ledger_columns
from casevault.watch._prepare import event_table
from casevault.watch._tokens import Tokenizer
from casevault.watch.run import Progress, RunResult, _quiet, run_watch


@dataclass(slots=True)
class PipelineResult:
    run: RunResult
    problems: list[RowProblem]
    rejected: int
    events: int


def read_watchlist(path: Path | None) -> list[str]:
    """High-profile person ids, one a line (``#`` starts a comment)."""
    if path is None:
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        msg = f"watch list {path.name} cannot be read ({type(error).__name__})"
        raise InputError(msg) from None
    return [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]


def known_ids(context: Context) -> KnownIds:
    def ids(table: str, column: str) -> frozenset[str]:
        return frozenset(str(v) for v in context.tables[table].column(column).to_pylist())

    return KnownIds(users=ids("staff", "user_id"), persons=ids("person_keys", "person_id"),
                    cases=ids("cases", "case_id"))


def run_pipeline(db: Engine, *, events: Path | None, engine: EngineName = "duckdb",
                 watchlist: Iterable[str] = (), labelled_event_ids: Iterable[str] = (),
                 spark: Any | None = None, progress: Progress = _quiet) -> PipelineResult:
    """Context from the database, events from ``events`` (else the ledger), then every rule."""
    tokens = Tokenizer()
    progress("context", 0, 1)
    with db.connect() as connection:
        context = build_context(StoreSource(connection), tokens, watchlist)
    progress("events", 0, 1)
    problems: list[RowProblem] = []
    rejected = 0
    columns: EventColumns
    if events is None:
        ledger = Ledger(db)
        try:
            columns = ledger_columns(ledger.events())
        finally:
            ledger.close()
    else:
        report = read_events(events, known_ids(context))
        columns, problems, rejected = report.events, report.problems, report.rejected
    labelled = sorted(set(labelled_event_ids))
    result = run_watch(event_table(columns, tokens), context, engine=engine, spark=spark,
                       labelled_events=pa.table({"event_id": pa.array(labelled, pa.string())})
                       if labelled else None, progress=progress)
    return PipelineResult(result, problems, rejected, len(columns))
