"""``casevault scan`` and ``casevault shield ...``: the leak scanner from the command line.

``scan`` prints each finding's kind, location, confidence and a masked preview;
it never prints a matched value. Which persons of this system a file names is
itself personal data: ``--identify`` shows their ids only to a signed-in
operator the guard allows (a privacy officer, for breach_response), and ledgers
it. Exit status: 0 clean, 1 findings, 2 error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from sqlalchemy import Engine

from casevault.access.setup import opened_door
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    OperatorPurposeOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.domain import Purpose
from casevault.errors import CasevaultError
from casevault.settings import load_settings
from casevault.shield.gate import (
    REQUIRED_APPROVALS,
    Quarantined,
    WebRootWatcher,
    file_sha256,
)
from casevault.shield.gate import publish as publish_file
from casevault.shield.scan import ScanReport
from casevault.shield.setup import current_index, scanner
from casevault.store import make_engine, require_current_schema

shield_app = typer.Typer(help="The leak shield: exact-data-match index and scanning.",
                         no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
CLEAN_EXIT: Final = 0
FINDINGS_EXIT: Final = 1
ERROR_EXIT: Final = 2

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]


@contextmanager
def _database(db: str | None, *, wanted: bool = True) -> Iterator[Engine | None]:
    if not wanted:
        yield None
        return
    engine = make_engine(db or load_settings().db_url)
    try:
        require_current_schema(engine)
        yield engine
    finally:
        engine.dispose()


def scan(
    files: Annotated[list[Path], typer.Argument(help="Files to scan (any format; archives too).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print DESIGN.md's scan report.")]
    = False,
    no_edm: Annotated[bool, typer.Option(
        "--no-edm", help="Detectors and risk only, without this system's people.")] = False,
    identify: Annotated[bool, typer.Option(
        "--identify", help="Show the matched person ids (signed-in operator; ledgered).")]
    = False,
    purpose: OperatorPurposeOption = Purpose.BREACH_RESPONSE,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Leak-scan files: exit 0 when clean, 1 when something personal is found, 2 on error."""
    reports: list[ScanReport] = []
    failed = False
    try:
        with _database(db, wanted=not no_edm) as engine:
            scan_with = scanner(engine, load_settings())
            for path in files:
                try:
                    reports.append(scan_with.scan(path))
                except CasevaultError as exc:
                    errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
                    failed = True
        shown = _identified(reports, db, session_file, purpose, justification) if identify \
            else False
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    for report in reports:
        _print(report, as_json=as_json, with_person_ids=shown)
    if failed:
        raise typer.Exit(ERROR_EXIT)
    blocked = any(report.verdict == "block" for report in reports)
    raise typer.Exit(FINDINGS_EXIT if blocked else CLEAN_EXIT)


def _identified(reports: list[ScanReport], db: str | None, session_file: Path,
                purpose: Purpose, justification: str | None) -> bool:
    """Ask the guard to disclose the matched ids to the signed-in operator (all or nothing)."""
    matched = {person for report in reports for person in report.persons}
    with operator(db, session_file) as (door, who):
        door.guard.identify(who, matched, purpose=purpose,
                            justification=stated_justification(justification), what="scan")
    return True


def _print(report: ScanReport, *, as_json: bool, with_person_ids: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(report.as_json(with_person_ids=with_person_ids)) + "\n")
        return
    megabytes = report.bytes_read / 1e6
    console.print(f"{report.file}: {report.verdict.upper()} — {len(report.findings)} findings"
                  f"{f' (+{report.more_findings} more)' if report.more_findings else ''}, "
                  f"{len(report.persons)} persons of this system matched, {megabytes:.1f} MB "
                  f"in {report.seconds:.2f} s", highlight=False, markup=False)
    for risk in report.risks:
        console.print(f"  re-identification: k = {risk.k} over {', '.join(risk.columns)} "
                      f"({risk.unique_share:.0%} of {risk.rows} rows unique)",
                      highlight=False, markup=False)
    for finding in report.findings[:50]:
        person = ""
        if finding.matched_person_id is not None:
            person = f"  person {finding.matched_person_id if with_person_ids else '(withheld)'}"
        where = " ".join(f"{k}={v}" for k, v in finding.location.as_dict().items())
        console.print(f"  {finding.kind.value:<15} {where:<40} {finding.confidence:.2f} "
                      f"{finding.masked_preview}{person}", highlight=False, markup=False)
    if len(report.findings) > 50:
        console.print(f"  … {len(report.findings) - 50} more (use --json for all)",
                      highlight=False, markup=False)


