"""``casevault breach ...`` and ``casevault hearing outcome``: the breach response from the shell.

Every command acts as the signed-in operator (``casevault access login``): only
privacy officers may open or act on an incident, each step is a ledger event
(ids only), and nothing personal is printed except to them — affected person
ids, client addresses of downloads. Notices and destruction-request drafts go
only to the folder the officer names.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Final, TypeVar

import typer
from rich.console import Console

from casevault.access.hearing_outcomes import HearingOutcomes
from casevault.access.holds import BreachDoor, Officer, holds_of_incident
from casevault.access.identity import SessionContext
from casevault.access.setup import Door
from casevault.audit.events import Action
from casevault.audit.ledger import utc_now
from casevault.breach import clocks, incidents
from casevault.breach.downloads import downloads, trace_incident
from casevault.breach.incidents import Timeline
from casevault.breach.notices import mark_mailing, write_notices
from casevault.breach.report import write_report
from casevault.breach.trace import AddressSeal, Request, read_networks, write_destruction_drafts
from casevault.cli._session import (
    DEFAULT_SESSION_FILE,
    JustificationOption,
    SessionFileOption,
    operator,
    stated_justification,
)
from casevault.domain import Purpose
from casevault.errors import CasevaultError, InvalidValue
from casevault.settings import load_settings
from casevault.shield.setup import scanner

breach_app = typer.Typer(help="Breach response: incidents, affected people, holds, notices, "
                         "download tracing, reports (privacy officers).", no_args_is_help=True)
hearing_app = typer.Typer(help="Hearings: record an outcome (judge of the hearing or clerk).",
                          no_args_is_help=True)
console = Console(highlight=False)
errors = Console(stderr=True)
ERROR_EXIT: Final = 2
T = TypeVar("T")

DbOption = Annotated[str | None, typer.Option("--db", help="Database URL.")]
IncidentArg = Annotated[str, typer.Argument(help="The incident id (from `breach open`).")]


def _instant(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        msg = f"--{name} takes an ISO 8601 time with its zone, like 2026-11-20T14:05:00Z"
        raise InvalidValue(msg) from None


@contextmanager
def _officer(db: str | None, session_file: Path,
             justification: str | None) -> Iterator[tuple[Door, BreachDoor, Officer]]:
    """The signed-in privacy officer, admitted for breach work (refusals are ledgered)."""
    with operator(db, session_file) as (door, who):
        breach = BreachDoor(door.engine, door.ledger)
        yield door, breach, breach.admit(who, stated_justification(justification))


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except (CasevaultError, OSError) as exc:
        errors.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ERROR_EXIT) from None


def _say(text: str) -> None:
    console.print(text, markup=False)


@breach_app.command("open")
def open_command(
    file: Annotated[Path, typer.Argument(help="The leaked file (any format the shield reads).")],
    posted_at: Annotated[str | None, typer.Option(help="When it went public (ISO 8601).")]
    = None,
    detected_at: Annotated[str | None, typer.Option(help="When it was found (default: now).")]
    = None,
    removed_at: Annotated[str | None, typer.Option(help="When it was taken down.")] = None,
    where: Annotated[str | None, typer.Option(help="The URL it was reachable at.")] = None,
    clock: Annotated[list[str] | None, typer.Option(
        "--clock", help="A regulatory clock NAME=DURATION (1h, 72h, 60d); repeatable.")] = None,
    no_holds: Annotated[bool, typer.Option("--no-holds", help="Do not hold cases yet.")]
    = False,
    notices_to: Annotated[Path | None, typer.Option(
        "--notices-to", help="Also draft the notices into this new folder.")] = None,
    contact: Annotated[str, typer.Option(help="Whom notice recipients contact.")]
    = "the Privacy Office of the court",
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Open an incident from a leaked file: affected people, holds, clocks (and notices)."""
    def run() -> str:
        timeline = Timeline(detected_at=_instant(detected_at, "detected-at") or utc_now(),
                            posted_at=_instant(posted_at, "posted-at"),
                            removed_at=_instant(removed_at, "removed-at"), where=where)
        rules = clocks.configured(clock or ())
        with _officer(db, session_file, justification) as (door, breach, officer):
            opened = incidents.open_incident(
                breach, door.engine, officer, scanner(door.engine, load_settings()), file,
                timeline, rules, place_holds=not no_holds)
            if opened.affected == 0:
                _say(f"incident {opened.incident_id}: the file matched NO person of this system "
                     f"(0 affected; {opened.unresolved} identifiers of nobody here to review)")
            else:
                _say(f"incident {opened.incident_id}: {opened.affected} affected persons "
                     f"({opened.asylum_exposed} with a protection claim, 8 CFR 208.6), "
                     f"{opened.unresolved} unresolved identifiers, {opened.holds} cases held")
            if opened.earlier:
                _say(f"note: this exact file was opened before as {', '.join(opened.earlier)}")
            if notices_to is not None and opened.affected:
                run_ = write_notices(breach, door.engine, officer, opened.incident_id,
                                     notices_to, contact=contact)
                _say(f"notices: {run_.persons} to persons, {run_.attorneys} to attorneys, "
                     f"in {run_.folder}")
            return opened.incident_id
    incident_id = _run(run)
    _say(f"see `casevault breach show {incident_id}` for the clocks")


