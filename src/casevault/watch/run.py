"""One watch run: prepared tables in, views materialised, rules run, alerts out.

Order: the base views, the explanations (direct ones, then those that build on
them), the detectors' shared views, then each detector. A progress callback hears
of each step, so the command line can draw a bar.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from casevault.watch._alerts import Alert, Hit, assemble
from casevault.watch._context import Context
from casevault.watch._engines import Engine, EngineName, open_engine
from casevault.watch._prepare import write_prepared
from casevault.watch.rules import DETECTORS, LATE_VIEWS, VIEWS, Rule

Progress = Callable[[str, int, int], None]
"""Called with (step name, steps done, steps in all)."""


@dataclass(slots=True)
class RunResult:
    alerts: list[Alert]
    accesses: int
    explained: int
    by_explanation: dict[str, int] = field(default_factory=dict)
    """Matches per explanation rule (an access may match several rules, and several cases)."""
    normal_accesses: int | None = None
    normal_explained: int | None = None

    @property
    def explained_share(self) -> float:
        return self.explained / self.accesses if self.accesses else 1.0


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def decoded(sql: str) -> str:
    """A detector's hits with user and person ids decoded from their integer codes."""
    return f"""
SELECT u.id, p.id, h.event_id, h.ts, h.metric, h.note FROM ({sql}) h
JOIN ids_user u ON u.code = h.user_id
LEFT JOIN ids_person p ON p.code = h.person_id"""


def run_on_engine(engine: Engine, paths: dict[str, Path], *,
                  detectors: Sequence[Rule] = DETECTORS,
                  progress: Progress = _quiet) -> RunResult:
    """Run every rule on an engine over prepared tables (``paths``: table name -> Parquet)."""
    steps = [*VIEWS, *LATE_VIEWS, *detectors]
    total = len(steps) + 1
    for name, path in sorted(paths.items()):
        engine.register(name, path)
    done = 0
    for view in (*VIEWS, *LATE_VIEWS):
        progress(view.name, done, total)
        engine.materialize(view.name, view.sql, keep=view.keep)
        done += 1
    hits: list[Hit] = []
    for rule in detectors:
        progress(rule.name, done, total)
        hits.extend(Hit(rule.name, str(u), p, str(e), int(ts), float(m or 0.0), str(n or ""))
                    for u, p, e, ts, m, n in engine.rows(decoded(rule.sql)))
        done += 1
    progress("summary", done, total)
    result = _summary(engine, "labelled_events" in paths)
    result.alerts = assemble(detectors, hits)
    progress("done", total, total)
    return result


def _summary(engine: Engine, labelled: bool) -> RunResult:
    ((accesses,),) = engine.rows("SELECT COUNT(*) FROM accesses")
    ((unexplained,),) = engine.rows("SELECT COUNT(*) FROM unexplained")
    counts = {str(name): int(n) for name, n in engine.rows(
        "SELECT explanation, COUNT(*) FROM explained_direct GROUP BY explanation "
        "UNION ALL SELECT explanation, COUNT(*) FROM explained_indirect GROUP BY explanation")}
    result = RunResult([], int(accesses), int(accesses) - int(unexplained), counts)
    if labelled:
        ((normal,),) = engine.rows("""
SELECT COUNT(*) FROM accesses a
WHERE NOT EXISTS (SELECT 1 FROM labelled_events l WHERE l.event_id = a.event_id)""")
        ((normal_unexplained,),) = engine.rows("""
SELECT COUNT(*) FROM unexplained a
WHERE NOT EXISTS (SELECT 1 FROM labelled_events l WHERE l.event_id = a.event_id)""")
        result.normal_accesses = int(normal)
        result.normal_explained = int(normal) - int(normal_unexplained)
    return result


def run_watch(events: pa.Table, context: Context, *, engine: EngineName = "duckdb",
              workdir: Path | None = None, labelled_events: pa.Table | None = None,
              spark: Any | None = None, progress: Progress = _quiet) -> RunResult:
    """Write the prepared tables, run every rule on the chosen engine, return alerts and counts."""
    extra = [("labelled_events", labelled_events)] if labelled_events is not None else []
    with tempfile.TemporaryDirectory(prefix="casevault-watch-") as scratch:
        folder = workdir or Path(scratch)
        paths = write_prepared(folder, events, context, extra)
        with open_engine(engine, spark=spark) as running:
            return run_on_engine(running, paths, progress=progress)