def publish(
    file: Annotated[Path, typer.Argument(help="The file to publish.")],
    to: Annotated[Path, typer.Option("--to", help="The public folder (web root).")],
    db: DbOption = None,
) -> None:
    """Copy a file to the public folder only if the scan passes (or two officers released it)."""
    settings = load_settings()
    try:
        with opened_door(settings, db) as door:
            done = publish_file(file, to, scanner=scanner(door.engine, settings),
                                engine=door.engine, ledger=door.ledger)
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    if done.published:
        how = "clean" if done.report.verdict == "pass" else f"released by {done.approvals} officers"
        console.print(f"published {file} to {done.target} ({how})", highlight=False)
        raise typer.Exit(CLEAN_EXIT)
    _print(done.report, as_json=False, with_person_ids=False)
    console.print(f"NOT published: the scan blocked it. To release this exact file, two "
                  f"privacy officers run `casevault shield approve {file}` "
                  f"(sha256 {done.file_sha256}; approvals so far: {done.approvals})",
                  highlight=False, markup=False)
    raise typer.Exit(FINDINGS_EXIT)


@shield_app.command("approve")
def approve_command(
    file: Annotated[Path, typer.Argument(help="The exact blocked file to release.")],
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Release a blocked file (a privacy officer; two different ones are needed; ledgered)."""
    try:
        sha256 = file_sha256(file)
        with operator(db, session_file) as (door, who):
            count = door.guard.approve_publication(
                who, sha256, justification=stated_justification(justification))
    except (CasevaultError, OSError) as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    console.print(f"approved release of sha256 {sha256}: {count} of {REQUIRED_APPROVALS} "
                  "approvals", highlight=False)


@shield_app.command("watch")
def watch_command(
    root: Annotated[Path, typer.Argument(help="The public folder to watch.")],
    quarantine: Annotated[Path, typer.Option("--quarantine", help="Where leaks are moved "
                                             "(outside the web root).")],
    interval: Annotated[float, typer.Option(help="Seconds between looks.")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Look once and stop.")] = False,
    db: DbOption = None,
) -> None:
    """Scan new and changed files in a web root; quarantine and alert on findings."""
    settings = load_settings()
    try:
        with opened_door(settings, db) as door:
            watcher = WebRootWatcher(root, quarantine, scanner=scanner(door.engine, settings),
                                     ledger=door.ledger,
                                     alerts=settings.shield_dir / "alerts.jsonl")
            console.print(f"watching {root} (quarantine: {quarantine})", highlight=False)
            watcher.watch(interval=interval, rounds=1 if once else None,
                          on_quarantine=_announce)
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)


def _announce(found: Quarantined) -> None:
    console.print(f"QUARANTINED {found.source} -> {found.quarantine} ({found.persons} persons "
                  f"matched; alert {found.alert_id})", highlight=False, markup=False)


@shield_app.command("index")
def index_command(db: DbOption = None) -> None:
    """Build or refresh the exact-data-match index of the database (keyed hashes only)."""
    try:
        with _database(db) as engine:
            assert engine is not None  # noqa: S101 -- wanted=True always opens one
            index = current_index(engine, load_settings())
    except CasevaultError as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None
    console.print(f"exact-data-match index: {index.persons:,} persons, {index.entries:,} keyed "
                  "entries", highlight=False)


__all__ = ["publish", "scan", "shield_app"]