@breach_app.command("list")
def list_command(justification: JustificationOption = None,
                 session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                 db: DbOption = None) -> None:
    """Incidents, newest first, with their clocks' state."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            now = utc_now()
            with door.engine.connect() as connection:
                found = incidents.incident_ids(connection)
            breach.record(officer, "incidents_shown", action=Action.VIEW,
                          record_count=len(found))
            with door.engine.connect() as connection:
                for incident_id in found:
                    incident = incidents.load_incident(connection, incident_id)
                    states = incident.clock_status(now)
                    overdue = sum(1 for s in states if s.state == "overdue")
                    due = sum(1 for s in states if s.state == "due")
                    _say(f"{incident_id}  opened {incident.opened_at:%Y-%m-%d %H:%M}Z  "
                         f"{incident.affected} affected  clocks: {overdue} overdue, {due} due")
    _run(run)


@breach_app.command("show")
def show_command(incident_id: IncidentArg, justification: JustificationOption = None,
                 session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                 db: DbOption = None) -> None:
    """An incident: timeline, counts, and each clock's deadline (due / overdue / met)."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            with door.engine.connect() as connection:
                incident = incidents.load_incident(connection, incident_id)
            breach.record(officer, "incident_shown", action=Action.VIEW,
                          detail={"incident_id": incident_id})
            now = utc_now()
            _say(f"incident {incident.incident_id} (file sha256 {incident.file_sha256})")
            if incident.affected == 0:
                _say("  affected: 0 — the leaked file names no person of this system")
            else:
                _say(f"  affected: {incident.affected} persons, {incident.asylum_exposed} with a "
                     f"protection claim exposed (8 CFR 208.6)")
            _say(f"  unresolved identifiers: {incident.unresolved}; holds: "
                 f"{incident.holds_active} active of {incident.holds_placed}; notices: "
                 f"{incident.notices or 'none yet'}; downloads traced: {incident.downloads}")
            for state in incident.clock_status(now):
                left = state.remaining(now)
                when = (f"met {state.met_at:%Y-%m-%d %H:%M}Z" if state.met_at else
                        f"{'OVERDUE by' if left.total_seconds() < 0 else 'due in'} "
                        f"{_span(abs(left.total_seconds()))}")
                _say(f"  clock {state.rule.name:<16} due {state.due_at:%Y-%m-%d %H:%M}Z  "
                     f"{state.state.upper():<8} {when}  ({state.rule.label})")
            for step in incident.steps:
                _say(f"  {step.at:%Y-%m-%d %H:%M:%S}Z  {step.step}  "
                     f"{' '.join(f'{k}={v}' for k, v in step.detail.items())}")
    _run(run)


def _span(seconds: float) -> str:
    if seconds >= 2 * 86_400:
        return f"{seconds / 86_400:.1f} days"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.1f} hours"
    return f"{seconds / 60:.0f} minutes"


