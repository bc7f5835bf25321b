"""``casevault watch ...``: misuse detection from the command line.

``run`` explains every access and writes alerts (JSON Lines, ids only);
``evaluate`` scores the detectors against a simulator's labels; ``workday`` writes
a simulated court with weeks of its staff's access events and labelled misuse.
Bad rows of an event file are listed by row number (never by value) and skipped;
the run goes on with the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Engine

from casevault.audit.setup import open_ledger
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    OperatorPurposeOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.domain import Purpose
from casevault.errors import CasevaultError, InputError
from casevault.settings import load_settings
from casevault.store import make_engine, require_current_schema
from casevault.synth import simulate_court_workday, write_workday
from casevault.watch import DETECTOR_NAMES, read_alerts, write_alerts
from casevault.watch._engines import EngineName
from casevault.watch.cases import CaseState, case_detail, file_alerts, list_cases, move_case
from casevault.watch.evaluate import Evaluation, evaluate, read_labels
from casevault.watch.pipeline import PipelineResult, read_watchlist, run_pipeline

watch_app = typer.Typer(help="Misuse detection: explain accesses, flag what cannot be explained.",
                        no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
ERROR_EXIT: Final = 2
PROBLEMS_SHOWN: Final = 20

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]
EventsOption = Annotated[Path | None, typer.Option(
    "--events", help="Access-event file (.csv or .jsonl); default: casevault's own ledger.")]
EngineOption = Annotated[str, typer.Option("--engine", help="duckdb (default) or spark.")]
WatchlistOption = Annotated[Path | None, typer.Option(
    "--watchlist", help="High-profile person ids, one a line.")]


@contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None


@contextmanager
def _database(db: str | None) -> Iterator[Engine]:
    engine = make_engine(db)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def _engine_name(name: str) -> EngineName:
    if name == "duckdb":
        return "duckdb"
    if name == "spark":
        return "spark"
    msg = f"unknown engine {name!r}: choose duckdb or spark"
    raise InputError(msg)


def _pipeline(database: Engine, events: Path | None, engine: str, watchlist: Path | None,
              labelled: set[str]) -> PipelineResult:
    chosen = _engine_name(engine)
    listed = read_watchlist(watchlist)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("reading", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=name, completed=done, total=total)

        return run_pipeline(database, events=events, engine=chosen, watchlist=listed,
                            labelled_event_ids=labelled, progress=step)


def _report_problems(result: PipelineResult) -> None:
    for problem in result.problems[:PROBLEMS_SHOWN]:
        errors.print(f"[yellow]skipped:[/yellow] {problem}", markup=True, highlight=False)
    if result.rejected:
        more = result.rejected - min(len(result.problems), PROBLEMS_SHOWN)
        tail = f" ({more} not listed)" if more > 0 else ""
        errors.print(f"{result.rejected:,} bad row(s) skipped{tail}; "
                     f"{result.events:,} events analysed", highlight=False)


@watch_app.command("run")
def run(
    out: Annotated[Path, typer.Option("--out", help="Where to write alerts (JSON Lines).")],
    events: EventsOption = None,
    engine: EngineOption = "duckdb",
    watchlist: WatchlistOption = None,
    purpose: OperatorPurposeOption = Purpose.COMPLIANCE_AUDIT,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Explain every access and write an alert for each pattern of misuse found.

    Alerts name persons (by id) whose records were misused: only an operator the guard
    admits to oversight (a privacy officer) may run this, and the run is ledgered first.
    """
    with _reported():
        _engine_name(engine)
        with operator(db, session_file) as (door, who):
            door.guard.admit_oversight(who, purpose=purpose,
                                       justification=stated_justification(justification),
                                       what="watch_run")
            result = _pipeline(door.engine, events, engine, watchlist, set())
        written = write_alerts(out, result.run.alerts)
    _report_problems(result)
    share = result.run.explained_share
    console.print(f"{result.run.accesses:,} accesses, {share:.1%} explained; "
                  f"{written:,} alert(s) written to {out}")


@watch_app.command("evaluate")
def evaluate_(
    events: Annotated[Path, typer.Option("--events", help="Access-event file (.csv/.jsonl).")],
    labels: Annotated[Path, typer.Option("--labels", help="Labels file of injected misuse.")],
    engine: EngineOption = "duckdb",
    watchlist: WatchlistOption = None,
    db: DbOption = None,
) -> None:
    """Score every detector against labelled misuse: precision, recall, share explained."""
    with _reported():
        rows = read_labels(labels)
        labelled = {event_id for row in rows for event_id in row.event_ids}
        with _database(db) as database:
            result = _pipeline(database, events, engine, watchlist, labelled)
    _report_problems(result)
    run_result = result.run
    scored = evaluate(run_result.alerts, rows, DETECTOR_NAMES,
                      normal_accesses=run_result.normal_accesses or 0,
                      normal_explained=run_result.normal_explained or 0)
    _print_evaluation(scored)


