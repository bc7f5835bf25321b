"""Helpers for watch tests: a simulated court run through the watch pipeline."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from casevault.synth._workday_run import WorkdayRun
from casevault.watch._context import Context, RecordsSource, build_context
from casevault.watch._engines import Engine
from casevault.watch._events import read_rows
from casevault.watch._prepare import event_table, write_prepared
from casevault.watch._tokens import Tokenizer
from casevault.watch.rules import LATE_VIEWS, VIEWS


@dataclass
class Prepared:
    events: pa.Table
    context: Context
    labelled: pa.Table


def prepare(run: WorkdayRun, extra_rows: list[dict[str, object]] | None = None) -> Prepared:
    tokens = Tokenizer(b"t" * 32)
    rows = [event.to_design_row() for event in run.events] + (extra_rows or [])
    report = read_rows(enumerate(rows, start=1))
    assert report.problems == []
    labelled = sorted({e for label in run.labels for e in label.event_ids})
    return Prepared(event_table(report.events, tokens),
                    build_context(RecordsSource(run.records), tokens, run.watchlist),
                    pa.table({"event_id": pa.array(labelled, pa.string())}))


def load_views(engine: Engine, prepared: Prepared, folder: Path) -> None:
    """Register the prepared tables and materialise every view (rules can then run alone)."""
    paths = write_prepared(folder, prepared.events, prepared.context)
    for name, path in paths.items():
        engine.register(name, path)
    for view in (*VIEWS, *LATE_VIEWS):
        engine.materialize(view.name, view.sql, keep=view.keep)