@breach_app.command("affected")
def affected_command(incident_id: IncidentArg,
                     as_json: Annotated[bool, typer.Option("--json")] = False,
                     justification: JustificationOption = None,
                     session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                     db: DbOption = None) -> None:
    """The affected persons (ids), kinds exposed, confidence, protection claim (ledgered)."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            found = incidents.affected_people(breach, door.engine, officer, incident_id)
        if as_json:
            sys.stdout.write(json.dumps([
                {"person_id": a.person_id, "kinds": list(a.kinds), "confidence": a.confidence,
                 "rows": a.rows, "asylum_exposed": a.asylum_exposed} for a in found]) + "\n")
            return
        if not found:
            _say("no affected persons: the leaked file names nobody of this system")
        for a in found:
            _say(f"{a.person_id}  {a.confidence:.2f}  {','.join(a.kinds)}"
                 f"{'  ASYLUM (8 CFR 208.6)' if a.asylum_exposed else ''}")
    _run(run)


@breach_app.command("unresolved")
def unresolved_command(incident_id: IncidentArg, justification: JustificationOption = None,
                       session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                       db: DbOption = None) -> None:
    """Identifiers in the file that matched nobody here, masked, for manual review."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            rows = incidents.unresolved_rows(breach, door.engine, officer, incident_id)
        _say(f"{len(rows)} unresolved identifiers")
        for row in rows:
            _say(f"  {row.seq:>5}  {row.location:<40} {row.kind:<14} {row.confidence:.2f} "
                 f"{row.masked_preview}")
    _run(run)


@breach_app.command("holds")
def holds_command(incident_id: IncidentArg, justification: JustificationOption = None,
                  session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                  db: DbOption = None) -> None:
    """The case holds of an incident (case ids, active or cleared)."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            with door.engine.connect() as connection:
                incidents.require_incident(connection, incident_id)
                holds = holds_of_incident(connection, incident_id)
            breach.record(officer, "holds_shown", record_count=len(holds),
                          detail={"incident_id": incident_id})
        for hold in holds:
            state = f"cleared {hold.cleared_at:%Y-%m-%d}" if hold.cleared_at else "ACTIVE"
            _say(f"{hold.case_id}  {hold.reason}  {state}")
    _run(run)


@breach_app.command("clear-hold")
def clear_hold_command(
    case_id: Annotated[str, typer.Argument(help="The held case.")],
    reason: Annotated[str | None, typer.Option(help="Why the hold can end (ledgered).")] = None,
    incident: Annotated[str | None, typer.Option(help="Only this incident's hold.")] = None,
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Clear a case's hold, case by case, with a reason (privacy officers)."""
    def run() -> int:
        with _officer(db, session_file, justification) as (_, breach, officer):
            return len(breach.clear_hold(officer, case_id, reason=reason, incident_id=incident))
    cleared = _run(run)
    _say(f"cleared {cleared} hold(s) on case {case_id}")