def _print_evaluation(scored: Evaluation) -> None:
    table = Table(title="detectors against labels (per user)")
    for column in ("detector", "alerted users", "labelled users", "precision", "recall"):
        table.add_column(column, justify="left" if column == "detector" else "right")
    for score in (*scored.detectors, scored.overall):
        table.add_row(score.name, str(score.alerted), str(score.labelled),
                      f"{score.precision:.3f}", f"{score.recall:.3f}")
    console.print(table)
    console.print(f"normal accesses explained: {scored.normal_explained:,} of "
                  f"{scored.normal_accesses:,} ({scored.explained_share:.2%})")


@watch_app.command("workday")
def workday(
    out: Annotated[Path, typer.Argument(help="New folder for the court, events and labels.")],
    people: Annotated[int, typer.Option(min=100, max=2_000_000)] = 10_000,
    days: Annotated[int, typer.Option(min=1, max=120)] = 30,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Simulate a court's staff at work for some weeks, with labelled misuse (synthetic data)."""
    with _reported():
        if out.exists() and any(out.iterdir()):
            msg = f"output folder {out} is not empty: choose a new or empty folder"
            raise InputError(msg)
        with console.status("simulating the court's work"):
            run_ = simulate_court_workday(people=people, days=days, seed=seed)
            counts = write_workday(out, run_)
    console.print(json.dumps(counts))
    console.print(f"next: casevault import {out / 'court'}; casevault watch evaluate "
                  f"--events {out / 'events.jsonl'} --labels {out / 'labels.jsonl'} "
                  f"--watchlist {out / 'watchlist.txt'}")


# --- alert cases: filed by the system, worked by privacy officers -----------------------------

StateOption = Annotated[str | None, typer.Option(
    "--state", help="open, investigating, substantiated or unfounded.")]


def _state(name: str) -> CaseState:
    try:
        return CaseState(name)
    except ValueError:
        choices = ", ".join(s.value for s in CaseState)
        msg = f"unknown case state {name!r}: choose one of {choices}"
        raise InputError(msg) from None


@watch_app.command("file")
def file_(
    alerts: Annotated[Path, typer.Argument(help="Alerts file written by `watch run`.")],
    db: DbOption = None,
) -> None:
    """File alerts into cases (one per staff member); each new case is a ledger event."""
    with _reported():
        read = read_alerts(alerts)
        settings = load_settings()
        with _database(db or settings.db_url) as engine:
            ledger = open_ledger(engine, settings)
            try:
                filed = file_alerts(engine, ledger.append, read, now=datetime.now(UTC))
            finally:
                ledger.close()
    console.print(f"{filed.added:,} alert(s) filed, {len(filed.opened):,} new case(s), "
                  f"{filed.already_filed:,} already filed")


@watch_app.command("cases")
def cases(state: StateOption = None, db: DbOption = None) -> None:
    """List misuse cases (ids, states and alert counts only)."""
    with _reported():
        wanted = _state(state) if state else None
        with _database(db) as engine:
            found = list_cases(engine, state=wanted)
    table = Table(title="misuse cases")
    table.add_column("case", no_wrap=True, min_width=21)  # ids are copied into `watch case`
    for column in ("staff member", "state", "alerts", "opened", "changed"):
        table.add_column(column)
    for case in found:
        table.add_row(case.watch_case_id, case.user_id, case.state.value, str(case.alerts),
                      f"{case.opened_at:%Y-%m-%d %H:%M}", f"{case.changed_at:%Y-%m-%d %H:%M}")
    console.print(table)


@watch_app.command("case")
def case(case_id: Annotated[str, typer.Argument(help="A case id (WC-...).")],
         purpose: OperatorPurposeOption = Purpose.COMPLIANCE_AUDIT,
         justification: JustificationOption = None,
         session_file: SessionFileOption = DEFAULT_SESSION_FILE,
         db: DbOption = None) -> None:
    """Show a case, its alerts (naming persons by id) and every step: privacy officers only."""
    with _reported(), operator(db, session_file) as (door, who):
        door.guard.admit_oversight(who, purpose=purpose,
                                   justification=stated_justification(justification),
                                   what=f"watch_case {case_id}")
        detail = case_detail(door.engine, case_id)
    summary = detail.summary
    console.print(f"[b]{summary.watch_case_id}[/b] about {summary.user_id}: {summary.state}")
    for alert in detail.alerts:
        console.print(f"- {alert.severity} {alert.score:.2f} {alert.summary}", highlight=False)
    for step in detail.steps:
        who_moved = step.officer_id or "watch"
        console.print(f"  step {step.step} {step.at:%Y-%m-%d %H:%M} {step.state} by {who_moved}"
                      + (f": {step.note}" if step.note else ""), highlight=False)


@watch_app.command("move")
def move(
    case_id: Annotated[str, typer.Argument(help="A case id (WC-...).")],
    state: Annotated[str, typer.Argument(help="investigating, substantiated or unfounded.")],
    note: Annotated[str, typer.Option("--note", help="What was checked, and why it moves.")],
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Move a case as the signed-in privacy officer (the step is ledgered first)."""
    with _reported():
        target = _state(state)
        with operator(db, session_file) as (door, who):
            moved = move_case(door.engine, door.ledger.append, case_id, target,
                              officer_id=who.user_id, note=note, now=datetime.now(UTC))
    console.print(f"{moved.watch_case_id} is now {moved.state}")