@breach_app.command("notices")
def notices_command(
    incident_id: IncidentArg,
    out: Annotated[Path, typer.Option("--out", help="A new folder for the notices.")],
    contact: Annotated[str, typer.Option(help="Whom recipients contact.")]
    = "the Privacy Office of the court",
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Draft notices to affected persons and their attorneys (PDF + mail-merge CSV)."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            done = write_notices(breach, door.engine, officer, incident_id, out, contact=contact)
        _say(f"{done.persons} notices to persons, {done.attorneys} to attorneys "
             f"({', '.join(f'{k}: {v}' for k, v in sorted(done.by_language.items()))}) in "
             f"{done.folder} ({done.seconds:.1f} s); mail merge: {done.mail_merge.name}")
    _run(run)


@breach_app.command("mailed")
def mailed_command(
    incident_id: IncidentArg,
    notice: Annotated[list[str] | None, typer.Option(
        "--notice", help="A notice id (repeatable; default: every notice).")] = None,
    status: Annotated[str, typer.Option(help="mailed, delivered or returned.")] = "mailed",
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Track the mailing of notices."""
    def run() -> int:
        with _officer(db, session_file, justification) as (door, breach, officer):
            return mark_mailing(breach, door.engine, officer, incident_id, status, notice or ())
    _say(f"{_run(run)} notices marked {status}")


@breach_app.command("met")
def met_command(incident_id: IncidentArg,
                clock: Annotated[str, typer.Argument(help="The clock whose duty was done.")],
                justification: JustificationOption = None,
                session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                db: DbOption = None) -> None:
    """Record that a regulatory clock was met (the report sent, the authority notified)."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            incidents.meet_clock(breach, door.engine, officer, incident_id, clock)
    _run(run)
    _say(f"clock {clock} of {incident_id} met")


@breach_app.command("trace")
def trace_command(
    incident_id: IncidentArg,
    logs: Annotated[list[Path], typer.Argument(help="Access logs (CLF/combined; .gz too).")],
    path: Annotated[list[str] | None, typer.Option(
        "--path", help="Another leaked URL path (repeatable; the --where URL's path is "
        "always included).")] = None,
    networks: Annotated[Path | None, typer.Option(
        help="CSV network,name,contact: whom to ask for destruction.")] = None,
    drafts: Annotated[Path | None, typer.Option(
        help="Folder for destruction-request drafts (with --networks).")] = None,
    contact: Annotated[str, typer.Option(help="Whom the networks reply to.")]
    = "the Privacy Office of the court",
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Find every request for the leaked file in the exposure window (client addresses shown
    to the privacy officer only, stored sealed); draft destruction requests per network."""
    def run() -> None:
        seal = AddressSeal.from_key_dir(load_settings().key_dir)
        with _officer(db, session_file, justification) as (door, breach, officer):
            traced = trace_incident(breach, door.engine, officer, incident_id, logs, seal,
                                    extra_paths=path or ())
            found = downloads(breach, door.engine, officer, incident_id, seal)
        result = traced.result
        _say(f"{result.lines:,} lines in {result.files} files, {result.malformed:,} malformed "
             f"(skipped); {len(result.requests)} requests for {', '.join(traced.paths)} in the "
             f"exposure window ({traced.new} new), {result.outside_window} outside it; "
             f"{result.lines_per_second:,.0f} lines/s")
        _print_requests(found)
        if networks is not None:
            written, uncovered = write_destruction_drafts(
                found, read_networks(networks), drafts or Path("destruction-requests"),
                incident_id=incident_id, contact=contact)
            _say(f"{len(written)} destruction-request drafts written; {uncovered} requests "
                 "from networks without a contact")
    _run(run)


@breach_app.command("downloads")
def downloads_command(incident_id: IncidentArg, justification: JustificationOption = None,
                      session_file: SessionFileOption = DEFAULT_SESSION_FILE,
                      db: DbOption = None) -> None:
    """The traced downloads with client addresses (privacy officers; ledgered)."""
    def run() -> list[Request]:
        seal = AddressSeal.from_key_dir(load_settings().key_dir)
        with _officer(db, session_file, justification) as (door, breach, officer):
            return downloads(breach, door.engine, officer, incident_id, seal)
    _print_requests(_run(run))


def _print_requests(found: list[Request]) -> None:
    for r in found:
        _say(f"{r.client:<39} {r.at:%Y-%m-%d %H:%M:%S}Z {r.status} {r.bytes:>9} {r.user_agent}")


@breach_app.command("report")
def report_command(
    incident_id: IncidentArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for the HTML and PDF report.")],
    justification: JustificationOption = None,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """The incident report (HTML and PDF): timeline, clocks, counts, charts; no personal data."""
    def run() -> None:
        with _officer(db, session_file, justification) as (door, breach, officer):
            files = write_report(breach, door.engine, officer, incident_id, out)
        _say(f"report: {files.html} and {files.pdf}")
    _run(run)


@hearing_app.command("outcome")
def outcome_command(
    hearing_id: Annotated[str, typer.Argument(help="The hearing.")],
    outcome: Annotated[str, typer.Argument(help="completed, adjourned or continued.")],
    purpose: Annotated[Purpose, typer.Option(help="adjudication (judge) or case_processing "
                                             "(clerk).")] = Purpose.ADJUDICATION,
    session_file: SessionFileOption = DEFAULT_SESSION_FILE,
    db: DbOption = None,
) -> None:
    """Record a hearing's outcome (refused on a case under a breach hold if removal-related)."""
    def run() -> str:
        with operator(db, session_file) as (door, who):
            return _record_outcome(door, who, hearing_id, outcome, purpose)
    _say(_run(run))


def _record_outcome(door: Door, who: SessionContext, hearing_id: str, outcome: str,
                    purpose: Purpose) -> str:
    done = HearingOutcomes(door.engine, door.ledger).record(who, hearing_id, outcome,
                                                           purpose=purpose)
    return f"hearing {done.hearing_id} of case {done.case_id}: {done.outcome.value}"


__all__ = ["breach_app", "hearing_app"]
